/**
 * The capture pipeline: a source (live, file, stdin) -> the capture filter (in the kernel for live captures,
 * libpcap's bpf_filter over whole batches for files) -> count limit -> consumers (pcap writer, printer,
 * plugins). It knows nothing of the CLI or the TUI; both drive it.
 */
import type { PacketBatch } from "./capture/batch.js";
import { native } from "./capture/native.js";
import type { CaptureStats, PacketSource, SourceEnd } from "./capture/source.js";

/**
 * Called for each packet that passed the capture filter; frame numbers start at 1. Return false to stop.
 * A consumer may also take a whole run of packets at once (`whole`), used when every packet of a batch
 * passes (live captures, filtered in the kernel): the pcap writer then copies the run in one go.
 */
export type PacketConsumer = ((batch: PacketBatch, index: number, frame: number) => void | boolean) & {
  whole?: (batch: PacketBatch, from: number, to: number, firstFrame: number) => void | boolean;
};

export interface SessionOptions {
  source: PacketSource;
  /** a compiled program to run over packets that did not already pass a kernel filter (files, stdin) */
  program?: Uint32Array;
  /** stop after this many packets (counted after `select`) */
  count?: number;
  /**
   * A second filter after the capture filter (the display filter, -Y): packets it rejects keep their frame
   * number but reach no consumer and do not count towards `count`.
   */
  select?: (batch: PacketBatch, index: number, frame: number) => boolean;
  consumers: PacketConsumer[];
  /** called after each batch (flush points for live output) */
  onBatchEnd?: () => void;
}

export interface SessionResult {
  end: SourceEnd;
  /** packets that passed the capture filter (frame numbers) */
  captured: number;
  /** packets handed to consumers (after `select`) */
  delivered: number;
  /** packets read from the source (before a file's filter) */
  seen: number;
  stats: CaptureStats | null;
}

export class Session {
  captured = 0;
  delivered = 0;
  seen = 0;
  private stopping = false;

  constructor(private o: SessionOptions) {}

  get source(): PacketSource {
    return this.o.source;
  }

  async run(): Promise<SessionResult> {
    const { source, program, consumers, onBatchEnd, select } = this.o;
    const limit = this.o.count ?? Infinity;
    const bpf = program ? native() : undefined; // the addon only runs filters here: not loaded without one
    const end = await source.run((b) => {
      let verdict: Uint32Array | null = null;
      if (program) verdict = bpf!.filterBatch(program, b.data, b.offset, b.caplen, b.wirelen, b.count);
      this.seen += b.count;
      if (!verdict && !select && consumers.every((c) => c.whole)) {
        const n = Math.min(b.count, limit - this.delivered);
        const first = this.captured + 1;
        this.captured += n;
        this.delivered += n;
        for (const c of consumers) if (c.whole!(b, 0, n, first) === false) this.stopping = true;
        onBatchEnd?.();
        return this.stopping ? 0 : limit - this.delivered;
      }
      if (!verdict && select && consumers.every((c) => c.whole)) {
        // selected packets go on in runs (the pcap writer copies each run in one go)
        let from = -1;
        let first = 0;
        const run = (to: number) => {
          if (from >= 0) for (const c of consumers) if (c.whole!(b, from, to, first) === false) this.stopping = true;
          from = -1;
        };
        for (let i = 0; i < b.count; i++) {
          const frame = ++this.captured;
          if (!select(b, i, frame)) {
            run(i);
            if (this.stopping) break;
            continue;
          }
          if (from < 0) {
            from = i;
            first = frame;
          }
          this.delivered++;
          if (this.delivered >= limit) {
            run(i + 1);
            break;
          }
        }
        run(b.count);
        onBatchEnd?.();
        return this.stopping ? 0 : limit - this.delivered;
      }
      for (let i = 0; i < b.count; i++) {
        if (verdict && verdict[i] === 0) continue;
        const frame = ++this.captured;
        if (select && !select(b, i, frame)) continue;
        this.delivered++;
        for (let c = 0; c < consumers.length; c++) {
          if (consumers[c](b, i, frame) === false) this.stopping = true;
        }
        if (this.delivered >= limit || this.stopping) break;
      }
      onBatchEnd?.();
      if (this.stopping) return 0;
      return limit - this.delivered;
    });
    return { end, captured: this.captured, delivered: this.delivered, seen: this.seen, stats: source.stats() };
  }

  /** Stops at the next batch boundary (signal handlers, closed pipes, plugins). */
  stop(): void {
    this.stopping = true;
    this.o.source.stop();
  }
}
