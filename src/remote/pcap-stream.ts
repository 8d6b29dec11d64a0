/**
 * An incremental reader of a pcap stream (what `tcpdump -w -` and `tsniff -w -` write): chunks go in as
 * they arrive from a pipe, complete records come out as the native batch layout a MultiLiveSource merges
 * (little-endian 16-byte record headers then the bytes, contiguous, in a fresh Buffer per batch: the merge
 * may hold it). Both byte orders, microsecond and nanosecond magic. A record split across chunks waits for
 * its end; a record header claiming more than the link type's maximum is damage (the stream is refused
 * from there: the packets before it were delivered).
 */
import { maxRecordFor, PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC, PCAPNG_SHB, PCAP_FILE_HEADER_LEN } from "../capture/pcap-format.js";

export interface PcapStreamHeader {
  linktype: number;
  snaplen: number;
  nano: boolean;
}

export interface PcapRecords {
  buf: Buffer;
  count: number;
  /** the offset in `buf` of the last record's header (its time stamp: seconds, then micro- or nanoseconds) */
  last: number;
}

export class PcapStream {
  header: PcapStreamHeader | null = null;
  private little = true;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private maxRecord = 262144;
  /** set once the stream is damaged: nothing more is read */
  error: Error | null = null;

  /**
   * Takes a chunk; returns the complete records now available (null when none). The header is read from
   * the first 24 bytes (`header` is set then).
   */
  push(chunk: Buffer): PcapRecords | null {
    if (this.error) return null;
    if (this.pendingLen === 0) this.pending = [chunk];
    else this.pending.push(chunk);
    this.pendingLen += chunk.length;
    let data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingLen);
    let pos = 0;
    if (!this.header) {
      if (data.length < PCAP_FILE_HEADER_LEN) {
        this.pending = [data];
        return null;
      }
      const magicLE = data.readUInt32LE(0);
      const magicBE = data.readUInt32BE(0);
      if (magicLE === PCAPNG_SHB) return this.fail("the remote capture sent pcapng; a pcap stream was expected");
      let nano: boolean;
      if (magicLE === PCAP_MAGIC_USEC || magicLE === PCAP_MAGIC_NSEC) {
        this.little = true;
        nano = magicLE === PCAP_MAGIC_NSEC;
      } else if (magicBE === PCAP_MAGIC_USEC || magicBE === PCAP_MAGIC_NSEC) {
        this.little = false;
        nano = magicBE === PCAP_MAGIC_NSEC;
      } else {
        return this.fail(`the remote capture did not send pcap (starts with ${JSON.stringify(printable(data.subarray(0, 16)))})`);
      }
      const rd = (o: number) => (this.little ? data.readUInt32LE(o) : data.readUInt32BE(o));
      const linktype = rd(20) & 0x0fffffff;
      this.header = { linktype, snaplen: rd(16), nano };
      this.maxRecord = maxRecordFor(linktype);
      pos = PCAP_FILE_HEADER_LEN;
    }
    // Count the complete records.
    let end = pos;
    let count = 0;
    let last = pos;
    while (end + 16 <= data.length) {
      const cap = this.little ? data.readUInt32LE(end + 8) : data.readUInt32BE(end + 8);
      if (cap > this.maxRecord) {
        const out = count ? this.copyOut(data, pos, end, count, last) : null;
        this.fail(`damaged pcap stream: a record of ${cap} bytes (the link type's maximum is ${this.maxRecord})`);
        return out;
      }
      if (end + 16 + cap > data.length) break;
      last = end;
      end += 16 + cap;
      count++;
    }
    const out = count ? this.copyOut(data, pos, end, count, last) : null;
    const rest = data.length - end;
    if (rest === 0) {
      this.pending = [];
      this.pendingLen = 0;
    } else {
      // The tail of a record: kept (copied when it is a small part of a big chunk, so the chunk can go).
      data = end === 0 ? data : rest < data.length >> 2 ? Buffer.from(data.subarray(end)) : data.subarray(end);
      this.pending = [data];
      this.pendingLen = rest;
    }
    return out;
  }

  /** Records [from, to) of `data`, as a fresh little-endian buffer. */
  private copyOut(data: Buffer, from: number, to: number, count: number, last: number): PcapRecords {
    const buf = Buffer.allocUnsafe(to - from);
    data.copy(buf, 0, from, to);
    if (!this.little) {
      let p = 0;
      for (let i = 0; i < count; i++) {
        for (let w = 0; w < 16; w += 4) buf.writeUInt32LE(buf.readUInt32BE(p + w), p + w);
        p += 16 + buf.readUInt32LE(p + 8);
      }
    }
    return { buf, count, last: last - from };
  }

  /** Bytes received but not yet a complete record (a stream that ends here lost a partial record). */
  get partial(): number {
    return this.pendingLen;
  }

  private fail(msg: string): null {
    this.error = new Error(msg);
    this.pending = [];
    this.pendingLen = 0;
    return null;
  }
}

function printable(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
  return s;
}
