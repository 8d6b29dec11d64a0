#!/usr/bin/env node
/**
 * Stored packets against packets read inside the callback (issue 14, defect 5), on the first N packets
 * (default 100000) of the benchmark capture (bench/bench-pcap.mjs):
 *   - callback: sniff({ store: false, prn }) reading p.dns?.qryName, p.tcp?.flags, p.udp?.dstport in prn;
 *   - stored: rdpcap (sniff with count, store: true) first, then the same reads over the array (timed
 *     apart: reading, and reading + the read of the file);
 *   - the kept-packet cost (defect 2): sniff with a no-op prn (the batch lease copies each batch once at its
 *     end) against capture()'s clones, and the bytes the lease copied;
 * and scapy (Debian's python3-scapy) doing the same over its first SCAPY_COUNT packets (default 20000):
 * rdpcap, then the loop over the list, against sniff(prn=...) with the reads in prn. Runs alternate; each
 * figure is the best of RUNS (default 3), heap growth of the stored read reported (RSS after - before).
 *
 *   node bench/stored.mjs        BENCH_PCAP=file  N=100000  SCAPY_COUNT=20000  RUNS=3  PYTHON=/usr/bin/python3
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchPcap } from "./bench-pcap.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PCAP = benchPcap("bench/stored", process.argv[2]);
const N = Number(process.env.N ?? 100000);
const SCAPY_COUNT = Number(process.env.SCAPY_COUNT ?? 20000);
const RUNS = Number(process.env.RUNS ?? 3);
const PYTHON = process.env.PYTHON ?? "/usr/bin/python3";
const LIB = path.join(ROOT, "dist", "index.js");

/** One measurement in a fresh process (no JIT or heap carried over); prints one JSON line. */
const node = (mode) => `
const { sniff, capture } = await import(${JSON.stringify(LIB)});
const file = ${JSON.stringify(PCAP)}, N = ${N};
let h = 0;
const read = (p) => { const d = p.dns; if (d?.qryName) h ^= d.qryName.length; const t = p.tcp; if (t) h ^= t.flags; const u = p.udp; if (u) h ^= u.dstport; };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
let out;
if (${JSON.stringify(mode)} === "callback") {
  const c0 = cpu();
  await sniff({ offline: file, count: N, store: false, prn: read });
  out = { cpu: cpu() - c0 };
} else if (${JSON.stringify(mode)} === "stored") {
  const c0 = cpu();
  const pk = await sniff({ offline: file, count: N });
  const c1 = cpu();
  const rss0 = process.memoryUsage().rss;
  for (const p of pk) read(p);
  out = { cpu: cpu() - c0, readCpu: cpu() - c1, rssGrowthMB: (process.memoryUsage().rss - rss0) / 1048576, n: pk.length };
} else if (${JSON.stringify(mode)} === "noop") {
  const c0 = cpu();
  await sniff({ offline: file, count: N, store: false, prn: () => {} });
  out = { cpu: cpu() - c0 };
} else {
  const c0 = cpu();
  let n = 0;
  for await (const p of capture({ offline: file, count: N })) n++;
  out = { cpu: cpu() - c0 };
}
console.log(JSON.stringify({ ...out, h }));`;

const scapy = (mode) => `
import time, resource
from scapy.all import rdpcap, sniff, DNS, TCP, UDP
h = 0
def read(p):
    global h
    if DNS in p and p[DNS].qd is not None:
        h ^= len(p[DNS].qd.qname)
    if TCP in p:
        h ^= int(p[TCP].flags)
    if UDP in p:
        h ^= p[UDP].dport
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0 = cpu()
if "${mode}" == "stored":
    pk = rdpcap(${JSON.stringify(PCAP)}, count=${SCAPY_COUNT})
    c1 = cpu()
    for p in pk:
        read(p)
    print('{"cpu": %f, "readCpu": %f}' % (cpu() - c0, cpu() - c1))
else:
    sniff(offline=${JSON.stringify(PCAP)}, count=${SCAPY_COUNT}, store=False, prn=read)
    print('{"cpu": %f}' % (cpu() - c0))
`;

function run(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${argv.slice(0, 2).join(" ")}: exit ${r.status}: ${r.stderr.slice(-400)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}
const hasScapy = spawnSync(PYTHON, ["-c", "import scapy"]).status === 0;
const best = {};
const keep = (k, v) => {
  const b = best[k];
  if (!b || v.cpu < b.cpu) best[k] = v;
};
for (let i = 0; i < RUNS; i++) {
  for (const m of ["callback", "stored", "noop", "capture"]) keep(m, run([process.execPath, "--input-type=module", "-e", node(m)]));
  if (hasScapy) for (const m of ["callback", "stored"]) keep("scapy-" + m, run([PYTHON, "-c", scapy(m)]));
}
const f = (x) => x.toFixed(3);
console.log(`stored-packet field access, ${N} packets of ${path.basename(PCAP)} (best of ${RUNS}, CPU seconds)`);
console.log(`  tsniff in the callback (sniff prn):        ${f(best.callback.cpu)} s`);
console.log(`  tsniff stored (read + access):             ${f(best.stored.cpu)} s   access alone ${f(best.stored.readCpu)} s, RSS +${best.stored.rssGrowthMB.toFixed(1)} MB`);
console.log(`  stored / callback:                         ${(best.stored.cpu / best.callback.cpu).toFixed(2)}x (goal: within 2x)`);
console.log(`  sniff no-op prn (batch lease):             ${f(best.noop.cpu)} s   capture() clones: ${f(best.capture.cpu)} s`);
if (hasScapy) {
  const per = (x, n) => (x / n) * 1e6;
  console.log(`  scapy (${SCAPY_COUNT} packets) callback ${f(best["scapy-callback"].cpu)} s, stored ${f(best["scapy-stored"].cpu)} s (access alone ${f(best["scapy-stored"].readCpu)} s)`);
  console.log(`  per packet: tsniff stored ${per(best.stored.cpu, N).toFixed(2)} us, scapy stored ${per(best["scapy-stored"].cpu, SCAPY_COUNT).toFixed(2)} us: scapy/tsniff ${(per(best["scapy-stored"].cpu, SCAPY_COUNT) / per(best.stored.cpu, N)).toFixed(1)}x`);
}
