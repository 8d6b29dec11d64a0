/**
 * Does a received packet answer a sent one? scapy's `answers()` rules over raw bytes (both sides parsed the
 * same way, from the link layer to the transport header):
 *   ARP who-has X -> is-at from X; ICMP echo -> echo reply with the same id and seq; ICMPv6 echo likewise,
 *   NS -> NA for its target, RS -> RA; TCP -> the ports swapped and, when the reply acknowledges, ack = seq +
 *   the segment's length (SYN and FIN count one; a SYN is answered by SYN/ACK or RST/ACK); UDP -> the ports
 *   swapped, and for DNS the same id with QR set; any IP packet -> an ICMP/ICMPv6 error quoting it (its
 *   addresses, protocol and first transport bytes).
 * A reply must come from the address the request went to, unless that was multicast or broadcast.
 * The parser reads only what is there (every read is bounded by `end`); a short or odd packet matches nothing.
 */

export interface View {
  b: Uint8Array;
  end: number;
  /** "arp", "ip4", "ip6" or "" */
  net: string;
  /** network header offset */
  n: number;
  /** transport header offset (-1 when none) */
  t: number;
  /** IP protocol / IPv6 next header of the transport */
  proto: number;
}

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

function same(b1: Uint8Array, o1: number, b2: Uint8Array, o2: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b1[o1 + i] !== b2[o2 + i]) return false;
  return true;
}

/** Parses b[off, end) of link type `linktype` (1 Ethernet, 113 SLL, 276 SLL2, 101/228/229 raw IP); null if unusable. */
export function parse(b: Uint8Array, off: number, end: number, linktype: number): View | null {
  let o = off;
  let type: number;
  if (linktype === 1) {
    if (end - o < 14) return null;
    type = u16(b, o + 12);
    o += 14;
  } else if (linktype === 113) {
    if (end - o < 16) return null;
    type = u16(b, o + 14);
    o += 16;
  } else if (linktype === 276) {
    if (end - o < 20) return null;
    type = u16(b, o);
    o += 20;
  } else if (linktype === 101 || linktype === 228 || linktype === 229 || linktype === 12) {
    if (end - o < 1) return null;
    type = b[o] >> 4 === 6 ? 0x86dd : 0x0800;
  } else return null;
  for (let k = 0; k < 2 && (type === 0x8100 || type === 0x88a8) && end - o >= 4; k++) {
    type = u16(b, o + 2);
    o += 4;
  }
  return parseNet(b, o, end, type);
}

function parseNet(b: Uint8Array, o: number, end: number, type: number): View | null {
  if (type === 0x0806) return end - o >= 28 ? { b, end, net: "arp", n: o, t: -1, proto: -1 } : null;
  if (type === 0x0800) {
    if (end - o < 20 || b[o] >> 4 !== 4) return null;
    const hl = (b[o] & 15) * 4;
    const t = o + hl <= end && hl >= 20 ? o + hl : -1;
    return { b, end, net: "ip4", n: o, t, proto: b[o + 9] };
  }
  if (type === 0x86dd) {
    if (end - o < 40 || b[o] >> 4 !== 6) return null;
    // extension headers: hop-by-hop, routing, destination options (fragments are not followed)
    let nh = b[o + 6];
    let t = o + 40;
    for (let k = 0; k < 8 && (nh === 0 || nh === 43 || nh === 60) && t + 8 <= end; k++) {
      const len = (b[t + 1] + 1) * 8;
      nh = b[t];
      t += len;
    }
    return { b, end, net: "ip6", n: o, t: t <= end ? t : -1, proto: nh };
  }
  return null;
}

/** Whether the transport of v has `n` bytes. */
const has = (v: View, n: number) => v.t >= 0 && v.t + n <= v.end;

function isMulticast(v: View): boolean {
  if (v.net === "ip4") {
    const a = v.b[v.n + 16];
    return (a >= 224 && a <= 239) || (a === 255 && v.b[v.n + 19] === 255);
  }
  return v.net === "ip6" && v.b[v.n + 24] === 0xff;
}

