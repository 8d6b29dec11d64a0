/**
 * End to end (tmux, exact pane lines and their colours): Wireshark's default colouring rules on the packet
 * list, compared with the rule tshark --color names for each frame of the same file; the rule shown in the
 * frame's detail tree; R turns colouring off; the user's rules from tui.json come first, and a rule that
 * does not compile is reported and left out.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { has } from "../helpers/run.js";
import { ansi256, DEFAULT_RULES, parseColour } from "../../src/tui/colouring.js";
import { HTTP, TMUX, Tui } from "./tmux-helper.js";

let tui: Tui | null = null;
afterEach(() => {
  tui?.stop();
  tui = null;
});

/** Each pane line's foreground and background (256-colour index, a basic SGR code, or "" for the default) where its text starts. */
function lineColours(escaped: string): { fg: string; bg: string }[] {
  let fg = "";
  let bg = "";
  return escaped.split("\n").map((line) => {
    const m = /^((?:\x1b\[[0-9;]*m)*)/.exec(line)!;
    for (const seq of m[1].match(/\x1b\[[0-9;]*m/g) ?? []) {
      const ps = seq.slice(2, -1).split(";").map((x) => (x === "" ? 0 : Number(x)));
      for (let i = 0; i < ps.length; i++) {
        const p = ps[i];
        if (p === 0) fg = bg = "";
        else if (p === 38 && ps[i + 1] === 5) (fg = String(ps[i + 2])), (i += 2);
        else if (p === 48 && ps[i + 1] === 5) (bg = String(ps[i + 2])), (i += 2);
        else if (p === 39) fg = "";
        else if (p === 49) bg = "";
        else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) fg = "c" + p;
        else if ((p >= 40 && p <= 47) || (p >= 100 && p <= 107)) bg = "c" + p;
      }
    }
    return { fg, bg };
  });
}

const colourOfRule = (name: string) => {
  const r = DEFAULT_RULES.find((x) => x.name === name)!;
  return { fg: String(parseColour(r.fg)), bg: String(parseColour(r.bg)) };
};

describe.skipIf(!TMUX || !has("tshark"))("tsniff --tui colouring rules (issue 17)", () => {
  it("colours rows with Wireshark's default rules, as tshark --color names them; R toggles; the rule is in the frame tree", async () => {
    const want = spawnSync("tshark", ["--color", "-r", HTTP, "-T", "fields", "-e", "frame.coloring_rule.name"], { encoding: "utf8" }).stdout.split("\n");
    expect(want[0]).toBe("HTTP");
    tui = new Tui();
    tui.start(["--tui", "-r", HTTP], 160, 45, "TERM=xterm-256color");
    await tui.ready();
    await tui.keys("j", "k"); // a redraw after the first screen
    await new Promise((r) => setTimeout(r, 500));
    const plain = tui.lines();
    const cols = lineColours(tui.tmux("capture-pane", "-p", "-e", "-t", "main"));
    // rows 2..17 (row 1 is selected: inverse); every colour from the rule tshark chose
    let checked = 0;
    for (let l = 2; l <= 17; l++) {
      const no = Number(plain[l].trim().split(/ +/)[0]);
      expect(no).toBe(l);
      expect(cols[l], `row ${no} (${want[no - 1]})`).toEqual(colourOfRule(want[no - 1]));
      checked++;
    }
    expect(checked).toBe(16);
    // the rows are padded to the width, so the colour fills the line as Wireshark's
    expect(plain[2].length).toBe(160);
    // the rule is at the end of the frame's tree
    await tui.keys("Tab", "Enter");
    const s = await tui.waitFor(/\[Coloring Rule String/);
    const lines = s.split("\n").map((l) => l.trimEnd());
    const i = lines.indexOf("    [Coloring Rule Name: HTTP]");
    expect(i).toBeGreaterThan(0);
    expect(lines[i + 1]).toBe("    [Coloring Rule String: http || tcp.port == 80 || http2]");
    expect(lines[i + 2]).toBe("▸ Ethernet II");
    // R: colouring off (the protocol's colour: TCP cyan), the tree line goes
    await tui.keys("R");
    await tui.waitFor(/^colouring off/m);
    await tui.keys("Tab", "Tab", "j", "k");
    await new Promise((r) => setTimeout(r, 500));
    const off = lineColours(tui.tmux("capture-pane", "-p", "-e", "-t", "main"));
    expect(tui.lines()[2]).toMatch(/^ {7}2 0\.000046/);
    expect(off[2]).toEqual({ fg: "c36", bg: "" });
    expect(tui.screen()).not.toContain("Coloring Rule");
    await tui.keys("R");
    await tui.waitFor(/^colouring on: 11 rules \(0 yours\)/m);
  });

  it("puts the user's rules from tui.json first and reports one that does not compile", async () => {
    tui = new Tui();
    fs.mkdirSync(path.join(tui.config, "tsniff"), { recursive: true });
    fs.writeFileSync(
      path.join(tui.config, "tsniff", "tui.json"),
      JSON.stringify({ colouring: [{ name: "Payload", filter: "tcp.len > 0", fg: "#ff0000", bg: "#000000" }, { name: "Broken", filter: "tcp.nosuch == 1", fg: "#ffffff", bg: "#000000" }] }),
    );
    tui.start(["--tui", "-r", HTTP], 160, 45, "TERM=xterm-256color");
    const s = await tui.waitFor(/^colouring rules left out: Broken \(display filter error at 1: 'tcp\.nosuch' is neither a field nor a protocol name\)/m);
    expect(s).toBeTruthy();
    await tui.keys("j", "k");
    await new Promise((r) => setTimeout(r, 500));
    const payload = spawnSync("tshark", ["-r", HTTP, "-T", "fields", "-e", "tcp.len"], { encoding: "utf8" }).stdout.split("\n");
    const tsharkRule = spawnSync("tshark", ["--color", "-r", HTTP, "-T", "fields", "-e", "frame.coloring_rule.name"], { encoding: "utf8" }).stdout.split("\n");
    const cols = lineColours(tui.tmux("capture-pane", "-p", "-e", "-t", "main"));
    const mine = { fg: String(ansi256(255, 0, 0)), bg: String(ansi256(0, 0, 0)) };
    expect(mine).toEqual({ fg: "196", bg: "16" });
    let payloads = 0;
    for (let l = 2; l <= 17; l++) {
      const has = Number(payload[l - 1]) > 0;
      payloads += has ? 1 : 0;
      expect(cols[l], `row ${l}`).toEqual(has ? mine : colourOfRule(tsharkRule[l - 1]));
    }
    expect(payloads).toBeGreaterThan(2);
  });
});
