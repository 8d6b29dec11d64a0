#!/usr/bin/env bash
# Makes the benchmark capture: PACKETS real Ethernet frames (classic pcap, microseconds) of mixed traffic
# (HTTP/1.1 keep-alive and one-shot, TLS 1.3 and 1.2, HTTP over IPv6, DNS, ICMP/ICMPv6 echo, ARP and
# neighbour discovery) between two network namespaces of its own joined by a veth pair.
#
#   sudo bash bench/make-bench-pcap.sh                 -> ${TMPDIR:-/tmp}/tsniff-bench/bench-1m.pcap
#   PACKETS=20000 OUT=/tmp/small.pcap bash bench/make-bench-pcap.sh
#
# Settings (environment):
#   OUT=FILE        the capture to write (default ${TMPDIR:-/tmp}/tsniff-bench/bench-1m.pcap); written under a
#                   temporary name and renamed at the end, so an interrupted run leaves no partial file
#   PACKETS=N       packets in the file (default 1000000)
#   LIVE_MAX=N      at most this many packets are captured live (default 400000, never more than PACKETS);
#                   the rest are copies of the live capture with other addresses and later times
#   GEN_SECS=S      wall-clock bound of the live traffic (default 120)
#   NS_PREFIX=P     prefix of the namespace and interface names (default tsnb; at most 8 characters)
#
# Needs root (namespaces) and Debian's tcpdump, curl, dig, dnsmasq, openssl, tcprewrite, editcap/mergecap/
# capinfos, ping, python3: installed with apt-get when missing. Traffic stays inside the two namespaces
# (10.77.0.0/24, fd77::/64). The packets' contents and times vary from run to run (ports, sequence numbers,
# TLS keys); the mix does not. The capture is never committed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

