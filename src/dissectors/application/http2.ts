/**
 * HTTP/2 (RFC 9113) over decrypted TLS (ALPN h2, or the client's preface) and cleartext h2c (prior
 * knowledge: a TCP conversation opening with the preface; Upgrade: h2c on HTTP, see http.ts). Frames: DATA, HEADERS,
 * PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION and the preface,
 * with Wireshark's http2.* fields; header blocks decoded with HPACK (hpack.ts), one decoder per connection and
 * direction. A frame may span records or segments: each direction's bytes are buffered until a frame is
 * whole, and it is shown on the packet that completes it (as tshark does). tcpdump prints nothing for h2,
 * so the one-line output is left alone.
 */
import { bind, bindHeuristic } from "../registry.js";
import { http2FrameLength, isH2Preface } from "../../stream/framers.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";
import { HpackDecoder, HpackError, type Header } from "./hpack.js";

const TYPES: Readonly<Record<number, string>> = {
  0: "DATA",
  1: "HEADERS",
  2: "PRIORITY",
  3: "RST_STREAM",
  4: "SETTINGS",
  5: "PUSH_PROMISE",
  6: "PING",
  7: "GOAWAY",
  8: "WINDOW_UPDATE",
  9: "CONTINUATION",
};
const ERRORS: Readonly<Record<number, string>> = {
  0: "NO_ERROR",
  1: "PROTOCOL_ERROR",
  2: "INTERNAL_ERROR",
  3: "FLOW_CONTROL_ERROR",
  4: "SETTINGS_TIMEOUT",
  5: "STREAM_CLOSED",
  6: "FRAME_SIZE_ERROR",
  7: "REFUSED_STREAM",
  8: "CANCEL",
  9: "COMPRESSION_ERROR",
  10: "CONNECT_ERROR",
  11: "ENHANCE_YOUR_CALM",
  12: "INADEQUATE_SECURITY",
  13: "HTTP_1_1_REQUIRED",
};
const SETTINGS: Readonly<Record<number, string>> = {
  1: "Header table size",
  2: "Enable PUSH",
  3: "Max concurrent streams",
  4: "Initial Windows size",
  5: "Max frame size",
  6: "Max header list size",
  8: "Extended CONNECT",
};

const F = fields("http2", {
  magic: ["Magic", "string"],
  stream: ["Stream", "none"],
  length: ["Length", "uint"],
  type: ["Type", "uint", { values: TYPES }],
  flags: ["Flags", "uint", { base: "hex" }],
  streamid: ["Stream Identifier", "uint"],
  "header.name": ["Name", "string"],
  "header.value": ["Value", "string"],
  "header.repr": ["Representation", "string"],
  "headers.method": ["Method", "string"],
  "headers.path": ["Path", "string"],
  "headers.authority": ["Authority", "string"],
  "headers.scheme": ["Scheme", "string"],
  "headers.status": ["Status", "string"],
  "header.length": ["Header Length", "uint"],
  "data.data": ["Data", "bytes"],
  "settings.id": ["Settings Identifier", "uint", { values: SETTINGS }],
  "settings.value": ["Value", "uint"],
  "window_update.window_size_increment": ["Window Size Increment", "uint"],
  "rst_stream.error": ["Error", "uint", { values: ERRORS }],
  "goaway.last_stream_id": ["Promised-Stream-ID", "uint"],
  "goaway.error": ["Error", "uint", { values: ERRORS }],
  ping: ["Ping", "bytes"],
  "push_promise.promised_stream_id": ["Promised-Stream-ID", "uint"],
  "pad_length": ["Pad Length", "uint"],
  "exclusive": ["Exclusive", "bool"],
  "stream_dependency": ["Stream Dependency", "uint"],
  "weight": ["Weight", "uint"],
});

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const MAX_BUFFER = 1 << 20;

/** A frame as parsed once (a packet dissected again shows the same). */
interface Parsed {
  type: number;
  flags: number;
  sid: number;
  len: number;
  body: Uint8Array;
  headers?: Header[];
  error?: string;
}

/** One direction of a connection. */
class Dir {
  buf: Uint8Array = new Uint8Array(0);
  preface = false;
  hpack = new HpackDecoder();
  /** header block fragments waiting for END_HEADERS */
  block: Uint8Array[] = [];
  seen = new Map<string, { preface: boolean; frames: Parsed[] }>();
  /** the frame last dissected in this direction, and how many pieces of it so far (its TLS records) */
  lastFrame = -1;
  nth = 0;
}

