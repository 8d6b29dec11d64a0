/**
 * -T json written straight into bytes: the NDJSON line of a packet is spelled into one reused buffer, field by
 * field, with no per-packet objects and no intermediate strings (keys are encoded once per field, integers
 * are written digit by digit, byte fields as hex straight from the packet). V8 spends 15-35 ns on every
 * string piece of a line; a line has some 250, so building it as text cost more than dissecting the packet.
 *
 * The bytes spell exactly termSafe(jsonSafe(JSON.stringify(packetObject(v)))) in UTF-8 (a test holds the two
 * equal over the fixtures and the corpus): every character JSON or the terminal must not see raw is a \u
 * escape, so the line is safe by construction.
 *
 * Fields that occur more than once in a protocol become arrays at their first place; they are found with
 * per-field stamps indexed by FieldDef.id, so grouping costs no map per packet.
 */
import { formatValue, type TreeNode } from "../dissectors/tree.js";
import type { Ctx, FieldDef, FieldValue, LayerSink } from "../dissectors/types.js";
import type { PacketView } from "./view.js";
import { pad9, type TimeOut } from "./frame.js";
import { ok } from "./escape.js";
import { grown } from "../capture/batch.js";
import { digitCount, putDigits, putPadded, type Line as OutLine } from "../dissectors/line.js";
import { SLICE, wasmEscaper, type WasmEscaper } from "./json-wasm.js";

const HEX = "0123456789abcdef";
const utf8 = new TextDecoder();
const HEXB = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEXB[i] = HEX.charCodeAt(i);
/** a byte's two hex digits, the first in the low half */
const HEX2 = new Uint16Array(256);
for (let i = 0; i < 256; i++) HEX2[i] = HEXB[i >> 4] | (HEXB[i & 15] << 8);
/** a byte's two hex digits and a colon, as one little-endian 4-byte store (its fourth byte overwritten next) */
const HEX3 = new Uint32Array(256);
for (let i = 0; i < 256; i++) HEX3[i] = HEX2[i] | (0x3a << 16);

/** The line being written (grows as needed: a packet's payload hex can run to megabytes) and the write position. */
class Bytes {
  b: Uint8Array = Buffer.allocUnsafeSlow(1 << 16);
  p = 0;
}
const W = new Bytes();

/** A DataView of W.b (made again when W.b is another buffer): one unaligned 4-byte store for several bytes. */
let dvOf: Uint8Array | null = null;
let dv: DataView = new DataView(new ArrayBuffer(8));
function view(): DataView {
  const b = W.b;
  if (dvOf !== b) {
    dvOf = b;
    dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  return dv;
}

/** A copy of W.b[from, to) (W.b is a Buffer, whose slice() would be a view). */
function bytesOf(from: number, to: number): Uint8Array {
  const c = new Uint8Array(to - from);
  c.set(W.b.subarray(from, to));
  return c;
}

function ensure(n: number): void {
  if (W.p + n <= W.b.length) return;
  let size = W.b.length * 2;
  while (size < W.p + n) size *= 2;
  const nb = Buffer.allocUnsafeSlow(size); // a Buffer: the line may be an output Line's (writeRecordsInto)
  nb.set(W.b.subarray(0, W.p));
  W.b = nb;
}

function byte(c: number): void {
  if (W.p >= W.b.length) ensure(1);
  W.b[W.p++] = c;
}

/** Raw ASCII (our own punctuation and digits only). */
function ascii(s: string): void {
  const n = s.length;
  ensure(n);
  const b = W.b;
  let p = W.p;
  for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
  W.p = p;
}

/** Pre-encoded bytes (a key), with a comma before them when `comma`. */
function copy(k: Uint8Array, comma: boolean): void {
  const n = k.length;
  ensure(n + 1);
  const b = W.b;
  let p = W.p;
  if (comma) b[p++] = 0x2c;
  if (n > 10) {
    b.set(k, p); // one builtin copy costs about what 10 bytes one at a time do
    W.p = p + n;
    return;
  }
  for (let i = 0; i < n; i++) b[p++] = k[i];
  W.p = p;
}

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const TRUE = enc("true"),
  FALSE = enc("false"),
  NULL = enc("null"),
  EMPTY = enc('""');

function u4(c: number): void {
  ensure(6);
  W.b[W.p++] = 0x5c;
  W.b[W.p++] = 0x75;
  W.b[W.p++] = HEXB[(c >> 12) & 15];
  W.b[W.p++] = HEXB[(c >> 8) & 15];
  W.b[W.p++] = HEXB[(c >> 4) & 15];
  W.b[W.p++] = HEXB[c & 15];
}

/** A JSON string: quotes, JSON.stringify's escapes, the terminal-safety escapes, UTF-8 for the rest. */
function str(s: string): void {
  const n = s.length;
  ensure(n + 2);
  let i = 0;
  {
    // The common case: printable ASCII without quote or backslash, one byte each.
    const b = W.b;
    let p = W.p;
    b[p++] = 0x22;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
      b[p++] = c;
    }
    if (i === n) {
      b[p++] = 0x22;
      W.p = p;
      return;
    }
    W.p = p;
  }
  // Short strings that need the slow path below (TCP's flag string with its middle dots, names with
  // escapes) come back often: their bytes are kept.
  const from = W.p - i - 1; // the opening quote
  if (n <= 64) {
    const done = slowCache.get(s);
    if (done) {
      W.p = from;
      copy(done, false);
      return;
    }
  }
  strRest(s, i);
  if (n <= 64 && slowCache.size < 4096) slowCache.set(s, bytesOf(from, W.p));
}
const slowCache = new Map<string, Uint8Array>();

