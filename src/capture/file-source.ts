/**
 * Reading pcap and pcapng files (or stdin, "-") in big chunks: one read per few megabytes, never per packet.
 * Records are parsed in place in the read buffer; a record cut by the chunk end is moved to the front and
 * completed by the next read. Damage (a bad record header, a file that ends inside a record) stops reading
 * after every good packet before it has been delivered, and is reported with its byte offset.
 *
 * Backpressure: batches are handed over synchronously, but a consumer slower than the disk can hold reading
 * back between batches, with pause()/resume() or a setBackpressure() hook whose promise is awaited before the
 * next batch. A consumer that queues what it gets therefore holds at most one batch (`batchSize` packets,
 * chosen at open) beyond its bound; nothing is skipped or dropped while reading waits.
 */
import fs from "node:fs";
import { createBatch, type PacketBatch, type SourceInfo } from "./batch.js";
import {
  detectFormat,
  FileDamage,
  parsePcapHeader,
  effectiveSnaplen,
  parsePcapRecords,
  PCAP_FILE_HEADER_LEN,
  type PcapHeader,
} from "./pcap-format.js";
import { PcapngParser } from "./pcapng-format.js";
import type { BatchConsumer, CaptureStats, PacketSource, SourceEnd } from "./source.js";

/** Bytes read at a time: 256 KB reads are as fast as 4 MB ones here and keep 9 MB less resident (issue #19). */
const CHUNK = 256 << 10;
/**
 * Room kept at the front of each buffer for the record cut at the end of the other one: the next chunk is read
 * into the spare buffer from here while the current one is parsed, and the cut record is put just before it.
 */
const RESERVE = 256 << 10;
const BATCH_MAX = 8192;
/** How far open() reads a pcapng file for its first interface. */
const HEAD_MAX = 16 << 20;

export interface FileSourceOptions {
  /** the most packets in one batch (default and maximum 8192); a queueing consumer's overshoot */
  batchSize?: number;
}

/** Awaited between batches when set: reading waits until the promise settles (see setBackpressure). */
export type Backpressure = () => Promise<void> | void;

/** A reader of raw bytes: a file or a pipe. */
interface ByteInput {
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class FdInput implements ByteInput {
  constructor(
    private fd: number,
    private owned: boolean,
  ) {}
  read(buf: Uint8Array, off: number, len: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const attempt = () =>
        fs.read(this.fd, buf, off, len, null, (err, n) => {
          // A pipe inherited in non-blocking mode answers EAGAIN when empty: wait and try again.
          if (err && (err as NodeJS.ErrnoException).code === "EAGAIN") return void sleep(2).then(attempt);
          if (err) return reject(err);
          resolve(n);
        });
      attempt();
    });
  }
  close(): void {
    if (this.owned) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
  }
}

/** Format-specific record parsing behind one interface (pcap here, pcapng in pcapng-format.ts). */
export interface RecordParser {
  readonly format: "pcap" | "pcapng";
  /** Link type, snaplen and precision of the first interface, once known. */
  linktype: number;
  snaplen: number;
  nano: boolean;
  /**
   * Parses data[pos, end) into batch (appending at most max packets) and returns the first unconsumed
   * offset. `eof` is true when no more bytes will come. Throws FileDamage.
   */
  parse(data: Uint8Array, pos: number, end: number, batch: PacketBatch, max: number, fileBase: number, eof: boolean): number;
}

class PcapParser implements RecordParser {
  readonly format = "pcap" as const;
  linktype: number;
  snaplen: number;
  nano: boolean;
  private headerDone = false;
  constructor(private h: PcapHeader) {
    this.linktype = h.linktype;
    this.snaplen = effectiveSnaplen(h.snaplen, h.linktype);
    this.nano = h.nano;
  }
  parse(data: Uint8Array, pos: number, end: number, batch: PacketBatch, max: number, fileBase: number): number {
    if (!this.headerDone) {
      pos += PCAP_FILE_HEADER_LEN;
      this.headerDone = true;
    }
    return parsePcapRecords(this.h, data, pos, end, batch, max, fileBase);
  }
}

export class FileSource implements PacketSource {
  info!: SourceInfo;
  private input!: ByteInput;
  private parser!: RecordParser;
  // A plain Uint8Array, not a Buffer: a library user's data.slice() must copy, as it does for typed arrays.
  private buf = new Uint8Array(CHUNK + RESERVE);
  /** the other buffer, which the next chunk is read into (from RESERVE on) while this one is parsed */
  private spare: Uint8Array<ArrayBuffer> | null = null;
  /** that read, in flight */
  private pending: Promise<number> | null = null;
  private have = 0;
  /** file offset of buf[0] */
  private base = 0;
  private eof = false;
  private stopped = false;
  /** packets per batch at most */
  readonly batchSize: number;
  private batch: PacketBatch;
  /** set while paused: resolved by resume() or stop() */
  private pauseGate: { promise: Promise<void>; release: () => void } | null = null;
  private backpressure: Backpressure | null = null;

