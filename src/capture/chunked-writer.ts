/**
 * What PcapWriter and PcapngWriter share: a capture file (or stdout, "-") written in big chunks. Records are
 * encoded into one buffer by the format's writer and written with a single syscall when it fills, at the end
 * of a live batch (flush), or per packet with -U. Every write leaves whole records: after a failed write (a
 * full disk, a vanished directory) the file is cut back to the last whole record the format can find
 * (wholePrefix), so whatever stops the program the file on disk is valid.
 */
import fs from "node:fs";
import { writeAllSync } from "./fd-write.js";

/** The C library's words for the errors a capture file meets (strerror), instead of Node's "EIO: i/o error, write". */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  EROFS: "Read-only file system",
  EIO: "Input/output error",
  ENOSPC: "No space left on device",
  EDQUOT: "Disk quota exceeded",
  EFBIG: "File too large",
  EINVAL: "Invalid argument",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  ETXTBSY: "Text file busy",
  ENXIO: "No such device or address",
  ENODEV: "No such device",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
  EPIPE: "Broken pipe",
  ESTALE: "Stale file handle",
};

/** One error's cause in words: strerror's text for its code, else Node's message without its code and path. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const known = err?.code ? ERRNO_TEXT[err.code] : undefined;
  if (known) return known;
  const msg = err instanceof Error ? err.message : String(e);
  // Node's "ECODE: text, syscall 'path'" -> "text"
  const m = /^E[A-Z0-9]+: (.*?)(?:, \w+(?: '.*')?)?$/.exec(msg);
  return m ? m[1] : msg;
}

/** An error naming the file and the cause (`while` says when, e.g. "writing"), keeping the code. */
export function fileError(path: string, e: unknown, extra?: object): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  return Object.assign(new Error(`${path === "-" ? "standard output" : path}: ${errnoText(e)}`), { code, path }, extra);
}

/** Opens a capture file for writing (0644), with the error messages tsniff prints for -w. */
export function openForWrite(path: string): number {
  try {
    return fs.openSync(path, "w", 0o644);
  } catch (e) {
    throw fileError(path, e);
  }
}

export abstract class ChunkedWriter {
  readonly path: string;
  protected fd: number;
  protected owned: boolean;
  protected buf: Buffer;
  protected pos = 0;
  protected closed = false;
  protected packetBuffered: boolean;
  /** packets and bytes written (including what is still buffered) */
  packets = 0;
  bytes = 0;
  /** packets whose records are whole in the file (flushed) */
  savedPackets = 0;
  /** bytes in the file */
  protected fileBytes = 0;
  /** packets in the buffer not yet flushed */
  protected pending = 0;

  /** Opens (creating or truncating) `path`, or stdout for "-". `minBuffer`: the least buffer the format needs. */
  constructor(path: string, opts: { packetBuffered?: boolean; bufferSize?: number }, minBuffer: number) {
    this.path = path;
    this.packetBuffered = !!opts.packetBuffered;
    this.buf = Buffer.allocUnsafeSlow(Math.max(opts.bufferSize ?? 1 << 20, minBuffer));
    if (path === "-") {
      this.fd = 1;
      this.owned = false;
    } else {
      this.fd = openForWrite(path);
      this.owned = true;
    }
  }

  /**
   * The bytes and packets of the buffer's first `written` bytes that are whole records (the file's or section's
   * header included, counted as no packet).
   */
  protected abstract wholePrefix(written: number, pending: number): { bytes: number; packets: number };

  /** Appends bytes that belong to no packet (a file header, an interface block). */
  protected put(block: Uint8Array): void {
    this.reserve(block.length);
    this.buf.set(block, this.pos);
    this.pos += block.length;
    this.bytes += block.length;
  }

  /** Makes room for `need` bytes in the buffer (flushing first when it is too full). */
  protected reserve(need: number): void {
    if (this.pos + need <= this.buf.length) return;
    this.flush();
    if (need > this.buf.length) this.buf = Buffer.allocUnsafeSlow(need);
  }

  /** Counts a packet just encoded into the buffer (`size` bytes); with -U writes it at once. */
  protected wrote(packets: number, size: number): void {
    this.pending += packets;
    this.packets += packets;
    this.bytes += size;
    if (this.packetBuffered) this.flush();
  }

  protected checkOpen(): void {
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
  }

  /** Writes what is buffered. Throws (with code ENOSPC, EPIPE, ...) if the OS refuses; the file keeps whole records. */
  flush(): void {
    if (this.pos === 0) return;
    const n = this.pos;
    const pending = this.pending;
    this.pos = 0;
    this.pending = 0;
    try {
      writeAllSync(this.fd, this.buf, 0, n);
    } catch (e) {
      const written = (e as { written?: number }).written ?? 0;
      this.keepWholeRecords(written, pending);
      throw fileError(this.path, e, { written });
    }
    this.fileBytes += n;
    this.savedPackets += pending;
  }

  /** After a failed write of which `written` bytes reached the file: cut it back to the last whole record. */
  private keepWholeRecords(written: number, pending: number): void {
    const whole = this.wholePrefix(written, pending);
    try {
      if (this.owned && written > whole.bytes) fs.ftruncateSync(this.fd, this.fileBytes + whole.bytes);
    } catch {
      /* best effort: the write error is what gets reported */
    }
    this.fileBytes += whole.bytes;
    this.savedPackets += Math.min(whole.packets, pending);
  }

  /** Flushes and closes; safe to call twice. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      if (this.owned) fs.closeSync(this.fd);
    }
  }
}
