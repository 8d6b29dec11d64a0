/**
 * Follow TCP/UDP stream: the payload of one conversation, both directions, as text or hex.
 *
 * No payload is kept in memory. A scan over the capture (run in slices by the Model, like the display
 * filter, with progress and Esc to stop) records for every segment of the conversation only where its
 * payload is: packet number, offset and length in the packet, direction (growable typed arrays), and, for
 * the text view, where each line starts (a global payload position and a length). Lines on screen are read
 * back from the capture file by the index when they are drawn.
 *
 * TCP: segments are taken in capture order; a retransmitted segment (or the part of one) that repeats bytes
 * already taken in its direction is dropped, by sequence number. Out-of-order segments are shown where they
 * arrived. UDP: every datagram, in order.
 */
import { Dissector } from "../dissectors/index.js";
import type { TreeNode } from "../dissectors/tree.js";
import { termSafe } from "../output/escape.js";

/** The conversation followed: transport (6 TCP, 17 UDP), A (the first packet's source) and B. */
export interface StreamKey {
  proto: 6 | 17;
  aAddr: string;
  aPort: number;
  bAddr: string;
  bPort: number;
}

/** A text line no longer than this many bytes (longer ones continue on the next line). */
export const MAX_LINE = 1024;

export function streamTitle(k: StreamKey): string {
  return `${k.proto === 6 ? "TCP" : "UDP"} ${k.aAddr}:${k.aPort} ⇄ ${k.bAddr}:${k.bPort}`;
}

