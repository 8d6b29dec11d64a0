/**
 * The flight recorder (--ring-seconds N, --ring-mb N): the last N seconds (or megabytes) of packets are kept
 * in memory, and a trigger (a display filter matching a packet, SIGUSR1, a plugin) saves that window plus
 * `after` seconds more to a pcapng file whose section comment says why; the triggering packet carries the
 * reason as its own comment.
 *
 * Memory is bounded: packets are copied into fixed-size chunks (a small header and the bytes, no object per
 * packet); the oldest chunk is dropped as soon as all of it is older than the window, or when the total
 * would pass the byte limit (256 MB when only seconds are given). A dropped chunk is reused for new packets.
 *
 * A save writes the window at once to its file and then keeps writing arriving packets into it until a
 * packet is past the after-window (or the wall clock is, for a quiet live capture: `tick()`), or the capture
 * ends: the file is complete at every flush, and nothing waits in memory for it.
 */
import type { PacketBatch, SourceInfo } from "./batch.js";
import { PcapngWriter, type PcapngWriterOptions, type WriterInterface } from "./pcapng-writer.js";
import { strftime } from "./rotating-writer.js";

/** Per packet in a chunk: sec (f64), nsec, caplen, wirelen, iface, linktype (u32 each). */
const REC_HDR = 28;
const DEFAULT_MAX_BYTES = 256 << 20;

interface Chunk {
  buf: Buffer;
  used: number;
  count: number;
  /** newest packet time in the chunk (seconds, fractional) */
  lastTs: number;
}

export interface RecorderOptions {
  /** the window: seconds, bytes, or both (the first limit reached wins) */
  seconds?: number;
  maxBytes?: number;
  /** seconds written after a trigger */
  after?: number;
  /** the -w name: `name.pcapng` saves to name-1.pcapng, name-2.pcapng ...; a name with % goes through strftime */
  path: string;
  info: SourceInfo;
  /** IDB details for interface numbers (as PcapngWriter's describe) */
  describe?: (iface: number) => WriterInterface | undefined;
  /** a packet that should trigger a save (the --trigger display filter), and its text for the reason */
  trigger?: (b: PacketBatch, i: number, frame: number) => boolean;
  triggerText?: string;
  /** a TLS key log written into each saved file as Decryption Secrets Blocks (--keylog: as -w does) */
  secrets?: PcapngWriterOptions["secrets"];
  /** told about each file saved (or failing to save) */
  onSaved?: (path: string, packets: number, reason: string) => void;
  onError?: (e: Error) => void;
  /** wall clock, seconds (tests replace it) */
  now?: () => number;
}

interface Save {
  writer: PcapngWriter;
  reason: string;
  /** packet time after which the save ends */
  until: number;
  /** wall-clock time after which tick() ends it */
  wallUntil: number;
}

export class FlightRecorder {
  private chunks: Chunk[] = [];
  private spare: Chunk | null = null;
  private readonly chunkSize: number;
  private readonly maxBytes: number;
  private total = 0;
  private newest = 0;
  private save: Save | null = null;
  private pendingReason: string | null = null;
  private saves = 0;
  private now: () => number;
  /** files written, in order */
  readonly saved: string[] = [];

  constructor(private o: RecorderOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    this.chunkSize = Math.max(64 << 10, Math.min(1 << 20, Math.floor(this.maxBytes / 16)));
    this.now = o.now ?? (() => Date.now() / 1000);
  }

  /** Packets and bytes held in memory now. */
  get held(): { packets: number; bytes: number } {
    let packets = 0;
    for (const c of this.chunks) packets += c.count;
    return { packets, bytes: this.total };
  }

  /** Asks for a save (SIGUSR1, a plugin): the window up to the next packet (or now) is saved. */
  trigger(reason: string): void {
    if (this.save) return; // the file being written already holds what follows
    this.pendingReason = reason;
  }

  /** Takes one packet (the pipeline's consumer). */
  add(b: PacketBatch, i: number, frame: number): void {
    const ts = b.tsSec[i] + b.tsNsec[i] / 1e9;
    if (this.save && ts > this.save.until) this.finishSave();
    let comment: string | undefined;
    if (this.pendingReason !== null) {
      const r = this.pendingReason;
      this.pendingReason = null;
      this.startSave(r, ts);
    }
    if (this.o.trigger && this.o.trigger(b, i, frame)) {
      comment = `trigger: ${this.o.triggerText ?? "display filter"} (frame ${frame})`;
      if (!this.save) this.startSave(comment, ts);
    }
    if (this.save) {
      try {
        this.save.writer.writePacket(b, i, comment);
      } catch (e) {
        this.fail(e as Error);
      }
    }
    this.keep(b, i, ts);
    if (this.save && (this.o.after ?? 0) <= 0) this.finishSave();
  }

