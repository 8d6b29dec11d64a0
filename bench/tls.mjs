#!/usr/bin/env node
/**
 * TLS decryption throughput (issue #16: "decryption throughput in MB/s of TLS payload, side by side with
 * tshark's on the same capture and key log; goal: at least 10x tshark"), measured as a rate:
 *
 * - Two captures made by the same recipe, SIZE MB and BIG x SIZE MB of HTTP body (default 64 and 256): each
 *   program's CPU time (user + sys, time(1)) on both, so that its fixed cost (Node's or tshark's start-up, JIT
 *   warm-up, dissector registration) is separated from its per-byte cost. Printed per program: the whole run
 *   on the small capture (MB/s and the tsniff/tshark ratio, the figure earlier sessions gave) and the
 *   **marginal rate**: MB/s = (TLS payload of the big capture - of the small one) / (CPU on the big one - on
 *   the small one).
 * - The same output mode for both programs (and the same field names):
 *     fields: `-T fields -e tls.app_data_proto` (HTTP/1.1 capture) or
 *             `-T fields -e http2.streamid -e http2.type` (--h2 capture): both decrypt every record, both
 *             then dissect the plaintext (HTTP, HTTP/2); tshark also reassembles the HTTP body (its default).
 *     q:      `-q` (--modes fields,q): not the same work, only each program's reading cost: neither decrypts
 *             (tshark -q without a filter reads the records and dissects nothing: the same CPU time with or
 *             without the key log; tsniff's -q prints tcpdump's quiet one-line output, which never decrypts).
 * - The floor of any Node program on the same captures, with the same two sizes: `node -e 0`, then reading the
 *   file (1 MB reads into one buffer) and node:crypto alone decrypting records of the capture's lengths with
 *   its cipher suite (one Decipheriv per record, as tsniff does; synthetic plaintext), timed in-process.
 * - Each program's start-up (the same command on the capture's first 10 packets), for reference.
 * Rounds alternate tsniff/tshark then tshark/tsniff; the best CPU time of the rounds is used, the load
 * average is printed before and after (wall times at load 15+ are noise: not used for the ratios).
 *
 * The captures (root: tcpdump on loopback, -s 0): curl with SSLKEYLOGFILE downloads SIZE MB of 'a' over
 * HTTPS from a Node server on 127.0.0.1, TLS 1.3 (the suite curl and Node choose: TLS_AES_256_GCM_SHA384,
 * or the one given), HTTP/1.1 (node:https) or, with --h2, HTTP/2 (node:http2, ALPN h2, DATA frames of up to
 * 16 KB). Node writes 16 KB TLS records (16,401 bytes with the header, tag and inner type); loopback's
 * 64 KB MTU gives TCP segments of up to ~64 KB, so about one record in four spans two segments (TCP
 * reassembly joins it). The sizes are fixed by the recipe, never chosen from the results.
 *
 *   sudo node bench/tls.mjs [MB=64] [rounds=3] [TLS 1.3 suite] [--h2] [--modes fields,q] [--big 4]
 *   BENCH_TLS_DIR=d: the captures and key logs kept in d (reused when there)
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const h2 = argv.includes("--h2");
if (h2) argv.splice(argv.indexOf("--h2"), 1);
const modes = (flag("--modes") ?? "fields").split(",");
const BIG = Number(flag("--big") ?? 4);
const MB = Number(argv[0] ?? 64);
const rounds = Number(argv[1] ?? 3);
const suite = argv[2];
const bin = path.join(ROOT, "bin", "tsniff");
const keep = process.env.BENCH_TLS_DIR;
if (keep) fs.mkdirSync(keep, { recursive: true });
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-tls-"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");

function need(cmd) {
  if (spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0) {
    console.error(`bench/tls.mjs: ${cmd} is needed`);
    process.exit(1);
  }
}
for (const c of ["tcpdump", "tshark", "curl", "openssl"]) need(c);

/** The capture of an `mb` MB download and its key log (made when missing). */
async function capture(mb) {
  const tag = `${h2 ? "h2" : "h1"}-${mb}${suite ? "-" + suite : ""}`;
  const pcap = path.join(dir, `tls-${tag}.pcap`);
  const keys = path.join(dir, `tls-${tag}.keys`);
  if (fs.existsSync(pcap) && fs.existsSync(keys)) return { pcap, keys, mb };
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  if (!fs.existsSync(cert)) spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const tls = `{ cert: fs.readFileSync(${JSON.stringify(cert)}), key: fs.readFileSync(${JSON.stringify(key)}) }`;
  const body = `const chunk = Buffer.alloc(1 << 20, 0x61);
    const send = (res) => { let n = 0; const more = () => { while (n < ${mb}) { n++; if (!res.write(chunk)) return res.once("drain", more); } res.end(); }; more(); };`;
  const server = h2
    ? `const http2 = require("node:http2"); const fs = require("node:fs"); ${body}
       http2.createSecureServer(${tls}, (req, res) => { res.writeHead(200, { "content-length": ${mb} * chunk.length }); send(res); }).listen(${port}, "127.0.0.1");`
    : `const https = require("node:https"); const fs = require("node:fs"); ${body}
       https.createServer(${tls}, (req, res) => { res.writeHead(200, { "content-length": ${mb} * chunk.length }); send(res); }).listen(${port}, "127.0.0.1");`;
  // tcpdump drops packets when the machine is loaded (a lost segment: the records after it cannot be decrypted
  // in order); the capture is made again until tcpdump reports no drop (3 tries), with a 256 MB kernel buffer
  for (let attempt = 1; ; attempt++) {
    const dropped = await captureOnce(mb, port + attempt, server.replace(/listen\(\d+/, `listen(${port + attempt}`), pcap, keys);
    if (dropped === 0) break;
    console.error(`capture of ${mb} MB: tcpdump dropped ${dropped} packets${attempt < 3 ? ", made again" : ": kept, the figures of this capture are not comparable"}`);
    if (attempt >= 3) break;
  }
  return { pcap, keys, mb };
}

async function captureOnce(mb, port, server, pcap, keys) {
  const srv = spawn(process.execPath, ["-e", server], { stdio: "ignore" });
  const part = pcap + ".part";
  const td = spawn("tcpdump", ["-i", "lo", "-s", "0", "-B", "262144", "-w", part, "tcp", "port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let tdErr = "";
  await new Promise((res) => td.stderr.on("data", (d) => (tdErr += d) && tdErr.includes("listening") && res()));
  await sleep(500);
  const args = ["-sk", h2 ? "--http2" : "--http1.1", "--tlsv1.3", "-o", "/dev/null", `https://127.0.0.1:${port}/`, "--retry", "5", "--retry-connrefused"];
  if (suite) args.push("--tls13-ciphers", suite);
  fs.rmSync(keys, { force: true });
  spawnSync("curl", args, { env: { ...process.env, SSLKEYLOGFILE: keys }, stdio: "ignore" });
  await sleep(500);
  td.kill("SIGINT");
  srv.kill();
  await new Promise((r) => td.on("exit", r));
  const st = spawnSync("tcpdump", ["-r", part], { stdio: ["ignore", "ignore", "pipe"] }).stderr.toString();
  if (/truncated/i.test(st)) console.error("tcpdump: " + st.trim());
  fs.renameSync(part, pcap);
  return Number(/(\d+) packets? dropped by kernel/.exec(tdErr)?.[1] ?? 0);
}

const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
if (!TIME) {
  console.error("bench/tls.mjs: /usr/bin/time is needed (CPU time of each run)");
  process.exit(1);
}
function run(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ["-f", "@cpu %U %S", cmd, ...args], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  const err = String(r.stderr);
  const m = /@cpu ([\d.]+) ([\d.]+)/.exec(err);
  const dec = /TLS: (\d+) records? decrypted/.exec(err);
  return { wall, cpu: Number(m[1]) + Number(m[2]), decrypted: dec ? Number(dec[1]) : 0 };
}
const tshark = (args) => spawnSync("tshark", args, { maxBuffer: 1 << 28 }).stdout.toString();

/** What a capture holds: TLS payload, records, suite; and its first 10 packets (for the start-up runs). */
function describe(c) {
  c.payloadMB = tshark(["-r", c.pcap, "-T", "fields", "-e", "tcp.len"]).split("\n").reduce((a, l) => a + (Number(l) || 0), 0) / 1e6;
  // every application record, and how many tshark decrypts (the check that both programs decrypt them all)
  c.tsharkDecrypted = tshark(["-r", c.pcap, "-o", `tls.keylog_file:${c.keys}`, "-T", "fields", "-e", "tls.app_data_proto"]).split(/[\n,]/).filter(Boolean).length;
  c.frames = tshark(["-r", c.pcap, "-T", "fields", "-e", "frame.len"]).split("\n").filter(Boolean).map(Number);
  c.recLens = tshark(["-r", c.pcap, "-o", `tls.keylog_file:${c.keys}`, "-Y", "tls.app_data", "-T", "fields", "-e", "tls.record.length"])
    .split(/[\n,]/)
    .map(Number)
    .filter((n) => n > 17);
  const suiteId = tshark(["-r", c.pcap, "-Y", "tls.handshake.type == 2", "-T", "fields", "-e", "tls.handshake.ciphersuite"]).trim();
  c.suiteId = suiteId;
  c.cipher = { "0x1301": "aes-128-gcm", "0x1302": "aes-256-gcm", "0x1303": "chacha20-poly1305" }[suiteId] ?? "aes-128-gcm";
  c.head = c.pcap.replace(/\.pcap$/, ".head.pcap");
  if (!fs.existsSync(c.head)) spawnSync("tcpdump", ["-r", c.pcap, "-c", "10", "-w", c.head], { stdio: "ignore" });
  return c;
}

/** The floor program for a capture: prints "read-seconds crypto-seconds" (CPU, in-process). */
function floorScript(c) {
  return `
  const crypto = require("node:crypto"); const fs = require("node:fs");
  const lens = ${JSON.stringify(c.recLens)}; const cipher = ${JSON.stringify(c.cipher)};
  const key = crypto.createSecretKey(crypto.randomBytes(cipher === "aes-128-gcm" ? 16 : 32)); const iv = crypto.randomBytes(12);
  const recs = lens.map((l) => { const c = crypto.createCipheriv(cipher, key, iv); c.setAAD(Buffer.of(23, 3, 3, l >> 8, l & 255));
    return Buffer.concat([c.update(Buffer.alloc(l - 16, 0x61)), c.final(), c.getAuthTag()]); });
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  let t0 = cpu(); const fd = fs.openSync(${JSON.stringify(c.pcap)}, "r"); const rb = Buffer.allocUnsafe(1 << 20);
  while (fs.readSync(fd, rb, 0, rb.length, null) > 0); fs.closeSync(fd); const read = cpu() - t0;
  t0 = cpu();
  for (let i = 0; i < recs.length; i++) { const b = recs[i]; const d = crypto.createDecipheriv(cipher, key, iv);
    d.setAAD(Buffer.of(23, 3, 3, lens[i] >> 8, lens[i] & 255)); d.setAuthTag(b.subarray(b.length - 16)); d.update(b.subarray(0, b.length - 16)); d.final(); }
  process.stdout.write(read + " " + (cpu() - t0));`;
}

const MODES = {
  fields: {
    title: h2 ? "-T fields -e http2.streamid -e http2.type" : "-T fields -e tls.app_data_proto",
    args: h2 ? ["-T", "fields", "-e", "http2.streamid", "-e", "http2.type"] : ["-T", "fields", "-e", "tls.app_data_proto"],
    note: "both decrypt every record and dissect the plaintext",
  },
  q: {
    title: "-q",
    args: ["-q"],
    note: "not the same work, shown as each program's reading cost: neither decrypts; tshark -q with no filter reads the records without dissecting them, tsniff -q prints tcpdump's quiet lines",
  },
};
for (const m of modes) if (!MODES[m]) throw new Error(`unknown mode ${m} (fields, q)`);
const ours = (c, m, f = c.pcap) => [process.execPath, [bin, "-r", f, "--keylog", c.keys, ...MODES[m].args]];
const theirs = (c, m, f = c.pcap) => ["tshark", ["-r", f, "-o", `tls.keylog_file:${c.keys}`, ...MODES[m].args]];

const loadBefore = load();
const caps = [describe(await capture(MB))];
if (BIG > 1) caps.push(describe(await capture(MB * BIG)));
for (const c of caps) {
  const big = c.frames.filter((n) => n > 16 * 1024).length;
  console.log(
    `capture ${path.basename(c.pcap)}: ${(fs.statSync(c.pcap).size / 1e6).toFixed(1)} MB file, ${c.payloadMB.toFixed(1)} MB of TLS payload (TCP payload of the connection), ` +
      `${c.frames.length} frames (${big} over 16 KB, largest ${Math.max(...c.frames)} B), ${c.recLens.length} application records ` +
      `(${c.recLens.filter((l) => l === 16401).length} of 16401 B; tshark decrypts ${c.tsharkDecrypted} application-data records), cipher suite ${c.suiteId} (${c.cipher}), ${h2 ? "HTTP/2" : "HTTP/1.1"}`,
  );
}
console.log(`${rounds} rounds, modes ${modes.join(", ")}, load average ${loadBefore}`);

// t[key] = [runs]; key = who|mode|size or floor|size
const t = {};
const put = (k, v) => (t[k] ??= []).push(v);
for (let i = 0; i < rounds; i++) {
  for (const m of modes)
    for (const c of caps) {
      const order = i % 2 === 0 ? ["tsniff", "tshark"] : ["tshark", "tsniff"];
      for (const who of order) {
        const [cmd, args] = who === "tsniff" ? ours(c, m) : theirs(c, m);
        put(`${who}|${m}|${c.mb}`, run(cmd, args));
        if (c === caps[0]) {
          const [hc, ha] = who === "tsniff" ? ours(c, m, c.head) : theirs(c, m, c.head);
          put(`${who}|${m}|start`, run(hc, ha));
        }
      }
    }
  put("node", run(process.execPath, ["-e", "0"]));
  for (const c of caps) {
    const f = spawnSync(process.execPath, ["-e", floorScript(c)], { maxBuffer: 1 << 20 }).stdout.toString().split(" ").map(Number);
    put(`floor|${c.mb}`, { read: f[0], crypto: f[1], cpu: f[0] + f[1] });
  }
}
const best = (k, f = "cpu") => Math.min(...t[k].map((x) => x[f]));
const list = (k) => t[k].map((x) => x.cpu.toFixed(2)).join("/");
const [S, L] = caps;
const node0 = best("node");
const floorAt = (c) => node0 + best(`floor|${c.mb}`);
console.log(
  `floor (node -e 0 ${node0.toFixed(2)} s + reading the file + node:crypto alone on the records): ` +
    caps.map((c) => `${c.mb} MB: read ${best(`floor|${c.mb}`, "read").toFixed(3)} s + crypto ${best(`floor|${c.mb}`, "crypto").toFixed(3)} s (${((best(`floor|${c.mb}`, "crypto") / c.recLens.length) * 1e6).toFixed(1)} us a record) = ${floorAt(c).toFixed(2)} s`).join("; "),
);
const marginal = (c1, c2, a, b) => (c2.payloadMB - c1.payloadMB) / (b - a);
const floorMarg = L ? marginal(S, L, best(`floor|${S.mb}`), best(`floor|${L.mb}`)) : NaN;
const summary = [];
for (const m of modes) {
  console.log(`\nmode ${m}: ${MODES[m].title} (both programs; ${MODES[m].note})`);
  for (const c of caps) {
    const a = best(`tsniff|${m}|${c.mb}`);
    const b = best(`tshark|${m}|${c.mb}`);
    const dec = Math.max(...t[`tsniff|${m}|${c.mb}`].map((x) => x.decrypted));
    console.log(
      `  ${String(c.mb).padStart(4)} MB capture (${c.payloadMB.toFixed(1)} MB TLS payload), CPU s: tsniff ${list(`tsniff|${m}|${c.mb}`)} (best ${(c.payloadMB / a).toFixed(1)} MB/s, ${dec} records decrypted), ` +
        `tshark ${list(`tshark|${m}|${c.mb}`)} (best ${(c.payloadMB / b).toFixed(1)} MB/s): whole run tsniff/tshark ${(b / a).toFixed(2)}x; ` +
        (m === "fields" && dec < c.recLens.length ? `WARNING: tsniff decrypted fewer records than the capture's ${c.recLens.length}; ` : "") +
        `wall best tsniff ${best(`tsniff|${m}|${c.mb}`, "wall").toFixed(2)} s, tshark ${best(`tshark|${m}|${c.mb}`, "wall").toFixed(2)} s`,
    );
  }
  const [as, bs] = [best(`tsniff|${m}|start`), best(`tshark|${m}|start`)];
  console.log(`  start-up (the same command on the first 10 packets): tsniff ${as.toFixed(2)} s, tshark ${bs.toFixed(2)} s CPU`);
  const whole = best(`tshark|${m}|${S.mb}`) / best(`tsniff|${m}|${S.mb}`);
  let marg = NaN;
  if (L) {
    const ma = marginal(S, L, best(`tsniff|${m}|${S.mb}`), best(`tsniff|${m}|${L.mb}`));
    const mb = marginal(S, L, best(`tshark|${m}|${S.mb}`), best(`tshark|${m}|${L.mb}`));
    marg = ma / mb;
    console.log(
      `  marginal rate (${L.mb} MB capture minus ${S.mb} MB: ${(L.payloadMB - S.payloadMB).toFixed(1)} MB over the CPU time difference): ` +
        `tsniff ${ma.toFixed(1)} MB/s, tshark ${mb.toFixed(1)} MB/s: tsniff/tshark ${marg.toFixed(2)}x; the floor's ${floorMarg.toFixed(1)} MB/s (tsniff at ${((ma / floorMarg) * 100).toFixed(0)}% of it)`,
    );
  }
  console.log(`  tshark's whole run / the floor's on the ${S.mb} MB capture: ${(best(`tshark|${m}|${S.mb}`) / floorAt(S)).toFixed(2)}x`);
  summary.push(`${m}: whole run ${whole.toFixed(2)}x` + (L ? `, marginal ${marg.toFixed(2)}x` : ""));
}
console.log(`\nissue #16 target, decryption throughput tsniff >= 10x tshark (CPU, ${h2 ? "HTTP/2" : "HTTP/1.1"} capture): ${summary.join("; ")}  [load average before ${loadBefore}, after ${load()}]`);
if (!keep) fs.rmSync(dir, { recursive: true, force: true });
