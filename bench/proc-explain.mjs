#!/usr/bin/env node
/**
 * Where process attribution's cost goes in the live flood (docs/PROCESS.md, "Where the time goes"): the
 * flood of bench/flood.mjs with tsniff -w x.pcapng and TSNIFF_PROC_DEBUG=counters (src/proc/debug.ts) in
 * several variants, alternating: without --proc; --proc on each engine; the eBPF engine loaded but no
 * packet attributed (noattr); the eBPF engine with its ring buffer never read (nowatch); --proc without the
 * reorder window (nohold). Prints, per run, the CPU time per packet of the tsniff process only (from
 * /proc/PID/stat during the flood) and its kernel drops, and tsniff's own counters: batches and their
 * sizes, CPU in the batches (the reorder window's pass, the pipeline after it) and outside them, ring
 * buffer reads, context switches (voluntary ones are wakeups). The counters read getrusage a few times per
 * batch, which costs too: the totals of bench/proc.mjs (without them) are the figures to quote.
 *   sudo node bench/proc-explain.mjs        (BENCH_LOOPS=N: N x 1000 packets per run, default 500;
 *                                            BENCH_ROUNDS, default 2; BENCH_LOCAL=1: the flood to the
 *                                            capturing interface's address; BENCH_VARIANTS=off,ebpf,...)
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
  console.log("bench/proc-explain: skipped (needs root and tcpreplay)");
  process.exit(0);
}
const LOOPS = Number(process.env.BENCH_LOOPS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-proc-explain-"));

const ALL = {
  off: ["counters", []],
  ebpf: ["counters", ["--proc", "--proc-engine", "ebpf"]],
  proc: ["counters", ["--proc", "--proc-engine", "proc"]],
  "ebpf-noattr": ["counters,noattr", ["--proc", "--proc-engine", "ebpf"]],
  "ebpf-nowatch": ["counters,nowatch", ["--proc", "--proc-engine", "ebpf"]],
  "ebpf-nohold": ["counters,nohold", ["--proc", "--proc-engine", "ebpf"]],
};
const names = (process.env.BENCH_VARIANTS ?? "off,ebpf,proc,ebpf-noattr,ebpf-nowatch,ebpf-nohold").split(",");
const res = {};
try {
  await withFlood({ prefix: "ts-proc-explain-", ifPrefix: "tspe", dir: OUT, address: process.env.BENCH_LOCAL ? "10.204.0.1/24" : undefined }, async (run, iface) => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const who of round % 2 ? names.slice().reverse() : names) {
        const [flags, args] = ALL[who];
        const argv = ["env", `TSNIFF_PROC_DEBUG=${flags}`, ...TSNIFF, "-i", iface, ...args, "-w", path.join(OUT, "x.pcapng")];
        const r = await run(who, argv, LOOPS);
        const us = (r.cpuFlood / (LOOPS * 1000)) * 1e6;
        (res[who] ??= []).push(us);
        const debug = /proc-debug: (.*)/.exec(r.stderr)?.[1] ?? "(no counters)";
        const work = [/(eBPF: .*|\/proc read .*)/.exec(r.stderr)?.[1] ?? "", ...r.stderr.split("\n").filter((l) => l.startsWith("proc refresh"))].filter(Boolean).join("\n  ");
        console.log(`${who}: ${us.toFixed(3)} us/packet, dropped by kernel ${r.dropped}\n  ${debug}${work ? `\n  ${work}` : ""}`);
      }
    }
  });
} finally {
  fs.rmSync(OUT, { recursive: true, force: true });
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
console.log(`\nload average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; ${LOOPS * 1000} packets a run, ${ROUNDS} rounds`);
for (const who of names) console.log(`${who.padEnd(14)} best ${Math.min(...res[who]).toFixed(3)}  median ${med(res[who]).toFixed(3)} us/packet`);
