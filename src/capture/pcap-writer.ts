/**
 * Writing pcap files (or stdout, "-") in big chunks (chunked-writer.ts: one buffer, one syscall when it fills,
 * at the end of a live batch, or per packet with -U; every write leaves whole records, so whatever stops the
 * program, the file on disk is a valid capture of the packets written so far). A live batch already holds
 * pcap records: a run of them is copied in one go.
 */
import type { PacketBatch } from "./batch.js";
import { makePcapHeader, PCAP_RECORD_HEADER_LEN } from "./pcap-format.js";
import { ChunkedWriter } from "./chunked-writer.js";

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

export class PcapWriter extends ChunkedWriter {
  private nano: boolean;

  /** Opens (creating or truncating) `path`, or stdout for "-", and writes the file header. */
  constructor(path: string, opts: PcapWriterOptions) {
    super(path, opts, 65536 + PCAP_RECORD_HEADER_LEN);
    this.nano = !!opts.nano;
    this.put(makePcapHeader(opts.linktype, opts.snaplen ?? 262144, this.nano));
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
    this.checkOpen();
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
    this.wrote(to - from, n);
  }

  /** Appends one record whose bytes are data[off, off + caplen). */
  writeRecord(sec: number, nsec: number, caplen: number, wirelen: number, data: Uint8Array, off: number): void {
    this.checkOpen();
    const need = PCAP_RECORD_HEADER_LEN + caplen;
    this.reserve(need);
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
    this.wrote(1, need);
  }

  /** The whole records at the start of a chunk of which `written` bytes reached the file (after the file header in the first). */
  protected wholePrefix(written: number, pending: number): { bytes: number; packets: number } {
    let p = this.fileBytes === 0 ? 24 : 0; // the first chunk starts with the file header
    let whole = 0;
    while (whole < pending && p + PCAP_RECORD_HEADER_LEN <= written) {
      const cap = this.buf[p + 8] | (this.buf[p + 9] << 8) | (this.buf[p + 10] << 16) | (this.buf[p + 11] << 24);
      if (p + PCAP_RECORD_HEADER_LEN + cap > written) break;
      p += PCAP_RECORD_HEADER_LEN + cap;
      whole++;
    }
    if (this.fileBytes === 0 && written < 24) p = 0;
    return { bytes: p, packets: whole };
  }
}