/**
 * The bytes each character below 0x100 becomes in a JSON string (1, 2 or 6 of them, from ESC[c * 6]), as the
 * general path below spells it: long Latin-1 text (a reassembled HTTP body) goes through this table in one loop.
 */
const ESC = new Uint8Array(256 * 6);
const ESC_N = new Uint8Array(256);
{
  const save = W.p;
  for (let c = 0; c < 256; c++) {
    W.p = 0;
    strChar(String.fromCharCode(c), 0, 1);
    ESC_N[c] = W.p;
    ESC.set(W.b.subarray(0, W.p), c * 6);
  }
  W.p = save;
}

/** str() from character i on, and the closing quote. */
function strRest(s: string, i: number): void {
  const n = s.length;
  while (i < n) {
    // a run of characters below 0x100, through the table: room for the longest spelling of each, then per
    // character its six table bytes copied and the position moved by its length (no branch on the byte: a
    // binary body's bytes are random, and a mispredicted branch per byte cost twice this loop)
    const stop = Math.min(n, i + 8192);
    ensure((stop - i) * 6 + 6);
    const b = W.b;
    let p = W.p;
    for (; i < stop; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) break;
      const o = c * 6;
      b[p] = ESC[o];
      b[p + 1] = ESC[o + 1];
      b[p + 2] = ESC[o + 2];
      b[p + 3] = ESC[o + 3];
      b[p + 4] = ESC[o + 4];
      b[p + 5] = ESC[o + 5];
      p += ESC_N[c];
    }
    W.p = p;
    if (i < stop) i = strChar(s, i, n);
  }
  byte(0x22);
}

/** One character of str() at s[i] (two for a surrogate pair): returns the index after it. */
function strChar(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
    byte(c);
    return i + 1;
  }
  if (c === 0x22 || c === 0x5c) {
    ensure(2);
    W.b[W.p++] = 0x5c;
    W.b[W.p++] = c;
    return i + 1;
  }
  if (c < 0x20) {
    const short = c === 8 ? 0x62 : c === 9 ? 0x74 : c === 10 ? 0x6e : c === 12 ? 0x66 : c === 13 ? 0x72 : 0;
    if (short) {
      ensure(2);
      W.b[W.p++] = 0x5c;
      W.b[W.p++] = short;
    } else u4(c);
    return i + 1;
  }
  if (!ok(c)) {
    // what the terminal must not see raw besides JSON's own escapes: DEL, C1, separators, bidi controls, BOM
    u4(c);
    return i + 1;
  }
  if (c >= 0xd800 && c <= 0xdfff) {
    const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
    if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      ensure(4);
      W.b[W.p++] = 0xf0 | (cp >> 18);
      W.b[W.p++] = 0x80 | ((cp >> 12) & 63);
      W.b[W.p++] = 0x80 | ((cp >> 6) & 63);
      W.b[W.p++] = 0x80 | (cp & 63);
      return i + 2;
    } else u4(c); // a lone surrogate, as JSON.stringify spells it
    return i + 1;
  }
  ensure(3);
  if (c < 0x800) {
    W.b[W.p++] = 0xc0 | (c >> 6);
    W.b[W.p++] = 0x80 | (c & 63);
  } else {
    W.b[W.p++] = 0xe0 | (c >> 12);
    W.b[W.p++] = 0x80 | ((c >> 6) & 63);
    W.b[W.p++] = 0x80 | (c & 63);
  }
  return i + 1;
}

