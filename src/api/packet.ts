/**
 * One packet for library users and plugins: timestamps, lengths, link type, the bytes, and its layers,
 * dissected lazily and only as far as asked.
 *
 * Cost model (the reason for the two levels): the constructor only records where the packet is. The first
 * address/port getter (`ip`, `tcp`, `udp`, `ipv6`, `layers`, `summary()`) runs the engine's cheap summary
 * pass (no tree; `tcp.flags` too); `get()`, `getAll()`, `has()` on a field, `dns`, `http`, `layer()`, `payload`, `tree()` and
 * `toJSON()` run the detail pass once and index its tree (cached while borrowed; see "Stored packets" below).
 *
 * Borrowed bytes: a packet handed to a callback (`prn`, `onPacket`) starts as a view of the capture's reused
 * batch buffer (live or file), with no copy. Such packets are leased (BatchLease): when the batch ends, before
 * its buffer is reused, the packets handed out of it are detached onto one copy of the part of the buffer
 * they use (one allocation per batch, not per packet), so a packet kept past its callback
 * (`prn: p => kept.push(p)`) stays valid and reads the same data. `clone()` still makes a packet of its own
 * bytes (cheapest to keep when only a few packets of each batch are kept). Packets from `capture()` and
 * those `sniff()` stores are clones.
 *
 * Stored packets and memory: a packet keeps its summary-pass result (addresses, ports, TCP flags, layers,
 * line: a few small strings) but never its detail tree: the detail tree of the packet asked last is cached
 * by its PacketContext (one per capture), so repeated get()s on one packet dissect it once and a million
 * stored packets hold no trees. `dns` and `http` are small objects cached on the packet once made.
 */
import type { PacketBatch } from "../capture/batch.js";
import { Dissector } from "../dissectors/index.js";
import type { TreeNode } from "../dissectors/tree.js";
import type { Ctx, FieldValue } from "../dissectors/types.js";
import { FrameBuilder, timeText } from "../output/frame.js";
import { packetObject } from "../output/json.js";
import { detailText } from "../output/detail.js";
import { indexTree, type PacketView } from "../output/view.js";
import { TimeFormatter } from "../output/time.js";
import { termSafe } from "../output/escape.js";
import type { ProcInfo } from "../proc/types.js";
import type { FieldName, FieldTypes, LayerName } from "./fields.generated.js";

export type { FieldName, FieldTypes, LayerName };

export interface IpInfo {
  src: string;
  dst: string;
  /** IP protocol number / next header (-1 when unknown) */
  proto: number;
}
export interface PortsInfo {
  srcport: number;
  dstport: number;
}
export interface TcpInfo extends PortsInfo {
  /** the TCP flags byte(s) (tcp.flags), e.g. 0x002 for SYN */
  readonly flags: number;
}
export interface DnsInfo {
  /** first query name (dns.qry.name) */
  qryName: string | undefined;
  /** true for a response (dns.flags.response) */
  response: boolean;
  /** answers' addresses and names (dns.a, dns.aaaa, dns.cname) */
  answers: string[];
}
export interface HttpInfo {
  method: string | undefined;
  host: string | undefined;
  uri: string | undefined;
  /** response status code */
  code: number | undefined;
}

/**
 * Dissection shared by the packets of one capture: one Dissector (its cross-packet state, such as TCP relative
 * sequence numbers, sees packets in the order they are dissected), one frame builder, one time formatter.
 */
export class PacketContext {
  readonly dissector: Dissector;
  /** a dissector given to share (the CLI's printer's) */
  private shared: boolean;
  private own: Dissector | undefined;