/** A packet's transport endpoints: protocol (6, 17), addresses and ports. */
export interface Endpoints {
  ipProto: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

/** Layers that, above a transport, mean a tunnel whose inner layers set the context's addresses. */
const TUNNELLED = new Set(["eth", "ip", "ipv6", "arp", "vlan", "ieee8021ad", "llc"]);

const scratch: Endpoints = { ipProto: -1, src: "", dst: "", srcPort: -1, dstPort: -1 };

/**
 * The innermost TCP or UDP layer of a packet just dissected by `dis` (summary pass), with the addresses of
 * the IP layer that carries it; null when there is none. Usually the summary's context says it all; when a
 * tunnel (VXLAN, ...) carries another IP layer above the transport, the context holds the inner addresses, so
 * the packet is dissected again with a tree to read the right ones. The result is reused: copy to keep.
 */
export function endpointsOf(dis: Dissector, bytes: Uint8Array, linktype: number, wirelen: number): Endpoints | null {
  const ctx = dis.ctx;
  const layers = ctx.layers;
  let t = -1;
  for (let l = layers.length - 1; l >= 0; l--)
    if (layers[l] === "tcp" || layers[l] === "udp") {
      t = l;
      break;
    }
  if (t < 0) return null;
  let tunnel = false;
  for (let l = t + 1; l < layers.length; l++) if (TUNNELLED.has(layers[l])) tunnel = true;
  if (!tunnel) {
    if ((ctx.ipProto !== 6 && ctx.ipProto !== 17) || ctx.srcPort < 0 || ctx.dstPort < 0 || !ctx.src || !ctx.dst) return null;
    scratch.ipProto = ctx.ipProto;
    scratch.src = ctx.src;
    scratch.dst = ctx.dst;
    scratch.srcPort = ctx.srcPort;
    scratch.dstPort = ctx.dstPort;
    return scratch;
  }
  const roots = dis.dissectBytes(bytes, linktype, { wirelen, tree: true }).tree!.roots;
  let ti = -1;
  for (let i = roots.length - 1; i >= 0; i--)
    if (roots[i].name === "tcp" || roots[i].name === "udp") {
      ti = i;
      break;
    }
  let ii = ti - 1;
  while (ii >= 0 && roots[ii].name !== "ip" && roots[ii].name !== "ipv6") ii--;
  if (ti < 0 || ii < 0) return null;
  const val = (n: TreeNode, name: string) => n.children?.find((c) => c.name === name)?.value;
  const tp = roots[ti].name;
  const ip = roots[ii].name;
  const src = val(roots[ii], ip + ".src");
  const dst = val(roots[ii], ip + ".dst");
  const sp = val(roots[ti], tp + ".srcport");
  const dp = val(roots[ti], tp + ".dstport");
  if (typeof src !== "string" || typeof dst !== "string" || typeof sp !== "number" || typeof dp !== "number") return null;
  scratch.ipProto = tp === "tcp" ? 6 : 17;
  scratch.src = src;
  scratch.dst = dst;
  scratch.srcPort = sp;
  scratch.dstPort = dp;
  return scratch;
}

/** The conversation of a packet's endpoints (A: its source), or null. */
export function streamKeyOf(e: Endpoints | null): StreamKey | null {
  if (!e || (e.ipProto !== 6 && e.ipProto !== 17)) return null;
  return { proto: e.ipProto, aAddr: e.src, aPort: e.srcPort, bAddr: e.dst, bPort: e.dstPort };
}

/** 0: packet from A to B, 1: from B to A, -1: another conversation. */
export function directionOf(k: StreamKey, ctx: Endpoints): number {
  if (ctx.ipProto !== k.proto) return -1;
  if (ctx.srcPort === k.aPort && ctx.dstPort === k.bPort && ctx.src === k.aAddr && ctx.dst === k.bAddr) return 0;
  if (ctx.srcPort === k.bPort && ctx.dstPort === k.aPort && ctx.src === k.bAddr && ctx.dst === k.aAddr) return 1;
  return -1;
}

function grow<T extends Uint32Array | Float64Array | Uint8Array>(a: T, n: number): T {
  if (n < a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** The packet's tcp.stream / udp.stream (-1 when it has none). */
export function streamIndexOf(roots: TreeNode[], proto: 6 | 17): number {
  const id = proto === 6 ? "tcp" : "udp";
  for (let i = roots.length - 1; i >= 0; i--)
    if (roots[i].name === id) {
      for (const f of roots[i].children ?? []) if (f.name === `${id}.stream` && typeof f.value === "number") return f.value;
      return -1;
    }
  return -1;
}

/** Where the transport payload of a dissected packet is: [start, start+length) of its captured bytes, TCP seq. */
export function payloadOf(roots: TreeNode[], proto: 6 | 17, caplen: number): { start: number; length: number; seq: number; syn: boolean } | null {
  const id = proto === 6 ? "tcp" : "udp";
  let node: TreeNode | undefined;
  for (let i = roots.length - 1; i >= 0; i--)
    if (roots[i].name === id) {
      node = roots[i];
      break;
    }
  if (!node) return null;
  let start: number;
  let length = 0;
  let seq = 0;
  let syn = false;
  if (proto === 6) {
    start = node.offset + node.length;
    for (const f of node.children ?? []) {
      if (f.name === "tcp.len" && typeof f.value === "number") length = f.value;
      else if (f.name === "tcp.seq_raw" && typeof f.value === "number") seq = f.value;
      else if (f.name === "tcp.flags") for (const g of f.children ?? []) if (g.name === "tcp.flags.syn") syn = g.value === true;
    }
  } else {
    start = node.offset + 8;
    for (const f of node.children ?? []) if (f.name === "udp.length" && typeof f.value === "number") length = Math.max(0, f.value - 8);
  }
  length = Math.max(0, Math.min(length, caplen - start));
  return { start, length, seq, syn };
}

/**
 * One followed stream: its segments and text lines, built by `add` during the scan. Positions are global
 * payload positions (bytes of both directions in the order shown).
 */
export class StreamData {
  /** segments: packet index, payload offset in the packet, length, direction, global position of the first byte */
  count = 0;
  segPkt = new Uint32Array(256);
  segOff = new Uint32Array(256);
  segLen = new Uint32Array(256);
  segDir = new Uint8Array(256);
  segPos = new Float64Array(256);
  /** bytes and packets each way (A→B, B→A) */
  bytes = [0, 0];
  packets = [0, 0];
  total = 0;
  /** text lines: global start position, length in bytes, direction */
  lines = 0;
  lineStart = new Float64Array(256);
  lineLen = new Uint32Array(256);
  lineDir = new Uint8Array(256);
  /** runs of one direction (for the hex view's offsets): first segment, global start, length */
  runs = 0;
  runSeg = new Uint32Array(64);
  runPos = new Float64Array(64);
  runLen = new Float64Array(64);
  /** bytes of the run's direction before run r (the hex view's offsets) */
  runDirOff = new Float64Array(64);
  /** hex lines before run r */
  runLine = new Float64Array(64);
  hexLines = 0;
  /** per direction: the next TCP sequence number expected (undefined until the first segment) */
  private nextSeq: (number | undefined)[] = [undefined, undefined];
  /** the open text line */
  private curStart = 0;
  private curLen = 0;
  private curDir = -1;

  /** tcp.stream / udp.stream of the conversation's first packet (-1 until found): the filter set when the view ends */
  streamIndex = -1;
  /** the conversation; A is turned round when the first packet found came from B */
  constructor(public key: StreamKey) {}

  /**
   * A packet of the conversation: its payload bytes `payload` (a view, not kept) at `off` in packet `pkt`.
   * For TCP, seq is the raw sequence number of the first byte.
   */
  add(pkt: number, dir: number, payload: Uint8Array, off: number, seq: number, syn: boolean): void {
    this.packets[dir]++;
    let len = payload.length;
    if (this.key.proto === 6) {
      if (syn) {
        this.nextSeq[dir] = (seq + 1) >>> 0;
        if (len === 0) return;
        seq = (seq + 1) >>> 0;
      }
      const want = this.nextSeq[dir];
      if (want !== undefined && len > 0) {
        const delta = (seq - want) | 0; // signed distance in sequence space
        if (delta + len <= 0) return; // all of it was taken already: a retransmission
        if (delta < 0) {
          off -= delta;
          payload = payload.subarray(-delta);
          len = payload.length;
          seq = want;
        }
      }
      if (len === 0) return;
      this.nextSeq[dir] = (seq + len) >>> 0;
    }
    if (len === 0) return;
    const i = this.count;
    this.segPkt = grow(this.segPkt, i);
    this.segOff = grow(this.segOff, i);
    this.segLen = grow(this.segLen, i);
    this.segDir = grow(this.segDir, i);
    this.segPos = grow(this.segPos, i);
    this.segPkt[i] = pkt;
    this.segOff[i] = off;
    this.segLen[i] = len;
    this.segDir[i] = dir;
    this.segPos[i] = this.total;
    this.count = i + 1;
    this.bytes[dir] += len;
    // runs
    if (this.runs === 0 || this.segDir[this.runSeg[this.runs - 1]] !== dir) {
      const r = this.runs;
      this.runSeg = grow(this.runSeg, r);
      this.runPos = grow(this.runPos, r);
      this.runLen = grow(this.runLen, r);
      this.runLine = grow(this.runLine, r);
      this.runDirOff = grow(this.runDirOff, r);
      this.runDirOff[r] = this.bytes[dir] - len;
      this.runSeg[r] = i;
      this.runPos[r] = this.total;
      this.runLen[r] = 0;
      this.runLine[r] = this.hexLines;
      this.runs = r + 1;
    }
    const r = this.runs - 1;
    this.hexLines -= Math.ceil(this.runLen[r] / 16);
    this.runLen[r] += len;
    this.hexLines += Math.ceil(this.runLen[r] / 16);
    // text lines: end at a newline, a change of direction, or MAX_LINE bytes
    if (this.curDir !== dir) this.closeLine();
    for (let j = 0; j < len; j++) {
      if (this.curLen === 0) {
        this.curStart = this.total + j;
        this.curDir = dir;
      }
      this.curLen++;
      if (payload[j] === 0x0a || this.curLen >= MAX_LINE) this.closeLine();
    }
    this.total += len;
  }

  private closeLine(): void {
    if (this.curLen > 0) {
      const l = this.lines;
      this.lineStart = grow(this.lineStart, l);
      this.lineLen = grow(this.lineLen, l);
      this.lineDir = grow(this.lineDir, l);
      this.lineStart[l] = this.curStart;
      this.lineLen[l] = this.curLen;
      this.lineDir[l] = this.curDir;
      this.lines = l + 1;
    }
    this.curLen = 0;
    this.curDir = -1;
  }

  /** The scan ended: the last line is closed. */
  finish(): void {
    this.closeLine();
  }

  /** Lines in the view: text lines (hex false) or 16-byte hex lines. */
  lineCount(hex: boolean): number {
    return hex ? this.hexLines : this.lines + (this.curLen > 0 ? 1 : 0);
  }

  /** The segment holding global position pos (binary search). */
  segAt(pos: number): number {
    let lo = 0,
      hi = this.count - 1;
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (this.segPos[m] <= pos) lo = m;
      else hi = m - 1;
    }
    return lo;
  }

  /** Text line l (or the open line at the end): start, length, direction. */
  textLine(l: number): { start: number; len: number; dir: number } {
    if (l < this.lines) return { start: this.lineStart[l], len: this.lineLen[l], dir: this.lineDir[l] };
    return { start: this.curStart, len: this.curLen, dir: this.curDir };
  }

  /** Hex line l: start, length (<= 16), direction, and offset within its direction's bytes. */
  hexLine(l: number): { start: number; len: number; dir: number; dirOff: number } {
    let lo = 0,
      hi = this.runs - 1;
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (this.runLine[m] <= l) lo = m;
      else hi = m - 1;
    }
    const r = lo;
    const within = (l - this.runLine[r]) * 16;
    const dir = this.segDir[this.runSeg[r]];
    return { start: this.runPos[r] + within, len: Math.min(16, this.runLen[r] - within), dir, dirOff: this.runDirOff[r] + within };
  }
}

/** Reads payload bytes back from the capture (packets by the index). `read(pkt)` returns a packet's bytes. */
export class StreamReader {
  private cache = new Map<number, Uint8Array>();
  constructor(
    readonly data: StreamData,
    private read: (pkt: number) => Uint8Array,
  ) {}

