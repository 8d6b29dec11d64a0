/**
 * Capture statistics for the `c` view, computed in one pass of the library's summary dissection (run in
 * slices by the Model, with progress and Esc to stop):
 *
 *   conversations  like `tshark -z conv,tcp` and `-z conv,udp`: address and port of A (the first packet's
 *                  source) and B, frames and bytes each way, total, start relative to the first packet of the
 *                  capture, duration;
 *   hierarchy      like `tshark -z io,phs`: the tree of protocol layers with the frames and bytes of the
 *                  frames that hold each.
 *
 * Bytes are frame lengths on the wire, as tshark counts them.
 */
import { Dissector } from "../dissectors/index.js";
import { endpointsOf } from "./stream.js";

/** The conversation tables: Ethernet, IPv4, IPv6, TCP, UDP (tshark -z conv,eth / ip / ipv6 / tcp / udp). */
export type ConvType = "eth" | "ip" | "ipv6" | "tcp" | "udp";
export const CONV_TYPES: ConvType[] = ["eth", "ip", "ipv6", "tcp", "udp"];

export interface Conversation {
  type: ConvType;
  /** 6 or 17 for TCP and UDP, 0 for the others */
  proto: 6 | 17 | 0;
  aAddr: string;
  aPort: number;
  bAddr: string;
  bPort: number;
  /** -1 for Ethernet and IP */
  /** A→B and B→A */
  framesAB: number;
  bytesAB: number;
  framesBA: number;
  bytesBA: number;
  /** seconds since the capture's first packet: first and last frame */
  start: number;
  end: number;
}

export interface Endpoint {
  type: ConvType;
  addr: string;
  /** -1 for Ethernet and IP */
  port: number;
  packets: number;
  bytes: number;
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
}

function mac(b: Uint8Array, o: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i ? ":" : "") + (b[o + i] < 16 ? "0" : "") + b[o + i].toString(16);
  return s;
}

export interface PhsNode {
  name: string;
  frames: number;
  bytes: number;
  children: Map<string, PhsNode>;
}

/** What a worker's CaptureStats counted since its last delta (./filter-worker.ts). */
export interface StatsDelta {
  packets: number;
  /** conversations first seen since, whole */
  added: Conversation[];
  /** per changed older conversation: index, framesAB, bytesAB, framesBA, bytesBA, end */
  counts: Float64Array;
  phs: PhsNode;
}

export class CaptureStats {
  /** conversations in the order they were first seen */
  conversations: Conversation[] = [];
  /** conversations by key: their index in `conversations` */
  private byKey = new Map<string, number>();
  /** set in a worker thread: indices of the conversations counted since the last delta() */
  private touched: Set<number> | null = null;
  /** conversations sent by the last delta() */
  private sent = 0;
  /** apply(): address texts, one copy each */
  private addrs = new Map<string, string>();
  phs: PhsNode = { name: "", frames: 0, bytes: 0, children: new Map() };
  /** packets counted */
  packets = 0;
  private _dis: Dissector | null = null;
  /** (made on first use: a CaptureStats filled by a worker's deltas never dissects) */
  private get dis(): Dissector {
    return (this._dis ??= new Dissector());
  }
  private t0Sec = NaN;
  private t0Nsec = 0;

