/**
 * Measuring what process attribution costs in a live capture (docs/PROCESS.md, "Where the time goes"):
 * TSNIFF_PROC_DEBUG, a comma-separated list, turns on counters and switches parts off, so a live flood can
 * be run with and without each part (bench/proc-explain.mjs). Not for users; nothing here runs without it.
 *   1 | counters   per-batch counters and CPU time (getrusage per batch), printed on one line at the end
 *                  (with or without --proc: the batches' sizes are what the two runs are compared on)
 *   noattr       the engine opens, but no packet is attributed (the select step keeps every packet)
 *   nohold       no reorder window (as --proc-window 0, but the engine's refresh interval stays 100 ms)
 *   nowatch      the eBPF engine loads and runs in the kernel, but its ring buffer is never read (no event
 *                wakes the process up; nothing is attributed from events)
 *   gaps         (with counters) every time between two batches longer than 40 ms, printed at the end with
 *                what ran in it (refresh steps, releases, ring buffer reads, garbage collections: trace())
 */
import fs from "node:fs";
import type { PacketBatch } from "../capture/batch.js";
import type { BatchConsumer, CaptureStats, PacketSource, SourceEnd } from "../capture/source.js";

const flags = new Set((process.env.TSNIFF_PROC_DEBUG ?? "").split(",").map((s) => s.trim()).filter(Boolean));

/** Whether TSNIFF_PROC_DEBUG names `flag` ("counters" is also "1"). */
export function procDebug(flag: "counters" | "noattr" | "nohold" | "nowatch" | "gaps"): boolean {
  return flags.has(flag) || (flag === "counters" && flags.has("1"));
}

/** Counters the parts add to (printed by CountingSource at the end). */
export const debugCounts = {
  /** CPU time (us) in the reorder window's per-batch pass (flow lookups), and in its releases */
  holdUs: 0,
  releaseUs: 0,
  releases: 0,
  /** CPU time (us) of the pipeline after the reorder window (select, -Y, writers, printer) */
  pipeUs: 0,
  released: 0,
  /** eBPF: ring buffer reads (each a wakeup or a lookup's drain) and the reads that found events */
  drains: 0,
  drainsWithEvents: 0,
  /** CPU time (us) of the ring buffer reads */
  drainUs: 0,
  /** packets that missed the flow cache's fast path, flows asked of the engine, fast-path resets (epochs) */
  slow: 0,
  asks: 0,
  /** new flows answered as another flow to the same port nobody has, without asking */
  askedBefore: 0,
  epochs: 0,
};

const GAPS = flags.has("gaps");
/** the recent steps (start ms, duration ms, what) for the gaps' report; a bounded ring */
const traced: [number, number, string][] = [];
let traceCpu = 0;
/** The start of a traced step: performance.now(), and the CPU time then (for trace()). */
export function traceStart(): number {
  if (GAPS) {
    const c = process.cpuUsage();
    traceCpu = c.user + c.system;
  }
  return performance.now();
}
/** Records a step that ran from `t0` (performance.now()) to now, when TSNIFF_PROC_DEBUG has "gaps". */
export function trace(what: string, t0: number): void {
  if (!GAPS) return;
  const c = process.cpuUsage();
  traced.push([t0, performance.now() - t0, `${what}[cpu ${((c.user + c.system - traceCpu) / 1000).toFixed(1)}]`]);
  if (traced.length > 4096) traced.splice(0, 2048);
}
if (GAPS) {
  void import("node:perf_hooks").then(({ PerformanceObserver }) => {
    const o = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        traced.push([e.startTime, e.duration, `gc ${(e as { detail?: { kind?: number } }).detail?.kind ?? ""}`]);
      }
    });
    o.observe({ entryTypes: ["gc"] });
  });
}
const gapLines: string[] = [];

const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
export { cpuUs };

/** The process's context switches so far (voluntary: it slept, each a wakeup; involuntary: preempted). */
function switches(): [number, number] {
  try {
    const s = fs.readFileSync("/proc/self/status", "utf8");
    return [Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0), Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0)];
  } catch {
    return [0, 0];
  }
}

/** Sizes of batches, in buckets: 1, 2-7, 8-63, 64-255, 256-1023, 1024+ packets. */
const BUCKETS = [1, 8, 64, 256, 1024];

