/**
 * End to end (tmux): go to packet (:), find (Ctrl-F: display filter, hex bytes, text; n repeats), marks (m, '.',
 * W saves them: read back with tshark), and copy through OSC 52 (tmux with set-clipboard on keeps what the
 * program sent in its paste buffer).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { has } from "../helpers/run.js";
import { HTTP, TMUX, Tui } from "./tmux-helper.js";

let tui: Tui | null = null;
afterEach(() => {
  tui?.stop();
  tui = null;
});

/** The line above the status bar: the prompt or the message. */
function messageLine(t: Tui): string {
  const l = t.screen().split("\n");
  let i = l.length - 1;
  while (i > 0 && !/shown \d+ \/ \d+/.test(l[i])) i--;
  return (l[i - 1] ?? "").trimEnd();
}

async function message(t: Tui, want: string): Promise<void> {
  for (let i = 0; i < 300 && messageLine(t) !== want; i++) await new Promise((r) => setTimeout(r, 50));
  expect(messageLine(t)).toBe(want);
}

/** Packet n's captured bytes, read from the classic pcap file. */
function packetBytes(file: string, n: number): Buffer {
  const b = fs.readFileSync(file);
  let o = 24;
  for (let i = 1; ; i++) {
    const cap = b.readUInt32LE(o + 8);
    if (i === n) return b.subarray(o + 16, o + 16 + cap);
    o += 16 + cap;
  }
}

describe.skipIf(!TMUX || !has("tshark"))("tsniff --tui go to, find, marks, copy (issue 17)", () => {
  it("goes to a packet, finds by filter, bytes and text, marks and saves marked packets, copies with OSC 52", async () => {
    tui = new Tui();
    tui.start(["--tui", "-r", HTTP], 120, 30);
    tui.tmux("set", "-g", "set-clipboard", "on");
    await tui.ready();
    // go to
    await tui.keys(":");
    await tui.type("20");
    await tui.keys("Enter");
    await tui.waitFor(/▸ Frame 20: /);
    await tui.keys(":");
    await tui.type("99");
    await tui.keys("Enter");
    await message(tui, "go to packet: 99   no packet 99 (1-41)");
    await tui.keys("Escape");
    // find: a display filter (the default), hex bytes (Tab), text (Tab again)
    await tui.keys("C-f");
    await message(tui, "find display filter (Tab: filter / hex / text):");
    await tui.type("http.response.code == 404");
    await tui.keys("Enter");
    await message(tui, "found filter http.response.code == 404 in packet 16");
    await tui.waitFor(/▸ Frame 16: /);
    await tui.keys("n");
    await message(tui, "found filter http.response.code == 404 in packet 16 (the only one)");
    await tui.keys("C-f", "Tab", "C-u");
    await tui.type("48 45 41 44");
    await tui.keys("Enter");
    await message(tui, "found bytes 48 45 41 44 in packet 17");
    await tui.keys("C-f", "Tab", "C-u");
    await tui.type("GET /big");
    await tui.keys("Enter");
    await message(tui, "found text GET /big in packet 8");
    await tui.keys("C-f", "C-u");
    await tui.type("no such text");
    await tui.keys("Enter");
    await message(tui, "not found: text no such text");
    // marks: packet 8 and packet 4; '.' goes from 4 to the next marked one (8)
    await tui.keys("m");
    await message(tui, "marked packet 8 (1 marked)");
    await tui.keys("g", "j", "j", "j", "m");
    await message(tui, "marked packet 4 (2 marked)");
    const s = await tui.waitFor(/^\* {6}8 /m);
    expect(s).toMatch(/^\* {6}4 0\.028568 /m);
    expect(s).toMatch(/^ {7}5 0\.028665 /m);
    await tui.keys(".");
    await tui.waitFor(/▸ Frame 8: /);
    const out = path.join(tui.config, "marked.pcap");
    await tui.keys("W", "C-u");
    await tui.type(out);
    await tui.keys("Enter");
    await message(tui, `saved 2 marked packets to ${out}`);
    const saved = spawnSync("tshark", ["-r", out, "-T", "fields", "-e", "frame.len", "-e", "_ws.col.Info"], { encoding: "utf8" }).stdout.trim().split("\n").map((l) => l.trimEnd());
    expect(saved).toEqual(["171\tGET / HTTP/1.1", "174\tGET /big HTTP/1.1"]);
    // copy: the packet's hex (Y in the list), then a field's value (y in the tree)
    await tui.keys("g", "Y");
    await message(tui, "copied 74 bytes as hex (OSC 52)");
    expect(tui.tmux("show-buffer")).toBe(packetBytes(HTTP, 1).toString("hex"));
    await tui.keys("Tab", "j", "Enter", "j", "y");
    await message(tui, "copied eth.dst (OSC 52)");
    const dst = spawnSync("tshark", ["-r", HTTP, "-c", "1", "-T", "fields", "-e", "eth.dst"], { encoding: "utf8" }).stdout.trim();
    expect(tui.tmux("show-buffer")).toBe(dst);
    await tui.keys("Y");
    await message(tui, "copied 6 bytes as hex (OSC 52)");
    expect(tui.tmux("show-buffer")).toBe(dst.replace(/:/g, ""));
    await tui.keys("q");
    await tui.waitFor(/tui exited with 0/);
  });
});
