/**
 * Buffered text output to a file descriptor (stdout by default): lines are gathered and written in large
 * chunks, at the end of each live batch, or per line with -l. A closed pipe (EPIPE) is reported to the
 * owner once, so `tsniff | head` ends cleanly with the capture summary.
 *
 * It is also the last guard before the terminal: each chunk is searched once for characters termSafe escapes
 * (control characters, escape sequences) and escaped from the first one on, so the printer need not escape line
 * by line (escaping twice changes nothing: termSafe's output has nothing left to escape).
 */
import { writeAllSync } from "../capture/fd-write.js";
import { firstUnsafe, termSafe } from "./escape.js";

export class TextOut {
  private parts: string[] = [];
  private size = 0;
  /** reused output bytes: encoding into it avoids allocating a Buffer per flush */
  private bytes = Buffer.allocUnsafeSlow(1 << 18);
  /** bytes of `bytes` already filled (lines given as bytes, or text encoded before them) */
  private used = 0;
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
    if (this.lineBuffered || this.size + this.used >= this.limit) this.flush();
  }

  /**
   * Appends bytes that are already UTF-8 and terminal-safe (the -T json writer spells them so); they are
   * copied, so the caller may reuse its buffer.
   */
  writeBytes(b: Uint8Array): void {
    if (this.broken) return;
    this.encodeText();
    if (this.used + b.length > this.bytes.length) {
      this.flush();
      if (this.broken) return;
      if (b.length > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(b.length);
    }
    this.bytes.set(b, this.used);
    this.used += b.length;
    if (this.lineBuffered || this.used >= this.limit) this.flush();
  }

  /** Moves the gathered text into the byte buffer, escaped and encoded. */
  private encodeText(): void {
    if (this.size === 0) return;
    let text = this.parts.length === 1 ? this.parts[0] : this.parts.join("");
    const bad = firstUnsafe(text);
    if (bad >= 0) text = text.slice(0, bad) + termSafe(text.slice(bad));
    this.parts.length = 0;
    this.size = 0;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.used + text.length * 3 > this.bytes.length) {
      const nb = Buffer.allocUnsafeSlow(this.used + text.length * 3);
      this.bytes.copy(nb, 0, 0, this.used);
      this.bytes = nb;
    }
    this.used += this.bytes.write(text, this.used, "utf8");
  }

  flush(): void {
    if (this.broken) return;
    this.encodeText();
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    try {
      writeAllSync(this.fd, this.bytes, 0, n);
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
