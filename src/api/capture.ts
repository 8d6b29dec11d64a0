/**
 * `capture(options)`: packets as an AsyncIterable, for `for await` loops, with backpressure.
 *
 * The source hands over whole batches synchronously and reuses them, so every packet the consumer gets is a
 * clone. Between the source and the consumer is a bounded queue (`queue`, default 10000 packets):
 *   - live: capture is never paused (the kernel would drop instead, unseen): packets that find the queue
 *     full are dropped and counted in `stats().droppedByTsniff`;
 *   - files: nothing is dropped: the file is read in batches of at most half the bound, and reading pauses
 *     (FileSource.pause) after a batch that leaves no room for another one, until the consumer has taken the
 *     queue down to where a whole batch fits again. The queue never holds more than `queue` packets
 *     (`stats().queueHighWater` says how many it held at most).
 */
import { FileSource } from "../capture/file-source.js";
import { LiveSource } from "../capture/live-source.js";
import { MultiLiveSource } from "../capture/multi-live-source.js";
import { defaultDevice, resolveDevice } from "../capture/devices.js";
import type { CaptureStats, PacketSource, SourceEnd } from "../capture/source.js";
import { compileFilter, linktypeToDlt } from "../filter/compile.js";
import { Session } from "../session.js";
import { Packet, PacketContext } from "./packet.js";

export interface CaptureOptions {
  /**
   * interface to capture on (default: tcpdump's default interface); several (`["lo", "veth0"]`) are captured
   * at once and merged in time order, as the CLI's repeated -i (Packet.iface is the index in this list);
   * ignored with `offline`
   */
  iface?: string | string[];
  /** read this pcap/pcapng file instead of capturing */
  offline?: string;
  /** capture filter (tcpdump/libpcap syntax) */
  filter?: string;
  /** stop after this many packets (counted after the filter and `lfilter`) */
  count?: number;
  /** stop after this many seconds */
  timeout?: number;
  snaplen?: number;
  /** promiscuous mode (default true, as tcpdump) */
  promisc?: boolean;
  /** deliver packets as they arrive (libpcap immediate mode; default false: with a large snaplen it leaves the kernel few slots) */
  immediate?: boolean;
  /** nanosecond timestamps (live) */
  nano?: boolean;
  /** bound of the queue between capture and consumer (default 10000) */
  queue?: number;
  /**
   * the kernel's capture buffer in bytes (libpcap's, tcpdump -B; default libpcap's 2 MB): a larger one rides
   * out longer stalls of the consumer before the kernel drops
   */
  bufferSize?: number;
  /** abort the capture */
  signal?: AbortSignal;
}

export interface ApiStats {
  /** packets that passed the capture filter */
  captured: number;
  /** live only: the kernel's numbers (null for files) */
  kernel: CaptureStats | null;
  /**
   * capture(), live only: packets tsniff dropped because its queue (`queue` packets) was full, the consumer
   * being slower than the packets arrived and the queue not yet drained. It counts only that queue: while the
   * consumer holds the event loop (CPU-bound work between two awaits), tsniff cannot read the kernel's ring
   * at all, so the losses are the kernel's (`kernel.dropped`). sniff() has no queue (its callbacks run inline):
   * always 0 there, its losses are all kernel drops. See docs/LIBRARY.md, "Which queue lost packets".
   */
  droppedByTsniff: number;
  /** capture(): the most packets its queue held at once (at most `queue`); 0 for sniff() */
  queueHighWater: number;
  /** capture() over a file: how many times reading paused for a slow consumer; 0 otherwise */
  readPauses: number;
  /**
   * Which queue lost packets and what to do about it, in words ("" when nothing was lost): the kernel's ring
   * (kernel.dropped: the event loop was held, tsniff could not read) or tsniff's queue (droppedByTsniff).
   */
  lossNote: string;
}

/** ApiStats.lossNote: which queue lost packets, and how to avoid it. */
export function lossNote(kernel: CaptureStats | null, droppedByTsniff: number, queue: number | null): string {
  const parts: string[] = [];
  const k = kernel?.dropped ?? 0;
  if (k > 0) {
    parts.push(
      `${k} packets dropped by the kernel: its capture buffer filled because tsniff could not read it, the consumer holding the event loop ` +
        `(CPU-bound work in the callback or between two awaits); do less per packet, hand heavy work to a worker thread, narrow the capture filter, or raise bufferSize`,
    );
  }
  if (droppedByTsniff > 0) {
    parts.push(
      `${droppedByTsniff} packets dropped by tsniff: its queue (${queue ?? "?"} packets) was full, the consumer taking packets more slowly than they arrived; ` +
        `raise queue to absorb bursts, or make the consumer faster`,
    );
  }
  return parts.join("; ");
}

