/**
 * End to end (tmux): keys pressed on the plain-ANSI first screen, before Ink has loaded and before the index
 * pass has ended (issue 17: the first key answered < 0.5 s). Moves in the list are answered by the first screen
 * itself; any other key, and a move beyond the packets it read, wait for Ink, which reads them next. Whatever
 * answered them, the screen must end as Ink's screen ends for the same keys pressed after it was up: each
 * case runs twice, keys at the first screen, and keys once Ink is up with the first screen turned off
 * (TSNIFF_TUI_NO_FIRST_SCREEN), and the two screens are compared whole.
 *
 * The capture: http.pcap's 41 packets written 400 times over (16,400 packets, ~3.6 MB), so the index pass
 * is still going when the keys come and PgDn leaves the first screen's few pages.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { HTTP, TMUX, Tui } from "./tmux-helper.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-first-keys-"));
const FILE = path.join(tmp, "http-x400.pcap");
{
  const b = fs.readFileSync(HTTP);
  const recs = b.subarray(24);
  fs.writeFileSync(FILE, Buffer.concat([b.subarray(0, 24), ...Array.from({ length: 400 }, () => recs)]));
}
const TOTAL = "16,400";

let tuis: Tui[] = [];
afterEach(() => {
  for (const t of tuis) t.stop();
  tuis = [];
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The screen after `keys`: sent as soon as the first screen shows (early) or once Ink is up without it. */
async function screenAfter(keys: string[], early: boolean, hold = 0): Promise<string> {
  const tui = new Tui();
  tuis.push(tui);
  const trace = path.join(tmp, `trace-${tuis.length}-${Date.now()}`);
  tui.start(["--tui", "-r", FILE], 160, 45, early ? `TSNIFF_TUI_TRACE='${trace}' TSNIFF_TUI_FIRST_SCREEN_HOLD=${hold}` : "TSNIFF_TUI_NO_FIRST_SCREEN=1");
  await tui.waitFor(early ? /^\s+1 0\.000000 /m : /q quit {2}\? help/, 30_000);
  if (!early) await tui.waitFor(new RegExp(`shown ${TOTAL} / ${TOTAL}`), 60_000);
  await tui.keys(...keys);
  // Ink is up, every key read, the index done: the screen settles
  await tui.waitFor(new RegExp(`q quit {2}\\? help[^\\n]*\\n.*shown ${TOTAL} / ${TOTAL}`), 60_000);
  let last = "";
  for (let same = 0; same < 3; ) {
    await new Promise((r) => setTimeout(r, 300));
    const s = tui.screen();
    same = s === last ? same + 1 : 0;
    last = s;
  }
  if (early) answered = Number(/(\d+) keys answered on it/.exec(fs.readFileSync(trace, "utf8"))?.[1] ?? -1);
  return last;
}
/** keys the first screen answered (TSNIFF_TUI_TRACE), in the last early run */
let answered = -1;

describe.skipIf(!TMUX)("tsniff --tui: keys on the first screen (issue 17)", () => {
  // [name, keys, how many the first screen answers when it stays up until they have all come]
  for (const [name, keys, own] of [
    ["moves within the first screen's packets", ["j", "j", "Down", "NPage", "k", "Up", "j"], [7, 7]],
    // (the first screen reads at least 135 packets at 45 rows, as many as its reads bring: 16 a page, the 9th
    // PgDn may go beyond them, or the 20th)
    ["moves beyond them, then keys only Ink answers (Tab to the tree, its lines)", ["j", "j", "j", ...Array(20).fill("NPage"), "k", "Tab", "j", "j"], [3, 24]],
    ["g back to the top after moves, then Enter opens the detail pane", ["NPage", "NPage", "j", "g", "j", "Enter", "j"], [5, 5]],
  ] as [string, string[], [number, number]][]) {
    it(`${name}: the screen ends as Ink's does`, async () => {
      const late = await screenAfter(keys, false);
      expect(late).toMatch(/▸ Frame \d+:|▾ Frame \d+:/);
      // the first screen kept up while every key comes (all its moves answered by it), then as it comes
      expect(await screenAfter(keys, true, 3000)).toBe(late);
      expect(answered).toBeGreaterThanOrEqual(own[0]);
      expect(answered).toBeLessThanOrEqual(own[1]);
      expect(await screenAfter(keys, true)).toBe(late);
    }, 300_000);
  }
});