  private packet(pkt: number): Uint8Array {
    let b = this.cache.get(pkt);
    if (!b) {
      b = this.read(pkt).slice();
      this.cache.set(pkt, b);
      if (this.cache.size > 64) this.cache.delete(this.cache.keys().next().value as number);
    }
    return b;
  }

  /** Global payload bytes [pos, pos+len), read from the packets that hold them. */
  bytes(pos: number, len: number): Uint8Array {
    const d = this.data;
    const out = new Uint8Array(len);
    let got = 0;
    let s = d.segAt(pos);
    while (got < len && s < d.count) {
      const within = pos + got - d.segPos[s];
      const take = Math.min(len - got, d.segLen[s] - within);
      if (take > 0) {
        const p = this.packet(d.segPkt[s]);
        const from = d.segOff[s] + within;
        out.set(p.subarray(from, Math.min(p.length, from + take)), got);
        got += take;
      }
      s++;
    }
    return out;
  }
}

const HEX = "0123456789abcdef";
const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * A text line for the screen: UTF-8 decoded, the line's CR LF dropped, tabs as spaces, and every other
 * control character or escape sequence shown escaped (termSafe: \x1b, \r, \u0085 ...): nothing from the
 * wire reaches the terminal as a control.
 */
/** Length of the well-formed UTF-8 sequence at b[i], or 0 when the byte there starts none. */
function utf8Len(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => i + j < b.length && b[i + j] >= lo && b[i + j] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) return cont(1, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf) && cont(2) ? 3 : 0;
  if (c >= 0xf0 && c <= 0xf4) return cont(1, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * Bytes as text: well-formed UTF-8 decoded (then escaped by termSafe), every other byte as `\xNN`, so no
 * byte's value is lost to U+FFFD.
 */
export function utf8Escaped(b: Uint8Array): string {
  let out = "";
  let run = 0;
  let i = 0;
  while (i < b.length) {
    const l = utf8Len(b, i);
    if (l) {
      i += l;
      continue;
    }
    if (run < i) out += termSafe(utf8.decode(b.subarray(run, i)));
    out += "\\x" + HEX[b[i] >> 4] + HEX[b[i] & 15];
    run = ++i;
  }
  if (run < b.length) out += termSafe(utf8.decode(b.subarray(run)));
  return out;
}

export function textLineText(b: Uint8Array): string {
  let n = b.length;
  if (n && b[n - 1] === 0x0a) n--;
  if (n && b[n - 1] === 0x0d) n--;
  const s = utf8Escaped(b.subarray(0, n));
  return s.replace(/\t/g, "    ").replace(/\n/g, "\\n");
}

/** A hex line like Wireshark's: 8-digit offset in the direction's bytes, 16 bytes in hex, printable ASCII. */
export function hexLineText(b: Uint8Array, dirOff: number): string {
  let hex = "";
  let asc = "";
  for (let j = 0; j < 16; j++) {
    if (j < b.length) {
      hex += HEX[b[j] >> 4] + HEX[b[j] & 15] + " ";
      asc += b[j] >= 0x20 && b[j] < 0x7f ? String.fromCharCode(b[j]) : ".";
    } else hex += "   ";
    if (j === 7) hex += " ";
  }
  return `${dirOff.toString(16).padStart(8, "0")}  ${hex} ${asc}`;
}

/**
 * The scan that finds a conversation's packets: `visit(i, bytes)` for each packet in order. The summary
 * pass (a dissector of its own, so the list's TCP state is not disturbed) picks out the conversation's
 * packets; only those are dissected again with a tree to find where the payload is.
 */
export class StreamScan {
  private dis = new Dissector();
  /** packets of the conversation taken so far (the first one decides which side is A) */
  private found = 0;
  /**
   * `onSegment`: where each packet of the conversation has its payload (a worker thread sends these to the
   * main thread, which reads the bytes and adds them to its StreamData); without it they go to `data`.
   */
  constructor(
    readonly data: StreamData,
    private linktype: (i: number) => number,
    private onSegment?: (i: number, dir: number, start: number, length: number, seq: number, syn: boolean) => void,
  ) {}

  visit(i: number, bytes: Uint8Array, wirelen: number): void {
    const k = this.data.key;
    this.dis.dissectBytes(bytes, this.linktype(i), { wirelen, frame: i + 1 });
    const e = endpointsOf(this.dis, bytes, this.linktype(i), wirelen);
    if (!e || e.ipProto !== k.proto) return;
    let dir = directionOf(k, e);
    if (dir < 0) return;
    if (dir === 1 && this.found === 0) {
      // A is the side that sent the conversation's first packet (as tshark's Node 0), whichever was selected
      this.data.key = { proto: k.proto, aAddr: k.bAddr, aPort: k.bPort, bAddr: k.aAddr, bPort: k.aPort };
      dir = 0;
    }
    // (no resetState: the dissector's conversation table numbers tcp.stream / udp.stream over the whole capture)
    const { tree } = this.dis.dissectBytes(bytes, this.linktype(i), { wirelen, frame: i + 1, tree: true });
    if (this.data.streamIndex < 0) this.data.streamIndex = streamIndexOf(tree!.roots, k.proto);
    const p = payloadOf(tree!.roots, k.proto, bytes.length);
    if (!p) return;
    this.found++;
    if (this.onSegment) this.onSegment(i, dir, p.start, p.length, p.seq, p.syn);
    else this.data.add(i, dir, bytes.subarray(p.start, p.start + p.length), p.start, p.seq, p.syn);
  }
}