  /** Counts packet i (`sec`/`nsec` its time) whose captured bytes are given. */
  visit(bytes: Uint8Array, linktype: number, wirelen: number, sec: number, nsec: number, i: number): void {
    const ctx = this.dis.dissectBytes(bytes, linktype, { wirelen, tsSec: sec, tsNsec: nsec, frame: i + 1 }).ctx;
    // Cross-packet state (TCP relative sequence numbers) is not needed here and would grow with the capture.
    if ((this.packets & 4095) === 4095) this.dis.resetState();
    this.packets++;
    if (Number.isNaN(this.t0Sec)) {
      this.t0Sec = sec;
      this.t0Nsec = nsec;
    }
    const t = sec - this.t0Sec + (nsec - this.t0Nsec) / 1e9;
    // protocol hierarchy
    let node = this.phs;
    node.frames++;
    node.bytes += wirelen;
    const layers = ctx.layers;
    for (let l = 0; l < layers.length; l++) {
      const id = layers[l];
      let c = node.children.get(id);
      if (!c) node.children.set(id, (c = { name: id, frames: 0, bytes: 0, children: new Map() }));
      c.frames++;
      c.bytes += wirelen;
      node = c;
    }
    // conversations: Ethernet (the frame's own addresses), IP (the innermost header, as ctx has it), transport
    if (layers[0] === "eth" && bytes.length >= 12) this.count("eth", mac(bytes, 6), -1, mac(bytes, 0), -1, wirelen, t);
    let nIp = 0;
    let ipLayer = "";
    for (let l = 0; l < layers.length; l++)
      if (layers[l] === "ip" || layers[l] === "ipv6") {
        nIp++;
        ipLayer = layers[l];
      }
    if (nIp === 1) {
      if (ctx.src && ctx.dst) this.count(ipLayer as ConvType, ctx.src, -1, ctx.dst, -1, wirelen, t);
    } else if (nIp > 1) {
      // tunnels count each IP header, as Wireshark's taps do; the header an ICMP error quotes is not counted
      const roots = this.dis.dissectBytes(bytes, linktype, { wirelen, tree: true }).tree!.roots;
      for (const r of roots) {
        if (r.name === "icmp" || r.name === "icmpv6") break;
        if (r.name !== "ip" && r.name !== "ipv6") continue;
        const src = r.children?.find((c) => c.name === r.name + ".src")?.value;
        const dst = r.children?.find((c) => c.name === r.name + ".dst")?.value;
        if (typeof src === "string" && typeof dst === "string") this.count(r.name, src, -1, dst, -1, wirelen, t);
      }
      this.dis.dissectBytes(bytes, linktype, { wirelen, tsSec: sec, tsNsec: nsec, frame: i + 1 }); // ctx back to this packet's summary for endpointsOf
    }
    const e = endpointsOf(this.dis, bytes, linktype, wirelen);
    if (!e) return;
    this.count(e.ipProto === 6 ? "tcp" : "udp", e.src, e.srcPort, e.dst, e.dstPort, wirelen, t);
  }

  private count(type: ConvType, src: string, sp: number, dst: string, dp: number, wirelen: number, t: number): void {
    const fwd = src < dst || (src === dst && sp <= dp);
    const key = fwd ? `${type} ${src} ${sp} ${dst} ${dp}` : `${type} ${dst} ${dp} ${src} ${sp}`;
    let n = this.byKey.get(key);
    if (n === undefined) {
      n = this.conversations.length;
      this.byKey.set(key, n);
      this.conversations.push({ type, proto: type === "tcp" ? 6 : type === "udp" ? 17 : 0, aAddr: src, aPort: sp, bAddr: dst, bPort: dp, framesAB: 0, bytesAB: 0, framesBA: 0, bytesBA: 0, start: t, end: t });
    }
    const c = this.conversations[n];
    this.touched?.add(n);
    if (src === c.aAddr && sp === c.aPort) {
      c.framesAB++;
      c.bytesAB += wirelen;
    } else {
      c.framesBA++;
      c.bytesBA += wirelen;
    }
    if (t > c.end) c.end = t;
  }

  /**
   * In a worker thread: what changed since the last call, for apply() in the main thread (new conversations
   * whole, the counters of the others that changed, the hierarchy). The main thread then holds only the tables,
   * not the pass's dissector and key map.
   */
  delta(): StatsDelta {
    this.touched ??= new Set();
    const added = this.conversations.slice(this.sent);
    const old: number[] = [];
    for (const n of this.touched) if (n < this.sent) old.push(n);
    const counts = new Float64Array(old.length * 6);
    old.forEach((n, j) => {
      const c = this.conversations[n];
      counts.set([n, c.framesAB, c.bytesAB, c.framesBA, c.bytesBA, c.end], j * 6);
    });
    this.touched.clear();
    this.sent = this.conversations.length;
    return { packets: this.packets, added, counts, phs: this.phs };
  }

  /** In the main thread: a worker's delta(). */
  apply(d: StatsDelta): void {
    // made again as literals (one shape for all, where the cloned objects took ~330 bytes each), their
    // addresses shared (a few hosts in many conversations)
    const addr = (a: string) => {
      let t = this.addrs.get(a);
      if (t === undefined) this.addrs.set(a, (t = a));
      return t;
    };
    for (const c of d.added) {
      const { type, proto, aPort, bPort, framesAB, bytesAB, framesBA, bytesBA, start, end } = c;
      this.conversations.push({ type, proto, aAddr: addr(c.aAddr), aPort, bAddr: addr(c.bAddr), bPort, framesAB, bytesAB, framesBA, bytesBA, start, end });
    }
    const k = d.counts;
    for (let j = 0; j < k.length; j += 6) {
      const c = this.conversations[k[j]];
      c.framesAB = k[j + 1];
      c.bytesAB = k[j + 2];
      c.framesBA = k[j + 3];
      c.bytesBA = k[j + 4];
      c.end = k[j + 5];
    }
    this.phs = d.phs;
    this.packets = d.packets;
  }

