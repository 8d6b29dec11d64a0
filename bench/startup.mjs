#!/usr/bin/env node
/**
 * Start-up cost (issue #19): `tsniff -nn -r` of a 10-packet file against a bare `node -e 0` and tcpdump, run
 * alternately (one of each per round), medians of the rounds. CPU is the child's user + system time read by
 * bash's `times` (millisecond resolution, unlike /usr/bin/time's 10 ms); wall is measured around the spawn.
 * The target: tsniff at most ~20 ms (CPU and wall) above `node -e 0`. The load average is printed: at a load
 * of 10 and more every figure is inflated several times, only the differences of alternating runs mean much.
 *
 *   node bench/startup.mjs [rounds] [--snapshot] [--eager]   (default 21 rounds)
 *   BENCH_STARTUP_VARIANTS='{"name": ["argv", ...]}' node bench/startup.mjs   adds commands to compare
 *     (the 10-packet file is appended to each variant's argv)
 *
 * --eager also measures the CLI's script with every protocol module loaded up front (TSNIFF_LAZY=0: no lazy
 * registration, as before session 10).
 * --snapshot also measures a V8 start-up snapshot of the initialised CLI (Node 20's `--build-snapshot`: the
 * CLI script's top level, i.e. every module and registry, run inside the snapshot; main() run by the
 * deserialised main function) and an empty snapshot (Node's own start from a user blob), both built here in a
 * temporary directory. Kept as a measurement, not used by bin/tsniff: see docs/BENCHMARKS.md (issue #19,
 * session 9) for why.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const SNAPSHOT = args.includes("--snapshot");
const EAGER = args.includes("--eager");
const ROUNDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 21);
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-startup-"));
const TEN = path.join(OUT, "ten.pcap");

// The first 10 packets of the HTTP fixture (an Ethernet/IPv4/TCP capture), cut with our own library-free reader:
// a pcap header (24 bytes), then records of 16-byte headers.
{
  const src = fs.readFileSync(path.join(ROOT, "fixtures", "http", "http.pcap"));
  const le = src.readUInt32LE(0) === 0xa1b2c3d4 || src.readUInt32LE(0) === 0xa1b23c4d;
  let p = 24;
  for (let i = 0; i < 10 && p + 16 <= src.length; i++) p += 16 + (le ? src.readUInt32LE(p + 8) : src.readUInt32BE(p + 8));
  fs.writeFileSync(TEN, src.subarray(0, p));
}

/** One run: CPU (user + sys of the child, ms) and wall (ms), output to /dev/null. A leading "NAME=value" is set in its environment. */
function run(argv) {
  const t0 = process.hrtime.bigint();
  const set = /^([A-Z_]+)=(.*)$/.exec(argv[0]);
  if (set) argv = argv.slice(1);
  const r = spawnSync("bash", ["-c", '"$@" >/dev/null 2>&1; s=$?; times; exit $s', "bench", ...argv], { encoding: "latin1", env: { ...process.env, TZ: "UTC", ...(set ? { [set[1]]: set[2] } : {}) } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  // `times`: the shell's own line, then its children's: "0m0.012s 0m0.004s"
  const kids = r.stdout.trim().split("\n").pop() ?? "";
  const ms = [...kids.matchAll(/(\d+)m([\d.]+)s/g)].reduce((a, m) => a + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
  return { cpu: ms, wall, status: r.status };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const variants = {
  tsniff: [process.execPath, path.join(ROOT, "bin", "tsniff"), "-nn", "-r", TEN],
  "node -e 0": [process.execPath, "-e", "0"],
  ...(EAGER ? { "tsniff, all up front": ["TSNIFF_LAZY=0", process.execPath, path.join(ROOT, "bin", "tsniff"), "-nn", "-r", TEN] } : {}),
  ...(spawnSync("tcpdump", ["--version"]).status === 0 ? { tcpdump: ["tcpdump", "-nn", "-r", TEN] } : {}),
};
for (const [name, argv] of Object.entries(JSON.parse(process.env.BENCH_STARTUP_VARIANTS || "{}"))) variants[name] = [...argv, TEN];
if (SNAPSHOT) Object.assign(variants, snapshots());

/**
 * Builds the two snapshot blobs in OUT and returns their variants. The CLI's blob: dist/clib/main.vm.js's
 * function (scripts/bundle.mjs) run at build time with the builder's require (built-ins only: the bundle needs
 * no other), its import() calls given Node's default loader at run time; main() with the command's arguments.
 */
function snapshots() {
  const file = path.join(ROOT, "dist", "clib", "main.vm.js");
  const src = fs.readFileSync(file, "latin1");
  const url = pathToFileURL(file).href;
  const entry = `"use strict";
const fn = ${src.slice(src.indexOf("\n") + 1)};
const m = { exports: {} };
const url = ${JSON.stringify(url)};
let imp = null;
const dynamicImport = (spec) => {
  const vm = require("node:vm");
  imp ??= new vm.Script("(s) => import(s)", { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }).runInThisContext();
  return imp(typeof spec === "string" && spec.startsWith(".") ? new URL(spec, url).href : spec);
};
fn.call(m.exports, m.exports, require, m, ${JSON.stringify(file)}, ${JSON.stringify(path.dirname(file))}, url, dynamicImport);
require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {
  process.on("SIGUSR1", () => {});
  process.on("SIGUSR2", () => {});
  globalThis[Symbol.for("tsniff.cli")] = m.exports;
  m.exports.main(process.argv.slice(1)).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write("tsniff: internal error: " + (e && e.message ? e.message : e) + "\\n"); process.exitCode = 2; });
});
`;
  const out = {};
  for (const [name, text] of [
    ["snapshot: tsniff", entry],
    ["snapshot: empty", 'require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {});\n'],
  ]) {
    const js = path.join(OUT, `${name.replace(/\W+/g, "-")}.cjs`);
    const blob = js.replace(/\.cjs$/, ".blob");
    fs.writeFileSync(js, text);
    const b = spawnSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", js], { cwd: OUT, encoding: "latin1" });
    if (b.status !== 0) {
      console.error(`bench/startup: ${name} not built: ${(b.stderr || "").trim().split("\n").pop()}`);
      continue;
    }
    console.log(`${name}: blob ${(fs.statSync(blob).size / 1048576).toFixed(1)} MB`);
    out[name] = [process.execPath, "--snapshot-blob", blob, "--", "-nn", "-r"];
  }
  // The CLI's blob must print what bin/tsniff prints
  if (out["snapshot: tsniff"]) {
    const a = spawnSync(out["snapshot: tsniff"][0], [...out["snapshot: tsniff"].slice(1), TEN], { encoding: "latin1", env: { ...process.env, TZ: "UTC" } });
    const b = spawnSync(process.execPath, [path.join(ROOT, "bin", "tsniff"), "-nn", "-r", TEN], { encoding: "latin1", env: { ...process.env, TZ: "UTC" } });
    console.log(`snapshot: tsniff output ${a.status === 0 && a.stdout === b.stdout ? "equal to bin/tsniff's" : "DIFFERS from bin/tsniff's"}`);
  }
  return out;
}

const check = run(variants.tsniff);
if (check.status !== 0) {
  console.error(`bench/startup: tsniff failed (exit ${check.status}): npm run build first`);
  process.exit(1);
}
const load0 = os.loadavg();
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, { cpu: [], wall: [] }]));
for (let i = 0; i < ROUNDS; i++) {
  for (const [k, argv] of Object.entries(variants)) {
    const r = run(argv);
    res[k].cpu.push(r.cpu);
    res[k].wall.push(r.wall);
  }
}
const load1 = os.loadavg();
fs.rmSync(OUT, { recursive: true, force: true });

const fmt = (x) => x.toFixed(0).padStart(5);
console.log(`start-up, -nn -r a 10-packet file; ${ROUNDS} alternating rounds; load average ${load0[0].toFixed(1)} -> ${load1[0].toFixed(1)} (node ${process.version})`);
console.log(`${"".padEnd(22)}  CPU median (min)   wall median (min), ms`);
for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(22)} ${fmt(median(v.cpu))} (${fmt(Math.min(...v.cpu))})     ${fmt(median(v.wall))} (${fmt(Math.min(...v.wall))})`);
const base = res["node -e 0"];
for (const [k, v] of Object.entries(res)) {
  if (k === "node -e 0" || k === "tcpdump") continue;
  const dc = median(v.cpu) - median(base.cpu),
    dw = median(v.wall) - median(base.wall);
  console.log(`${k} over node -e 0: CPU +${dc.toFixed(0)} ms, wall +${dw.toFixed(0)} ms (target: at most +20 ms each: ${dc <= 20 && dw <= 20 ? "met" : "not met"})`);
}