/** Wraps the source the session reads: counts batches and the CPU time spent in the pipeline per batch. */
export class CountingSource implements PacketSource {
  readonly info: PacketSource["info"];
  private batches = 0;
  private packets = 0;
  private hist = new Array<number>(BUCKETS.length + 1).fill(0);
  private inBatchUs = 0;
  /** the longest wall time between two batches' starts, and the longest batch (ms): the event loop blocked? */
  private lastAt = 0;
  private maxGap = 0;
  private maxBatch = 0;
  private lastDur = 0;
  private lastCpu = 0;
  private lastCount = 0;
  private firstAt = 0;
  private cpuAtFirst = 0;
  private switchesAtFirst: [number, number] = [0, 0];

  constructor(
    private inner: PacketSource,
    private out: (line: string) => void,
  ) {
    this.info = inner.info;
  }

  async run(onBatch: BatchConsumer): Promise<SourceEnd> {
    const end = await this.inner.run((b: PacketBatch) => {
      const c0 = cpuUs();
      const t0 = performance.now();
      if (this.batches && t0 - this.lastAt > this.maxGap) this.maxGap = t0 - this.lastAt;
      if (GAPS && this.batches && t0 - this.lastAt > 40) {
        const from = this.lastAt;
        const inGap = traced.filter(([s, d]) => s + d >= from - 1 && s <= t0).map(([s, d, w]) => `${w}@${(s - from).toFixed(0)}+${d.toFixed(1)}`);
        gapLines.push(`gap ${(t0 - from).toFixed(0)} ms (cpu ${((c0 - this.lastCpu) / 1000).toFixed(0)} ms) after batch ${this.batches} (last batch ${this.lastDur.toFixed(1)} ms, ${this.lastCount} pkts): ${inGap.join(" ")}`);
      }
      this.lastCpu = c0;
      this.lastAt = t0;
      if (!this.batches) {
        this.firstAt = performance.now();
        this.cpuAtFirst = c0;
        this.switchesAtFirst = switches();
      }
      this.batches++;
      this.packets += b.count;
      let k = 0;
      while (k < BUCKETS.length && b.count >= BUCKETS[k]) k++;
      this.hist[k]++;
      try {
        return onBatch(b);
      } finally {
        this.inBatchUs += cpuUs() - c0;
        this.maxBatch = Math.max(this.maxBatch, performance.now() - t0);
        this.lastDur = performance.now() - t0;
        this.lastCount = b.count;
      }
    });
    for (const l of gapLines) this.out(`tsniff: proc-debug: ${l}`);
    const all = cpuUs() - this.cpuAtFirst;
    const sw = switches();
    const d = debugCounts;
    const ms = (us: number) => (us / 1000).toFixed(0);
    const h = ["1", "2-7", "8-63", "64-255", "256-1023", "1024+"].map((n, i) => `${n}:${this.hist[i]}`).join(" ");
    this.out(
      `tsniff: proc-debug: ${this.batches} batches, ${this.packets} packets (${(this.packets / Math.max(1, this.batches)).toFixed(1)} a batch; ${h}), ` +
        `${((performance.now() - this.firstAt) / 1000).toFixed(2)} s from the first; CPU from the first batch ${ms(all)} ms: in batches ${ms(this.inBatchUs)} ms ` +
        `(reorder window's pass ${ms(d.holdUs)} ms, then the pipeline ${ms(d.pipeUs)} ms, releases ${d.releases} with ${d.released} packets ${ms(d.releaseUs)} ms), outside them ${ms(all - this.inBatchUs)} ms; ` +
        `ring buffer reads ${d.drains} (${d.drainsWithEvents} with events) ${ms(d.drainUs)} ms; ` +
        `flow cache misses ${d.slow}, engine asked ${d.asks} times (${d.askedBefore} more answered as a flow to the same free port), fast path reset ${d.epochs} times; ` +
        `longest batch ${this.maxBatch.toFixed(1)} ms, longest time between batches ${this.maxGap.toFixed(1)} ms; ` +
        `context switches from the first batch: ${sw[0] - this.switchesAtFirst[0]} voluntary (wakeups), ${sw[1] - this.switchesAtFirst[1]} involuntary`,
    );
    return end;
  }

  stop(): void {
    this.inner.stop();
  }

  stats(): CaptureStats | null {
    return this.inner.stats();
  }
}
