/**
 * The classic pcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte file
 * header then records of a 16-byte header and the captured bytes. Both byte orders, microsecond
 * (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magic.
 */
import { ensureCapacity, type PacketBatch } from "./batch.js";

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** libpcap refuses records larger than this (its max snaplen for most link types). */
export const MAX_RECORD = 262144;

/**
 * The largest record libpcap reads for a link type (its max_snaplen_for_dlt): 128 MiB for D-Bus (231),
 * 8 MiB for EBHSCR (279), 1 MiB for USBPcap (249), 262144 for every other. A record header claiming more
 * is damage, whatever snapshot length the file header declares (a header's 2^31 does not let a 2 GB
 * record through: reading it would mean buffering it whole).
 */
export function maxRecordFor(linktype: number): number {
  switch (linktype) {
    case 231:
      return 128 << 20;
    case 279:
      return 8 << 20;
    case 249:
      return 1 << 20;
    default:
      return MAX_RECORD;
  }
}

/**
 * The snapshot length a file header's value means, as libpcap reads it: 0 or a value that is negative as a
 * signed 32-bit number stands for the link type's maximum (tcpdump prints that maximum).
 */
export function effectiveSnaplen(snaplen: number, linktype: number): number {
  return snaplen === 0 || snaplen >= 0x80000000 ? maxRecordFor(linktype) : snaplen;
}

export interface PcapHeader {
  littleEndian: boolean;
  nano: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linktype: number;
  /** upper bits of the link-type field (FCS length info) */
  linktypeExtra: number;
}

/** The damage found in a file: where it is and what is wrong. Good packets before it have been delivered. */
export class FileDamage extends Error {
  constructor(
    message: string,
    readonly byteOffset: number,
  ) {
    super(message);
    this.name = "FileDamage";
  }
}

export type FileFormat = "pcap" | "pcapng" | "unknown";

export function detectFormat(b: Uint8Array): FileFormat {
  if (b.length < 4) return "unknown";
  const le = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  if (le === PCAPNG_SHB) return "pcapng";
  for (const m of [le, be]) if (m === PCAP_MAGIC_USEC || m === PCAP_MAGIC_NSEC) return "pcap";
  return "unknown";
}

export function parsePcapHeader(b: Uint8Array): PcapHeader {
  if (b.length < PCAP_FILE_HEADER_LEN) throw new FileDamage(`truncated pcap file header (${b.length} of 24 bytes)`, 0);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magicLE = dv.getUint32(0, true);
  let littleEndian: boolean;
  if (magicLE === PCAP_MAGIC_USEC || magicLE === PCAP_MAGIC_NSEC) littleEndian = true;
  else {
    const magicBE = dv.getUint32(0, false);
    if (magicBE !== PCAP_MAGIC_USEC && magicBE !== PCAP_MAGIC_NSEC) throw new FileDamage("not a pcap file (bad magic number)", 0);
    littleEndian = false;
  }
  const magic = dv.getUint32(0, littleEndian);
  const lt = dv.getUint32(20, littleEndian);
  return {
    littleEndian,
    nano: magic === PCAP_MAGIC_NSEC,
    versionMajor: dv.getUint16(4, littleEndian),
    versionMinor: dv.getUint16(6, littleEndian),
    snaplen: dv.getUint32(16, littleEndian),
    linktype: lt & 0x03ffffff,
    linktypeExtra: lt >>> 26,
  };
}

/**
 * Parses whole records from data[pos, end) into `batch` (appending), up to `max` packets.
 * Returns the offset of the first byte not consumed (the start of an incomplete record, or `end`).
 * `fileBase` is the file offset of data[0], used only in damage reports.
 * Throws FileDamage for a record header that cannot be right (libpcap refuses the same ones).
 */
export function parsePcapRecords(
  h: PcapHeader,
  data: Uint8Array,
  pos: number,
  end: number,
  batch: PacketBatch,
  max: number,
  fileBase: number,
): number {
  const le = h.littleEndian;
  const mult = h.nano ? 1 : 1000;
  // Like libpcap: a record above the link type's maximum is damage, whatever the header's snapshot length
  // says; a record longer than the file's snapshot length (but within the maximum) is cut to it (tcpdump
  // and libpcap's filters see the cut record); a snapshot length of 0 or above the maximum means the maximum.
  const limit = maxRecordFor(h.linktype);
  const snap = h.snaplen === 0 || h.snaplen > limit ? limit : h.snaplen;
  let n = batch.count;
  if (n === 0) batch.cut?.clear();
  const stop = n + max;
  while (n < stop && end - pos >= PCAP_RECORD_HEADER_LEN) {
    let sec: number, frac: number, cap: number, len: number;
    if (le) {
      sec = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
      frac = (data[pos + 4] | (data[pos + 5] << 8) | (data[pos + 6] << 16) | (data[pos + 7] << 24)) >>> 0;
      cap = (data[pos + 8] | (data[pos + 9] << 8) | (data[pos + 10] << 16) | (data[pos + 11] << 24)) >>> 0;
      len = (data[pos + 12] | (data[pos + 13] << 8) | (data[pos + 14] << 16) | (data[pos + 15] << 24)) >>> 0;
    } else {
      sec = ((data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3]) >>> 0;
      frac = ((data[pos + 4] << 24) | (data[pos + 5] << 16) | (data[pos + 6] << 8) | data[pos + 7]) >>> 0;
      cap = ((data[pos + 8] << 24) | (data[pos + 9] << 16) | (data[pos + 10] << 8) | data[pos + 11]) >>> 0;
      len = ((data[pos + 12] << 24) | (data[pos + 13] << 16) | (data[pos + 14] << 8) | data[pos + 15]) >>> 0;
    }
    if (cap > limit) {
      batch.count = n; // the good packets before the damage are delivered
      throw new FileDamage(
        `invalid packet record at byte offset ${fileBase + pos}: captured length ${cap} is bigger than the maximum of ${limit}`,
        fileBase + pos,
      );
    }
    if (end - pos - PCAP_RECORD_HEADER_LEN < cap) break; // incomplete: wait for more bytes
    if (n >= batch.offset.length) ensureCapacity(batch, n);
    batch.offset[n] = pos + PCAP_RECORD_HEADER_LEN;
    batch.caplen[n] = cap > snap ? snap : cap;
    if (cap > snap) (batch.cut ??= new Map()).set(n, cap);
    batch.wirelen[n] = len;
    batch.tsSec[n] = sec;
    // A microsecond file with usec >= 1e6 is malformed, but tcpdump shows it as is; keep the value.
    batch.tsNsec[n] = frac * mult;
    batch.linktype[n] = h.linktype;
    batch.iface[n] = 0;
    n++;
    pos += PCAP_RECORD_HEADER_LEN + cap;
  }
  batch.count = n;
  return pos;
}

/** The 24-byte file header tsniff writes: little-endian, version 2.4. */
export function makePcapHeader(linktype: number, snaplen: number, nano: boolean): Uint8Array {
  const b = new Uint8Array(PCAP_FILE_HEADER_LEN);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, nano ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, 0, true);
  dv.setUint32(16, snaplen >>> 0, true);
  dv.setUint32(20, linktype >>> 0, true);
  return b;
}