  /** For live captures: ends a save whose after-window has passed on the wall clock; a pending trigger with no packets saves now. */
  tick(): void {
    if (this.save && this.now() > this.save.wallUntil) this.finishSave();
    if (this.pendingReason !== null && !this.save) {
      const r = this.pendingReason;
      this.pendingReason = null;
      this.startSave(r, this.newest || this.now());
      if ((this.o.after ?? 0) <= 0) this.finishSave();
    }
  }

  /** The capture ended: a save in progress (or asked for) is completed with what there is. */
  close(): void {
    this.tick();
    if (this.save) this.finishSave();
  }

  private keep(b: PacketBatch, i: number, ts: number): void {
    const cap = b.caplen[i];
    const need = REC_HDR + cap;
    let c = this.chunks[this.chunks.length - 1];
    if (!c || c.used + need > c.buf.length) {
      c = this.newChunk(need);
      this.chunks.push(c);
    }
    const buf = c.buf;
    const p = c.used;
    buf.writeDoubleLE(b.tsSec[i], p);
    buf.writeUInt32LE(b.tsNsec[i] >>> 0, p + 8); // (a malformed file's fraction beyond 32 bits wraps here)
    buf.writeUInt32LE(cap, p + 12);
    buf.writeUInt32LE(b.wirelen[i], p + 16);
    buf.writeUInt32LE(b.iface[i], p + 20);
    buf.writeInt32LE(b.linktype[i], p + 24);
    buf.set(b.data.subarray(b.offset[i], b.offset[i] + cap), p + REC_HDR);
    c.used += need;
    c.count++;
    c.lastTs = ts;
    this.total += need;
    if (ts > this.newest) this.newest = ts;
    this.evict();
  }

  private newChunk(need: number): Chunk {
    const size = Math.max(this.chunkSize, need);
    let c = this.spare;
    if (c && c.buf.length >= size) this.spare = null;
    else c = { buf: Buffer.allocUnsafeSlow(size), used: 0, count: 0, lastTs: 0 };
    c.used = 0;
    c.count = 0;
    c.lastTs = 0;
    return c;
  }

  private evict(): void {
    const cutoff = this.o.seconds ? this.newest - this.o.seconds : -Infinity;
    while (this.chunks.length > 1) {
      const first = this.chunks[0];
      if (this.total <= this.maxBytes && first.lastTs >= cutoff) break;
      this.chunks.shift();
      this.total -= first.used;
      this.spare = first;
    }
  }

  private fileName(wall: number): string {
    const n = ++this.saves;
    const p = this.o.path;
    if (p.includes("%")) return strftime(p, new Date(wall * 1000)) + (n > 1 ? `-${n}` : "");
    const m = /^(.*?)(\.pcapng|\.pcap)?$/i.exec(p)!;
    return `${m[1]}-${n}.pcapng`; // always pcapng: the reason is a comment
  }

  private startSave(reason: string, ts: number): void {
    const wall = this.now();
    const path = this.fileName(wall);
    const after = this.o.after ?? 0;
    const windowText = [this.o.seconds ? `${this.o.seconds} s` : "", this.o.maxBytes ? `${this.o.maxBytes / 1e6} MB` : ""].filter(Boolean).join(" / ");
    const comment = `tsniff flight recorder: ${reason}; at ${new Date(ts * 1000).toISOString()}; window ${windowText} before, ${after} s after`;
    let writer: PcapngWriter;
    try {
      writer = new PcapngWriter(path, {
        linktype: this.o.info.linktype,
        snaplen: this.o.info.snaplen || 262144,
        nano: true,
        describe: this.o.describe,
        comment,
        secrets: this.o.secrets,
      });
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.save = { writer, reason, until: ts + after, wallUntil: wall + after };
    // The window: what memory holds, from `seconds` before the trigger.
    const from = this.o.seconds ? ts - this.o.seconds : -Infinity;
    try {
      for (const c of this.chunks) {
        if (c.lastTs < from) continue;
        const buf = c.buf;
        let p = 0;
        while (p < c.used) {
          const sec = buf.readDoubleLE(p);
          const nsec = buf.readUInt32LE(p + 8);
          const cap = buf.readUInt32LE(p + 12);
          if (sec + nsec / 1e9 >= from) {
            writer.writeRecord(buf.readUInt32LE(p + 20), buf.readInt32LE(p + 24), sec, nsec, cap, buf.readUInt32LE(p + 16), buf, p + REC_HDR);
          }
          p += REC_HDR + cap;
        }
      }
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private finishSave(): void {
    const s = this.save;
    if (!s) return;
    this.save = null;
    try {
      s.writer.close();
    } catch (e) {
      this.o.onError?.(Object.assign(e as Error, { savedPackets: s.writer.savedPackets }));
      return;
    }
    this.saved.push(s.writer.path);
    this.o.onSaved?.(s.writer.path, s.writer.savedPackets, s.reason);
  }

  private fail(e: Error): void {
    const s = this.save;
    this.save = null;
    if (s) {
      try {
        s.writer.close();
      } catch {
        /* the first error is the one reported */
      }
    }
    this.o.onError?.(e);
  }
}
