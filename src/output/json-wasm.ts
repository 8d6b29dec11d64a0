/**
 * The -T json writer's two byte loops over long fields, in WebAssembly: a byte field as "aa:bb:cc" hex
 * (tcp.segment_data, tcp.payload, data.data) and a body as a JSON string of its Latin-1 text (http.file_data).
 * With reassembly on, these fields are half of a -T json line's bytes, and per byte V8's optimised JS took
 * 1.2-3 ns where this takes 0.4-0.8 (16 bytes at a time with SIMD: hex digits by table shuffle; runs of
 * printable ASCII stored as they are; other bytes through the same table as json-bytes.ts's).
 *
 * The module is spelled here, instruction by instruction (no toolchain, nothing generated to commit), and
 * made on first use. Fields go through it in slices of at most SLICE bytes: copied into its memory, written
 * there, the result copied back. Short fields stay in JS (two copies and a call cost more than they save).
 * When WebAssembly or its SIMD is not there (node --jitless), null: the JS loops do it all.
 */

/** Bytes per call: the memory holds a slice and its escaped text (at most 6 bytes per byte), so stays ~460 KB. */
export const SLICE = 1 << 16;

// Memory layout: the string table (8 bytes per byte value, of which ESC_N[c] are used), the lengths, the hex
// table (a byte's two digits and a colon, little-endian), then a slice in and its text out.
const ESC8 = 0;
const ESCN = 2048;
const HEX3 = 2304;
const IN = 4096;
const OUT = IN + SLICE;
const PAGES = Math.ceil((OUT + SLICE * 6 + 64) / 65536);

// ---- a minimal WebAssembly encoder: just what the two functions below use ----
const I32 = 0x7f;
const V128 = 0x7b;
function uleb(n: number): number[] {
  const o: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    o.push(b);
  } while (n);
  return o;
}
function sleb(n: number): number[] {
  const o: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      o.push(b);
      return o;
    }
    o.push(b | 0x80);
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const c32 = (n: number) => [0x41, ...sleb(n)];
const ADD = [0x6a];
const SUB = [0x6b];
const SHL = [0x74];
const EQZ = [0x45];
const LTU = [0x49];
const GEU = [0x4f];
const SELECT = [0x1b];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (d: number) => [0x0c, ...uleb(d)];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const load8 = (o = 0) => [0x2d, 0, ...uleb(o)];
const load32 = (o = 0) => [0x28, 2, ...uleb(o)];
const store32 = (o = 0) => [0x36, 0, ...uleb(o)];
const load64 = (o = 0) => [0x29, 3, ...uleb(o)];
const store64 = (o = 0) => [0x37, 0, ...uleb(o)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const vLoad = (o = 0) => simd(0, 0, ...uleb(o));
const vStore = (o = 0) => simd(11, 0, ...uleb(o));
const vConst = (bytes: number[]) => simd(12, ...bytes);
const vShuffle = (lanes: number[]) => simd(13, ...lanes);
const SWIZZLE = simd(14);
const V_AND = simd(78);
const BITSELECT = simd(82);
const NE8 = simd(36);
const LTU8 = simd(38);
const GTU8 = simd(40);
const ALL_TRUE8 = simd(99);
const SHRU8 = simd(109);
const splat = (b: number) => vConst(new Array<number>(16).fill(b));

interface Fn {
  name: string;
  locals: [count: number, type: number][];
  body: number[][];
}
/** A module of functions (i32, i32, i32) -> i32 and one exported memory of `pages`. */
function encode(fns: Fn[], pages: number): Uint8Array {
  const type = [0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])];
  const code = fns.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body.flat(), ...END];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([type])),
    ...section(3, vec(fns.map(() => [0]))),
    ...section(5, vec([[0, ...uleb(pages)]])),
    ...section(7, vec([...fns.map((f, i) => [...name(f.name), 0, ...uleb(i)]), [...name("mem"), 2, 0]])),
    ...section(10, vec(code)),
  ]);
}

// Parameters (src, n, dst) and locals, by index.
const S = 0,
  N = 1,
  D = 2,
  E = 3;

/**
 * hex(src, n, dst): per byte its two hex digits and a colon; returns the end (after the last colon). 16 bytes
 * at a time: high and low nibbles to digits by swizzle from "0123456789abcdef", then three 16-byte stores, each
 * a shuffle of the digits with the colons' lanes taken from a vector of colons.
 */
function hexFn(): Fn {
  const X = 4,
    H = 5,
    L = 6;
  const DIGITS = [..."0123456789abcdef"].map((ch) => ch.charCodeAt(0));
  // output byte k: pair k / 3; k % 3 == 0 its high digit (lane j of H), 1 its low (lane 16 + j: L), 2 a colon
  const lanes = (k0: number) =>
    Array.from({ length: 16 }, (_, t) => {
      const k = k0 + t;
      const j = Math.floor(k / 3);
      return k % 3 === 0 ? j : k % 3 === 1 ? 16 + j : 0;
    });
  const colons = (k0: number) => Array.from({ length: 16 }, (_, t) => ((k0 + t) % 3 === 2 ? 0xff : 0));
  const third = (k0: number) => [...get(D), ...splat(0x3a), ...get(H), ...get(L), ...vShuffle(lanes(k0)), ...vConst(colons(k0)), ...BITSELECT, ...vStore(k0)];
  return {
    name: "hex",
    locals: [
      [1, I32],
      [3, V128],
    ],
    body: [
      [...get(S), ...get(N), ...ADD, ...set(E)],
      [...BLOCK, ...BLOCK, ...LOOP],
      // fewer than 16 left: the byte loop
      [...get(E), ...get(S), ...SUB, ...c32(16), ...LTU, ...brIf(1)],
      [...get(S), ...vLoad(), ...set(X)],
      [...vConst(DIGITS), ...get(X), ...c32(4), ...SHRU8, ...SWIZZLE, ...set(H)],
      [...vConst(DIGITS), ...get(X), ...splat(15), ...V_AND, ...SWIZZLE, ...set(L)],
      third(0),
      third(16),
      third(32),
      [...get(S), ...c32(16), ...ADD, ...set(S), ...get(D), ...c32(48), ...ADD, ...set(D)],
      [...br(0), ...END, ...END],
      // per byte: its 4-byte table entry stored, 3 kept
      [...LOOP, ...get(S), ...get(E), ...GEU, ...brIf(1)],
      [...get(D), ...get(S), ...load8(), ...c32(2), ...SHL, ...load32(HEX3), ...store32()],
      [...get(D), ...c32(3), ...ADD, ...set(D), ...get(S), ...c32(1), ...ADD, ...set(S)],
      [...br(0), ...END, ...END],
      get(D),
    ],
  };
}