/** A number as JSON.stringify spells it. */
function num(v: number): void {
  if (!Number.isFinite(v)) return ascii("null");
  if (v >= 0 && v <= 0x7fffffff && (v | 0) === v) {
    // Small integers (almost every field): int arithmetic, the length first, then pairs of digits from the end.
    if (v < 10) return byte(0x30 + v);
    const digits = digitCount(v);
    ensure(digits);
    W.p += digits;
    putDigits(W.b, W.p, v);
    return;
  }
  if (Number.isInteger(v) && v > -1e15 && v < 1e15) {
    if (v < 0) {
      byte(0x2d);
      v = -v;
    }
    if (v < 10) return byte(0x30 + v);
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    ensure(digits);
    let q = W.p + digits;
    W.p = q;
    while (v >= 10) {
      const d = Math.floor(v / 10);
      W.b[--q] = 0x30 + (v - d * 10);
      v = d;
    }
    W.b[--q] = 0x30 + v;
    return;
  }
  ascii(String(v));
}

/** Bytes of the packet as "aa:bb:cc", as jsonValue spells a bytes field. */
function hexColon(data: Uint8Array, from: number, to: number): void {
  if (to - from >= WASM_MIN) {
    const w = wasm();
    if (w) return wasmQuoted(w.hex, 3, 1, data, from, to);
  }
  ensure((to > from ? (to - from) * 3 : 0) + 3);
  const out = W.b;
  const d = view();
  let p = W.p;
  out[p++] = 0x22;
  // per byte its two digits and a colon in one 4-byte store from one table read, the last colon then taken
  // back (no branch; the fourth byte is overwritten by the next store or the closing quote)
  for (let i = from; i < to; i++) {
    d.setUint32(p, HEX3[data[i]], true);
    p += 3;
  }
  if (to > from) p--;
  out[p++] = 0x22;
  W.p = p;
}

/** Fields at least this long go through the WebAssembly loops (shorter: the copies in and out cost more). */
const WASM_MIN = 256;
let wasmState: WasmEscaper | null | undefined;
/** The WebAssembly escaper, made on first use (null: not available; TSNIFF_JSON_WASM=0 turns it off). */
function wasm(): WasmEscaper | null {
  if (wasmState === undefined) wasmState = process.env.TSNIFF_JSON_WASM === "0" ? null : wasmEscaper(ESC, ESC_N, HEX3);
  return wasmState;
}

/** Turns the WebAssembly loops off (false) or back on (true) for this process: tests compare the two paths. */
export function setJsonWasm(on: boolean): void {
  wasmState = on ? wasmEscaper(ESC, ESC_N, HEX3) : null;
}

/**
 * data[from, to) as a quoted JSON string through one of the WebAssembly loops (`loop`: w.hex or w.latin1), SLICE
 * bytes at a time: `width` output bytes at most per input byte; `trim` bytes taken off the end (hex's last colon).
 */
function wasmQuoted(loop: WasmEscaper["hex"], width: number, trim: number, data: Uint8Array, from: number, to: number): void {
  byte(0x22);
  for (let i = from; i < to; ) {
    const stop = Math.min(to, i + SLICE);
    ensure((stop - i) * width + 2);
    W.p = loop(data, i, stop, W.b, W.p);
    i = stop;
  }
  W.p -= trim;
  byte(0x22);
}

/** ESC's six bytes of each character as a 4-byte and a 2-byte little-endian store */
const ESC4 = new Uint32Array(256);
const ESC2 = new Uint16Array(256);
for (let c = 0; c < 256; c++) {
  const o = c * 6;
  ESC4[c] = (ESC[o] | (ESC[o + 1] << 8) | (ESC[o + 2] << 16) | (ESC[o + 3] << 24)) >>> 0;
  ESC2[c] = ESC[o + 4] | (ESC[o + 5] << 8);
}

/** data[from, to) as a JSON string of its Latin-1 text: exactly what str() writes for that string. */
function latin1Str(data: Uint8Array, from: number, to: number): void {
  if (to - from >= WASM_MIN) {
    const w = wasm();
    if (w) return wasmQuoted(w.latin1, 6, 0, data, from, to);
  }
  byte(0x22);
  let i = from;
  while (i < to) {
    const stop = Math.min(to, i + 8192);
    ensure((stop - i) * 6 + 6);
    const d = view();
    let p = W.p;
    for (; i < stop; i++) {
      const c = data[i];
      d.setUint32(p, ESC4[c], true);
      d.setUint16(p + 4, ESC2[c], true);
      p += ESC_N[c];
    }
    W.p = p;
  }
  byte(0x22);
}

/**
 * One packet's fields, flat: per field its declaration, value, explicit display text, bytes; per protocol its
 * name and its first and last field. Reused from packet to packet (entries [0, n) are this packet's).
 * Filled from a tree (fromTree) or directly by the dissectors through JsonSink, with no tree at all.
 */
