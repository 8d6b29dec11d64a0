#!/usr/bin/env node
/**
 * TCP reassembly's cost: tsniff with reassembly on (the default) and off (--no-reassembly) on the benchmark
 * capture (bench/make-bench-pcap.sh), for -T json (the detail pass reassembles) and the one-line output (never
 * reassembles: only tcp.stream numbering runs), alternating on/off then off/on each round, output to
 * /dev/null. Prints each run's wall time and CPU time (user + system, with time(1)) and the on/off ratios (the
 * issue's bound: at most 1.25).
 *
 *   node bench/reassembly.mjs [capture] [rounds]
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = process.argv[2] ?? path.join(process.env.TMPDIR ?? os.tmpdir(), "tsniff-bench", "bench-1m.pcap");
const rounds = Number(process.argv[3] ?? 2);
if (!fs.existsSync(file)) {
  console.error(`bench/reassembly.mjs: ${file} not found (sudo bash bench/make-bench-pcap.sh makes it)`);
  process.exit(1);
}
const bin = path.join(ROOT, "bin", "tsniff");

// CPU seconds (user + system) of each run as well as its wall time, through time(1) when it is there: on a
// machine shared with other work the wall time says more about the others' load than about tsniff.
const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const cpu = [];
function run(args) {
  const t0 = process.hrtime.bigint();
  const argv = [bin, "-r", file, ...args];
  const r = TIME ? spawnSync(TIME, ["-f", "@cpu %U %S", process.execPath, ...argv], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 }) : spawnSync(process.execPath, argv, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`tsniff ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  const m = /@cpu ([\d.]+) ([\d.]+)/.exec(String(r.stderr));
  cpu.push(m ? Number(m[1]) + Number(m[2]) : NaN);
  return s;
}

const modes = [
  ["-T json", ["-T", "json"]],
  ["one-line -nn", ["-nn"]],
];
console.log(`capture ${file} (${(fs.statSync(file).size / 1e6).toFixed(0)} MB), ${rounds} rounds, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
for (const [name, args] of modes) {
  const on = [];
  const off = [];
  const onCpu = [];
  const offCpu = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      on.push(run(args));
      onCpu.push(cpu.at(-1));
      off.push(run([...args, "--no-reassembly"]));
      offCpu.push(cpu.at(-1));
    } else {
      off.push(run([...args, "--no-reassembly"]));
      offCpu.push(cpu.at(-1));
      on.push(run(args));
      onCpu.push(cpu.at(-1));
    }
  }
  const best = (a) => Math.min(...a);
  const fmt = (a) => a.map((x) => x.toFixed(2)).join("/");
  console.log(`${name.padEnd(14)} wall: on ${fmt(on)} s, off ${fmt(off)} s, best on/off ${(best(on) / best(off)).toFixed(3)}x`);
  if (TIME) console.log(`${"".padEnd(14)} cpu:  on ${fmt(onCpu)} s, off ${fmt(offCpu)} s, best on/off ${(best(onCpu) / best(offCpu)).toFixed(3)}x (target: <= 1.25x, issue #16; load ${os.loadavg()[0].toFixed(1)})`);
}
