/** Address and text formatting shared by dissectors. Cheap: no intermediate arrays. */
import type { Reader } from "./reader.js";

const HEX = "0123456789abcdef";

/**
 * Dotted-quad text, cached: captures repeat a few addresses millions of times, and a lookup is cheaper than
 * building the string again. The cache is bounded (cleared when full).
 */
const V4_CACHE = new Map<number, string>();
export function ipv4At(d: Uint8Array, p: number): string {
  const n = ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
  let s = V4_CACHE.get(n);
  if (s === undefined) {
    if (V4_CACHE.size >= 65536) V4_CACHE.clear();
    s = d[p] + "." + d[p + 1] + "." + d[p + 2] + "." + d[p + 3];
    V4_CACHE.set(n, s);
  }
  return s;
}

/** Reads 4 bytes as a dotted quad (or zeros, marking truncation, when not captured). */
export function readIPv4(r: Reader): string {
  if (!r.has(4)) {
    r.skip(4);
    return "0.0.0.0";
  }
  const s = ipv4At(r.data, r.pos);
  r.pos += 4;
  return s;
}

/**
 * MAC text, cached like addresses: a small direct-mapped table (key: the 48 bits as two numbers), so a hit costs
 * no allocation.
 */
const MAC_HI = new Int32Array(1024);
const MAC_LO = new Int32Array(1024);
const MAC_TEXT: string[] = new Array<string>(1024).fill("");
export function macAt(d: Uint8Array, p: number): string {
  const hi = (d[p] << 8) | d[p + 1];
  const lo = (d[p + 2] << 24) | (d[p + 3] << 16) | (d[p + 4] << 8) | d[p + 5];
  const h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 22;
  if (MAC_HI[h] === hi && MAC_LO[h] === lo && MAC_TEXT[h] !== "") return MAC_TEXT[h];
  const s = macText(d, p);
  MAC_HI[h] = hi;
  MAC_LO[h] = lo;
  MAC_TEXT[h] = s;
  return s;
}

function macText(d: Uint8Array, p: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) {
    const b = d[p + i];
    if (i) s += ":";
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}
export function readMac(r: Reader): string {
  if (!r.has(6)) {
    r.skip(6);
    return "00:00:00:00:00:00";
  }
  const s = macAt(r.data, r.pos);
  r.pos += 6;
  return s;
}

/** The last IPv6 addresses made into text (a packet has two; a conversation repeats them): bytes, then text. */
const V6_SLOTS = 4;
const v6Bytes = new Uint8Array(16 * V6_SLOTS);
const v6Text: string[] = new Array<string>(V6_SLOTS).fill("");
let v6Next = 0;

/** RFC 5952 text of 16 bytes at p (longest run of two or more zero groups becomes "::"; embedded IPv4 kept in hex). */
export function ipv6At(d: Uint8Array, p: number): string {
  next: for (let k = 0; k < V6_SLOTS; k++) {
    const o = k * 16;
    for (let i = 15; i >= 0; i--) if (v6Bytes[o + i] !== d[p + i]) continue next;
    if (v6Text[k] !== "") return v6Text[k];
  }
  const s = ipv6Text(d, p);
  const k = v6Next;
  v6Next = (v6Next + 1) % V6_SLOTS;
  for (let i = 0; i < 16; i++) v6Bytes[k * 16 + i] = d[p + i];
  v6Text[k] = s;
  return s;
}

function ipv6Text(d: Uint8Array, p: number): string {
  const g = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 8; i++) g[i] = (d[p + 2 * i] << 8) | d[p + 2 * i + 1];
  let bestStart = -1,
    bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped and compatible forms, as inet_ntop prints them (tcpdump uses inet_ntop).
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    const v4 = `${d[p + 12]}.${d[p + 13]}.${d[p + 14]}.${d[p + 15]}`;
    return bestLen === 5 ? `::ffff:${v4}` : `::${v4}`;
  }
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    s += g[i].toString(16);
    if (i < 7) s += ":";
  }
  return s;
}
export function readIPv6(r: Reader): string {
  if (!r.has(16)) {
    r.skip(16);
    return "::";
  }
  const s = ipv6At(r.data, r.pos);
  r.pos += 16;
  return s;
}

export function hex(n: number, width: number): string {
  let s = (n >>> 0).toString(16);
  while (s.length < width) s = "0" + s;
  return s;
}

/**
 * Escapes text from the wire for a terminal: printable ASCII stays, everything else (control characters,
 * ESC, DEL, bytes >= 0x80) becomes a visible escape, so no packet can move the cursor or change colours.
 */
export function safeText(s: string): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    out += s.slice(start, i);
    if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else out += c < 0x100 ? "\\x" + HEX[c >> 4] + HEX[c & 15] : "\\u" + hex(c, 4);
    start = i + 1;
  }
  return start === 0 ? s : out + s.slice(start);
}

/** "N bytes" (a display text of payload fields), made once per N below 65536. */
const BYTES_TEXT: string[] = [];
export function bytesText(n: number): string {
  if (n >= 0 && n < 65536 && (n | 0) === n) return BYTES_TEXT[n] ?? (BYTES_TEXT[n] = `${n} bytes`);
  return `${n} bytes`;
}

/** "0x" and v in hexadecimal, zero-padded to `width` digits, made once per value below 4096. */
const HEX_TEXT: string[][] = [];
export function hexText(v: number, width: number): string {
  if (v >= 0 && v < 4096 && (v | 0) === v && width < 8) {
    const t = HEX_TEXT[width] ?? (HEX_TEXT[width] = []);
    return t[v] ?? (t[v] = `0x${v.toString(16).padStart(width, "0")}`);
  }
  return `0x${v.toString(16).padStart(width, "0")}`;
}


/** tcpdump's unsigned_relts_print: seconds as "1y2w3d4h5m6s" (units that are zero left out), "0s" for 0. */
const RELTS_UNITS: ReadonlyArray<readonly [number, string]> = [
  [31536000, "y"],
  [604800, "w"],
  [86400, "d"],
  [3600, "h"],
  [60, "m"],
  [1, "s"],
];
export function relts(secs: number): string {
  if (secs === 0) return "0s";
  let s = "";
  for (const [n, u] of RELTS_UNITS) {
    if (secs >= n) {
      s += `${Math.floor(secs / n)}${u}`;
      secs %= n;
    }
  }
  return s;
}

/**
 * One byte as tcpdump's fn_print_char writes it: "M-" and the low 7 bits for a byte above 0x7f, "^X" for a
 * control character, so no packet byte reaches the terminal raw (the result is printable ASCII).
 */
export function printChar(c: number): string {
  let pre = "";
  if (c > 0x7f) {
    c &= 0x7f;
    pre = "M-";
  }
  return c < 0x20 || c === 0x7f ? `${pre}^${String.fromCharCode(c ^ 0x40)}` : pre + String.fromCharCode(c);
}

/**
 * Hex text of d[from, from + n) clipped to [start, cap) (a Reader's bounds: bytes outside read as 0, as
 * Reader.byteAt): one native conversion instead of a string built two digits at a time (a TLS record's or a
 * payload's first bytes on every frame of the detail pass).
 */
export function hexSpan(d: Uint8Array, from: number, n: number, start: number, cap: number): string {
  if (n <= 0) return "";
  if (from >= start && from + n <= cap) return Buffer.from(d.buffer, d.byteOffset + from, n).toString("hex");
  let s = "";
  for (let i = 0; i < n; i++) {
    const a = from + i;
    const b = a >= start && a < cap ? d[a] : 0;
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}
