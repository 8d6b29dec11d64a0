/**
 * The TypeScript a .ts plugin may use (esbuild's transform, README "Library and plugins"): what runs, and the
 * one-line errors for what does not (import x = require, a type re-exported without `export type`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, expect, it } from "vitest";
import { ROOT, tsniff } from "../helpers/run.js";

const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-plugin-ts-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
function script(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}
const lines = (b: Buffer | string) => b.toString().trimEnd().split("\n").filter(Boolean);

it("enums, const enums, namespaces, parameter properties, satisfies, standard decorators, accessor and using run", () => {
  script("kinds.ts", `export const enum Proto { Tcp = 6, Udp = 17 }\nexport interface Counts { tcp: number; other: number }\n`);
  const p = script(
    "syntax.ts",
    `import type { Packet, PluginContext } from "tsniff";
import { Proto, type Counts } from "./kinds.js";
enum Label { Tcp = "tcp", Other = "other" }
namespace Fmt { export const pair = (a: string, n: number): string => a + "=" + n; }
const calls: string[] = [];
function logged<T extends (...a: any[]) => unknown>(fn: T, c: ClassMethodDecoratorContext): T {
  return function (this: unknown, ...a: any[]) { calls.push(String(c.name)); return fn.apply(this, a); } as T;
}
class Counter {
  accessor seen = 0;
  constructor(private readonly counts: Counts) {}
  @logged add(proto: number): void { this.seen++; if (proto === Proto.Tcp) this.counts.tcp++; else this.counts.other++; }
  report(): string { return Fmt.pair(Label.Tcp, this.counts.tcp) + " " + Fmt.pair(Label.Other, this.counts.other) + " seen=" + this.seen; }
}
const settings = { verbose: false } satisfies Record<string, boolean>;
let disposed = 0;
const c = new Counter({ tcp: 0, other: 0 });
export function onPacket(pkt: Packet): boolean { c.add(pkt.tcp ? Proto.Tcp : Proto.Udp); return settings.verbose; }
export function onStop(ctx: PluginContext): void {
  { using r = { [Symbol.dispose]() { disposed++; } }; void r; }
  ctx.log(c.report(), "decorated=" + calls.length, "disposed=" + disposed);
}
`,
  );
  const r = tsniff(["-nr", HTTP, "--script", p]);
  expect(r.status, r.stderr.toString()).toBe(0);
  const all = spawnSync("tcpdump", ["-nr", HTTP], { encoding: "utf8" });
  const tcp = spawnSync("tcpdump", ["-nr", HTTP, "tcp"], { encoding: "utf8" });
  const n = lines(all.stdout).length;
  const t = lines(tcp.stdout).length;
  expect(n).toBeGreaterThan(0);
  expect(r.stderr.toString()).toContain(`[syntax] tcp=${t} other=${n - t} seen=${n} decorated=${n} disposed=1`);
});

it("import x = require(...) and a type re-exported as a value give one line naming the file", () => {
  const a = script("req.ts", `import fs = require("node:fs");\nexport function onStart() { void fs; }\n`);
  const r = tsniff(["-nr", HTTP, "--script", a]);
  expect(r.status).not.toBe(0);
  expect(lines(r.stderr)).toEqual([`tsniff: ${a}: cannot load plugin: ${a}:1:1: \`import x = require(...)\` is not supported: a plugin is an ES module; use import`]);

  script("types.ts", `export interface Shape { n: number }\n`);
  const b = script("reexport.ts", `export { Shape } from "./types.js";\nexport function onPacket() {}\n`);
  const q = tsniff(["-nr", HTTP, "--script", b]);
  expect(q.status).not.toBe(0);
  expect(lines(q.stderr)).toEqual([expect.stringMatching(new RegExp(`^tsniff: .*reexport\\.ts: cannot load plugin: .*does not provide an export named 'Shape'$`))]);
});
