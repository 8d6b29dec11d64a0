/**
 * Building pcapng blocks (draft-ietf-opsawg-pcapng), little-endian: the Section Header Block, Interface
 * Description Blocks and Enhanced Packet Blocks tsniff writes. Pure functions: header blocks come back as
 * new arrays (a few per file); packets are written into a caller's buffer (`writeEpb`, sized by `epbSize`)
 * so that writing a packet allocates nothing (see writeEpb for the two exceptions).
 *
 * Options are `code(2) length(2) value` padded to 32 bits, ended by opt_endofopt when there are any.
 */
import { PCAPNG_SHB } from "./pcap-format.js";

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const BT_IDB = 1;
const BT_EPB = 6;
/** Fixed part of an EPB: type, length, interface, timestamp (2), captured and original length, trailer. */
const EPB_FIXED = 32;
const TWO32 = 4294967296;
const encoder = new TextEncoder();

export interface ShbOptions {
  /** shb_userappl; "tsniff" unless given */
  userappl?: string;
  hardware?: string;
  os?: string;
  comment?: string;
}

export interface IdbOptions {
  /** if_name */
  name?: string;
  /** if_description */
  description?: string;
  /** timestamps in nanoseconds (if_tsresol 9); microseconds (the default, no option) otherwise */
  tsresolNano?: boolean;
}

/**
 * Bytes of `s` in UTF-8 (as TextEncoder writes it), counted without encoding, but at most `max`: the
 * length of the longest prefix of whole characters that fits.
 */
export function utf8Length(s: string, max = Infinity): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let w: number;
    let pair = false;
    if (c < 0x80) w = 1;
    else if (c < 0x800) w = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      w = 4; // a surrogate pair is one 4-byte character
      pair = true;
    } else w = 3; // includes a lone surrogate, which TextEncoder writes as U+FFFD (3 bytes)
    if (n + w > max) break;
    n += w;
    if (pair) i++;
  }
  return n;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
}

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
  b[p + 2] = (v >>> 16) & 0xff;
  b[p + 3] = (v >>> 24) & 0xff;
}

/** An option value; header options longer than 65535 bytes are cut (the length field is 16 bits). */
type OptValue = Uint8Array;

function optionsSize(opts: [number, OptValue][]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const [, v] of opts) n += 4 + pad4(Math.min(v.length, 0xffff));
  return n;
}

function writeOptions(b: Uint8Array, p: number, opts: [number, OptValue][]): number {
  if (opts.length === 0) return p;
  for (const [code, v] of opts) {
    const len = Math.min(v.length, 0xffff);
    put16(b, p, code);
    put16(b, p + 2, len);
    b.set(v.subarray(0, len), p + 4);
    b.fill(0, p + 4 + len, p + 4 + pad4(len));
    p += 4 + pad4(len);
  }
  put16(b, p, OPT_ENDOFOPT);
  put16(b, p + 2, 0);
  return p + 4;
}

function block(type: number, body: number, opts: [number, OptValue][], fill: (b: Uint8Array) => void): Uint8Array {
  const len = 8 + body + optionsSize(opts) + 4;
  const b = new Uint8Array(len);
  put32(b, 0, type);
  put32(b, 4, len);
  fill(b);
  writeOptions(b, 8 + body, opts);
  put32(b, len - 4, len);
  return b;
}

/** A Section Header Block: version 1.0, section length unknown (-1), shb_userappl "tsniff". */
export function shb(options: ShbOptions = {}): Uint8Array {
  const opts: [number, OptValue][] = [];
  if (options.comment) opts.push([OPT_COMMENT, encoder.encode(options.comment)]);
  if (options.hardware) opts.push([SHB_HARDWARE, encoder.encode(options.hardware)]);
  if (options.os) opts.push([SHB_OS, encoder.encode(options.os)]);
  opts.push([SHB_USERAPPL, encoder.encode(options.userappl ?? "tsniff")]);
  return block(PCAPNG_SHB, 16, opts, (b) => {
    put32(b, 8, BYTE_ORDER_MAGIC);
    put16(b, 12, 1);
    put16(b, 14, 0);
    put32(b, 16, 0xffffffff);
    put32(b, 20, 0xffffffff);
  });
}

/** An Interface Description Block; interfaces are numbered in the order their IDBs are written. */
export function idb(linktype: number, snaplen: number, options: IdbOptions = {}): Uint8Array {
  const opts: [number, OptValue][] = [];
  if (options.name) opts.push([IF_NAME, encoder.encode(options.name)]);
  if (options.description) opts.push([IF_DESCRIPTION, encoder.encode(options.description)]);
  if (options.tsresolNano) opts.push([IF_TSRESOL, Uint8Array.of(9)]);
  return block(BT_IDB, 8, opts, (b) => {
    put16(b, 8, linktype & 0xffff);
    put16(b, 10, 0);
    put32(b, 12, snaplen >>> 0);
  });
}

