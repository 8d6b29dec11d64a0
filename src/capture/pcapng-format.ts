/**
 * Reading the pcapng file format (draft-ietf-opsawg-pcapng): a sequence of blocks, each
 * `type(4) total-length(4) body total-length(4)`, grouped in sections that start with a Section Header
 * Block (SHB). The SHB's byte-order magic sets the byte order of its section; each section declares its own
 * interfaces (IDB), and packet blocks (EPB, SPB and the obsolete PB) refer to them by index.
 *
 * Packets are parsed in place: batch.offset points into the caller's buffer, nothing is copied and nothing
 * is allocated per packet (timestamps are converted with 32-bit-safe long division, see `convertTs`).
 *
 * Choices worth knowing:
 * - Interface numbers in `batch.iface` and `interfaces` are global to the file: the n-th IDB of the file
 *   (counting across sections) is interface n, so one number names one interface even when a file joins
 *   sections. A packet's in-section interface id is mapped through its section's base. (tshark 4.0's
 *   frame.interface_id is the in-section id; the two agree for single-section files.)
 * - A block at file offset 0 restarts the parser (FileSource parses the head once at open to learn the
 *   first interface, then parses again from offset 0), so the state is rebuilt, not duplicated.
 * - Damage (FileDamage, with the block's file offset) is: a block length < 12, not a multiple of 4, above
 *   the maximum block size, below the block type's minimum, or different in the trailer; an SHB with an
 *   unknown byte-order magic or major version; a first block that is not an SHB; a packet whose captured
 *   length overruns its block or is above its link type's maximum (libpcap's, see maxRecordFor: 262144
 *   for most); a packet on an undeclared interface; an IDB/SHB option running past its block.
 *   The maximum block size is libpcap's: 16 MiB, raised once an interface's link type allows larger
 *   packets (D-Bus: 128 MiB) to such a packet's EPB with 128 KiB of options. A block's length is checked
 *   before its bytes are waited for, so a corrupt length never makes the reader buffer it.
 *   Wireshark refuses an SPB whose block is shorter than min(original length, snaplen), where we keep the
 *   bytes the block has.
 * - Timestamps are exact (nanoseconds rounded down) for every if_tsresol, including resolutions finer
 *   than 1 ns where tshark 4.0's 64-bit arithmetic overflows. if_tsoffset seconds are added.
 * - An SPB has no timestamp: its packets get time 0 (as tshark shows them).
 * - `linktype`/`snaplen`/`nano` describe the file's first IDB, known at open when it lies within the
 *   first 16 MiB (FileSource reads that far for it); otherwise they stay -1/0/false. `snaplen` is libpcap's view of
 *   it (0 or above the link type's maximum: the maximum); `interfaces[i].snaplen` is the IDB's own value.
 * - Blocks we do not use (NRB, ISB, DSB, custom, journal, unknown types) are skipped; ISB counters and
 *   NRB entries are kept on the parser (`interfaces[i].stats`, `names`) because that is cheap.
 */
import { ensureCapacity, type PacketBatch } from "./batch.js";
import { FileDamage, maxRecordFor, PCAPNG_SHB } from "./pcap-format.js";
import type { RecordParser } from "./file-source.js";

export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
import { addKeyLogText } from "../tls/keylog.js";

export const enum BlockType {
  SHB = 0x0a0d0d0a,
  IDB = 1,
  /** obsolete Packet Block */
  PB = 2,
  SPB = 3,
  NRB = 4,
  ISB = 5,
  EPB = 6,
  SYSTEMD_JOURNAL = 9,
  DSB = 10,
  CUSTOM = 0x00000bad,
  CUSTOM_NOCOPY = 0x40000bad,
}
/** Option codes (common, SHB, IDB, ISB) used here. */
export const enum Opt {
  END = 0,
  COMMENT = 1,
  SHB_HARDWARE = 2,
  SHB_OS = 3,
  SHB_USERAPPL = 4,
  IF_NAME = 2,
  IF_DESCRIPTION = 3,
  IF_TSRESOL = 9,
  IF_FCSLEN = 13,
  IF_TSOFFSET = 14,
  ISB_STARTTIME = 2,
  ISB_ENDTIME = 3,
  ISB_IFRECV = 4,
  ISB_IFDROP = 5,
  ISB_FILTERACCEPT = 6,
  ISB_OSDROP = 7,
  ISB_USRDELIV = 8,
}

