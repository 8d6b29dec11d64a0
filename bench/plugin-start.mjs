#!/usr/bin/env node
/**
 * Start-up of a TypeScript plugin against the same plugin in JavaScript (issue 12): `tsniff -r` a small fixture
 * (fixtures/http/http.pcap, 41 packets) with `--script count.ts` and with `--script count.js`, the same code
 * (the .ts one with types, an interface, an enum and a type import from "tsniff"; a relative .ts import in
 * both). The two run alternately, RUNS times each (default 15), so a slow stretch of the shared machine falls on
 * both; prints the medians and the difference (the .ts transpile: esbuild's transform, loaded on first use).
 *
 *   node bench/plugin-start.mjs        RUNS=N
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSNIFF = path.join(ROOT, "bin", "tsniff");
const PCAP = path.join(ROOT, "fixtures", "http", "http.pcap");
const RUNS = Number(process.env.RUNS ?? 15);
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-plugin-start-"));
process.on("exit", () => fs.rmSync(DIR, { recursive: true, force: true }));

const write = (name, text) => fs.writeFileSync(path.join(DIR, name), text);
write("label.ts", `export function label(n: number): string {\n  return "tcp packets: " + n;\n}\n`);
write("label.js", `export function label(n) {\n  return "tcp packets: " + n;\n}\n`);
write(
  "count.ts",
  `import type { Packet, PluginContext } from "tsniff";
import { label } from "./label.js";
interface State { n: number }
enum Kind { Tcp = 1 }
export function onStart(ctx: PluginContext): void { (ctx.state as State).n = 0; }
export function onPacket(pkt: Packet, ctx: PluginContext): boolean {
  if (pkt.tcp) (ctx.state as State).n += Kind.Tcp;
  return false;
}
export function onStop(ctx: PluginContext): void { ctx.log(label((ctx.state as State).n)); }
`,
);
write(
  "count.js",
  `import { label } from "./label.js";
export function onStart(ctx) { ctx.state.n = 0; }
export function onPacket(pkt, ctx) {
  if (pkt.tcp) ctx.state.n += 1;
  return false;
}
export function onStop(ctx) { ctx.log(label(ctx.state.n)); }
`,
);

function run(script) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [TSNIFF, "-nr", PCAP, "--script", path.join(DIR, script)], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 || !/tcp packets: \d+/.test(r.stderr)) throw new Error(`${script}: ${r.stderr}`);
  return ms;
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

run("count.js"); // warm the page cache
run("count.ts");
const js = [];
const ts = [];
for (let i = 0; i < RUNS; i++) {
  if (i % 2) {
    ts.push(run("count.ts"));
    js.push(run("count.js"));
  } else {
    js.push(run("count.js"));
    ts.push(run("count.ts"));
  }
}
const diffs = ts.map((t, i) => t - js[i]);
console.log(`plugin start-up, ${RUNS} alternating runs each (tsniff -nr ${path.relative(ROOT, PCAP)} --script count.{js,ts}):`);
console.log(`  .js median ${median(js).toFixed(0)} ms (min ${Math.min(...js).toFixed(0)})`);
console.log(`  .ts median ${median(ts).toFixed(0)} ms (min ${Math.min(...ts).toFixed(0)})`);
console.log(`  .ts - .js: median of the pairs ${median(diffs).toFixed(0)} ms (target: at most 300 ms)`);
