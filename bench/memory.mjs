#!/usr/bin/env node
/**
 * Issue #19's memory target: tsniff's peak RSS while printing every packet of the 1M-packet capture
 * (`tsniff -nn -r big > /dev/null`) must stay within 30 MB of a bare Node process's floor on this machine.
 * Two floors, measured in the same run, alternating with tsniff and tcpdump:
 *   - `node -e 0`: Node starting and exiting (the target's floor, as docs/BENCHMARKS.md states it);
 *   - a Node program doing the run's I/O and nothing else: it reads the file in 256 KB chunks, walks its
 *     records and writes one short text line per packet (time and length) to stdout.
 * Max RSS from /usr/bin/time (%M), median of BENCH_MEM_ROUNDS (3) rounds; a run that fails is reported, not
 * counted.
 *
 *   node bench/memory.mjs            (BENCH_PCAP=file for another capture; run.mjs offline runs it too)
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchPcap, DEFAULT_BENCH_PCAP } from "./bench-pcap.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TARGET_MB = 30;

/** The reading and writing floor: a pcap file's records walked, one line per packet written, in plain Node. */
const READER = `
const fs = require("fs");
const fd = fs.openSync(process.argv[1], "r");
const buf = Buffer.alloc(512 << 10), out = Buffer.alloc(64 << 10);
let have = fs.readSync(fd, buf, 0, buf.length, null), pos = 24, o = 0;
const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
const u32 = (p) => (le ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
for (;;) {
  if (pos + 16 > have || pos + 16 + u32(pos + 8) > have) {
    buf.copy(buf, 0, pos, have); have -= pos; pos = 0;
    const n = fs.readSync(fd, buf, have, buf.length - have, null);
    if (n === 0) break;
    have += n;
    continue;
  }
  const line = u32(pos) + "." + String(u32(pos + 4)).padStart(6, "0") + " length " + u32(pos + 12) + "\\n";
  if (o + line.length > out.length) { fs.writeSync(1, out, 0, o); o = 0; }
  o += out.latin1Write(line, o);
  pos += 16 + u32(pos + 8);
}
fs.writeSync(1, out, 0, o);
`;

function maxRss(argv) {
  const fd = fs.openSync("/dev/null", "w");
  const r = spawnSync("/usr/bin/time", ["-f", "%x %M", ...argv], { stdio: ["ignore", fd, "pipe"], env: { ...process.env, TZ: "UTC" } });
  fs.closeSync(fd);
  const [status, kb] = (r.stderr.toString().trim().split("\n").pop() ?? "").split(" ").map(Number);
  return r.status === 0 && status === 0 ? kb / 1024 : NaN;
}

const median = (xs) => {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return v.length ? v[(v.length - 1) >> 1] : NaN;
};

/** Measures, prints, and returns the rows for run.mjs's table. */
export function memory(pcap, rounds = Number(process.env.BENCH_MEM_ROUNDS ?? 3)) {
  const runs = {
    tsniff: [process.execPath, path.join(ROOT, "bin", "tsniff"), "-nn", "-r", pcap],
    "node -e 0": [process.execPath, "-e", "0"],
    "node reading and writing": [process.execPath, "-e", READER, pcap],
    tcpdump: ["tcpdump", "-nn", "-r", pcap],
  };
  const got = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) for (const [k, argv] of Object.entries(runs)) got[k].push(maxRss(argv));
  const m = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, median(v)]));
  const load = os.loadavg()[0].toFixed(1);
  for (const [k, v] of Object.entries(got)) console.log(`memory: ${k}: max RSS ${v.map((x) => (Number.isNaN(x) ? "failed" : x.toFixed(1))).join(", ")} MB (median ${m[k].toFixed(1)})`);
  const over = m.tsniff - m["node -e 0"];
  const overIo = m.tsniff - m["node reading and writing"];
  const verdict = over <= TARGET_MB ? "met" : "NOT met";
  console.log(
    `memory: tsniff -nn -r (1M packets) ${m.tsniff.toFixed(1)} MB = +${over.toFixed(1)} MB over node -e 0 (${m["node -e 0"].toFixed(1)} MB): target at most +${TARGET_MB} MB: ${verdict}; +${overIo.toFixed(1)} MB over a Node process reading the file and writing a line a packet (${m["node reading and writing"].toFixed(1)} MB); tcpdump ${m.tcpdump.toFixed(1)} MB; load ${load}`,
  );
  return [
    {
      name: "max RSS printing every packet (-nn -r big), above a bare Node's (node -e 0)",
      ours: { wall: NaN, rssMB: m.tsniff, extra: `${m.tsniff.toFixed(1)} MB, +${over.toFixed(1)} MB` },
      theirs: { wall: NaN, rssMB: m["node -e 0"], extra: `node -e 0 ${m["node -e 0"].toFixed(1)} MB; reading+writing Node ${m["node reading and writing"].toFixed(1)} MB; tcpdump ${m.tcpdump.toFixed(1)} MB` },
      who: "node",
      ratio: NaN,
      note: `(target: at most +${TARGET_MB} MB: ${verdict}; load ${load})`,
    },
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const pcap = process.env.BENCH_PCAP || DEFAULT_BENCH_PCAP;
  if (!process.env.BENCH_PCAP) benchPcap("bench");
  spawnSync("cat", [pcap], { stdio: ["ignore", "ignore", "ignore"] }); // page cache warm
  memory(pcap);
}
