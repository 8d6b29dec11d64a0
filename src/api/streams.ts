/**
 * TCP streams for library users and plugins (scapy's TCPSession, node_pcap's TCPTracker): each connection's
 * two byte streams, in sequence order, with out-of-order segments put in place, retransmitted and overlapping
 * bytes given once (the first copy wins) and missing bytes reported as gaps, never made up.
 *
 *   const tracker = new TcpTracker();
 *   tracker.onStream((data, dir, s) => console.log(s.stream, dir, data.length));
 *   for await (const p of capture({ file: "x.pcap" })) tracker.packet(p);
 *   tracker.end();
 *
 * or, for a file, an async iterator of chunks: `for await (const c of tcpStreams("x.pcap")) ...`.
 *
 * Streams are numbered as tshark's tcp.stream. A connection's state is released at RST, at FIN both ways, and
 * by end(); each direction holds at most `maxHeld` out-of-order bytes before it gives up waiting (a gap).
 */
import type { PacketBatch } from "../capture/batch.js";
import { FileSource } from "../capture/file-source.js";
import { Dissector } from "../dissectors/index.js";
import type { SegmentListener } from "../dissectors/transport/tcp.js";
import type { Ctx } from "../dissectors/types.js";
import { ByteStream, type ByteSink } from "../stream/bytestream.js";
import type { Conversation } from "../stream/conversations.js";
import type { Packet } from "./packet.js";

/** A TCP connection: its tcp.stream number and its two ends. Direction 0 is from `a` to `b`. */
export interface TcpStreamInfo {
  stream: number;
  /** the side that sent the first segment seen (the client when the SYN was captured) */
  a: { addr: string; port: number };
  b: { addr: string; port: number };
  /** bytes given so far each way [a→b, b→a], and bytes reported missing */
  bytes: [number, number];
  missing: [number, number];
}

/** Bytes of one direction, in order: `data` is valid during the call only (copy it to keep it). */
export type StreamDataCallback = (data: Uint8Array, dir: 0 | 1, stream: TcpStreamInfo, frame: number) => void;

export interface TcpTrackerOptions {
  /** out-of-order bytes a direction holds before it reports the gap and goes on (default 4 MB) */
  maxHeld?: number;
}

interface Conn {
  info: TcpStreamInfo;
  /** the dissector's direction (0: from the lower endpoint) of info.a */
  aDir: number;
  dirs: [ByteStream, ByteStream];
  sinks: [ByteSink, ByteSink];
  fin: number;
}

export class TcpTracker {
  /** the dissector the tracker reads packets with (its own unless given) */
  readonly dissector: Dissector;
  private conns = new Map<Conversation, Conn>();
  private data: StreamDataCallback[] = [];
  private ends: ((s: TcpStreamInfo, reason: "fin" | "rst" | "end") => void)[] = [];
  private gaps: ((s: TcpStreamInfo, dir: 0 | 1, length: number) => void)[] = [];
  private maxHeld: number;

  /**
   * `dissector`: share one that already sees every packet in order (the CLI's, a PacketContext's): the tracker
   * listens to its TCP segments instead of dissecting them again.
   */
  constructor(o: TcpTrackerOptions & { dissector?: Dissector } = {}) {
    this.maxHeld = o.maxHeld ?? 4 << 20;
    this.dissector = o.dissector ?? new Dissector({ reassembly: false });
    const listener: SegmentListener = (conv, dir, seq, payload, len, flags, ctx) => this.segment(conv, dir, seq, payload, len, flags, ctx);
    this.dissector.ctx.state.set("stream.listener", listener);
  }

  /** Called with each direction's bytes, in order. */
  onStream(cb: StreamDataCallback): this {
    this.data.push(cb);
    return this;
  }
  /** Called when a connection ends (RST, FIN both ways, or end()). */
  onEnd(cb: (s: TcpStreamInfo, reason: "fin" | "rst" | "end") => void): this {
    this.ends.push(cb);
    return this;
  }
  /** Called for bytes never seen (lost before the capture, or given up after maxHeld out-of-order bytes). */
  onGap(cb: (s: TcpStreamInfo, dir: 0 | 1, length: number) => void): this {
    this.gaps.push(cb);
    return this;
  }

