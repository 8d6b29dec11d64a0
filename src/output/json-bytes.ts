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
import type { TreeNode } from "../dissectors/tree.js";
import type { FieldDef } from "../dissectors/types.js";
import type { PacketView } from "./view.js";

const HEX = "0123456789abcdef";
const utf8 = new TextDecoder();
const HEXB = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEXB[i] = HEX.charCodeAt(i);

/** The line being written (grows as needed: a packet's payload hex can run to megabytes) and the write position. */
class Line {
  b = new Uint8Array(1 << 16);
  p = 0;
}
const W = new Line();

function ensure(n: number): void {
  if (W.p + n <= W.b.length) return;
  let size = W.b.length * 2;
  while (size < W.p + n) size *= 2;
  const nb = new Uint8Array(size);
  nb.set(W.b.subarray(0, W.p));
  W.b = nb;
}

function byte(c: number): void {
  if (W.p >= W.b.length) ensure(1);
  W.b[W.p++] = c;
}

/** Raw ASCII (our own punctuation and digits only). */
function ascii(s: string): void {
  ensure(s.length);
  for (let i = 0; i < s.length; i++) W.b[W.p++] = s.charCodeAt(i);
}

function copy(b: Uint8Array): void {
  ensure(b.length);
  for (let i = 0; i < b.length; i++) W.b[W.p++] = b[i];
}

/** Characters written as \u escapes besides JSON's own: C1, DEL, line/paragraph separators, bidi controls, BOM. */
function uEscape(c: number): boolean {
  return (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff;
}

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
  W.b[W.p++] = 0x22;
  let i = 0;
  // The common case: printable ASCII without quote or backslash, one byte each.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
    W.b[W.p++] = c;
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
      byte(c);
      continue;
    }
    if (c === 0x22 || c === 0x5c) {
      ensure(2);
      W.b[W.p++] = 0x5c;
      W.b[W.p++] = c;
      continue;
    }
    if (c < 0x20) {
      const short = c === 8 ? 0x62 : c === 9 ? 0x74 : c === 10 ? 0x6e : c === 12 ? 0x66 : c === 13 ? 0x72 : 0;
      if (short) {
        ensure(2);
        W.b[W.p++] = 0x5c;
        W.b[W.p++] = short;
      } else u4(c);
      continue;
    }
    if (uEscape(c)) {
      u4(c);
      continue;
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
        i++;
      } else u4(c); // a lone surrogate, as JSON.stringify spells it
      continue;
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
  }
  byte(0x22);
}

/** A number as JSON.stringify spells it. */
function num(v: number): void {
  if (!Number.isFinite(v)) return ascii("null");
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
  byte(0x22);
  if (to > from) {
    ensure((to - from) * 3);
    for (let i = from; i < to; i++) {
      if (i > from) W.b[W.p++] = 0x3a;
      const b = data[i];
      W.b[W.p++] = HEXB[b >> 4];
      W.b[W.p++] = HEXB[b & 15];
    }
  }
  byte(0x22);
}

/** A field's value, as jsonValue gives it to JSON.stringify. */
function value(n: TreeNode, v: PacketView): void {
  const f = n.field;
  const x = n.value;
  if (!f) return str(n.display);
  switch (f.type) {
    case "uint":
    case "int":
    case "float":
      if (typeof x === "number") return num(x);
      return x === null ? ascii("null") : str(String(x));
    case "bool":
      return ascii(x === true || x === 1 ? "true" : "false");
    case "bytes": {
      const a = Math.max(0, n.offset);
      const b = Math.min(v.end, n.offset + Math.max(0, n.length));
      return hexColon(v.data, a, b > a ? b : a);
    }
    case "none":
      return ascii('""');
    default:
      return str(x === null ? n.display : String(x));
  }
}

/** `"name":` per field id, encoded once. */
const keyBytes: Uint8Array[] = [];
function key(f: FieldDef): void {
  let k = keyBytes[f.id];
  if (!k) {
    const start = W.p;
    str(f.name);
    byte(0x3a);
    k = keyBytes[f.id] = W.b.slice(start, W.p);
    return;
  }
  copy(k);
}
function nameKey(name: string): void {
  str(name);
  byte(0x3a);
}