/** Largest block accepted until an interface allows larger packets (libpcap's initial maximum, 16 MiB). */
export const MAX_BLOCK = 16 << 20;
/** The largest block for a link type: an EPB holding its largest packet and 128 KiB of options (as libpcap). */
export function maxBlockFor(linktype: number): number {
  return Math.max(MAX_BLOCK, 8 + 20 + maxRecordFor(linktype) + 131072 + 4);
}
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_PB = 32;
const MIN_EPB = 32;
const MIN_SPB = 16;
const MIN_ISB = 24;
const MIN_NRB = 12;
/** NRB entries kept at most (a file full of names must not eat memory). */
const MAX_NAMES = 100000;
/** 1e9 / 2^9: nanoseconds per second without its power-of-two part. */
const NS_ODD = 1953125;
const TWO32 = 4294967296;
const FIVE_11 = 48828125;

/** Interface statistics from the last Interface Statistics Block for the interface (undefined: absent). */
export interface InterfaceStats {
  ifRecv?: number;
  ifDrop?: number;
  filterAccept?: number;
  osDrop?: number;
  usrDeliv?: number;
}

export interface PcapngInterface {
  /** 0-based section number in the file */
  section: number;
  /** index within its section (what packet blocks refer to) */
  localId: number;
  linktype: number;
  /** 0 means no limit */
  snaplen: number;
  /** raw if_tsresol byte: high bit clear = 10^-n s, set = 2^-n s; 6 when absent */
  tsresol: number;
  /** timestamp units per second (approximate above 2^53) */
  unitsPerSecond: number;
  /** resolution finer than a microsecond */
  nano: boolean;
  /** if_tsoffset, seconds added to every timestamp */
  tsoffset: number;
  name: string;
  description: string;
  /** if_fcslen in bits, -1 when absent */
  fcslen: number;
  stats?: InterfaceStats;
}

export interface PcapngSection {
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  /** file offset of the SHB */
  byteOffset: number;
  hardware: string;
  os: string;
  userappl: string;
  comment: string;
}

export interface NameEntry {
  address: string;
  names: string[];
}

/**
 * How to turn an interface's 64-bit timestamp into seconds + nanoseconds without BigInt or rounding:
 * DEC: 10^-k with k <= 9; DEC_FINE: 10 <= k <= 19; DEC_TINY: k >= 20 (every timestamp is below 1 s);
 * BIN: 2^-p.
 */
const enum TsKind {
  DEC,
  DEC_FINE,
  DEC_TINY,
  BIN,
}
interface TsConv {
  kind: TsKind;
  /** DEC: 10^k; DEC_FINE: 10^(k-9) */
  div: number;
  /** DEC: 10^(9-k) */
  mult: number;
  /** BIN: p; DEC_TINY: k-9 */
  exp: number;
  offset: number;
}

// div64's operands and results live in a typed array: when V8 does not inline a call (the second div64
// of a conversion often is not), number arguments above 2^31 would be boxed, one allocation each.
const q = new Float64Array(4);
/** in: dividend high 32 bits; out: quotient high 32 bits */
const Q_HI = 0;
/** in: dividend low 32 bits; out: quotient low 32 bits */
const Q_LO = 1;
/** out: remainder */
const Q_REM = 2;
/** in: divisor, 1 <= d <= 2^36 */
const Q_DIV = 3;

/** Exact floor division of an integer a < 2^52 by d (the float quotient is off by at most one; q*d stays exact). */
function divSmall(a: number, d: number): number {
  let r = Math.floor(a / d);
  const m = a - r * d;
  if (m < 0) r--;
  else if (m >= d) r++;
  return r;
}

/**
 * Divides the 64-bit value q[Q_HI]*2^32 + q[Q_LO] by q[Q_DIV] by long division in 16-bit digits, so every
 * intermediate stays below 2^52, and leaves the quotient in q[Q_HI], q[Q_LO] and the remainder in q[Q_REM].
 */
