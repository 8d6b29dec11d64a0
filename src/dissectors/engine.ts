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
import { DATA, UNKNOWN_LINK } from "./data.js";
import { Line } from "./line.js";
import type { Pdu, Reassembly } from "../stream/reassembly.js";
import { PduSink } from "./pdu-sink.js";
import { MapSink } from "./map-sink.js";

const MAX_DEPTH = 24;

/** What the last packet's run left: nothing to reuse, its ctx (summary), its ctx and tree (detail). */
const enum Reuse {
  None,
  Summary,
  Detail,
}

class PacketCtx implements Ctx {
  frame = 0;
  linktype = 0;
  caplen = 0;
  wirelen = 0;
  tsSec = 0;
  tsNsec = 0;
  /** the one-line summary being written (ctx.info reads it as text): `own`, or a caller's (summaryInto) */
  line: Line;
  /** where this packet's text starts in `line` (0 in its own line) */
  lineStart = 0;
  readonly own = new Line();
  net = "";
  src = "";
  dst = "";
  src4 = -1;
  dst4 = -1;
  addrPrinted = false;
  fragmented = false;
  again = false;
  late = false;
  ip6Src = -1;
  ttl = -1;
  routeDst = -1;
  ipProto = -1;
  srcPort = -1;
  dstPort = -1;
  tcpFlags = -1;
  tail = "";
  lineHold = -1;
  lineHoldLayers = -1;
  frameEnd = -1;
  lineOnly = false;
  layers: string[] = [];
  protoName = "";
  truncated = false;
  malformed = false;
  malformedReason = "";
  bug: string | null = null;
  pdus: Pdu[] | null = null;
  pduProto: Protocol | null = null;
  noNode = false;
  decrypted: { data: Uint8Array; proto: Protocol }[] | null = null;
  plaintexts: Uint8Array[] | null = null;
  state = new Map<string, unknown>();
  /** the one reused handoff record */
  private h: Handoff = { table: "", key: 0, key2: undefined, line: null, data: null, start: 0, end: 0, map: null };
  constructor(public opts: DissectOptions) {
    this.line = this.own;
  }
  /** Writes this packet's line at the end of `into` (the caller's output), or in its own line (null). */
  lineTo(into: Line | null): void {
    if (into) {
      this.line = into;
      this.lineStart = into.n;
    } else {
      this.line = this.own;
      this.own.reset();
      this.lineStart = 0;
    }
  }
  next(table: string, key: number | string, key2?: number): Handoff {
    this.h.table = table;
    this.h.key = key;
    this.h.key2 = key2;
    this.h.line = null;
    if (this.h.data) {
      this.h.data = null;
      this.h.map = null;
    }
    return this.h;
  }
  get info(): string {
    return this.line.text(this.lineStart);
  }
  /** Replaces the line (`ctx.info += x` appends through text(): fine off the hot paths, which write to line). */
  set info(v: string) {
    this.line.cut(this.lineStart);
    this.line.s(v);
  }
  markMalformed(reason: string): void {
    this.malformed = true;
    if (!this.malformedReason) this.malformedReason = reason;
  }
  resetPacket(): void {
    this.net = "";
    this.src = "";
    this.dst = "";
    this.src4 = -1;
    this.dst4 = -1;
    this.addrPrinted = false;
    this.fragmented = false;
    this.ip6Src = -1;
    this.ttl = -1;
    this.routeDst = -1;
    this.ipProto = -1;
    this.srcPort = -1;
    this.dstPort = -1;
    this.tcpFlags = -1;
    this.tail = "";
    this.lineHold = -1;
    this.lineHoldLayers = -1;
    this.frameEnd = -1;
    this.lineOnly = false;
    // pop, not length = 0: setting the length to 0 frees the array's storage, which every packet then allocates again
    while (this.layers.length) this.layers.pop();
    this.protoName = "";
    this.truncated = false;
    this.malformed = false;
    this.malformedReason = "";
    this.bug = null;
    this.pdus = null;
    this.pduProto = null;
    this.noNode = false;
    this.decrypted = null;
    this.plaintexts = null;
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

  constructor(opts: Partial<DissectOptions> = {}) {
    this.ctx = new PacketCtx({ verbose: opts.verbose ?? 0, quiet: opts.quiet ?? false, linkHeader: opts.linkHeader ?? false, reassembly: opts.reassembly ?? {}, summaryOnly: opts.summaryOnly ?? false });
    for (let i = 0; i <= MAX_DEPTH; i++) this.readers.push(new Reader());
  }

  /** The TCP reassembly state (src/stream/reassembly.ts) when a payload needed it: its counters and caps. */
  get reassembly(): Reassembly | undefined {
    return this.ctx.state.get("stream.reassembly") as Reassembly | undefined;
  }

  /** Forgets cross-packet state (a new file or capture). */
  resetState(): void {
    this.ctx.state.clear();
    this.lastData = null;
    this.reusable = Reuse.None;
  }

  /**
   * The packet dissected last (its bytes, where it starts, its frame number) and what its run left to reuse, so
   * that users of one Dissector (the printer and the plugins' packets of a CLI run) dissect each packet once:
   * asking again for the same packet returns the same result (a summary after a detail pass included). A
   * packet run again anyway (a detail pass after a summary, or into/dissectBytes) runs with ctx.again set.
   * `passes` counts the engine's runs (for tests and benchmarks).
   */
  private lastData: Uint8Array | null = null;
  private lastOffset = -1;
  private lastFrame = -1;
  private reusable = Reuse.None;
  private lastTree: TreeBuilder | null = null;
  passes = 0;
  /** the link type's dissector, looked up when the link type changes */
  private lastLinktype = -1;
  private linkProto: Protocol = DATA;

  /** Whether this packet is the last one; from now on it is. */
  private isLast(data: Uint8Array, offset: number, frame: number): boolean {
    const again = this.lastData === data && this.lastOffset === offset && this.lastFrame === frame;
    this.lastData = data;
    this.lastOffset = offset;
    this.lastFrame = frame;
    return again;
  }

  /** Summary pass: fills ctx (info line, addresses, layers). Allocates nothing but strings. */
  summary(b: PacketBatch, i: number, frame: number): Ctx {
    const again = this.isLast(b.data, b.offset[i], frame);
    if (again && this.reusable !== Reuse.None) return this.ctx;
    this.ctx.again = again;
    this.run(b.data, b.offset[i], b.caplen[i], b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, NULL_TREE, null);
    this.reusable = Reuse.Summary;
    return this.ctx;
  }

  /**
   * Summary pass that writes the line at the end of `out` (the printer's output buffer), saving a copy. ctx.info
   * reads it there until `out` is written to again; asking for this packet again dissects it again. A packet
   * already dissected (by a plugin, first) has its line copied.
   */
  summaryInto(b: PacketBatch, i: number, frame: number, out: Line): Ctx {
    const again = this.isLast(b.data, b.offset[i], frame);
    if (again && this.reusable !== Reuse.None) {
      out.line(this.ctx.own);
      return this.ctx;
    }
    this.ctx.again = again;
    this.run(b.data, b.offset[i], b.caplen[i], b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, NULL_TREE, out);
    this.reusable = Reuse.None;
    return this.ctx;
  }

  /** Detail pass: also builds the tree (new nodes for each packet; the same tree when asked again for it). */
  detail(b: PacketBatch, i: number, frame: number): DissectResult {
    const again = this.isLast(b.data, b.offset[i], frame);
    if (again && this.reusable === Reuse.Detail) return { ctx: this.ctx, tree: this.lastTree };
    this.ctx.again = again;
    const t = new TreeBuilder();
    this.run(b.data, b.offset[i], b.caplen[i], b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, t);
    this.reusable = Reuse.Detail;
    this.lastTree = t;
    return { ctx: this.ctx, tree: t };
  }

  /**
   * Detail pass into a sink of the caller's (the -T json writer records fields without a tree). Nothing is
   * kept for a later pass: asking for this packet again dissects it again (with ctx.again set).
   */
  into(b: PacketBatch, i: number, frame: number, sink: LayerSink): Ctx {
    this.ctx.again = this.isLast(b.data, b.offset[i], frame);
    this.reusable = Reuse.None;
    this.run(b.data, b.offset[i], b.caplen[i], b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, sink);
    return this.ctx;
  }

  /** Dissects raw bytes (library use: one packet). */
  dissectBytes(data: Uint8Array, linktype: number, opts: { wirelen?: number; tsSec?: number; tsNsec?: number; frame?: number; tree?: boolean } = {}): DissectResult {
    this.ctx.again = this.isLast(data, 0, opts.frame ?? 1);
    this.reusable = Reuse.None;
    const t = opts.tree ? new TreeBuilder() : null;
    this.run(data, 0, data.length, opts.wirelen ?? data.length, linktype, opts.tsSec ?? 0, opts.tsNsec ?? 0, opts.frame ?? 1, t ?? NULL_TREE);
    return { ctx: this.ctx, tree: t };
  }

  /** the highest frame dissected with a tree (ctx.late) */
  private treeHigh = -1;

  private run(data: Uint8Array, off: number, caplen: number, wirelen: number, linktype: number, sec: number, nsec: number, frame: number, t: TreeSink, into: Line | null = null): void {
    if (t.on) {
      if (this.ctx.opts.summaryOnly) throw new Error("a summary-only Dissector was asked for a packet's tree");
      this.ctx.late = frame < this.treeHigh;
      if (frame > this.treeHigh) this.treeHigh = frame;
    } else this.ctx.late = false;
    this.walk(data, off, caplen, wirelen, linktype, sec, nsec, frame, t, into);
    if (this.ctx.lineHold >= 0) {
      // a layer tcpdump does not decode: the line stops where it did (the tree keeps what followed)
      this.ctx.line.cut(this.ctx.lineHold);
      this.ctx.tail = "";
    }
    if (this.ctx.tail !== "") this.ctx.line.s(this.ctx.tail);
    if (this.ctx.pdus && t.on) this.dissectPdus(t as LayerSink);
    if (this.ctx.decrypted && t.on) this.dissectDecrypted(t as LayerSink);
  }

  /** A scratch line for the PDUs' dissection: the frame's line stays tcpdump's, segment by segment. */
  private pduLine = new Line();
  private pduSink = new PduSink();

  /** The PDUs TCP reassembly completed in this frame, each dissected into the tree over its own bytes. */
  private dissectPdus(t: LayerSink): void {
    const ctx = this.ctx;
    const pdus = ctx.pdus!;
    const proto = ctx.pduProto!;
    ctx.pdus = null;
    const line = ctx.line;
    const start = ctx.lineStart;
    const tail = ctx.tail;
    ctx.line = this.pduLine;
    ctx.lineStart = 0;
    const sink = this.pduSink.over(t, this.pduBase);
    const layers = ctx.layers;
    const base = layers.length;
    let firstEnd = -1;
    try {
      for (const pdu of pdus) {
        this.pduLine.reset();
        const r = this.readers[0].reset(pdu.data, 0, pdu.data.length, pdu.data.length);
        const mark = layers.length;
        this.layers(proto, r, pdu.data, 0, sink, sink);
        if (firstEnd < 0) firstEnd = layers.length;
        else if (layers.length - mark <= firstEnd - base && layers.slice(mark).every((id, i) => id === layers[base + i])) layers.length = mark;
        // (a PDU whose layers repeat the first one's is listed once in frame.protocols, as tshark's "tcp:tls")
      }
    } finally {
      ctx.line = line;
      ctx.lineStart = start;
      ctx.tail = tail;
    }
  }
  /** Plaintext decrypted in this frame (TLS), each dissected into the tree over its own bytes. */
  private dissectDecrypted(t: LayerSink): void {
    const ctx = this.ctx;
    const line = ctx.line;
    const start = ctx.lineStart;
    const tail = ctx.tail;
    ctx.line = this.pduLine;
    ctx.lineStart = 0;
    const sink = this.pduSink.over(t, this.pduBase);
    try {
      for (let i = 0; i < ctx.decrypted!.length && i < 4096; i++) {
        const d = ctx.decrypted![i];
        this.pduLine.reset();
        const r = this.readers[0].reset(d.data, 0, d.data.length, d.data.length);
        this.layers(d.proto, r, d.data, 0, sink, sink);
      }
    } finally {
      ctx.decrypted = null;
      ctx.line = line;
      ctx.lineStart = start;
      ctx.tail = tail;
    }
  }
  /** where the TCP payload starts in the frame: the PDUs' tree nodes point there */
  pduBase = 0;

  private walk(data: Uint8Array, off: number, caplen: number, wirelen: number, linktype: number, sec: number, nsec: number, frame: number, t: TreeSink, into: Line | null): void {
    const ctx = this.ctx;
    this.passes++;
    this.pduBase = 0;
    ctx.resetPacket();
    ctx.lineTo(into);
    ctx.frame = frame;
    ctx.linktype = linktype;
    ctx.caplen = caplen;
    ctx.wirelen = wirelen;
    ctx.tsSec = sec;
    ctx.tsNsec = nsec;
    const tb = t.on ? (t as LayerSink) : null;
    const r = this.readers[0].reset(data, off, off + caplen, off + (wirelen > caplen ? wirelen : caplen));
    if (linktype !== this.lastLinktype) {
      this.lastLinktype = linktype;
      this.linkProto = lookup("linktype", linktype) ?? UNKNOWN_LINK;
    }
    this.layers(this.linkProto, r, data, 0, t, tb);
  }

  /**
   * The loop over layers from protocol `p` at reader `r` (over `data`). lineOnly: the layers write the line
   * only (not the tree, nor ctx.layers).
   */
  private layers(first: Protocol, r: Reader, data: Uint8Array, depth0: number, t: TreeSink, tb: LayerSink | null, lineOnly = false): void {
    const ctx = this.ctx;
    let p: Protocol | undefined = first;
    // after TCP reassembly took the payload, the segment's layers write the line only: the PDUs' layers
    // (dissected after) are the frame's protocols
    let segmentOnly = lineOnly;
    for (let depth = depth0; p && depth < MAX_DEPTH; depth++) {
      if (!segmentOnly) ctx.layers.push(p.id);
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
      if (ctx.lineHold >= 0 && ctx.lineHoldLayers < 0) ctx.lineHoldLayers = ctx.layers.length;
      if (ctx.noNode) {
        ctx.noNode = false;
        if (h && tb?.dropProto) tb.dropProto();
      }
      if (ctx.pdus && tb) {
        // TCP reassembly took the payload: the segment's next layers write the line only
        this.pduBase = tb instanceof MapSink ? tb.at(r.pos) : r.pos;
        t = NULL_TREE;
        tb = null;
        segmentOnly = true;
      }
      if (ctx.lineOnly && tb) {
        // a payload tshark does not decode: the next layers write the line only (the summary pass, which has
        // no tree, lists them in ctx.layers: the line's protocols)
        t = NULL_TREE;
        tb = null;
        segmentOnly = true;
      }
      if (r.malformed) ctx.markMalformed(`${p.name}: a length field points past the end of the data`);
      if (r.truncated) {
        ctx.truncated = true;
        ctx.line.s(" [|").s(p.truncName ?? p.id).c(0x5d);
        return;
      }
      if (!h) {
        // No handoff: anything left is this layer's payload, shown as data in the tree only.
        if (tb && r.remaining > 0 && p !== DATA) {
          tb.openProto("data", `Data (${r.remaining} bytes)`, r.pos).length = r.remaining;
        }
        return;
      }
      const line = h.line;
      let nr: Reader;
      if (h.data) {
        // the layer hands on a buffer of its own: the next layers read it, their tree nodes mapped onto the frame
        const d = h.data;
        nr = this.readers[depth + 1].reset(d, h.start ?? 0, h.end ?? d.length, h.end ?? d.length);
        if (tb) {
          tb = new MapSink(tb, h.map ?? null, tb instanceof MapSink ? tb.at(r.pos) : r.pos);
          t = tb;
        }
        data = d;
      } else {
        // nothing left to hand on, unless the next protocol prints its cut marker even then (tcpdump's PIM)
        // (only IP protocols ask for it, and UDP's empty payloads, rare: tcpdump gives a length of 0 to the
        // port's printer; TCP's empty payloads cost no lookup)
        if (r.pos >= r.rep && r.remaining === 0 && !(h.table === "udp.port" || (h.table === "ip.proto" && lookup(h.table, h.key)?.onEmpty))) return;
        nr = this.readers[depth + 1].reset(data, r.pos, r.cap, r.rep, r.capPastRep);
      }
      p = this.pick(h, nr);
      if (line && line !== p) {
        // tcpdump prints another protocol here than the table picks: it writes the line, the table's pick the tree
        if (!tb) p = line;
        else {
          const pos = nr.pos,
            cap = nr.cap,
            rep = nr.rep;
          this.layers(line, nr, data, depth + 1, NULL_TREE, null, true);
          this.treeOnly(p, this.readers[depth + 1].reset(data, pos, cap, rep), data, depth + 1, t, tb);
          return;
        }
      }
      r = nr;
    }
  }

  /** A scratch line for layers that make the tree only (see treeOnly). */
  private altLine = new Line();

  /** The layers from `p` into the tree, their line text dropped (another printer wrote the line). */
  private treeOnly(p: Protocol, r: Reader, data: Uint8Array, depth: number, t: TreeSink, tb: LayerSink): void {
    const ctx = this.ctx;
    const line = ctx.line,
      start = ctx.lineStart,
      tail = ctx.tail,
      hold = ctx.lineHold,
      holdLayers = ctx.lineHoldLayers;
    ctx.line = this.altLine;
    this.altLine.reset();
    ctx.lineStart = 0;
    ctx.lineHold = -1;
    try {
      this.layers(p, r, data, depth, t, tb);
    } finally {
      ctx.line = line;
      ctx.lineStart = start;
      ctx.tail = tail;
      ctx.lineHold = hold;
      ctx.lineHoldLayers = holdLayers;
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
