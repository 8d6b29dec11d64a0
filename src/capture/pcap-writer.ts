/**
 * Writing pcap files (or stdout, "-") in big chunks: records are copied into one buffer and written with a
 * single syscall when it fills, at the end of a live batch, or per packet with -U. Every write leaves whole
 * records, so whatever stops the program (count, Ctrl-C, SIGTERM, a closed pipe, a full disk) the file on
 * disk is a valid capture of the packets written so far.
 */
import fs from "node:fs";
import type { PacketBatch } from "./batch.js";
import { makePcapHeader, PCAP_RECORD_HEADER_LEN } from "./pcap-format.js";
import { writeAllSync } from "./fd-write.js";

export interface PcapWriterOptions {
  linktype: number;
  snaplen?: number;
  /** nanosecond timestamps (magic 0xa1b23c4d) */
  nano?: boolean;
  /** flush after every packet (tcpdump -U) */
  packetBuffered?: boolean;
  /** buffer size in bytes */
  bufferSize?: number;
}

export class PcapWriter {
  readonly path: string;
  private fd: number;
  private owned: boolean;
  private buf: Buffer;
  private pos = 0;
  private closed = false;
  private nano: boolean;
  private packetBuffered: boolean;
  /** packets and bytes written (including what is still buffered) */
  packets = 0;
  bytes = 0;
  /** packets whose records are whole in the file (flushed) */
  savedPackets = 0;
  /** bytes in the file */
  private fileBytes = 0;
  /** packets in the buffer not yet flushed */
  private pending = 0;

  /** Opens (creating or truncating) `path`, or stdout for "-", and writes the file header. */
  constructor(path: string, opts: PcapWriterOptions) {
    this.path = path;
    this.nano = !!opts.nano;
    this.packetBuffered = !!opts.packetBuffered;
    this.buf = Buffer.allocUnsafeSlow(Math.max(opts.bufferSize ?? 1 << 20, 65536 + 16));
    if (path === "-") {
      this.fd = 1;
      this.owned = false;
    } else {
      try {
        this.fd = fs.openSync(path, "w", 0o644);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const why =
          err.code === "ENOENT" ? "No such file or directory" : err.code === "EACCES" ? "Permission denied" : err.code === "EISDIR" ? "Is a directory" : err.message;
        throw Object.assign(new Error(`${path}: ${why}`), { code: err.code });
      }
      this.owned = true;
    }
    const h = makePcapHeader(opts.linktype, opts.snaplen ?? 262144, this.nano);
    this.buf.set(h, 0);
    this.pos = h.length;
    this.bytes = h.length;
    this.flush(); // the header reaches the file at once: even an empty capture is a valid file
  }

  /** Appends packet i of a batch. */
  writePacket(b: PacketBatch, i: number): void {
    const cap = b.caplen[i];
    const off = b.offset[i];
    this.writeRecord(b.tsSec[i], b.tsNsec[i], cap, b.wirelen[i], b.data, off);
  }

  /**
   * Appends packets [from, to) of a batch. A live batch already holds pcap records: when the precision
   * matches, the whole run is copied at once instead of record by record.
   */
  writeBatch(b: PacketBatch, from: number, to: number): void {
    if (to <= from) return;
    if (!b.raw || b.rawNano !== this.nano || this.packetBuffered || !Buffer.isBuffer(b.data)) {
      for (let i = from; i < to; i++) this.writePacket(b, i);
      return;
    }
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
    const start = b.offset[from] - PCAP_RECORD_HEADER_LEN;
    const end = b.offset[to - 1] + b.caplen[to - 1];
    const n = end - start;
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        // Larger than our buffer: write it straight from the batch.
        this.buf = Buffer.allocUnsafeSlow(Math.max(n, this.buf.length));
      }
    }
    b.data.copy(this.buf, this.pos, start, end);
    this.pos += n;
    this.pending += to - from;
    this.packets += to - from;
    this.bytes += n;
  }

  /** Appends one record whose bytes are data[off, off + caplen). */
  writeRecord(sec: number, nsec: number, caplen: number, wirelen: number, data: Uint8Array, off: number): void {
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
    const need = PCAP_RECORD_HEADER_LEN + caplen;
    if (this.pos + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.buf = Buffer.allocUnsafeSlow(need);
    }
    const o = this.pos;
    const buf = this.buf;
    const frac = this.nano ? nsec : Math.floor(nsec / 1000);
    const s = sec >>> 0;
    buf[o] = s;
    buf[o + 1] = s >>> 8;
    buf[o + 2] = s >>> 16;
    buf[o + 3] = s >>> 24;
    buf[o + 4] = frac;
    buf[o + 5] = frac >>> 8;
    buf[o + 6] = frac >>> 16;
    buf[o + 7] = frac >>> 24;
    buf[o + 8] = caplen;
    buf[o + 9] = caplen >>> 8;
    buf[o + 10] = caplen >>> 16;
    buf[o + 11] = caplen >>> 24;
    buf[o + 12] = wirelen;
    buf[o + 13] = wirelen >>> 8;
    buf[o + 14] = wirelen >>> 16;
    buf[o + 15] = wirelen >>> 24;
    buf.set(data.subarray(off, off + caplen), o + PCAP_RECORD_HEADER_LEN);
    this.pos = o + need;
    this.pending++;
    this.packets++;
    this.bytes += need;
    if (this.packetBuffered) this.flush();
  }

  /** Writes what is buffered. Throws (with code ENOSPC, EPIPE, ...) if the OS refuses; the file keeps whole records. */
  flush(): void {
    if (this.pos === 0) return;
    const n = this.pos;
    const pending = this.pending;
    this.pos = 0;
    this.pending = 0;
    try {
      writeAllSync(this.fd, this.buf, 0, n);
    } catch (e) {
      this.keepWholeRecords((e as { written?: number }).written ?? 0, pending);
      throw e;
    }
    this.fileBytes += n;
    this.savedPackets += pending;
  }

  /**
   * After a failed write of which `written` bytes reached the file: cut the file back to the last whole
   * record, so it stays valid (a full disk, a vanished directory).
   */
  private keepWholeRecords(written: number, pending: number): void {
    let p = this.fileBytes === 0 ? 24 : 0; // the first chunk starts with the file header
    let whole = 0;
    while (whole < pending && p + PCAP_RECORD_HEADER_LEN <= written) {
      const cap = this.buf[p + 8] | (this.buf[p + 9] << 8) | (this.buf[p + 10] << 16) | (this.buf[p + 11] << 24);
      if (p + PCAP_RECORD_HEADER_LEN + cap > written) break;
      p += PCAP_RECORD_HEADER_LEN + cap;
      whole++;
    }
    if (this.fileBytes === 0 && written < 24) p = 0;
    try {
      if (this.owned && written > p) fs.ftruncateSync(this.fd, this.fileBytes + p);
    } catch {
      /* best effort: the write error is what gets reported */
    }
    this.fileBytes += p;
    this.savedPackets += whole;
  }

  /** Flushes and closes; safe to call twice. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      if (this.owned) fs.closeSync(this.fd);
    }
  }
}
