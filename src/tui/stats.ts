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

export interface Conversation {
  proto: 6 | 17;
  aAddr: string;
  aPort: number;
  bAddr: string;
  bPort: number;
  /** A→B and B→A */
  framesAB: number;
  bytesAB: number;
  framesBA: number;
  bytesBA: number;
  /** seconds since the capture's first packet: first and last frame */
  start: number;
  end: number;
}

export interface PhsNode {
  name: string;
  frames: number;
  bytes: number;
  children: Map<string, PhsNode>;
}

export class CaptureStats {
  /** conversations in the order they were first seen */
  conversations: Conversation[] = [];
  private byKey = new Map<string, Conversation>();
  phs: PhsNode = { name: "", frames: 0, bytes: 0, children: new Map() };
  /** packets counted */
  packets = 0;
  private dis = new Dissector();
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
    // conversations
    const e = endpointsOf(this.dis, bytes, linktype, wirelen);
    if (!e) return;
    const proto = e.ipProto as 6 | 17;
    const fwd = e.src < e.dst || (e.src === e.dst && e.srcPort <= e.dstPort);
    const key = fwd ? `${proto} ${e.src} ${e.srcPort} ${e.dst} ${e.dstPort}` : `${proto} ${e.dst} ${e.dstPort} ${e.src} ${e.srcPort}`;
    let c = this.byKey.get(key);
    if (!c) {
      c = { proto, aAddr: e.src, aPort: e.srcPort, bAddr: e.dst, bPort: e.dstPort, framesAB: 0, bytesAB: 0, framesBA: 0, bytesBA: 0, start: t, end: t };
      this.byKey.set(key, c);
      this.conversations.push(c);
    }
    if (e.src === c.aAddr && e.srcPort === c.aPort) {
      c.framesAB++;
      c.bytesAB += wirelen;
    } else {
      c.framesBA++;
      c.bytesBA += wirelen;
    }
    if (t > c.end) c.end = t;
  }

  /** Conversations of one transport, sorted as tshark sorts them (most frames first, then by start). */
  table(proto: 6 | 17): Conversation[] {
    const cached = this.sorted[proto === 6 ? 0 : 1];
    if (cached && cached.at === this.packets) return cached.rows;
    const rows = this.conversations.filter((c) => c.proto === proto).sort((x, y) => y.framesAB + y.framesBA - (x.framesAB + x.framesBA) || x.start - y.start);
    this.sorted[proto === 6 ? 0 : 1] = { at: this.packets, rows };
    return rows;
  }
  private sorted: ({ at: number; rows: Conversation[] } | null)[] = [null, null];

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
    `${c.aAddr}:${c.aPort}`,
    `${c.bAddr}:${c.bPort}`,
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
