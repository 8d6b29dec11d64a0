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
import { columns, hexLine, layout, listHeader, shiftLayout, MIN_COLS, MIN_ROWS, paneLabel, splitPanes, protoColour, rowText, statusText, treeLineText } from "./text.js";

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
  // the detail and hex panes as Ink draws them with the list focused (cut with … as Ink cuts a line)
  const cut = (t: string) => (t.length > cols ? t.slice(0, cols - 1) + "…" : t);
  const tree = m.treeLines();
  out.push(sep(paneLabel("Detail", 0, P.detail, tl), SGR.gray));
  for (let i = 0; i < P.detail; i++) {
    const l = tree[i];
    if (!l) out.push("");
    else out.push(`\x1b[${l.node.kind === "proto" ? "1;" : ""}${i === m.treeCursor ? "4" : "22"}m${cut(treeLineText(l))}\x1b[0m`);
  }
  out.push(sep(paneLabel("Bytes", 0, P.hex, hexRows), SGR.gray));
  const hl = m.highlight();
  const hs = hl ? hl.offset : -1;
  const he = hl ? hl.offset + hl.length : -1;
  for (let i = 0; i < P.hex; i++) {
    if (i >= hexRows) {
      out.push("");
      continue;
    }
    let w = 0;
    let line = "";
    for (const g of hexLine(m.bytes, i, hs, he)) {
      const t = w + g.text.length > cols ? g.text.slice(0, Math.max(0, cols - 1 - w)) + "…" : g.text;
      line += g.hl ? `\x1b[33;7m${t}\x1b[0m` : t;
      w += g.text.length;
      if (w > cols) break;
    }
    out.push(line);
  }
  out.push(""); // prompt / help line
  out.push(`\x1b[7m${statusText(m).padEnd(cols, " ").slice(0, cols)}\x1b[0m`);
  return out;
}

let restoreInstalled = false;

/** What the first screen hands to Ink's screen (run.ts): the list's place and the keys it left unread. */
export interface FirstScreenState {
  selected: number;
  top: number;
  /** the keys it did not answer, from the first of them on, as read: Ink reads them next */
  pending: Buffer;
  /** keys answered on the first screen */
  answered: number;
  /** the list's rows it has shown are [0, shownTo) (moves by line and page only: no gaps) */
  shownTo: number;
}

/**
 * The keys the first screen answers itself: moves in the list, as the model's list keys move (j k ↓ ↑, Space
 * PgDn, b PgUp, g Home), by the list's page. Any other key (and any after it) waits for Ink, which reads it
 * as if it had come then.
 */
const MOVES: [string, (sel: number, page: number) => number][] = [
  ["j", (s) => s + 1],
  ["\x1b[B", (s) => s + 1],
  ["\x1bOB", (s) => s + 1],
  ["k", (s) => s - 1],
  ["\x1b[A", (s) => s - 1],
  ["\x1bOA", (s) => s - 1],
  [" ", (s, p) => s + p],
  ["\x1b[6~", (s, p) => s + p],
  ["b", (s, p) => s - p],
  ["\x1b[5~", (s, p) => s - p],
  ["g", () => 0],
  ["\x1b[H", () => 0],
  ["\x1bOH", () => 0],
  ["\x1b[1~", () => 0],
];

/** `text` as a list of MOVES' keys, or null when it has anything else. Exported for tests. */
export function firstScreenKeys(text: string): string[] | null {
  const keys: string[] = [];
  for (let i = 0; i < text.length; ) {
    const k = MOVES.find(([seq]) => text.startsWith(seq, i));
    if (!k) return null;
    keys.push(k[0]);
    i += k[0].length;
  }
  return keys;
}

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
  const cols = out.columns || 120;
  // a few pages of the list, whatever the split saved in the config: the keys answered here move in them
  const want = rows * 3;
  let whole = true;
  try {
    // the first chunk or so (the real index pass starts over with the Ink screen)
    await indexFile(src, index, undefined, () => (index.count < want ? true : (whole = false)));
  } catch {
    return false;
  } finally {
    src.stop();
  }
  if (index.count === 0) return false;
  const pf = new PacketFile(file, index);
  let m: Model;
  let lines: string[];
  try {
    m = new Model(new CaptureRows(index, pf));
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
    m.moveTo(0, false);
    lines = firstScreenLines(m, cols, rows);
  } catch {
    pf.close();
    return false;
  }
  // Keys typed from now on: moves in the list are answered here (redrawn with plain ANSI) until Ink takes over.
  const stdin = process.stdin;
  const pending: Buffer[] = [];
  let answered = 0;
  let shownTo = 0;
  const draw = (ls: string[]) => (shownTo = Math.max(shownTo, Math.min(index.count, m.top + m.listHeight))) && out.write("\x1b[H" + ls.map((l) => l + "\x1b[K").join("\r\n") + "\x1b[H");
  const onReadable = () => {
    let chunk: Buffer | string | null;
    while ((chunk = stdin.read() as Buffer | string | null) !== null) {
      const b = typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
      if (pending.length) {
        pending.push(b);
        continue;
      }
      const keys = firstScreenKeys(b.toString("latin1"));
      if (!keys) {
        pending.push(b);
        continue;
      }
      const page = Math.max(1, m.listHeight - 1);
      let moved = false;
      for (let k = 0; k < keys.length; k++) {
        const to = MOVES.find(([seq]) => seq === keys[k])![1](m.selected, page);
        // beyond the packets read here: Ink's screen answers it (and the keys after it), with the whole index
        if (to >= index.count && !whole) {
          pending.push(Buffer.from(keys.slice(k).join(""), "latin1"));
          break;
        }
        m.moveTo(to, false);
        moved = true;
        answered++;
      }
      if (moved) {
        try {
          draw(firstScreenLines(m, cols, rows));
        } catch {
          /* Ink draws it */
        }
      }
    }
  };
  if (!restoreInstalled) {
    restoreInstalled = true;
    // Should the process end before Ink takes over (an error, a signal), the terminal gets its screen and
    // line mode back. run.ts's show() calls the release hook once it has its own handlers: it answers where
    // the list is and the keys left for Ink.
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
    (globalThis as { tsniffFirstScreenRelease?: () => FirstScreenState }).tsniffFirstScreenRelease = () => {
      released = true;
      process.off("exit", restore);
      for (const sg of sigs) process.off(sg, onSignal);
      stopKeys();
      return { selected: m.selected, top: m.top, pending: Buffer.concat(pending), answered, shownTo };
    };
  }
  // Ink's screen never came (an error opening the file...): the keys are no longer read (index.ts calls it)
  let stopped = false;
  const stopKeys = () => {
    if (stopped) return;
    stopped = true;
    stdin.off("readable", onReadable);
    onReadable(); // what came since the last event
    pf.close();
  };
  (globalThis as { tsniffFirstScreenStop?: () => void }).tsniffFirstScreenStop = () => {
    if (stopped) return;
    stopKeys();
    stdin.unref?.(); // (Ink refs it when it reads keys)
  };
  process.stdin.setRawMode(true); // keys typed now are read here, unechoed
  out.write("\x1b[?1049h\x1b[?25l\x1b[2J");
  draw(lines);
  stdin.on("readable", onReadable);
  // for TSNIFF_TUI_TRACE (run.ts writes it): when the first screen was drawn, since the process started
  const cpu = process.cpuUsage();
  (globalThis as { tsniffFirstScreen?: string }).tsniffFirstScreen = `${(process.uptime() * 1000).toFixed(0)} ms after the process started (CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`;
  return true;
}