  /**
   * `dissector`: one shared with other users of the same packets (the CLI's printer), so each packet is
   * dissected once; by default the context has its own. `interfaces`: the source describes its interfaces
   * (pcapng, live), so frame.interface_id is on every packet, as -T json has it.
   */
  constructor(o: { dissector?: Dissector; interfaces?: boolean; names?: readonly string[] } = {}) {
    this.shared = !!o.dissector;
    this.dissector = o.dissector ?? new Dissector();
    this.frames = new FrameBuilder(!!o.interfaces, o.names);
    this.ifaceNames = o.names;
  }
  /** the sources' names by interface index, when they are known to packets (remote sources: "web1:eth0") */
  readonly ifaceNames?: readonly string[];
  /**
   * For packets that hold their own bytes (clones, kept by asynchronous plugins): with a shared dissector they
   * may be dissected out of the capture's order, which must not disturb the sharer's cross-packet state
   * (relative sequence numbers), so they get a dissector of their own with the same options.
   */
  get bytesDissector(): Dissector {
    return this.shared ? (this.own ??= new Dissector(this.dissector.ctx.opts)) : this.dissector;
  }
  readonly frames: FrameBuilder;
  readonly time = new TimeFormatter("default", false);
  /** the detail tree of the packet asked last (packets do not keep theirs: see Packet) */
  lastDetailOf: Packet | null = null;
  lastDetail: unknown = null;
  /** first and previous packet times, for frame.time_relative / time_delta (packets in capture order) */
  firstSec = NaN;
  firstNsec = 0;
  prevSec = NaN;
  prevNsec = 0;
}

/**
 * The packets handed out of one batch (sniff's callbacks, plugins): detach() at the end of the batch gives
 * them their bytes before the batch buffer is reused. Few packets of a batch: a copy each; many: one copy of
 * the span they cover, which they share (a kept packet then keeps that span alive: clone() keeps only its own).
 */
export class BatchLease {
  private list: Packet[] = [];
  /** packets detached so far and bytes copied (for tests and benchmarks) */
  detached = 0;
  copiedBytes = 0;
  add(p: Packet): Packet {
    this.list.push(p);
    return p;
  }
  /** Call at the end of the batch `b` (before its buffer is reused). */
  detach(b: PacketBatch): void {
    const l = this.list;
    if (l.length === 0) return;
    let lo = Infinity;
    let hi = 0;
    let sum = 0;
    for (const p of l) {
      const r = p.borrowedRange(b);
      if (!r) continue;
      if (r[0] < lo) lo = r[0];
      if (r[1] > hi) hi = r[1];
      sum += r[1] - r[0];
    }
    if (sum === 0 && hi === 0) {
      for (const p of l) p.borrowedRange(b) && p.detachOnto(new Uint8Array(0), 0);
    } else if (sum * 2 < hi - lo) {
      // sparse: each packet its own bytes
      for (const p of l) {
        const r = p.borrowedRange(b);
        if (!r) continue;
        p.detachOnto(copyBytes(b.data, r[0], r[1]), r[0]);
        this.copiedBytes += r[1] - r[0];
      }
    } else {
      const copy = copyBytes(b.data, lo, hi);
      this.copiedBytes += hi - lo;
      for (const p of l) if (p.borrowedRange(b)) p.detachOnto(copy, lo);
    }
    this.detached += l.length;
    l.length = 0;
  }
}

/**
 * A copy of bytes [from, to): never Buffer's slice(), which is a view of the same memory (live and merged
 * batches are Buffers), so a "copy" made with it changes when the capture reuses its buffer.
 */
function copyBytes(data: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(data.subarray(from, to));
  return out;
}

let defaultContext: PacketContext | undefined;
function ctxOrDefault(c?: PacketContext): PacketContext {
  return c ?? (defaultContext ??= new PacketContext());
}

/** What the summary pass gives: copied out of the engine's reused Ctx. */
interface Light {
  info: string;
  net: string;
  src: string;
  dst: string;
  ipProto: number;
  srcPort: number;
  dstPort: number;
  layers: string[];
  tcp: boolean;
  udp: boolean;
  /** tcp.flags (12 bits) from the summary pass; -1 without TCP */
  tcpFlags: number;
}

interface Detail {
  roots: TreeNode[];
  index: Map<string, TreeNode[]>;
  view: PacketView;
}

