#!/usr/bin/env node
/**
 * Plugin overhead (issue 5): tsniff -r over the 1M-packet capture (bench/make-bench-pcap.sh) with
 *   - no plugin (the plain run: one-line summaries to /dev/null),
 *   - a no-op plugin (onPacket does nothing; the lines are still printed),
 *   - a field-reading plugin (ip.src, ip.dst, tcp/udp ports, length per packet; lines still printed),
 *   - the same two answering false (plugin only, nothing printed),
 * against scapy's sniff(offline=..., prn=..., store=False) over the same file (Debian's python3-scapy), with
 * a no-op prn and a field-reading prn. scapy is slow: it reads the first SCAPY_COUNT packets (default 100000)
 * of the same file; every result is given in packets per second.
 *
 *   node bench/plugins.mjs            BENCH_PCAP=/path/file.pcap   SCAPY_COUNT=N   PYTHON=/usr/bin/python3
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchPcap } from "./bench-pcap.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSNIFF = [process.execPath, path.join(ROOT, "bin", "tsniff")];
const PCAP = benchPcap("bench/plugins");
const SCAPY_COUNT = Number(process.env.SCAPY_COUNT ?? 100000);
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-plugins-"));

function write(name, text) {
  const f = path.join(DIR, name);
  fs.writeFileSync(f, text);
  return f;
}
const noop = write("noop.mjs", "export function onPacket() {}\n");
const fields = write(
  "fields.ts",
  `import type { Packet, PluginContext } from "tsniff";
let n = 0, bytes = 0, h = 0;
export function onPacket(p: Packet, ctx: PluginContext) {
  const ip = p.ip ?? p.ipv6;
  const l4 = p.tcp ?? p.udp;
  if (ip) h ^= ip.src.length + ip.dst.length;
  if (l4) h ^= l4.srcport ^ l4.dstport;
  bytes += p.len;
  n++;
}
export function onStop(ctx: PluginContext) { ctx.log(n, "packets", bytes, "bytes", h); }
`,
);
const noopFalse = write("noop-false.mjs", "export function onPacket() { return false; }\n");
const fieldsFalse = write("fields-false.ts", fs.readFileSync(fields, "utf8").replace("  n++;\n}", "  n++;\n  return false;\n}"));

function timed(argv, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TZ: "UTC", ...env }, maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: exit ${r.status}: ${r.stderr.toString().slice(-500)}`);
  return { wall, stderr: r.stderr.toString() };
}
function best(n, f) {
  let b = null;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (!b || r.wall < b.wall) b = r;
  }
  return b;
}

const packets = countPackets();
function countPackets() {
  const r = spawnSync("capinfos", ["-c", "-M", PCAP]);
  const m = /Number of packets:\s+(\d+)/.exec(r.stdout?.toString() ?? "");
  return m ? Number(m[1]) : 1_000_000;
}

const rows = [];
function report(name, wall, n = packets) {
  const pps = n / wall;
  rows.push({ name, wall, pps });
  console.log(`${name.padEnd(52)} ${wall.toFixed(2).padStart(7)} s  ${Math.round(pps).toLocaleString("en").padStart(11)} packets/s`);
}

console.log(`input: ${PCAP} (${packets} packets); node ${process.version}; ${os.cpus()[0]?.model ?? ""}`);
const plain = best(2, () => timed([...TSNIFF, "-r", PCAP])).wall;
report("tsniff -r (no plugin, lines printed)", plain);
const tNoop = best(2, () => timed([...TSNIFF, "-r", PCAP, "--script", noop])).wall;
report("tsniff -r --script noop (lines printed)", tNoop);
const tFields = best(2, () => timed([...TSNIFF, "-r", PCAP, "--script", fields])).wall;
report("tsniff -r --script fields (lines printed)", tFields);
const tNoopF = best(2, () => timed([...TSNIFF, "-r", PCAP, "--script", noopFalse])).wall;
report("tsniff -r --script noop, returns false (no lines)", tNoopF);
const tFieldsF = best(2, () => timed([...TSNIFF, "-r", PCAP, "--script", fieldsFalse])).wall;
report("tsniff -r --script fields, returns false (no lines)", tFieldsF);

let scapyNoop, scapyFields;
// Debian's python3-scapy is installed for /usr/bin/python3 (a python3 first on PATH may be another one).
const PYTHON = process.env.PYTHON ?? (fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const py = spawnSync(PYTHON, ["-c", "import scapy"]);
if (py.status === 0) {
  const run = (prn) => {
    const code = `
import sys, time, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import sniff, IP, IPv6, TCP, UDP
h = 0
def fields(p):
    global h
    ip = p[IP] if IP in p else (p[IPv6] if IPv6 in p else None)
    l4 = p[TCP] if TCP in p else (p[UDP] if UDP in p else None)
    if ip is not None: h ^= len(ip.src) + len(ip.dst)
    if l4 is not None: h ^= l4.sport ^ l4.dport
    return None
def noop(p): return None
t = time.time()
sniff(offline=sys.argv[1], prn=${prn}, store=False, count=int(sys.argv[2]))
print(time.time() - t)
`;
    const r = spawnSync(PYTHON, ["-c", code, PCAP, String(SCAPY_COUNT)], { maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error("scapy: " + r.stderr.toString().slice(-500));
    return Number(r.stdout.toString().trim().split("\n").pop());
  };
  scapyNoop = run("noop");
  report(`scapy sniff(prn=noop) (first ${SCAPY_COUNT} packets)`, scapyNoop, SCAPY_COUNT);
  scapyFields = run("fields");
  report(`scapy sniff(prn=fields) (first ${SCAPY_COUNT} packets)`, scapyFields, SCAPY_COUNT);
} else console.log("scapy: not installed (apt-get install python3-scapy)");

console.log("");
console.log(`no-op plugin costs ${(tNoop / plain).toFixed(2)}x the plain run; field-reading plugin ${(tFields / plain).toFixed(2)}x (target < 2x)`);
console.log(`plugin only (no lines): no-op ${(tNoopF / plain).toFixed(2)}x, fields ${(tFieldsF / plain).toFixed(2)}x the plain run`);
if (scapyNoop) {
  const pps = (n, w) => n / w;
  console.log(
    `tsniff vs scapy, packets/s: no-op ${(pps(packets, tNoopF) / pps(SCAPY_COUNT, scapyNoop)).toFixed(1)}x, fields ${(pps(packets, tFieldsF) / pps(SCAPY_COUNT, scapyFields)).toFixed(1)}x faster`,
  );
}
fs.rmSync(DIR, { recursive: true, force: true });
