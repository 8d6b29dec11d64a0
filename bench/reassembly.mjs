#!/usr/bin/env node
/**
 * TCP reassembly's cost: tsniff with reassembly on (the default) and off (--no-reassembly) on the benchmark
 * capture (bench/make-bench-pcap.sh), for -T json (the detail pass reassembles) and the one-line output (never
 * reassembles: only tcp.stream numbering runs), alternating on/off then off/on each round, output to
 * /dev/null. Prints each run's wall time and the on/off ratio (the bound: at most 1.25).
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

function run(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, "-r", file, ...args], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`tsniff ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
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
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      on.push(run(args));
      off.push(run([...args, "--no-reassembly"]));
    } else {
      off.push(run([...args, "--no-reassembly"]));
      on.push(run(args));
    }
  }
  const best = (a) => Math.min(...a);
  console.log(`${name.padEnd(14)} on ${on.map((x) => x.toFixed(2)).join("/")} s, off ${off.map((x) => x.toFixed(2)).join("/")} s, best on/off ${(best(on) / best(off)).toFixed(3)}x`);
}
