/**
 * The dissection engine: it owns the loop over layers, the lookups, and exceptions.
 *
 * For a frame it starts at the link type's dissector, then for each layer: dissect -> handoff (table, key) ->
 * exact table entry (lower key first, then the second key) -> heuristics on that table -> data. The loop is
 * depth-capped. A dissector that throws is recorded as a dissector bug (ctx.bug) and the rest of the frame is
 * shown as data: the program goes on. A layer that ran off the captured bytes appends tcpdump's " [|proto]".
 *
 * One Dissector instance per capture: it keeps cross-packet state (TCP relative sequence numbers) in ctx.state.
 */
import type { PacketBatch } from "../capture/batch.js";
import { Reader } from "./reader.js";
import { defaultFor, heuristicsFor, lookup } from "./registry.js";
import { NULL_TREE, TreeBuilder } from "./tree.js";
import type { Ctx, DissectOptions, Handoff, LayerSink, Protocol, TreeSink } from "./types.js";
import { DATA } from "./data.js";

const MAX_DEPTH = 24;

class PacketCtx implements Ctx {
  frame = 0;
  linktype = 0;
  caplen = 0;
  wirelen = 0;
  tsSec = 0;
  tsNsec = 0;
  info = "";
  net = "";
  src = "";
  dst = "";
  src4 = -1;
  dst4 = -1;
  addrPrinted = false;
  fragmented = false;
  again = false;
  ip6Src = -1;
  ipProto = -1;
  srcPort = -1;
  dstPort = -1;
  layers: string[] = [];
  protoName = "";
  truncated = false;
  malformed = false;
  malformedReason = "";
  bug: string | null = null;
  state = new Map<string, unknown>();
  /** the one reused handoff record */
  private h: Handoff = { table: "", key: 0, key2: undefined };
  constructor(public opts: DissectOptions) {}
  next(table: string, key: number | string, key2?: number): Handoff {
    this.h.table = table;
    this.h.key = key;
    this.h.key2 = key2;
    return this.h;
  }
  markMalformed(reason: string): void {
    this.malformed = true;
    if (!this.malformedReason) this.malformedReason = reason;
  }
  resetPacket(): void {
    this.info = "";
    this.net = "";
    this.src = "";
    this.dst = "";
    this.src4 = -1;
    this.dst4 = -1;
    this.addrPrinted = false;
    this.fragmented = false;
    this.ip6Src = -1;
    this.ipProto = -1;
    this.srcPort = -1;
    this.dstPort = -1;
    // pop, not length = 0: setting the length to 0 frees the array's storage, which every packet then allocates again
    while (this.layers.length) this.layers.pop();
    this.protoName = "";
    this.truncated = false;
    this.malformed = false;
    this.malformedReason = "";
    this.bug = null;
  }
}

export interface DissectResult {
  ctx: Ctx;
  /** the detail tree, when requested */
  tree: TreeBuilder | null;
}

export class Dissector {
  readonly ctx: PacketCtx;
  private readers: Reader[] = [];
  private builder = new TreeBuilder();

  constructor(opts: Partial<DissectOptions> = {}) {
    this.ctx = new PacketCtx({ verbose: opts.verbose ?? 0, quiet: opts.quiet ?? false, linkHeader: opts.linkHeader ?? false });
    for (let i = 0; i <= MAX_DEPTH; i++) this.readers.push(new Reader());
  }

  /** Forgets cross-packet state (a new file or capture). */
  resetState(): void {
    this.ctx.state.clear();
    this.memoBatch = null;
    this.lastData = null;
  }

  /**
   * The last packet dissected from a batch, so that users of one Dissector (the printer and the plugins'
   * packets of a CLI run) dissect each packet once: asking again for the same packet returns the same result
   * (a summary after a detail pass included). `passes` counts the engine's runs (for tests and benchmarks).
   */
  private memoBatch: PacketBatch | null = null;
  private memoIndex = -1;
  private memoFrame = -1;
  private memoOffset = -1;
  private memoTree: TreeBuilder | null = null;
  passes = 0;

  /** the bytes and frame of the last run (for ctx.again) */
  private lastData: Uint8Array | null = null;
  private lastOffset = -1;
  private lastFrame = -1;
  private same(data: Uint8Array, offset: number, frame: number): boolean {
    const again = this.lastData === data && this.lastOffset === offset && this.lastFrame === frame;
    this.lastData = data;
    this.lastOffset = offset;
    this.lastFrame = frame;
    return again;
  }

  private memo(b: PacketBatch, i: number, frame: number): boolean {
    return this.memoBatch === b && this.memoIndex === i && this.memoFrame === frame && this.memoOffset === b.offset[i];
  }
  private remember(b: PacketBatch, i: number, frame: number, t: TreeBuilder | null): void {
    this.memoBatch = b;
    this.memoIndex = i;
    this.memoFrame = frame;
    this.memoOffset = b.offset[i];
    this.memoTree = t;
  }

