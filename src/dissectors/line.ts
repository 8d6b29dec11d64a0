/**
 * The one-line summary, spelled as bytes while the dissectors run (ctx.line).
 *
 * Dissectors append pieces (text, numbers, addresses) and the bytes land in one reused buffer: no string per
 * piece, no joining, no UTF-8 encoding and no escaping pass later. The printer copies the line out as is.
 *
 * It is also the guard between packet bytes and the terminal: every character appended is checked as it is
 * copied, and whatever `ok` refuses (C0 controls but newline and tab, DEL, the C1 range, line/paragraph
 * separators, bidirectional overrides, BOM) is written as a visible escape (\r, \xHH, \uHHHH), so nothing in
 * a line can move the cursor, change colours or retitle the window. Characters from U+00A0 up are UTF-8.
 *
 * Newlines: a packet must not be able to start an output line of its own (a forged "12:34:56.000000 IP ..."
 * line). Packet bytes (latin1()) never put a raw newline or tab in: they are written as \n and \t. Text (s()) keeps a newline
 * only when a tab or a space follows it (the -v continuation lines tcpdump indents, "\n\t..."): such a line
 * cannot pass for a packet's line; any other newline is written as \n. A line break that starts an unindented
 * line (VXLAN's inner packet) is nl(), which only dissector code calls.
 *
 * `text()` gives the line back as a string (the TUI, plugins and -Y read ctx.info through it).
 */
const HEX = "0123456789abcdef";
/** "00" to "99" as byte pairs: numbers are written two digits at a time */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : Math.floor((i >> 1) / 10)));

/** True when the UTF-16 unit c may be written as is (the one definition of what reaches a terminal). */
export function ok(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x09 || (c >= 0xa0 && c !== 0x2028 && c !== 0x2029 && c !== 0xfeff && !(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069));
}

/** Pre-encoded ASCII text for pieces written often (Line.k). */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new Error(`ascii(): not printable ASCII: ${JSON.stringify(s)}`);
    b[i] = c;
  }
  return b;
}

/** Text as the bytes Line.s() would write (escaped, UTF-8): for pieces made once and written often (Line.k). */
export function encode(s: string): Uint8Array {
  const l = scratch ?? (scratch = new Line());
  l.reset();
  l.s(s);
  const out = new Uint8Array(l.n); // a copy (Buffer.slice would be a view)
  out.set(l.buf.subarray(0, l.n));
  return out;
}
let scratch: Line | null = null;

