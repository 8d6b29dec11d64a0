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
import { MultiLiveSource, type RawSource } from "../capture/multi-live-source.js";
import { defaultDevice, resolveDevice } from "../capture/devices.js";
import type { CaptureStats, PacketSource, SourceEnd } from "../capture/source.js";
import { compileFilter, linktypeToDlt } from "../filter/compile.js";
import { Session } from "../session.js";
import { openRemoteSources, REMOTE_HOLDBACK_MS, sourceReport, splitInterfaces, summaryLines, type HostFailure, type RemoteOptions, type SourceReport } from "../remote/open.js";
import { Packet, PacketContext } from "./packet.js";

export interface CaptureOptions {
  /**
   * interface to capture on (default: tcpdump's default interface); several (`["lo", "veth0"]`) are captured
   * at once and merged in time order, as the CLI's repeated -i (Packet.iface is the index in this list, less
   * the remote hosts that could not be opened: `stats().sources` lists the sources by that index).
   * `ssh://[user@]host[:port]/IFACE` captures on another host over ssh (docs/REMOTE.md; options in `remote`),
   * mixed freely with local ones; such packets name their source (`packet.ifaceName`, frame.interface_name
   * `"web1:eth0"`). Ignored with `offline`.
   */
  iface?: string | string[];
  /** how ssh:// sources are reached and what runs there (ssh options, sudo, the remote tool, stop-on-down) */
  remote?: RemoteOptions;
  /**
   * a remote host failed, when opening or later (authentication, unreachable, no such interface, the
   * connection dropped): one line naming the host and the cause. The other sources go on (unless
   * `remote.stopOnDown`); a capture whose every source failed to open rejects. Also in `stats().hostFailures`.
   */
  onHostFailure?: (f: HostFailure) => void;
  /**
   * called once the capture is open, before the first packet: the sources capturing, by Packet.iface (a
   * remote host is then connected, its capture started and its clock measured). Not called for `offline`.
   */
  onOpen?: (sources: SourceReport[]) => void;
  /** local interfaces: only packets received ("in") or sent ("out"), as tcpdump -Q (default both) */
  direction?: "in" | "out" | "inout";
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
  /** live: each source's own numbers, by Packet.iface (remote hosts: captured, the remote summary, clock, failure) */
  sources?: SourceReport[];
  /** remote hosts that failed (when opening, or later) */
  hostFailures?: HostFailure[];
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

/** What openSource opened. */
export interface OpenedSource {
  source: PacketSource;
  /** a file's capture filter (live ones are attached to the interfaces) */
  program?: Uint32Array;
  /** live: the interfaces and remote hosts, by Packet.iface */
  sources: RawSource[];
  /** remote hosts that failed (opening, or later: the list grows) */
  failures: HostFailure[];
  /** live: the per-source summary lines (remote hosts: captured, received, dropped, clock, failure) */
  summary(): string[];
}

/**
 * Opens the source for the options and attaches the filter (in the kernel for live captures; on the remote
 * host for ssh:// sources, which are opened first and all at once: connecting takes seconds).
 */
export async function openSource(o: CaptureOptions, file: { batchSize?: number } = {}): Promise<OpenedSource> {
  const failures: HostFailure[] = [];
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
    return { source, program, sources: [], failures, summary: () => [] };
  }
  const names = Array.isArray(o.iface) ? o.iface : [o.iface ?? defaultDevice()];
  if (names.length === 0) throw new Error("iface: an empty list of interfaces");
  const { specs } = splitInterfaces(names);
  const devices = names.map((n) => (specs.some((s) => s.spec === n) ? n : resolveDevice(n)));
  const dup = devices.find((d, k) => devices.indexOf(d) !== k);
  if (dup) throw new Error(`iface: ${dup} is given twice`);
  let multi: MultiLiveSource | undefined;
  const fail = (f: HostFailure) => {
    failures.push(f);
    try {
      o.onHostFailure?.(f);
    } finally {
      // as a stop: what the other sources still hold is delivered
      if (!f.atOpen && o.remote?.stopOnDown) multi?.stop();
    }
  };
  const remotes = specs.length ? await openRemoteSources(specs, o.filter ?? "", o.remote ?? {}, fail) : [];
  const opened: RawSource[] = [];
  const release = () => {
    for (const s of opened) {
      if (s instanceof LiveSource) {
        s.stop();
        void s.run(() => 0).catch(() => {});
      } else s.close();
    }
    for (const r of remotes) if (!opened.includes(r)) r.close();
  };
  try {
    const direction = o.direction === "in" ? 1 : o.direction === "out" ? 2 : 0;
    for (const device of devices) {
      const spec = specs.find((s) => s.spec === device);
      if (spec) {
        const r = remotes.find((x) => x.spec === spec);
        if (r) opened.push(r);
        continue;
      }
      const live = new LiveSource(device, { snaplen: o.snaplen, promisc: o.promisc ?? true, immediate: o.immediate ?? false, nano: o.nano, ifaceIndex: opened.length, bufferSize: o.bufferSize, direction });
      opened.push(live);
      if (o.filter?.trim()) live.setFilter(compileFilter(o.filter, { linktype: live.info.linktype, snaplen: live.info.snaplen }));
    }
    if (opened.length === 0) throw new Error(`no source could be opened (${failures.map((f) => f.message).join("; ")})`);
  } catch (e) {
    release();
    throw e;
  }
  const summary = () => summaryLines(opened);
  o.onOpen?.(opened.map(sourceReport));
  if (opened.length === 1 && opened[0] instanceof LiveSource) return { source: opened[0], sources: opened, failures, summary };
  const hold = remotes.length ? REMOTE_HOLDBACK_MS : undefined;
  multi = new MultiLiveSource(opened, { immediate: o.immediate, holdbackMs: hold, stopBudgetMs: hold });
  return { source: multi, sources: opened, failures, summary };
}

/** The sources' names when packets should carry them (remote sources): Packet.ifaceName, frame.interface_name. */
export function sourceNames(source: PacketSource): readonly string[] | undefined {
  const f = source.info.interfaces;
  // remote sources name every packet's source; a pcapng file its IDBs' names (as the CLI's printer)
  return f?.some((x) => x.remote) ? f.map((x) => x.name) : source.info.interfaceNames;
}

/**
 * A stop (stop(), `timeout`, `signal`): a live capture stops its source, which still hands over what it
 * captured until then (what libpcap holds; the merge's window of several sources, 2 s with remote hosts; a
 * remote host's last packets), as the CLI's Ctrl-C does; a file stops at the next batch.
 */
export function halt(session: Session | undefined): void {
  if (!session) return;
  if (session.source.info.kind === "live") session.source.stop();
  else session.stop();
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
  let opened: OpenedSource | undefined;
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
    opened = await openSource(o, { batchSize });
    const { source, program } = opened;
    const live = source.info.kind === "live";
    if (source.info.kind !== "pcap") ctx = new PacketContext({ interfaces: true, names: sourceNames(source) });
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
    if (stopRequested) halt(session);
    const timer = o.timeout ? setTimeout(() => halt(session), o.timeout * 1000) : undefined;
    const onAbort = () => halt(session);
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
        ...(opened?.sources.length ? { sources: opened.sources.map(sourceReport), hostFailures: opened.failures.slice() } : {}),
      };
    },
    stop: () => {
      stopRequested = true;
      // Stopping a paused file source releases it: run() ends at once.
      halt(session);
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
