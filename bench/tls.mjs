#!/usr/bin/env node
/**
 * TLS decryption throughput, tsniff against tshark on the same capture and key log: MB of TLS payload (the
 * TCP payload of the connection: records, headers included) per second of each program's run, alternating
 * tsniff/tshark then tshark/tsniff each round, output to /dev/null. Both decrypt every record: tsniff
 * `-r F --keylog K -T fields -e tls.decrypted.length` (the detail pass decrypts), tshark
 * `-r F -o tls.keylog_file:K -T fields -e tls.app_data` ... with its own field names. Prints each run's wall and
 * CPU time (time(1)) and the ratios (the goal: tsniff at least 10x tshark's MB/s).
 *
 * Also, alternating the same way: both programs on the capture's first 10 packets (their start-up: the MB/s
 * without it is MB / (run - start-up)), and the floor of any Node program on this capture: `node -e 0`, then
 * reading the file (1 MB reads into one buffer) and node:crypto alone decrypting records of the capture's lengths with its cipher suite
 * (one Decipheriv per record, as tsniff does; synthetic plaintext), timed in-process.
 *
 * The capture is made first (root: tcpdump on loopback): curl with SSLKEYLOGFILE downloads SIZE MB over
 * HTTPS (HTTP/1.1, TLS 1.3 AES-128-GCM, the default suite) from a Node https server on 127.0.0.1.
 *
 *   sudo node bench/tls.mjs [MB=64] [rounds=3] [cipher suite, e.g. TLS_CHACHA20_POLY1305_SHA256]
 *   BENCH_TLS_DIR=d: the capture and key log kept in d (reused when there)
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MB = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 3);
const suite = process.argv[4];
const bin = path.join(ROOT, "bin", "tsniff");
// BENCH_TLS_DIR=d keeps the capture and key log in d (made there when missing, reused when present: for profiling)
const keep = process.env.BENCH_TLS_DIR;
if (keep) fs.mkdirSync(keep, { recursive: true });
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-tls-"));
const pcap = path.join(dir, "tls.pcap");
const keys = path.join(dir, "tls.keys");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function need(cmd) {
  if (spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0) {
    console.error(`bench/tls.mjs: ${cmd} is needed`);
    process.exit(1);
  }
}
for (const c of ["tcpdump", "tshark", "curl", "openssl"]) need(c);

async function makeCapture() {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = `
    const https = require("node:https"); const fs = require("node:fs");
    const chunk = Buffer.alloc(1 << 20, 0x61);
    https.createServer({ cert: fs.readFileSync(${JSON.stringify(cert)}), key: fs.readFileSync(${JSON.stringify(key)}) }, (req, res) => {
      res.writeHead(200, { "content-length": ${MB} * chunk.length });
      let n = 0; const more = () => { while (n < ${MB}) { n++; if (!res.write(chunk)) return res.once("drain", more); } res.end(); }; more();
    }).listen(${port}, "127.0.0.1");`;
  const srv = spawn(process.execPath, ["-e", server], { stdio: "ignore" });
  const td = spawn("tcpdump", ["-i", "lo", "-s", "0", "-B", "65536", "-w", pcap, "tcp", "port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise((res) => td.stderr.on("data", (d) => String(d).includes("listening") && res()));
  await sleep(500);
  const args = ["-sk", "--http1.1", "--tlsv1.3", "-o", "/dev/null", `https://127.0.0.1:${port}/`, "--retry", "5", "--retry-connrefused"];
  if (suite) args.push("--tls13-ciphers", suite);
  spawnSync("curl", args, { env: { ...process.env, SSLKEYLOGFILE: keys }, stdio: "ignore" });
  await sleep(500);
  td.kill("SIGINT");
  srv.kill();
  await new Promise((r) => td.on("exit", r));
  const st = spawnSync("tcpdump", ["-r", pcap], { stdio: ["ignore", "ignore", "pipe"] }).stderr.toString();
  if (/dropped|truncated/i.test(st)) console.error("tcpdump: " + st.trim());
}

const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
function run(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = TIME ? spawnSync(TIME, ["-f", "@cpu %U %S", cmd, ...args], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 }) : spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  const m = /@cpu ([\d.]+) ([\d.]+)/.exec(String(r.stderr));
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

if (!(keep && fs.existsSync(pcap) && fs.existsSync(keys))) await makeCapture();
// the TLS payload: every TCP payload byte of the connection (records with their headers)
const lens = spawnSync("tshark", ["-r", pcap, "-T", "fields", "-e", "tcp.len"], { maxBuffer: 1 << 28 }).stdout.toString().split("\n");
const payloadMB = lens.reduce((a, l) => a + (Number(l) || 0), 0) / 1e6;
const ours = [process.execPath, [bin, "-r", pcap, "--keylog", keys, "-T", "fields", "-e", "tls.decrypted.length"]];
const theirs = ["tshark", ["-r", pcap, "-o", `tls.keylog_file:${keys}`, "-T", "fields", "-e", "tls.app_data_proto"]];
// both decrypted something (a check, not timed): the records tsniff decrypted and tshark's plaintext count
const dec = spawnSync(process.execPath, [bin, "-r", pcap, "--keylog", keys, "-Y", "tls.decrypted.length", "-T", "fields", "-e", "frame.number"], { maxBuffer: 1 << 28 }).stdout.toString().split("\n").filter(Boolean).length;
const tdec = spawnSync("tshark", ["-r", pcap, "-o", `tls.keylog_file:${keys}`, "-Y", "http", "-T", "fields", "-e", "frame.number"], { maxBuffer: 1 << 28 }).stdout.toString().split("\n").filter(Boolean).length;
console.log(`capture: ${(fs.statSync(pcap).size / 1e6).toFixed(1)} MB, TLS payload ${payloadMB.toFixed(1)} MB${suite ? ", " + suite : ""}; frames with decrypted records: tsniff ${dec}, tshark frames with HTTP ${tdec}`);
console.log(`${rounds} rounds, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
// the first 10 packets: each program's start-up with the same options
const head = path.join(dir, "head.pcap");
spawnSync("tcpdump", ["-r", pcap, "-c", "10", "-w", head], { stdio: "ignore" });
const withFile = (argv, f) => argv.map((a) => (a === pcap ? f : a));
// the floor: record lengths and cipher suite from tshark, node:crypto alone on records of those lengths
const recLens = spawnSync("tshark", ["-r", pcap, "-o", `tls.keylog_file:${keys}`, "-Y", "tls.app_data", "-T", "fields", "-e", "tls.record.length"], { maxBuffer: 1 << 28 })
  .stdout.toString()
  .split(/[\n,]/)
  .map(Number)
  .filter((n) => n > 17);
const suiteId = spawnSync("tshark", ["-r", pcap, "-Y", "tls.handshake.type == 2", "-T", "fields", "-e", "tls.handshake.ciphersuite"]).stdout.toString().trim();
const cipher = { "0x1301": "aes-128-gcm", "0x1302": "aes-256-gcm", "0x1303": "chacha20-poly1305" }[suiteId] ?? "aes-128-gcm";
const floorScript = `
  const crypto = require("node:crypto"); const fs = require("node:fs");
  const lens = ${JSON.stringify(recLens)}; const cipher = ${JSON.stringify(cipher)};
  const key = crypto.createSecretKey(crypto.randomBytes(cipher === "aes-128-gcm" ? 16 : 32)); const iv = crypto.randomBytes(12);
  const recs = lens.map((l) => { const c = crypto.createCipheriv(cipher, key, iv); c.setAAD(Buffer.of(23, 3, 3, l >> 8, l & 255));
    return Buffer.concat([c.update(Buffer.alloc(l - 16, 0x61)), c.final(), c.getAuthTag()]); });
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  let t0 = cpu(); const fd = fs.openSync(${JSON.stringify(pcap)}, "r"); const rb = Buffer.allocUnsafe(1 << 20);
  while (fs.readSync(fd, rb, 0, rb.length, null) > 0); fs.closeSync(fd); const read = cpu() - t0;
  t0 = cpu();
  for (let i = 0; i < recs.length; i++) { const b = recs[i]; const d = crypto.createDecipheriv(cipher, key, iv);
    d.setAAD(Buffer.of(23, 3, 3, lens[i] >> 8, lens[i] & 255)); d.setAuthTag(b.subarray(b.length - 16)); d.update(b.subarray(0, b.length - 16)); d.final(); }
  process.stdout.write(read + " " + (cpu() - t0));`;
const t = { tsniff: [], tshark: [], tsniffStart: [], tsharkStart: [], node: [], read: [], crypto: [] };
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ["tsniff", "tshark"] : ["tshark", "tsniff"];
  for (const who of order) {
    const [cmd, argv] = who === "tsniff" ? ours : theirs;
    t[who].push(run(cmd, argv));
    t[who + "Start"].push(run(cmd, withFile(argv, head)));
  }
  t.node.push(run(process.execPath, ["-e", "0"]));
  const f = spawnSync(process.execPath, ["-e", floorScript], { maxBuffer: 1 << 20 }).stdout.toString().split(" ").map(Number);
  t.read.push({ cpu: f[0] });
  t.crypto.push({ cpu: f[1] });
}
const best = (a, k) => Math.min(...a.map((x) => x[k]));
for (const k of ["wall", "cpu"]) {
  const a = best(t.tsniff, k);
  const b = best(t.tshark, k);
  console.log(
    `${k.padEnd(4)}: tsniff ${t.tsniff.map((x) => x[k].toFixed(2)).join("/")} s (best ${(payloadMB / a).toFixed(1)} MB/s), ` +
      `tshark ${t.tshark.map((x) => x[k].toFixed(2)).join("/")} s (best ${(payloadMB / b).toFixed(1)} MB/s): tsniff/tshark ${(b / a).toFixed(2)}x`,
  );
}
{
  const [a, b, as, bs] = [best(t.tsniff, "cpu"), best(t.tshark, "cpu"), best(t.tsniffStart, "cpu"), best(t.tsharkStart, "cpu")];
  console.log(`cpu, start-up (first 10 packets) taken off: tsniff ${as.toFixed(2)} s start, ${(payloadMB / (a - as)).toFixed(1)} MB/s; tshark ${bs.toFixed(2)} s start, ${(payloadMB / (b - bs)).toFixed(1)} MB/s: tsniff/tshark ${((b - bs) / (a - as)).toFixed(2)}x`);
  const [n, r, c] = [best(t.node, "cpu"), best(t.read, "cpu"), best(t.crypto, "cpu")];
  console.log(
    `floor: node -e 0 ${n.toFixed(2)} s + reading the file ${r.toFixed(3)} s + node:crypto alone on ${recLens.length} records (${cipher}) ${c.toFixed(3)} s ` +
      `(${((c / recLens.length) * 1e6).toFixed(1)} us a record) = ${(n + r + c).toFixed(2)} s: tshark's whole run / floor ${(b / (n + r + c)).toFixed(2)}x, without start-ups ${((b - bs) / (r + c)).toFixed(1)}x`,
  );
}
if (!keep) fs.rmSync(dir, { recursive: true, force: true });