function dirOf(ctx: Ctx): Dir {
  const k = `h2:${ctx.src}|${ctx.srcPort}>${ctx.dst}|${ctx.dstPort}`;
  let d = ctx.state.get(k) as Dir | undefined;
  if (!d) ctx.state.set(k, (d = new Dir()));
  return d;
}

const HEX = "0123456789abcdef";
function hex(d: Uint8Array, max = 1024): string {
  let s = "";
  for (let i = 0; i < d.length && i < max; i++) s += HEX[d[i] >> 4] + HEX[d[i] & 15];
  return s;
}

function parse(dir: Dir, data: Uint8Array): { preface: boolean; frames: Parsed[] } {
  let buf = data;
  if (dir.buf.length) {
    buf = new Uint8Array(dir.buf.length + data.length);
    buf.set(dir.buf);
    buf.set(data, dir.buf.length);
  }
  let p = 0;
  let preface = false;
  if (!dir.preface && buf.length >= 24 && Buffer.from(buf.subarray(0, 24)).toString("latin1") === PREFACE) {
    preface = true;
    dir.preface = true;
    p = 24;
  }
  const frames: Parsed[] = [];
  while (p + 9 <= buf.length) {
    const len = (buf[p] << 16) | (buf[p + 1] << 8) | buf[p + 2];
    if (p + 9 + len > buf.length) break;
    const f: Parsed = { type: buf[p + 3], flags: buf[p + 4], sid: ((buf[p + 5] & 0x7f) << 24) | (buf[p + 6] << 16) | (buf[p + 7] << 8) | buf[p + 8], len, body: buf.subarray(p + 9, p + 9 + len) };
    if (f.type === 1 || f.type === 5 || f.type === 9) headersOf(dir, f);
    frames.push(f);
    p += 9 + len;
  }
  const rest = buf.subarray(p);
  dir.buf = rest.length > MAX_BUFFER ? new Uint8Array(0) : rest.slice();
  return { preface, frames };
}

/** The header block fragment of a HEADERS/PUSH_PROMISE/CONTINUATION, decoded when the block ends. */
function headersOf(dir: Dir, f: Parsed): void {
  let b = f.body;
  if (f.type !== 9) {
    let start = 0;
    let end = b.length;
    if (f.flags & 0x08) {
      start = 1;
      end -= b[0] ?? 0;
    }
    if (f.type === 1 && f.flags & 0x20) start += 5;
    if (f.type === 5) start += 4;
    if (start > end) {
      f.error = "HTTP/2: padding longer than the frame";
      return;
    }
    b = b.subarray(start, end);
    dir.block = [];
  }
  dir.block.push(b);
  if (!(f.flags & 0x04)) return;
  const whole = Buffer.concat(dir.block);
  dir.block = [];
  try {
    f.headers = dir.hpack.decode(whole);
  } catch (e) {
    f.error = e instanceof HpackError ? e.message : "HPACK: bad header block";
  }
}

const PSEUDO: Readonly<Record<string, keyof typeof F>> = {
  ":method": "headers.method",
  ":path": "headers.path",
  ":authority": "headers.authority",
  ":scheme": "headers.scheme",
  ":status": "headers.status",
};

