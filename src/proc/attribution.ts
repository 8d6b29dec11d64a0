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
import { debugCounts, procDebug } from "./debug.js";

const COUNT = procDebug("counters");

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
  /** when the flow was first seen */
  seen: number;
  /** no local socket can have it (Engine.foreign): never held, asked again after KNOWN_MS */
  foreign: boolean;
  /** the engine's generation when the flow was last asked (Engine.changedSince) */
  gen: number;
  /**
   * a flow nobody owns that had its window, with an engine that says when that may change
   * (Engine.watchNegatives): the Attributor's `negGen` when it was answered so (its answer then lives
   * KNOWN_MS, until negGen moves on); -1 for other flows
   */
  neg: number;
  /** the engine's portFree at the last ask: every flow from this source to this port is nobody's */
  portFree: boolean;
  /** the flow of the other direction, once both were seen (the reorder window holds a reply behind its request) */
  peer: Flow | undefined;
  readonly tuple: Tuple;
}

const MAX_FLOWS = 65536;
/** entries of the address pair cache (a power of two) */
const PAIRS = 64;
function pairSlot(a: number, b: number): number {
  return (Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) >>> 26) & (PAIRS - 1);
}
function freeSlot(a: number, b: number, port: number): number {
  return (Math.imul(a ^ Math.imul(b ^ Math.imul(port, 0x27d4eb2f), 0x9e3779b1), 0x85ebca6b) >>> 26) & (PAIRS - 1);
}
/** a known flow's owner is trusted this long before it is looked up again (ports get reused) */
const KNOWN_MS = 2000;
/**
 * a port nobody has is trusted this long for flows not seen yet (a new flow skips the reorder window: an
 * engine that reads its tables when asked, /proc, is asked again after this at the latest)
 */
export const FREE_MS = 1000;

export class Attributor {
  attributed = 0;
  unattributed = 0;
  private flows = new Map<string, Flow>();
  /** IPv4 TCP/UDP flows by number (tuple.ts v4Key), no string made per packet */
  private flows4 = new V4Table<Flow>();
  private k = new Uint32Array(4);
  private t: Tuple = { proto: 0, src: "", sport: 0, dst: "", dport: 0 };
  /**
   * The fast path (pass()): a settled IPv4 flow's packets are answered from its table slot alone until its
   * answer's time is up. `epoch` grows whenever that could be wrong before then (a flow is held: its peer's
   * packets must queue behind it); `answers` are the answers by id (0: none).
   */
  epoch = 1;
  readonly answers: (ProcInfo | undefined)[] = [undefined];
  private answerIds = new Map<ProcInfo, number>();
  /**
   * Address pairs no local socket can have (Engine.foreign: neither address is this machine's), answered
   * before the flow table: a bridge's flood of a thousand flows between two hosts touches one entry, not a
   * thousand table slots the processor's cache does not hold. Direct-mapped by the pair's hash; until when
   * (ms), in which epoch.
   */
  private pairA = new Uint32Array(PAIRS);
  private pairB = new Uint32Array(PAIRS);
  private pairEpoch = new Uint32Array(PAIRS);
  private pairUntil = new Float64Array(PAIRS);
  /**
   * Ports nobody has (Engine.portFree), by source address, destination address, protocol and destination
   * port, answered before the flow table too: a flood from one host to a port of this machine nobody has
   * (a thousand source ports) touches one entry. Direct-mapped like the pairs; entries of flows nobody owns
   * (Flow.neg), reset with them (negGen moves the epoch on).
   */
  private freeA = new Uint32Array(PAIRS);
  private freeB = new Uint32Array(PAIRS);
  private freeP = new Uint32Array(PAIRS);
  private freeEpoch = new Uint32Array(PAIRS);
  private freeUntil = new Float64Array(PAIRS);
  /**
   * The engine's last portFree answer (its flow, and the engine's generation then): a flow from the same
   * source to the same port is answered the same without asking while the engine learnt nothing (a flood's
   * thousand new flows cost one lookup, not a thousand in the batch that brings them; they still have their
   * window).
   */
  private freeTuple: Tuple | undefined;
  private freeGen = -1;
  private freeAt = -Infinity;
  /** the table slot of the flow flowOf() returned last (-1: not an IPv4 TCP/UDP flow) */
  private slot = -1;
  /**
   * Flows nobody owns (Flow.neg): the ports of such flows (the engine calls back when it learns of a socket
   * on one of them), and the count of those calls (each resets every such flow's answer and the fast path).
   */
  private negPorts = new Uint8Array(65536);
  private negGen = 0;
  private watching = false;
  /** answers already found for the packets of the batch whose bytes are `memoData` (by index) */
  private memoData: Uint8Array | null = null;
  private memo: (ProcInfo | undefined)[] = [];