/** One layer of a packet: where its header is, and its payload (what follows the header), as bytes. */
export interface LayerView {
  /** protocol id ("tcp") */
  readonly id: string;
  /** offset of the layer's header in the packet's bytes */
  readonly offset: number;
  /** length of the header as dissected (the protocol node's length) */
  readonly length: number;
  /** the header's bytes (a view of the packet's bytes) */
  readonly header: Uint8Array;
  /** the bytes after the header to the end of the captured packet (a view of the packet's bytes) */
  readonly payload: Uint8Array;
}

export class Packet {
  private light: Light | null = null;
  /** the detail of a borrowed packet (the batch path); owned-bytes packets use the context's one-slot cache */
  private detailed: Detail | null = null;
  private dnsInfo: DnsInfo | null | undefined;
  private httpInfo: HttpInfo | null | undefined;
  /** times of the capture's first packet and of the previous one (set by fromBatch) */
  private firstSec = NaN;
  private firstNsec = 0;
  private prevSec = NaN;
  private prevNsec = 0;
  /**
   * A borrowed packet keeps its batch and slot instead of a view: no per-packet typed array unless `data` is
   * read (views are what made the garbage collector busy at a million packets).
   */
  private batch: PacketBatch | null = null;
  private index = 0;
  private bytes: Uint8Array | null;
  /** captured length */
  readonly caplen: number;
  /** the interface it was captured on: its index in a pcapng file's interfaces or among several -i (0 otherwise) */
  iface = 0;
  /**
   * The process that sent or received it (process-aware capture: --proc, --pid, ...; a pcapng file's process
   * comments), undefined when unknown or not asked for. docs/PROCESS.md.
   */
  proc?: ProcInfo;

  constructor(
    /** the packet's captured bytes */
    data: Uint8Array | null,
    /** original (on-the-wire) length */
    readonly len: number,
    /** link type (LINKTYPE_ value: 1 = Ethernet, 113 = Linux SLL, ...) */
    readonly linktype: number,
    /** whole seconds since the epoch */
    readonly tsSec: number,
    /** nanoseconds within the second */
    readonly tsNsec: number,
    /** frame number in its capture, from 1 */
    readonly frame = 0,
    private context?: PacketContext,
    caplen?: number,
  ) {
    this.bytes = data;
    this.caplen = data ? data.length : caplen ?? 0;
  }

  /** A borrowed packet over slot i of a batch (no copy). */
  static fromBatch(b: PacketBatch, i: number, frame: number, context?: PacketContext): Packet {
    const p = new Packet(null, b.wirelen[i], b.linktype[i], b.tsSec[i], b.tsNsec[i], frame, context, b.caplen[i]);
    p.batch = b;
    p.index = i;
    p.iface = b.iface[i];
    if (context) {
      if (Number.isNaN(context.firstSec)) {
        context.firstSec = context.prevSec = p.tsSec;
        context.firstNsec = context.prevNsec = p.tsNsec;
      }
      p.firstSec = context.firstSec;
      p.firstNsec = context.firstNsec;
      p.prevSec = context.prevSec;
      p.prevNsec = context.prevNsec;
      context.prevSec = p.tsSec;
      context.prevNsec = p.tsNsec;
    }
    return p;
  }

  /** A packet from raw bytes (e.g. to dissect a frame built by hand). */
  static fromBytes(data: Uint8Array, o: { linktype?: number; len?: number; tsSec?: number; tsNsec?: number; frame?: number } = {}): Packet {
    return new Packet(data, o.len ?? data.length, o.linktype ?? 1, o.tsSec ?? 0, o.tsNsec ?? 0, o.frame ?? 0);
  }

  /** [start, end) of this packet's bytes in `b`'s buffer when it is borrowed from `b`, else null. */
  borrowedRange(b: PacketBatch): [number, number] | null {
    if (this.batch !== b) return null;
    const off = b.offset[this.index];
    return [off, off + this.caplen];
  }

