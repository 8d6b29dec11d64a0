/**
 * Buffered text output to a file descriptor (stdout by default): lines are gathered and written in large
 * chunks, at the end of each live batch, or per line with -l. A closed pipe (EPIPE) is reported to the
 * owner once, so `tsniff | head` ends cleanly with the capture summary.
 */
import { writeAllSync } from "../capture/fd-write.js";

export class TextOut {
  private parts: string[] = [];
  private size = 0;
  /** reused output bytes: encoding into it avoids allocating a Buffer per flush */
  private bytes = Buffer.allocUnsafeSlow(1 << 18);
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
    if (this.lineBuffered || this.size >= this.limit) this.flush();
  }

  flush(): void {
    if (this.broken || this.size === 0) return;
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join("");
    this.parts.length = 0;
    this.size = 0;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (text.length * 3 > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(text.length * 3);
    const n = this.bytes.write(text, 0, "utf8");
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