/**
 * lat(src, n, dst): the bytes as JSON string text (no quotes); returns the end. 16 bytes at a time when all
 * are printable ASCII other than `"` and `\` (stored as they are); else those 16 byte by byte: the table's
 * 8 bytes stored, its length kept.
 */
function latFn(): Fn {
  const C = 4,
    LIM = 5,
    X = 6;
  return {
    name: "lat",
    locals: [
      [3, I32],
      [1, V128],
    ],
    body: [
      [...get(S), ...get(N), ...ADD, ...set(E)],
      [...BLOCK, ...LOOP, ...get(S), ...get(E), ...GEU, ...brIf(1)],
      [...BLOCK, ...get(E), ...get(S), ...SUB, ...c32(16), ...LTU, ...brIf(0)],
      [...get(S), ...vLoad(), ...set(X)],
      [...get(X), ...splat(0x1f), ...GTU8, ...get(X), ...splat(0x7f), ...LTU8, ...V_AND],
      [...get(X), ...splat(0x22), ...NE8, ...V_AND, ...get(X), ...splat(0x5c), ...NE8, ...V_AND],
      [...ALL_TRUE8, ...EQZ, ...brIf(0)],
      [...get(D), ...get(X), ...vStore()],
      [...get(S), ...c32(16), ...ADD, ...set(S), ...get(D), ...c32(16), ...ADD, ...set(D), ...br(1), ...END],
      // the next 16 bytes (or what is left) one at a time
      [...get(S), ...c32(16), ...ADD, ...tee(LIM), ...get(E), ...get(LIM), ...get(E), ...LTU, ...SELECT, ...set(LIM)],
      [...LOOP, ...get(D), ...get(S), ...load8(), ...tee(C), ...c32(3), ...SHL, ...load64(ESC8), ...store64()],
      [...get(D), ...get(C), ...load8(ESCN), ...ADD, ...set(D)],
      [...get(S), ...c32(1), ...ADD, ...tee(S), ...get(LIM), ...LTU, ...brIf(0), ...END],
      [...br(0), ...END, ...END],
      get(D),
    ],
  };
}

/** The two loops, writing into a caller's buffer. */
export interface WasmEscaper {
  /** data[from, to) (at most SLICE bytes) as "aa:bb:..." without quotes at out[p...]; returns the end. out needs 3 * n bytes from p. */
  hex(data: Uint8Array, from: number, to: number, out: Uint8Array, p: number): number;
  /** data[from, to) (at most SLICE bytes) as JSON string text without quotes at out[p...]; returns the end. out needs 6 * n bytes from p. */
  latin1(data: Uint8Array, from: number, to: number, out: Uint8Array, p: number): number;
}

/**
 * The escaper, with the string table json-bytes.ts uses (esc: per byte value 6 bytes, escN: how many of
 * them) and its hex table (hex3: per byte, two digits and a colon, little-endian). null without WebAssembly.
 */
export function wasmEscaper(esc: Uint8Array, escN: Uint8Array, hex3: Uint32Array): WasmEscaper | null {
  let ex: { hex: (s: number, n: number, d: number) => number; lat: (s: number, n: number, d: number) => number; mem: { buffer: ArrayBuffer } };
  try {
    // (the DOM's WebAssembly types are not in this project's lib: the little used here, typed by hand)
    const WA = (globalThis as { WebAssembly?: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: unknown } } }).WebAssembly;
    if (!WA) return null;
    ex = new WA.Instance(new WA.Module(encode([hexFn(), latFn()], PAGES))).exports as typeof ex;
  } catch {
    return null; // no WebAssembly, or no SIMD
  }
  const mem = new Uint8Array(ex.mem.buffer); // never grown: a slice always fits
  for (let c = 0; c < 256; c++) {
    mem.set(esc.subarray(c * 6, c * 6 + 6), ESC8 + c * 8);
    mem[ESCN + c] = escN[c];
    mem[HEX3 + c * 4] = hex3[c] & 0xff;
    mem[HEX3 + c * 4 + 1] = (hex3[c] >> 8) & 0xff;
    mem[HEX3 + c * 4 + 2] = (hex3[c] >> 16) & 0xff;
  }
  /** one of the module's loops over data[from, to), copied through its memory to out[p...] */
  const through =
    (loop: (inp: number, n: number, outAt: number) => number) =>
    (data: Uint8Array, from: number, to: number, out: Uint8Array, p: number): number => {
      const n = to - from;
      if (n <= 0) return p;
      mem.set(data.subarray(from, to), IN);
      const e = loop(IN, n, OUT);
      out.set(mem.subarray(OUT, e), p);
      return p + (e - OUT);
    };
  return { hex: through(ex.hex), latin1: through(ex.lat) };
}