  /**
   * Stops borrowing: the packet's bytes are now `copy`, which holds the batch buffer's bytes from `base` on
   * (BatchLease). A tree made over the batch is dropped (dissected again when asked).
   */
  detachOnto(copy: Uint8Array, base: number): void {
    const b = this.batch;
    if (!b) return;
    // Handed out in capture order: the summary pass runs now, in that order, so the state it keeps across
    // packets (conversations, relative numbers) reads as it does in a capture, whenever the packet is asked later.
    if (!this.light) this.summaryPass();
    const off = b.offset[this.index] - base;
    this.bytes = copy.subarray(off, off + this.caplen);
    this.batch = null;
    this.detailed = null;
  }

  /** True while the packet is a view of a batch buffer the capture will reuse. */
  get borrowed(): boolean {
    return this.batch !== null;
  }

  /**
   * The captured bytes. For a packet handed to a callback this is at first a view of the capture's buffer;
   * once the batch ends it is a copy (see BatchLease).
   */
  get data(): Uint8Array {
    if (!this.bytes) {
      const b = this.batch!;
      const off = b.offset[this.index];
      this.bytes = b.data.subarray(off, off + this.caplen);
    }
    return this.bytes;
  }

  /** timestamp in seconds (float; microsecond precision survives, nanoseconds may not) */
  /** the name of the source it came from ("web1:eth0" for -i ssh://web1/eth0), when the capture has remote sources */
  get ifaceName(): string | undefined {
    return this.context?.ifaceNames?.[this.iface];
  }

  get ts(): number {
    return this.tsSec + this.tsNsec / 1e9;
  }

  /** A copy that owns its bytes and can be kept after the callback. */
  clone(): Packet {
    // A borrowed packet is cloned in capture order (in its callback): its summary pass runs now (see detachOnto).
    if (!this.light && this.batch) this.summaryPass();
    const p = new Packet(copyBytes(this.data, 0, this.caplen), this.len, this.linktype, this.tsSec, this.tsNsec, this.frame, this.context);
    p.light = this.light;
    p.iface = this.iface;
    p.proc = this.proc;
    p.firstSec = this.firstSec;
    p.firstNsec = this.firstNsec;
    p.prevSec = this.prevSec;
    p.prevNsec = this.prevNsec;
    p.dnsInfo = this.dnsInfo;
    p.httpInfo = this.httpInfo;
    return p;
  }

  private summaryPass(): Light {
    if (this.light) return this.light;
    const c = ctxOrDefault(this.context);
    const ctx = this.batch
      ? c.dissector.summary(this.batch, this.index, this.frame)
      : c.bytesDissector.dissectBytes(this.bytes!, this.linktype, { wirelen: this.len, tsSec: this.tsSec, tsNsec: this.tsNsec, frame: this.frame }).ctx;
    return (this.light = copyLight(ctx));
  }

  private detail(): Detail {
    if (this.detailed) return this.detailed;
    const c = ctxOrDefault(this.context);
    if (!this.batch && c.lastDetailOf === this) return c.lastDetail as Detail;
    let data: Uint8Array;
    let start = 0;
    let r;
    if (this.batch) {
      r = c.dissector.detail(this.batch, this.index, this.frame);
      data = this.batch.data;
      start = this.batch.offset[this.index];
    } else {
      data = this.bytes!;
      r = c.bytesDissector.dissectBytes(data, this.linktype, { wirelen: this.len, tsSec: this.tsSec, tsNsec: this.tsNsec, frame: this.frame, tree: true });
    }
    const { ctx, tree } = r;
    this.light ??= copyLight(ctx);
    const fnode = c.frames.build(ctx, start, tree!.roots, this.iface);
    // The shared builder saw packets in the order they were dissected; the relative times are the capture's.
    const fs = Number.isNaN(this.firstSec) ? this.tsSec : this.firstSec;
    const fn = Number.isNaN(this.firstSec) ? this.tsNsec : this.firstNsec;
    const ps = Number.isNaN(this.prevSec) ? this.tsSec : this.prevSec;
    const pn = Number.isNaN(this.prevSec) ? this.tsNsec : this.prevNsec;
    for (const n of fnode.children ?? []) {
      if (n.name === "frame.time_delta") n.value = timeText(this.tsSec - ps, this.tsNsec - pn);
      else if (n.name === "frame.time_relative") n.value = timeText(this.tsSec - fs, this.tsNsec - fn);
      else continue;
      n.display = `${n.value} seconds`;
    }
    const roots = [fnode, ...tree!.roots];
    // The view's ctx is a snapshot: the engine's Ctx is reused by the next packet.
    const snap = { ...ctx, layers: ctx.layers.slice() } as Ctx;
    const view: PacketView = { roots, data, start, end: start + this.caplen, ctx: snap };
    const d = { roots, index: indexTree(roots), view };
    if (this.batch) return (this.detailed = d);
    // Owned bytes (stored, cloned, detached): the context keeps the last tree, the packet none.
    c.lastDetailOf = this;
    c.lastDetail = d;
    return d;
  }

