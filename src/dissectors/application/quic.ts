/**
 * QUIC (RFC 9000) on UDP port 443: the long header's invariant fields (RFC 8999) and, for version 1 and 2,
 * the packet type; short-header packets are shown as such. tcpdump 4.99 has no QUIC printer, so the
 * summary is its plain "UDP, length N". The tree uses Wireshark's names (quic.header_form,
 * quic.long.packet_type, quic.version, quic.dcid, quic.scid, quic.frame_type, quic.crypto.*).
 *
 * As Wireshark does, Initial packets are decrypted with the keys anyone can derive from the connection's
 * first Destination Connection ID (RFC 9001 5.2: src/quic/initial.ts), their frames shown, and the TLS
 * handshake messages of their CRYPTO frames (ClientHello, ServerHello) handed to TLS. Connections are
 * tracked across packets (ctx.state "quic") the way Wireshark tracks them:
 *   - a client Initial whose DCID is unknown starts a connection; the Source Connection IDs of either side's
 *     long-header packets are remembered, so that a short-header packet's DCID (whose length the packet does
 *     not say) is recognised, and a packet with an empty DCID is matched by addresses and ports;
 *   - each direction's keys are derived at its first Initial packet (with that packet's version: a client that
 *     starts with a version of no known salt and retries with version 1 after a Version Negotiation keeps
 *     undecryptable Initial packets, as in Wireshark); a Retry restarts both from its Source Connection ID;
 *   - CRYPTO data is taken in order per direction: data at an offset already seen (a retransmission, or the
 *     ClientHello sent again after a Retry) is not shown as TLS again, and a message split over several
 *     packets is shown in the packet that completes it.
 * The work done for a frame (decryption included) is done once, in capture order, and kept for the frame's
 * later passes (a detail pass after its summary pass).
 */
import { bind } from "../registry.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import { Reader } from "../reader.js";
import { NULL_TREE } from "../tree.js";
import { initialKeys, openLongHeader, type InitialKeys } from "../../quic/initial.js";
import { TLS_IN_QUIC } from "./tls.js";

const V2 = 0x6b3343cf;
const VERSIONS: Readonly<Record<number, string>> = {
  0: "Negotiation",
  1: "1",
  [V2]: "2",
  0xff00001d: "draft-29",
};
const PACKET_TYPE: Readonly<Record<number, string>> = { 0: "Initial", 1: "0-RTT", 2: "Handshake", 3: "Retry" };
const FRAME_TYPE: Readonly<Record<number, string>> = {
  0x00: "PADDING",
  0x01: "PING",
  0x02: "ACK",
  0x03: "ACK",
  0x04: "RESET_STREAM",
  0x05: "STOP_SENDING",
  0x06: "CRYPTO",
  0x07: "NEW_TOKEN",
  0x1c: "CONNECTION_CLOSE",
  0x1d: "CONNECTION_CLOSE",
  0x1e: "HANDSHAKE_DONE",
};

const F = fields("quic", {
  packet_length: ["Packet Length", "uint"],
  header_form: ["Header Form", "uint", { values: { 0: "Short Header", 1: "Long Header" } }],
  fixed_bit: ["Fixed Bit", "bool"],
  "long.packet_type": ["Packet Type", "uint", { values: PACKET_TYPE }],
  version: ["Version", "uint", { base: "hex", values: VERSIONS }],
  dcil: ["Destination Connection ID Length", "uint"],
  dcid: ["Destination Connection ID", "bytes"],
  scil: ["Source Connection ID Length", "uint"],
  scid: ["Source Connection ID", "bytes"],
  token_length: ["Token Length", "uint"],
  token: ["Token", "bytes"],
  length: ["Length", "uint"],
  packet_number: ["Packet Number", "uint"],
  short: ["QUIC Short Header", "none"],
  supported_version: ["Supported Version", "uint", { base: "hex", values: VERSIONS }],
  retry_token: ["Retry Token", "bytes"],
  retry_integrity_tag: ["Retry Integrity Tag", "bytes"],
  frame: ["Frame", "none"],
  frame_type: ["Frame Type", "uint", { values: FRAME_TYPE }],
  padding_length: ["Padding Length", "uint"],
  "ack.largest_acknowledged": ["Largest Acknowledged", "uint"],
  "ack.ack_delay": ["ACK Delay", "uint"],
  "ack.ack_range_count": ["ACK Range Count", "uint"],
  "ack.first_ack_range": ["First ACK Range", "uint"],
  "ack.gap": ["Gap", "uint"],
  "ack.ack_range": ["ACK Range", "uint"],
  "ack.ect0_count": ["ECT(0) Count", "uint"],
  "ack.ect1_count": ["ECT(1) Count", "uint"],
  "ack.ecn_ce_count": ["ECN-CE Count", "uint"],
  "crypto.offset": ["Offset", "uint"],
  "crypto.length": ["Length", "uint"],
  "crypto.crypto_data": ["Crypto Data", "none"],
  "cc.error_code": ["Error code", "uint"],
  "cc.frame_type": ["Frame Type", "uint"],
  "cc.reason_phrase.length": ["Reason phrase Length", "uint"],
  "cc.reason_phrase": ["Reason phrase", "string"],
  remaining_payload: ["Remaining Payload", "bytes"],
});