class Records {
  f: (FieldDef | undefined)[] = [];
  /** the name of a field without a declaration (others: f.name) */
  name: string[] = [];
  v: FieldValue[] = [];
  /** explicit display text (only read for fields without a declaration or a value); undefined: formatted */
  d: (string | undefined)[] = [];
  off = new Int32Array(256);
  len = new Int32Array(256);
  n = 0;
  proto: string[] = [];
  from: number[] = [];
  to: number[] = [];
  /** per protocol: a field of it has no declaration (grouped by name: the general path) */
  byName: boolean[] = [];
  /**
   * Repeated fields, linked as they come in: per record the next record of the same field in its protocol
   * (-1: none), whether it repeats an earlier one (written with it), and at a field's first record how many
   * there are. A protocol's object is then one pass: a repeated field as an array at its first place.
   */
  next = new Int32Array(256);
  dup = new Uint8Array(256);
  cnt = new Int32Array(256);
  /** a time given as numbers (time()): its nanoseconds and sign; its seconds are the value */
  ns = new Float64Array(256);
  neg = new Uint8Array(256);
  /** 1: a text value given as bytes (addLatin1): src[i][off[i], off[i] + len[i]); 2: a cached run's bytes, src[i] (raw) */
  lat = new Uint8Array(256);
  src: (Uint8Array | null)[] = [];
  /**
   * A run of fields to keep as bytes once written (JsonSink.endRun): at its first record, runPkt is this
   * packet's serial, runEnd the record after its last, runSlot its (run, key).
   */
  runPkt = new Int32Array(256);
  runEnd = new Int32Array(256);
  runSlot = new Int32Array(256);
  pkt = 0;
  np = 0;
  /** the protocol that fields go to, and its stamp in `seen` */
  private cur = -1;
  private stamp = 0;

  reset(): void {
    this.n = 0;
    this.np = 0;
    this.cur = -1;
    this.pkt++;
  }
  field(f: FieldDef | undefined, name: string, value: FieldValue, display: string | undefined, offset: number, length: number): void {
    const i = this.n++;
    this.f[i] = f;
    if (!f) this.name[i] = name; // a declared field's name is f.name
    this.v[i] = value;
    this.d[i] = display;
    if (i >= this.next.length) this.grow(i * 2);
    this.off[i] = offset;
    this.len[i] = length;
    this.next[i] = -1;
    this.dup[i] = 0;
    this.cnt[i] = 1;
    this.lat[i] = 0;
    const c = this.cur;
    if (c < 0) return;
    if (!f) this.byName[c] = true;
    else {
      const id = f.id;
      if (id >= seen.length) grow(id);
      if (seen[id] === this.stamp) {
        this.next[lastAt[id]] = i;
        lastAt[id] = i;
        this.dup[i] = 1;
        this.cnt[firstAt[id]]++;
      } else {
        seen[id] = this.stamp;
        firstAt[id] = i;
        lastAt[id] = i;
      }
    }
  }
  /** A text field whose value is the Latin-1 text of data[from, to), kept as the bytes. */
  latin1(f: FieldDef, data: Uint8Array, from: number, to: number, display: string | undefined, offset: number, length: number): void {
    const i = this.n;
    this.field(f, f.name, null, display, offset, length);
    this.lat[i] = 1;
    this.src[i] = data;
    this.off[i] = from;
    this.len[i] = to - from;
  }
  private grow(size: number): void {
    this.next = grown(this.next, size);
    this.dup = grown(this.dup, size);
    this.cnt = grown(this.cnt, size);
    this.off = grown(this.off, size);
    this.len = grown(this.len, size);
    this.ns = grown(this.ns, size);
    this.neg = grown(this.neg, size);
    this.lat = grown(this.lat, size);
    this.runPkt = grown(this.runPkt, size);
    this.runEnd = grown(this.runEnd, size);
    this.runSlot = grown(this.runSlot, size);
  }
  /**
   * A run of fields written before, as its bytes (JsonSink.cachedRun): one record that is no field (no
   * declaration, no name: the writers copy it as it is; the grouping never sees it).
   */
  raw(b: Uint8Array): void {
    const i = this.n++;
    if (i >= this.next.length) this.grow(i * 2);
    this.f[i] = undefined;
    this.name[i] = "";
    this.v[i] = null;
    this.d[i] = undefined;
    this.off[i] = 0;
    this.len[i] = 0;
    this.next[i] = -1;
    this.dup[i] = 0;
    this.cnt[i] = 1;
    this.lat[i] = 2;
    this.src[i] = b;
  }
  /** Records [from, n) are the run `slot`: kept as bytes when written (if each of its fields is there once). */
  run(from: number, slot: number): void {
    if (from >= this.n) return;
    this.runPkt[from] = this.pkt;
    this.runEnd[from] = this.n;
    this.runSlot[from] = slot;
  }
  /** A time field as numbers (the frame's times): written as timeText spells them, without the string. */
  time(f: FieldDef, neg: boolean, sec: number, nsec: number, offset: number): void {
    const i = this.n;
    this.field(f, f.name, sec, undefined, offset, 0);
    this.ns[i] = nsec;
    this.neg[i] = neg ? 1 : 0;
  }
  open(name: string): void {
    if (this.np) this.to[this.np - 1] = this.n;
    this.proto[this.np] = name;
    this.from[this.np] = this.n;
    this.into(this.np);
    this.np++;
  }
  /** Fields from here on go to protocol j (the frame's, which are added last). */
  into(j: number): void {
    this.cur = j;
    this.byName[j] = false;
    this.stamp = ++serial;
  }
  close(): void {
    if (this.np) this.to[this.np - 1] = this.n;
  }
  /** Forgets the protocol opened last when it has no fields (LayerSink.dropProto). */
  drop(): void {
    if (this.np < 2 || this.from[this.np - 1] !== this.n) return;
    this.np--;
    this.into(this.np - 1);
  }
}
const R = new Records();

