/**
 * Live capture from several interfaces at once (-i veth0 -i veth1) as one time-ordered stream.
 *
 * Each interface is its own LiveSource (its own libpcap handle, link type, snaplen and kernel filter, and
 * its own resume after going down). Their native batches arrive separately, each in time order; they are
 * queued as they are (the native buffers are fresh per batch, so holding them copies nothing) and merged by
 * timestamp into one reused batch of pcap records (so `-w` still copies whole runs), `iface` telling each
 * packet's interface (its index in `info.interfaces`).
 *
 * Order across interfaces needs a short hold-back: libpcap hands packets over up to its timeout after they
 * were stamped (TPACKET_V3 blocks), so a packet is released once the wall clock is `holdbackMs` past its
 * timestamp (or past its arrival, whichever comes first, so a clock step cannot hold packets forever). A
 * packet later than that is released in arrival order. At the end everything held is released, in order.
 */
import { createBatch, ensureCapacity, type PacketBatch, type SourceInfo } from "./batch.js";
import type { RawBatchConsumer } from "./live-source.js";
import type { BatchConsumer, CaptureStats, PacketSource, SourceEnd } from "./source.js";

/**
 * What the merge takes: a LiveSource, or anything that hands on native-layout batches the same way (a
 * remote capture: src/remote/remote-source.ts). A source whose run ends with "eof" is done; the others go on.
 */
export interface RawSource {
  readonly device: string;
  /** captured on another host (src/remote) */
  readonly remote?: boolean;
  readonly info: SourceInfo;
  runRaw(onRaw: RawBatchConsumer): Promise<SourceEnd>;
  stop(): void;
  stats(): CaptureStats | null;
  pause?(): void;
  resume?(): void;
  close(): void;
}

export interface MultiLiveOptions {
  /** how long packets are held for ordering, in ms (default: 250, or 40 in immediate mode) */
  holdbackMs?: number;
  immediate?: boolean;
  /** how long the final release after stop() may take, ms (default 250) */
  stopBudgetMs?: number;
  /** wall clock in ms (tests replace it) */
  now?: () => number;
}

/** A native batch waiting to be merged. */
interface Chunk {
  buf: Buffer;
  /** byte offset of the next record */
  pos: number;
  /** records left */
  left: number;
  /** wall-clock arrival, ms */
  arrived: number;
  /** over buf, for copying short runs word by word */
  dv: DataView;
}

/**
 * Runs shorter than this are copied 4 bytes at a time through DataViews: Buffer#copy of part of a buffer
 * makes a view object per call, which interleaved interfaces (runs of one packet) would pay per packet.
 */
const WORD_COPY_MAX = 4096;

/**
 * Above this many bytes held, packets are released without waiting (a flood on a slow consumer), and the
 * interfaces stop being read until less than half is held: the kernel buffers meanwhile, then drops and
 * counts ("dropped by kernel"), instead of this process growing without bound.
 */
const MAX_HELD = 64 << 20;

/**
 * How long one release may hand batches to the consumer before returning to the event loop (the rest goes
 * on at the next turn of the loop), so that signals and timers run under a flood however slow the consumer
 * (-V printing): Ctrl-C acts at once. After stop(), what is held is released within STOP_BUDGET_MS (or the
 * `stopBudgetMs` option: remote sources hold 2 s of packets, a flood's tail), in slices, so that a second
 * signal still acts; a consumer too slow for that loses the rest (as tcpdump loses what its buffer holds at
 * Ctrl-C), counted in `droppedAtStop` (the CLI's summary says it).
 */
const RELEASE_BUDGET_MS = 15;
const STOP_BUDGET_MS = 250;
/** Packets per merged batch: at most EMIT_MAX, fewer while the consumer takes over EMIT_TARGET_MS a batch. */
const EMIT_MAX = 4096;
const EMIT_MIN = 8;
/** the first batches are small: a consumer too slow for them is not held up by a big one before it is measured */
const EMIT_START = 64;
const EMIT_TARGET_MS = 10;

export class MultiLiveSource implements PacketSource {
  readonly info: SourceInfo;
  private queues: Chunk[][];
  private nano: boolean[];
  private linktype: Int32Array;
  private held = 0;
  private readonly holdback: number;
  private readonly stopBudget: number;
  private readonly now: () => number;
  private out: PacketBatch = createBatch(4096);
  private outBuf: Buffer = Buffer.allocUnsafeSlow(4 << 20);
  private outDv = new DataView(this.outBuf.buffer, this.outBuf.byteOffset, this.outBuf.byteLength);
  private onBatch: BatchConsumer | null = null;
  private stopping = false;
  private countReached = false;
  /** the consumer wants nothing more (count reached, or it threw) */
  private dead = false;
  private error: Error | undefined;
  /** packets per merged batch now (adapts to the consumer's speed) */
  private emitMax = EMIT_START;
  /** a release cut short by its time budget goes on at the next turn of the loop */
  private again: NodeJS.Immediate | null = null;
  /** the interfaces are not read while too much is held */
  private paused = false;
  /** packets still held for ordering when the final release after stop() ran out of time, and dropped */
  droppedAtStop = 0;

