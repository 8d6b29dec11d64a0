/**
 * One packet for library users and plugins: timestamps, lengths, link type, the bytes, and its layers,
 * dissected lazily and only as far as asked.
 *
 * Cost model (the reason for the two levels): the constructor only records where the packet is. The first
 * address/port getter (`ip`, `tcp`, `udp`, `ipv6`, `layers`, `summary()`) runs the engine's cheap summary
 * pass (no tree); `get()`, `getAll()`, `has()` on a field, `dns`, `http`, `tcp.flags`, `tree()` and
 * `toJSON()` run the detail pass once and index its tree. Both results are cached on the packet.
 *
 * Borrowed bytes: a packet handed to a callback (`prn`, `onPacket`) is a view of the capture's reused batch
 * buffer (live or file). It is valid during the callback only; `clone()` copies it (bytes and whatever was
 * already dissected) to keep it. Packets from `capture()`, and those `sniff()` stores, are clones already.
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
  constructor(o: { dissector?: Dissector; interfaces?: boolean } = {}) {
    this.shared = !!o.dissector;
    this.dissector = o.dissector ?? new Dissector();
    this.frames = new FrameBuilder(!!o.interfaces);
  }
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
  /** first and previous packet times, for frame.time_relative / time_delta (packets in capture order) */
  firstSec = NaN;
  firstNsec = 0;
  prevSec = NaN;
  prevNsec = 0;
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
}

interface Detail {
  roots: TreeNode[];
  index: Map<string, TreeNode[]>;
  view: PacketView;
}

class TcpView implements TcpInfo {
  constructor(
    private p: Packet,
    readonly srcport: number,
    readonly dstport: number,
  ) {}
  get flags(): number {
    return Number(this.p.get("tcp.flags") ?? 0);
  }
}

export class Packet {
  private light: Light | null = null;
  private detailed: Detail | null = null;
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

  /**
   * The captured bytes. For a packet handed to a callback this is a view of the capture's buffer, valid during
   * the callback only: clone() the packet to keep it.
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
  get ts(): number {
    return this.tsSec + this.tsNsec / 1e9;
  }

  /** A copy that owns its bytes and can be kept after the callback. */
  clone(): Packet {
    const p = new Packet(this.data.slice(), this.len, this.linktype, this.tsSec, this.tsNsec, this.frame, this.context);
    p.light = this.light;
    p.iface = this.iface;
    p.firstSec = this.firstSec;
    p.firstNsec = this.firstNsec;
    p.prevSec = this.prevSec;
    p.prevNsec = this.prevNsec;
    // A tree made over the batch points at batch offsets: the clone dissects again when asked.
    if (this.detailed && !this.batch) p.detailed = { ...this.detailed, view: { ...this.detailed.view, data: p.data } };
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
    return (this.detailed = { roots, index: indexTree(roots), view });
  }

  /** protocol ids of the layers, e.g. ["eth", "ip", "udp", "dns"] */
  get layers(): readonly string[] {
    return this.summaryPass().layers;
  }

  /** First value of a field ("dns.qry.name", "ip.ttl"), or undefined. */
  get(name: string): FieldValue | undefined {
    const n = this.detail().index.get(name);
    return n ? n[0].value : undefined;
  }
  /** Every value of a field, in tree order ([] when absent). */
  getAll(name: string): FieldValue[] {
    const n = this.detail().index.get(name);
    return n ? n.map((x) => x.value) : [];
  }
  /** True when a protocol ("dns") is among the layers or a field ("tcp.flags.syn") is present. */
  has(name: string): boolean {
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
    return l.tcp ? new TcpView(this, l.srcPort, l.dstPort) : undefined;
  }
  get udp(): PortsInfo | undefined {
    const l = this.summaryPass();
    return l.udp ? { srcport: l.srcPort, dstport: l.dstPort } : undefined;
  }
  get dns(): DnsInfo | undefined {
    if (!this.summaryPass().layers.includes("dns")) return undefined;
    const q = this.get("dns.qry.name");
    const answers = [...this.getAll("dns.a"), ...this.getAll("dns.aaaa"), ...this.getAll("dns.cname")].map(String);
    return { qryName: q === undefined ? undefined : String(q), response: this.get("dns.flags.response") === true || this.get("dns.flags.response") === 1, answers };
  }
  get http(): HttpInfo | undefined {
    if (!this.summaryPass().layers.includes("http")) return undefined;
    const s = (n: string) => {
      const v = this.get(n);
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
  };
}
