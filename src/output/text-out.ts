/**
 * Buffered text output to a file descriptor (stdout by default): lines are gathered and written in large
 * chunks, at the end of each live batch, or per line with -l. A closed pipe (EPIPE) is reported to the
 * owner once, so `tsniff | head` ends cleanly with the capture summary.
 *
 * Three ways in: text (write), bytes already safe (writeBytes), and the buffer itself as a Line (`line`, then
 * wrote()), which the printer writes one-line summaries into without building a string.
 *
 * It is also the last guard before the terminal for text: each chunk of text is searched once for characters
 * termSafe escapes (control characters, escape sequences) and escaped from the first one on, so the printer
 * need not escape line by line (escaping twice changes nothing: termSafe's output has nothing left to
 * escape). Bytes and Line writes are escaped as they are written (src/dissectors/line.ts).
 */
import { writeAllSync } from "../capture/fd-write.js";
import { Line } from "../dissectors/line.js";
import { firstUnsafe, termSafe } from "./escape.js";

export class TextOut {
  private parts: string[] = [];
  private size = 0;
  /** the output bytes, reused from flush to flush */
  private out = new Line();
  /** set when the reader went away (EPIPE); later writes are dropped */
  broken = false;

  constructor(
    private fd = 1,
    private lineBuffered = false,
    private limit = 1 << 16,
    private onBroken: () => void = () => {},
  ) {}

  /** Appends text (a whole line with its newline, usually). */
  write(s: string): void {
    if (this.broken) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.lineBuffered || this.size + this.out.n >= this.limit) this.flush();
  }

  /**
   * Appends bytes that are already UTF-8 and terminal-safe (the -T json writer spells them so); they are
   * copied, so the caller may reuse its buffer.
   */
  writeBytes(b: Uint8Array): void {
    if (this.broken) return;
    this.encodeText();
    this.out.bytes(b);
    this.wrote();
  }

  /** The output buffer, to write into directly (a Line escapes as it writes); call wrote() after. */
  get line(): Line {
    if (this.size) this.encodeText();
    return this.out;
  }

  /** Flushes when the buffer is full (or per line with -l) after writes into `line`. */
  wrote(): void {
    if (this.lineBuffered || this.out.n >= this.limit) this.flush();
  }

  /** Moves the gathered text into the byte buffer, escaped and encoded. */
  private encodeText(): void {
    if (this.size === 0) return;
    let text = this.parts.length === 1 ? this.parts[0] : this.parts.join("");
    const bad = firstUnsafe(text);
    if (bad >= 0) text = text.slice(0, bad) + termSafe(text.slice(bad));
    this.parts.length = 0;
    this.size = 0;
    this.out.utf8(text);
  }

  flush(): void {
    if (this.broken) {
      this.out.reset();
      return;
    }
    this.encodeText();
    const n = this.out.n;
    if (n === 0) return;
    this.out.reset();
    try {
      writeAllSync(this.fd, this.out.buf, 0, n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE" || code === "ECONNRESET") {
        this.broken = true;
        this.onBroken();
        return;
      }
      throw e;
    }
  }
}
