/**
 * Packet comments from plugins (ctx.comment) into pcapng -w files, and ctx.trigger for the flight recorder,
 * over fixture files (no capture rights needed): checked with tshark's frame.comment and capinfos.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { has, ROOT, sh, tsniff } from "../helpers/run.js";
import { PcapngWriter } from "../../src/capture/pcapng-writer.js";

const DNS = path.join(ROOT, "fixtures", "dns", "dns-udp.pcap");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-comments-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const d = has("tshark") && has("capinfos") && has("mergecap") ? describe : describe.skip;

function plugin(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

/** [frame.number, frame.comment] of every packet, by tshark. */
function comments(file: string): string[][] {
  const r = sh("tshark", ["-r", file, "-T", "fields", "-e", "frame.number", "-e", "frame.comment"]);
  expect(r.status, r.stderr.toString()).toBe(0);
  return r.stdout
    .toString()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"));
}

d("ctx.comment and ctx.trigger", () => {
  it("comments reach the packets' blocks; several on one packet are joined; dropped packets' comments go nowhere", () => {
    const p = plugin(
      "note.mjs",
      `export function onPacket(p, ctx) {
  if (p.frame % 3 === 0) { ctx.comment(p, "dropped " + p.frame); return false; }
  if (p.frame % 2 === 0) ctx.comment(p, "even " + p.frame);
  if (p.frame === 4) ctx.comment(p, "four: ünïcode ✓");
}\n`,
    );
    const out = path.join(dir, "notes.pcapng");
    const r = tsniff(["-r", DNS, "--script", p, "-w", out]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const rows = comments(out);
    // 26 packets, every third dropped: frames 1 2 4 5 7 8 ... renumbered 1.. in the file.
    const kept = Array.from({ length: 26 }, (_, k) => k + 1).filter((f) => f % 3 !== 0);
    expect(rows.length).toBe(kept.length);
    rows.forEach(([n, c], k) => {
      const f = kept[k];
      expect(n).toBe(String(k + 1));
      const want = [f % 2 === 0 ? `even ${f}` : "", f === 4 ? "four: ünïcode ✓" : ""].filter(Boolean).join("; ");
      expect(c ?? "", `frame ${f}`).toBe(want);
    });
    expect(r.stderr.toString()).not.toMatch(/comment/);
  });

  it("an asynchronous plugin comments before its Promise resolves; rotated pcapng files keep the comments", () => {
    const p = plugin("later.mjs", `export async function onPacket(p, ctx) { await new Promise((r) => setTimeout(r, 1)); if (p.frame <= 10) ctx.comment(p, "async " + p.frame); }\n`);
    const base = path.join(dir, "rot.pcapng");
    const r = tsniff(["-r", DNS, "--script", p, "-C", "1k", "-w", base]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const files = fs
      .readdirSync(dir)
      .filter((n) => n.startsWith("rot.pcapng"))
      .sort((x, y) => x.length - y.length || x.localeCompare(y));
    expect(files.length).toBeGreaterThan(1);
    // One tshark over the files concatenated (tshark is slow to start).
    const cat = path.join(dir, "rot-all.pcapng");
    const mc = sh("mergecap", ["-a", "-w", cat, ...files.map((n) => path.join(dir, n))]);
    expect(mc.status, mc.stderr.toString()).toBe(0);
    const all = comments(cat).map(([, c]) => c ?? "");
    expect(all.length).toBe(26);
    expect(all).toEqual(Array.from({ length: 26 }, (_, k) => (k < 10 ? `async ${k + 1}` : "")));
  });

  it("with pcap output the packets are written without comments, and tsniff says so once; without -w, once too", () => {
    const p = plugin("every.mjs", `export function onPacket(p, ctx) { ctx.comment(p, "x"); }\n`);
    const out = path.join(dir, "plain.pcap");
    const r = tsniff(["-r", DNS, "--script", p, "-w", out]);
    expect(r.status).toBe(0);
    expect(r.stderr.toString().split("\n").filter((l) => /comment/.test(l))).toEqual([
      `tsniff: packet comments need pcapng output (--pcapng or a .pcapng name); ${out} is pcap and gets the packets without them`,
    ]);
    expect(fs.readFileSync(out).readUInt32LE(0)).toBe(0xa1b2c3d4);
    const none = tsniff(["-r", DNS, "--script", p]);
    expect(none.status).toBe(0);
    expect(none.stderr.toString().split("\n").filter((l) => /comment/.test(l))).toEqual([
      "tsniff: plugin every: ctx.comment: packet comments are written only to a pcapng -w file, and none is being written",
    ]);
    expect(none.stdout.toString().trim().split("\n").length).toBe(26);
  });

  it("ctx.trigger saves the flight recorder's window with the plugin's reason; without a recorder it is said once", () => {
    const p = plugin("trig.mjs", `export function onPacket(p, ctx) { if (p.frame === 12 || p.frame === 13) ctx.trigger("saw frame " + p.frame); }\n`);
    const base = path.join(dir, "rec.pcapng");
    const r = tsniff(["-r", DNS, "--script", p, "--ring-seconds", "3600", "-w", base]);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stderr.toString()).toMatch(/flight recorder: saved \d+ packets to .*rec-1\.pcapng \(plugin trig: saw frame 12\)/);
    const info = sh("capinfos", [path.join(dir, "rec-1.pcapng")]).stdout.toString();
    expect(info).toMatch(/Capture comment:\s+tsniff flight recorder: plugin trig: saw frame 12/);
    const none = tsniff(["-r", DNS, "--script", p]);
    expect(none.status).toBe(0);
    expect(none.stderr.toString().split("\n").filter((l) => /trigger/.test(l))).toEqual([
      "tsniff: plugin trig: ctx.trigger: there is no flight recorder (--ring-seconds or --ring-mb) to save",
    ]);
  });

  it("packets keep their interface through plugins, synchronous and asynchronous, with their comments", () => {
    // A pcapng input with two interfaces of different link types (Ethernet, raw IP), alternating.
    const input = path.join(dir, "two-ifs.pcapng");
    const w = new PcapngWriter(input, { linktype: 1, describe: (k) => [{ name: "eth-x", linktype: 1 }, { name: "raw-y", linktype: 101 }][k], declare: 2 });
    const ip = Buffer.from("450000200000000040110000c0a80001c0a800020035003500" + "0c0000" + "61626364", "hex").subarray(0, 32);
    const eth = Buffer.concat([Buffer.from("0200000000020200000000010800", "hex"), ip]);
    for (let k = 0; k < 8; k++) {
      const raw = k % 2 === 1;
      const bytes = raw ? ip : eth;
      w.writeRecord(raw ? 1 : 0, raw ? 101 : 1, 1700000000 + k, 0, bytes.length, bytes.length, bytes, 0);
    }
    w.close();
    for (const mode of ["sync", "async"]) {
      const p = plugin(
        `${mode}.mjs`,
        mode === "sync"
          ? `export function onPacket(p, ctx) { ctx.comment(p, "lt " + p.linktype); }\n`
          : `export async function onPacket(p, ctx) { await null; ctx.comment(p, "lt " + p.linktype); }\n`,
      );
      const out = path.join(dir, `two-ifs-${mode}.pcapng`);
      const r = tsniff(["-r", input, "--script", p, "-w", out]);
      expect(r.status, r.stderr.toString()).toBe(0);
      const q = sh("tshark", ["-r", out, "-T", "fields", "-e", "frame.interface_name", "-e", "frame.comment"]);
      const rows = q.stdout.toString().trim().split("\n").map((l) => l.split("\t"));
      expect(rows, mode).toEqual(Array.from({ length: 8 }, (_, k) => (k % 2 ? ["raw-y", "lt 101"] : ["eth-x", "lt 1"])));
    }
  });
});