/** The cached runs' bytes by slot (run * RUN_KEYS + key), without a leading comma. */
const RUN_KEYS = 1 << 16;
const runBytes = new Map<number, Uint8Array>();

function displayOf(i: number): string {
  const d = R.d[i];
  if (d !== undefined) return d;
  const f = R.f[i];
  return f ? formatValue(f, R.v[i]) : "";
}

const enum Kind {
  Number = 1,
  Bool,
  Bytes,
  None,
  Text,
  Time,
}
/** Each field's kind by FieldDef.id, 0 until first asked (a typed array: a sparse JS array of ids goes to dictionary elements, and every read of it took V8's megamorphic path). */
let kinds = new Uint8Array(1024);
function kindOf(f: FieldDef): Kind {
  const id = f.id;
  if (id < kinds.length) {
    const k = kinds[id];
    if (k !== 0) return k;
  } else kinds = grown(kinds, Math.max(id + 1, kinds.length * 2));
  const t = f.type;
  const k = t === "uint" || t === "int" || t === "float" ? Kind.Number : t === "bool" ? Kind.Bool : t === "bytes" ? Kind.Bytes : t === "none" ? Kind.None : t === "time" ? Kind.Time : Kind.Text;
  kinds[id] = k;
  return k;
}

/** A field's value, as jsonValue gives it to JSON.stringify. */
function value(i: number, data: Uint8Array, end: number): void {
  const f = R.f[i];
  const x = R.v[i];
  if (!f) return str(displayOf(i));
  switch (kindOf(f)) {
    case Kind.Number:
      if (typeof x === "number") return num(x);
      return x === null ? copy(NULL, false) : str(String(x));
    case Kind.Bool:
      return copy(x === true || x === 1 ? TRUE : FALSE, false);
    case Kind.Bytes: {
      const o = R.off[i];
      const a = Math.max(0, o);
      const b = Math.min(end, o + Math.max(0, R.len[i]));
      return hexColon(data, a, b > a ? b : a);
    }
    case Kind.None:
      return copy(EMPTY, false);
    case Kind.Time:
      if (typeof x === "number") return timeValue(x, R.ns[i], R.neg[i] === 1);
      return str(x === null ? displayOf(i) : String(x));
    default:
      if (R.lat[i] === 1) {
        const d = R.src[i]!;
        R.src[i] = null; // not kept past the packet
        return latin1Str(d, R.off[i], R.off[i] + R.len[i]);
      }
      return str(x === null ? displayOf(i) : typeof x === "string" ? x : String(x));
  }
}

/** A time given as numbers, spelled as frame.ts's timeText does ("-" when negative, "sec.nnnnnnnnn"). */
function timeValue(sec: number, nsec: number, neg: boolean): void {
  if (!(Number.isInteger(sec) && sec >= 0 && sec < 1e15 && Number.isInteger(nsec) && nsec >= 0 && nsec < 1e9)) {
    return str((neg ? "-" : "") + sec + "." + pad9(nsec)); // never from a capture; the same text all the same
  }
  byte(0x22);
  if (neg) byte(0x2d);
  num(sec);
  ensure(11);
  W.b[W.p] = 0x2e; // the point
  W.p += 10;
  putPadded(W.b, W.p, nsec, 9);
  byte(0x22);
}

/**
 * Per field id, its `,"name":`, `,"name":false` and `,"name":true` (slots id * 3 + 0, 1, 2), encoded once into
 * one store and copied four bytes at a time (a builtin set() per key cost twice that); the comma is skipped for
 * an object's first member. snipAt: where a snippet's comma is, plus one (0: not made yet).
 */
let SNIP = new Uint8Array(1 << 16);
let snipDv = new DataView(SNIP.buffer);
let snipEnd = 0;
let snipAt = new Int32Array(3072);
let snipLen = new Int32Array(3072);

