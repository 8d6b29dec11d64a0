/** Addresses as text <-> bytes, and the Internet checksum, for building packets. Clear errors on bad input. */

export class CraftError extends Error {
  readonly code = "ECRAFT";
}

const MAC_RE = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;

/**
 * Addresses already parsed (text -> bytes), so that building many packets with the same addresses parses each
 * once. Bounded: cleared when full.
 */
const macs = new Map<string, Uint8Array>(),
  ip4s = new Map<string, Uint8Array>(),
  ip6s = new Map<string, Uint8Array>();
function remember(m: Map<string, Uint8Array>, key: string, bytes: Uint8Array): void {
  if (m.size >= 4096) m.clear();
  m.set(key, bytes);
}
function recall(m: Map<string, Uint8Array>, key: string, out: Uint8Array, off: number): boolean {
  const b = m.get(key);
  if (!b) return false;
  for (let i = 0; i < b.length; i++) out[off + i] = b[i];
  return true;
}

export function macBytes(s: string, out: Uint8Array, off: number, what = "MAC address"): void {
  if (recall(macs, s, out, off)) return;
  const m = MAC_RE.exec(s);
  if (!m) throw new CraftError(`${what} ${JSON.stringify(s)} is not a MAC address (like 02:00:00:00:00:01)`);
  for (let i = 0; i < 6; i++) out[off + i] = parseInt(m[i + 1], 16);
  remember(macs, s, out.slice(off, off + 6));
}

export function macText(b: Uint8Array, off: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i ? ":" : "") + b[off + i].toString(16).padStart(2, "0");
  return s;
}

export function ip4Bytes(s: string, out: Uint8Array, off: number, what = "IPv4 address"): void {
  if (recall(ip4s, s, out, off)) return;
  const p = s.split(".");
  if (p.length === 4) {
    let ok = true;
    for (let i = 0; i < 4; i++) {
      const v = /^\d{1,3}$/.test(p[i]) ? Number(p[i]) : NaN;
      if (!(v >= 0 && v <= 255)) ok = false;
      out[off + i] = v;
    }
    if (ok) return remember(ip4s, s, out.slice(off, off + 4));
  }
  throw new CraftError(`${what} ${JSON.stringify(s)} is not an IPv4 address`);
}

export function isIp4(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) && s.split(".").every((x) => Number(x) <= 255);
}

export function ip4Text(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function ip6Bytes(s: string, out: Uint8Array, off: number, what = "IPv6 address"): void {
  if (recall(ip6s, s, out, off)) return;
  const bad = () => new CraftError(`${what} ${JSON.stringify(s)} is not an IPv6 address`);
  let text = s;
  const words: number[] = [];
  // an IPv4 tail (::ffff:1.2.3.4)
  const v4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    const b = new Uint8Array(4);
    ip4Bytes(v4[2], b, 0, what);
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    text = v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const part = (t: string) => (t === "" ? [] : t.split(":").map((w) => (/^[0-9a-f]{1,4}$/i.test(w) ? parseInt(w, 16) : NaN)));
  const head = part(halves[0]);
  const rest = halves.length === 2 ? part(halves[1]) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) throw bad();
  words.push(...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail);
  for (let i = 0; i < 8; i++) {
    if (!(words[i] >= 0)) throw bad();
    out[off + 2 * i] = words[i] >> 8;
    out[off + 2 * i + 1] = words[i] & 0xff;
  }
  remember(ip6s, s, out.slice(off, off + 16));
}

export function ip6Text(b: Uint8Array, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  // the longest run of zero words (2 or more) becomes "::"
  let bs = -1,
    bl = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bl && j - i >= 2) {
      bs = i;
      bl = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (bs < 0) return hex(w);
  return `${hex(w.slice(0, bs))}::${hex(w.slice(bs + bl))}`;
}

/** The ones' complement sum of b[from, to) added to `sum` (not folded). */
export function sum16(b: Uint8Array, from: number, to: number, sum = 0): number {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < to) sum += b[i] << 8;
  return sum;
}

/** Folds and complements a sum into the 16-bit Internet checksum. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

export function get16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

export function get32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** A number field checked against its width: a clear error instead of silent wrapping. */
const MAX: number[] = [];
for (let b = 0; b <= 32; b++) MAX.push(2 ** b - 1);

export function uint(v: number | undefined, dflt: number, bits: number, what: string): number {
  const x = v ?? dflt;
  if (!(x >= 0 && x <= MAX[bits] && Math.floor(x) === x)) throw new CraftError(`${what} ${x} is out of range (0-${2 ** bits - 1})`);
  return x;
}
