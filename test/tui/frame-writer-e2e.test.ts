/**
 * End to end (tmux): the TUI writes only the lines of a frame that changed (src/tui/term-writer.ts, issue 17's
 * key latency). The oracle is Ink's own writing of every frame whole (TSNIFF_TUI_WRITES=ink): the same keys in
 * both, and after each key the settled screens, with their colours and styles (capture-pane -e), must be
 * equal. The keys go through the list, the tree, the hex pane, the filter prompt, a filter, the help overlay,
 * the statistics and stream views, and a resize smaller and back (a width change makes Ink clear its lines).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { HTTP, TMUX, Tui } from "./tmux-helper.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-frame-writer-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
/** each frame's bytes and write calls, from a run's TSNIFF_TUI_TRACE */
const frames = (trace: string) => [...fs.readFileSync(trace, "utf8").matchAll(/^frame bytes (\d+) writes (\d+)/gm)].map((m) => ({ bytes: Number(m[1]), writes: Number(m[2]) }));

let tuis: Tui[] = [];
afterEach(() => {
  for (const t of tuis) t.stop();
  tuis = [];
});

/** The screen with its styles, once no pass runs (a filter's, a stream's) and it has stayed the same for three reads in a row. */
async function settled(t: Tui): Promise<string> {
  let last = "";
  const end = Date.now() + 60_000;
  for (let same = 0; same < 3 && Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 150));
    const s = t.tmux("capture-pane", "-p", "-e", "-t", "main");
    same = s === last && !/Esc stops|indexing/.test(s) ? same + 1 : 0;
    last = s;
  }
  return last;
}

type Step = string[] | { resize: [number, number] } | { type: string };

/** The settled screen after each step, in one TUI run (`ink`: Ink's own writes). */
async function screens(steps: Step[], ink: boolean, trace: string): Promise<string[]> {
  const t = new Tui();
  tuis.push(t);
  t.start(["--tui", "-r", HTTP], 120, 30, `TSNIFF_TUI_TRACE='${trace}'` + (ink ? " TSNIFF_TUI_WRITES=ink" : ""));
  await t.ready();
  const out = [await settled(t)];
  for (const s of steps) {
    if (Array.isArray(s)) await t.keys(...s);
    else if ("type" in s) await t.type(s.type);
    else t.tmux("resize-window", "-t", "main", "-x", String(s.resize[0]), "-y", String(s.resize[1]));
    out.push(await settled(t));
  }
  return out;
}

describe.skipIf(!TMUX)("tsniff --tui: only changed lines written (issue 17)", () => {
  it("every screen equals Ink's own whole-frame writing, colours included", async () => {
    const steps: Step[] = [
      ["j"],
      ["j", "j", "j"],
      ["NPage"],
      ["k"],
      ["G"],
      ["g"],
      ["Tab"],
      ["j", "Enter"],
      ["j", "j"],
      ["Tab"],
      ["j"],
      ["BTab", "BTab"],
      ["/"],
      { type: "http" },
      ["Enter"],
      ["j"],
      ["?"],
      ["Escape"],
      ["c"],
      ["Tab"],
      ["Escape"],
      ["/"],
      ["Enter"],
      ["j", "j", "j"],
      ["s"],
      ["Escape"],
      { resize: [90, 20] },
      ["j"],
      { resize: [120, 30] },
      ["k"],
    ];
    const own = await screens(steps, false, path.join(tmp, "own"));
    const ink = await screens(steps, true, path.join(tmp, "ink"));
    expect(own.length).toBe(steps.length + 1);
    expect(own[0]).toMatch(/q quit/);
    for (let i = 0; i < own.length; i++) expect({ step: i, screen: own[i] }).toEqual({ step: i, screen: ink[i] });
    // the steps changed the screen (a run that drew nothing after the first frame would pass the above)
    expect(new Set(own).size).toBeGreaterThan(steps.length / 2);
    // one write a frame (Ink: three), and fewer bytes on average
    for (const t of tuis) t.stop();
    tuis = [];
    const f = frames(path.join(tmp, "own"));
    const g = frames(path.join(tmp, "ink"));
    expect(f.length).toBeGreaterThan(steps.length / 2);
    // (a frame's count includes what else was written since the last: the mouse switched on before the first,
    // Ink clearing its lines on the resize to a smaller width)
    expect(f.every((x) => x.writes <= 2)).toBe(true);
    expect(f.filter((x) => x.writes === 1).length).toBeGreaterThanOrEqual(f.length - 3);
    expect(g.some((x) => x.writes === 3)).toBe(true);
    const sum = (a: { bytes: number }[]) => a.reduce((n, x) => n + x.bytes, 0) / a.length;
    expect(sum(f)).toBeLessThan(sum(g) * 0.75);
  }, 300_000);
});