/** Writes snippet `slot` (with its comma when `comma`); false when it is not made yet. */
function snip(slot: number, comma: boolean): boolean {
  if (slot >= snipAt.length) return false;
  const at = snipAt[slot];
  if (at === 0) return false;
  const from = comma ? at - 1 : at;
  const n = snipLen[slot] + (comma ? 1 : 0);
  ensure(n + 4);
  const d = view();
  const sd = snipDv;
  const p = W.p;
  // whole 4-byte words: up to 3 bytes past the end are written too, and overwritten by what comes next
  for (let j = 0; j < n; j += 4) d.setUint32(p + j, sd.getUint32(from + j, true), true);
  W.p = p + n;
  return true;
}

/** Keeps W.b[from, W.p) (bytes written without a comma) as snippet `slot`. */
function keepSnip(slot: number, from: number): void {
  const n = W.p - from;
  if (slot >= snipAt.length) {
    const size = Math.max(slot + 3, snipAt.length * 2);
    snipAt = grown(snipAt, size);
    snipLen = grown(snipLen, size);
  }
  if (snipEnd + n + 1 + 4 > SNIP.length) {
    let size = SNIP.length * 2;
    while (size < snipEnd + n + 5) size *= 2;
    SNIP = grown(SNIP, size);
    snipDv = new DataView(SNIP.buffer);
  }
  SNIP[snipEnd] = 0x2c;
  SNIP.set(W.b.subarray(from, W.p), snipEnd + 1);
  snipAt[slot] = snipEnd + 1;
  snipLen[slot] = n;
  snipEnd += n + 1;
}

/** `"name":` per field id, encoded once; with a comma before it when it is not the object's first. */
function key(f: FieldDef, comma: boolean): void {
  const slot = f.id * 3;
  if (snip(slot, comma)) return;
  if (comma) byte(0x2c);
  const start = W.p;
  str(f.name);
  byte(0x3a);
  keepSnip(slot, start);
}
/** `"name":true` / `"name":false` per field id, encoded once */
function boolPair(f: FieldDef, v: boolean, comma: boolean): void {
  const slot = f.id * 3 + (v ? 2 : 1);
  if (snip(slot, comma)) return;
  if (comma) byte(0x2c);
  const start = W.p;
  key(f, false);
  copy(v ? TRUE : FALSE, false);
  keepSnip(slot, start);
}
function nameKey(name: string): void {
  str(name);
  byte(0x3a);
}

let seen = new Int32Array(1024);
let count = new Int32Array(1024);
let done = new Int32Array(1024);
/** per field id, its first and last record in the protocol being filled (valid where seen[id] is its stamp) */
let firstAt = new Int32Array(1024);
let lastAt = new Int32Array(1024);
let serial = 0;

function grow(id: number): void {
  let size = seen.length;
  while (size <= id) size *= 2;
  seen = grown(seen, size);
  count = grown(count, size);
  done = grown(done, size);
  firstAt = grown(firstAt, size);
  lastAt = grown(lastAt, size);
}

/** One protocol's object: its fields [from, to) by name, in order; a field seen several times as an array at its first place. */
function protoObject(from: number, to: number, data: Uint8Array, end: number, byName: boolean): void {
  byte(0x7b);
  if (byName) {
    groupedFields(from, to, data, end); // and the closing brace
    return;
  }
  let comma = false;
  // a run being written that is kept as bytes once written (JsonSink.endRun): its end, where its bytes start, its slot
  let keepTo = -1;
  let keepFrom = 0;
  let keepSlot = 0;
  for (let i = from; i < to; i++) {
    if (i === keepTo) {
      keepRun(keepFrom, keepSlot);
      keepTo = -1;
    }
    if (R.dup[i]) continue; // written with the field's first record
    if (R.lat[i] === 2) {
      // a run written before, as its bytes
      copy(R.src[i]!, comma);
      R.src[i] = null;
      comma = true;
      continue;
    }
    if (R.runPkt[i] === R.pkt && keepTo < 0 && eachOnce(i, R.runEnd[i])) {
      keepTo = R.runEnd[i];
      keepSlot = R.runSlot[i];
      keepFrom = comma ? W.p + 1 : W.p;
    }
    const f = R.f[i]!;
    if (R.cnt[i] > 1) {
      // every record of the field, in order, as an array at its first place
      key(f, comma);
      byte(0x5b);
      value(i, data, end);
      for (let j = R.next[i]; j >= 0; j = R.next[j]) {
        byte(0x2c);
        value(j, data, end);
      }
      byte(0x5d);
    } else if ((kindOf(f)) === Kind.Bool) {
      const x = R.v[i];
      boolPair(f, x === true || x === 1, comma); // `"name":true` or `"name":false` in one copy
    } else {
      key(f, comma);
      value(i, data, end);
    }
    comma = true;
  }
  if (keepTo >= 0) keepRun(keepFrom, keepSlot);
  byte(0x7d);
}

