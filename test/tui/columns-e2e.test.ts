/**
 * End to end (tmux, exact pane lines): the packet list's Wireshark-style Info column (from tshark's values on
 * the same file), the columns view (add a field column, move, delete, sort) and the config file it writes,
 * read again by the next run.
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

/** A list row as the TUI lays it out at 160 columns (No. 8, Time 12, addresses 24, Protocol 8, Length 6, Info the rest = 72). */
function listLine(no: string, time: string, src: string, dst: string, proto: string, len: string, info: string): string {
  const cut = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + "…" : s.padEnd(w, " "));
  return [no.padStart(8), cut(time, 12), cut(src, 24), cut(dst, 24), cut(proto, 8), len.padStart(6), cut(info, 72)].join(" ").trimEnd();
}

describe.skipIf(!TMUX || !has("tshark"))("tsniff --tui columns (issue 17)", () => {
  it("shows Wireshark's Info with ports for TCP rows", async () => {
    tui = new Tui();
    tui.start(["--tui", "-r", HTTP]);
    const lines = (await tui.ready()).split("\n").map((l) => l.trimEnd());
    const want = spawnSync("tshark", ["-r", HTTP, "-c", "5", "-T", "fields", "-e", "frame.number", "-e", "frame.time_relative", "-e", "ip.src", "-e", "ip.dst", "-e", "_ws.col.Protocol", "-e", "frame.len", "-e", "_ws.col.Info"], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((l) => l)
      .map((l) => l.split("\t"));
    expect(lines[0]).toBe(listLine("No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"));
    for (const [i, w] of want.entries()) {
      if (w[4] !== "TCP") continue;
      expect(lines[i + 1]).toBe(listLine(w[0], Number(w[1]).toFixed(6), w[2], w[3], w[4], w[5], w[6]));
    }
    expect(lines[1]).toContain("50206 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460");
  });

  it("adds, moves, deletes and sorts by columns, saved in $XDG_CONFIG_HOME/tsniff/tui.json for the next run", async () => {
    tui = new Tui();
    tui.start(["--tui", "-r", HTTP]);
    await tui.ready();
    await tui.keys("C");
    let s = await tui.waitFor(/^Columns of the packet list/m);
    let lines = s.split("\n").map((l) => l.trimEnd());
    expect(lines.slice(0, 9)).toEqual([
      "Columns of the packet list (saved in the config file)",
      "  #  Title                    Kind                               Sort",
      "  1  No.                      built-in",
      "  2  Time                     built-in",
      "  3  Source                   built-in",
      "  4  Destination              built-in",
      "  5  Protocol                 built-in",
      "  6  Length                   built-in",
      "  7  Info                     built-in",
    ]);
    // a field that does not exist is refused where it was typed
    await tui.keys("a");
    await tui.type("tcp.nosuch");
    await tui.keys("Enter");
    await tui.waitFor(/^add column \(field name\): tcp\.nosuch {3}unknown field: tcp\.nosuch/m);
    await tui.keys("C-u");
    await tui.type("tcp.stream");
    await tui.keys("Enter");
    s = await tui.waitFor(/^ {2}2 {2}tcp\.stream/m);
    expect(s.split("\n")[3].trimEnd()).toBe("  2  tcp.stream               field tcp.stream");
    // move it down once (after Time), then back to the list
    await tui.keys("J");
    await tui.waitFor(/^ {2}3 {2}tcp\.stream/m);
    await tui.keys("Escape");
    s = await tui.waitFor(/^ +No\. Time +tcp\.stream/m);
    lines = s.split("\n").map((l) => l.trimEnd());
    expect(lines[0]).toMatch(/^ {5}No\. Time {9}tcp\.stream Source {19}Destination {14}Protocol Length Info$/);
    expect(lines[1]).toMatch(/^ {7}1 0\.000000 {5}0 {10}10\.202\.0\.1 {15}10\.202\.0\.2 {15}TCP {10}74 50206 → 80 \[SYN\]/);
    const cfg = path.join(tui.config, "tsniff", "tui.json");
    expect(JSON.parse(fs.readFileSync(cfg, "utf8"))).toEqual({ columns: ["no", "time", "tcp.stream", "src", "dst", "proto", "len", "info"] });
    await tui.keys("q");
    await tui.waitFor(/tui exited with 0/);
    tui.stop(true);

    // the next run reads the config; sort by Length (Enter), then again descending
    tui = new Tui(tui.config);
    tui.start(["--tui", "-r", HTTP]);
    s = await tui.ready();
    expect(s.split("\n")[0]).toMatch(/^ {5}No\. Time {9}tcp\.stream Source/);
    await tui.keys("C", "j", "j", "j", "j", "j", "j", "Enter");
    await tui.waitFor(/Lengt▲/);
    await tui.keys("g");
    s = await tui.waitFor(/^ {7}3 0\.000064/m);
    lines = s.split("\n").map((l) => l.trimEnd());
    const lens = lines.slice(1, 11).map((l) => Number(l.split(/ +/)[7]));
    expect(lens.every((n, i) => i === 0 || n >= lens[i - 1])).toBe(true);
    expect(lens[0]).toBe(66);
    await tui.keys("C", "Enter");
    await tui.waitFor(/Lengt▼/);
    await tui.keys("g");
    s = await tui.waitFor(/^ {7}9 0\.082423/m);
    expect(s.split("\n")[1].trimEnd()).toMatch(/^ {7}9 0\.082423 {5}0 {10}10\.202\.0\.2 +10\.202\.0\.1 +HTTP {7}1514 HTTP\/1\.1 200 OK$/);
    // delete tcp.stream (the third column): the config follows
    await tui.keys("C", "g", "k", "k", "k", "k", "k", "k", "j", "j", "d", "Escape");
    await tui.waitFor(/^ {5}No\. Time {9}Source/m);
    expect(JSON.parse(fs.readFileSync(cfg, "utf8"))).toEqual({ columns: ["no", "time", "src", "dst", "proto", "len", "info"] });
    await tui.keys("q");
    await tui.waitFor(/tui exited with 0/);
  });
});
