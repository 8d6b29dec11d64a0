/**
 * ICMP for IPv4 (RFC 792 and friends) in tcpdump's words (print-icmp.c):
 *   "ICMP echo request, id 4644, seq 1, length 64"
 *   "ICMP 10.0.0.2 udp port 33434 unreachable, length 36"   (from the quoted packet)
 *   "ICMP time exceeded in-transit, length 36"
 * With -v an error message is followed by the quoted packet on its own lines ("\n\t" then the inner IP),
 * which is handed to the IPv4 dissector as a packet cut short (not malformed): the error quotes only its start.
 */
import { bind } from "../registry.js";
import { ETHERTYPE, IPPROTO } from "../constants.js";
import { hex, ipv4At } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import { udpTree } from "../transport/udp.js";
import type { Reader } from "../reader.js";
import { foldSum, onesSum, quotedIpTree } from "./ipv4.js";
import { hexLines } from "./icmpv6.js";

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "Echo (ping) reply",
  3: "Destination unreachable",
  4: "Source quench",
  5: "Redirect",
  8: "Echo (ping) request",
  9: "Router advertisement",
  10: "Router solicitation",
  11: "Time-to-live exceeded",
  12: "Parameter problem",
  13: "Timestamp request",
  14: "Timestamp reply",
  15: "Information request",
  16: "Information reply",
  17: "Address mask request",
  18: "Address mask reply",
};

