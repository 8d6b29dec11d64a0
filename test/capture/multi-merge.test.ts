/**
 * MultiLiveSource's merge, with stand-in interfaces that hand over native-style batches when the test says:
 * time order across interfaces, the hold-back, precision, -c, one interface failing.
 */
import { Session } from "node:inspector/promises";
import { describe, expect, it } from "vitest";
import { MultiLiveSource } from "../../src/capture/multi-live-source.js";
import type { LiveSource, RawBatchConsumer } from "../../src/capture/live-source.js";
import type { PacketBatch } from "../../src/capture/batch.js";
import type { SourceEnd } from "../../src/capture/source.js";

/** Records as the addon lays them out: [sec, frac, caplen, len] little-endian, then caplen bytes of `fill`. */
function records(list: [sec: number, frac: number, caplen: number, fill: number][]): Buffer {
  const parts = list.map(([sec, frac, cap, fill]) => {
    const r = Buffer.alloc(16 + cap, fill);
    r.writeUInt32LE(sec, 0);
    r.writeUInt32LE(frac, 4);
    r.writeUInt32LE(cap, 8);
    r.writeUInt32LE(cap + 4, 12);
    return r;
  });
  return Buffer.concat(parts);
}

class FakeLive {
  onRaw: RawBatchConsumer | null = null;
  private end: ((e: SourceEnd) => void) | null = null;
  stopped = false;
  readonly info;
  constructor(
    readonly device: string,
    readonly linktype: number,
    readonly nano: boolean,
  ) {
    this.info = { kind: "live" as const, name: device, linktype, snaplen: 262144, nano, interfaces: [{ name: device, linktype, snaplen: 262144 }] };
  }
  runRaw(onRaw: RawBatchConsumer): Promise<SourceEnd> {
    this.onRaw = onRaw;
    return new Promise((r) => (this.end = r));
  }
  /** Hands over a batch of records already laid out. */
  giveRaw(buf: Buffer, count: number): number {
    return this.onRaw!(buf, count, this.nano, this.linktype);
  }
  /** Hands over a batch; returns what the consumer still wants. */
  give(list: [number, number, number, number][]): number {
    return this.onRaw!(records(list), list.length, this.nano, this.linktype);
  }
  fail(message: string): void {
    this.end?.({ reason: "error", error: Object.assign(new Error(message), { device: this.device }) });
    this.end = null;
  }
  stop(): void {
    this.stopped = true;
    this.end?.({ reason: "stopped" });
    this.end = null;
  }
  stats() {
    return { received: 3, dropped: 1, ifDropped: 0 };
  }
  close(): void {}
  /** times the merge stopped / resumed reading this interface (backpressure) */
  paused = 0;
  resumed = 0;
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.resumed++;
  }
}

interface Seen {
  iface: number;
  linktype: number;
  sec: number;
  nsec: number;
  fill: number;
  headerFrac: number;
  caplen: number;
}