  constructor(
    readonly sources: RawSource[],
    opts: MultiLiveOptions = {},
  ) {
    if (sources.length === 0) throw new Error("MultiLiveSource needs at least one interface");
    this.queues = sources.map(() => []);
    this.nano = sources.map((s) => s.info.nano);
    this.linktype = Int32Array.from(sources.map((s) => s.info.linktype));
    this.holdback = opts.holdbackMs ?? (opts.immediate ? 40 : 250);
    this.now = opts.now ?? Date.now;
    this.stopBudget = opts.stopBudgetMs ?? STOP_BUDGET_MS;
    const allNano = sources.every((s) => s.info.nano);
    this.info = {
      kind: "live",
      name: sources.map((s) => s.device).join(", "),
      linktype: sources[0].info.linktype,
      snaplen: Math.max(...sources.map((s) => s.info.snaplen)),
      nano: allNano,
      interfaces: sources.map((s) => ({ name: s.device, linktype: s.info.linktype, snaplen: s.info.snaplen, ...(s.remote ? { remote: true } : {}) })),
    };
  }

  async run(onBatch: BatchConsumer): Promise<SourceEnd> {
    this.onBatch = onBatch;
    const timer = setInterval(() => this.release(false), Math.max(10, this.holdback >> 1));
    const ends = this.sources.map((s, k) =>
      s.runRaw((buf, count, nano, linktype) => this.take(k, buf, count, nano, linktype)).then((end) => {
        // One interface failing (or a consumer throwing) ends the whole capture.
        if (end.reason === "error" && !this.error) {
          this.error = end.error;
          this.stop();
        }
        return end;
      }),
    );
    await Promise.all(ends);
    clearInterval(timer);
    if (this.again) clearImmediate(this.again);
    this.again = null;
    // Everything held, in slices of RELEASE_BUDGET_MS; after stop() within a deadline.
    const deadline = performance.now() + this.stopBudget;
    while (this.release(true)) {
      if (this.stopping && performance.now() > deadline) {
        this.droppedAtStop += this.heldPackets();
        this.dropHeld();
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    if (this.error) return { reason: "error", error: this.error };
    if (this.countReached) return { reason: "count" };
    return { reason: "stopped" };
  }

  /** A native batch from interface k. */
  private take(k: number, buf: Buffer, count: number, nano: boolean, linktype: number): number {
    if (this.dead) return 0;
    this.nano[k] = nano;
    this.linktype[k] = linktype;
    this.queues[k].push({ buf, pos: 0, left: count, arrived: this.now(), dv: new DataView(buf.buffer, buf.byteOffset, buf.byteLength) });
    this.held += buf.length;
    if (this.held > MAX_HELD && !this.paused) {
      this.paused = true;
      for (const s of this.sources) if (typeof s.pause === "function") s.pause();
    }
    if (!this.stopping) this.release(false);
    return this.dead ? 0 : Infinity;
  }

  /**
   * Merges the queued packets into batches for the consumer: all of them when `all`, else those whose hold-back
   * is over. Per packet: a comparison of each interface's head and one copy of the record. Returns true when
   * `all` ran out of its time slice with packets left (the caller goes on at the next turn of the loop).
   */
  private release(all: boolean): boolean {
    if (this.dead || !this.onBatch) return false;
    const t0 = performance.now();
    const budget = RELEASE_BUDGET_MS;
    let more = false;
    const q = this.queues;
    const K = q.length;
    const outNano = this.info.nano;
    const cutoff = this.now() - this.holdback;
    const cutSec = Math.floor(cutoff / 1000);
    const cutNs = (cutoff - cutSec * 1000) * 1e6;
    const flood = this.held > MAX_HELD;
    const b = this.out;
    let n = 0;
    let pos = 0;
    // Records are copied by runs: consecutive records of one native batch go in one copy (one native call),
    // so a busy interface costs a copy per batch, not per packet.
    let run: Chunk | null = null;
    let runFrom = 0;
    let runTo = 0;
    let runDst = 0;
    const flushRun = () => {
      if (!run) return;
      const len = runTo - runFrom;
      if (len >= WORD_COPY_MAX) run.buf.copy(this.outBuf, runDst, runFrom, runTo);
      else {
        const src = run.dv;
        const dst = this.outDv;
        const words = len & ~3;
        let i = 0;
        for (; i < words; i += 4) dst.setUint32(runDst + i, src.getUint32(runFrom + i));
        for (; i < len; i++) dst.setUint8(runDst + i, src.getUint8(runFrom + i));
      }
      run = null;
    };
    for (;;) {
      // The interface whose next packet is the oldest.
      let best = -1;
      let bSec = 0;
      let bNs = 0;
      for (let k = 0; k < K; k++) {
        const c = q[k][0];
        if (!c) continue;
        const sec = c.buf.readUInt32LE(c.pos);
        const ns = this.nano[k] ? c.buf.readUInt32LE(c.pos + 4) : c.buf.readUInt32LE(c.pos + 4) * 1000;
        if (best < 0 || sec < bSec || (sec === bSec && ns < bNs)) {
          best = k;
          bSec = sec;
          bNs = ns;
        }
      }
      if (best < 0) break;
      const c = q[best][0];
      if (!all && !flood && (bSec > cutSec || (bSec === cutSec && bNs > cutNs)) && c.arrived > cutoff) break;
      const cap = c.buf.readUInt32LE(c.pos + 8);
      const rec = 16 + cap;
      if (n >= this.emitMax) {
        flushRun();
        if (!this.emit(n)) return false;
        n = 0;
        pos = 0;
        if (performance.now() - t0 > budget) {
          if (all) more = true;
          else if (!this.again) this.again = setImmediate(() => {
            this.again = null;
            this.release(false);
          });
          break;
        }
      }
      if (pos + rec > this.outBuf.length) {
        flushRun();
        if (n > 0) {
          if (!this.emit(n)) return false;
          n = 0;
          pos = 0;
        }
        if (rec > this.outBuf.length) {
          this.outBuf = Buffer.allocUnsafeSlow(rec * 2);
          this.outDv = new DataView(this.outBuf.buffer, this.outBuf.byteOffset, this.outBuf.byteLength);
        }
      }
      if (n >= b.offset.length) ensureCapacity(b, n);
      if (run === c && runTo === c.pos) runTo += rec;
      else {
        flushRun();
        run = c;
        runFrom = c.pos;
        runTo = c.pos + rec;
        runDst = pos;
      }
      if (outNano !== this.nano[best]) {
        // The merged batch has one precision: microsecond records become nanoseconds, or the reverse.
        flushRun();
        this.outBuf.writeUInt32LE(outNano ? bNs : Math.floor(bNs / 1000), pos + 4);
      }
      b.offset[n] = pos + 16;
      b.caplen[n] = cap;
      b.wirelen[n] = c.buf.readUInt32LE(c.pos + 12);
      b.tsSec[n] = bSec;
      b.tsNsec[n] = bNs;
      b.linktype[n] = this.linktype[best];
      b.iface[n] = best;
      n++;
      pos += rec;
      c.pos += rec;
      if (--c.left === 0) {
        q[best].shift();
        this.held -= c.buf.length;
      }
    }
    flushRun();
    if (n > 0 && !this.emit(n)) return false;
    if (this.paused && this.held < MAX_HELD / 2) {
      this.paused = false;
      for (const s of this.sources) if (typeof s.resume === "function") s.resume();
    }
    return more;
  }

  /** Hands `n` merged packets to the consumer; false once it wants no more. */
  private emit(n: number): boolean {
    const b = this.out;
    b.data = this.outBuf;
    b.count = n;
    b.raw = true;
    b.rawNano = this.info.nano;
    let want: number;
    const t0 = performance.now();
    try {
      want = this.onBatch!(b);
    } catch (e) {
      this.error ??= e as Error;
      want = 0;
    }
    // As many packets per batch as the consumer takes in EMIT_TARGET_MS, within [EMIT_MIN, EMIT_MAX].
    const dt = performance.now() - t0;
    if (dt > EMIT_TARGET_MS) this.emitMax = Math.max(EMIT_MIN, Math.min(this.emitMax, Math.floor((n * EMIT_TARGET_MS) / dt)));
    else if (dt < EMIT_TARGET_MS / 4 && n >= this.emitMax) this.emitMax = Math.min(EMIT_MAX, this.emitMax * 2);
    if (want > 0) return true;
    this.dead = true;
    this.countReached = !this.error;
    this.dropHeld();
    this.stop();
    return false;
  }

  /** packets in the queues */
  private heldPackets(): number {
    let n = 0;
    for (const q of this.queues) for (const c of q) n += c.left;
    return n;
  }

  private dropHeld(): void {
    for (const q of this.queues) q.length = 0;
    this.held = 0;
  }

  /** Stops every interface; what their handles still hold is merged and delivered, then run() resolves. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const s of this.sources) s.stop();
  }

  /** The kernel's counters summed over the interfaces. */
  stats(): CaptureStats | null {
    let any = false;
    const t: CaptureStats = { received: 0, dropped: 0, ifDropped: 0 };
    for (const s of this.sources) {
      const st = s.stats();
      if (!st) continue;
      any = true;
      t.received += st.received;
      t.dropped += st.dropped;
      t.ifDropped += st.ifDropped;
    }
    return any ? t : null;
  }

  /** Releases handles opened but never run (a refused filter, -L). */
  close(): void {
    for (const s of this.sources) s.close();
  }
}