const F = fields("icmp", {
  type: ["Type", "uint", { values: TYPE_NAMES }],
  code: ["Code", "uint"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  "checksum.status": ["Checksum Status", "string"],
  ident: ["Identifier (BE)", "uint"],
  seq: ["Sequence Number (BE)", "uint"],
  gateway: ["Gateway Address", "ipv4", { name: "icmp.redir_gw" }],
  mtu: ["MTU of next hop", "uint"],
  pointer: ["Pointer", "uint"],
  address_mask: ["Address Mask", "ipv4"],
  originate_timestamp: ["Originate Timestamp", "uint"],
  receive_timestamp: ["Receive Timestamp", "uint"],
  transmit_timestamp: ["Transmit Timestamp", "uint"],
  lifetime: ["Lifetime", "uint"],
  num_addrs: ["Number of addresses", "uint"],
  addr_entry_size: ["Address entry size", "uint"],
  router_address: ["Router address", "ipv4"],
  preference_level: ["Preference level", "uint"],
  data: ["Data", "bytes"],
});

const UNREACH: Readonly<Record<number, string>> = {
  6: "net %s unreachable - unknown",
  7: "host %s unreachable - unknown",
  8: "%s unreachable - source host isolated",
  9: "net %s unreachable - admin prohibited",
  10: "host %s unreachable - admin prohibited",
  11: "net %s unreachable - tos prohibited",
  12: "host %s unreachable - tos prohibited",
  13: "host %s unreachable - admin prohibited filter",
  14: "host %s unreachable - host precedence violation",
  15: "host %s unreachable - precedence cutoff",
};
const REDIRECT: Readonly<Record<number, string>> = {
  0: "redirect %s to net %s",
  1: "redirect %s to host %s",
  2: "redirect-tos %s to net %s",
  3: "redirect-tos %s to host %s",
};
const SIMPLE: Readonly<Record<number, string>> = {
  4: "source quench",
  10: "router solicitation",
  15: "information request",
  16: "information reply",
  17: "address mask request",
};

/** tcpdump's unsigned_relts_print for router advertisement lifetimes */
function lifetimeText(s: number): string {
  if (s < 60) return `${s}`;
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** tcpdump's icmp_tstamp_print: "hh:mm:ss.mmm" since midnight UTC, or the raw value with its high bit set. */
function tstampText(v: number): string {
  if (v & 0x80000000) return `${v & 0x7fffffff}`;
  const ms = v % 1000;
  const sec = Math.floor(v / 1000);
  const h = Math.floor(sec / 3600); // not cut to two digits: tcpdump prints "457:32:59.264"
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${String(ms).padStart(3, "0")}`;
}

/** Ends the line with tcpdump's " [|icmp]". */
function cut(r: Reader, ctx: Ctx): void {
  ctx.line.s(" [|icmp]");
  ctx.truncated = true;
  r.pos = r.cap;
}

/** True for the error types that quote a packet. */
function isError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/**
 * tcpdump's -v text for an ICMP multi-part extension (RFC 4884) after the 128-byte original datagram of an
 * unreachable, time exceeded or parameter problem message: the version, checksum and length, then each object
 * (MPLS label stack entries, RFC 4950, decoded; others in hex). "" when there is none: a zero length field
 * and a wrong checksum say the bytes are no extension.
 */
function multipartText(r: Reader, start: number, plen: number): string {
  const d = r.data;
  const cap = r.cap;
  if (start + 141 > cap) return " [|icmp]";
  const e = start + 136;
  const all = plen - 136;
  const whole = e + all <= cap;
  const ok = whole && foldSum(onesSum(d, e, all)) === 0xffff;
  if (d[start + 5] === 0 && whole && !ok) return "";
  const ver = d[e] >> 4;
  let s = `\n\tICMP Multi-Part extension v${ver}`;
  if (ver !== 2) return s + " packet not supported";
  if (whole) s += `, checksum 0x${hex((d[e + 2] << 8) | d[e + 3], 4)} (${ok ? "" : "in"}correct), length ${all}`;
  let left = all - 4;
  let p = e + 4;
  while (left > 4) {
    if (p + 4 > cap) return s + " [|icmp]";
    const olen = (d[p] << 8) | d[p + 1];
    const cls = d[p + 2];
    const ct = d[p + 3];
    p += 4;
    left -= 4;
    s += `\n\t  ${cls === 1 ? "MPLS Stack Entry" : cls === 2 ? "Interface Identification" : "unknown"} Object (${cls}), Class-Type: ${ct}, length ${olen}`;
    if (cls === 0 || olen < 4) return s;
    const n = olen - 4;
    if (cls === 1 && ct === 1) {
      if (p + 4 > cap) return s + " [|icmp]";
      const raw = ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
      s += `\n\t    label ${raw >>> 12}, tc ${(raw >> 9) & 7}${raw & 0x100 ? ", [S]" : ""}, ttl ${raw & 0xff}`;
    } else s += hexLines(r, p, Math.max(0, Math.min(n, cap - p)), "\n\t    ");
    if (left < n) break;
    left -= n;
    p += n;
  }
  return s;
}

export const ICMP: Protocol = {
  id: "icmp",
  name: "ICMP",
  title: "Internet Control Message Protocol",
  fields: F,
  dissect(r: Reader, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    const type = r.u8();
    const code = r.u8();
    if (r.truncated) return;
    // tcpdump reads the checksum only with -v: a message cut after its code still prints
    const sum = r.has(2) ? r.u16() : (r.pos = r.cap, 0);
    if (t.on) {
      t.add(F.type, type, start, 1);
      t.add(F.code, code, start + 1, 1);
      if (r.pos - start >= 4) t.add(F.checksum, sum, start + 2, 2);
      // extended echo (RFC 8335): its identifier, as tshark shows it
      if ((type === 42 || type === 43) && start + 6 <= r.cap) t.add(F.ident, (r.data[start + 4] << 8) | r.data[start + 5], start + 4, 2);
    }
    const d = r.data;
    const inner = start + 8; // the quoted IP header of an error
    let s = "";
    switch (type) {
      case 0:
      case 8: {
        const id = r.u16();
        const seq = r.u16();
        if (r.truncated) break;
        if (t.on) {
          t.add(F.ident, id, start + 4, 2);
          t.add(F.seq, seq, start + 6, 2);
        }
        s = `echo ${type === 8 ? "request" : "reply"}, id ${id}, seq ${seq}`;
        break;
      }
      case 3: {
        if (t.on && code === 4) t.add(F.mtu, (r.peek(2) << 8) | r.peek(3), start + 6, 2);
        if (!r.skip(4)) break;
        // the quoted header: the destination is at +16, the protocol at +9
        if (!r.has(20)) {
          r.skip(20);
          break;
        }
        const odst = ipv4At(d, inner + 16);
        const op = r.byteAt(inner + 9);
        switch (code) {
          case 0:
            s = `net ${odst} unreachable`;
            break;
          case 1:
            s = `host ${odst} unreachable`;
            break;
          case 2:
            s = `${odst} protocol ${op} unreachable`;
            break;
          case 3: {
            const hl = (r.byteAt(inner) & 15) * 4;
            const pp = inner + hl + 2;
            if (pp + 2 > r.cap) {
              r.pos = start;
              r.skip(pp + 2 - start);
              return;
            }
            const port = (r.byteAt(pp) << 8) | r.byteAt(pp + 1);
            s =
              op === IPPROTO.TCP
                ? `${odst} tcp port ${port} unreachable`
                : op === IPPROTO.UDP
                  ? `${odst} udp port ${port} unreachable`
                  : `${odst} protocol ${op} port ${port} unreachable`;
            break;
          }
          case 4: {
            const mtu = (r.byteAt(start + 6) << 8) | r.byteAt(start + 7);
            s = mtu ? `${odst} unreachable - need to frag (mtu ${mtu})` : `${odst} unreachable - need to frag`;
            break;
          }
          case 5:
            s = `${odst} unreachable - source route failed`;
            break;
          default:
            s = (UNREACH[code] ?? `#${code} %s unreachable`).replace("%s", odst);
        }
        break;
      }
      case 5: {
        const gw = r.has(4) ? ipv4At(d, r.pos) : "";
        if (!r.skip(4)) break;
        if (t.on) t.add(F.gateway, gw, start + 4, 4);
        if (!r.has(20)) {
          r.skip(20);
          break;
        }
        const odst = ipv4At(d, inner + 16);
        s = (REDIRECT[code] ?? `redirect-#${code} %s to net %s`).replace("%s", odst).replace("%s", gw);
        break;
      }
      case 9: {
        const num = r.u8();
        const size = r.u8();
        const life = r.u16();
        if (r.truncated) break;
        if (t.on) {
          t.add(F.num_addrs, num, start + 4, 1);
          t.add(F.addr_entry_size, size, start + 5, 1);
          t.add(F.lifetime, life, start + 6, 2);
        }
        s = `router advertisement lifetime ${lifetimeText(life)} ${num}:`;
        if (size !== 2) {
          s += ` [size ${size}]`;
          break;
        }
        for (let i = 0; i < num; i++) {
          if (!r.has(8)) {
            r.skip(8);
            break;
          }
          const a = ipv4At(d, r.pos);
          r.pos += 4;
          const pref = r.u32();
          if (t.on) {
            t.add(F.router_address, a, r.pos - 8, 4);
            t.add(F.preference_level, pref, r.pos - 4, 4);
          }
          s += ` {${a} ${pref}}`;
        }
        break;
      }
      case 11:
        // tcpdump checks that the quoted header is there up to its destination address
        r.skip(4);
        if (!r.has(20)) {
          r.skip(20);
          break;
        }
        s = code === 0 ? "time exceeded in-transit" : code === 1 ? "ip reassembly time exceeded" : `time exceeded-#${code}`;
        break;
      case 12: {
        const ptr = r.u8();
        r.skip(3);
        if (t.on) t.add(F.pointer, ptr, start + 4, 1);
        s = code ? `parameter problem - code ${code}` : `parameter problem - octet ${ptr}`;
        break;
      }
      case 13:
      case 14: {
        const id = r.u16();
        const seq = r.u16();
        if (r.truncated) break;
        if (t.on) {
          t.add(F.ident, id, start + 4, 2);
          t.add(F.seq, seq, start + 6, 2);
        }
        if (type === 13) s = `time stamp query id ${id} seq ${seq}`;
        else {
          const o = r.u32();
          const rv = r.u32();
          const x = r.u32();
          if (r.truncated) break;
          if (t.on) {
            t.add(F.originate_timestamp, o, start + 8, 4);
            t.add(F.receive_timestamp, rv, start + 12, 4);
            t.add(F.transmit_timestamp, x, start + 16, 4);
          }
          s = `time stamp reply id ${id} seq ${seq}: org ${tstampText(o)}, recv ${tstampText(rv)}, xmit ${tstampText(x)}`;
        }
        break;
      }
      case 18: {
        r.skip(4);
        const mask = r.u32();
        if (r.truncated) break;
        if (t.on) t.add(F.address_mask, ipv4At(d, start + 8), start + 8, 4);
        s = `address mask is 0x${hex(mask, 8)}`;
        break;
      }
      default:
        s = SIMPLE[type] ?? `type-#${type}`;
    }
    if (r.truncated) return;
    ctx.line.s(`ICMP ${s}, length ${length}`);
    // -v checks the checksum of a message captured whole, as tcpdump, unless IPv4 says it is a fragment
    if (ctx.opts.verbose > 0 && !ctx.malformed && length >= 4 && r.cap - start >= length && !ctx.fragmented && r.cap >= start + 4) {
      const c = foldSum(onesSum(d, start, length));
      if (c !== 0xffff) ctx.line.s(` (wrong icmp cksum ${sum.toString(16)} (->${foldSum(sum + (~c & 0xffff)).toString(16)})!)`);
    } else if (ctx.opts.verbose > 0 && !ctx.malformed && length < 4 && r.cap - start >= length && !ctx.fragmented) {
      // a message too short to hold its checksum: tcpdump's read of it for the "wrong cksum" text is cut short
      if (foldSum(onesSum(d, start, length)) !== 0xffff) return cut(r, ctx);
    }
    // -v: tcpdump starts the quoted packet's line, then needs its total length
    if (ctx.opts.verbose > 0 && isError(type) && inner + 4 > r.cap) {
      ctx.line.s("\n\t");
      return cut(r, ctx);
    }
    const ext = ctx.opts.verbose > 0 && length > 136 && (type === 3 || type === 11 || type === 12) ? multipartText(r, start, length) : "";
    if (ctx.opts.verbose > 0 && isError(type) && r.has(20) && (r.byteAt(inner) >> 4) === 4) {
      ctx.tail = ext;
      // The quoted packet, as tcpdump prints it with -v. Its own length field says how long it was; the
      // error carries only its start, which reads as a packet cut by the capture, not as a lie.
      const totlen = (r.byteAt(inner + 2) << 8) | r.byteAt(inner + 3);
      r.pos = inner;
      if (inner + totlen > r.rep) r.rep = inner + totlen;
      ctx.line.s("\n\t");
      ctx.addrPrinted = false;
      return ctx.next("ethertype", ETHERTYPE.IPV4);
    }
    ctx.line.s(ext);
    if (t.on && isError(type) && inner + 20 <= r.cap && (d[inner] >> 4) === 4) {
      quotedIpTree(t, d, inner);
      quotedTransportTree(t, d, inner, r.cap);
    }
    if (t.on && r.pos < r.cap) {
      t.add(F.data, null, r.pos, r.cap - r.pos, `${r.cap - r.pos} bytes`);
    }
    r.pos = r.cap;
  },
};