  constructor(
    readonly engine: Engine,
    /** why a better engine did not run ("" when the best one did) */
    readonly fallbackReason = "",
    readonly window = 100,
  ) {
    if (engine.watchNegatives) {
      this.watching = true;
      engine.watchNegatives(this.negPorts, () => {
        this.negGen++;
        this.epoch++;
      });
    }
  }

  /** The process of packet i of the batch, or undefined. */
  attribute(b: PacketBatch, i: number): ProcInfo | undefined {
    let info: ProcInfo | undefined;
    if (b.data === this.memoData) info = this.memo[i];
    else {
      // no reorder window (--proc-window 0): the fast path, then the flow
      const d = b.data,
        off = b.offset[i],
        caplen = b.caplen[i],
        lt = b.linktype[i];
      const now = performance.now();
      const id = this.pass(d, off, caplen, lt, now);
      if (id >= 0) info = this.answers[id];
      else {
        const f = this.flowOf(d, off, caplen, lt, now);
        info = f?.info;
        if (f && f.holdUntil === 0) this.settle(f);
      }
    }
    if (info) this.attributed++;
    else this.unattributed++;
    return info;
  }

  /** The answers for the packets of the batch with bytes `data`, found beforehand (hold.ts). */
  setMemo(data: Uint8Array | null, infos: (ProcInfo | undefined)[]): void {
    this.memoData = data;
    this.memo = infos;
  }

  /**
   * The answer id of the packet's flow when it is settled (see settle()), from its table slot alone, or -1:
   * go the slow way (flowOf()).
   */
  pass(d: Uint8Array, off: number, caplen: number, linktype: number, now: number): number {
    const k = this.k;
    if (!v4Key(d, off, caplen, linktype, k)) return -1;
    const a = k[0],
      b = k[1];
    const p = pairSlot(a, b);
    if (this.pairA[p] === a && this.pairB[p] === b && now < this.pairUntil[p] && this.pairEpoch[p] === this.epoch) return 0;
    const port = ((k[2] & 0xffff) | (k[3] << 16)) >>> 0;
    const q = freeSlot(a, b, port);
    if (this.freeA[q] === a && this.freeB[q] === b && this.freeP[q] === port && now < this.freeUntil[q] && this.freeEpoch[q] === this.epoch) return 0;
    return this.flows4.pass(k, now, this.epoch);
  }

  /**
   * The flow flowOf() returned last passes (known, nobody's, or had its window; not held, nor its peer) until
   * its answer's time is up: its packets take the fast path (pass()) until then, or until the epoch moves on.
   */
  settle(f: Flow): void {
    if (this.slot < 0) return;
    if (f.foreign && !f.info) {
      // (flowOf() left the flow's key in k) every flow of this address pair is nobody's here
      const k = this.k;
      const p = pairSlot(k[0], k[1]);
      this.pairA[p] = k[0];
      this.pairB[p] = k[1];
      this.pairUntil[p] = f.at + f.ttl;
      this.pairEpoch[p] = this.epoch;
    } else if (f.portFree && f.neg >= 0) {
      // every flow from this source to this port is nobody's (until negGen, with the epoch, moves on)
      const k = this.k;
      const port = ((k[2] & 0xffff) | (k[3] << 16)) >>> 0;
      const q = freeSlot(k[0], k[1], port);
      this.freeA[q] = k[0];
      this.freeB[q] = k[1];
      this.freeP[q] = port;
      this.freeUntil[q] = f.at + Math.min(f.ttl, FREE_MS);
      this.freeEpoch[q] = this.epoch;
    }
    let id = 0;
    const info = f.info;
    if (info) {
      id = this.answerIds.get(info) ?? -1;
      if (id < 0) {
        if (this.answers.length >= 65536) {
          // (answers of gone flows): start over, every fast answer with them
          this.answers.length = 1;
          this.answerIds.clear();
          this.epoch++;
        }
        id = this.answers.length;
        this.answers.push(info);
        this.answerIds.set(info, id);
      }
    }
    this.flows4.setPass(this.slot, f.at + f.ttl, this.epoch, id);
  }

  lookupBytes(d: Uint8Array, off: number, caplen: number, linktype: number): ProcInfo | undefined {
    return this.flowOf(d, off, caplen, linktype)?.info;
  }