/** Whether records [from, to) are each the only one of its field in its protocol (so their bytes stand alone). */
function eachOnce(from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (R.dup[j] || R.cnt[j] !== 1 || R.lat[j] === 2) return false;
  return true;
}

/** Keeps the bytes written since `from` as the run `slot`'s (a few thousand at most). */
function keepRun(from: number, slot: number): void {
  if (runBytes.size < 4096 && W.p > from) runBytes.set(slot, bytesOf(from, W.p));
}

/** protoObject's fields when some have no declaration: grouped by name (kept apart: the common path stays small). */
function groupedFields(from: number, to: number, data: Uint8Array, end: number): void {
  const stamp = ++serial;
  let multi = false;
  for (let i = from; i < to; i++) {
    const f = R.f[i];
    if (R.lat[i] === 2) continue; // a run's bytes, written as they are below
    if (!f) {
      multi = true; // nothing to index by: spelled by name below (rare)
      continue;
    }
    if (f.id >= seen.length) grow(f.id);
    if (seen[f.id] !== stamp) {
      seen[f.id] = stamp;
      count[f.id] = 1;
    } else {
      count[f.id]++;
      multi = true;
    }
  }
  let first = true;
  for (let i = from; i < to; i++) {
    const f = R.f[i];
    if (R.lat[i] === 2) {
      copy(R.src[i]!, !first);
      R.src[i] = null;
      first = false;
      continue;
    }
    if (!multi || (f && count[f.id] === 1)) {
      if ((kindOf(f!)) === Kind.Bool) {
        // `"name":true` or `"name":false` in one copy
        const x = R.v[i];
        boolPair(f!, x === true || x === 1, !first);
      } else {
        key(f!, !first);
        value(i, data, end);
      }
      first = false;
      continue;
    }
    const name = R.name[i];
    if (f) {
      if (done[f.id] === stamp) continue;
      done[f.id] = stamp;
    } else {
      let earlier = false;
      for (let j = from; j < i && !earlier; j++) earlier = !R.f[j] && R.name[j] === name;
      if (earlier) continue;
    }
    // Every record of this field, in order: an array when there are several.
    let k = 0;
    for (let j = i; j < to; j++) if (f ? R.f[j] === f : !R.f[j] && R.name[j] === name) k++;
    if (f) key(f, !first);
    else {
      if (!first) byte(0x2c);
      nameKey(name);
    }
    if (k > 1) byte(0x5b);
    let m = 0;
    for (let j = i; j < to; j++) {
      if (f ? R.f[j] !== f : R.f[j] || R.name[j] !== name) continue;
      if (m++) byte(0x2c);
      value(j, data, end);
    }
    if (k > 1) byte(0x5d);
    first = false;
  }
  byte(0x7d);
}

/** The line from the records: protocols by name (several of one name as an array at the first), then the expert info. */
function writeRecords(data: Uint8Array, end: number, ctx: Ctx): Uint8Array {
  W.p = 0;
  writeBody(data, end, ctx);
  return W.b.subarray(0, W.p);
}

/** writeRecords at the end of an output Line (the CLI's buffer): no copy of the line. */
function writeRecordsInto(data: Uint8Array, end: number, ctx: Ctx, out: OutLine): void {
  const own = W.b;
  W.b = out.buf;
  W.p = out.n;
  writeBody(data, end, ctx);
  out.adopt(W.b as Buffer, W.p);
  W.b = own;
}

function writeBody(data: Uint8Array, end: number, ctx: Ctx): void {
  byte(0x7b);
  let first = true;
  for (let i = 0; i < R.np; i++) {
    const name = R.proto[i];
    let earlier = false;
    for (let j = 0; j < i && !earlier; j++) earlier = R.proto[j] === name;
    if (earlier) continue;
    let k = 0;
    for (let j = i + 1; j < R.np; j++) if (R.proto[j] === name) k++;
    if (!first) byte(0x2c);
    nameKey(name);
    if (k) byte(0x5b);
    protoObject(R.from[i], R.to[i], data, end, R.byName[i]);
    for (let j = i + 1; k && j < R.np; j++) {
      if (R.proto[j] !== name) continue;
      byte(0x2c);
      protoObject(R.from[j], R.to[j], data, end, R.byName[j]);
    }
    if (k) byte(0x5d);
    first = false;
  }
  if (ctx.truncated || ctx.malformed || ctx.bug) {
    if (!first) byte(0x2c);
    ascii('"_ws.expert":{');
    let more = false;
    if (ctx.truncated) {
      ascii('"truncated":true');
      more = true;
    }
    if (ctx.malformed) {
      ascii(more ? ',"malformed":' : '"malformed":');
      if (ctx.malformedReason) str(ctx.malformedReason);
      else ascii("true");
      more = true;
    }
    if (ctx.bug) {
      ascii(more ? ',"bug":' : '"bug":');
      str(ctx.bug);
    }
    byte(0x7d);
  }
  byte(0x7d);
  byte(0x0a);
}