/** How many decimal digits an unsigned 32-bit integer has. */
export function digitCount(v: number): number {
  return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

/** Writes the digits of v (an unsigned 32-bit integer) into b, ending just before index e, two at a time. */
export function putDigits(b: Uint8Array, e: number, v: number): void {
  while (v >= 100) {
    const q = (v / 100) >>> 0;
    const r = (v - q * 100) << 1;
    b[--e] = PAIRS[r + 1];
    b[--e] = PAIRS[r];
    v = q;
  }
  if (v >= 10) {
    b[--e] = PAIRS[(v << 1) + 1];
    b[--e] = PAIRS[v << 1];
  } else b[--e] = 48 + v;
}

/** Writes v (below 10^width) zero-padded to `width` digits into b, ending just before index e. */
export function putPadded(b: Uint8Array, e: number, v: number, width: number): void {
  const start = e - width;
  while (e - start >= 2) {
    const q = (v / 100) >>> 0;
    const r = (v - q * 100) << 1;
    b[--e] = PAIRS[r + 1];
    b[--e] = PAIRS[r];
    v = q;
  }
  if (e > start) b[--e] = 48 + (v % 10);
}

export class Line {
  /** the bytes: [0, n) is the line so far */
  buf: Buffer = Buffer.allocUnsafeSlow(1024);
  n = 0;
  /** false once a byte of a multi-byte UTF-8 character was written (text() decodes UTF-8 then, else Latin-1) */
  private plain = true;

  reset(): void {
    this.n = 0;
    this.plain = true;
  }

  /** Makes room for k more bytes and returns the buffer (which may be a new one). */
  private room(k: number): Buffer {
    const need = this.n + k;
    if (need > this.buf.length) {
      const nb = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
      this.buf.copy(nb, 0, 0, this.n);
      this.buf = nb;
    }
    return this.buf;
  }

  /** Appends text, escaping what may not reach a terminal. */
  s(str: string): this {
    const len = str.length;
    const b = this.n + len > this.buf.length ? this.room(len) : this.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) {
      const c = str.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) b[n++] = c;
      else {
        this.n = n;
        this.rest(str, i);
        return this;
      }
    }
    this.n = n;
    return this;
  }

  /** s() from index i on, one character at a time (newlines, tabs, non-ASCII, escapes). */
  private rest(str: string, i: number): void {
    const len = str.length;
    for (; i < len; i++) {
      const c = str.charCodeAt(i);
      if (c === 0x0a) {
        // An indented continuation line stays one; any other newline could start a forged line.
        const next = i + 1 < len ? str.charCodeAt(i + 1) : -1;
        const b = this.room(2);
        if (next === 0x09 || next === 0x20) b[this.n++] = 0x0a;
        else {
          b[this.n++] = 0x5c; // backslash
          b[this.n++] = 0x6e; // n
        }
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        // a surrogate pair: one 4-byte character
        const cp = 0x10000 + ((c - 0xd800) << 10) + (str.charCodeAt(++i) - 0xdc00);
        const b = this.room(4);
        let n = this.n;
        b[n++] = 0xf0 | (cp >> 18);
        b[n++] = 0x80 | ((cp >> 12) & 63);
        b[n++] = 0x80 | ((cp >> 6) & 63);
        b[n++] = 0x80 | (cp & 63);
        this.n = n;
        this.plain = false;
      } else this.unit(c);
    }
  }

  /** One UTF-16 unit (not half of a surrogate pair): as is, escaped, or UTF-8. A newline becomes "\n". */
  private unit(c: number): void {
    const b = this.room(6); // at most an escape "\uHHHH"
    let n = this.n;
    if ((c >= 0x20 && c < 0x7f) || c === 0x09) b[n++] = c;
    else if (!ok(c) || c === 0x0a) {
      b[n++] = 0x5c; // backslash
      if (c === 0x0d) b[n++] = 0x72; // \r
      else if (c === 0x0a) b[n++] = 0x6e; // \n
      else if (c < 0x100) {
        b[n++] = 0x78; // \xHH
        b[n++] = HEX.charCodeAt(c >> 4);
        b[n++] = HEX.charCodeAt(c & 15);
      } else {
        b[n++] = 0x75; // \uHHHH
        for (let sh = 12; sh >= 0; sh -= 4) b[n++] = HEX.charCodeAt((c >> sh) & 15);
      }
    } else {
      this.plain = false;
      if (c < 0x800) {
        b[n++] = 0xc0 | (c >> 6);
        b[n++] = 0x80 | (c & 63);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        // a lone surrogate: U+FFFD, as UTF-8 encoders write it
        b[n++] = 0xef;
        b[n++] = 0xbf;
        b[n++] = 0xbd;
      } else {
        b[n++] = 0xe0 | (c >> 12);
        b[n++] = 0x80 | ((c >> 6) & 63);
        b[n++] = 0x80 | (c & 63);
      }
    }
    this.n = n;
  }

  /** Ends the line here and starts an unindented one (dissector code only: never for packet text). */
  nl(): this {
    const b = this.room(1);
    b[this.n++] = 0x0a;
    return this;
  }

  /** Appends data[off, off + len) read as Latin-1 text (what s() would write for that string, but a newline is always \n). */
  latin1(data: Uint8Array, off: number, len: number): this {
    const b = this.n + len > this.buf.length ? this.room(len) : this.buf;
    let n = this.n;
    const end = off + len;
    for (let i = off; i < end; i++) {
      const c = data[i];
      if (c >= 0x20 && c < 0x7f) b[n++] = c;
      else {
        this.n = n;
        for (; i < end; i++) {
          if (data[i] === 0x09) this.c(0x5c).c(0x74); // a packet's tab is escaped: only the printers' own tabs stay raw
          else this.unit(data[i]);
        }
        return this;
      }
    }
    this.n = n;
    return this;
  }

  /** Appends pre-encoded printable ASCII (made by ascii()). */
  k(bytes: Uint8Array): this {
    const len = bytes.length;
    const b = this.n + len > this.buf.length ? this.room(len) : this.buf;
    let n = this.n;
    if (len > 10) {
      b.set(bytes, n); // a copy in one builtin call costs about what 10 bytes one at a time do
      this.n = n + len;
      return this;
    }
    for (let i = 0; i < len; i++) b[n++] = bytes[i];
    this.n = n;
    return this;
  }

  /** Appends one printable ASCII character by its code. */
  c(code: number): this {
    const b = this.n + 1 > this.buf.length ? this.room(1) : this.buf;
    b[this.n++] = code;
    return this;
  }

  /** Appends a number in decimal, as String(v) spells it (digit pairs from a table for unsigned 32-bit integers). */
  u(v: number): this {
    if (v >>> 0 !== v) return this.s(String(v));
    const b = this.n + 10 > this.buf.length ? this.room(10) : this.buf;
    if (v < 10) {
      b[this.n++] = 48 + v;
      return this;
    }
    const e = this.n + digitCount(v);
    this.n = e;
    putDigits(b, e, v);
    return this;
  }

  /** Appends an unsigned integer below 10^width zero-padded to `width` digits (time fractions). */
  z(v: number, width: number): this {
    if (v >>> 0 !== v || v >= 10 ** width) return this.s(String(v).padStart(width, "0"));
    const b = this.n + width > this.buf.length ? this.room(width) : this.buf;
    this.n += width;
    putPadded(b, this.n, v, width);
    return this;
  }

  /** Appends the dotted quad of the IPv4 address at data[off..off+4). */
  ip4(data: Uint8Array, off: number): this {
    this.u(data[off]).c(0x2e).u(data[off + 1]).c(0x2e).u(data[off + 2]).c(0x2e).u(data[off + 3]);
    return this;
  }

  /** Appends v in lowercase hexadecimal, zero-padded to `width` digits (at least). */
  hex(v: number, width: number): this {
    if (v >>> 0 !== v) return this.s(v.toString(16).padStart(width, "0"));
    let digits = 1;
    while (digits < 8 && v >>> (digits * 4) !== 0) digits++;
    if (digits < width) digits = width;
    const b = this.room(digits);
    let e = this.n + digits;
    this.n = e;
    for (let i = 0; i < digits; i++, v >>>= 4) b[--e] = HEX.charCodeAt(v & 15);
    return this;
  }

  /** Appends another line's bytes. */
  line(o: Line): this {
    const len = o.n;
    const b = this.n + len > this.buf.length ? this.room(len) : this.buf;
    const from = o.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) b[n++] = from[i];
    this.n = n;
    if (!o.plain) this.plain = false;
    return this;
  }

  /** Appends src[at, at + len): bytes written by a Line before (kept by a dissector). */
  bytesAt(src: Uint8Array, at: number, len: number): this {
    const b = this.n + len > this.buf.length ? this.room(len) : this.buf;
    let n = this.n;
    let or = 0;
    for (let i = at, e = at + len; i < e; i++) or |= b[n++] = src[i];
    this.n = n;
    if (or >= 0x80) this.plain = false;
    return this;
  }

  /** Appends bytes that are UTF-8 and terminal-safe already (another writer's output). */
  bytes(src: Uint8Array): this {
    const b = this.room(src.length);
    b.set(src, this.n);
    this.n += src.length;
    this.plain = false;
    return this;
  }

  /** Appends text that is terminal-safe already (escaped upstream) as UTF-8, in one native call (big pieces). */
  utf8(text: string): this {
    const b = this.room(text.length * 3);
    this.n += b.write(text, this.n, "utf8");
    this.plain = false;
    return this;
  }

  /** Takes `buf` (holding this line's bytes and more, up to n) as the line's buffer: another writer wrote into it. */
  adopt(buf: Buffer, n: number): void {
    this.buf = buf;
    this.n = n;
    this.plain = false;
  }

  /** Drops everything from byte `at` on (a dissector taking back what it wrote). */
  cut(at: number): void {
    if (at < this.n) this.n = at;
  }

  /** The line as a string (from byte `from` on). */
  text(from = 0): string {
    return this.buf.toString(this.plain ? "latin1" : "utf8", from, this.n);
  }

  /** A view of the bytes (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}