  /** The packet's flow with its current answer (asked again when its time is up), or undefined: no tuple. */
  flowOf(d: Uint8Array, off: number, caplen: number, linktype: number, now = performance.now()): Flow | undefined {
    const k = this.k;
    let f: Flow | undefined;
    if (COUNT) debugCounts.slow++;
    const v4 = v4Key(d, off, caplen, linktype, k);
    this.slot = -1;
    if (v4) {
      f = this.flows4.get(k);
      this.slot = this.flows4.lastSlot;
    }
    const t = this.t;
    if (!f) {
      if (!readTuple(d, off, caplen, linktype, t)) return undefined;
      const key = `${t.proto} ${t.src} ${t.sport} ${t.dst} ${t.dport}`;
      f = this.flows.get(key);
      if (!f) {
        if (this.flows.size >= MAX_FLOWS) {
          this.flows.clear();
          this.flows4.clear();
          this.epoch++;
        }
        f = { info: undefined, at: -Infinity, ttl: 0, holdUntil: 0, waited: false, heldAt: 0, seen: now, foreign: false, gen: -1, neg: -1, portFree: false, peer: undefined, tuple: { ...t } };
        this.flows.set(key, f);
        const peer = this.flows.get(`${t.proto} ${t.dst} ${t.dport} ${t.src} ${t.sport}`);
        if (peer && peer !== f) {
          f.peer = peer;
          peer.peer = f;
        }
      }
      if (v4) {
        this.flows4.set(k, f);
        this.slot = this.flows4.lastSlot;
      }
    }
    if ((now - f.at < f.ttl && (f.neg < 0 || f.neg === this.negGen)) || f.holdUntil > now) return f;
    if (!this.changed(f)) {
      // nothing the engine learnt since can change the answer: kept another while (a flow nobody owns still
      // seen makes an engine that reads its tables when asked read them again, rate-limited; not when its
      // tables were read after the flow came: it had its chance, and a flood of flows nobody owns would
      // have /proc read again and again for nothing)
      if (!f.info && !f.foreign) {
        const e = this.engine;
        if (!e.freshAt || e.freshAt() <= f.seen) e.poke?.();
      }
      f.at = now;
      this.negative(f);
      return f;
    }
    this.ask(f, now);
    return f;
  }

  /**
   * A flow nobody owns that had its window (or there is none) keeps that answer KNOWN_MS, or until the engine
   * learns of a socket on one of its ports (Engine.watchNegatives), instead of one window: a flood of such
   * flows is not asked about every window (each its own slow way, per flow).
   */
  private negative(f: Flow): void {
    if (f.info || f.foreign || !this.watching || !(f.waited || this.window === 0)) {
      f.neg = -1;
      return;
    }
    f.neg = this.negGen;
    f.ttl = KNOWN_MS;
    const t = f.tuple;
    this.negPorts[t.sport] = 1;
    this.negPorts[t.dport] = 1;
  }

  /** Whether the engine learnt anything since the flow was asked that could change its answer. */
  changed(f: Flow): boolean {
    const e = this.engine;
    return f.gen < 0 || !e.changedSince || e.changedSince(f.tuple, f.gen);
  }

  /** Asks the engine about a flow again (a held flow, before its window is up or when it is). */
  ask(f: Flow, now = performance.now()): void {
    const e = this.engine;
    const t = f.tuple;
    const ft = this.freeTuple;
    if (ft && ft.dport === t.dport && ft.proto === t.proto && ft.src === t.src && ft.dst === t.dst && e.generation === this.freeGen && now - this.freeAt < FREE_MS) {
      // as the flow before from this source to this port nobody has (the engine learnt nothing since)
      if (COUNT) debugCounts.askedBefore++;
      f.info = undefined;
      f.gen = this.freeGen;
      f.at = now;
      f.foreign = false;
      f.portFree = true;
      f.ttl = this.window;
      this.negative(f);
      return;
    }
    if (COUNT) debugCounts.asks++;
    f.info = e.lookup(t, f.seen);
    f.gen = e.generation ?? 0;
    f.at = now;
    f.foreign = !f.info && !!e.foreign;
    f.portFree = !f.info && !f.foreign && !!e.portFree;
    if (f.portFree && e.generation !== undefined) {
      this.freeTuple = t;
      this.freeGen = f.gen;
      this.freeAt = now;
    }
    f.ttl = (f.info && e.sure) || f.foreign ? KNOWN_MS : this.window;
    this.negative(f);
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
