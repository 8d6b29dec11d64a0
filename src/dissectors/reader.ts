/**
 * The bounds-checked reader every dissector reads through (STYLE.md: "bounds safety belongs in the reader").
 *
 * It has two limits: `cap`, the end of the captured bytes, and `rep`, the end the headers say the data has
 * (the reported, on-the-wire end). A read past `cap` returns 0 and sets `truncated` (the snaplen cut it:
 * tcpdump's " [|proto]"); a read past `rep` also sets `malformed` (a length field lied). It never throws,
 * and reading never allocates, except bytes()/text() which return views or strings on request.
 * Offsets are absolute positions in `data`, so the tree can record where each field is.
 */
/** Node's Latin-1 decoder over a range of any Uint8Array: one call instead of a string per byte. */
const latin1Slice = Buffer.prototype.latin1Slice as unknown as (this: Uint8Array, from: number, to: number) => string;

export class Reader {
  data: Uint8Array = new Uint8Array(0);
  /** where this layer starts (absolute) */
  start = 0;
  /** next byte to read (absolute) */
  pos = 0;
  /** end of captured bytes (absolute, exclusive) */
  cap = 0;
  /** end of the reported data (absolute, exclusive); may be beyond cap */
  rep = 0;
  truncated = false;
  malformed = false;
  /** set by lengthOnly(): the captured bytes after `rep` stay readable by the next layer (see there) */
  capPastRep = false;

  /** `keepCap`: captured bytes past `rep` stay readable (the layer before asked for it with lengthOnly()). */
  reset(data: Uint8Array, start: number, cap: number, rep: number, keepCap = false): this {
    this.data = data;
    this.start = start;
    this.pos = start;
    this.rep = rep;
    this.cap = cap < rep || keepCap ? cap : rep;
    this.truncated = false;
    this.malformed = false;
    this.capPastRep = false;
    return this;
  }

  /** Captured bytes left. */
  get remaining(): number {
    const n = this.cap - this.pos;
    return n > 0 ? n : 0;
  }
  /** Reported bytes left (what the headers say is there). */
  get reportedRemaining(): number {
    const n = this.rep - this.pos;
    return n > 0 ? n : 0;
  }
  /** Offset relative to the start of this layer. */
  get offset(): number {
    return this.pos - this.start;
  }
  /** True when n more bytes are captured. */
  has(n: number): boolean {
    return this.pos + n <= this.cap;
  }

  /** Marks a failed read of n bytes at pos and moves pos to the end. */
  private fail(n: number): void {
    if (this.pos + n > this.rep) this.malformed = true;
    this.truncated = true;
    this.pos = this.cap > this.pos ? this.cap : this.pos;
  }

  u8(): number {
    if (this.pos + 1 > this.cap) {
      this.fail(1);
      return 0;
    }
    return this.data[this.pos++];
  }
  u16(): number {
    const p = this.pos;
    if (p + 2 > this.cap) {
      this.fail(2);
      return 0;
    }
    this.pos = p + 2;
    return (this.data[p] << 8) | this.data[p + 1];
  }
  u24(): number {
    const p = this.pos;
    if (p + 3 > this.cap) {
      this.fail(3);
      return 0;
    }
    this.pos = p + 3;
    return (this.data[p] << 16) | (this.data[p + 1] << 8) | this.data[p + 2];
  }
  u32(): number {
    const p = this.pos;
    if (p + 4 > this.cap) {
      this.fail(4);
      return 0;
    }
    this.pos = p + 4;
    const d = this.data;
    return ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
  }
  /** 64-bit big-endian as a number (exact below 2^53). */
  u64(): number {
    const hi = this.u32();
    const lo = this.u32();
    return hi * 4294967296 + lo;
  }
  u16le(): number {
    const p = this.pos;
    if (p + 2 > this.cap) {
      this.fail(2);
      return 0;
    }
    this.pos = p + 2;
    return this.data[p] | (this.data[p + 1] << 8);
  }
  u32le(): number {
    const p = this.pos;
    if (p + 4 > this.cap) {
      this.fail(4);
      return 0;
    }
    this.pos = p + 4;
    const d = this.data;
    return (d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24)) >>> 0;
  }

  /** Byte at an offset from pos without moving; 0 (and no flags) when not captured. */
  peek(off = 0): number {
    const p = this.pos + off;
    return p >= 0 && p < this.cap ? this.data[p] : 0;
  }
  peek16(off = 0): number {
    return (this.peek(off) << 8) | this.peek(off + 1);
  }
  peek32(off = 0): number {
    return ((this.peek(off) << 24) | (this.peek(off + 1) << 16) | (this.peek(off + 2) << 8) | this.peek(off + 3)) >>> 0;
  }
  /** Byte at an absolute position (bounds-checked, 0 outside). */
  byteAt(abs: number): number {
    return abs >= this.start && abs < this.cap ? this.data[abs] : 0;
  }

  skip(n: number): boolean {
    if (n < 0) {
      this.malformed = true;
      return false;
    }
    if (this.pos + n > this.cap) {
      this.fail(n);
      return false;
    }
    this.pos += n;
    return true;
  }

  /** A view of the next n bytes (clamped to what was captured; sets truncated if short). */
  bytes(n: number): Uint8Array {
    const p = this.pos;
    if (n < 0) n = 0;
    if (p + n > this.cap) {
      const v = this.data.subarray(p, this.cap > p ? this.cap : p);
      this.fail(n);
      return v;
    }
    this.pos = p + n;
    return this.data.subarray(p, p + n);
  }

  /** The next n bytes as Latin-1 text (raw: printers escape control characters). */
  text(n: number): string {
    const p = this.pos;
    const b = this.bytes(n);
    return b.length ? latin1Slice.call(this.data, p, p + b.length) : "";
  }

  /** Captured bytes [abs, abs + n) as Latin-1 text without moving (clipped to what was captured). */
  latin1At(abs: number, n: number): string {
    const from = abs < this.start ? this.start : abs;
    const to = abs + n > this.cap ? this.cap : abs + n;
    return to > from ? latin1Slice.call(this.data, from, to) : "";
  }

  /**
   * Narrows the reported end to pos + n (a length field says the data ends there). If the field claims more
   * than the enclosing data has, the layer is malformed and the limit stays at the enclosing end.
   * Returns false when the length lies.
   */
  /**
   * Like limit(n), but the captured bytes after the new reported end stay readable by the next layer: tcpdump
   * hands a port's printer the UDP length and the bytes captured, and a printer may read past the length (a
   * UDP length of 8 with bytes after it: the printer of the port still looks at them). For that case only.
   */
  lengthOnly(n: number): void {
    if (n < 0 || this.pos + n > this.rep) return;
    this.rep = this.pos + n;
    this.capPastRep = this.cap > this.rep;
  }

  limit(n: number): boolean {
    const end = this.pos + n;
    if (n < 0 || end > this.rep) {
      this.malformed = true;
      return false;
    }
    this.rep = end;
    if (this.cap > end) this.cap = end;
    return true;
  }
}
