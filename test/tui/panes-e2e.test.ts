/**
 * End to end (tmux, exact pane lines): z maximises the focused pane (Tab switches which, z again brings all
 * three back); + and - move the split between the list and the detail / bytes panes, clamped at the edges.
 * At 160x45 the layout gives the list 17 rows, the detail 14 and the bytes 8 (39 rows between the status,
 * prompt, header and separator lines); the hex lines are checked against tcpdump -xx's bytes.
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

const sep = (label: string) => ("── " + label + " ").padEnd(160, "─");

/** Packet 1's hex lines as the bytes pane lays them out, from tcpdump -xx. */
function hexLines(): string[] {
  const out = spawnSync("tcpdump", ["-r", HTTP, "-c", "1", "-xx", "-nn"], { encoding: "utf8" }).stdout;
  const hex = out
    .split("\n")
    .filter((l) => /^\s+0x/.test(l))
    .map((l) => l.replace(/^\s+0x[0-9a-f]+:\s+/, "").replace(/\s+/g, ""))
    .join("");
  const b = hex.match(/../g)!.map((x) => parseInt(x, 16));
  const lines: string[] = [];
  for (let o = 0; o < b.length; o += 16) {
    const row = b.slice(o, o + 16);
    const h = row.map((x) => x.toString(16).padStart(2, "0"));
    const hx = (h.slice(0, 8).join(" ") + (h.length > 8 ? "  " + h.slice(8).join(" ") : "")).padEnd(48, " ");
    lines.push(`${o.toString(16).padStart(4, "0")}  ${hx}  ${row.map((x) => (x > 0x20 && x < 0x7f ? String.fromCharCode(x) : ".")).join("")}`);
  }
  return lines;
}

describe.skipIf(!TMUX || !has("tcpdump"))("tsniff --tui pane maximise and resize (issue 17)", () => {
  it("z maximises the focused pane, + and - move the split", async () => {
    tui = new Tui();
    tui.start(["--tui", "-r", HTTP]);
    let lines = (await tui.ready()).split("\n").map((l) => l.trimEnd());
    const at = () => tui!.lines().map((l) => l.trimEnd());
    const seps = (ls: string[]) => ls.flatMap((l, i) => (l.startsWith("── ") ? [`${i} ${l.slice(3, l.indexOf(" ─"))}`] : []));
    expect(seps(lines)).toEqual(["18 Detail", "33 Bytes"]);
    await tui.keys("+", "+");
    await tui.waitFor(/^ {6}19 /m);
    expect(seps(at())).toEqual(["20 Detail", "34 Bytes"]);
    await tui.keys("-", "-", "-", "-");
    await tui.waitFor(/^── Detail/m);
    await new Promise((r) => setTimeout(r, 300));
    expect(seps(at())).toEqual(["16 Detail", "33 Bytes"]);
    // clamped at the bottom: a row each for the detail and the bytes; one - moves it back at once
    for (let i = 0; i < 30; i++) await tui.type("+");
    await tui.waitFor(/^ {6}37 /m);
    await new Promise((r) => setTimeout(r, 300));
    lines = at();
    expect(seps(lines)).toEqual(["38 Detail 1-1 of 4 ↓", "40 Bytes 1-1 of 5 ↓"]);
    expect(lines[39]).toBe("▸ Frame 1: 74 bytes on wire (592 bits), 74 bytes captured (592 bits)");
    expect(lines[41]).toBe(hexLines()[0]);
    await tui.keys("-");
    await tui.waitFor(/^── Detail 1-2 of 4/m);
    expect(seps(at())).toEqual(["37 Detail 1-2 of 4 ↓", "40 Bytes 1-1 of 5 ↓"]);

    // z: the list alone, 41 rows (every packet), then the help and status lines
    await tui.keys("z");
    await tui.waitFor(/^ {6}41 /m);
    lines = at();
    expect(seps(lines)).toEqual([]);
    expect(lines[0]).toMatch(/^ {5}No\. Time/);
    expect(lines.slice(1, 42).map((l) => Number(l.trim().split(/ +/)[0]))).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(lines[42]).toMatch(/^q quit {2}\? help/);
    expect(lines[43]).toMatch(/http\.pcap \| shown 41 \/ 41$/);
    // Tab while maximised: the detail alone
    await tui.keys("Tab");
    await tui.waitFor(/^── Detail {2}\(z: all panes\)/m);
    lines = at();
    expect(lines[0]).toBe(sep("Detail  (z: all panes)"));
    expect(lines.slice(1, 6)).toEqual([
      "▸ Frame 1: 74 bytes on wire (592 bits), 74 bytes captured (592 bits)",
      "▸ Ethernet II",
      "▸ Internet Protocol Version 4",
      "▸ Transmission Control Protocol",
      "",
    ]);
    expect(lines[42]).toMatch(/^q quit {2}\? help/);
    // and the bytes alone
    await tui.keys("Tab");
    await tui.waitFor(/^── Bytes {2}\(z: all panes\)/m);
    lines = at();
    expect(lines[0]).toBe(sep("Bytes  (z: all panes)"));
    const want = hexLines();
    expect(want.length).toBe(5);
    expect(lines.slice(1, 1 + want.length)).toEqual(want);
    expect(lines[1 + want.length]).toBe("");
    // z again: the three panes, the split kept
    await tui.keys("z");
    await tui.waitFor(/^── Detail 1-2/m);
    expect(seps(at())).toEqual(["37 Detail 1-2 of 4 ↓", "40 Bytes 1-1 of 5 ↓"]);
  });

  it("the split is saved in tui.json and the next start (first screen and Ink's) has it", async () => {
    tui = new Tui();
    tui.start(["--tui", "-r", HTTP]);
    await tui.ready();
    const at = () => tui!.lines().map((l) => l.trimEnd());
    const seps = (ls: string[]) => ls.flatMap((l, i) => (l.startsWith("── ") ? [`${i} ${l.slice(3, l.indexOf(" ─"))}`] : []));
    await tui.keys("+", "+", "+");
    await tui.waitFor(/^ {6}20 /m);
    expect(seps(at())).toEqual(["21 Detail", "35 Bytes"]);
    expect(JSON.parse(fs.readFileSync(path.join(tui.config, "tsniff", "tui.json"), "utf8"))).toEqual({ split: 3 });
    await tui.keys("q");
    await tui.waitFor(/tui exited with 0/);
    const config = tui.config;
    tui.stop(true);
    tui = new Tui(config);
    tui.start(["--tui", "-r", HTTP]);
    // the plain first screen (no help line yet) already has the split
    const first = (await tui.waitFor(/^── Detail/m)).split("\n").map((l) => l.trimEnd());
    expect(seps(first)[0]).toBe("21 Detail");
    const lines = (await tui.ready()).split("\n").map((l) => l.trimEnd());
    expect(seps(lines)).toEqual(["21 Detail", "35 Bytes"]);
    expect(lines.slice(1, 21).map((l) => Number(l.trim().split(/ +/)[0]))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