  /** Summary pass: fills ctx (info line, addresses, layers). Allocates nothing but strings. */
  summary(b: PacketBatch, i: number, frame: number): Ctx {
    if (this.memo(b, i, frame)) return this.ctx;
    this.ctx.again = this.same(b.data, b.offset[i], frame);
    this.run(b.data, b.offset[i], b.caplen[i], b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, NULL_TREE);
    this.remember(b, i, frame, null);
    return this.ctx;
  }

  /** Detail pass: also builds the tree (new nodes for each packet; the same tree when asked again for it). */
  detail(b: PacketBatch, i: number, frame: number): DissectResult {
    if (this.memo(b, i, frame) && this.memoTree) return { ctx: this.ctx, tree: this.memoTree };
    this.ctx.again = this.same(b.data, b.offset[i], frame);
    const t = new TreeBuilder();
    this.run(b.data, b.offset[i], b.caplen[i], b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, t);
    this.remember(b, i, frame, t);
    return { ctx: this.ctx, tree: t };
  }

  /**
   * Detail pass into a sink of the caller's (the -T json writer records fields without a tree). Nothing is
   * remembered for a later pass: asking for this packet again dissects it again (with ctx.again set).
   */
  into(b: PacketBatch, i: number, frame: number, sink: LayerSink): Ctx {
    this.memoBatch = null;
    this.ctx.again = this.same(b.data, b.offset[i], frame);
    this.run(b.data, b.offset[i], b.caplen[i], b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, sink);
    return this.ctx;
  }

  /** Dissects raw bytes (library use: one packet). */
  dissectBytes(data: Uint8Array, linktype: number, opts: { wirelen?: number; tsSec?: number; tsNsec?: number; frame?: number; tree?: boolean } = {}): DissectResult {
    this.memoBatch = null;
    this.ctx.again = this.same(data, 0, opts.frame ?? 1);
    const t = opts.tree ? new TreeBuilder() : null;
    this.run(data, 0, data.length, opts.wirelen ?? data.length, linktype, opts.tsSec ?? 0, opts.tsNsec ?? 0, opts.frame ?? 1, t ?? NULL_TREE);
    return { ctx: this.ctx, tree: t };
  }

  private run(data: Uint8Array, off: number, caplen: number, wirelen: number, linktype: number, sec: number, nsec: number, frame: number, t: TreeSink): void {
    const ctx = this.ctx;
    this.passes++;
    ctx.resetPacket();
    ctx.frame = frame;
    ctx.linktype = linktype;
    ctx.caplen = caplen;
    ctx.wirelen = wirelen;
    ctx.tsSec = sec;
    ctx.tsNsec = nsec;
    const tb = t.on ? (t as LayerSink) : null;
    let r = this.readers[0].reset(data, off, off + caplen, off + (wirelen > caplen ? wirelen : caplen));
    let p: Protocol | undefined = lookup("linktype", linktype) ?? DATA;
    for (let depth = 0; p && depth < MAX_DEPTH; depth++) {
      ctx.layers.push(p.id);
      if (p !== DATA || ctx.protoName === "") ctx.protoName = p.name;
      const node = tb ? tb.openProto(p.id, p.title ?? p.name, r.pos) : null;
      let h: Handoff | void;
      try {
        h = p.dissect(r, ctx, t);
      } catch (e) {
        ctx.bug = p.id;
        if (tb) tb.note(`[Dissector bug, protocol ${p.name}: ${(e as Error)?.message ?? e}]`, r.pos, 0);
        h = undefined;
        // The rest is shown as data.
        if (node) node.length = r.pos - node.offset;
        p = r.remaining > 0 ? DATA : undefined;
        if (p) {
          const nr = this.readers[depth + 1].reset(data, r.pos, r.cap, r.rep);
          r = nr;
        }
        continue;
      }
      if (node) node.length = Math.max(0, Math.min(r.pos, r.cap) - node.offset);
      if (r.malformed) ctx.markMalformed(`${p.name}: a length field points past the end of the data`);
      if (r.truncated) {
        ctx.truncated = true;
        ctx.info += ` [|${p.truncName ?? p.id}]`;
        return;
      }
      if (!h) {
        // No handoff: anything left is this layer's payload, shown as data in the tree only.
        if (tb && r.remaining > 0 && p !== DATA) {
          tb.openProto("data", `Data (${r.remaining} bytes)`, r.pos).length = r.remaining;
        }
        return;
      }
      if (r.pos >= r.rep && r.remaining === 0) return; // nothing left to hand on
      const nr = this.readers[depth + 1].reset(data, r.pos, r.cap, r.rep);
      p = this.pick(h, nr);
      r = nr;
    }
  }

  private pick(h: Handoff, r: Reader): Protocol {
    let p = lookup(h.table, h.key);
    if (!p && h.key2 !== undefined) p = lookup(h.table, h.key2);
    if (p) return p;
    const hs = heuristicsFor(h.table);
    for (let i = 0; i < hs.length; i++) {
      const start = r.pos;
      let ok = false;
      try {
        ok = hs[i].heuristic!(r, this.ctx);
      } catch {
        ok = false; // heuristics never throw; if one does, it simply did not match
      }
      r.pos = start;
      r.truncated = false;
      r.malformed = false;
      if (ok) return hs[i];
    }
    return defaultFor(h.table) ?? DATA;
  }
}
