/**
 * What the TUI writes to the terminal for Ink's frames: only the lines that changed, in one write.
 *
 * Ink (its standard log-update) writes every frame as "begin synchronized update", then the erasure of the
 * previous frame's lines (erase line, cursor up, ... once per line), the whole new frame, and "end
 * synchronized update": three writes, the whole screen redrawn for a status line's progress or a moved
 * selection. (Ink's own incrementalRendering option writes changed lines only, but misplaces a frame that
 * ends with a newline, as a full-screen one does: the status line is written again below itself.)
 *
 * FrameWriter takes the writes Ink makes and answers what to send instead. A frame is recognised only in
 * exactly that shape (each line's styles closed at its end, no cursor movement inside, as Ink makes them) and
 * with as many lines as the frame before it; the changed lines are then rewritten in place (cursor up/down
 * from where Ink left the cursor, carriage return, erase the line as Ink does, the line) and the cursor is left where
 * Ink's own writing leaves it (at the start of the line below the frame), so that any write of Ink's that is
 * passed through as it is (the first frame, a resize's clear, a frame of another height) still lands where
 * Ink means it to. Anything not recognised goes out unchanged and makes the next frame a whole one.
 */

/** Ink's "begin / end synchronized update" around each frame it writes (ink/build/write-synchronized.js) */
export const SYNC_BEGIN = "\x1b[?2026h";
export const SYNC_END = "\x1b[?2026l";

/** ansi-escapes' eraseLines(n): n times erase line, cursor up between them, then cursor to column 1 */
const ERASE = /^(?:\x1b\[2K\x1b\[1A)*\x1b\[2K\x1b\[G/;
/** any escape but SGR (styles, `ESC [ ... m`) and OSC 8 hyperlinks: the frame moves the cursor itself */
const NOT_TEXT = /\x1b(?!\[[0-9;:]*m|\]8;)|[\r\t\b\v\f]/;

export class FrameWriter {
  /** the frame's lines as the terminal shows them, or null when not known */
  private lines: string[] | null = null;
  /** frames written whole, and as changed lines only (tests, the trace) */
  whole = 0;
  partial = 0;

  /** A write of Ink's: the text to write instead (one string). */
  write(s: string): string {
    const frame = this.frame(s);
    if (frame !== null) return frame;
    // not a frame: an OSC sequence (the clipboard) leaves the screen as it was; anything else may not
    if (!s.startsWith("\x1b]")) this.lines = null;
    return s;
  }

  /** Forget the screen (it was drawn by someone else): the next frame goes out whole. */
  reset(): void {
    this.lines = null;
  }

  private frame(s: string): string | null {
    if (!s.startsWith(SYNC_BEGIN) || !s.endsWith(SYNC_END)) return null;
    const inner = s.slice(SYNC_BEGIN.length, s.length - SYNC_END.length);
    const erase = ERASE.exec(inner);
    const erased = erase ? (erase[0].length + 1) / 8 : 0; // n lines: n "\x1b[2K", n - 1 "\x1b[1A", "\x1b[G"
    const body = erase ? inner.slice(erase[0].length) : inner;
    if (!body.endsWith("\n") || NOT_TEXT.test(body)) {
      this.lines = null;
      return null;
    }
    const next = body.slice(0, -1).split("\n");
    const prev = this.lines;
    this.lines = next;
    // Ink erases the lines it wrote last (its count includes the line the cursor is on, below the frame)
    if (!prev || prev.length !== next.length || erased !== prev.length + 1) {
      this.whole++;
      return s;
    }
    this.partial++;
    let out = SYNC_BEGIN;
    let at = prev.length; // the cursor's line, from the frame's first; at column 0
    for (let i = 0; i < next.length; i++) {
      if (next[i] === prev[i]) continue;
      out += (i < at ? `\x1b[${at - i}A` : i > at ? `\x1b[${i - at}B` : "") + "\r\x1b[2K" + next[i];
      at = i;
    }
    out += (at < next.length ? `\x1b[${next.length - at}B` : "") + "\r" + SYNC_END;
    return out;
  }
}