function div64(): void {
  const hi = q[Q_HI];
  const lo = q[Q_LO];
  const d = q[Q_DIV];
  const q1 = divSmall(hi, d);
  let r = hi - q1 * d;
  let t = r * 65536 + Math.floor(lo / 65536);
  const q2 = divSmall(t, d);
  r = t - q2 * d;
  t = r * 65536 + (lo % 65536);
  const q3 = divSmall(t, d);
  q[Q_REM] = t - q3 * d;
  q[Q_HI] = q1;
  q[Q_LO] = q2 * 65536 + q3; // q2 < 65536 and q3 < 65536, so this is below 2^32
}

function makeConv(tsresol: number, offset: number): TsConv {
  const e = tsresol & 0x7f;
  if (tsresol & 0x80) return { kind: TsKind.BIN, div: 0, mult: 0, exp: e, offset };
  if (e <= 9) return { kind: TsKind.DEC, div: 10 ** e, mult: 10 ** (9 - e), exp: 0, offset };
  if (e <= 19) return { kind: TsKind.DEC_FINE, div: 10 ** (e - 9), mult: 0, exp: 0, offset };
  return { kind: TsKind.DEC_TINY, div: 0, mult: 0, exp: e - 9, offset };
}

/**
 * Converts the 64-bit timestamp at d[at] (high word, low word) to batch.tsSec[n] / tsNsec[n] (nanoseconds
 * rounded down). It reads the words itself: passing 32-bit values above 2^31 to a function V8 does not
 * inline would box them (an allocation per packet).
 */
function convertTs(c: TsConv, d: Uint8Array, at: number, le: boolean, batch: PacketBatch, n: number): void {
  const hi = rd32(d, at, le);
  const lo = rd32(d, at + 4, le);
  let sec: number;
  let ns: number;
  switch (c.kind) {
    case TsKind.DEC:
      q[Q_HI] = hi;
      q[Q_LO] = lo;
      q[Q_DIV] = c.div;
      div64();
      sec = q[Q_HI] * TWO32 + q[Q_LO];
      ns = q[Q_REM] * c.mult;
      break;
    case TsKind.DEC_FINE:
      // floor(ts / 10^k) = floor(floor(ts / 10^(k-9)) / 10^9): first to nanoseconds, then to seconds.
      q[Q_HI] = hi;
      q[Q_LO] = lo;
      q[Q_DIV] = c.div;
      div64();
      q[Q_DIV] = 1e9; // the quotient (nanoseconds) is the next dividend
      div64();
      sec = q[Q_HI] * TWO32 + q[Q_LO];
      ns = q[Q_REM];
      break;
    case TsKind.DEC_TINY: {
      // ts < 2^64 <= 10^k: zero seconds; ns = floor(ts / 10^s) = floor(floor(floor(ts / 2^s) / 5^11) / 5^(s-11))
      // with s = k-9 >= 11; floor(ts / 2^s) < 2^53, and each division keeps to div64's limits.
      const s = c.exp;
      const t = s >= 64 ? 0 : s >= 32 ? Math.floor(hi / 2 ** (s - 32)) : hi * 2 ** (32 - s) + Math.floor(lo / 2 ** s);
      sec = 0;
      ns = 0;
      if (t > 0) {
        const th = Math.floor(t / TWO32);
        q[Q_HI] = th;
        q[Q_LO] = t - th * TWO32;
        q[Q_DIV] = FIVE_11;
        div64();
        const part = q[Q_HI] * TWO32 + q[Q_LO]; // < 2^53 / 5^11
        const rest = 5 ** (s - 11);
        ns = rest > part ? 0 : divSmall(part, rest);
      }
      break;
    }
    default: {
      // Binary: units of 2^-p s. ns = floor(frac * 1e9 / 2^p) = floor(frac * 1953125 / 2^(p-9)).
      const p = c.exp;
      if (p <= 32) {
        const scale = 2 ** p;
        const whole = Math.floor(lo / scale);
        const frac = lo - whole * scale;
        sec = hi * 2 ** (32 - p) + whole;
        ns = p >= 9 ? Math.floor((frac * NS_ODD) / 2 ** (p - 9)) : frac * (1e9 / scale);
      } else {
        const hs = 2 ** (p - 32);
        const secHi = Math.floor(hi / hs);
        const fh = hi - secHi * hs; // frac = fh * 2^32 + lo
        sec = secHi;
        // frac * 1953125 = (fh * 1953125 + floor(lo * 1953125 / 2^32)) * 2^32 + (lo * 1953125 mod 2^32)
        const b = lo * NS_ODD;
        const bh = Math.floor(b / TWO32);
        const cHigh = fh * NS_ODD + bh;
        const m = p - 9; // > 23
        ns = m >= 32 ? Math.floor(cHigh / 2 ** (m - 32)) : cHigh * 2 ** (32 - m) + Math.floor((b - bh * TWO32) / 2 ** m);
      }
    }
  }
  batch.tsSec[n] = sec + c.offset;
  batch.tsNsec[n] = ns;
}

