/**
 * TCP reassembly for the dissectors: each direction's byte stream (bytestream.ts) cut into the application's
 * PDUs (protocol data units: a DNS message with its length prefix, a TLS record, an HTTP message with its
 * body), as Wireshark's tcp_dissect_pdus does. A PDU is reported on the frame that completes it, with the
 * frames of its segments (tcp.segment, tcp.segment.count, tcp.reassembled.length).
 *
 * Memory is bounded: per connection (held out-of-order bytes and unfinished PDUs) and in total; past the total
 * the connection idle longest is evicted (counted). A connection's state goes at RST, at FIN both ways, and
 * after `idleSec` seconds of capture time without a segment.
 *
 * This module knows nothing of dissectors: the application's framing comes in as a `PduLength` function.
 */
import { ByteStream, type ByteSink } from "./bytestream.js";
import { FrameMap } from "./frame-map.js";

/**
 * An application's framing: the length of the PDU starting at d[off] (len bytes available), which may be
 * more than len (more segments needed); 0 when more bytes are needed to know; -1 when no PDU starts here
 * (the bytes are passed over). `st` is per connection, for framers that need history (HTTP: HEAD requests).
 */
export type PduLength = (d: Uint8Array, off: number, len: number, dir: number, st: Record<string, unknown>) => number;

/**
 * A framer may tell, more strictly than its length function, whether a PDU can start at d[off] (len bytes
 * there): used to find the next PDU after a gap, where any byte of the stream may be tried.
 */
export type PduStart = (d: Uint8Array, off: number, len: number) => boolean;

/** A whole PDU: its bytes, and the frames (with the byte count each gave) it was made from. */
export interface Pdu {
  data: Uint8Array;
  frames: number[];
  lens: number[];
}

/** What a segment gave: the PDUs it completed, and whether its bytes are exactly one PDU (nothing to reassemble). */
export interface SegmentResult {
  pdus: Pdu[];
  /** the segment's payload is one whole PDU on its own: dissect it as it is */
  own: boolean;
  /** the segment's bytes went (at least partly) into a PDU not finished yet */
  pending: boolean;
  /** bytes of this segment already seen (a retransmission or an overlap), dropped */
  repeated: boolean;
}

export interface ReassemblyOptions {
  /** bytes held in total (out-of-order segments and unfinished PDUs) before the oldest idle connection goes */
  maxBytes?: number;
  /** bytes held by one connection before it gives up waiting (gaps reported, unfinished PDUs dropped) */
  maxPerConnection?: number;
  /** seconds of capture time without a segment after which a connection's state is released */
  idleSec?: number;
  /**
   * tcp.reassembled_in from an earlier pass over the same packets (tshark -2): frame -> the frame that
   * completed the PDU its bytes went into (Reassembly.reassembledIn of the first pass)
   */
  known?: Map<number, number>;
  /**
   * false: reassembledIn is not filled (a single pass in capture order, which never dissects a frame again:
   * the TUI's display filter thread), so it does not grow with the capture. Default true.
   */
  history?: boolean;
}

export interface ReassemblyStats {
  /** PDUs completed over more than one segment */
  reassembled: number;
  /** connections evicted to stay under maxBytes */
  evicted: number;
  /** bytes reported missing (gaps) */
  gapBytes: number;
  /** unfinished PDUs given up (connection cap, gap, eviction, close) */
  dropped: number;
  /** bytes held now, and the most ever held */
  held: number;
  peak: number;
}

const MAX_PDU = 64 << 20;
/** A cutter's `out` between segments: the result's PDUs are not kept alive by an idle connection (their bytes) */
const NO_PDUS: Pdu[] = [];

/** One direction's PDU cutter: receives the direction's bytes in order. */
class Cutter implements ByteSink {
  buf: Uint8Array | null = null;
  have = 0;
  need = 0; // total PDU length, 0 when not known yet
  frames: number[] = [];
  lens: number[] = [];
  /** the PDUs completed during the current segment */
  out: Pdu[] = [];
  /** set when the current segment's bytes went into an unfinished PDU */
  pendingHit = false;
  /** bytes handed on during the current segment that were one whole PDU, not in `out` yet (see data()) */
  whole: Uint8Array | null = null;
  wholeFrame = 0;
  dropped = 0;
  /** after a gap: bytes still to pass over to the end of the PDU the gap fell in (its length was known) */
  skip = 0;
  /** after a gap that passed a PDU's end (or one of unknown length): the next PDU start is searched for */
  lost = false;
  private start: PduStart | undefined;
  constructor(
    private framer: PduLength,
    private dir: number,
    private st: Record<string, unknown>,
    private max: number,
  ) {
    this.start = (framer as PduLength & { start?: PduStart }).start;
  }