function collector(want = Infinity) {
  const seen: Seen[] = [];
  const batches: number[] = [];
  const consume = (b: PacketBatch) => {
    batches.push(b.count);
    const data = b.data as Buffer;
    // As the session does: a batch may hold more than the count wants; the rest is not taken.
    const take = Math.min(b.count, want - seen.length);
    for (let i = 0; i < take; i++) {
      seen.push({
        iface: b.iface[i],
        linktype: b.linktype[i],
        sec: b.tsSec[i],
        nsec: b.tsNsec[i],
        fill: b.data[b.offset[i]],
        headerFrac: data.readUInt32LE(b.offset[i] - 12),
        caplen: b.caplen[i],
      });
      expect(data.readUInt32LE(b.offset[i] - 8)).toBe(b.caplen[i]); // raw records: the header before the bytes
    }
    return want - seen.length;
  };
  return { seen, batches, consume };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("MultiLiveSource merge", () => {
  it("releases packets in time order across interfaces once their hold-back has passed", async () => {
    const a = new FakeLive("a0", 1, false);
    const b = new FakeLive("b0", 113, false);
    let now = 1000_000; // ms
    const m = new MultiLiveSource([a, b] as unknown as LiveSource[], { holdbackMs: 20, now: () => now });
    expect(m.info.interfaces!.map((x) => x.name)).toEqual(["a0", "b0"]);
    expect(m.info.name).toBe("a0, b0");
    const c = collector();
    const run = m.run(c.consume);
    // Both within the hold-back of now = 1000 s: held.
    a.give([
      [999, 990_000, 10, 1],
      [999, 995_000, 10, 3],
    ]);
    b.give([
      [999, 992_000, 20, 2],
      [999, 999_000, 20, 4],
    ]);
    expect(c.seen.length).toBe(0);
    // 16 ms later the first three are older than now - 20 ms (999.996 s); b's 999.999 is not.
    now += 16;
    a.give([[1000, 1_000, 10, 5]]);
    expect(c.seen.map((s) => s.fill)).toEqual([1, 2, 3]);
    now += 100;
    await sleep(40); // the timer releases what is due without new packets
    expect(c.seen.map((s) => s.fill)).toEqual([1, 2, 3, 4, 5]);
    expect(c.seen.map((s) => s.iface)).toEqual([0, 1, 0, 1, 0]);
    expect(c.seen.map((s) => s.linktype)).toEqual([1, 113, 1, 113, 1]);
    expect(c.seen[1]).toMatchObject({ sec: 999, nsec: 992_000_000, caplen: 20, headerFrac: 992_000 });
    m.stop();
    expect(await run).toEqual({ reason: "stopped" });
    expect(a.stopped && b.stopped).toBe(true);
    expect(m.stats()).toEqual({ received: 6, dropped: 2, ifDropped: 0 });
  });

  it("a packet held longer than the hold-back (by arrival) is released even if its time is ahead of the clock", () => {
    const a = new FakeLive("a0", 1, false);
    let now = 1000_000;
    const m = new MultiLiveSource([a, new FakeLive("b0", 1, false)] as unknown as LiveSource[], { holdbackMs: 20, now: () => now });
    const c = collector();
    void m.run(c.consume);
    a.give([[2000, 0, 4, 9]]); // 1000 s in the future
    expect(c.seen.length).toBe(0);
    now += 25;
    a.give([[2000, 1, 4, 8]]);
    expect(c.seen.map((s) => s.fill)).toEqual([9]);
    m.stop();
  });

  it("at the end everything held is released in order; microsecond and nanosecond interfaces make one precision", async () => {
    const a = new FakeLive("a0", 1, true);
    const b = new FakeLive("b0", 1, false);
    const m = new MultiLiveSource([a, b] as unknown as LiveSource[], { holdbackMs: 60_000, now: () => 0 });
    expect(m.info.nano).toBe(false);
    const c = collector();
    const run = m.run(c.consume);
    a.give([
      [50, 500_000_123, 8, 2],
      [52, 7, 8, 4],
    ]);
    b.give([
      [50, 100, 8, 1],
      [51, 0, 8, 3],
    ]);
    expect(c.seen.length).toBe(0);
    m.stop();
    expect((await run).reason).toBe("stopped");
    expect(c.seen.map((s) => s.fill)).toEqual([1, 2, 3, 4]);
    // In microseconds, as the file will be: the nanosecond interface's records are rewritten.
    expect(c.seen.map((s) => s.headerFrac)).toEqual([100, 500_000, 0, 0]);
    expect(c.seen.map((s) => s.nsec)).toEqual([100_000, 500_000_123, 0, 7]);
  });

  it("stops every interface once the consumer has its count, delivering no more than asked", async () => {
    const a = new FakeLive("a0", 1, false);
    const b = new FakeLive("b0", 1, false);
    let now = 0;
    const m = new MultiLiveSource([a, b] as unknown as LiveSource[], { holdbackMs: 60_000, now: () => now });
    const c = collector(3);
    const run = m.run(c.consume);
    a.give([
      [1, 1, 4, 1],
      [1, 3, 4, 3],
    ]);
    now = 1e6; // everything is due at b's batch
    const want = b.give([
      [1, 2, 4, 2],
      [1, 4, 4, 4],
    ]);
    expect(want).toBe(0);
    expect(await run).toEqual({ reason: "count" });
    expect(c.seen.map((s) => s.fill)).toEqual([1, 2, 3]);
    expect(a.stopped && b.stopped).toBe(true);
  });

  it("one interface failing ends the capture with its error, after what the others held", async () => {
    const a = new FakeLive("a0", 1, false);
    const b = new FakeLive("b0", 1, false);
    const m = new MultiLiveSource([a, b] as unknown as LiveSource[], { holdbackMs: 60_000, now: () => 0 });
    const c = collector();
    const run = m.run(c.consume);
    a.give([[5, 0, 4, 1]]);
    b.fail("The interface went down");
    const end = await run;
    expect(end.reason).toBe("error");
    expect((end.error as { device?: string }).device).toBe("b0");
    expect(a.stopped).toBe(true);
    expect(c.seen.map((s) => s.fill)).toEqual([1]);
  });

  it("copies runs of one interface in one go and splits batches larger than its buffer", async () => {
    const a = new FakeLive("a0", 1, false);
    const b = new FakeLive("b0", 1, false);
    const m = new MultiLiveSource([a, b] as unknown as LiveSource[], { holdbackMs: 60_000, now: () => 0 });
    const c = collector();
    const run = m.run(c.consume);
    // 3 x 2 MB records from a, interleaved with small ones from b: more than the 4 MB merge buffer.
    a.give([
      [10, 0, 2 << 20, 1],
      [10, 2, 2 << 20, 3],
      [10, 4, 2 << 20, 5],
    ]);
    b.give([
      [10, 1, 60, 2],
      [10, 3, 60, 4],
      [10, 5, 60, 6],
    ]);
    m.stop();
    await run;
    expect(c.seen.map((s) => s.fill)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(c.batches.length).toBeGreaterThan(1);
    expect(c.batches.reduce((x, y) => x + y, 0)).toBe(6);
  });

  it("merging allocates nothing per packet", async () => {
    const n = 100_000;
    // Two interfaces whose packets alternate in time: the worst case, a run of one record at a time.
    const make = (odd: number) => records(Array.from({ length: n }, (_, k) => [100 + k, odd, 16, 1] as [number, number, number, number]));
    const bufA = make(0);
    const bufB = make(1);
    const a = new FakeLive("a0", 1, false);
    const b = new FakeLive("b0", 1, false);
    let now = 0;
    const m = new MultiLiveSource([a, b] as unknown as LiveSource[], { holdbackMs: 1000, now: () => now });
    let seen = 0;
    let order = 0;
    void m.run((batch) => {
      seen += batch.count;
      for (let i = 0; i < batch.count; i++) order += batch.iface[i] === (seen - batch.count + i) % 2 ? 0 : 1;
      return Infinity;
    });
    const once = async () => {
      const target = seen + 2 * n;
      now = 0;
      a.giveRaw(bufA, n); // held (the clock is before it)
      now = 1e15;
      b.giveRaw(bufB, n); // everything due: a, b, a, b, ...
      // A release hands over ~15 ms of batches at a time, the rest at the next turns of the loop.
      while (seen < target) await new Promise((r) => setImmediate(r));
    };
    await once(); // grows the merged batch's arrays
    const bytes = await allocatedBy(once);
    expect(seen).toBe(4 * n);
    expect(order).toBe(0); // strictly alternating
    // Under one byte per packet (2 x 100000 merged): the fixed costs of a call (chunks, views, a closure) and
    // the sampler's noise; one small object per packet would be several megabytes.
    expect(bytes).toBeLessThan(2 * n);
    m.stop();
  });
});

describe("MultiLiveSource under a slow consumer (Ctrl-C must act at once)", () => {
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  const many = (n: number, cap = 16) => Array.from({ length: n }, (_, k) => [100 + k, 0, cap, 1] as [number, number, number, number]);
  /** A consumer spending `ms` per packet that counts what it is given and checks the time order. */
  const ordered = (ms: number) => {
    const st = { seen: 0, last: -1, inOrder: true };
    const consume = (batch: { count: number; tsSec: ArrayLike<number> }) => {
      for (let i = 0; i < batch.count; i++) {
        if (batch.tsSec[i] < st.last) st.inOrder = false;
        st.last = batch.tsSec[i];
        busy(ms);
      }
      st.seen += batch.count;
      return Infinity;
    };
    return { st, consume };
  };

  it("each release returns to the event loop after a short while; the rest follows, in order", async () => {
    const n = 3000;
    const a = new FakeLive("a0", 1, false);
    let now = 0;
    const m = new MultiLiveSource([a, new FakeLive("b0", 1, false)] as unknown as LiveSource[], { holdbackMs: 10, now: () => now });
    const { st, consume } = ordered(0.2); // 3000 packets: over half a second in all
    const run = m.run(consume);
    now = 1e15;
    a.give(many(n));
    // A timer set now runs while packets are still being handed over: the loop turns between releases.
    const atTimer = await new Promise<number>((r) => setTimeout(() => r(st.seen), 0));
    expect(atTimer).toBeGreaterThan(0);
    expect(atTimer).toBeLessThan(n);
    while (st.seen < n) await sleep(10);
    expect(st.seen).toBe(n);
    expect(st.inOrder).toBe(true);
    m.stop();
    expect((await run).reason).toBe("stopped");
  });

  it("after stop(), what is held goes to a slow consumer for a bounded time, the rest is dropped", async () => {
    const n = 3000;
    const a = new FakeLive("a0", 1, false);
    const m = new MultiLiveSource([a, new FakeLive("b0", 1, false)] as unknown as LiveSource[], { holdbackMs: 60_000, now: () => 0 });
    let seen = 0;
    const run = m.run((batch) => {
      for (let i = 0; i < batch.count; i++) busy(1); // 3 s for all of them
      seen += batch.count;
      return Infinity;
    });
    a.give(many(n));
    expect(seen).toBe(0); // all held
    m.stop();
    expect((await run).reason).toBe("stopped");
    // 3000 packets at 1 ms each outlast the 250 ms budget: some were delivered, the rest dropped
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(n);
    // what was dropped is counted (the CLI's summary line)
    expect(m.droppedAtStop).toBe(n - seen);
  });

  it("after stop(), a consumer fast enough gets everything held, over several turns of the loop (stopBudgetMs)", async () => {
    const n = 3000;
    const a = new FakeLive("a0", 1, false);
    const m = new MultiLiveSource([a, new FakeLive("b0", 1, false)] as unknown as LiveSource[], { holdbackMs: 60_000, stopBudgetMs: 60_000, now: () => 0 });
    const { st, consume } = ordered(0.2); // 0.6 s for all of them: more than one slice
    const run = m.run(consume);
    a.give(many(n));
    expect(st.seen).toBe(0); // all held
    m.stop();
    // a timer set now runs before the release is over: the loop turns between slices
    const atTimer = await new Promise<number>((r) => setTimeout(() => r(st.seen), 0));
    expect(atTimer).toBeLessThan(n);
    expect((await run).reason).toBe("stopped");
    expect(st.seen).toBe(n);
    expect(st.inOrder).toBe(true);
    expect(m.droppedAtStop).toBe(0);
  });

  it("with 64 MiB held, reading stops (the kernel buffers and counts drops) until half of it is handed over", async () => {
    const a = new FakeLive("a0", 1, false);
    const b = new FakeLive("b0", 1, false);
    const m = new MultiLiveSource([a, b] as unknown as LiveSource[], { holdbackMs: 60_000, now: () => 0 });
    let seen = 0;
    const run = m.run((batch) => {
      seen += batch.count;
      return Infinity;
    });
    a.give(many(100, 65_536)); // 6.5 MiB: held (hold-back), reading goes on
    expect(seen).toBe(0);
    expect(a.paused + b.paused).toBe(0);
    a.give(many(1000, 65_536)); // 72 MiB held in all: both interfaces paused, everything released at once
    expect(a.paused).toBe(1);
    expect(b.paused).toBe(1);
    while (seen < 1100) await sleep(10);
    expect(a.resumed).toBe(1);
    expect(b.resumed).toBe(1);
    m.stop();
    await run;
  });
});

/** Bytes allocated while fn runs (V8's sampling heap profiler, every 512 bytes, garbage included). */
async function allocatedBy(fn: () => void | Promise<void>): Promise<number> {
  const s = new Session();
  s.connect();
  try {
    await s.post("HeapProfiler.enable");
    await s.post("HeapProfiler.startSampling", { samplingInterval: 512, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
    await fn();
    const { profile } = await s.post("HeapProfiler.stopSampling");
    let total = 0;
    const walk = (node: { selfSize: number; children: (typeof node)[] }): void => {
      total += node.selfSize;
      node.children.forEach(walk);
    };
    walk(profile.head);
    return total;
  } finally {
    s.disconnect();
  }
}