let seen = new Int32Array(1024);
let count = new Int32Array(1024);
let done = new Int32Array(1024);
let serial = 0;
/** The field nodes of the protocol being written: entries [0, nflat); never shrunk (setting an array's length to 0 frees its storage, and growing it again per packet costs more than the writing). */
const flat: TreeNode[] = [];
let nflat = 0;

function collect(nodes: readonly TreeNode[]): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.kind === "field" && n.name) flat[nflat++] = n;
    if (n.children) collect(n.children);
  }
}

function grow(id: number): void {
  let size = seen.length;
  while (size <= id) size *= 2;
  const a = new Int32Array(size),
    b = new Int32Array(size),
    c = new Int32Array(size);
  a.set(seen);
  b.set(count);
  c.set(done);
  seen = a;
  count = b;
  done = c;
}

/** One protocol's object: its fields by name, in tree order, flattened. */
function protoObject(p: TreeNode, v: PacketView): void {
  byte(0x7b);
  if (!p.children || p.children.length === 0) return byte(0x7d);
  nflat = 0;
  collect(p.children);
  const stamp = ++serial;
  let multi = false;
  for (let i = 0; i < nflat; i++) {
    const f = flat[i].field;
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
  for (let i = 0; i < nflat; i++) {
    const n = flat[i];
    const f = n.field;
    if (!multi || (f && count[f.id] === 1)) {
      if (!first) byte(0x2c);
      key(f!);
      value(n, v);
      first = false;
      continue;
    }
    if (f) {
      if (done[f.id] === stamp) continue;
      done[f.id] = stamp;
    } else {
      let earlier = false;
      for (let j = 0; j < i && !earlier; j++) earlier = !flat[j].field && flat[j].name === n.name;
      if (earlier) continue;
    }
    // Every node of this field, in order: an array when there are several.
    let k = 0;
    for (let j = i; j < nflat; j++) if (f ? flat[j].field === f : !flat[j].field && flat[j].name === n.name) k++;
    if (!first) byte(0x2c);
    if (f) key(f);
    else nameKey(n.name);
    if (k > 1) byte(0x5b);
    let m = 0;
    for (let j = i; j < nflat; j++) {
      const o = flat[j];
      if (f ? o.field !== f : o.field || o.name !== n.name) continue;
      if (m++) byte(0x2c);
      value(o, v);
    }
    if (k > 1) byte(0x5d);
    first = false;
  }
  byte(0x7d);
}

/**
 * The packet's NDJSON line (with its newline) as bytes. The view is into a reused buffer: valid until the next
 * call; copy it to keep it.
 */
export function packetJsonBytes(v: PacketView): Uint8Array {
  W.p = 0;
  const roots = v.roots;
  byte(0x7b);
  let first = true;
  for (let i = 0; i < roots.length; i++) {
    const p = roots[i];
    if (p.kind !== "proto") continue;
    let earlier = false;
    for (let j = 0; j < i && !earlier; j++) earlier = roots[j].kind === "proto" && roots[j].name === p.name;
    if (earlier) continue;
    let k = 0;
    for (let j = i + 1; j < roots.length; j++) if (roots[j].kind === "proto" && roots[j].name === p.name) k++;
    if (!first) byte(0x2c);
    nameKey(p.name);
    if (k) byte(0x5b);
    protoObject(p, v);
    for (let j = i + 1; k && j < roots.length; j++) {
      if (roots[j].kind !== "proto" || roots[j].name !== p.name) continue;
      byte(0x2c);
      protoObject(roots[j], v);
    }
    if (k) byte(0x5d);
    first = false;
  }
  const ctx = v.ctx;
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
  return W.b.subarray(0, W.p);
}

/** The same line as text. */
export function packetJsonText(v: PacketView): string {
  const b = packetJsonBytes(v);
  return utf8.decode(b);
}