  /** Endpoints of one table (tshark -z endpoints,...): each conversation's A and B, most packets first. */
  endpoints(type: ConvType): Endpoint[] {
    const cached = this.epCache.get(type);
    if (cached && cached.at === this.packets) return cached.rows;
    const m = new Map<string, Endpoint>();
    const get = (addr: string, port: number) => {
      const k = `${addr} ${port}`;
      let e = m.get(k);
      if (!e) m.set(k, (e = { type, addr, port, packets: 0, bytes: 0, txPackets: 0, txBytes: 0, rxPackets: 0, rxBytes: 0 }));
      return e;
    };
    for (const c of this.conversations) {
      if (c.type !== type) continue;
      const a = get(c.aAddr, c.aPort);
      const b = get(c.bAddr, c.bPort);
      a.txPackets += c.framesAB;
      a.txBytes += c.bytesAB;
      a.rxPackets += c.framesBA;
      a.rxBytes += c.bytesBA;
      b.txPackets += c.framesBA;
      b.txBytes += c.bytesBA;
      b.rxPackets += c.framesAB;
      b.rxBytes += c.bytesAB;
    }
    const rows = [...m.values()];
    for (const e of rows) {
      e.packets = e.txPackets + e.rxPackets;
      e.bytes = e.txBytes + e.rxBytes;
    }
    rows.sort((x, y) => y.packets - x.packets);
    this.epCache.set(type, { at: this.packets, rows });
    return rows;
  }
  private epCache = new Map<ConvType, { at: number; rows: Endpoint[] }>();

  /** Conversations of one table (a transport by its number, or a type), sorted as tshark sorts them (most frames first, then by start). */
  table(which: 6 | 17 | ConvType): Conversation[] {
    const type: ConvType = which === 6 ? "tcp" : which === 17 ? "udp" : which;
    const cached = this.sorted.get(type);
    if (cached && cached.at === this.packets) return cached.rows;
    const rows = this.conversations.filter((c) => c.type === type).sort((x, y) => y.framesAB + y.framesBA - (x.framesAB + x.framesBA) || x.start - y.start);
    this.sorted.set(type, { at: this.packets, rows });
    return rows;
  }
  private sorted = new Map<ConvType, { at: number; rows: Conversation[] }>();

  /** The hierarchy as lines (depth, node), children in the order first seen, as tshark prints them. */
  phsLines(): { depth: number; node: PhsNode }[] {
    const out: { depth: number; node: PhsNode }[] = [];
    const walk = (n: PhsNode, depth: number) => {
      for (const c of n.children.values()) {
        out.push({ depth, node: c });
        walk(c, depth + 1);
      }
    };
    walk(this.phs, 0);
    return out;
  }
}

/** Formats like tshark: bytes as "1365 bytes", start with 9 decimals, duration with 4. */
export function convCells(c: Conversation): string[] {
  return [
    c.aPort < 0 ? c.aAddr : `${c.aAddr}:${c.aPort}`,
    c.bPort < 0 ? c.bAddr : `${c.bAddr}:${c.bPort}`,
    String(c.framesBA),
    String(c.bytesBA),
    String(c.framesAB),
    String(c.bytesAB),
    String(c.framesAB + c.framesBA),
    String(c.bytesAB + c.bytesBA),
    c.start.toFixed(9),
    (c.end - c.start).toFixed(4),
  ];
}

/** An endpoints row: address (with the port for TCP and UDP), packets, bytes, Tx and Rx packets and bytes. */
export function endpointCells(e: Endpoint): string[] {
  return [e.port < 0 ? e.addr : `${e.addr}:${e.port}`, String(e.packets), String(e.bytes), String(e.txPackets), String(e.txBytes), String(e.rxPackets), String(e.rxBytes)];
}

/** The display filter that shows a conversation's packets (Wireshark's "Apply as Filter" for a conversation). */
export function convFilter(c: Conversation): string {
  const f = addrField(c.type, c.aAddr);
  if (c.aPort < 0) return `${f} == ${c.aAddr} && ${addrField(c.type, c.bAddr)} == ${c.bAddr}`;
  return `${f} == ${c.aAddr} && ${c.type}.port == ${c.aPort} && ${addrField(c.type, c.bAddr)} == ${c.bAddr} && ${c.type}.port == ${c.bPort}`;
}

/** The display filter that shows an endpoint's packets. */
export function endpointFilter(e: Endpoint): string {
  const f = `${addrField(e.type, e.addr)} == ${e.addr}`;
  return e.port < 0 ? f : `${f} && ${e.type}.port == ${e.port}`;
}

function addrField(type: ConvType, addr: string): string {
  if (type === "eth") return "eth.addr";
  if (type === "ip") return "ip.addr";
  if (type === "ipv6") return "ipv6.addr";
  return addr.includes(":") ? "ipv6.addr" : "ip.addr";
}