/**
 * The transport header after the IPv4 header quoted in an error, as tshark shows it (its fields join the outer
 * packet's: "3,8" for icmp.type): UDP's and ICMP's, as far as captured, when the quoted packet is a first fragment.
 */
function quotedTransportTree(t: TreeSink, d: Uint8Array, q: number, cap: number): void {
  const hl = (d[q] & 15) * 4;
  if (hl < 20 || ((d[q + 6] << 8) | d[q + 7]) & 0x1fff) return;
  const p = q + hl;
  const proto = d[q + 9];
  if (proto === IPPROTO.UDP) udpTree(t, d, p, cap);
  else if (proto === IPPROTO.ICMP && p + 4 <= cap) {
    const type = d[p];
    t.add(F.type, type, p, 1);
    t.add(F.code, d[p + 1], p + 1, 1);
    t.add(F.checksum, (d[p + 2] << 8) | d[p + 3], p + 2, 2);
    if ((type === 0 || type === 8) && p + 8 <= cap) {
      t.add(F.ident, (d[p + 4] << 8) | d[p + 5], p + 4, 2);
      t.add(F.seq, (d[p + 6] << 8) | d[p + 7], p + 6, 2);
    }
  }
}

bind("ip.proto", IPPROTO.ICMP, ICMP);