function rd32(d: Uint8Array, p: number, le: boolean): number {
  return le
    ? (d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24)) >>> 0
    : ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
}

function rd16(d: Uint8Array, p: number, le: boolean): number {
  return le ? d[p] | (d[p + 1] << 8) : (d[p] << 8) | d[p + 1];
}

/** An unsigned 64-bit option value as a number (exact up to 2^53). */
function rd64(d: Uint8Array, p: number, le: boolean): number {
  return le ? rd32(d, p + 4, le) * TWO32 + rd32(d, p, le) : rd32(d, p, le) * TWO32 + rd32(d, p + 4, le);
}

const utf8 = new TextDecoder("utf-8");

function text(d: Uint8Array, p: number, len: number): string {
  // Strings are not zero-terminated by the spec, but some writers add one.
  let e = p + len;
  while (e > p && d[e - 1] === 0) e--;
  return utf8.decode(d.subarray(p, e));
}

export class PcapngParser implements RecordParser {
  readonly format = "pcapng" as const;
  /** Link type, snaplen and precision of the file's first interface (-1, 0, false until an IDB is read). */
  linktype = -1;
  snaplen = 0;
  nano = false;
  /** Every interface of the file in IDB order, across sections (the index is `batch.iface`). */
  interfaces: PcapngInterface[] = [];
  sections: PcapngSection[] = [];
  /** Name Resolution Block entries (at most 100000 kept). */
  names: NameEntry[] = [];
  /**
   * Every interface's name (if_name; "unknown" without one, as tshark's frame.interface_name), by `batch.iface`:
   * one array for the parser's life, emptied in place when the parse starts over (SourceInfo keeps it).
   */
  readonly interfaceNames: string[] = [];
  /** The last parse() stopped at a packet block because `max` packets were taken (0 at open: the head). */
  stoppedAtPacket = false;

  private conv: TsConv[] = [];
  /** per interface (global index): the largest captured length its link type allows */
  private capMax: number[] = [];
  /** the largest block accepted so far (grows with the interfaces' link types, never shrinks) */
  private maxBlock = MAX_BLOCK;
  private le = true;
  private inSection = false;
  /** global index of the current section's interface 0 */
  private sectionBase = 0;

  private reset(): void {
    this.linktype = -1;
    this.snaplen = 0;
    this.nano = false;
    this.interfaces = [];
    this.interfaceNames.length = 0;
    this.sections = [];
    this.names = [];
    this.conv = [];
    this.capMax = [];
    this.maxBlock = MAX_BLOCK;
    this.le = true;
    this.inSection = false;
    this.sectionBase = 0;
  }