  /** A packet (from capture(), sniff(), a plugin's onPacket): dissected by the tracker's dissector. */
  packet(p: Packet): void {
    this.dissector.dissectBytes(p.data, p.linktype, { wirelen: p.len, tsSec: p.tsSec, tsNsec: p.tsNsec, frame: p.frame });
  }
  /** Slot i of a batch (a Session consumer). */
  batch(b: PacketBatch, i: number, frame: number): void {
    this.dissector.summary(b, i, frame);
  }
  /** Raw bytes of one packet of link type `linktype`. */
  bytes(data: Uint8Array, linktype: number, frame = 0): void {
    this.dissector.dissectBytes(data, linktype, { frame });
  }

  /** Ends every open connection: held bytes after gaps are given, onEnd called with "end". */
  end(): void {
    for (const [k, c] of this.conns) this.close(k, c, "end");
  }

  /** Connections open now. */
  get open(): number {
    return this.conns.size;
  }

  private segment(conv: Conversation, dir: number, seq: number, payload: Uint8Array, len: number, flags: number, ctx: Ctx): void {
    let c = this.conns.get(conv);
    if (!c) {
      if (len === 0 && !(flags & 0x02)) return; // no bytes and no SYN: nothing opens (an ACK after the close, a lone RST)
      c = this.open_(conv, dir, ctx);
    }
    const d = c.dirs[dir];
    const syn = (flags & 0x02) !== 0;
    if (payload.length < len) {
      // not all captured: what is missing is a gap
      d.push(seq, payload, ctx.frame, syn, c.sinks[dir]);
      const at = (seq + (syn ? 1 : 0) + payload.length) >>> 0;
      if (((at - d.next) | 0) >= 0) {
        const miss = len - payload.length;
        d.next = (at + miss) >>> 0;
        d.missing += miss;
        c.sinks[dir].gap(miss);
      }
    } else d.push(seq, payload, ctx.frame, syn, c.sinks[dir]);
    if (d.heldBytes > this.maxHeld) d.skipGap(c.sinks[dir]);
    if (flags & 0x04) this.close(conv, c, "rst");
    else if (flags & 0x01) {
      c.fin |= 1 << dir;
      if (c.fin === 3) this.close(conv, c, "fin");
    }
  }

  private open_(conv: Conversation, dir: number, ctx: Ctx): Conn {
    const info: TcpStreamInfo = {
      stream: conv.stream,
      a: { addr: ctx.src, port: ctx.srcPort },
      b: { addr: ctx.dst, port: ctx.dstPort },
      bytes: [0, 0],
      missing: [0, 0],
    };
    const sink = (d: 0 | 1): ByteSink => ({
      data: (data, frame) => {
        info.bytes[d] += data.length;
        for (const cb of this.data) cb(data, d, info, frame);
      },
      gap: (length) => {
        info.missing[d] += length;
        for (const cb of this.gaps) cb(info, d, length);
      },
    });
    const s0 = sink(0),
      s1 = sink(1);
    // the dissector's direction `dir` is info's direction 0
    const c: Conn = { info, aDir: dir, dirs: [new ByteStream(), new ByteStream()], sinks: dir === 0 ? [s0, s1] : [s1, s0], fin: 0 };
    this.conns.set(conv, c);
    return c;
  }

  private close(k: Conversation, c: Conn, reason: "fin" | "rst" | "end"): void {
    c.dirs[0].flush(c.sinks[0]);
    c.dirs[1].flush(c.sinks[1]);
    this.conns.delete(k);
    for (const cb of this.ends) cb(c.info, reason);
  }
}

/** A chunk of a TCP stream: bytes of one direction, in order (a copy: yours to keep). */
export interface StreamChunk {
  stream: TcpStreamInfo;
  dir: 0 | 1;
  data: Uint8Array;
  frame: number;
}

/**
 * Every TCP stream of a capture file as chunks, in the order the capture completes them. The file is read a
 * batch at a time, and each batch's chunks are yielded after the whole file is read: for big files, use a
 * TcpTracker with onStream instead.
 */
export async function* tcpStreams(file: string, o: TcpTrackerOptions = {}): AsyncGenerator<StreamChunk> {
  const src = await FileSource.open(file);
  const t = new TcpTracker(o);
  let queue: StreamChunk[] = [];
  t.onStream((data, dir, stream, frame) => queue.push({ stream, dir, data: data.slice(), frame }));
  let frame = 0;
  const batches: StreamChunk[][] = [];
  await src.run((b) => {
    for (let i = 0; i < b.count; i++) t.batch(b, i, ++frame);
    batches.push(queue);
    queue = [];
    return Infinity;
  });
  t.end();
  batches.push(queue);
  for (const q of batches) yield* q;
}
