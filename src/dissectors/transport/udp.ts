/**
 * UDP (RFC 768). tcpdump: "IP a.1 > b.2: UDP, length 10" when no application printer claims the ports;
 * an application dissector found through "udp.port" prints its own text after "IP a.1 > b.2: ".
 */
import { bind, bindDefault } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import { hex } from "../format.js";
import { shouldBe, transportSum } from "../network/checksum.js";
import { DATA } from "../data.js";
import { conversationsOf } from "../../stream/conversations.js";

const F = fields("udp", {
  srcport: ["Source Port", "uint"],
  dstport: ["Destination Port", "uint"],
  port: ["Source or Destination Port", "uint"],
  length: ["Length", "uint"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  stream: ["Stream index", "uint"],
});

/** The UDP length of the datagram being dissected when it exceeds the IP payload (-1 when not), and that payload's length: for UDP_DATA's "bad length". */
let badLen = -1;
let badAvail = 0;

/**
 * The header's fields in the tree, as far as they are captured (tshark keeps the ports of a header cut short);
 * also for the header quoted in an ICMP error.
 */
export function udpTree(t: TreeSink, d: Uint8Array, p: number, cap: number): void {
  if (p + 4 > cap) return;
  const sport = (d[p] << 8) | d[p + 1],
    dport = (d[p + 2] << 8) | d[p + 3];
  t.add(F.srcport, sport, p, 2);
  t.add(F.dstport, dport, p + 2, 2);
  t.add(F.port, sport, p, 2);
  t.add(F.port, dport, p + 2, 2);
  if (p + 6 <= cap) t.add(F.length, (d[p + 4] << 8) | d[p + 5], p + 4, 2);
  if (p + 8 <= cap) t.add(F.checksum, (d[p + 6] << 8) | d[p + 7], p + 6, 2);
}

export const UDP: Protocol = {
  id: "udp",
  name: "UDP",
  title: "User Datagram Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const sport = r.u16();
    const dport = r.u16();
    const ulen = r.u16();
    const sum = r.u16();
    ctx.srcPort = sport;
    ctx.dstPort = dport;
    if (r.truncated) {
      if (t.on) udpTree(t, r.data, start, r.cap);
      ctx.line.s(ctx.addrPrinted ? "" : ctx.net ? `${ctx.src} > ${ctx.dst}:` : "");
      return;
    }
    if (!ctx.addrPrinted) {
      const l = ctx.line;
      if (ctx.net) l.s(ctx.src).c(0x2e).u(sport).s(" > ").s(ctx.dst).c(0x2e).u(dport).s(": ");
      else l.u(sport).s(" > ").u(dport).s(": ");
    }
    ctx.addrPrinted = true;
    if (t.on) {
      // a length below 8: Wireshark stops after the length field (no checksum); over IPv6 a length of 0 is a
      // jumbogram's (RFC 2675), whose header Wireshark shows whole
      udpTree(t, r.data, start, ulen < 8 && !(ulen === 0 && (ctx.net === "IP6" || (ctx.net === "" && ctx.ip6Src >= 0))) ? Math.min(r.cap, start + 6) : r.cap);
      // udp.stream, numbered as Wireshark numbers conversations (not on an IP fragment: Wireshark dissects
      // UDP on the reassembled datagram, which tsniff does not make)
      const stream = conversationsOf(ctx.state).udpOf(ctx, sport, dport);
      if (!ctx.fragmented) t.add(F.stream, stream, start, 0);
    } else conversationsOf(ctx.state).udpOf(ctx, sport, dport);
    const avail = r.rep - start;
    if (ulen < 8) {
      ctx.line.s(`bad udp length ${ulen}`);
      ctx.markMalformed(`UDP length ${ulen} below 8`);
      return;
    }
    badLen = -1;
    if (ulen > avail) {
      // tcpdump still hands the IP payload to the port's printer; only its plain line says "bad length"
      ctx.markMalformed(`UDP length ${ulen} exceeds the ${avail} bytes of the IP payload`);
      if (avail === 8) {
        ctx.line.s(`UDP, bad length ${ulen - 8} > 0`);
        return;
      }
      badLen = ulen - 8;
      badAvail = avail - 8;
      return ctx.next("udp.port", Math.min(sport, dport), Math.max(sport, dport));
    }
    r.limit(ulen - 8);
    // tcpdump: -vv checks an IPv4 UDP checksum (0 means none was sent), -v an IPv6 one (always required).
    if (ctx.opts.verbose > 1 && ctx.net === "IP") {
      if (sum === 0) ctx.line.s("[no cksum] ");
      else udpSum(r.data, ctx, start, ulen, r.cap, sum);
    } else if (ctx.opts.verbose > 0 && (ctx.net === "IP6" || (ctx.net === "" && ctx.ip6Src >= 0))) udpSum(r.data, ctx, start, ulen, r.cap, sum);
    if (ulen === 8) {
      ctx.line.s("UDP, length 0");
      return;
    }
    return ctx.next("udp.port", Math.min(sport, dport), Math.max(sport, dport));
  },
};

function udpSum(d: Uint8Array, ctx: Ctx, start: number, ulen: number, cap: number, sum: number): void {
  const c = transportSum(d, ctx, IPPROTO.UDP, start, ulen, cap);
  if (c === 0xffff) ctx.line.s("[udp sum ok] ");
  else if (c >= 0) ctx.line.s(`[bad udp cksum 0x${hex(sum, 4)} -> 0x${hex(shouldBe(sum, c), 4)}!] `);
}

/** When no application dissector claims a UDP payload: tcpdump's "UDP, length N". */
export const UDP_DATA: Protocol = {
  id: "data",
  name: "UDP",
  dissect(r, ctx, t) {
    if (badLen >= 0) ctx.line.s("UDP, bad length ").u(badLen).s(" > ").u(badAvail);
    else ctx.line.s("UDP, length ").u(r.reportedRemaining);
    return DATA.dissect(r, ctx, t);
  },
};

bind("ip.proto", IPPROTO.UDP, UDP);
bindDefault("udp.port", UDP_DATA);