  parse(data: Uint8Array, pos: number, end: number, batch: PacketBatch, max: number, fileBase: number, _eof: boolean): number {
    let n = batch.count;
    const stop = n + max;
    this.stoppedAtPacket = false;
    try {
      while (end - pos >= 8) {
        const at = fileBase + pos;
        if (at === 0) this.reset();
        if (rd32(data, pos, true) === PCAPNG_SHB) {
          if (end - pos < 12) break;
          const magic = rd32(data, pos + 8, true);
          let le: boolean;
          if (magic === PCAPNG_BYTE_ORDER_MAGIC) le = true;
          else if (magic === 0x4d3c2b1a) le = false;
          else throw badMagic(at, magic);
          const len = rd32(data, pos + 4, le);
          checkLength(len, MIN_SHB, "section header", at, this.maxBlock);
          if (end - pos < len) break;
          checkTrailer(data, pos, len, le, "section header", at);
          this.readShb(data, pos, len, le, at);
          pos += len;
          continue;
        }
        if (!this.inSection) throw notSection(at);
        const le = this.le;
        const type = rd32(data, pos, le);
        const isPacket = type === BlockType.EPB || type === BlockType.SPB || type === BlockType.PB;
        if (isPacket && n >= stop) {
          this.stoppedAtPacket = true;
          break; // the caller's batch is full: this packet waits for the next call
        }
        const len = rd32(data, pos + 4, le);
        checkLength(len, 12, "block", at, this.maxBlock);
        if (end - pos < len) break;
        checkTrailer(data, pos, len, le, "block", at);
        if (isPacket) {
          let ifId: number, cap: number, wire: number, dataOff: number;
          if (type === BlockType.SPB) {
            if (len < MIN_SPB) throw tooShort("simple packet", len, MIN_SPB, at);
            ifId = 0;
            wire = rd32(data, pos + 8, le);
            dataOff = 12;
            cap = wire;
          } else {
            const min = type === BlockType.EPB ? MIN_EPB : MIN_PB;
            if (len < min) throw tooShort(type === BlockType.EPB ? "enhanced packet" : "packet", len, min, at);
            ifId = type === BlockType.EPB ? rd32(data, pos + 8, le) : rd16(data, pos + 8, le);
            cap = rd32(data, pos + 20, le);
            wire = rd32(data, pos + 24, le);
            dataOff = 28;
          }
          const g = this.sectionBase + ifId;
          if (ifId >= this.interfaces.length - this.sectionBase) {
            throw undeclared(at, ifId, this.interfaces.length - this.sectionBase);
          }
          const iface = this.interfaces[g];
          const room = len - dataOff - 4;
          if (type === BlockType.SPB) {
            // No captured length in an SPB: the smallest of the original length, the snaplen and the block.
            if (iface.snaplen !== 0 && cap > iface.snaplen) cap = iface.snaplen;
            if (cap > room) cap = room;
          } else if (cap > room) {
            throw capTooBig(at, cap, room);
          }
          if (cap > this.capMax[g]) {
            if (type !== BlockType.SPB) throw capAboveMax(at, cap, this.capMax[g]);
            cap = this.capMax[g]; // an SPB's length is the original one: keep what the link type allows
          }
          if (n >= batch.offset.length) ensureCapacity(batch, n);
          batch.offset[n] = pos + dataOff;
          batch.caplen[n] = cap;
          batch.wirelen[n] = wire;
          if (type === BlockType.SPB) {
            batch.tsSec[n] = 0; // an SPB has no timestamp
            batch.tsNsec[n] = 0;
          } else {
            convertTs(this.conv[g], data, pos + 12, le, batch, n);
          }
          batch.linktype[n] = iface.linktype;
          batch.iface[n] = g;
          n++;
        } else if (type === BlockType.IDB) {
          if (len < MIN_IDB) throw tooShort("interface description", len, MIN_IDB, at);
          this.readIdb(data, pos, len, le, at);
        } else if (type === BlockType.ISB) {
          if (len >= MIN_ISB) this.readIsb(data, pos, len, le, at);
        } else if (type === BlockType.NRB) {
          if (len >= MIN_NRB) this.readNrb(data, pos, len, le);
        } else if (type === BlockType.DSB && len >= 20) {
          // Decryption Secrets Block: a TLS key log (secrets type "TLSK") goes to the key log store
          const slen = rd32(data, pos + 12, le);
          if (rd32(data, pos + 8, le) === 0x544c534b && 16 + slen <= len - 4) addKeyLogText(Buffer.from(data.buffer, data.byteOffset + pos + 16, slen).toString("latin1"));
        }
        // Everything else ( custom, journal, unknown types) is skipped whole.
        pos += len;
      }
    } finally {
      batch.count = n;
    }
    return pos;
  }