  get held(): number {
    return this.buf ? this.buf.length : 0;
  }

  data(d: Uint8Array, frame: number): void {
    let pos = 0;
    const len = d.length;
    if (this.whole !== null) this.pdu();
    if (this.skip > 0 || this.lost) {
      pos = this.resync(d);
      if (pos >= len) return;
    }
    while (pos < len) {
      if (this.buf) {
        // continue the unfinished PDU
        let take = len - pos;
        if (this.need > 0) take = Math.min(take, this.need - this.have);
        this.append(d, pos, pos + take, frame);
        pos += take;
        if (this.need === 0) {
          const n = this.frame(this.buf, 0, this.have);
          if (n < 0) {
            this.give(); // never a PDU: dropped
            continue;
          }
          if (n === 0) {
            this.pendingHit = true; // still not known how long: held
            continue;
          }
          this.need = n;
          if (this.have > n) {
            // the bytes past the PDU go back to the loop
            const extra = this.have - n;
            pos -= extra;
            this.have = n;
            this.lens[this.lens.length - 1] -= extra;
          }
        }
        if (this.need > 0 && this.have >= this.need) this.complete();
        else this.pendingHit = true;
        continue;
      }
      const n = this.frame(d, pos, len - pos);
      if (n < 0) return; // not a PDU start: the rest of these bytes are passed over
      if (n === len && pos === 0 && this.out.length === 0 && this.whole === null) {
        // the bytes handed on are one whole PDU (the common case: a DNS message, a TLS record, a small HTTP
        // message in one segment): noted, no Pdu made unless the segment turns out to hold more (pdu())
        this.whole = d;
        this.wholeFrame = frame;
        return;
      }
      if (this.whole !== null) this.pdu();
      if (n > 0 && n <= len - pos) {
        this.out.push({ data: d.subarray(pos, pos + n), frames: [frame], lens: [n] });
        pos += n;
        continue;
      }
      // starts a PDU that needs more bytes
      this.need = n;
      // zero-filled (Buffer.allocUnsafe saved no measurable time, and a read past the appended bytes would then
      // see old memory: one CI run decrypted a TLS CBC record differently, not reproduced)
      this.buf = new Uint8Array(n > 0 ? n : Math.max(1024, (len - pos) * 2));
      this.have = 0;
      this.frames = [];
      this.lens = [];
      this.append(d, pos, len, frame);
      this.pendingHit = true;
      return;
    }
  }

  /** Puts the noted whole PDU into `out` (more bytes came in the same segment, or it is not the segment's own). */
  pdu(): void {
    const d = this.whole!;
    this.whole = null;
    this.out.push({ data: d, frames: [this.wholeFrame], lens: [d.length] });
  }

  private frame(d: Uint8Array, off: number, len: number): number {
    let n: number;
    try {
      n = this.framer(d, off, len, this.dir, this.st);
    } catch {
      n = -1;
    }
    if (n > this.max || n > MAX_PDU) return -1;
    return n;
  }

  /** Appends d[from, to) to the unfinished PDU (a view made only when the segment is not taken whole). */
  private append(d: Uint8Array, from: number, to: number, frame: number): void {
    const n = to - from;
    let b = this.buf!;
    if (this.have + n > b.length) {
      const nb = new Uint8Array(Math.max(this.have + n, b.length * 2));
      nb.set(b.subarray(0, this.have));
      this.buf = b = nb;
    }
    b.set(from === 0 && to === d.length ? d : d.subarray(from, to), this.have);
    this.have += n;
    if (this.frames[this.frames.length - 1] === frame) this.lens[this.lens.length - 1] += n;
    else {
      this.frames.push(frame);
      this.lens.push(n);
    }
  }

  private complete(): void {
    this.out.push({ data: this.buf!.subarray(0, this.need), frames: this.frames, lens: this.lens });
    this.buf = null;
    this.have = 0;
    this.need = 0;
  }

  /** Drops the unfinished PDU. */
  give(): void {
    if (this.buf) this.dropped++;
    this.buf = null;
    this.have = 0;
    this.need = 0;
  }

  /** A repeated segment inside the unfinished PDU is one of its segments too (Wireshark lists it). */
  repeat(back: number, length: number, frame: number): void {
    if (!this.buf || back > this.have) return;
    const at = this.have - back;
    let off = 0;
    let i = 0;
    while (i < this.frames.length && off + this.lens[i] <= at) off += this.lens[i++];
    this.frames.splice(i, 0, frame);
    this.lens.splice(i, 0, 0);
    void length;
    this.pendingHit = true;
  }

