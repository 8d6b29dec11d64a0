/**
 * One direction of a TCP connection as a byte stream: segments in, bytes out in sequence order.
 *
 * - In order (the common case): the segment's bytes are handed on as they are (a view, no copy).
 * - Retransmissions and overlaps: bytes already handed on, or already held, are dropped; the first copy wins
 *   (Wireshark's default).
 * - Out of order: the segment is copied and held until the bytes before it arrive.
 * - Gaps are reported, never invented: when the held bytes pass the connection's cap, or the direction ends
 *   (FIN, RST, idleness, eviction, end of capture), the missing range is reported with `gap` and the held
 *   bytes after it are handed on.
 *
 * Sequence numbers are 32-bit and wrap: distances are taken modulo 2^32 as signed 32-bit numbers.
 */

/** Receives a direction's bytes in order: `data` (a view, valid during the call) first sent in `frame`. */
export interface ByteSink {
  data(data: Uint8Array, frame: number): void;
  /** `length` bytes were never seen (lost before the capture, or held bytes given up) */
  gap(length: number): void;
  /**
   * A segment of `frame` repeated bytes already handed on, starting `back` bytes before the end of what was
   * handed on (a retransmission or an overlap): the first copy was kept.
   */
  repeat?(back: number, length: number, frame: number): void;
}

interface Held {
  seq: number;
  data: Uint8Array;
  frame: number;
}

export class ByteStream {
  /** the next sequence number expected (-1: none seen yet) */
  next = -1;
  /** held out-of-order segments, in sequence order, not overlapping one another */
  private held: Held[] = [];
  /** bytes held */
  heldBytes = 0;
  /** bytes handed on, and bytes reported missing */
  delivered = 0;
  missing = 0;
  /** a FIN was seen (its sequence number is the end) */
  finSeq = -1;

  /**
   * A segment: `seq` its sequence number (of the first payload byte; with SYN set, of the SYN), `payload` its
   * bytes (a view: copied only when held). Returns the number of bytes this direction now holds.
   */
  push(seq: number, payload: Uint8Array, frame: number, syn: boolean, out: ByteSink): number {
    if (syn) seq = (seq + 1) >>> 0;
    if (this.next < 0) this.next = seq;
    let len = payload.length;
    if (len === 0) return this.heldBytes;
    let d = (seq - this.next) | 0;
    if (d <= 0) {
      // in order, or starting with bytes already handed on (a retransmission): the new part only
      if (d < 0) out.repeat?.(-d, Math.min(-d, len), frame);
      if (-d >= len) return this.heldBytes;
      if (d < 0) {
        payload = payload.subarray(-d);
        len = payload.length;
        seq = this.next;
      }
      if (this.held.length === 0) {
        this.next = (seq + len) >>> 0;
        this.delivered += len;
        out.data(payload, frame);
        return 0;
      }
      // held bytes may cover part of this one: hand on up to the first held segment, then drain
      const first = (this.held[0].seq - this.next) | 0;
      const take = Math.min(len, first);
      if (take > 0) {
        this.next = (this.next + take) >>> 0;
        this.delivered += take;
        out.data(payload.subarray(0, take), frame);
      }
      if (len > take) this.hold((seq + take) >>> 0, payload.subarray(take), frame);
      this.drain(out);
      return this.heldBytes;
    }
    this.hold(seq, payload, frame);
    return this.heldBytes;
  }

  /** Holds a copy of the parts of [seq, seq+len) not held yet (first copy wins). */
  private hold(seq: number, payload: Uint8Array, frame: number): void {
    const h = this.held;
    let start = (seq - this.next) | 0;
    const end = start + payload.length;
    let i = 0;
    while (start < end) {
      // skip held segments that end before `start`
      while (i < h.length && ((h[i].seq - this.next) | 0) + h[i].data.length <= start) i++;
      const hs = i < h.length ? (h[i].seq - this.next) | 0 : end;
      if (hs > start) {
        const stop = Math.min(hs, end);
        const part = payload.slice(start - ((seq - this.next) | 0), stop - ((seq - this.next) | 0));
        h.splice(i, 0, { seq: (this.next + start) >>> 0, data: part, frame });
        this.heldBytes += part.length;
        i++;
        start = stop;
      } else start = hs + h[i].data.length; // inside a held one: its bytes win
    }
  }

  /** Hands on held segments that now follow on. */
  private drain(out: ByteSink): void {
    const h = this.held;
    while (h.length) {
      const s = h[0];
      const d = (s.seq - this.next) | 0;
      if (d > 0) return;
      h.shift();
      this.heldBytes -= s.data.length;
      const data = d < 0 ? s.data.subarray(-d) : s.data;
      if (data.length === 0) continue;
      this.next = (this.next + data.length) >>> 0;
      this.delivered += data.length;
      out.data(data, s.frame);
    }
  }

  /** Gives up waiting for the bytes before the first held segment: reports the gap, hands on what follows. */
  skipGap(out: ByteSink): void {
    const h = this.held;
    if (!h.length) return;
    const d = (h[0].seq - this.next) | 0;
    if (d > 0) {
      this.missing += d;
      out.gap(d);
      this.next = h[0].seq;
    }
    this.drain(out);
  }

  /**
   * The peer acknowledged bytes up to `ack` (raw): a hole before a held segment that the peer has acknowledged
   * past was received and will never come again (the capture lost it: tcpdump drops): reported as a gap, and
   * the held bytes after it handed on. Returns whether any was.
   */
  ackedPast(ack: number, out: ByteSink): boolean {
    let any = false;
    while (this.held.length && ((ack - this.held[0].seq) | 0) > 0) {
      this.skipGap(out);
      any = true;
    }
    return any;
  }

  /** Whether bytes are held after a hole. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Ends the direction: every held byte handed on, the gaps reported. */
  flush(out: ByteSink): void {
    while (this.held.length) this.skipGap(out);
  }

  /** Forgets the held bytes (eviction): returns how many were dropped. */
  drop(): number {
    const n = this.heldBytes;
    this.held = [];
    this.heldBytes = 0;
    return n;
  }
}
