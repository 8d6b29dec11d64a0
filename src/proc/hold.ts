/**
 * The reorder window (--proc-window, default 100 ms): a packet whose flow no engine knows yet (a connection's
 * first SYN seen before the ring buffer's event is read, a datagram before the /proc tables are read again)
 * is held back, with the later packets of its flow, until the engine knows the flow or the window is over;
 * then they go on, in their order, attributed or counted as not. Packets of known flows are not held: they
 * pass at once (so a held flow's packets may come out after later packets of other flows; frame numbers
 * follow the output order). A flow has its window once: a flow nobody owns (a flood's) is not held again.
 * When nothing is held a batch goes through untouched; a batch with held packets goes on without them (its
 * columns compacted in place), the held ones are copied. It wraps the capture source, so the pipeline
 * (select, -Y, writers, printer) sees the packets in the order they leave the window.
 */
import { createBatch, ensureCapacity, type PacketBatch } from "../capture/batch.js";
import type { BatchConsumer, CaptureStats, PacketSource, SourceEnd } from "../capture/source.js";
import { FREE_MS, type Attributor, type Flow } from "./attribution.js";
import type { ProcInfo } from "./types.js";
import { cpuUs, debugCounts, procDebug, trace, traceStart } from "./debug.js";

const COUNT = procDebug("counters");

interface Held {
  /** the flow whose release lets the packet go: its own, or the other direction's (a reply behind its request) */
  flow: Flow;
  /** the packet's own flow (its process) */
  own: Flow;
  bytes: Uint8Array;
  wirelen: number;
  tsSec: number;
  tsNsec: number;
  linktype: number;
  iface: number;
}