  gap(length: number): void {
    // a PDU with a hole is not made up; the next one starts where the lost one ends when its length was known
    // (as Wireshark goes on at the PDU's end), otherwise it is searched for
    if (this.skip > 0) {
      this.skip -= length;
      if (this.skip < 0) {
        this.skip = 0;
        this.lost = true;
      }
      return;
    }
    if (this.lost) return;
    if (this.buf && this.need > 0 && this.have + length < this.need) this.skip = this.need - this.have - length;
    else this.lost = true;
    this.give();
  }

  /**
   * After a gap: where in d the next PDU starts (d.length: not in d). Past the lost PDU's end when known; else
   * the first place the framer takes for a PDU start whose end is followed by another PDU start (or lies past d).
   */
  private resync(d: Uint8Array): number {
    const len = d.length;
    if (this.skip > 0) {
      const n = Math.min(this.skip, len);
      this.skip -= n;
      return n;
    }
    const start = this.start;
    for (let p = 0; p < len; p++) {
      if (start && !start(d, p, len - p)) continue;
      const n = this.frame(d, p, len - p);
      if (n <= 0) continue;
      if (p + n < len && this.frame(d, p + n, len - p - n) < 0) continue;
      this.lost = false;
      return p;
    }
    return len;
  }
}

class Conn {
  dirs = [new ByteStream(), new ByteStream()];
  cut: [Cutter, Cutter];
  st: Record<string, unknown> = {};
  last = 0;
  bytes = 0;
  fin = 0;
  /** per direction: the latest acknowledgment of its bytes by the peer (raw; -1: none) */
  acked = [-1, -1];
  constructor(framer: PduLength, max: number) {
    this.cut = [new Cutter(framer, 0, this.st, max), new Cutter(framer, 1, this.st, max)];
  }
  held(): number {
    return this.dirs[0].heldBytes + this.dirs[1].heldBytes + this.cut[0].held + this.cut[1].held;
  }
}

const FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  ACK = 0x10;

export class Reassembly {
  readonly maxBytes: number;
  readonly maxPerConnection: number;
  readonly idleSec: number;
  readonly stats: ReassemblyStats = { reassembled: 0, evicted: 0, gapBytes: 0, dropped: 0, held: 0, peak: 0 };
  /** live connections, the one used longest ago first */
  private conns = new Map<object, Conn>();
  private segments = 0;
  /**
   * tcp.reassembled_in: for each frame whose bytes went into a PDU completed by a later frame, that frame
   * (filled as PDUs complete; an earlier pass's, given as `known`, answers before that)
   */
  readonly reassembledIn: FrameMap;
  private result: SegmentResult = { pdus: [], own: false, pending: false, repeated: false };
  /** the connection of the last segment (the map's last entry while it lives) */
  private lastKey: object | null = null;
  private lastConn: Conn | null = null;
  private history: boolean;
  /**
   * Where each direction of a released connection had got to (its next sequence numbers), by key. tshark keeps
   * a conversation's sequence state for the whole capture: a segment of it after the release (the ACK after the
   * last FIN, or a later copy of the connection with the same initial sequence numbers, which keeps its
   * tcp.stream) repeats bytes already handed on and is not dissected again. A connection met again goes on from here.
   */
  private ended = new WeakMap<object, [number, number]>();

  constructor(o: ReassemblyOptions = {}) {
    this.maxBytes = o.maxBytes ?? 256 << 20;
    this.maxPerConnection = Math.min(o.maxPerConnection ?? 32 << 20, this.maxBytes);
    this.idleSec = o.idleSec ?? 300;
    this.reassembledIn = FrameMap.from(o.known);
    this.history = o.history ?? true;
  }

  /** The frame that completed the PDU `frame`'s bytes went into, when a later frame did (-1: none known). */
  completedIn(frame: number): number {
    const f = this.reassembledIn.get(frame);
    return f === undefined || f === frame ? -1 : f;
  }

