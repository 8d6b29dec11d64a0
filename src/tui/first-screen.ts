/**
 * The first screen of `tsniff --tui -r FILE`, drawn with plain ANSI before Ink and React are loaded.
 *
 * Loading Ink and React and rendering their first frame takes a few hundred milliseconds; the packets can be
 * on screen before that. This reads the first chunk of the file (FileSource, the library's reader), makes the
 * list's rows with the same model and the same text layout as the Ink screen (text.ts), and draws the list
 * header, the rows, the pane separators and the status bar at the places Ink will draw them, so that Ink's
 * first frame replaces it without a jump. Detail and bytes panes stay empty until then. Keys typed meanwhile
 * wait in the terminal's input (raw mode, no echo) until Ink reads them.
 *
 * Not for live captures (nothing to show yet) nor with a capture filter (the first rows would not be the
 * filtered ones). Any failure just skips it: the Ink path reports errors as usual.
 */
import fs from "node:fs";
import os from "node:os";
import { FileSource } from "../capture/file-source.js";
import { lineSafe } from "../output/escape.js";
import { configureModel } from "./config.js";
import { CaptureRows, Model } from "./model.js";
import { indexFile, PacketFile, PacketIndex } from "./packet-index.js";
import { columns, layout, listHeader, shiftLayout, MIN_COLS, MIN_ROWS, paneLabel, splitPanes, protoColour, rowText, statusText } from "./text.js";

const SGR: Record<string, number> = {
  black: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  gray: 90,
  redBright: 91,
  greenBright: 92,
  yellowBright: 93,
  blueBright: 94,
  magentaBright: 95,
  cyanBright: 96,
  whiteBright: 97,
};

/** The screen's lines (rows - 1 of them, as Ink's layout), with ANSI styles. Exported for tests. */
export function firstScreenLines(m: Model, cols: number, rows: number): string[] {
  const L = shiftLayout(layout(rows), m.split); // the split saved in the config, as app.tsx clamps it
  m.listHeight = L.list;
  const c = columns(cols, m.columns);
  const out: string[] = [];
  const head = listHeader(c);
  out.push(`\x1b[1;4m${head.length > cols ? head.slice(0, cols - 1) + "…" : head}\x1b[0m`); // cut as Ink cuts it
  const n = Math.min(m.shownCount(), L.list);
  for (let r = 0; r < L.list; r++) {
    if (r >= n) {
      out.push("");
      continue;
    }
    const row = m.rows.row(m.packetAt(r));
    const text = rowText(row, c).slice(0, cols);
    const rc = r === m.selected ? null : m.colourOf(m.packetAt(r)); // the colouring rule's colours, as Ink draws them
    out.push(r === m.selected ? `\x1b[1;7m${text}\x1b[0m` : rc ? `\x1b[38;5;${rc.fg};48;5;${rc.bg}m${text.padEnd(cols, " ")}\x1b[0m` : `\x1b[${SGR[protoColour(row.proto)] ?? 37}m${text}\x1b[0m`);
  }
  const sep = (label: string, colour: number) => `\x1b[${colour}m${("── " + label + " ").padEnd(cols, "─").slice(0, cols)}\x1b[0m`;
  // the same split and labels as Ink's screen (app.tsx), from the tree and bytes the model has
  const tl = m.treeLines().length;
  const hexRows = Math.ceil(m.bytes.length / 16);
  const P = splitPanes(L, tl, hexRows);
  out.push(sep(paneLabel("Detail", 0, P.detail, tl), SGR.gray));
  for (let i = 0; i < P.detail; i++) out.push("");
  out.push(sep(paneLabel("Bytes", 0, P.hex, hexRows), SGR.gray));
  for (let i = 0; i < P.hex; i++) out.push("");
  out.push(""); // prompt / help line
  out.push(`\x1b[7m${statusText(m).padEnd(cols, " ").slice(0, cols)}\x1b[0m`);
  return out;
}

let restoreInstalled = false;

/** Draws the first screen of `file`; true when it did (the caller must not clear the screen before Ink draws). */
export async function drawFirstScreen(file: string): Promise<boolean> {
  const out = process.stdout;
  if (!out.isTTY || !process.stdin.isTTY) return false;
  if ((out.rows || 40) < MIN_ROWS || (out.columns || 120) < MIN_COLS) return false; // Ink says "terminal too small"
  let src: FileSource;
  try {
    src = await FileSource.open(file);
  } catch {
    return false;
  }
  const index = new PacketIndex();
  const rows = out.rows || 40;
  const want = rows; // at least the list's rows, whatever the split saved in the config
  try {
    // the first chunk only (the real index pass starts over with the Ink screen)
    await indexFile(src, index, undefined, () => index.count < want);
  } catch {
    return false;
  } finally {
    src.stop();
  }
  if (index.count === 0) return false;
  const pf = new PacketFile(file, index);
  try {
    const m = new Model(new CaptureRows(index, pf));
    m.status.mode = "file";
    m.status.name = lineSafe(file);
    configureModel(m);
    let size = 1;
    try {
      size = fs.statSync(file).size || 1;
    } catch {
      /* progress shows 0 */
    }
    m.status.progress = Math.min(1, (index.fileOff[index.count - 1] + index.caplen[index.count - 1]) / size);
    const lines = firstScreenLines(m, out.columns || 120, rows);
    if (!restoreInstalled) {
      restoreInstalled = true;
      // Should the process end before Ink takes over (an error, a signal), the terminal gets its screen and
      // line mode back. run.ts's show() calls the release hook once it has its own handlers.
      let released = false;
      const restore = () => {
        if (released) return;
        try {
          process.stdin.setRawMode?.(false);
          fs.writeSync(1, "\x1b[?25h\x1b[?1049l");
        } catch {
          /* the terminal is gone */
        }
      };
      const onSignal = (sig: NodeJS.Signals) => {
        restore();
        process.exit(128 + (os.constants.signals[sig] ?? 15));
      };
      const sigs: NodeJS.Signals[] = ["SIGTERM", "SIGHUP", "SIGINT"];
      process.once("exit", restore);
      for (const sg of sigs) process.on(sg, onSignal);
      (globalThis as { tsniffFirstScreenRelease?: () => void }).tsniffFirstScreenRelease = () => {
        released = true;
        process.off("exit", restore);
        for (const sg of sigs) process.off(sg, onSignal);
      };
    }
    process.stdin.setRawMode(true); // keys typed now wait for Ink, unechoed
    out.write("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J" + lines.join("\r\n") + "\x1b[H");
    // for TSNIFF_TUI_TRACE (run.ts writes it): when the first screen was drawn, since the process started
    const cpu = process.cpuUsage();
    (globalThis as { tsniffFirstScreen?: string }).tsniffFirstScreen = `${(process.uptime() * 1000).toFixed(0)} ms after the process started (CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`;
    return true;
  } catch {
    return false;
  } finally {
    pf.close();
  }
}