/** Does `r` (received) answer `s` (sent)? */
export function answers(s: View, r: View): boolean {
  if (s.net === "arp") {
    if (r.net !== "arp") return false;
    // request op 1 -> reply op 2 from the asked address, to us
    return u16(s.b, s.n + 6) === 1 && u16(r.b, r.n + 6) === 2 && same(r.b, r.n + 14, s.b, s.n + 24, 4) && same(r.b, r.n + 24, s.b, s.n + 14, 4);
  }
  if (s.net !== r.net || r.t < 0) return false;
  const v6 = s.net === "ip6";
  const alen = v6 ? 16 : 4;
  const srcOff = v6 ? 8 : 12,
    dstOff = v6 ? 24 : 16;
  // an ICMP error quoting what we sent
  if (r.proto === (v6 ? 58 : 1) && has(r, 8)) {
    const t = r.b[r.t];
    const isErr = v6 ? t >= 1 && t <= 4 : t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
    if (isErr) {
      const q = parseNet(r.b, r.t + 8, r.end, v6 ? 0x86dd : 0x0800);
      if (!q || q.proto !== s.proto) return false;
      if (!same(q.b, q.n + srcOff, s.b, s.n + srcOff, alen) || !same(q.b, q.n + dstOff, s.b, s.n + dstOff, alen)) return false;
      if (!v6 && u16(q.b, q.n + 4) !== u16(s.b, s.n + 4)) return false; // IP id
      if (q.t < 0 || s.t < 0) return true;
      const n = Math.min(8, q.end - q.t, s.end - s.t);
      return same(q.b, q.t, s.b, s.t, Math.max(0, n));
    }
  }
  if (r.proto !== s.proto || s.t < 0) return false;
  if (!isMulticast(s) && !same(r.b, r.n + srcOff, s.b, s.n + dstOff, alen)) return false;
  const sp = s.proto;
  if (sp === 1 && has(s, 8) && has(r, 8)) {
    const st = s.b[s.t],
      rt = r.b[r.t];
    const pair = (st === 8 && rt === 0) || (st === 13 && rt === 14) || (st === 15 && rt === 16) || (st === 17 && rt === 18);
    return pair && u32(s.b, s.t + 4) === u32(r.b, r.t + 4);
  }
  if (sp === 58 && has(s, 8) && has(r, 8)) {
    const st = s.b[s.t],
      rt = r.b[r.t];
    if (st === 128) return rt === 129 && u32(s.b, s.t + 4) === u32(r.b, r.t + 4);
    if (st === 135) return rt === 136 && has(s, 24) && has(r, 24) && same(r.b, r.t + 8, s.b, s.t + 8, 16);
    if (st === 133) return rt === 134;
    return false;
  }
  if (sp === 6 && has(s, 20) && has(r, 20)) {
    if (u16(r.b, r.t) !== u16(s.b, s.t + 2) || u16(r.b, r.t + 2) !== u16(s.b, s.t)) return false;
    const sflags = s.b[s.t + 13],
      rflags = r.b[r.t + 13];
    const sseq = u32(s.b, s.t + 4);
    const hl = (s.b[s.t + 12] >> 4) * 4;
    const ipEnd = v6 ? s.n + 40 + u16(s.b, s.n + 4) : s.n + u16(s.b, s.n + 2);
    const dataLen = Math.max(0, Math.min(ipEnd, s.end) - s.t - hl);
    if (rflags & 0x10) {
      const want = (sseq + dataLen + (sflags & 0x02 ? 1 : 0) + (sflags & 0x01 ? 1 : 0)) >>> 0;
      return u32(r.b, r.t + 8) === want;
    }
    // a RST without ACK answers a segment whose ack it takes as its seq
    return !!(rflags & 0x04) && u32(r.b, r.t + 4) === u32(s.b, s.t + 8);
  }
  if (sp === 17 && has(s, 8) && has(r, 8)) {
    if (u16(r.b, r.t) !== u16(s.b, s.t + 2) || u16(r.b, r.t + 2) !== u16(s.b, s.t)) return false;
    const dport = u16(s.b, s.t + 2);
    if ((dport === 53 || dport === 5353 || dport === 5355) && has(s, 8 + 12)) {
      return has(r, 8 + 12) && u16(r.b, r.t + 8) === u16(s.b, s.t + 8) && (r.b[r.t + 10] & 0x80) !== 0;
    }
    return true;
  }
  // another protocol: same protocol from the right address is an answer
  return true;
}