export class HoldingSource implements PacketSource {
  readonly info: PacketSource["info"];
  private held: Held[] = [];
  private heldFlows = new Set<Flow>();
  private onBatch: BatchConsumer | null = null;
  private infos: (ProcInfo | undefined)[] = [];
  private out = createBatch(256);
  /** the earliest end of a held flow's window */
  private nextDue = Infinity;
  /** packets that were held, and how many of them left attributed (for tests and the docs' figures) */
  heldCount = 0;
  /** how often held flows are asked again */
  private readonly tickMs: number;
  /** the next tick, armed only while packets are held (an idle timer would wake the process for nothing) */
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private inner: PacketSource,
    private attr: Attributor,
    private window: number,
  ) {
    this.info = inner.info;
    this.tickMs = Math.max(5, Math.min(25, window / 4));
  }

  async run(onBatch: BatchConsumer): Promise<SourceEnd> {
    this.onBatch = onBatch;
    try {
      const end = await this.inner.run((b) => this.batch(b));
      // the capture is over: what is still held goes now (asked once more)
      this.release(true, true);
      return end;
    } finally {
      this.ended = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    }
  }

  stop(): void {
    this.inner.stop();
  }

  stats(): CaptureStats | null {
    return this.inner.stats();
  }

  private tick(): void {
    this.timer = null;
    if (!this.held.length || !this.onBatch) return;
    const t0 = traceStart();
    try {
      this.tickBody();
    } finally {
      trace(`tick(${this.held.length} held)`, t0);
    }
  }

  private tickBody(): void {
    // the engine is asked about every held flow here (not per batch: a flood's thousand unknown flows)
    if (this.release(false, true) === 0) this.stop();
    this.arm();
  }

  /** Arms the next tick while packets are held. */
  private arm(): void {
    if (this.timer || this.ended || !this.held.length) return;
    this.timer = setTimeout(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** A batch from the capture: held flows that are due go first, then this batch's packets not held. */
  private batch(b: PacketBatch): number {
    // a flood of new flows nobody owns fills the window: everything held goes now (these flows had their
    // window), so copies and memory stay bounded
    let want = this.held.length >= MAX_HELD ? this.release(true, false) : this.held.length && performance.now() >= this.nextDue ? this.release(false, false) : Infinity;
    if (want === 0) return 0;
    const c0 = COUNT ? cpuUs() : 0;
    const attr = this.attr;
    const infos = this.infos;
    infos.length = b.count;
    // one clock reading per batch (a batch is read at once)
    const now = traceStart();
    let kept = -1; // index of the first held packet of this batch (-1: none)
    const answers = attr.answers;
    const d = b.data;
    for (let i = 0; i < b.count; i++) {
      const off = b.offset[i],
        caplen = b.caplen[i],
        lt = b.linktype[i];
      // a settled flow (known, nobody's, or had its window): answered from its table slot alone
      const id = attr.pass(d, off, caplen, lt, now);
      if (id >= 0) {
        infos[i] = answers[id];
        continue;
      }
      const f = attr.flowOf(d, off, caplen, lt, now);
      infos[i] = f?.info;
      if (!f) continue;
      let by = f;
      if (f.holdUntil === 0) {
        const peer = f.peer;
        if (peer && peer.holdUntil !== 0) {
          // the other direction is held (a SYN-ACK answered from the listener while its SYN waits): behind it
          by = peer;
        } else {
          // known, or had its window already: on at once (and by the fast path until its answer's time is up)
          if (f.info || f.waited || f.foreign) {
            attr.settle(f);
            continue;
          }
          // held: a flow that passed the fast path may have to queue behind this one (its peer)
          attr.epoch++;
          if (COUNT) debugCounts.epochs++;
          f.waited = true;
          f.heldAt = now;
          f.holdUntil = now + this.window;
          if (f.holdUntil < this.nextDue) this.nextDue = f.holdUntil;
        }
      }
      // (a flow still held keeps its later packets behind its first: their order)
      this.hold(by, f, b, i);
      if (kept < 0) kept = i;
      infos[i] = HELD;
    }
    if (kept >= 0) compact(b, infos, kept);
    trace(`pass(${b.count})`, now);
    if (COUNT) debugCounts.holdUs += cpuUs() - c0;
    if (b.count === 0) return want;
    attr.setMemo(b.data, infos);
    const c1 = COUNT ? cpuUs() : 0;
    try {
      want = this.onBatch!(b);
    } finally {
      attr.setMemo(null, NONE);
      if (COUNT) debugCounts.pipeUs += cpuUs() - c1;
    }
    return want;
  }

  private hold(f: Flow, own: Flow, b: PacketBatch, i: number): void {
    const o = b.offset[i];
    this.held.push({ flow: f, own, bytes: b.data.slice(o, o + b.caplen[i]), wirelen: b.wirelen[i], tsSec: b.tsSec[i], tsNsec: b.tsNsec[i], linktype: b.linktype[i], iface: b.iface[i] });
    this.heldFlows.add(f);
    this.heldCount++;
    this.arm();
  }

  /**
   * Lets the flows go whose window is over or that the engine knows now (all of them at the end), their
   * packets in order. Returns what the pipeline still wants (Infinity when nothing went).
   */
  private release(all: boolean, askAll: boolean): number {
    if (!this.held.length) return Infinity;
    const t0 = traceStart();
    try {
      return this.releaseBody(all, askAll);
    } finally {
      trace(`release(${all ? "all" : ""}${askAll ? "ask" : ""})`, t0);
    }
  }

  private releaseBody(all: boolean, askAll: boolean): number {
    const now = performance.now();
    let any = false;
    let due = Infinity;
    const engine = this.attr.engine;
    for (const f of this.heldFlows) {
      const over = all || f.holdUntil <= now;
      const asked = (over || askAll) && this.attr.changed(f);
      if (asked) this.attr.ask(f);
      // a flow that came in to a port no socket had at a read begun less than FREE_MS before it was held
      // (a flood's) is nobody's as a new flow to that port is (attribution.ts settle(): it passes at once for
      // FREE_MS): its window is all it waits, no read is asked for it
      const free = !f.info && f.portFree && !!engine.freshAt && f.heldAt - engine.freshAt() < FREE_MS;
      if (!asked && !f.info && !free) this.attr.engine.poke?.();
      if (over && !all && !f.info && !free && engine.freshAt && engine.freshAt() < f.heldAt && now - f.heldAt < Math.max(MAX_WAIT_MS, 10 * this.window)) {
        // the window is over, but the engine has not read its tables since the flow came (/proc: a read in
        // progress, or rate-limited): held until it has, up to ten windows (or two seconds) in all
        f.holdUntil = now + this.tickMs;
        if (f.holdUntil < due) due = f.holdUntil;
        continue;
      }
      if (over || f.info) {
        f.holdUntil = 0;
        this.heldFlows.delete(f);
        any = true;
      } else if (f.holdUntil < due) due = f.holdUntil;
    }
    this.nextDue = due;
    if (!any) return Infinity;
    const c0 = COUNT ? cpuUs() : 0;
    const b = this.out;
    const go: Held[] = [];
    const stay: Held[] = [];
    for (const h of this.held) (h.flow.holdUntil === 0 ? go : stay).push(h);
    this.held = stay;
    let size = 0;
    for (const h of go) size += h.bytes.length;
    const data = new Uint8Array(size);
    ensureCapacity(b, go.length);
    const infos: (ProcInfo | undefined)[] = [];
    let at = 0;
    go.forEach((h, i) => {
      data.set(h.bytes, at);
      b.offset[i] = at;
      b.caplen[i] = h.bytes.length;
      b.wirelen[i] = h.wirelen;
      b.tsSec[i] = h.tsSec;
      b.tsNsec[i] = h.tsNsec;
      b.linktype[i] = h.linktype;
      b.iface[i] = h.iface;
      infos.push(h.own.info);
      at += h.bytes.length;
    });
    b.data = data;
    b.count = go.length;
    b.raw = false;
    b.rawNano = false;
    this.attr.setMemo(data, infos);
    try {
      return this.onBatch!(b);
    } finally {
      this.attr.setMemo(null, NONE);
      if (COUNT) {
        debugCounts.releases++;
        debugCounts.released += go.length;
        debugCounts.releaseUs += cpuUs() - c0;
      }
    }
  }
}

/** the most packets held at once (a flood of new flows): then all of them go (copies and memory stay bounded) */
const MAX_HELD = 4096;

/** the longest a flow is held while its engine has not read its tables since the flow came */
const MAX_WAIT_MS = 2000;

const NONE: (ProcInfo | undefined)[] = [];

/** marks a held packet in the batch's answers */
const HELD = { pid: -1, comm: "" } as ProcInfo;

/** Removes the held packets (marked HELD in `infos`) from the batch, from index `from` on, in place. */
function compact(b: PacketBatch, infos: (ProcInfo | undefined)[], from: number): void {
  let n = from;
  for (let i = from; i < b.count; i++) {
    if (infos[i] === HELD) continue;
    b.offset[n] = b.offset[i];
    b.caplen[n] = b.caplen[i];
    b.wirelen[n] = b.wirelen[i];
    b.tsSec[n] = b.tsSec[i];
    b.tsNsec[n] = b.tsNsec[i];
    b.linktype[n] = b.linktype[i];
    b.iface[n] = b.iface[i];
    infos[n] = infos[i];
    n++;
  }
  b.count = n;
  infos.length = n;
  b.raw = false;
}
