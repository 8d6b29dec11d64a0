/**
 * UDP (RFC 768). tcpdump: "IP a.1 > b.2: UDP, length 10" when no application printer claims the ports;
 * an application dissector found through "udp.port" prints its own text after "IP a.1 > b.2: ".
 */
import { bind, bindDefault, lookup } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { fields, type Ctx, type Handoff, type Protocol, type TreeSink } from "../types.js";
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
    let ulen = r.u16();
    const sum = r.u16();
    ctx.srcPort = sport;
    ctx.dstPort = dport;
    if (r.truncated) {
      if (t.on) udpTree(t, r.data, start, r.cap);
      // tcpdump prints the ports when they were captured ("a.1 > b.2:  [|udp]")
      if (!ctx.addrPrinted && ctx.net) ctx.line.s(start + 4 <= r.cap ? `${ctx.src}.${sport} > ${ctx.dst}.${dport}: ` : `${ctx.src} > ${ctx.dst}: `);
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
    } else if (!ctx.opts.summaryOnly) conversationsOf(ctx.state).udpOf(ctx, sport, dport); // numbered for a later detail pass
    const avail = r.rep - start;
    // a jumbogram (RFC 2675): a length of 0 with more than 65535 bytes from IPv6 takes IPv6's length, as tcpdump
    // (over IPv6 only: an IPv4 total length that large is BIG TCP's 0, where tcpdump stops at the IP header)
    const jumbo = ulen === 0 && avail > 65535 && (ctx.net === "IP6" || (ctx.net === "" && ctx.ip6Src >= 0));
    if (jumbo) ulen = avail;
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
      return portHandoff(ctx, sport, dport);
    }
    // a UDP length below the IP payload's: the port's printer gets that length and may still read the captured
    // bytes after it, as tcpdump's printers do (a UDP length of 8: length 0; a RIP entry running past the length)
    if (ulen < avail) r.lengthOnly(ulen - 8);
    else r.limit(ulen - 8);
    // tcpdump: -vv checks an IPv4 UDP checksum (0 means none was sent), -v an IPv6 one (always required).
    if (ctx.opts.verbose > 1 && ctx.net === "IP") {
      if (sum === 0) ctx.line.s("[no cksum] ");
      else udpSum(r.data, ctx, start, ulen, r.cap, sum);
    } else if (ctx.opts.verbose > 0 && (ctx.net === "IP6" || (ctx.net === "" && ctx.ip6Src >= 0))) udpSum(r.data, ctx, start, ulen, r.cap, sum);
    // tcpdump hands even an empty payload to the port's printer (most print their cut mark, " [|ntp]");
    // Wireshark decodes nothing there: the line only
    // (tshark 4.0 leaves a jumbogram's payload as data too: quic_32_bit_pointer_overflow.pcap)
    if (ulen === 8 || jumbo) ctx.lineOnly = true;
    return portHandoff(ctx, sport, dport);
  },
};

/**
 * tcpdump's udp_print tries its printers port by port in a fixed order (DNS, BOOTP, TFTP, Kerberos, NTP, ...,
 * HNCP, wb, RADIUS, HSRP, ...), where Wireshark (and the "udp.port" table's lookup) tries the lower port
 * first: between 1812 (RADIUS) and 8231 (HNCP) tcpdump prints HNCP. PORT_RANK is that order (1 first; 0: not in
 * tcpdump's list, tried after every listed port, lower first); DST_ONLY marks printers tcpdump asks for by the
 * destination port only (wb, HSRP, BFD, VAT, Geneve, LWAPP control). The line follows tcpdump's order, the tree
 * the table's: where they pick different protocols the handoff names tcpdump's for the line (Handoff.line).
 * Printers that only tcpdump has (Wireshark has no dissector: HNCP, wb) are bound in "udp.port/tcpdump": the
 * line finds them, the tree does not (it shows data there, as tshark does).
 */
const PORT_RANK = new Uint8Array(65536);
const DST_ONLY = new Uint8Array(65536);
{
  // tcpdump 4.99's udp_print, in order; a negative port is tried as the destination only
  const ORDER: number[][] = [
    [53], [67, 68], [69], [88], [123], [137], [138], [161, 162], [319, 320], [496], [500], [514], [520], [521], [525],
    [546, 547], [646], [654], [698], [701], [750], [921], [5353], [4500], [7500, 8500], [1701], [-3456], [2103, 2104],
    [7000, 7001, 7002, 7003, 7004, 7005, 7006, 7007, 7008, 7009], [5359], [6696, 6697], [8231], [-4567],
    [1645, 1812, 1646, 1813, 1700, 3799], [-1985], [3503], [-3784, -4784, -6784, -3785], [1589], [6343], [12222, 12223],
    [5060], [8472], [4789], [-6081], [4342], [4790], [17754], [6635], [30490],
  ];
  ORDER.forEach((ports, i) => {
    for (const p of ports) {
      PORT_RANK[Math.abs(p)] = i + 1;
      if (p < 0) DST_ONLY[-p] = 1;
    }
  });
}
function rank(port: number, dst: boolean): number {
  const r = PORT_RANK[port];
  return r === 0 || (DST_ONLY[port] && !dst) ? 255 : r;
}
/** The printer tcpdump would use on `port` (a destination when dst), if tsniff has one. */
function linePrinter(port: number, dst: boolean): Protocol | undefined {
  if (DST_ONLY[port] && !dst) return undefined;
  return lookup("udp.port/tcpdump", port) ?? lookup("udp.port", port);
}
/** The handoff to the port's application: the table's lookup (lower port first), and tcpdump's printer for the line when it differs. */
function portHandoff(ctx: Ctx, sport: number, dport: number): Handoff {
  const lo = sport < dport ? sport : dport,
    hi = sport < dport ? dport : sport;
  const h = ctx.next("udp.port", lo, hi);
  const rs = rank(sport, sport === dport),
    rd = rank(dport, true);
  // neither port in tcpdump's list (most traffic between unprivileged ports, QUIC on 443): its order is the
  // table's, lower first (the line-only printers' ports are in the list)
  if (rs === 255 && rd === 255) return h;
  const dFirst = rd < rs || (rd === rs && dport < sport);
  const line = (dFirst ? linePrinter(dport, true) : linePrinter(sport, sport === dport)) ?? (dFirst ? linePrinter(sport, sport === dport) : linePrinter(dport, true));
  if (line && line !== (lookup("udp.port", lo) ?? lookup("udp.port", hi))) h.line = line;
  return h;
}

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
    if (r.cap > r.rep) r.cap = r.rep; // bytes past a UDP length of 8 (lengthOnly) are not this datagram's data
    if (badLen >= 0) ctx.line.s("UDP, bad length ").u(badLen).s(" > ").u(badAvail);
    else ctx.line.s("UDP, length ").u(r.reportedRemaining);
    return DATA.dissect(r, ctx, t);
  },
};

bind("ip.proto", IPPROTO.UDP, UDP);
bindDefault("udp.port", UDP_DATA);