  private readShb(d: Uint8Array, pos: number, len: number, le: boolean, at: number): void {
    const major = rd16(d, pos + 12, le);
    const minor = rd16(d, pos + 14, le);
    if (major !== 1) throw new FileDamage(`pcapng section header at byte offset ${at}: unsupported version ${major}.${minor}`, at);
    const sec: PcapngSection = {
      littleEndian: le,
      versionMajor: major,
      versionMinor: minor,
      byteOffset: at,
      hardware: "",
      os: "",
      userappl: "",
      comment: "",
    };
    forOptions(d, pos + 24, pos + len - 4, le, at, "section header", (code, p, olen) => {
      if (code === Opt.COMMENT && !sec.comment) sec.comment = text(d, p, olen);
      else if (code === Opt.SHB_HARDWARE) sec.hardware = text(d, p, olen);
      else if (code === Opt.SHB_OS) sec.os = text(d, p, olen);
      else if (code === Opt.SHB_USERAPPL) sec.userappl = text(d, p, olen);
    });
    this.le = le;
    this.inSection = true;
    this.sectionBase = this.interfaces.length;
    this.sections.push(sec);
  }

  private readIdb(d: Uint8Array, pos: number, len: number, le: boolean, at: number): void {
    const iface: PcapngInterface = {
      section: this.sections.length - 1,
      localId: this.interfaces.length - this.sectionBase,
      linktype: rd16(d, pos + 8, le),
      snaplen: rd32(d, pos + 12, le),
      tsresol: 6,
      unitsPerSecond: 1e6,
      nano: false,
      tsoffset: 0,
      name: "",
      description: "",
      fcslen: -1,
    };
    forOptions(d, pos + 16, pos + len - 4, le, at, "interface description", (code, p, olen) => {
      if (code === Opt.IF_NAME) iface.name = text(d, p, olen);
      else if (code === Opt.IF_DESCRIPTION) iface.description = text(d, p, olen);
      else if (code === Opt.IF_TSRESOL && olen >= 1) iface.tsresol = d[p];
      else if (code === Opt.IF_FCSLEN && olen >= 1) iface.fcslen = d[p];
      else if (code === Opt.IF_TSOFFSET && olen >= 8) {
        // signed 64-bit seconds
        const hi = rd32(d, le ? p + 4 : p, le) | 0;
        const lo = rd32(d, le ? p : p + 4, le);
        iface.tsoffset = hi * TWO32 + lo;
      }
    });
    const e = iface.tsresol & 0x7f;
    iface.unitsPerSecond = iface.tsresol & 0x80 ? 2 ** e : 10 ** e;
    iface.nano = iface.unitsPerSecond > 1e6;
    if (this.interfaces.length === 0) {
      this.linktype = iface.linktype;
      // As libpcap (pcap_adjust_snapshot) and so tcpdump's header line: 0 or above the maximum means the maximum.
      this.snaplen = iface.snaplen === 0 || iface.snaplen > maxRecordFor(iface.linktype) ? maxRecordFor(iface.linktype) : iface.snaplen;
      this.nano = iface.nano;
    }
    this.interfaces.push(iface);
    this.interfaceNames.push(iface.name || "unknown");
    this.conv.push(makeConv(iface.tsresol, iface.tsoffset));
    this.capMax.push(maxRecordFor(iface.linktype));
    const mb = maxBlockFor(iface.linktype);
    if (mb > this.maxBlock) this.maxBlock = mb;
  }

  private readIsb(d: Uint8Array, pos: number, len: number, le: boolean, at: number): void {
    const ifId = rd32(d, pos + 8, le);
    if (ifId >= this.interfaces.length - this.sectionBase) return; // statistics for nothing: ignored
    const stats: InterfaceStats = {};
    try {
      forOptions(d, pos + 20, pos + len - 4, le, at, "interface statistics", (code, p, olen) => {
        if (olen < 8) return;
        const v = rd64(d, p, le);
        if (code === Opt.ISB_IFRECV) stats.ifRecv = v;
        else if (code === Opt.ISB_IFDROP) stats.ifDrop = v;
        else if (code === Opt.ISB_FILTERACCEPT) stats.filterAccept = v;
        else if (code === Opt.ISB_OSDROP) stats.osDrop = v;
        else if (code === Opt.ISB_USRDELIV) stats.usrDeliv = v;
      });
    } catch (e) {
      if (!(e instanceof FileDamage)) throw e;
      // A broken statistics block carries no packets: keep what was read and go on.
    }
    this.interfaces[this.sectionBase + ifId].stats = stats;
  }

