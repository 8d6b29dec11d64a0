/**
 * Writing pcapng files (or stdout, "-") in big chunks, with the same interface and guarantees as PcapWriter
 * (chunked-writer.ts): blocks are built into one buffer (pcapng-writer-format.ts's writeEpb, no allocation per
 * packet); after a failed write (a full disk) the file is cut back to the last whole block.
 *
 * Interfaces: one Interface Description Block per interface the packets come from (batch.iface), written
 * the first time a packet of that interface is written (a block may appear anywhere in its section before
 * it is used). Interfaces are numbered in the order they first appear; the source's interface numbers are
 * mapped to them, so a pcapng file read with several interfaces keeps them apart (each its own link type).
 */
import type { PacketBatch } from "./batch.js";
import { dsb, epbSize, idb, shb, writeEpb, type IdbOptions } from "./pcapng-writer-format.js";
import { ChunkedWriter, fileError } from "./chunked-writer.js";
import { writeAllSync } from "./fd-write.js";

/** What the writer knows about an interface before its first packet (names from a pcapng file or -i). */
export interface WriterInterface {
  linktype?: number;
  snaplen?: number;
  name?: string;
  description?: string;
}

export interface PcapngWriterOptions {
  /** link type of interface 0 and of any interface not described in `interfaces` */
  linktype: number;
  snaplen?: number;
  /** nanosecond timestamps (if_tsresol 9) for every interface; microseconds otherwise */
  nano?: boolean;
  /** flush after every packet (tcpdump -U) */
  packetBuffered?: boolean;
  /** buffer size in bytes */
  bufferSize?: number;
  /** what to put in the IDB of a source interface (asked when its first packet is written) */
  describe?: (iface: number) => WriterInterface | undefined;
  /** the section header's comment (e.g. why a flight recorder saved this file) */
  comment?: string;
  /**
   * How many source interfaces (0 .. n-1) to declare at once, before any packet (a live capture over several
   * interfaces lists them all even when one stays quiet). Default 1: interface 0; others on their first packet.
   */
  declare?: number;
  /**
   * A TLS key log to store in Decryption Secrets Blocks, so the file decrypts by itself (--keylog with -w):
   * all of `text` after the section header, then, before each chunk of packets, what `poll()` says was added.
   */
  secrets?: { poll(): string; readonly text: string };
}

const BT_EPB = 6;

export class PcapngWriter extends ChunkedWriter {
  private nano: boolean;
  private opts: PcapngWriterOptions;
  /** source interface number -> IDB index in this file (-1: not written yet) */
  private ifMap = new Int32Array(8).fill(-1);
  /** link type each written IDB was declared with (a source interface changing link type gets a new one) */
  private idbLinktype: number[] = [];

  /** Opens (creating or truncating) `path`, or stdout for "-", and writes the section header. */
  constructor(path: string, opts: PcapngWriterOptions) {
    super(path, opts, 65536 + 256);
    this.opts = opts;
    this.nano = !!opts.nano;
    this.put(shb({ comment: opts.comment }));
    if (opts.secrets) {
      opts.secrets.poll();
      if (opts.secrets.text) this.put(dsb(Buffer.from(opts.secrets.text, "latin1")));
    }
    // Interface 0 is declared at once: an empty capture is still a file tshark opens with its link type.
    const declare = Math.max(1, opts.declare ?? 1);
    for (let k = 0; k < declare; k++) this.interfaceIndex(k, opts.describe?.(k)?.linktype ?? opts.linktype);
    this.flush();
  }

  /** The IDB index for source interface `iface` with link type `linktype`, writing the IDB when new. */
  private interfaceIndex(iface: number, linktype: number): number {
    if (iface < this.ifMap.length) {
      const m = this.ifMap[iface];
      if (m >= 0 && this.idbLinktype[m] === linktype) return m;
    } else {
      let n = this.ifMap.length;
      while (n <= iface) n *= 2;
      const x = new Int32Array(n).fill(-1);
      x.set(this.ifMap);
      this.ifMap = x;
    }
    const d = this.opts.describe?.(iface);
    const o: IdbOptions = { tsresolNano: this.nano, name: d?.name, description: d?.description };
    this.put(idb(linktype, d?.snaplen ?? this.opts.snaplen ?? 262144, o));
    const index = this.idbLinktype.length;
    this.idbLinktype.push(linktype);
    this.ifMap[iface] = index;
    return index;
  }

  /**
   * Writes what is buffered; secrets added to the key log since the last chunk go first, in their own block
   * (before the packets they decrypt: a key log line is written when its handshake completes).
   */
  override flush(): void {
    const s = this.opts?.secrets;
    if (s && !this.closed) {
      const fresh = s.poll();
      if (fresh) {
        const block = dsb(Buffer.from(fresh, "latin1"));
        try {
          writeAllSync(this.fd, block, 0, block.length);
        } catch (e) {
          throw fileError(this.path, e);
        }
        this.fileBytes += block.length;
        this.bytes += block.length;
      }
    }
    super.flush();
  }

  /** Appends packet i of a batch. */
  writePacket(b: PacketBatch, i: number, comment?: string): void {
    this.writeRecord(b.iface[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], b.caplen[i], b.wirelen[i], b.data, b.offset[i], comment);
  }

  /** Appends packets [from, to) of a batch. */
  writeBatch(b: PacketBatch, from: number, to: number): void {
    for (let i = from; i < to; i++) this.writePacket(b, i);
  }

  /** Appends one packet whose bytes are data[off, off + caplen), from source interface `iface`. */
  writeRecord(
    iface: number,
    linktype: number,
    sec: number,
    nsec: number,
    caplen: number,
    wirelen: number,
    data: Uint8Array,
    off: number,
    comment?: string,
  ): void {
    this.checkOpen();
    const index = this.interfaceIndex(iface, linktype);
    const need = epbSize(caplen, comment);
    this.reserve(need);
    // writeEpb takes the packet's bytes as their own array: a view of exactly caplen bytes.
    const bytes = off === 0 && data.length === caplen ? data : data.subarray(off, off + caplen);
    this.pos = writeEpb(this.buf, this.pos, index, this.nano, sec, nsec, caplen, wirelen, bytes, comment);
    this.wrote(1, need);
  }

  /** The whole blocks at the start of a chunk of which `written` bytes reached the file; packets are the EPBs. */
  protected wholePrefix(written: number): { bytes: number; packets: number } {
    let p = 0;
    let whole = 0;
    const b = this.buf;
    while (p + 8 <= written) {
      const len = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
      if (len < 12 || p + len > written) break;
      const type = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
      if (type === BT_EPB) whole++;
      p += len;
    }
    return { bytes: p, packets: whole };
  }
}


/** True when a -w name asks for pcapng by its extension. */
export function isPcapngName(path: string): boolean {
  return /\.pcapng(\.|$)/i.test(path) || /\.ntar$/i.test(path);
}