  private constructor(
    readonly path: string,
    opts: FileSourceOptions,
  ) {
    const n = Math.floor(opts.batchSize ?? BATCH_MAX);
    this.batchSize = Number.isFinite(n) ? Math.min(BATCH_MAX, Math.max(1, n)) : BATCH_MAX;
    this.batch = createBatch(this.batchSize);
  }

  /** Opens the file (or stdin for "-") and reads its header. Throws a clear Error for a missing or non-capture file. */
  static async open(path: string, opts: FileSourceOptions = {}): Promise<FileSource> {
    const s = new FileSource(path, opts);
    if (path === "-") s.input = new FdInput(0, false);
    else {
      let fd: number;
      try {
        fd = fs.openSync(path, "r");
        if (fs.fstatSync(fd).isDirectory()) {
          fs.closeSync(fd);
          throw Object.assign(new Error(`${path}: is a directory`), { code: "EISDIR" });
        }
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "ENOENT") throw Object.assign(new Error(`${path}: No such file or directory`), { code: "ENOENT" });
        if (err.code === "EACCES") throw Object.assign(new Error(`${path}: Permission denied`), { code: "EACCES" });
        throw err;
      }
      s.input = new FdInput(fd, true);
    }
    await s.fill(PCAP_FILE_HEADER_LEN);
    const name = path === "-" ? "standard input" : path;
    const fmt = detectFormat(s.buf.subarray(0, s.have));
    if (fmt === "unknown") {
      s.input.close();
      if (s.have === 0) throw Object.assign(new Error(`${name}: empty file, not a pcap or pcapng capture`), { code: "EFORMAT" });
      throw Object.assign(new Error(`${name}: unknown file format (not pcap or pcapng)`), { code: "EFORMAT" });
    }
    if (fmt === "pcap") {
      let h: PcapHeader;
      try {
        h = parsePcapHeader(s.buf.subarray(0, s.have));
      } catch (e) {
        s.input.close();
        throw Object.assign(new Error(`${name}: ${(e as Error).message}`), { code: "EFORMAT" });
      }
      s.parser = new PcapParser(h);
    } else {
      await s.fill(64 * 1024);
      const ng = new PcapngParser();
      s.parser = ng;
      let head: number;
      try {
        head = ng.parse(s.buf, 0, s.have, s.batch, 0, 0, s.eof); // reads the section and first interface headers
      } catch (e) {
        s.input.close();
        throw Object.assign(new Error(`${name}: ${(e as Error).message}`), { code: "EFORMAT" });
      }
      s.batch.count = 0;
      // The first interface after more than the look-ahead of other blocks (big comments, name tables): read
      // on, up to 16 MiB, so the header line names its link type (the parse starts over from offset 0).
      try {
        while (ng.interfaces.length === 0 && !ng.stoppedAtPacket && !s.eof && s.have < HEAD_MAX) {
          await s.fill(Math.min(HEAD_MAX, s.have * 2));
          head = ng.parse(s.buf, 0, s.have, s.batch, 0, 0, s.eof);
          s.batch.count = 0;
        }
      } catch (e) {
        s.input.close();
        throw Object.assign(new Error(`${name}: ${(e as Error).message}`), { code: "EFORMAT" });
      }
      // Like libpcap: a file must declare an interface before its first packet, and must declare one at all.
      if (ng.interfaces.length === 0 && (ng.stoppedAtPacket || (s.eof && head === s.have))) {
        s.input.close();
        const why = ng.stoppedAtPacket ? "has a packet block before any Interface Description Blocks" : "has no Interface Description Blocks";
        throw Object.assign(new Error(`${name}: the capture file ${why}`), { code: "EFORMAT" });
      }
    }
    s.info = { kind: s.parser.format, name: path, linktype: s.parser.linktype, snaplen: s.parser.snaplen, nano: s.parser.nano };
    if (s.parser instanceof PcapngParser) s.info.interfaceNames = s.parser.interfaceNames;
    return s;
  }

  /** Reads until at least `want` bytes are buffered or the input ends. */
  private async fill(want: number): Promise<void> {
    while (this.have < want && !this.eof) {
      if (this.have === this.buf.length) {
        const nb = new Uint8Array(this.buf.length * 2);
        nb.set(this.buf.subarray(0, this.have));
        this.buf = nb;
      }
      const n = await this.input.read(this.buf, this.have, this.buf.length - this.have);
      if (n === 0) this.eof = true;
      this.have += n;
    }
  }

  async run(onBatch: BatchConsumer): Promise<SourceEnd> {
    let pos = 0;
    let want = Infinity;
    try {
      this.prefetch();
      for (;;) {
        // Backpressure between batches: nothing is awaited unless a consumer asked for it.
        while (this.pauseGate && !this.stopped) await this.pauseGate.promise;
        if (this.backpressure && !this.stopped) {
          const w = this.backpressure();
          if (w) await w;
        }
        if (this.stopped) return { reason: "stopped" };
        const b = this.batch;
        b.count = 0;
        b.data = this.buf;
        let next: number;
        try {
          next = this.parser.parse(this.buf, pos, this.have, b, Math.min(this.batchSize, want), this.base, this.eof);
        } catch (e) {
          if (!(e instanceof FileDamage)) throw e;
          if (b.count) onBatch(b);
          return { reason: "error", error: e };
        }
        if (b.count > 0) {
          want = onBatch(b);
          if (want <= 0) return { reason: "count" };
        }
        pos = next;
        if (b.count === this.batchSize || (b.count > 0 && b.count === want)) continue; // more complete records may be buffered
        if (this.eof) {
          if (pos < this.have) {
            const missing = this.have - pos;
            return {
              reason: "error",
              error: new FileDamage(
                `truncated file: the record at byte offset ${this.base + pos} is cut short (${missing} bytes of it present)`,
                this.base + pos,
              ),
            };
          }
          return { reason: "eof" };
        }
        pos = await this.next(pos);
      }
    } finally {
      // A read still in flight writes into our buffer and uses the descriptor: let it finish first.
      if (this.pending) await this.pending.catch(() => 0);
      this.pending = null;
      this.input.close();
    }
  }

  /** Starts reading the next chunk into the spare buffer (files only: a pipe is read when it is needed). */
  private prefetch(): void {
    if (this.eof || this.pending || this.path === "-") return;
    if (!this.spare) this.spare = new Uint8Array(CHUNK + RESERVE);
    this.pending = this.input.read(this.spare, RESERVE, this.spare.length - RESERVE);
  }

  /**
   * Moves on to more bytes: the incomplete record at buf[pos, have) followed by the next chunk (read ahead
   * into the spare buffer, which becomes the current one). Returns the new parse position.
   */
  private async next(pos: number): Promise<number> {
    const ahead = this.pending;
    if (!ahead) {
      // Nothing read ahead: move the incomplete tail to the front and read more.
      if (pos > 0) {
        this.buf.copyWithin(0, pos, this.have);
        this.have -= pos;
        this.base += pos;
      }
      // Reads at least one more byte; when the buffer holds only an incomplete record, fill() grows it.
      await this.fill(this.have + 1);
      this.prefetch();
      return 0;
    }
    this.pending = null;
    const n = await ahead;
    if (n === 0) this.eof = true;
    const spare = this.spare!;
    const tail = this.have - pos;
    const tailAt = this.base + pos; // file offset of the incomplete record
    if (tail <= RESERVE) {
      spare.set(this.buf.subarray(pos, this.have), RESERVE - tail);
      this.spare = this.buf;
      this.buf = spare;
      this.have = RESERVE + n;
      pos = RESERVE - tail;
    } else {
      // A record longer than the reserve: one buffer that holds it and what was read after it.
      const nb = new Uint8Array(Math.max(CHUNK + RESERVE, tail + n + CHUNK));
      nb.set(this.buf.subarray(pos, this.have), 0);
      nb.set(spare.subarray(RESERVE, RESERVE + n), tail);
      this.buf = nb;
      this.have = tail + n;
      pos = 0;
    }
    this.base = tailAt - pos;
    this.prefetch();
    return pos;
  }

  stop(): void {
    this.stopped = true;
    this.resume();
  }

  /**
   * Holds reading back from the next batch boundary until resume() (or stop()): a consumer that queues
   * packets calls it from its batch callback when its queue is full. The batch being delivered is complete.
   */
  pause(): void {
    if (this.pauseGate || this.stopped) return;
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.pauseGate = { promise, release };
  }

  /** Lets reading go on after pause(). */
  resume(): void {
    const g = this.pauseGate;
    this.pauseGate = null;
    g?.release();
  }

  get paused(): boolean {
    return this.pauseGate !== null;
  }

  /**
   * Sets (or clears, with null) a hook called before each batch; when it returns a promise, reading waits
   * for it (a rejection makes run() reject with it). Sources of backpressure that are promises already (a
   * queue's "space" promise) use this instead of pause()/resume().
   */
  setBackpressure(wait: Backpressure | null): void {
    this.backpressure = wait;
  }

  /**
   * The file offset of the current batch's data[0]: batch.offset[i] + this is where packet i's bytes are in
   * the file (the TUI indexes files with it and reads packets back by offset).
   */
  get batchFileOffset(): number {
    return this.base;
  }

  stats(): CaptureStats | null {
    return null;
  }
}