  /** protocol ids of the layers, e.g. ["eth", "ip", "udp", "dns"] */
  get layers(): readonly LayerName[] {
    return this.summaryPass().layers as LayerName[];
  }

  /**
   * First value of a field ("dns.qry.name", "ip.ttl"), or undefined. The name is a FieldName (generated from
   * the dissectors: a misspelled name does not compile) and the result has the field's value type.
   * tcp.flags, the ports and addresses come from the cheap pass when read through `tcp`, `udp`, `ip`.
   */
  get<N extends FieldName>(name: N): FieldTypes[N] | undefined {
    return this.getDynamic(name) as FieldTypes[N] | undefined;
  }
  /** Every value of a field, in tree order ([] when absent). */
  getAll<N extends FieldName>(name: N): FieldTypes[N][] {
    return this.getAllDynamic(name) as FieldTypes[N][];
  }
  /** get() for a field name known only at run time (a string from the user): untyped. */
  getDynamic(name: string): FieldValue | undefined {
    const n = this.detail().index.get(name);
    return n ? n[0].value : undefined;
  }
  /** getAll() for a field name known only at run time. */
  getAllDynamic(name: string): FieldValue[] {
    const n = this.detail().index.get(name);
    return n ? n.map((x) => x.value) : [];
  }
  /** True when a protocol ("dns") is among the layers or a field ("tcp.flags.syn") is present. */
  has(name: FieldName | LayerName | (string & {})): boolean {
    if (!name.includes(".")) return this.summaryPass().layers.includes(name);
    return this.detail().index.has(name);
  }

  get ip(): IpInfo | undefined {
    const l = this.summaryPass();
    return l.net === "IP" ? { src: l.src, dst: l.dst, proto: l.ipProto } : undefined;
  }
  get ipv6(): IpInfo | undefined {
    const l = this.summaryPass();
    return l.net === "IP6" ? { src: l.src, dst: l.dst, proto: l.ipProto } : undefined;
  }
  get tcp(): TcpInfo | undefined {
    const l = this.summaryPass();
    return l.tcp ? { srcport: l.srcPort, dstport: l.dstPort, flags: l.tcpFlags < 0 ? 0 : l.tcpFlags } : undefined;
  }
  get udp(): PortsInfo | undefined {
    const l = this.summaryPass();
    return l.udp ? { srcport: l.srcPort, dstport: l.dstPort } : undefined;
  }
  get dns(): DnsInfo | undefined {
    if (this.dnsInfo !== undefined) return this.dnsInfo ?? undefined;
    if (!this.summaryPass().layers.includes("dns")) return (this.dnsInfo = null) ?? undefined;
    const q = this.get("dns.qry.name");
    const answers = [...this.getAll("dns.a"), ...this.getAll("dns.aaaa"), ...this.getAll("dns.cname")].map(String);
    const r: unknown = this.get("dns.flags.response");
    return (this.dnsInfo = { qryName: q === undefined ? undefined : String(q), response: r === true || r === 1, answers });
  }
  get http(): HttpInfo | undefined {
    if (this.httpInfo !== undefined) return this.httpInfo ?? undefined;
    return (this.httpInfo = this.makeHttp() ?? null) ?? undefined;
  }
  private makeHttp(): HttpInfo | undefined {
    if (!this.summaryPass().layers.includes("http")) return undefined;
    const s = (n: FieldName) => {
      const v = this.getDynamic(n);
      return v === undefined || v === null ? undefined : String(v);
    };
    const code = this.get("http.response.code");
    return { method: s("http.request.method"), host: s("http.host"), uri: s("http.request.uri"), code: typeof code === "number" ? code : undefined };
  }

