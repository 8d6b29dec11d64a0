/**
 * Packet -> process, once per flow: the packet's tuple is read from its bytes, looked up in a flow cache, and
 * only a flow the cache does not know goes to the engine (eBPF's maps, or the /proc tables). An unattributed
 * flow is asked again after `window` ms at the earliest, so a busy unknown flow costs a map lookup per packet.
 * Counts what it attributed and what not, for the exit summary.
 */
import type { PacketBatch } from "../capture/batch.js";
import type { Engine } from "./engine.js";
import { readTuple } from "./tuple.js";
import type { ProcInfo, Tuple } from "./types.js";

interface Flow {
  info: ProcInfo | undefined;
  at: number;
  /** how long the answer is trusted: a sure one KNOWN_MS, an unknown or guessed one the window */
  ttl: number;
}

const MAX_FLOWS = 65536;
/** a known flow's owner is trusted this long before it is looked up again (ports get reused) */
const KNOWN_MS = 2000;

export class Attributor {
  attributed = 0;
  unattributed = 0;
  private flows = new Map<string, Flow>();
  private t: Tuple = { proto: 0, src: "", sport: 0, dst: "", dport: 0 };

  constructor(
    readonly engine: Engine,
    /** why a better engine did not run ("" when the best one did) */
    readonly fallbackReason = "",
    private window = 100,
  ) {}

  /** The process of packet i of the batch, or undefined. */
  attribute(b: PacketBatch, i: number): ProcInfo | undefined {
    const info = this.lookupBytes(b.data, b.offset[i], b.caplen[i], b.linktype[i]);
    if (info) this.attributed++;
    else this.unattributed++;
    return info;
  }

  lookupBytes(d: Uint8Array, off: number, caplen: number, linktype: number): ProcInfo | undefined {
    const t = this.t;
    if (!readTuple(d, off, caplen, linktype, t)) return undefined;
    const key = `${t.proto} ${t.src} ${t.sport} ${t.dst} ${t.dport}`;
    const now = performance.now();
    const f = this.flows.get(key);
    if (f && now - f.at < f.ttl) return f.info;
    const info = this.engine.lookup(t);
    if (this.flows.size >= MAX_FLOWS) this.flows.clear();
    this.flows.set(key, { info, at: now, ttl: info && this.engine.sure ? KNOWN_MS : this.window });
    return info;
  }

  /** The summary's lines: which engine ran (and why not a better one), and the counts. */
  summary(): string[] {
    const why = this.fallbackReason ? ` (${this.fallbackReason})` : "";
    return [`process attribution: ${this.engine.name === "ebpf" ? "eBPF" : "/proc"} engine${why}`, `${this.attributed} packet${this.attributed === 1 ? "" : "s"} attributed to a process, ${this.unattributed} not`];
  }

  close(): void {
    this.engine.close();
  }
}