/** Decryption Secrets Block type and its secrets type for a TLS key log ("TLSK"). */
const BT_DSB = 0x0000000a;
export const SECRETS_TLS_KEYLOG = 0x544c534b;

/**
 * A Decryption Secrets Block: `secrets` (the SSLKEYLOGFILE text for a TLS key log) that Wireshark, tshark
 * and tsniff use to decrypt the packets after it, as editcap --inject-secrets writes it.
 */
export function dsb(secrets: Uint8Array, secretsType = SECRETS_TLS_KEYLOG): Uint8Array {
  const len = 8 + 8 + pad4(secrets.length) + 4;
  const b = new Uint8Array(len);
  put32(b, 0, BT_DSB);
  put32(b, 4, len);
  put32(b, 8, secretsType);
  put32(b, 12, secrets.length);
  b.set(secrets, 16);
  put32(b, len - 4, len);
  return b;
}

/** Total size in bytes of the EPB `writeEpb` writes for this packet (caplen) and comment. */
export function epbSize(caplen: number, comment?: string): number {
  let n = EPB_FIXED + pad4(caplen);
  if (comment) n += 4 + pad4(utf8Length(comment, 0xffff)) + 4;
  return n;
}

/**
 * Writes an Enhanced Packet Block at out[pos] and returns the offset after it. `out` must have
 * epbSize(caplen, comment) bytes from pos. The timestamp is written in the interface's units: nanoseconds
 * when `nano` (its IDB was written with tsresolNano), else microseconds (tsNsec rounded down).
 * Only bytes[0, caplen) are written. Nothing is allocated when bytes.length === caplen and there is no
 * comment (otherwise one small typed-array view, and TextEncoder's result object for a comment: copying
 * byte by byte instead is ten times slower).
 */
export function writeEpb(
  out: Uint8Array,
  pos: number,
  ifaceIndex: number,
  nano: boolean,
  tsSec: number,
  tsNsec: number,
  caplen: number,
  wirelen: number,
  bytes: Uint8Array,
  comment?: string,
): number {
  const size = epbSize(caplen, comment);
  put32(out, pos, BT_EPB);
  put32(out, pos + 4, size);
  put32(out, pos + 8, ifaceIndex >>> 0);
  // units = tsSec * perSec + frac, split into 32-bit halves exactly (the product can pass 2^53):
  // tsSec = a * 65536 + b, so units = (a * perSec) * 65536 + (b * perSec + frac), each part below 2^53.
  const perSec = nano ? 1e9 : 1e6;
  const frac = nano ? tsNsec : Math.floor(tsNsec / 1000);
  const sec = Math.max(0, Math.floor(tsSec));
  const a = Math.floor(sec / 65536);
  const b = sec - a * 65536;
  const high = a * perSec; // times 65536
  const hHi = Math.floor(high / 65536); // high * 65536 = hHi * 2^32 + hLo * 65536
  const hLo = high - hHi * 65536;
  const low = b * perSec + frac;
  const lHi = Math.floor(low / TWO32);
  const lLo = low - lHi * TWO32;
  const s = hLo * 65536 + lLo; // < 2^33
  const carry = s >= TWO32 ? 1 : 0;
  put32(out, pos + 12, hHi + lHi + carry);
  put32(out, pos + 16, s - carry * TWO32);
  put32(out, pos + 20, caplen >>> 0);
  put32(out, pos + 24, wirelen >>> 0);
  out.set(bytes.length === caplen ? bytes : bytes.subarray(0, caplen), pos + 28); // a view only when it must
  let p = pos + 28 + caplen;
  const padded = pos + 28 + pad4(caplen);
  while (p < padded) out[p++] = 0;
  if (comment) {
    // An option holds at most 65535 bytes: a longer comment is cut there, at a character boundary.
    const clen = utf8Length(comment, 0xffff);
    put16(out, p, OPT_COMMENT);
    put16(out, p + 2, clen);
    encoder.encodeInto(comment, out.subarray(p + 4, p + 4 + clen));
    const end = p + 4 + pad4(clen);
    for (let i = p + 4 + clen; i < end; i++) out[i] = 0;
    p = end;
    put16(out, p, OPT_ENDOFOPT);
    put16(out, p + 2, 0);
    p += 4;
  }
  put32(out, p, size);
  return p + 4;
}

/** An EPB as a new array (convenience for tests and one-off writes; the hot path uses writeEpb). */
export function epb(
  ifaceIndex: number,
  nano: boolean,
  tsSec: number,
  tsNsec: number,
  caplen: number,
  wirelen: number,
  bytes: Uint8Array,
  comment?: string,
): Uint8Array {
  const out = new Uint8Array(epbSize(caplen, comment));
  writeEpb(out, 0, ifaceIndex, nano, tsSec, tsNsec, caplen, wirelen, bytes, comment);
  return out;
}