/** The field nodes under a protocol node, depth first (subtrees flattened into the protocol's object). */
function collect(nodes: readonly TreeNode[]): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.kind === "field" && n.name) R.field(n.field, n.name, n.value, n.field && n.value !== null ? undefined : n.display, n.offset, n.length);
    if (n.children) collect(n.children);
  }
}

/**
 * The packet's NDJSON line (with its newline) as bytes. The view is into a reused buffer: valid until the next
 * call; copy it to keep it.
 */
export function packetJsonBytes(v: PacketView): Uint8Array {
  R.reset();
  for (const p of v.roots) {
    if (p.kind !== "proto") continue;
    R.open(p.name);
    if (p.children) collect(p.children);
  }
  R.close();
  return writeRecords(v.data, v.end, v.ctx);
}

/** The same line as text. */
export function packetJsonText(v: PacketView): string {
  return utf8.decode(packetJsonBytes(v));
}

/**
 * The dissectors' tree sink for -T json without a tree: fields go straight into the records, protocol layers
 * open record groups. Nesting (push/pop) flattens as the JSON does; notes are not part of the JSON.
 * Use: begin(frame node) -> Dissector.into(..., sink) -> line(ctx, data, end).
 */
export class JsonSink implements LayerSink {
  readonly on = true;
  /** display texts are written only for fields without a value (displayOf) */
  readonly texts = false;
  /** what openProto returns: the engine sets its length, which the JSON does not use */
  private layer = { offset: 0, length: 0 };

  /** Starts a packet. Its frame node comes at the end (it is built from the dissection), placed first. */
  begin(): void {
    R.reset();
    R.open("frame");
  }
  openProto(id: string, _title: string, offset: number): { offset: number; length: number } {
    R.open(id);
    this.layer.offset = offset;
    this.layer.length = 0;
    return this.layer;
  }
  dropProto(): void {
    R.drop();
  }
  add(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void {
    R.field(f, f.name, value, display, offset, length);
  }
  push(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void {
    R.field(f, f.name, value, display, offset, length);
  }
  addLatin1(f: FieldDef, data: Uint8Array, from: number, to: number, offset: number, length: number, display?: string): void {
    R.latin1(f, data, from, to, display, offset, length);
  }
  note(): void {}
  pushNote(): void {}
  pop(): void {}
  /** where the run being added started (cachedRun then endRun; runs do not nest) */
  private runFrom = 0;
  cachedRun(run: number, key: number): boolean {
    if (key < 0 || key >= RUN_KEYS) return false;
    const b = runBytes.get(run * RUN_KEYS + key);
    if (b === undefined) {
      this.runFrom = R.n;
      return false;
    }
    R.raw(b);
    return true;
  }
  endRun(run: number, key: number): void {
    if (key >= 0 && key < RUN_KEYS) R.run(this.runFrom, run * RUN_KEYS + key);
  }
  /** Whether the packet's first layer `proto` has a field of this name (eth.len: an 802.3 frame). */
  has(proto: string, name: string): boolean {
    for (let j = 0; j < R.np; j++) {
      if (R.proto[j] !== proto) continue;
      const to = j + 1 < R.np ? R.from[j + 1] : R.n;
      for (let i = R.from[j]; i < to; i++) {
        const f = R.f[i];
        if ((f ? f.name : R.name[i]) === name) return true;
      }
      return false;
    }
    return false;
  }
  /** The packet's line as bytes (a view of a reused buffer, valid until the next packet); `frame` gives the frame's fields. */
  line(frame: (out: (f: FieldDef, value: number | string) => void) => void, ctx: Ctx, data: Uint8Array, end: number): Uint8Array {
    this.frame(frame);
    return writeRecords(data, end, ctx);
  }
  /** line() appended to `out` instead. */
  lineInto(frame: (out: (f: FieldDef, value: number | string) => void) => void, ctx: Ctx, data: Uint8Array, end: number, out: OutLine): void {
    this.frame(frame);
    writeRecordsInto(data, end, ctx, out);
  }
  private frame(frame: (out: (f: FieldDef, value: number | string) => void) => void): void {
    R.close();
    const from = R.n;
    R.into(0);
    frame(this.frameField);
    R.from[0] = from;
    R.to[0] = R.n;
  }
  private frameField = (f: FieldDef, value: number | string): void => R.field(f, f.name, value, undefined, this.frameOffset, 0);
  /** The frame's times as numbers (FrameBuilder.fields' `time`): no string per time. */
  readonly timeField: TimeOut = (f, neg, sec, nsec) => R.time(f, neg, sec, nsec, this.frameOffset);
  /** where the packet starts (the frame fields' offset) */
  frameOffset = 0;
}