  /** tcpdump's one line (default time format, microseconds), as `tsniff -r` prints it, without the newline. */
  summary(): string {
    const l = this.summaryPass();
    return ctxOrDefault(this.context).time.format1(this.tsSec, this.tsNsec) + termSafe(l.info);
  }
  /** The protocol part of the line only (no time). */
  info(): string {
    return this.summaryPass().info;
  }
  /** The detail tree as `tsniff -V` prints it. */
  tree(): string {
    return detailText(this.detail().view);
  }
  /** The tree's nodes (frame node first). */
  nodes(): readonly TreeNode[] {
    return this.detail().roots;
  }
  /**
   * A layer's header and payload as bytes (views of the packet's bytes): `p.layer("tcp")?.payload` is the TCP
   * segment's data. The `nth` occurrence (0 first) for a protocol that appears more than once (tunnels).
   * undefined when the packet has no such layer.
   */
  layer(id: LayerName, nth = 0): LayerView | undefined {
    if (!this.summaryPass().layers.includes(id)) return undefined;
    const d = this.detail();
    const nodes = d.index.get(id)?.filter((n) => n.kind === "proto");
    const n = nodes?.[nth];
    if (!n) return undefined;
    const data = this.data;
    const off = Math.max(0, n.offset - d.view.start);
    const end = Math.min(data.length, off + n.length);
    return { id, offset: off, length: end - off, header: data.subarray(off, end), payload: data.subarray(end) };
  }

  /**
   * The payload of the innermost transport layer (TCP, UDP, ICMP, ICMPv6 data), else of the network layer,
   * as bytes (a view of the packet's bytes); an empty array when there is none.
   */
  get payload(): Uint8Array {
    const ls = this.summaryPass().layers;
    for (const id of ["tcp", "udp", "icmp", "icmpv6", "ip", "ipv6"] as const) {
      if (ls.includes(id)) return this.layer(id, ls.filter((x) => x === id).length - 1)?.payload ?? new Uint8Array(0);
    }
    return new Uint8Array(0);
  }

  /**
   * The plaintext of each TLS record decrypted in this packet (with a key log: the library's loadKeyLogFile
   * or addKeyLogText, --keylog for plugins, a pcapng file's secrets), in order; empty when none. Whole records: TCP reassembly gives
   * them on the packet that completes each. What HTTP/2 or HTTP/1.1 said is also in the fields
   * (p.get("http2.headers.path")).
   */
  get decrypted(): readonly Uint8Array[] {
    return this.detail().view.ctx.plaintexts ?? [];
  }

  /** The document `tsniff -T json` prints for this packet. */
  toJSON(): Record<string, unknown> {
    return packetObject(this.detail().view);
  }
}

function copyLight(ctx: Ctx): Light {
  return {
    info: ctx.info,
    net: ctx.net,
    src: ctx.src,
    dst: ctx.dst,
    ipProto: ctx.ipProto,
    srcPort: ctx.srcPort,
    dstPort: ctx.dstPort,
    layers: ctx.layers.slice(),
    tcp: ctx.layers.includes("tcp"),
    udp: ctx.layers.includes("udp"),
    tcpFlags: ctx.tcpFlags,
  };
}