die() { echo "make-bench-pcap.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it creates network namespaces)"

OUT=${OUT:-${TMPDIR:-/tmp}/tsniff-bench/bench-1m.pcap}
PACKETS=${PACKETS:-1000000}
LIVE_MAX=${LIVE_MAX:-400000}
GEN_SECS=${GEN_SECS:-120}
NS_PREFIX=${NS_PREFIX:-tsnb}
[[ "$PACKETS" =~ ^[1-9][0-9]*$ ]] || die "PACKETS must be a positive whole number (got '$PACKETS')"
[[ "$LIVE_MAX" =~ ^[1-9][0-9]*$ ]] || die "LIVE_MAX must be a positive whole number (got '$LIVE_MAX')"
[[ "$GEN_SECS" =~ ^[1-9][0-9]*$ ]] || die "GEN_SECS must be a positive whole number of seconds (got '$GEN_SECS')"
[[ "$NS_PREFIX" =~ ^[a-zA-Z][a-zA-Z0-9_]{0,7}$ ]] || die "NS_PREFIX must be 1-8 letters, digits or _ (got '$NS_PREFIX')"
(( LIVE_MAX > PACKETS )) && LIVE_MAX=$PACKETS

# ---- tools -----------------------------------------------------------------------------------------------
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
need=()
for pair in tcpdump:tcpdump curl:curl dig:bind9-dnsutils dnsmasq:dnsmasq-base openssl:openssl \
  tcprewrite:tcpreplay editcap:wireshark-common mergecap:wireshark-common capinfos:wireshark-common ping:iputils-ping ip:iproute2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ -n "$PY" ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing tools (${need[*]}) and no apt-get to install them"
  echo "make-bench-pcap.sh: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
  PY=/usr/bin/python3
fi

# ---- names, work directory, cleanup -------------------------------------------------------------------------
NSC=${NS_PREFIX}_cli NSS=${NS_PREFIX}_srv IFC=${NS_PREFIX}c0 IFS_=${NS_PREFIX}s0
C4=10.77.0.1 S4=10.77.0.2 C6=fd77::1 S6=fd77::2
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tsniff-benchgen.XXXXXX")
PART="$OUT.part.$$"
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  ip netns del "$NSC" 2>/dev/null
  ip netns del "$NSS" 2>/dev/null
  rm -rf "$WORK" "$PART"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ns in "$NSC" "$NSS"; do
  ! ip netns list | grep -qw "$ns" || die "namespace $ns exists (another run?); remove it with: ip netns del $ns"
done
cd "$WORK"

# ---- servers: HTTP on :80 (IPv4 and IPv6) and HTTPS on :443, pages made in memory ----------------------------
cat > server.py <<'EOF'
import http.server, json, random, socket, ssl, struct, sys, threading, zlib

rng = random.Random(7)
WORDS = "capture frame packet header filter socket stream window segment checksum route bridge".split()

def png(w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + rng.randbytes(w * 3) for _ in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

PAGES = {
    "/": ("text/html", ("<!doctype html><html><head><title>bench</title><link rel=stylesheet href=/style.css>"
          "<script src=/app.js></script></head><body>" + "".join(
          "<p>" + " ".join(rng.choice(WORDS) for _ in range(14)) + "</p>" for _ in range(10)) + "</body></html>\n").encode()),
    "/style.css": ("text/css", "".join(".k%d{padding:%dpx;color:#%06x}\n" % (i, rng.randrange(24), rng.getrandbits(24)) for i in range(80)).encode()),
    "/app.js": ("application/javascript", "".join("function g%d(x){return x*%d%%97;}\n" % (i, rng.randrange(1, 1000)) for i in range(300)).encode()),
    "/download": ("application/octet-stream", rng.randbytes(128 * 1024)),
}
for n in range(8):
    PAGES["/api/items/%d" % n] = ("application/json", json.dumps(
        {"page": n, "items": [{"id": i, "tag": rng.choice(WORDS), "score": rng.random()} for i in range(16 + 12 * n)]}).encode())
for n in range(6):
    PAGES["/img/%d.png" % n] = ("image/png", png(48, 32 + 36 * n))

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tsniff-bench/1"
    def log_message(self, *args):
        pass
    def reply(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def do_GET(self):
        page = PAGES.get(self.path.split("?")[0])
        if page:
            self.reply(200, *page)
        else:
            self.reply(404, "text/plain", b"not found\n")
    do_HEAD = do_GET
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.reply(201, "application/json", json.dumps({"stored": len(body)}).encode())

class V4(http.server.ThreadingHTTPServer):
    daemon_threads = True
class V6(V4):
    address_family = socket.AF_INET6

servers = [V4((sys.argv[1], 80), Handler), V6((sys.argv[2], 80), Handler), V4((sys.argv[1], 443), Handler)]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("cert.pem", "key.pem")
servers[2].socket = ctx.wrap_socket(servers[2].socket, server_side=True)
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem \
  -days 30 -subj /CN=www.bench.test 2>/dev/null

# DNS questions for dig -f: names that exist, AAAA, MX, TXT and names that do not.
"$PY" - <<'EOF'
import random
r = random.Random(11)
kinds = [("host%d.bench.test A", 45), ("host%d.bench.test AAAA", 25), ("bench.test MX", 8), ("txt.bench.test TXT", 7), ("gone%d.elsewhere.test A", 15)]
lines = []
for _ in range(3000):
    x = r.randrange(100)
    for fmt, share in kinds:
        if x < share:
            lines.append(fmt % r.randrange(400) if "%d" in fmt else fmt)
            break
        x -= share
for n in range(0, len(lines), 100):  # dig -f asks as fast as it can: in batches, so DNS spreads over the run
    open("questions%02d.txt" % (n // 100), "w").write("\n".join(lines[n:n + 100]) + "\n")
EOF

# ---- topology: two namespaces, one veth pair, offloads off (every frame a real <= 1514-byte frame) ------------
ip netns add "$NSC"
ip netns add "$NSS"
ip link add "$IFC" netns "$NSC" type veth peer name "$IFS_" netns "$NSS"
ip -n "$NSC" link set "$IFC" address 02:00:00:77:00:01
ip -n "$NSS" link set "$IFS_" address 02:00:00:77:00:02
ip -n "$NSC" addr add $C4/24 dev "$IFC"
ip -n "$NSC" addr add $C6/64 dev "$IFC" nodad
ip -n "$NSS" addr add $S4/24 dev "$IFS_"
ip -n "$NSS" addr add $S6/64 dev "$IFS_" nodad
for ns in "$NSC" "$NSS"; do ip -n "$ns" link set lo up; done
ip -n "$NSC" link set "$IFC" up
ip -n "$NSS" link set "$IFS_" up
ip netns exec "$NSC" ethtool -K "$IFC" tx off tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec "$NSS" ethtool -K "$IFS_" tx off tso off gso off gro off >/dev/null 2>&1 || true

BOUND=$((GEN_SECS + 30))
ip netns exec "$NSS" timeout $BOUND "$PY" server.py $S4 $S6 > server.log 2>&1 &
PIDS+=($!)
ip netns exec "$NSS" timeout $BOUND dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
  --user=root --bind-interfaces --listen-address=$S4 --port=53 --cache-size=0 \
  --local=/bench.test/ --address=/bench.test/10.77.9.10 --address=/bench.test/fd77:9::10 \
  --mx-host=bench.test,mail.bench.test,10 --txt-record=txt.bench.test,"v=spf1 -all" > dnsmasq.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening server.log 2>/dev/null && break; sleep 0.1; done
grep -q listening server.log || { cat server.log >&2; die "the HTTP server did not start"; }

# ---- live capture --------------------------------------------------------------------------------------------
ip netns exec "$NSC" timeout $BOUND tcpdump -i "$IFC" -nn -s 0 -B 16384 -c "$LIVE_MAX" -w live.pcap 2> tcpdump.log &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 50); do grep -q "listening on" tcpdump.log 2>/dev/null && break; sleep 0.1; done

# ---- traffic: every generator bounded by a count and by timeout -------------------------------------------------
AGENT='Mozilla/5.0 (X11; Linux x86_64) tsniff-bench/1'
web() { # web BASE_URL ROUNDS SEED: keep-alive batches, one-shot requests, POSTs, some 404s and large downloads
  local base=$1 rounds=$2 i batch
  RANDOM=$3
  for ((i = 0; i < rounds; i++)); do
    batch="$base/ $base/style.css $base/app.js $base/api/items/$((RANDOM % 8)) $base/img/$((RANDOM % 6)).png"
    ((RANDOM % 8 == 0)) && batch+=" $base/download"
    ((RANDOM % 6 == 0)) && batch+=" $base/old/page$((RANDOM % 40)).html"
    if ((i % 4 == 3)); then
      curl -skg -A "$AGENT" -H 'Connection: close' "$base/api/items/$((RANDOM % 8))" > /dev/null || true
    else
      curl -skg -A "$AGENT" $batch > /dev/null || true
    fi
    if ((i % 3 == 0)); then
      curl -skg -A "$AGENT" -H 'Content-Type: application/json' -o /dev/null \
        --data "{\"round\":$i,\"note\":\"$(head -c $((RANDOM % 700)) /dev/zero | tr '\0' n)\"}" "$base/api/events" || true
    fi
  done
}
tls12() { # tls12 ROUNDS
  local i
  for ((i = 0; i < $1; i++)); do
    curl -sk --tlsv1.2 --tls-max 1.2 -A "$AGENT" "https://$S4/" "https://$S4/api/items/$((i % 8))" > /dev/null || true
  done
}
export -f web tls12
export AGENT S4
GEN=()
run_in() { ip netns exec "$NSC" timeout "$GEN_SECS" "$@" & GEN+=($!); }
run_in bash -c "web http://$S4 800 1"
run_in bash -c "web http://$S4 800 2"
run_in bash -c "web https://$S4 600 3"
run_in bash -c "tls12 400"
run_in bash -c "web 'http://[$S6]' 150 4"
run_in bash -c "for f in $WORK/questions*.txt $WORK/questions*.txt; do dig @$S4 +tries=1 +time=1 -f \$f > /dev/null; sleep 1; done"
run_in bash -c "ping -q -c 3000 -i 0.01 $S4 > /dev/null"
run_in bash -c "ping -q -c 300 -i 0.1 -s 1200 $S4 > /dev/null"
run_in bash -c "ping -6 -q -c 1000 -i 0.03 $S6 > /dev/null"
timeout "$GEN_SECS" bash -c "for i in \$(seq 150); do ip -n $NSC neigh flush dev $IFC; ip -n $NSS neigh flush dev $IFS_; sleep 0.25; done" &
GEN+=($!)
PIDS+=("${GEN[@]}")

# Until tcpdump has LIVE_MAX packets or every generator is done (each is bounded by GEN_SECS).
alive() { for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while kill -0 $TCPDUMP 2>/dev/null && alive "${GEN[@]}"; do sleep 0.5; done
for p in "${GEN[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${GEN[@]}"; do wait "$p" 2>/dev/null || true; done
sleep 0.5
kill -INT $TCPDUMP 2>/dev/null || true
wait $TCPDUMP 2>/dev/null || true
grep -v "listening on" tcpdump.log >&2 || true
[ -s live.pcap ] || die "the live capture is empty"

# ---- PACKETS from the live capture: copies with other addresses and later times, then cut ------------------------
LIVE=$(capinfos -M -T -r -c live.pcap | cut -f2)
SECS=$(capinfos -M -T -r -u live.pcap | cut -f2)
SPAN=$(awk -v d="$SECS" 'BEGIN { printf "%d", d + 2 }')
COPIES=$(((PACKETS + LIVE - 1) / LIVE))
((COPIES <= 40000)) || die "the live capture has only $LIVE packets: too few to make $PACKETS"
echo "make-bench-pcap.sh: live capture $LIVE packets over ${SECS}s; $COPIES cop$( ((COPIES == 1)) && echo y || echo ies)" >&2
parts=(live.pcap)
for ((k = 1; k < COPIES; k++)); do
  # copy k: 10.77.0.0/24 -> 10.(78 + k/250).(k%250).0/24, fd77::/64 -> fd77:k::/64, k*SPAN seconds later
  tcprewrite --pnat="10.77.0.0/24:10.$((78 + k / 250)).$((k % 250)).0/24,[fd77::/64]:[fd77:$(printf %x $k)::/64]" \
    --fixcsum -i live.pcap -o moved.pcap
  editcap -F pcap -t $((k * SPAN)) moved.pcap "copy$k.pcap"
  parts+=("copy$k.pcap")
done
rm -f moved.pcap
if ((COPIES > 1)); then mergecap -F pcap -a -w all.pcap "${parts[@]}"; else mv live.pcap all.pcap; fi
editcap -F pcap -r all.pcap "$PART" "1-$PACKETS"
GOT=$(capinfos -M -T -r -c "$PART" | cut -f2)
[ "$GOT" -eq "$PACKETS" ] || die "made $GOT packets, not $PACKETS"
mv "$PART" "$OUT"
echo "make-bench-pcap.sh: wrote $OUT ($GOT packets, $(($(stat -c %s "$OUT") / 1000000)) MB)" >&2
