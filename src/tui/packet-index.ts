/**
 * The TUI's compact index of a capture: where each packet's bytes are in the file (or the live spool file),
 * its lengths, time, link type and source (a live capture's interface or remote host), in growable typed
 * arrays. No packet bytes are kept: 24 bytes a packet, about 24 MB for a million packets. Packets are read back on demand (PacketFile).
 */
import fs from "node:fs";
import { grown, type PacketBatch } from "../capture/batch.js";
import type { FileSource } from "../capture/file-source.js";
import type { SourceEnd } from "../capture/source.js";
import { native } from "../capture/native.js";

export class PacketIndex {
  count = 0;
  /** file offset of the packet's first captured byte (Float64: files may exceed 4 GiB) */
  fileOff = new Float64Array(1024);
  caplen = new Uint32Array(1024);
  wirelen = new Uint32Array(1024);
  /** seconds since the epoch (pcap's own field is 32 bits; pcapng's fit until 2106) */
  tsSec = new Uint32Array(1024);
  tsNsec = new Uint32Array(1024);
  linktype = new Uint16Array(1024);
  /** the source the packet came from (a live capture from several: its index in CaptureRows.ifaceNames) */
  iface = new Uint16Array(1024);

  private grow(): void {
    const n = this.fileOff.length * 2;
    this.fileOff = grown(this.fileOff, n);
    this.caplen = grown(this.caplen, n);
    this.wirelen = grown(this.wirelen, n);
    this.tsSec = grown(this.tsSec, n);
    this.tsNsec = grown(this.tsNsec, n);
    this.linktype = grown(this.linktype, n);
    this.iface = grown(this.iface, n);
  }

  append(fileOff: number, caplen: number, wirelen: number, sec: number, nsec: number, linktype: number, iface = 0): void {
    const i = this.count;
    if (i >= this.fileOff.length) this.grow();
    this.fileOff[i] = fileOff;
    this.caplen[i] = caplen;
    this.wirelen[i] = wirelen;
    this.tsSec[i] = sec;
    this.tsNsec[i] = nsec;
    this.linktype[i] = linktype;
    this.iface[i] = iface;
    this.count = i + 1;
  }

  /** Bytes held by the index (for the status line and tests). */
  bytes(): number {
    return this.fileOff.byteLength + this.caplen.byteLength * 4 + this.linktype.byteLength + this.iface.byteLength;
  }
}

/** Reads packets back from the capture file by the index's offsets (one pread per packet or per run). */
export class PacketFile {
  private fd: number;
  private scratch = new Uint8Array(65536);
  private block = new Uint8Array(1 << 20);
  private blockStart = 0;
  private blockEnd = 0;

  constructor(
    readonly path: string,
    readonly index: PacketIndex,
  ) {
    this.fd = fs.openSync(path, "r");
  }

  /** Packet i's captured bytes in a scratch buffer valid until the next call (copy to keep). */
  read(i: number): Uint8Array {
    const ix = this.index;
    const len = ix.caplen[i];
    if (len > this.scratch.length) this.scratch = new Uint8Array(len);
    const n = fs.readSync(this.fd, this.scratch, 0, len, ix.fileOff[i]);
    return this.scratch.subarray(0, n);
  }

  /** Packet i's bytes, a fresh copy (the detail pane keeps them). */
  readCopy(i: number): Uint8Array {
    return this.read(i).slice();
  }

  /**
   * Packet i's bytes when reading many packets in file order (the display filter pass): one read per
   * megabyte, not per packet. Valid until the next call.
   */
  readSeq(i: number): Uint8Array {
    const ix = this.index;
    const off = ix.fileOff[i];
    const len = ix.caplen[i];
    if (off < this.blockStart || off + len > this.blockEnd) {
      if (len > this.block.length) return this.read(i);
      const n = fs.readSync(this.fd, this.block, 0, this.block.length, off);
      this.blockStart = off;
      this.blockEnd = off + n;
      if (off + len > this.blockEnd) return this.read(i);
    }
    const s = off - this.blockStart;
    return this.block.subarray(s, s + len);
  }

  /** Forgets the read-ahead block (a live spool file grew). */
  invalidate(): void {
    this.blockStart = this.blockEnd = 0;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed already */
    }
  }
}

/**
 * Indexes a file in one pass: appends every packet (that `program`, a capture filter, accepts) to `index`.
 * `onBatch` is called after each batch with the fraction of the file read; returning false stops.
 */
export function indexFile(src: FileSource, index: PacketIndex, program?: Uint32Array, onBatch?: (progress: number) => boolean): Promise<SourceEnd> {
  let size = 1;
  try {
    size = fs.statSync(src.path).size || 1;
  } catch {
    /* stdin: no progress */
  }
  // FileSource reports packet offsets within its read buffer; batchFileOffset is that buffer's offset in the file.
  const chunkBase = () => src.batchFileOffset;
  const bpf = program ? native() : null;
  return src.run((b: PacketBatch) => {
    const base = chunkBase();
    const verdict = bpf ? bpf.filterBatch(program!, b.data, b.offset, b.caplen, b.wirelen, b.count) : null;
    for (let i = 0; i < b.count; i++) {
      if (verdict && verdict[i] === 0) continue;
      index.append(base + b.offset[i], b.caplen[i], b.wirelen[i], b.tsSec[i], b.tsNsec[i], b.linktype[i], b.iface[i]);
    }
    const progress = b.count ? Math.min(1, (base + b.offset[b.count - 1] + b.caplen[b.count - 1]) / size) : 0;
    return onBatch && onBatch(progress) === false ? 0 : Infinity;
  });
}
