/**
 * One source abstraction for live interfaces, files and stdin: everything downstream (filter, writer,
 * printer, plugins) sees the same PacketBatch whatever the packets came from.
 */
import type { PacketBatch, SourceInfo } from "./batch.js";

export interface CaptureStats {
  /** packets the kernel handed to the filter (libpcap ps_recv) */
  received: number;
  /** dropped by the kernel because the buffer was full (ps_drop) */
  dropped: number;
  /** dropped by the interface or driver (ps_ifdrop) */
  ifDropped: number;
}

/** Why a source stopped. */
export interface SourceEnd {
  reason: "eof" | "count" | "stopped" | "error";
  /** a damaged file or a capture error; the packets before it were delivered */
  error?: Error;
}

/**
 * `onBatch` is called synchronously with a batch whose arrays and bytes are reused afterwards. It returns
 * the number of packets it still wants (Infinity for all); 0 stops the source.
 */
export type BatchConsumer = (batch: PacketBatch) => number;

export interface PacketSource {
  readonly info: SourceInfo;
  run(onBatch: BatchConsumer): Promise<SourceEnd>;
  /** Asks the source to stop as soon as it can (signal handlers call this); run() then resolves. */
  stop(): void;
  /** Kernel statistics for live captures; null for files. */
  stats(): CaptureStats | null;
}
