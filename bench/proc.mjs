#!/usr/bin/env node
/**
 * Process attribution's cost on the live flood of docs/BENCHMARKS.md (bench/flood.mjs: 64-byte UDP frames
 * replayed over a veth pair, 1000 flows no local process owns, the worst case: every flow unknown):
 * tsniff -w x.pcapng without process options, with --proc on the eBPF engine and on the /proc engine, and
 * tcpdump -w for reference, alternating (two rounds). Prints CPU per packet and kernel drops of each, and the
 * difference --proc makes. Not a test: numbers go to docs/BENCHMARKS.md.
 *   sudo node bench/proc.mjs        (BENCH_LOOPS=N: N x 1000 packets per run, default 1000)
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withFlood } from "./flood.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSNIFF = [process.execPath, path.join(ROOT, "bin", "tsniff")];
const have = (c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0;
if (process.getuid?.() !== 0 || !have("tcpreplay")) {
  console.log("bench/proc: skipped (needs root and tcpreplay)");
  process.exit(0);
}
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-proc-"));
const LOOPS = Number(process.env.BENCH_LOOPS ?? 1000);

const runs = [
  ["tsniff -w (no --proc)", [...TSNIFF, "-i", "IFACE", "-w", path.join(OUT, "off.pcapng")]],
  ["tsniff --proc eBPF", [...TSNIFF, "-i", "IFACE", "--proc", "--proc-engine", "ebpf", "-w", path.join(OUT, "ebpf.pcapng")]],
  ["tsniff --proc /proc", [...TSNIFF, "-i", "IFACE", "--proc", "--proc-engine", "proc", "-w", path.join(OUT, "proc.pcapng")]],
  ["tcpdump -w", ["tcpdump", "-i", "IFACE", "-w", path.join(OUT, "d.pcap")]],
];
const res = {};
try {
  await withFlood({ prefix: "ts-proc-bench-", ifPrefix: "tspb", dir: OUT }, async (run, iface) => {
    for (let round = 0; round < 2; round++) {
      for (const [who, argv] of round ? runs.slice().reverse() : runs) {
        const r = await run(
          who,
          argv.map((a) => (a === "IFACE" ? iface : a)),
          LOOPS,
        );
        r.engine = /process attribution: (.*)/.exec(r.stderr)?.[1] ?? "";
        r.usPerPkt = (r.cpu / Math.max(r.captured, 1)) * 1e6;
        console.log(`${who}: captured ${r.captured}, dropped by kernel ${r.dropped}, CPU ${r.cpu.toFixed(2)} s = ${r.usPerPkt.toFixed(3)} us/packet ${r.engine}`);
        (res[who] ??= []).push(r);
      }
    }
  });
} finally {
  fs.rmSync(OUT, { recursive: true, force: true });
}
const best = (who) => res[who].reduce((a, b) => (a.usPerPkt <= b.usPerPkt ? a : b));
const off = best("tsniff -w (no --proc)");
console.log(`\n| run (${LOOPS * 1000} packets, best of 2) | CPU us/packet | vs no --proc | dropped by kernel |\n|---|---|---|---|`);
for (const who of Object.keys(res)) {
  const b = best(who);
  console.log(`| ${who} | ${b.usPerPkt.toFixed(3)} | ${who === "tcpdump -w" ? "" : `${(b.usPerPkt - off.usPerPkt >= 0 ? "+" : "")}${(b.usPerPkt - off.usPerPkt).toFixed(3)}`} | ${b.dropped} |`);
}