  private readNrb(d: Uint8Array, pos: number, len: number, le: boolean): void {
    const end = pos + len - 4;
    let p = pos + 8;
    while (end - p >= 4 && this.names.length < MAX_NAMES) {
      const type = rd16(d, p, le);
      const rlen = rd16(d, p + 2, le);
      const v = p + 4;
      if (type === 0 || rlen > end - v) return; // nrb_record_end, or a record that overruns: stop
      const alen = type === 1 ? 4 : type === 2 ? 16 : 0;
      if (alen && rlen > alen) {
        let address: string;
        if (alen === 4) address = `${d[v]}.${d[v + 1]}.${d[v + 2]}.${d[v + 3]}`;
        else {
          const parts: string[] = [];
          for (let i = 0; i < 16; i += 2) parts.push(((d[v + i] << 8) | d[v + i + 1]).toString(16));
          address = parts.join(":");
        }
        const names: string[] = [];
        let s = v + alen;
        const e = v + rlen;
        for (let i = s; i < e; i++) {
          if (d[i] === 0) {
            if (i > s) names.push(utf8.decode(d.subarray(s, i)));
            s = i + 1;
          }
        }
        if (s < e) names.push(utf8.decode(d.subarray(s, e)));
        this.names.push({ address, names });
      }
      p = v + ((rlen + 3) & ~3);
    }
  }
}

// Damage is built in these helpers, away from parse(): V8 does not inline a call that never ran, while a
// template string inlined into the packet loop made it allocate on every packet.

function damage(at: number, message: string): FileDamage {
  return new FileDamage(message, at);
}

function badMagic(at: number, magic: number): FileDamage {
  return damage(at, `pcapng section header at byte offset ${at}: bad byte-order magic 0x${magic.toString(16)}`);
}

function notSection(at: number): FileDamage {
  return damage(at, `pcapng file at byte offset ${at}: the first block is not a section header`);
}

function undeclared(at: number, ifId: number, count: number): FileDamage {
  return damage(at, `pcapng packet block at byte offset ${at}: interface ${ifId} is not declared (the section has ${count})`);
}

function capTooBig(at: number, cap: number, room: number): FileDamage {
  return damage(at, `pcapng packet block at byte offset ${at}: captured length ${cap} is bigger than the block (${room} bytes of data)`);
}

function capAboveMax(at: number, cap: number, max: number): FileDamage {
  return damage(at, `pcapng packet block at byte offset ${at}: captured length ${cap} is bigger than the maximum of ${max}`);
}

function checkLength(len: number, min: number, what: string, at: number, max: number): void {
  if (len < 12 || len % 4 !== 0 || len > max) throw badLength(len, what, at, max);
  if (len < min) throw tooShort(what, len, min, at);
}

function badLength(len: number, what: string, at: number, max: number): FileDamage {
  const why = len < 12 ? "is below 12" : len % 4 !== 0 ? "is not a multiple of 4" : `is above the maximum of ${max}`;
  return damage(at, `pcapng ${what} at byte offset ${at}: block total length ${len} ${why}`);
}

function tooShort(what: string, len: number, min: number, at: number): FileDamage {
  return damage(at, `pcapng ${what} block at byte offset ${at}: block total length ${len} is below its minimum of ${min}`);
}

function checkTrailer(d: Uint8Array, pos: number, len: number, le: boolean, what: string, at: number): void {
  const t = rd32(d, pos + len - 4, le);
  if (t !== len) throw badTrailer(len, t, what, at);
}

function badTrailer(len: number, t: number, what: string, at: number): FileDamage {
  return damage(at, `pcapng ${what} at byte offset ${at}: block total length ${len} differs from the trailer's ${t}`);
}

/** Calls fn(code, valueOffset, valueLength) for each option in d[p, end) until opt_endofopt. */
function forOptions(
  d: Uint8Array,
  p: number,
  end: number,
  le: boolean,
  at: number,
  what: string,
  fn: (code: number, p: number, len: number) => void,
): void {
  while (end - p >= 4) {
    const code = rd16(d, p, le);
    const olen = rd16(d, p + 2, le);
    if (code === Opt.END) return;
    if (olen > end - p - 4) {
      throw new FileDamage(`pcapng ${what} block at byte offset ${at}: option ${code} (${olen} bytes) runs past the block`, at);
    }
    fn(code, p + 4, olen);
    p += 4 + ((olen + 3) & ~3);
  }
}
