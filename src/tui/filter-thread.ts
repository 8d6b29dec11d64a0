/**
 * The main thread's side of ./filter-worker.ts: the display filter pass runs on the second core, so keys and
 * frames never wait for it (the in-thread pass ran in 40 ms slices between them). A worker is started at the
 * first filter and ended when a pass has answered a whole file (./heap.ts: RSS); each filter is a new pass
 * (a generation), and a filter changed or cancelled drops the old pass's chunks at once (a shared generation
 * number the worker checks).
 *
 * The index is sent in chunks as copies (26 bytes a packet), small ones first so the first matches show
 * quickly, at most two chunks ahead of the worker: a file still being indexed, or a live spool, is followed as
 * it grows. The worker's heap is kept small (its young generation bounded): what it allocates per packet is
 * garbage at once.
 */
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { PacketIndex } from "./packet-index.js";
import type { AnswerMsg, ChunkMsg, EndMsg, ErrorMsg, StartMsg } from "./filter-worker.js";
import type { StreamKey } from "./stream.js";

/** packets in the first chunk; each next one doubles, up to CHUNK_MAX */
const CHUNK_MIN = 512;
const CHUNK_MAX = 16384;
const IN_FLIGHT = 2;
/** the worker's old generation limit (MB); a pass whose state outgrows it ends the worker: the model then filters in the main thread */
const OLD_MAX_MB = 1024;

export interface ThreadPass {
  /** packets sent to the worker ([0, sent)) and answered ([0, answered)) */
  sent: number;
  answered: number;
  /** chunks sent, not answered */
  inFlight: number;
  chunk: number;
  gen: number;
  /** packets to send: a fixed number (a statistics or stream pass over a live capture), or -1: every packet the index has, as it grows */
  end: number;
  /** the answer to a chunk (matches, statistics, stream segments), in order */
  onAnswer(m: AnswerMsg): void;
  onError(message: string): void;
}

/** A pass that is not a display filter: the statistics (./stats.ts) or a followed stream (./stream.ts). */
export interface ScanSpec {
  kind: "stats" | "stream";
  key?: StreamKey;
  /** as ThreadPass.end */
  end: number;
}

export class FilterThread {
  private worker: Worker | null = null;
  private genBuf = new SharedArrayBuffer(4);
  private current = new Int32Array(this.genBuf);
  private gen = 0;
  private pass: ThreadPass | null = null;
  /** the worker could not start or died: the model runs its filter in the main thread */
  broken = "";
  /** the worker's V8 heap as its last answer gave it (resident bytes; 0: no worker): TSNIFF_TUI_TRACE */
  workerHeap = 0;

  constructor(
    readonly file: string,
    readonly index: PacketIndex,
    private readonly workerUrl: URL,
  ) {}

  private ensure(): Worker | null {
    if (this.worker || this.broken) return this.worker;
    try {
      const w = new Worker(this.workerUrl, {
        workerData: { gen: this.genBuf },
        // young generation: 1 MB semi-spaces (V8's start) instead of growing to 16 MB (issue #17: RSS); an old
        // generation bounded at 1 GB: V8 then starts its heap small and grows it by a smaller factor (a 1M-packet
        // dns pass: 107 -> 62 MB of RSS), where by default it let garbage pile up to ~90 MB before collecting
        resourceLimits: { maxYoungGenerationSizeMb: 3, maxOldGenerationSizeMb: OLD_MAX_MB },
        stdout: false,
        stderr: false,
      });
      w.unref();
      // Node sets V8's flags again for each worker it starts, back to the command line's: the main thread's
      // young generation would then grow to 16 MB semi-spaces (32 MB resident, issue #17: RSS). Once the worker
      // runs, the TUI's setting (./index.ts) is made again.
      w.once("online", () => {
        if (process.env.TSNIFF_V8_YOUNG !== "default") setFlagsFromString("--semi-space-growth-factor=1");
      });
      w.on("message", (m: AnswerMsg | ErrorMsg) => this.onMessage(m));
      w.on("error", (e) => this.fail(`filter worker: ${e.message}`));
      w.on("exit", (code) => {
        if (this.worker === w && code !== 0) this.fail(`filter worker exited with ${code}`);
        if (this.worker === w) {
          this.worker = null;
          this.workerHeap = 0;
        }
      });
      this.worker = w;
    } catch (e) {
      this.broken = (e as Error).message;
    }
    return this.worker;
  }

