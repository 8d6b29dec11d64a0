/** An attribution engine: finds the process that owns a packet's socket. */
import type { ProcInfo, Tuple } from "./types.js";

export type EngineName = "ebpf" | "proc";

export interface Engine {
  readonly name: EngineName;
  /** The owner of the packet's flow, or undefined. May refresh its tables (rate-limited, never per packet). */
  lookup(t: Tuple): ProcInfo | undefined;
  /** Whether the last lookup's answer is final (false: a guess from a listening port, asked again later). */
  readonly sure: boolean;
  /**
   * When the tables the engine answers from were read (engines that read them in rounds, /proc): a flow first
   * seen after that has not had its chance yet, and the reorder window holds it a while longer (hold.ts).
   */
  freshAt?(): number;
  /** Keeps the tables fresh while a process of interest runs (`-- cmd`): read every `ms`. */
  keepFresh?(ms: number): void;
  /** Detaches and frees what the engine holds. */
  close(): void;
}