function hexOf(r: Reader, p: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += r.byteAt(p + i).toString(16).padStart(2, "0");
  return s;
}
function u32(r: Reader, p: number): number {
  return (((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0);
}
/** the length of the variable-length integer read last by varint() */
let vlen = 0;
/** A variable-length integer (RFC 9000 16) at p (up to 2^53: beyond, the value is approximate). */
function varint(r: Reader, p: number): number {
  const b = r.byteAt(p);
  vlen = 1 << (b >> 6);
  let v = b & 0x3f;
  for (let i = 1; i < vlen; i++) v = v * 256 + r.byteAt(p + i);
  return v;
}

/** One QUIC connection as Wireshark tracks it. */
interface Conn {
  /** the DCID the client's Initial keys come from (its first Initial's, or a Retry's SCID) */
  dcid: Uint8Array;
  /** the version the server answered with (the client's first until then) */
  version: number;
  /** each direction's Initial keys (0 client, 1 server): undefined before its first Initial */
  keys: [InitialKeys | undefined, InitialKeys | undefined];
  /** "address|port" of the client */
  client: string;
  /** per direction, the CRYPTO stream offset up to which data was taken, and what is held of an unfinished message */
  next: [number, number];
  held: [Uint8Array | null, Uint8Array | null];
}
/** What the first pass over a frame found, for the frame's later passes. */
interface Memo {
  sig: string;
  /** per long-header packet of the datagram, in order: its opened payload (null: not opened) */
  opened: ({ pn: number; pnLength: number; plaintext: Uint8Array | null } | null)[];
  /** the TLS handshake messages completed in this frame */
  tls: Uint8Array[];
}
interface QuicState {
  /** connection ID (hex) -> its connection, and whether packets carrying it as DCID go to the server */
  byCid: Map<string, { conn: Conn; toServer: boolean }>;
  /** "a|pa|b|pb" (both orders) -> connection, for packets with an empty DCID */
  byTuple: Map<string, Conn>;
  /** the lengths of the connection IDs seen (short headers do not say theirs) */
  lengths: number[];
  last: number;
  memo: Map<number, Memo>;
  /** bytes of unfinished handshake messages held, all connections together */
  held: number;
}
const MAX_CONNS = 65536;
const MAX_MEMO = 4096;
const MAX_HELD = 65536;
const MAX_HELD_ALL = 1 << 22;

function stateOf(ctx: Ctx): QuicState {
  let s = ctx.state.get("quic") as QuicState | undefined;
  if (!s) ctx.state.set("quic", (s = { byCid: new Map(), byTuple: new Map(), lengths: [], last: -1, memo: new Map(), held: 0 }));
  return s;
}
function cidHex(r: Reader, p: number, n: number): string {
  return hexOf(r, p, n);
}
function remember(st: QuicState, cid: string, conn: Conn, toServer: boolean): void {
  if (cid === "" || st.byCid.has(cid) || st.byCid.size >= MAX_CONNS) return;
  st.byCid.set(cid, { conn, toServer });
  const n = cid.length >> 1;
  if (!st.lengths.includes(n)) {
    st.lengths.push(n);
    st.lengths.sort((a, b) => a - b);
  }
}

/** A long header's layout at p: where its fields are (-1 fields when it is cut). */
interface Long {
  type: number;
  version: number;
  dcid: number;
  dcil: number;
  scid: number;
  scil: number;
  /** Initial: the token's length and where it is */
  tokenLen: number;
  token: number;
  /** the Length field's value and where it is (-1 for Retry and Version Negotiation) */
  length: number;
  lengthAt: number;
  lengthLen: number;
  /** where the packet number starts, and where the packet ends */
  pn: number;
  end: number;
}
function longHeader(r: Reader, p: number, cap: number, h: Long): boolean {
  const b = r.byteAt(p);
  if (p + 6 > cap) return false;
  h.version = u32(r, p + 1);
  const raw = (b >> 4) & 3;
  // Version 2 numbers the types differently (RFC 9369): Initial 1, 0-RTT 2, Handshake 3, Retry 0.
  h.type = h.version === V2 ? (raw + 3) & 3 : raw;
  h.dcil = r.byteAt(p + 5);
  h.dcid = p + 6;
  h.scil = -1;
  h.scid = -1;
  h.tokenLen = -1;
  h.token = -1;
  h.length = -1;
  h.lengthAt = -1;
  h.pn = -1;
  h.end = cap;
  if (h.dcil > 20 || h.dcid + h.dcil + 1 > cap) return true;
  h.scil = r.byteAt(h.dcid + h.dcil);
  h.scid = h.dcid + h.dcil + 1;
  if (h.scil > 20 || h.scid + h.scil > cap) {
    h.scid = -1;
    return true;
  }
  let q = h.scid + h.scil;
  if (h.version === 0 || h.type === 3) return true;
  if (h.type === 0) {
    if (q >= cap) return true;
    h.tokenLen = varint(r, q);
    h.token = q + vlen;
    q = h.token + h.tokenLen;
  }
  if (q >= cap) return true;
  h.lengthAt = q;
  h.length = varint(r, q);
  h.lengthLen = vlen;
  h.pn = q + vlen;
  h.end = h.pn + h.length;
  return true;
}

/** The connection a long-header packet belongs to, and whether it goes to the server (null: none known). */
function connOf(st: QuicState, r: Reader, ctx: Ctx, h: Long): { conn: Conn; toServer: boolean } | null {
  if (h.dcil > 0) {
    const hit = st.byCid.get(cidHex(r, h.dcid, h.dcil));
    if (hit) return hit;
  }
  const conn = st.byTuple.get(`${ctx.src}|${ctx.srcPort}|${ctx.dst}|${ctx.dstPort}`);
  if (conn) return { conn, toServer: conn.client === `${ctx.src}|${ctx.srcPort}` };
  return null;
}

/** CRYPTO frames of one packet, in the direction's stream order: the handshake messages they complete. */
function takeCrypto(st: QuicState, conn: Conn, dir: 0 | 1, frames: { off: number; data: Uint8Array }[], out: Uint8Array[]): void {
  frames.sort((a, b) => a.off - b.off);
  for (const f of frames) {
    if (f.off !== conn.next[dir]) continue; // a retransmission, or out of order (not waited for)
    conn.next[dir] += f.data.length;
    const held = conn.held[dir];
    let buf = held ? Buffer.concat([held, f.data]) : f.data;
    // whole handshake messages go to TLS; an unfinished one waits for the next CRYPTO data
    let q = 0;
    while (q + 4 <= buf.length) {
      const len = (buf[q + 1] << 16) | (buf[q + 2] << 8) | buf[q + 3];
      if (q + 4 + len > buf.length) break;
      q += 4 + len;
    }
    if (q > 0) out.push(buf.subarray(0, q));
    buf = buf.subarray(q);
    // what is held waits within a bound per connection and one for all of them (unfinished handshakes)
    st.held -= held ? held.length : 0;
    const keep = buf.length > 0 && buf.length <= MAX_HELD && st.held + buf.length <= MAX_HELD_ALL;
    conn.held[dir] = keep ? Buffer.from(buf) : null;
    if (keep) st.held += buf.length;
  }
}

/** Walks a packet's frames (bounded: every frame moves on or ends the walk); CRYPTO frames collected in `crypto`. */
function frames(r: Reader, base: number, t: TreeSink, crypto: { off: number; data: Uint8Array }[] | null): void {
  const end = r.cap;
  let p = r.pos;
  while (p < end) {
    const start = p;
    const type = varint(r, p);
    const tl = vlen;
    if (type === 0) {
      let q = p;
      while (q < end && r.byteAt(q) === 0) q++;
      t.push(F.frame, null, base + p, q - p, "PADDING");
      t.add(F.frame_type, 0, base + p, 1);
      t.add(F.padding_length, q - p, base + p, q - p);
      t.pop();
      p = q;
      continue;
    }
    p += tl;
    const name = FRAME_TYPE[type];
    if (name === undefined) {
      t.add(F.remaining_payload, null, base + start, end - start, `${end - start} bytes`);
      return;
    }
    t.push(F.frame, null, base + start, 0, name);
    t.add(F.frame_type, type, base + start, tl);
    if (type === 2 || type === 3) {
      const names = ["ack.largest_acknowledged", "ack.ack_delay", "ack.ack_range_count", "ack.first_ack_range"] as const;
      let count = 0;
      for (const n of names) {
        const v = varint(r, p);
        if (n === "ack.ack_range_count") count = v;
        t.add(F[n], v, base + p, vlen);
        p += vlen;
      }
      for (let i = 0; i < count && p < end; i++) {
        t.add(F["ack.gap"], varint(r, p), base + p, vlen);
        p += vlen;
        t.add(F["ack.ack_range"], varint(r, p), base + p, vlen);
        p += vlen;
      }
      if (type === 3)
        for (const n of ["ack.ect0_count", "ack.ect1_count", "ack.ecn_ce_count"] as const) {
          t.add(F[n], varint(r, p), base + p, vlen);
          p += vlen;
        }
    } else if (type === 6) {
      const off = varint(r, p);
      t.add(F["crypto.offset"], off, base + p, vlen);
      p += vlen;
      const len = varint(r, p);
      t.add(F["crypto.length"], len, base + p, vlen);
      p += vlen;
      if (p + len > end) {
        t.pop();
        return;
      }
      t.add(F["crypto.crypto_data"], null, base + p, len, "");
      if (crypto) crypto.push({ off, data: r.data.subarray(p, p + len) });
      p += len;
    } else if (type === 0x1c || type === 0x1d) {
      t.add(F["cc.error_code"], varint(r, p), base + p, vlen);
      p += vlen;
      if (type === 0x1c) {
        t.add(F["cc.frame_type"], varint(r, p), base + p, vlen);
        p += vlen;
      }
      const len = varint(r, p);
      t.add(F["cc.reason_phrase.length"], len, base + p, vlen);
      p += vlen;
      if (p + len > end) {
        t.pop();
        return;
      }
      t.add(F["cc.reason_phrase"], textOf(r, p, len), base + p, len);
      p += len;
    } else if (type !== 1 && type !== 0x1e) {
      // frames not allowed in Initial packets: the rest is shown as it is
      t.pop();
      t.add(F.remaining_payload, null, base + start, end - start, `${end - start} bytes`);
      return;
    }
    t.pop();
  }
}
function textOf(r: Reader, p: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const c = r.byteAt(p + i);
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return s;
}

/**
 * The first pass over a datagram (capture order): connections followed, Initial packets opened, CRYPTO data
 * taken. Returns what later passes need (null when the datagram has no long-header packet).
 */
function track(st: QuicState, r: Reader, ctx: Ctx, p: number, cap: number, sig: string): Memo | null {
  const memo: Memo = { sig, opened: [], tls: [] };
  const h = {} as Long;
  for (let n = 0; p < cap && n < 64; n++) {
    if (!(r.byteAt(p) & 0x80) || !longHeader(r, p, cap, h)) break;
    let hit = connOf(st, r, ctx, h);
    if (!hit && h.type === 0 && h.version !== 0 && h.dcil > 0 && st.byCid.size < MAX_CONNS) {
      // a client's first Initial: a new connection
      const conn: Conn = { dcid: r.data.slice(h.dcid, h.dcid + h.dcil), version: h.version, keys: [undefined, undefined], client: `${ctx.src}|${ctx.srcPort}`, next: [0, 0], held: [null, null] };
      remember(st, cidHex(r, h.dcid, h.dcil), conn, true);
      st.byTuple.set(`${ctx.src}|${ctx.srcPort}|${ctx.dst}|${ctx.dstPort}`, conn);
      st.byTuple.set(`${ctx.dst}|${ctx.dstPort}|${ctx.src}|${ctx.srcPort}`, conn);
      hit = { conn, toServer: true };
    }
    let opened: Memo["opened"][number] = null;
    if (hit) {
      const { conn, toServer } = hit;
      if (h.scid >= 0 && h.scil > 0) remember(st, cidHex(r, h.scid, h.scil), conn, !toServer);
      if (h.type === 3 && !toServer && h.scid >= 0 && h.version !== 0) {
        // a Retry: the client's next Initial goes to the new connection ID, whose keys both sides use
        conn.dcid = r.data.slice(h.scid, h.scid + h.scil);
        conn.keys = [undefined, undefined];
      } else if (h.type === 0 && h.version !== 0 && h.pn >= 0) {
        const dir = toServer ? 0 : 1;
        // the server's version is the connection's; each side's keys are made again when it changes
        if (!toServer) conn.version = h.version;
        let keys = conn.keys[dir];
        if (keys === undefined || keys.version !== conn.version) keys = conn.keys[dir] = initialKeys(conn.version, conn.dcid, !toServer);
        const o = openLongHeader(keys, r.data.subarray(p, Math.min(h.end, cap)), h.pn - p, h.end <= cap);
        if (o) {
          opened = o;
          if (o.plaintext) {
            const crypto: { off: number; data: Uint8Array }[] = [];
            const pr = new Reader().reset(o.plaintext, 0, o.plaintext.length, o.plaintext.length);
            frames(pr, 0, NULL_TREE, crypto);
            if (crypto.length) takeCrypto(st, conn, dir, crypto, memo.tls);
          }
        }
      }
    }
    memo.opened.push(opened);
    if (h.pn < 0 || h.end <= p) break;
    p = h.end;
  }
  return memo;
}

/** The DCID of a short-header packet: the longest known connection ID its first bytes are (tshark's way). */
function shortDcid(st: QuicState, r: Reader, p: number, cap: number): number {
  for (let i = st.lengths.length - 1; i >= 0; i--) {
    const n = st.lengths[i];
    if (p + 1 + n <= cap && st.byCid.has(cidHex(r, p + 1, n))) return n;
  }
  return 0;
}

function tree(st: QuicState, r: Reader, ctx: Ctx, t: TreeSink, p: number, cap: number, rep: number, memo: Memo | null): void {
  const h = {} as Long;
  for (let n = 0; p < cap && n < 64; n++) {
    const b = r.byteAt(p);
    if (!(b & 0x80)) {
      t.add(F.packet_length, rep - p, p, 0);
      t.add(F.header_form, 0, p, 1);
      t.add(F.fixed_bit, (b & 0x40) !== 0, p, 1);
      const dl = st.lengths.length ? shortDcid(st, r, p, cap) : 0;
      if (dl) t.add(F.dcid, hexOf(r, p + 1, dl), p + 1, dl);
      t.add(F.short, null, p, cap - p, `${cap - p} bytes`);
      return;
    }
    const end = longHeader(r, p, cap, h) ? Math.min(h.end, cap) : cap;
    t.add(F.packet_length, (h.end > p ? h.end : cap) - p, p, 0);
    t.add(F.header_form, 1, p, 1);
    t.add(F.fixed_bit, (b & 0x40) !== 0, p, 1);
    if (p + 6 > cap) return;
    if (h.version !== 0) t.add(F["long.packet_type"], h.type, p, 1);
    t.add(F.version, h.version, p + 1, 4);
    t.add(F.dcil, h.dcil, p + 5, 1);
    if (h.dcil > 20) {
      ctx.markMalformed("QUIC: connection ID longer than 20 bytes");
      t.add(F.remaining_payload, null, p + 6, cap - p - 6, `${cap - p - 6} bytes`);
      return;
    }
    if (h.scil < 0) return;
    if (h.dcil) t.add(F.dcid, hexOf(r, h.dcid, h.dcil), h.dcid, h.dcil);
    t.add(F.scil, h.scil, h.scid - 1, 1);
    if (h.scid < 0) return;
    if (h.scil) t.add(F.scid, hexOf(r, h.scid, h.scil), h.scid, h.scil);
    let q = h.scid + h.scil;
    if (h.version === 0) {
      for (; q + 4 <= cap; q += 4) t.add(F.supported_version, u32(r, q), q, 4);
      if (q < cap) t.add(F.remaining_payload, null, q, cap - q, `${cap - q} bytes`);
      return;
    }
    if (h.type === 3) {
      if (q + 16 <= cap) {
        if (cap - 16 > q) t.add(F.retry_token, hexOf(r, q, cap - 16 - q), q, cap - 16 - q);
        t.add(F.retry_integrity_tag, hexOf(r, cap - 16, 16), cap - 16, 16);
      } else if (q < cap) t.add(F.remaining_payload, null, q, cap - q, `${cap - q} bytes`);
      return;
    }
    if (h.tokenLen >= 0) {
      t.add(F.token_length, h.tokenLen, q, h.token - q);
      if (h.tokenLen > 0 && h.token + h.tokenLen <= cap) t.add(F.token, hexOf(r, h.token, h.tokenLen), h.token, h.tokenLen);
    }
    if (h.lengthAt < 0) {
      q = h.token >= 0 ? h.token + Math.max(h.tokenLen, 0) : q;
      if (q < cap) t.add(F.remaining_payload, null, q, cap - q, `${cap - q} bytes`);
      return;
    }
    t.add(F.length, h.length, h.lengthAt, h.lengthLen);
    const o = memo ? memo.opened[n] : null;
    if (o) t.add(F.packet_number, o.pn, h.pn, o.pnLength);
    if (o && o.plaintext) {
      const pr = new Reader().reset(o.plaintext, 0, o.plaintext.length, o.plaintext.length);
      frames(pr, h.pn + o.pnLength, t, null);
    } else if (h.pn < end) t.add(F.remaining_payload, null, h.pn, end - h.pn, `${end - h.pn} bytes`);
    if (h.end > cap || h.end <= p) return;
    p = h.end;
  }
}

export const QUIC: Protocol = {
  id: "quic",
  name: "QUIC",
  title: "QUIC IETF",
  fields: F,
  dissect(r, ctx, t) {
    ctx.line.s(`UDP, length ${r.reportedRemaining}`);
    const p = r.pos;
    const cap = r.cap;
    r.pos = cap;
    // Google QUIC (versions "Q0xx") is another protocol to Wireshark (gquic.*): no quic.* fields for it
    if (p >= cap || (p + 2 <= cap && r.byteAt(p) & 0x80 && r.byteAt(p + 1) === 0x51)) return;
    const st = stateOf(ctx);
    let memo: Memo | null = null;
    if (r.byteAt(p) & 0x80) {
      // a datagram with long-header packets: followed once, in capture order (the first pass over the frame)
      const sig = `${cap - p}:${hexOf(r, p, Math.min(24, cap - p))}`;
      memo = st.memo.get(ctx.frame) ?? null;
      if (memo && memo.sig !== sig) memo = null;
      if (!memo && (ctx.frame > st.last || (ctx.frame === st.last && !ctx.again))) {
        memo = track(st, r, ctx, p, cap, sig);
        if (memo) {
          if (st.memo.size >= MAX_MEMO) st.memo.delete(st.memo.keys().next().value as number);
          st.memo.set(ctx.frame, memo);
        }
      }
    }
    if (ctx.frame > st.last) st.last = ctx.frame;
    if (!t.on) return;
    tree(st, r, ctx, t, p, cap, r.rep, memo);
    if (memo && memo.tls.length) for (const m of memo.tls) (ctx.decrypted ??= []).push({ data: m, proto: TLS_IN_QUIC });
  },
};

bind("udp.port", 443, QUIC);