  private fail(message: string): void {
    this.broken ||= message;
    const p = this.pass;
    this.pass = null;
    p?.onError(message);
  }

  /**
   * Starts a pass of `filter` (compiled already: it is known to compile) from packet 0; null: no worker.
   * `ifaceNames`: the sources' names by PacketIndex.iface (frame.interface_name), as CaptureRows has them.
   */
  start(filter: string | ScanSpec, ifaceNames: readonly string[] | undefined, onAnswer: ThreadPass["onAnswer"], onError: ThreadPass["onError"]): ThreadPass | null {
    this.cancel();
    const w = this.ensure();
    if (!w) return null;
    const gen = ++this.gen;
    Atomics.store(this.current, 0, gen);
    const spec = typeof filter === "string" ? null : filter;
    w.postMessage({ type: "start", gen, file: this.file, kind: spec?.kind ?? "filter", filter: spec ? "" : (filter as string), key: spec?.key, ifaceNames: ifaceNames ? [...ifaceNames] : undefined } satisfies StartMsg);
    this.pass = { sent: 0, answered: 0, inFlight: 0, chunk: CHUNK_MIN, gen, end: spec ? spec.end : -1, onAnswer, onError };
    this.pump();
    return this.pass;
  }

  /** Sends the worker what it has not seen of the index (the index grew, or a chunk came back). */
  pump(): void {
    const p = this.pass;
    const w = this.worker;
    if (!p || !w) return;
    const ix = this.index;
    const last = p.end >= 0 ? Math.min(p.end, ix.count) : ix.count;
    while (p.inFlight < IN_FLIGHT && p.sent < last) {
      const from = p.sent;
      const to = Math.min(last, from + p.chunk);
      const m: ChunkMsg = {
        type: "chunk",
        gen: p.gen,
        from,
        fileOff: ix.fileOff.slice(from, to),
        caplen: ix.caplen.slice(from, to),
        wirelen: ix.wirelen.slice(from, to),
        tsSec: ix.tsSec.slice(from, to),
        tsNsec: ix.tsNsec.slice(from, to),
        linktype: ix.linktype.slice(from, to),
        iface: ix.iface.slice(from, to),
      };
      w.postMessage(m, [m.fileOff.buffer, m.caplen.buffer, m.wirelen.buffer, m.tsSec.buffer, m.tsNsec.buffer, m.linktype.buffer, m.iface.buffer] as ArrayBuffer[]);
      p.sent = to;
      p.inFlight++;
      p.chunk = Math.min(CHUNK_MAX, p.chunk * 2);
    }
  }

  /** A pass runs (a filter on a file still being indexed or on a live capture runs until changed). */
  busy(): boolean {
    return this.pass !== null;
  }

  private onMessage(m: AnswerMsg | ErrorMsg): void {
    const p = this.pass;
    if (!p || m.gen !== p.gen) return; // an old pass's
    if (m.type === "error") {
      this.pass = null;
      p.onError(m.message);
      return;
    }
    p.inFlight--;
    p.answered = m.to;
    if (m.heap) this.workerHeap = m.heap;
    this.pump();
    p.onAnswer(m);
  }

  /** Stops the running pass (its chunks are dropped, the one being worked on within 256 packets). */
  cancel(): void {
    if (!this.pass) return;
    this.pass = null;
    Atomics.store(this.current, 0, ++this.gen);
    this.worker?.postMessage({ type: "end" } satisfies EndMsg);
  }

  /**
   * The pass has answered every packet of a file that will not grow: the worker ends (its heap held the
   * dissector's tables of every conversation, tens of MB on a big capture) instead of keeping them, or the
   * pages they took, until the next filter.
   */
  finish(): void {
    const p = this.pass;
    if (!p || p.answered < (p.end >= 0 ? p.end : this.index.count)) return;
    this.pass = null;
    this.retire();
  }

  /**
   * Ends the worker: a finished pass on a file left its heap's pages resident (~40-60 MB on a million
   * packets, issue #17: RSS) until the next pass; the next pass starts a new worker (a fraction of a pass).
   */
  private retire(): void {
    const w = this.worker;
    this.worker = null;
    this.workerHeap = 0;
    void w?.terminate();
  }

  close(): void {
    this.cancel();
    this.retire();
  }
}
