/** --script plugins: loading (TypeScript without a build), ctx, dropping, async order, errors, live queue drops. */
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/index.js";
import { spawn, type ChildProcess } from "node:child_process";
import { collect, CORPUS, ROOT, tsniff, tsniffBg, TSNIFF } from "../helpers/run.js";

const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");
const DNS = path.join(ROOT, "fixtures", "dns", "dns-udp.pcap");
const ROOTED = process.getuid?.() === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-plugin-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}
/** Resolves when the child has printed "listening on" (plugins are loaded and the capture is open). */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) resolve();
    });
  });
}
const lines = (b: Buffer | string) => b.toString().trimEnd().split("\n").filter(Boolean);

describe("--script", () => {
  it("a TypeScript plugin importing values from \"tsniff\" gets the running CLI's own modules (one Packet class)", () => {
    const p = script(
      "same-lib.ts",
      `import { Packet, Dissector } from "tsniff";
import type { PluginContext } from "tsniff";
let same = 0;
let other = 0;
export function onPacket(pkt: Packet) {
  if (pkt instanceof Packet) same++;
  else other++;
}
export function onStop(ctx: PluginContext) {
  ctx.log("instances", same, other, typeof Dissector);
}
`,
    );
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const n = lines(r.stdout).length;
    expect(n).toBeGreaterThan(10);
    expect(r.stderr.toString()).toContain(`instances ${n} 0 function`);
  });

  it("a TypeScript plugin loads without a build, with relative TypeScript imports and the library's types", () => {
    script("helper.ts", `export const label = (n: number): string => "seen " + n;\n`);
    const p = script(
      "count.ts",
      `import type { Packet, PluginContext } from "tsniff";
import { label } from "./helper.js";
interface S { n: number }
export function onStart(ctx: PluginContext) { (ctx.state as S).n = 0; ctx.log("start"); }
export function onPacket(pkt: Packet, ctx: PluginContext) { (ctx.state as S).n++; }
export function onStop(ctx: PluginContext) { ctx.log(label((ctx.state as S).n), ctx.stats().packets); }
`,
    );
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status).toBe(0);
    const err = lines(r.stderr);
    expect(err).toContain("[count] start");
    expect(err).toContain("[count] seen 41 41");
    expect(lines(r.stdout).length).toBe(41);
  });

  it("false drops a packet from printing and -w; plugins run in order; a JS plugin loads as it is", async () => {
    const a = script("no-udp.mjs", `export function onPacket(p) { if (p.udp) return false; }\n`);
    const b = script("only-ipv4-tcp.ts", `export const onPacket = (p: any, ctx: any) => { ctx.state.n = (ctx.state.n ?? 0) + 1; return !!p.tcp; };\nexport function onStop(ctx: any) { ctx.log(ctx.state.n ?? 0); }\n`);
    const out = path.join(dir, "kept.pcap");
    const r = tsniff(["-r", DNS, "--script", a, "--script", b, "-w", out, "--print"]);
    expect(r.status).toBe(0);
    // dns-udp.pcap: UDP only: the first plugin drops all, the second never sees a packet.
    expect(r.stdout.toString()).toBe("");
    expect(lines(r.stderr)).toContain("[only-ipv4-tcp] 0");
    expect((await readPcap(out)).length).toBe(0);
    const r2 = tsniff(["-r", HTTP, "--script", a, "-w", out, "--print"]);
    expect(lines(r2.stdout).length).toBe(41);
    expect((await readPcap(out)).length).toBe(41);
  });

  it("a returned Promise is awaited in order; output keeps the capture's order", () => {
    const p = script(
      "slow.ts",
      `export async function onPacket(pkt: any) {
  await new Promise((r) => setTimeout(r, pkt.frame % 3));
  return pkt.frame % 2 === 0;
}\n`,
    );
    const all = lines(tsniff(["-r", HTTP]).stdout);
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)).toEqual(all.filter((_, i) => (i + 1) % 2 === 0));
    // -c counts the packets the plugins pass.
    const c = tsniff(["-r", HTTP, "-c", "3", "--script", p]);
    expect(lines(c.stdout)).toEqual(all.filter((_, i) => (i + 1) % 2 === 0).slice(0, 3));
  });

  it("a plugin that throws is reported once, keeps receiving packets, and is disabled after 100 errors", () => {
    const p = script(
      "bad.ts",
      `export function onPacket(pkt: any, ctx: any) {
  ctx.state.n = (ctx.state.n ?? 0) + 1;
  if (pkt.frame === 2 || pkt.frame > 5) throw new Error("boom " + pkt.frame);
}
export function onStop(ctx: any) { ctx.log("calls", ctx.state.n); }\n`,
    );
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status).toBe(1); // a plugin failed (errors.test.ts)
    const err = lines(r.stderr);
    expect(err.filter((l) => l.includes("boom"))).toEqual([`tsniff: plugin bad: error at packet 2: boom 2 (${p}:3:47) (further errors of this plugin are counted, not shown)`]);
    expect(err).toContain("[bad] calls 41");
    expect(lines(r.stdout).length).toBe(41);

    const q = script("rejects.ts", `export async function onPacket(pkt: any, ctx: any) { ctx.state.n = (ctx.state.n ?? 0) + 1; throw new Error("no " + pkt.frame); }\nexport function onStop(ctx: any) { ctx.log("calls", ctx.state.n); }\n`);
    const many = tsniff(["-r", path.join(CORPUS, "mptcp-v0.pcap"), "--script", q]);
    const e2 = lines(many.stderr);
    expect(e2).toContain(`tsniff: plugin rejects: error at packet 1: no 1 (${q}:1:98) (further errors of this plugin are counted, not shown)`);
    expect(e2).toContain("tsniff: plugin rejects disabled after 100 errors (last at packet 100: no 100)");
    expect(e2).toContain("[rejects] calls 100");
  });

  it("ctx.stop() ends the capture; ctx.openWriter/ctx.write save chosen packets", async () => {
    const out = path.join(dir, "chosen.pcap");
    const p = script(
      "stopper.ts",
      `export function onStart(ctx: any) { ctx.openWriter(${JSON.stringify(out)}); }
export function onPacket(pkt: any, ctx: any) { if (pkt.http?.method) ctx.write(pkt); if (pkt.frame === 20) ctx.stop(); return false; }\n`,
    );
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status).toBe(0);
    const saved = await readPcap(out);
    expect(saved.map((s) => s.http?.method)).toEqual(["GET", "GET", "POST", "GET", "HEAD"]);
  });

  it("load errors are one line and exit 1", () => {
    const missing = tsniff(["-r", HTTP, "--script", path.join(dir, "nope.ts")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.toString()).toMatch(/^tsniff: .*nope\.ts: No such file or directory\n$/);
    const bad = script("syntax.ts", `export function onPacket( {\n`);
    const r = tsniff(["-r", HTTP, "--script", bad]);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.toString()).toMatch(/syntax\.ts.*cannot load plugin|syntax\.ts:\d+:\d+/);
    const none = script("empty.mjs", `export const x = 1;\n`);
    expect(tsniff(["-r", HTTP, "--script", none]).stderr.toString()).toMatch(/exports onStart, onPacket or onStop/);
  });

  it.skipIf(!ROOTED)("live: a slow plugin never blocks capture: packets beyond the queue are dropped by tsniff and reported", async () => {
    const port = 46000 + (process.pid % 1000);
    const p = script("sluggish.ts", `export async function onPacket(pkt: any) { await new Promise((r) => setTimeout(r, 50)); }\n`);
    const child = tsniffBg(["-i", "lo", "-q", "--script", p, `udp dst port ${port}`]);
    const done = collect(child);
    await listening(child);
    await new Promise((r) => setTimeout(r, 300));
    const sock = dgram.createSocket("udp4");
    for (let i = 0; i < 100; i++) sock.send(Buffer.from("x" + i), port, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 1500));
    sock.close();
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(0);
    // The default queue holds them all: every packet is printed (late), none dropped.
    expect(r.stderr).toMatch(/^100 packets captured$/m);
    expect(r.stderr).toMatch(/^0 packets dropped by tsniff$/m);
    expect(lines(r.stdout).length).toBe(100);
  });

  it.skipIf(!ROOTED)("live with a small queue: the drops are counted in the exit summary", async () => {
    const port = 45000 + (process.pid % 1000);
    const p = script("sluggish2.ts", `export async function onPacket() { await new Promise((r) => setTimeout(r, 100)); }\n`);
    const child = spawn(process.execPath, [TSNIFF, "-i", "lo", "--script", p, `udp dst port ${port}`], {
      env: { ...process.env, TZ: "UTC", TSNIFF_PLUGIN_QUEUE: "5" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const done = collect(child);
    await listening(child);
    await new Promise((r) => setTimeout(r, 300));
    const sock = dgram.createSocket("udp4");
    for (let i = 0; i < 100; i++) sock.send(Buffer.from("x" + i), port, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 1000));
    sock.close();
    child.kill("SIGINT");
    const r = await done;
    const m = /^(\d+) packets dropped by tsniff$/m.exec(r.stderr);
    expect(m).not.toBeNull();
    const dropped = Number(m![1]);
    expect(dropped).toBeGreaterThan(50);
    expect(lines(r.stdout).length + dropped).toBe(100);
  });
});
