/**
 * Packet -> process, once per flow: the packet's tuple is read from its bytes, looked up in a flow cache, and
 * only a flow the cache does not know goes to the engine (eBPF's maps, or the /proc tables). An unattributed
 * flow is asked again after `window` ms at the earliest, so a busy unknown flow costs a map lookup per packet.
 * Counts what it attributed and what not, for the exit summary. The reorder window (hold.ts) asks flows here
 * first and hands its answers on (`memo`), so a packet is looked up once.
 */
import type { PacketBatch } from "../capture/batch.js";
import type { Engine } from "./engine.js";
import { readTuple, V4Table, v4Key } from "./tuple.js";
import type { ProcInfo, Tuple } from "./types.js";

export interface Flow {
  info: ProcInfo | undefined;
  at: number;
  /** how long the answer is trusted: a sure one KNOWN_MS, an unknown or guessed one the window */
  ttl: number;
  /** the reorder window: until when this flow's packets are held (0: not held); `waited`: it had its window */
  holdUntil: number;
  waited: boolean;
  /** when the reorder window took the flow's first packet */
  heldAt: number;
  /** no local socket can have it (Engine.foreign): never held, asked again after KNOWN_MS */
  foreign: boolean;
  /** the engine's generation when the flow was last asked (Engine.changedSince) */
  gen: number;
  /** the flow of the other direction, once both were seen (the reorder window holds a reply behind its request) */
  peer: Flow | undefined;
  readonly tuple: Tuple;
}

const MAX_FLOWS = 65536;
/** a known flow's owner is trusted this long before it is looked up again (ports get reused) */
const KNOWN_MS = 2000;

export class Attributor {
  attributed = 0;
  unattributed = 0;
  private flows = new Map<string, Flow>();
  /** IPv4 TCP/UDP flows by number (tuple.ts v4Key), no string made per packet */
  private flows4 = new V4Table<Flow>();
  private k = new Uint32Array(4);
  private t: Tuple = { proto: 0, src: "", sport: 0, dst: "", dport: 0 };
  /** answers already found for the packets of the batch whose bytes are `memoData` (by index) */
  private memoData: Uint8Array | null = null;
  private memo: (ProcInfo | undefined)[] = [];

  constructor(
    readonly engine: Engine,
    /** why a better engine did not run ("" when the best one did) */
    readonly fallbackReason = "",
    readonly window = 100,
  ) {}

  /** The process of packet i of the batch, or undefined. */
  attribute(b: PacketBatch, i: number): ProcInfo | undefined {
    const info = b.data === this.memoData ? this.memo[i] : this.lookupBytes(b.data, b.offset[i], b.caplen[i], b.linktype[i]);
    if (info) this.attributed++;
    else this.unattributed++;
    return info;
  }

  /** The answers for the packets of the batch with bytes `data`, found beforehand (hold.ts). */
  setMemo(data: Uint8Array | null, infos: (ProcInfo | undefined)[]): void {
    this.memoData = data;
    this.memo = infos;
  }

  lookupBytes(d: Uint8Array, off: number, caplen: number, linktype: number): ProcInfo | undefined {
    return this.flowOf(d, off, caplen, linktype)?.info;
  }

  /** The packet's flow with its current answer (asked again when its time is up), or undefined: no tuple. */
  flowOf(d: Uint8Array, off: number, caplen: number, linktype: number, now = performance.now()): Flow | undefined {
    const k = this.k;
    let f: Flow | undefined;
    const v4 = v4Key(d, off, caplen, linktype, k);
    if (v4) f = this.flows4.get(k);
    const t = this.t;
    if (!f) {
      if (!readTuple(d, off, caplen, linktype, t)) return undefined;
      const key = `${t.proto} ${t.src} ${t.sport} ${t.dst} ${t.dport}`;
      f = this.flows.get(key);
      if (!f) {
        if (this.flows.size >= MAX_FLOWS) {
          this.flows.clear();
          this.flows4.clear();
        }
        f = { info: undefined, at: -Infinity, ttl: 0, holdUntil: 0, waited: false, heldAt: 0, foreign: false, gen: -1, peer: undefined, tuple: { ...t } };
        this.flows.set(key, f);
        const peer = this.flows.get(`${t.proto} ${t.dst} ${t.dport} ${t.src} ${t.sport}`);
        if (peer && peer !== f) {
          f.peer = peer;
          peer.peer = f;
        }
      }
      if (v4) this.flows4.set(k, f);
    }
    if (now - f.at < f.ttl || f.holdUntil > now) return f;
    if (!this.changed(f)) {
      // nothing the engine learnt since can change the answer: kept another while (a flow nobody owns still
      // seen makes an engine that reads its tables when asked read them again, rate-limited)
      if (!f.info && !f.foreign) this.engine.poke?.();
      f.at = now;
      return f;
    }
    this.ask(f, now);
    return f;
  }

  /** Whether the engine learnt anything since the flow was asked that could change its answer. */
  changed(f: Flow): boolean {
    const e = this.engine;
    return f.gen < 0 || !e.changedSince || e.changedSince(f.tuple, f.gen);
  }

  /** Asks the engine about a flow again (a held flow, before its window is up or when it is). */
  ask(f: Flow, now = performance.now()): void {
    const e = this.engine;
    f.info = e.lookup(f.tuple);
    f.gen = e.generation ?? 0;
    f.at = now;
    f.foreign = !f.info && !!e.foreign;
    f.ttl = (f.info && e.sure) || f.foreign ? KNOWN_MS : this.window;
  }

  /** The summary's lines: which engine ran (and why not a better one), and the counts. */
  summary(): string[] {
    const why = this.fallbackReason ? ` (${this.fallbackReason})` : "";
    const work = this.engine.stats?.() ?? "";
    return [`process attribution: ${this.engine.name === "ebpf" ? "eBPF" : "/proc"} engine${why}`, `${this.attributed} packet${this.attributed === 1 ? "" : "s"} attributed to a process, ${this.unattributed} not`, ...(work ? [work] : [])];
  }

  close(): void {
    this.engine.close();
  }
}