function tree(t: TreeSink, ctx: Ctx, f: Parsed): void {
  const b = f.body;
  t.push(F.stream, null, 0, 0, `Stream: ${TYPES[f.type] ?? "Unknown"}, Stream ID: ${f.sid}, Length ${f.len}`);
  t.add(F.length, f.len, 0, 0);
  t.add(F.type, f.type, 0, 0);
  t.add(F.flags, f.flags, 0, 0, "0x" + f.flags.toString(16).padStart(2, "0"));
  t.add(F.streamid, f.sid, 0, 0);
  const u32 = (o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  switch (f.type) {
    case 0: {
      let s = 0;
      let e = b.length;
      if (f.flags & 0x08 && b.length) {
        t.add(F.pad_length, b[0], 0, 0);
        s = 1;
        e = Math.max(s, e - b[0]);
      }
      t.add(F["data.data"], hex(b.subarray(s, e)), 0, 0);
      break;
    }
    case 1:
    case 5:
      if (f.type === 1 && f.flags & 0x20 && b.length >= 5 + (f.flags & 8 ? 1 : 0)) {
        const o = f.flags & 8 ? 1 : 0;
        t.add(F.exclusive, (b[o] & 0x80) !== 0, 0, 0);
        t.add(F.stream_dependency, u32(o) & 0x7fffffff, 0, 0);
        t.add(F.weight, b[o + 4], 0, 0);
      }
      if (f.type === 5 && b.length >= 4 + (f.flags & 8 ? 1 : 0)) t.add(F["push_promise.promised_stream_id"], u32(f.flags & 8 ? 1 : 0) & 0x7fffffff, 0, 0);
      break;
    case 3:
      if (b.length >= 4) t.add(F["rst_stream.error"], u32(0), 0, 0);
      break;
    case 4:
      for (let o = 0; o + 6 <= b.length; o += 6) {
        t.add(F["settings.id"], (b[o] << 8) | b[o + 1], 0, 0);
        t.add(F["settings.value"], u32(o + 2), 0, 0);
      }
      break;
    case 6:
      t.add(F.ping, hex(b.subarray(0, 8)), 0, 0);
      break;
    case 7:
      if (b.length >= 8) {
        t.add(F["goaway.last_stream_id"], u32(0) & 0x7fffffff, 0, 0);
        t.add(F["goaway.error"], u32(4), 0, 0);
      }
      break;
    case 8:
      if (b.length >= 4) t.add(F["window_update.window_size_increment"], u32(0) & 0x7fffffff, 0, 0);
      break;
  }
  if (f.headers) {
    for (const h of f.headers) {
      t.pushNote(`Header: ${h.name}: ${h.value}`, 0, 0);
      t.add(F["header.name"], h.name, 0, 0);
      t.add(F["header.value"], h.value, 0, 0);
      t.add(F["header.repr"], h.rep, 0, 0);
      const pf = PSEUDO[h.name];
      if (pf) t.add(F[pf], h.value, 0, 0);
      t.pop();
    }
  }
  if (f.error) ctx.markMalformed(f.error);
  t.pop();
}

function dissect(r: Reader, ctx: Ctx, t: TreeSink): void {
  if (!t.on) {
    r.pos = r.cap;
    return;
  }
  const data = r.data.subarray(r.pos, r.cap);
  const dir = dirOf(ctx);
  // the piece's place in its frame is part of the key: a frame's TLS records may begin and end with the same
  // bytes (a body of one repeated byte), and a second record taken for the first left the stream out of step
  if (dir.lastFrame === ctx.frame) dir.nth++;
  else {
    dir.lastFrame = ctx.frame;
    dir.nth = 0;
  }
  const key = `${ctx.frame}:${dir.nth}:${data.length}:${hex(data.subarray(0, 8))}:${hex(data.subarray(Math.max(0, data.length - 8)))}`;
  let res = dir.seen.get(key);
  if (!res) {
    res = parse(dir, data);
    if (dir.seen.size > 1024) dir.seen.clear();
    dir.seen.set(key, res);
  }
  if (res.preface) t.add(F.magic, PREFACE.replace(/\r\n/g, "\\r\\n"), r.pos, 24);
  for (const f of res.frames) tree(t, ctx, f);
  r.pos = r.cap;
}

export const HTTP2: Protocol = {
  id: "http2",
  name: "HTTP2",
  title: "HyperText Transfer Protocol 2",
  fields: F,
  dissect,
};

/**
 * Whether the bytes at r.pos open an HTTP/2 connection: the client's preface, or the server's first SETTINGS
 * frame (a server may send it as soon as the connection is up, before the client's preface): type 4 on stream
 * 0 without flags, whole settings of known identifiers, all there.
 */
function opensH2(r: Reader): boolean {
  const d = r.data;
  const p = r.pos;
  const n = r.cap - p;
  if (n >= 24 && isH2Preface(d, p, 24)) return true;
  if (n < 9 || d[p] !== 0 || d[p + 3] !== 4 || d[p + 4] !== 0 || d[p + 5] | d[p + 6] | d[p + 7] | d[p + 8]) return false;
  const len = (d[p + 1] << 8) | d[p + 2];
  if (len % 6 || len > 96 || n < 9 + len) return false;
  for (let o = p + 9; o < p + 9 + len; o += 6) if (d[o] !== 0 || d[o + 1] === 0 || d[o + 1] > 0x10) return false;
  return true;
}

/**
 * h2c by prior knowledge on any port: a TCP conversation that opens with the preface (or the server's
 * SETTINGS), reassembled frame by frame.
 */
export const HTTP2_HEUR: Protocol = {
  ...HTTP2,
  pduLength: http2FrameLength,
  heuristic: opensH2,
};

bind("tls.alpn", "h2", HTTP2);
// cleartext h2c: on an HTTP connection (http.ts hands over after the preface or a 101 to Upgrade: h2c) ...
bind("http.upgrade", "h2c", HTTP2);
// ... and by prior knowledge on any other port: a conversation that opens with the client's preface
bindHeuristic("tcp.port", HTTP2_HEUR);
