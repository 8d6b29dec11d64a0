/** An attribution engine: finds the process that owns a packet's socket. */
import type { ProcInfo, Tuple } from "./types.js";

export type EngineName = "ebpf" | "proc";

export interface Engine {
  readonly name: EngineName;
  /**
   * The owner of the packet's flow, or undefined. May refresh its tables (rate-limited, never per packet;
   * `since`: when the flow was first seen: tables read after that are not read again for it, as they
   * would not show it either; a flood of flows nobody owns does not keep /proc being read).
   */
  lookup(t: Tuple, since?: number): ProcInfo | undefined;
  /** Whether the last lookup's answer is final (false: a guess from a listening port, asked again later). */
  readonly sure: boolean;
  /**
   * Whether the last lookup's flow can be no local socket's (neither address is this machine's: traffic a
   * bridge or veth carries past): it is not held in the reorder window and asked again only after seconds.
   */
  readonly foreign?: boolean;
  /**
   * Whether the last lookup found nobody because no socket here has the packet's destination port at all
   * (its protocol's, any address, any namespace) and its source is no address of this machine (it came in):
   * then every packet from that source to that port is nobody's until a socket takes the port (the flow
   * cache answers them all from one entry; Engine.watchNegatives says when that changes).
   */
  readonly portFree?: boolean;
  /**
   * When the tables the engine answers from were read (engines that read them in rounds, /proc): a flow first
   * seen after that has not had its chance yet, and the reorder window holds it a while longer (hold.ts).
   */
  freshAt?(): number;
  /** Keeps the tables fresh while a process of interest runs (`-- cmd`): read every `ms`. */
  keepFresh?(ms: number): void;
  /**
   * Engines that can tell what changed: a number that grows when they learn something (a socket event, a read
   * of /proc), and whether anything that could change the answer for `t` happened since `generation` was
   * `gen`. A flow is asked again only then (a flood's thousand unknown flows cost a check each, not a lookup).
   */
  readonly generation?: number;
  changedSince?(t: Tuple, gen: number): boolean;
  /**
   * Engines that can say when a flow nobody owned may have an owner now: `ports` marks (by number) the ports
   * of such flows, and `changed()` is called when the engine learns of a socket on a marked port (eBPF: a
   * bind/connect/send event) or reads its tables again (/proc: every read). Until then, or KNOWN_MS, such a
   * flow is not asked again (attribution.ts): a flood of flows nobody owns costs the fast path only.
   */
  watchNegatives?(ports: Uint8Array, changed: () => void): void;
  /** A flow it did not know is still seen (an engine that reads its tables when asked may read them again). */
  poke?(): void;
  /** A line on the engine's own work for the summary ("/proc read 12 times, 85 ms of CPU"), or "". */
  stats?(): string;
  /** Detaches and frees what the engine holds. */
  close(): void;
}
