#!/usr/bin/env node
/**
 * Process attribution's cost on the live flood of docs/BENCHMARKS.md (64-byte UDP frames replayed over a veth
 * pair, 1000 flows): tsniff -w x.pcapng without process options, with --proc on the eBPF engine and on the
 * /proc engine, and tcpdump -w for reference, alternating (two rounds). Prints CPU per packet and kernel
 * drops of each, and the difference --proc makes. Not a test: numbers go to docs/BENCHMARKS.md.
 *   sudo node bench/proc.mjs        (BENCH_LOOPS=N: N x 1000 packets per run, default 1000)
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSNIFF = [process.execPath, path.join(ROOT, "bin", "tsniff")];
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-proc-"));
const have = (c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0;
if (process.getuid?.() !== 0 || !have("tcpreplay")) {
  console.log("bench/proc: skipped (needs root and tcpreplay)");
  process.exit(0);
}
const A = `ts-proc-bench-a`,
  B = `ts-proc-bench-b`,
  IA = "tspba0",
  IB = "tspbb0";
const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
const cleanup = () => {
  spawnSync("ip", ["netns", "del", A]);
  spawnSync("ip", ["netns", "del", B]);
};
cleanup();
sh("ip", "netns", "add", A);
sh("ip", "netns", "add", B);
sh("ip", "link", "add", IA, "type", "veth", "peer", "name", IB);
sh("ip", "link", "set", IA, "netns", A);
sh("ip", "link", "set", IB, "netns", B);
sh("ip", "-n", A, "link", "set", IA, "up");
sh("ip", "-n", B, "link", "set", IB, "up");

// 1000 distinct 64-byte UDP frames between addresses of the namespaces only (as bench/run.mjs's live flood).
const frames = [];
const hdr = Buffer.alloc(24);
hdr.writeUInt32LE(0xa1b2c3d4, 0);
hdr.writeUInt16LE(2, 4);
hdr.writeUInt16LE(4, 6);
hdr.writeUInt32LE(262144, 16);
hdr.writeUInt32LE(1, 20);
frames.push(hdr);
for (let i = 0; i < 1000; i++) {
  const f = Buffer.alloc(60);
  Buffer.from("02000000aa0102000000bb010800", "hex").copy(f, 0);
  f[14] = 0x45;
  f.writeUInt16BE(46, 16);
  f[22] = 64;
  f[23] = 17;
  Buffer.from([10, 204, 0, 2, 10, 204, 0, 1]).copy(f, 26);
  f.writeUInt16BE(10000 + i, 34);
  f.writeUInt16BE(9, 36);
  f.writeUInt16BE(26, 38);
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(60, 8);
  rec.writeUInt32LE(60, 12);
  frames.push(rec, f);
}
const small = path.join(OUT, "flood.pcap");
fs.writeFileSync(small, Buffer.concat(frames));
const LOOPS = Number(process.env.BENCH_LOOPS ?? 1000);

async function one(who, argv) {
  const p = spawn("ip", ["netns", "exec", A, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  p.stderr.on("data", (d) => (err += d));
  while (!err.includes("listening on")) await new Promise((r) => setTimeout(r, 50));
  let cpu = 0;
  const tick = setInterval(() => {
    try {
      const st = fs.readFileSync(`/proc/${p.pid}/stat`, "utf8").split(") ")[1].split(" ");
      cpu = (Number(st[11]) + Number(st[12])) / 100;
    } catch {
      /* exited */
    }
  }, 50);
  spawnSync("ip", ["netns", "exec", B, "tcpreplay", "-q", "-i", IB, "--topspeed", `--loop=${LOOPS}`, small], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  const done = new Promise((r) => p.on("close", r));
  p.kill("SIGINT");
  await done;
  clearInterval(tick);
  const num = (re) => Number((re.exec(err) ?? [0, 0])[1]);
  const r = { who, captured: num(/(\d+) packets? captured/), dropped: num(/(\d+) packets? dropped by kernel/), cpu, engine: /process attribution: (.*)/.exec(err)?.[1] ?? "" };
  r.usPerPkt = (cpu / Math.max(r.captured, 1)) * 1e6;
  console.log(`${who}: captured ${r.captured}, dropped by kernel ${r.dropped}, CPU ${cpu.toFixed(2)} s = ${r.usPerPkt.toFixed(3)} us/packet ${r.engine}`);
  return r;
}

const runs = [
  ["tsniff -w (no --proc)", [...TSNIFF, "-i", IA, "-w", path.join(OUT, "off.pcapng")]],
  ["tsniff --proc eBPF", [...TSNIFF, "-i", IA, "--proc", "--proc-engine", "ebpf", "-w", path.join(OUT, "ebpf.pcapng")]],
  ["tsniff --proc /proc", [...TSNIFF, "-i", IA, "--proc", "--proc-engine", "proc", "-w", path.join(OUT, "proc.pcapng")]],
  ["tcpdump -w", ["tcpdump", "-i", IA, "-w", path.join(OUT, "d.pcap")]],
];
const res = {};
try {
  for (let round = 0; round < 2; round++) {
    for (const [who, argv] of round ? runs.slice().reverse() : runs) {
      const r = await one(who, argv);
      (res[who] ??= []).push(r);
    }
  }
} finally {
  cleanup();
  fs.rmSync(OUT, { recursive: true, force: true });
}
const best = (who) => res[who].reduce((a, b) => (a.usPerPkt <= b.usPerPkt ? a : b));
const off = best("tsniff -w (no --proc)");
console.log(`\n| run (${LOOPS * 1000} packets, best of 2) | CPU us/packet | vs no --proc | dropped by kernel |\n|---|---|---|---|`);
for (const who of Object.keys(res)) {
  const b = best(who);
  console.log(`| ${who} | ${b.usPerPkt.toFixed(3)} | ${who === "tcpdump -w" ? "" : `${(b.usPerPkt - off.usPerPkt >= 0 ? "+" : "")}${(b.usPerPkt - off.usPerPkt).toFixed(3)}`} | ${b.dropped} |`);
}