  /**
   * A segment of the connection `key` (any object that stays the same for the connection, e.g. its
   * conversation) in direction `dir`: `seq` raw, `payload` a view of its bytes, `flags` TCP's, `time` capture
   * seconds. The result object is reused by the next call.
   */
  segment(key: object, dir: number, seq: number, payload: Uint8Array, frame: number, flags: number, time: number, framer: PduLength, ack = -1): SegmentResult {
    const res = this.result;
    if (res.pdus.length) res.pdus = []; // a new array only after PDUs were given (the engine may still hold them)
    res.own = false;
    res.pending = false;
    res.repeated = false;
    let c: Conn | undefined;
    if (key === this.lastKey && this.lastConn) c = this.lastConn; // segments come in runs of one connection: already last
    else {
      c = this.conns.get(key);
      if (c) this.conns.delete(key); // moved to the end: used last
      else {
        c = new Conn(framer, this.maxPerConnection);
        const e = this.ended.get(key);
        if (e) {
          c.dirs[0].next = e[0];
          c.dirs[1].next = e[1];
        }
      }
      this.conns.set(key, c);
      this.lastKey = key;
      this.lastConn = c;
    }
    c.last = time;
    const s = c.dirs[dir];
    const cut = c.cut[dir];
    cut.out = res.pdus;
    cut.pendingHit = false;
    const before = s.delivered;
    s.push(seq, payload, frame, (flags & SYN) !== 0, cut);
    if (flags & ACK && ack >= 0) c.acked[1 - dir] = ack;
    if (s.holding && c.acked[dir] >= 0) {
      // the peer acknowledged bytes this direction's capture lost: not waited for any longer
      const m = s.missing;
      if (s.ackedPast(c.acked[dir], cut)) this.stats.gapBytes += s.missing - m;
    }
    if (payload.length > 0 && s.delivered - before < payload.length && s.heldBytes === 0) res.repeated = true;
    if (s.heldBytes + cut.held > this.maxPerConnection) {
      // the connection holds too much: stop waiting for missing bytes, then drop an unfinished PDU
      this.gaps(s, cut);
      if (cut.held > this.maxPerConnection) cut.give();
    }
    res.pending = cut.pendingHit;
    const w = cut.whole;
    if (w !== null) {
      if (res.pdus.length === 0 && !res.pending && w.buffer === payload.buffer && w.byteOffset === payload.byteOffset && w.length === payload.length) {
        res.own = true;
        cut.whole = null;
      } else cut.pdu();
    }
    for (const p of res.pdus)
      if (p.frames.length > 1) {
        this.stats.reassembled++;
        if (!this.history) continue;
        const fs = p.frames;
        for (let i = 0; i < fs.length; i++) if (fs[i] !== frame && !this.reassembledIn.has(fs[i])) this.reassembledIn.set(fs[i], frame);
      }
    if (flags & RST) this.close(key, c);
    else if (flags & FIN) {
      c.fin |= 1 << dir;
      if (c.fin === 3) this.close(key, c);
    }
    this.account(c);
    cut.out = NO_PDUS;
    if (this.stats.held > this.maxBytes) this.evict(key);
    if ((++this.segments & 4095) === 0) this.expire(time);
    return res;
  }

  private gaps(s: ByteStream, cut: Cutter): void {
    const m = s.missing;
    s.flush(cut);
    this.stats.gapBytes += s.missing - m;
  }

  private account(c: Conn): void {
    const now = c.held();
    this.stats.held += now - c.bytes;
    c.bytes = now;
    if (this.stats.held > this.stats.peak) this.stats.peak = this.stats.held;
  }

  /** Releases a connection: what it held is dropped (unfinished PDUs counted). */
  private close(key: object, c: Conn): void {
    for (const cut of c.cut) {
      cut.give();
      this.stats.dropped += cut.dropped;
      cut.dropped = 0;
    }
    c.dirs[0].drop();
    c.dirs[1].drop();
    this.ended.set(key, [c.dirs[0].next, c.dirs[1].next]);
    this.conns.delete(key);
    if (this.lastConn === c) {
      this.lastKey = null;
      this.lastConn = null;
    }
    this.stats.held -= c.bytes;
    c.bytes = 0;
  }

  /** Evicts the connections used longest ago (not `keep`) until under the total cap. */
  private evict(keep: object): void {
    for (const [k, c] of this.conns) {
      if (this.stats.held <= this.maxBytes) return;
      if (k === keep) continue;
      this.close(k, c);
      this.stats.evicted++;
    }
  }

  /** Releases connections idle for idleSec (the map is in order of last use). */
  private expire(now: number): void {
    for (const [k, c] of this.conns) {
      if (now - c.last < this.idleSec) return;
      this.close(k, c);
    }
  }

  /** Unfinished PDUs given up so far, those of live connections included. */
  get dropped(): number {
    let n = this.stats.dropped;
    for (const c of this.conns.values()) n += c.cut[0].dropped + c.cut[1].dropped;
    return n;
  }

  /** Connections with state now. */
  get connections(): number {
    return this.conns.size;
  }
}
