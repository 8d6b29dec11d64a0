#!/usr/bin/env node
/**
 * Building and sending packets: tsniff's builder + sendp against scapy's, on the same veth, in the same run.
 *
 *   sudo node bench/craft.mjs            (npm run build first; BENCH_N=100000 packets, BENCH_ROUNDS=2)
 *
 * Each side builds N distinct UDP packets (Ether/IP/UDP/32-byte payload, the source port varying) and sends
 * them with sendp on one end of a veth pair between two namespaces (ts-craft-bench-*, removed at the end);
 * the other end is a plain kernel that drops them. Both run in a fresh process, alternately, best of ROUNDS;
 * each program times its own build+send (packets/s, without start-up and imports); the process's wall and CPU
 * (user + sys, start-up included) come from /usr/bin/time. tsniff is also timed building only (no send), and
 * sending one prebuilt packet N times (count=N: one pcap_inject per frame, one N-API call per 1024 frames).
 * scapy is Debian's /usr/bin/python3's (2.5 here); without it the bench says so and times tsniff alone.
 * Results: a Markdown table on stdout; docs/BENCHMARKS.md ("Building and sending packets") records a run.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env.BENCH_N || 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);
const A = "ts-craft-bench-a",
  B = "ts-craft-bench-b",
  IFA = "vcbencha",
  IFB = "vcbenchb";
const PY = "/usr/bin/python3";
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-craft-bench-"));

if (process.getuid?.() !== 0) {
  console.error("craft bench: run it as root (it makes network namespaces and sends on a veth)");
  process.exit(1);
}
if (!fs.existsSync(path.join(ROOT, "dist", "index.js"))) {
  console.error("craft bench: build first (npm run build)");
  process.exit(1);
}

function ip(...args) {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}
function destroy() {
  spawnSync("ip", ["netns", "del", A]);
  spawnSync("ip", ["netns", "del", B]);
  spawnSync("ip", ["link", "del", IFA]);
}

destroy();
ip("netns", "add", A);
ip("netns", "add", B);
ip("link", "add", IFA, "type", "veth", "peer", "name", IFB);
ip("link", "set", IFA, "netns", A);
ip("link", "set", IFB, "netns", B);
ip("-n", A, "addr", "add", "10.208.0.1/24", "dev", IFA);
ip("-n", B, "addr", "add", "10.208.0.2/24", "dev", IFB);
for (const [ns, dev] of [
  [A, IFA],
  [B, IFB],
])
  ip("-n", ns, "link", "set", dev, "up");
const macA = /link\/ether ([0-9a-f:]+)/.exec(spawnSync("ip", ["-n", A, "link", "show", IFA], { encoding: "utf8" }).stdout)[1];
const macB = /link\/ether ([0-9a-f:]+)/.exec(spawnSync("ip", ["-n", B, "link", "show", IFB], { encoding: "utf8" }).stdout)[1];

const tsScript = (mode) => `
const t = await import(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
const N = ${N}, payload = new Uint8Array(32).fill(0x61);
const eth = t.Ether({ src: "${macA}", dst: "${macB}" }), ip = t.IP({ src: "10.208.0.1", dst: "10.208.0.2" }), raw = t.Raw(payload);
let sent = 0;
const t0 = performance.now();
if (${JSON.stringify(mode)} === "count") {
  sent = await t.sendp(eth.over(ip).over(t.UDP({ sport: 1024, dport: 9 })).over(raw), { iface: "${IFA}", count: N });
} else {
  const pkts = new Array(N);
  for (let i = 0; i < N; i++) pkts[i] = t.stack(eth, ip, t.UDP({ sport: 1024 + (i % 60000), dport: 9 }), raw);
  if (${JSON.stringify(mode)} === "build") { let n = 0; for (const p of pkts) n += p.bytes().length; sent = n > 0 ? N : 0; }
  else sent = await t.sendp(pkts, { iface: "${IFA}" });
}
if (sent !== N) { console.error("sent " + sent + " of " + N); process.exit(1); }
console.log(JSON.stringify({ inner: (performance.now() - t0) / 1000 }));
`;
const pyScript = `
import json, time
from scapy.all import Ether, IP, UDP, Raw, sendp, conf
conf.verb = 0
N = ${N}
t0 = time.perf_counter()
pkts = [Ether(src="${macA}", dst="${macB}")/IP(src="10.208.0.1", dst="10.208.0.2")/UDP(sport=1024 + (i % 60000), dport=9)/Raw(b"a" * 32) for i in range(N)]
sendp(pkts, iface="${IFA}", verbose=0)
print(json.dumps({"inner": time.perf_counter() - t0}))
`;
const tsFile = (m) => {
  const f = path.join(OUT, `ts-${m}.mjs`);
  fs.writeFileSync(f, tsScript(m));
  return f;
};
const pyFile = path.join(OUT, "bench_scapy_sendp.py"); // not scapy.py: that would shadow the module
fs.writeFileSync(pyFile, pyScript);
const hasScapy = spawnSync(PY, ["-c", "import scapy.all"], { stdio: "ignore" }).status === 0;

/** One run in namespace A: wall and CPU seconds from /usr/bin/time. */
function timed(argv) {
  const r = spawnSync("ip", ["netns", "exec", A, "/usr/bin/time", "-f", "%e %U %S %M", ...argv], { encoding: "utf8", maxBuffer: 1 << 26 });
  const last = r.stderr.trim().split("\n").pop() ?? "";
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.trim().slice(0, 500)}`);
  const [wall, user, sys, rss] = last.split(" ").map(Number);
  const inner = JSON.parse(r.stdout.trim().split("\n").pop()).inner;
  return { wall, cpu: user + sys, rssMB: rss / 1024, inner };
}
const best = (a, x) => (!a || x.inner < a.inner ? x : a);

let tsSend, tsBuild, tsCount, py;
try {
  for (let i = 0; i < ROUNDS; i++) {
    tsSend = best(tsSend, timed([process.execPath, tsFile("send")]));
    if (hasScapy) py = best(py, timed([PY, pyFile]));
    tsBuild = best(tsBuild, timed([process.execPath, tsFile("build")]));
    tsCount = best(tsCount, timed([process.execPath, tsFile("count")]));
  }
} finally {
  destroy();
  fs.rmSync(OUT, { recursive: true, force: true });
}

const pps = (r) => Math.round(N / r.inner).toLocaleString("en-US");
const line = (name, r) => `| ${name} | ${r.inner.toFixed(2)} | ${pps(r)} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.rssMB.toFixed(0)} |`;
console.log(`Building and sending ${N.toLocaleString("en-US")} UDP packets on a veth (best of ${ROUNDS}, alternating; ${os.loadavg()[0].toFixed(1)} load average at the end)\n`);
console.log("| run | build+send s | packets/s | process wall s | process CPU s | max RSS MB |");
console.log("|---|---:|---:|---:|---:|---:|");
console.log(line("tsniff: build N distinct + sendp", tsSend));
if (py) console.log(line("scapy 2.5: build N distinct + sendp", py));
console.log(line("tsniff: build N distinct only", tsBuild));
console.log(line("tsniff: sendp one packet, count=N", tsCount));
if (py) console.log(`\nscapy / tsniff: packets/s ${(py.inner / tsSend.inner).toFixed(1)}x, process wall ${(py.wall / tsSend.wall).toFixed(1)}x, process CPU ${(py.cpu / tsSend.cpu).toFixed(1)}x (higher: tsniff faster)`);
else console.log("\nscapy: not found (Debian's /usr/bin/python3 has it as python3-scapy): tsniff timed alone");