/** Opens the source for the options and attaches the filter (in the kernel for live captures). */
export async function openSource(o: CaptureOptions, file: { batchSize?: number } = {}): Promise<{ source: PacketSource; program?: Uint32Array }> {
  if (o.offline) {
    const source = await FileSource.open(o.offline, { batchSize: file.batchSize });
    let program: Uint32Array | undefined;
    if (o.filter?.trim()) {
      try {
        program = compileFilter(o.filter, { linktype: linktypeToDlt(source.info.linktype), snaplen: source.info.snaplen || 262144, netmask: 0, savefile: true }); // as tcpdump -r
      } catch (e) {
        source.stop();
        throw e;
      }
    }
    return { source, program };
  }
  const names = Array.isArray(o.iface) ? o.iface : [o.iface ?? defaultDevice()];
  if (names.length === 0) throw new Error("iface: an empty list of interfaces");
  const devices = names.map((n) => resolveDevice(n));
  const dup = devices.find((d, k) => devices.indexOf(d) !== k);
  if (dup) throw new Error(`iface: ${dup} is given twice`);
  const lives: LiveSource[] = [];
  const release = () => {
    for (const l of lives) {
      l.stop();
      void l.run(() => 0).catch(() => {});
    }
  };
  try {
    for (const [k, device] of devices.entries()) {
      const live = new LiveSource(device, { snaplen: o.snaplen, promisc: o.promisc ?? true, immediate: o.immediate ?? false, nano: o.nano, ifaceIndex: k, bufferSize: o.bufferSize });
      lives.push(live);
      if (o.filter?.trim()) live.setFilter(compileFilter(o.filter, { linktype: live.info.linktype, snaplen: live.info.snaplen }));
    }
  } catch (e) {
    release();
    throw e;
  }
  return { source: lives.length > 1 ? new MultiLiveSource(lives, { immediate: o.immediate }) : lives[0] };
}

export interface PacketStream extends AsyncIterable<Packet> {
  stats(): ApiStats;
  /** stops the capture; the iteration ends after the packets already queued */
  stop(): void;
  /** how the source ended (after the iteration ended) */
  readonly end: SourceEnd | undefined;
}

export function capture(o: CaptureOptions = {}): PacketStream {
  const q = Math.floor(o.queue ?? 10000);
  const bound = Number.isFinite(q) ? Math.max(1, q) : 10000;
  // A file's batches are at most half the bound: reading pauses once a whole batch no longer fits.
  const batchSize = Math.min(8192, Math.ceil(bound / 2));
  const queue: Packet[] = [];
  let head = 0;
  let done = false;
  let failure: unknown;
  let end: SourceEnd | undefined;
  let dropped = 0;
  let highWater = 0;
  let pauses = 0;
  let session: Session | undefined;
  let file: FileSource | undefined;
  let wake: (() => void) | null = null;
  let stopRequested = false;
  let ctx = new PacketContext(); // replaced once the source is open (its kind)

  const size = () => queue.length - head;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const started = (async () => {
    const { source, program } = await openSource(o, { batchSize });
    const live = source.info.kind === "live";
    if (source.info.kind !== "pcap") ctx = new PacketContext({ interfaces: true });
    if (source instanceof FileSource) file = source;
    session = new Session({
      source,
      program,
      count: o.count,
      consumers: [
        (b, i, frame) => {
          if (live && size() >= bound) {
            dropped++;
            return;
          }
          queue.push(Packet.fromBatch(b, i, frame, ctx).clone());
          if (size() > highWater) highWater = size();
        },
      ],
      onBatchEnd: () => {
        if (file && !file.paused && size() + batchSize > bound) {
          file.pause();
          pauses++;
        }
        notify();
      },
    });
    if (stopRequested) session.stop();
    const timer = o.timeout ? setTimeout(() => session?.stop(), o.timeout * 1000) : undefined;
    const onAbort = () => session?.stop();
    o.signal?.addEventListener("abort", onAbort);
    try {
      const r = await session.run();
      end = r.end;
      if (r.end.reason === "error" && r.end.error) failure = r.end.error;
    } finally {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
    }
  })()
    .catch((e) => {
      failure = e;
    })
    .finally(() => {
      done = true;
      notify();
    });
  void started;

  const stream: PacketStream = {
    get end() {
      return end;
    },
    stats: () => {
      const kernel = session?.source.stats() ?? null;
      return {
        captured: session?.captured ?? 0,
        kernel,
        droppedByTsniff: dropped,
        queueHighWater: highWater,
        readPauses: pauses,
        lossNote: lossNote(kernel, dropped, bound),
      };
    },
    stop: () => {
      stopRequested = true;
      // Stopping a paused file source releases it: run() ends at once.
      session?.stop();
    },
    [Symbol.asyncIterator](): AsyncIterator<Packet> {
      return {
        next: async (): Promise<IteratorResult<Packet>> => {
          for (;;) {
            if (size() > 0) {
              const p = queue[head];
              queue[head++] = undefined as unknown as Packet;
              if (head > 4096 && head * 2 > queue.length) {
                queue.splice(0, head);
                head = 0;
              }
              if (file?.paused && size() + batchSize <= bound) file.resume();
              return { value: p, done: false };
            }
            if (done) {
              if (failure) {
                const f = failure;
                failure = undefined;
                throw f;
              }
              return { value: undefined, done: true };
            }
            await new Promise<void>((r) => (wake = r));
          }
        },
        return: async (): Promise<IteratorResult<Packet>> => {
          stream.stop();
          await started;
          return { value: undefined, done: true };
        },
      };
    },
  };
  return stream;
}
