/**
 * IPv6 (RFC 8200) with its extension headers, as tcpdump's print-ip6.c prints them:
 *   "IP6 fd01::1 > fd01::2: ICMP6, echo request, id 1, seq 1, length 64"
 *   "IP6 a > b: HBH ICMP6, ..."                hop-by-hop options ("HBH (rtalert: 0x0000) (padn) " with -v)
 *   "IP6 a > b: DSTOPT 1 > 2: UDP, length 7"   destination options (ports only: the addresses are printed)
 *   "IP6 a > b: RT6 (len=2, type=0 [Deprecated], segleft=0, [0]fd01::2) ..."
 *   "IP6 a > b: frag (1448|1448)"              fragments ("frag (0xident:off|len)" with -v); later ones stop
 * -v prints "IP6 (flowlabel 0x..., hlim 64, next-header TCP (6) payload length: 40) " first.
 * Like tcpdump, TCP and UDP right after the fixed header print the addresses themselves.
 */
import { bind, lookup } from "../registry.js";
import { ETHERTYPE, IPPROTO, LINKTYPE } from "../constants.js";
import { hex, ipv6At } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

/** tcpdump's ipproto_values (its names differ from IPPROTO_NAMES: "Options", and no name for 59 and 60) */
export const TCPDUMP_IPPROTO: Readonly<Record<number, string>> = {
  0: "Options",
  1: "ICMP",
  2: "IGMP",
  4: "IPIP",
  6: "TCP",
  8: "EGP",
  9: "IGRP",
  17: "UDP",
  33: "DCCP",
  41: "IPv6",
  43: "Routing",
  44: "Fragment",
  46: "RSVP",
  47: "GRE",
  50: "ESP",
  51: "AH",
  55: "Mobile IP",
  58: "ICMPv6",
  62: "Mobile IP (old)",
  88: "EIGRP",
  89: "OSPF",
  103: "PIM",
  108: "Compressed IP",
  112: "VRRP",
  113: "PGM",
  132: "SCTP",
  135: "Mobility",
  240: "pfsync",
  143: "Ethernet",
  54: "NHRP",
};

const F = fields("ipv6", {
  version: ["Version", "uint"],
  tclass: ["Traffic Class", "uint", { base: "hex", digits: 8 }],
  ipversion: ["Version", "uint", { name: "ip.version", hidden: true }],
  flow: ["Flow Label", "uint", { base: "hex" }],
  plen: ["Payload Length", "uint"],
  nxt: ["Next Header", "uint", { values: TCPDUMP_IPPROTO }],
  hlim: ["Hop Limit", "uint"],
  src: ["Source Address", "ipv6"],
  dst: ["Destination Address", "ipv6"],
  addr: ["Source or Destination Address", "ipv6"],
  "hopopts.nxt": ["Next Header", "uint"],
  "hopopts.len": ["Length", "uint"],
  "dstopts.nxt": ["Next Header", "uint"],
  "dstopts.len": ["Length", "uint"],
  "opt.type": ["Type", "uint", { base: "hex" }],
  "opt.length": ["Length", "uint"],
  "opt.router_alert": ["Router Alert", "uint"],
  "opt.jumbo": ["Payload Length", "uint"],
  "routing.nxt": ["Next Header", "uint"],
  "routing.len": ["Length", "uint"],
  "routing.type": ["Type", "uint"],
  "routing.segleft": ["Segments Left", "uint"],
  "routing.src.addr": ["Address", "ipv6"],
  "routing.srh.last_entry": ["Last Entry", "uint"],
  "routing.srh.flags": ["Flags", "uint", { base: "hex" }],
  "routing.srh.tag": ["Tag", "uint", { base: "hex" }],
  "routing.srh.addr": ["Address", "ipv6"],
  "fragment.nxt": ["Next header", "uint"],
  "fragment.offset": ["Offset", "uint"],
  "fragment.more": ["More Fragments", "bool"],
  "fragment.id": ["Identification", "uint", { base: "hex" }],
});


/**
 * Hop-by-hop / destination options, walked as tcpdump's ip6_opt_process: the text is printed with -v only,
 * but an option that runs past the header ends the line with a truncation marker at any verbosity.
 * Returns the text and whether the walk ran off the header.
 */
function walkOptions(r: Reader, p: number, end: number, t: TreeSink, verbose: boolean, plen: number | null): [string, boolean] {
  let s = "";
  let jumboSeen = false;
  while (p < end) {
    const type = r.byteAt(p);
    if (type === 0) {
      if (verbose) s += "(pad1)";
      p++;
      continue;
    }
    if (p + 2 > end) return [s, true];
    const len = r.byteAt(p + 1);
    if (p + 2 + len > end) return [s, true];
    if (t.on) {
      t.add(F["opt.type"], type, p, 1);
      t.add(F["opt.length"], len, p + 1, 1);
    }
    switch (type) {
      case 1:
        if (verbose) s += "(padn)";
        break;
      case 5: {
        if (end - p < 4) return [s + "(rtalert: trunc)", true];
        if (len !== 2) return [s + `(rtalert: invalid len ${len})`, true];
        const v = (r.byteAt(p + 2) << 8) | r.byteAt(p + 3);
        if (verbose) s += `(rtalert: 0x${hex(v, 4)}) `;
        if (t.on) t.add(F["opt.router_alert"], v, p + 2, 2);
        break;
      }
      case 0xc2: {
        // tcpdump's words for each Jumbo Payload option (the length itself is taken by findJumbo)
        if (end - p < 6) return [s + "(jumbo: trunc)", true];
        if (len !== 4) return [s + `(jumbo: invalid len ${len})`, true];
        const v = ((r.byteAt(p + 2) << 24) | (r.byteAt(p + 3) << 16) | (r.byteAt(p + 4) << 8) | r.byteAt(p + 5)) >>> 0;
        let why = "";
        if (jumboSeen) why = " - already seen";
        else if (plen === null) why = " - not a hop-by-hop option";
        else if (plen !== 0) why = " - payload len != 0";
        else if (v < 65536) why = " - < 65536";
        jumboSeen = true;
        if (verbose) s += `(jumbo: ${v}${why}) `;
        if (t.on) t.add(F["opt.jumbo"], v, p + 2, 4);
        break;
      }
      default:
        if (verbose) s += `(opt_type 0x${hex(type, 2)}: len=${len})`;
    }
    p += 2 + len;
  }
  return [verbose ? s + " " : s, false];
}

/** The fixed header's fields that end before `end` (a header cut short or a length below 40), as Wireshark adds them. */
function partialTree(t: TreeSink, d: Uint8Array, start: number, end: number): void {
  if (end < start + 1 || d[start] >> 4 !== 6) return;
  t.add(F.version, 6, start, 1);
  t.add(F.ipversion, 6, start, 1);
  if (end < start + 4) return;
  const vfl = ((d[start] << 24) | (d[start + 1] << 16) | (d[start + 2] << 8) | d[start + 3]) >>> 0;
  t.add(F.tclass, (vfl >>> 20) & 0xff, start, 2);
  t.add(F.flow, vfl & 0xfffff, start + 1, 3);
  if (end >= start + 6) t.add(F.plen, (d[start + 4] << 8) | d[start + 5], start + 4, 2);
  if (end >= start + 7) t.add(F.nxt, d[start + 6], start + 6, 1);
  if (end >= start + 8) t.add(F.hlim, d[start + 7], start + 7, 1);
  if (end >= start + 24) {
    const src = ipv6At(d, start + 8);
    t.add(F.src, src, start + 8, 16);
    t.add(F.addr, src, start + 8, 16);
  }
}

/** tcpdump's own truncation marker for IPv6 parts (" [|ip6]", " [|hbhopt]", ...): the line ends there. */
function cut(r: Reader, ctx: Ctx, marker: string): void {
  ctx.line.s(` [|${marker}]`);
  ctx.truncated = true;
  r.pos = r.cap;
}

/** An unsigned 64-bit rendering of a possibly negative length (tcpdump computes it in size_t). */
function size64(n: number): string {
  return n >= 0 ? String(n) : (BigInt(n) + (1n << 64n)).toString();
}

export const IPV6: Protocol = {
  id: "ipv6",
  name: "IPv6",
  title: "Internet Protocol Version 6",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining; // what the layer below hands over
    const v = ctx.opts.verbose;
    if (t.on && (!r.has(40) || length < 40)) partialTree(t, r.data, start, Math.min(r.cap, r.rep));
    if (!r.has(40)) return cut(r, ctx, "ip6");
    const prefix = ctx.opts.linkHeader ? "" : "IP6 ";
    if (length < 40) {
      ctx.line.s(`${prefix}truncated-ip6 ${length}`);
      ctx.markMalformed("IPv6 header longer than the data");
      r.pos = r.cap;
      return;
    }
    const vfl = r.u32();
    const plen = r.u16();
    let nh = r.u8();
    const hlim = r.u8();
    const d = r.data;
    const srcOff = r.pos;
    const src = ipv6At(d, srcOff);
    const dst = ipv6At(d, srcOff + 16);
    r.pos += 32;
    const version = vfl >>> 28;
    // a version other than 6: Wireshark's IPv6 dissector shows only it (ip.version) and leaves the rest as data
    if (t.on && version !== 6) t.add(F.ipversion, version, start, 1);
    if (t.on && version === 6) {
      t.add(F.version, version, start, 1);
      t.add(F.ipversion, version, start, 1);
      t.add(F.tclass, (vfl >>> 20) & 0xff, start, 2);
      t.add(F.flow, vfl & 0xfffff, start + 1, 3);
      t.add(F.plen, plen, start + 4, 2);
      t.add(F.nxt, nh, start + 6, 1);
      t.add(F.hlim, hlim, start + 7, 1);
      t.add(F.src, src, srcOff, 16);
      t.add(F.addr, src, srcOff, 16);
      t.add(F.dst, dst, srcOff + 16, 16);
      t.add(F.addr, dst, srcOff + 16, 16);
    }
    ctx.line.s(prefix);
    if (version !== 6) {
      ctx.line.s(`version error: ${version} != 6`);
      ctx.markMalformed(`IP version ${version} in an IPv6 header`);
      r.pos = r.cap;
      return;
    }
    ctx.net = "IP6";
    ctx.addrPrinted = false; // an outer header (IPv6 in IPv4, tunnels) printed its own addresses
    ctx.src = src;
    ctx.dst = dst;
    ctx.ip6Src = srcOff; // pseudo-header checksums of the layers above (checksum.ts)
    ctx.ttl = hlim;
    ctx.routeDst = -1;
    // The payload's end: the payload length, or with a zero one (a jumbogram, RFC 2675), what the link says
    // until a Jumbo Payload option tells. A length beyond the frame is reported the way tcpdump does, and the
    // bytes that are missing read as cut by the capture.
    let len = plen !== 0 ? plen + 40 : length;
    let jumboFound = false;
    if (plen !== 0 && len > length) {
      ctx.line.s(`truncated-ip6 - ${len - length} bytes missing!`);
      ctx.markMalformed(`IPv6 payload length ${plen} exceeds the ${length - 40} bytes of the frame`);
    }
    if (v > 0) {
      let s = "(";
      if (vfl & 0x0ff00000) s += `class 0x${hex((vfl >>> 20) & 0xff, 2)}, `;
      if (vfl & 0xfffff) s += `flowlabel 0x${hex(vfl & 0xfffff, 5)}, `;
      s += `hlim ${hlim}, next-header ${TCPDUMP_IPPROTO[nh] ?? "unknown"} (${nh}) payload length: ${plen}) `;
      ctx.line.s(s);
    }
    setEnd(r, start + len);
    if (nh !== IPPROTO.TCP && nh !== IPPROTO.UDP) {
      ctx.line.s(src).s(" > ").s(dst).s(": ");
      ctx.addrPrinted = true;
    }
    let foundHbh = false;
    // Extension headers, each in tcpdump's words.
    for (let n = 0; n < 64; n++) {
      if (r.pos >= r.cap && nh !== IPPROTO.OSPF && !lookup("ip.proto", nh)?.onEmpty) {
        // nothing captured beyond a complete header: tcpdump stops without a marker (OSPF's and PIM's printers print one)
        ctx.ipProto = nh;
        return;
      }
      const hs = r.pos;
      switch (nh) {
        case IPPROTO.HOPOPTS:
        case IPPROTO.DSTOPTS: {
          const hop = nh === IPPROTO.HOPOPTS;
          if (hop && foundHbh) {
            ctx.line.s("[The Hop-by-Hop Options header was already found] (invalid)");
            ctx.markMalformed("a second IPv6 Hop-by-Hop Options header");
            r.pos = r.cap;
            return;
          }
          // tcpdump names the header once all of it is captured; a bad option inside ends the line later
          if (!r.has(2)) return cut(r, ctx, hop ? "hbhopt" : "dstopt");
          const next = r.u8();
          const hl = r.u8();
          const size = (hl + 1) * 8;
          if (!r.has(size - 2)) return cut(r, ctx, hop ? "hbhopt" : "dstopt");
          ctx.line.s(hop ? "HBH " : "DSTOPT ");
          if (t.on) {
            t.pushNote(hop ? "IPv6 Hop-by-Hop Option" : "Destination Options for IPv6", hs, size);
            t.add(hop ? F["hopopts.nxt"] : F["dstopts.nxt"], next, hs, 1);
            t.add(hop ? F["hopopts.len"] : F["dstopts.len"], hl, hs + 1, 1);
          }
          const [o, bad] = walkOptions(r, hs + 2, hs + size, t, v > 0, hop ? plen : null);
          if (t.on) t.pop();
          ctx.line.s(o);
          if (bad) return cut(r, ctx, hop ? "hbhopt" : "dstopt");
          if (hop) {
            foundHbh = true;
            const jumbo = findJumbo(r, hs + 2, hs + size);
            if (plen === 0) {
              if (jumbo < 0) {
                ctx.line.s("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)");
                ctx.markMalformed("IPv6 payload length 0 without a Jumbo Payload option");
                r.pos = r.cap;
                return;
              }
              jumboFound = true;
              len = jumbo + 40;
              if (len > length) ctx.line.s(`truncated-ip6 - ${len - length} bytes missing!`);
              setEnd(r, start + len);
            }
          }
          r.pos = hs + size;
          nh = next;
          break;
        }
        case IPPROTO.ROUTING: {
          if (!r.has(4)) {
            // tcpdump prints the header's fields as far as they are captured: "RT6 (len=2, type=0 [|rt6]"
            const have = r.cap - r.pos;
            let s = "RT6";
            if (have >= 2) s += ` (len=${r.byteAt(r.pos + 1)}`;
            if (have >= 3) s += `, type=${r.byteAt(r.pos + 2)}${r.byteAt(r.pos + 2) === 0 ? " [Deprecated]" : ""}`;
            ctx.line.s(s);
            return cut(r, ctx, "rt6");
          }
          const next = r.u8();
          const hl = r.u8();
          const type = r.u8();
          const segleft = r.u8();
          const size = (hl + 1) * 8;
          let s = `RT6 (len=${hl}, type=${type}${type === 0 ? " [Deprecated]" : ""}, segleft=${segleft}`;
          if (t.on) {
            t.pushNote("Routing Header for IPv6", hs, size);
            t.add(F["routing.nxt"], next, hs, 1);
            t.add(F["routing.len"], hl, hs + 1, 1);
            t.add(F["routing.type"], type, hs + 2, 1);
            t.add(F["routing.segleft"], segleft, hs + 3, 1);
          }
          const stop = (marker: string) => {
            if (t.on) t.pop();
            ctx.line.s(s);
            cut(r, ctx, marker);
          };
          if (type === 0 || type === 2) {
            if (!r.has(4)) return stop("rt6");
            const rsv = r.u32();
            if (v > 0) s += `, rsv=0x${rsv.toString(16)}`;
            if (hl % 2 === 1) return stop("rt6");
            for (let i = 0; i < hl / 2; i++) {
              if (!r.has(16)) return stop("rt6");
              const a = ipv6At(d, r.pos);
              if (t.on) t.add(F["routing.src.addr"], a, r.pos, 16);
              s += `, [${i}]${a}`;
              ctx.routeDst = r.pos; // the last address is the final destination
              r.pos += 16;
            }
          } else if (type === 4) {
            if (!r.has(4)) return stop("rt6");
            const last = r.u8();
            const flags = r.u8();
            const tag = r.u16();
            if (t.on) {
              t.add(F["routing.srh.last_entry"], last, hs + 4, 1);
              t.add(F["routing.srh.flags"], flags, hs + 5, 1);
              t.add(F["routing.srh.tag"], tag, hs + 6, 2);
            }
            s += `, last-entry=${last}`;
            if (flags || v > 0) s += `, flags=0x${flags.toString(16)}`;
            s += `, tag=${tag.toString(16)}`;
            if (hl !== (last + 1) * 2) {
              if (t.on) t.pop();
              ctx.line.s(`${s} (invalid length ${hl}) (invalid)`);
              ctx.markMalformed("IPv6 segment routing header length does not match its last entry");
              r.pos = r.cap;
              return;
            }
            for (let i = 0; i <= last; i++) {
              if (!r.has(16)) return stop("rt6");
              const a = ipv6At(d, r.pos);
              if (t.on) t.add(F["routing.srh.addr"], a, r.pos, 16);
              if (i === 0) ctx.routeDst = r.pos; // segment 0 is the final destination (RFC 8754)
              s += `, [${i}]${a}`;
              r.pos += 16;
            }
          } else {
            if (t.on) t.pop();
            ctx.line.s(`${s} (unknown type)`);
            r.pos = r.cap; // tcpdump stops here
            return;
          }
          if (t.on) t.pop();
          ctx.line.s(s + ") ");
          r.pos = hs;
          if (!r.has(size)) return cut(r, ctx, "rt6");
          r.pos = hs + size;
          nh = next;
          break;
        }
        case IPPROTO.FRAGMENT: {
          if (!r.has(v > 0 ? 8 : 4)) return cut(r, ctx, "frag6");
          const next = r.u8();
          r.u8();
          const offlg = r.u16();
          const ident = r.has(4) ? r.u32() : 0;
          const off = offlg & 0xfff8;
          const flen = plen + 40 - (hs - start) - 8;
          if (t.on) {
            t.pushNote("Fragment Header for IPv6", hs, 8);
            t.add(F["fragment.nxt"], next, hs, 1);
            t.add(F["fragment.offset"], off >> 3, hs + 2, 2);
            t.add(F["fragment.more"], (offlg & 1) !== 0, hs + 3, 1);
            t.add(F["fragment.id"], ident, hs + 4, 4);
            t.pop();
          }
          ctx.line.s(v > 0 ? `frag (0x${hex(ident, 8)}:${off}|${size64(flen)})` : `frag (${off}|${size64(flen)})`);
          ctx.fragmented = true;
          ctx.ipProto = next;
          if (off !== 0) {
            // tcpdump does not decode later fragments
            r.pos = r.cap;
            return;
          }
          ctx.line.s(" ");
          r.pos = hs + 8;
          if (r.pos >= r.cap) {
            r.pos = r.cap;
            return;
          }
          nh = next;
          break;
        }
        case IPPROTO.NONE:
          ctx.ipProto = nh;
          ctx.line.s("no next header");
          r.pos = r.cap;
          return;
        case 143: // Ethernet (RFC 8986 segment routing): no link header is printed, as tcpdump does
          ctx.ipProto = nh;
          ctx.addrPrinted = false;
          return ctx.next("linktype", LINKTYPE.EN10MB);
        default:
          if (lookup("ipv6.nxt", nh)) {
            // next headers only tcpdump's IPv6 printer decodes (the Mobility Header)
            ctx.ipProto = nh;
            return ctx.next("ipv6.nxt", nh);
          }
          if (!lookup("ip.proto", nh)) {
            ctx.ipProto = nh;
            ctx.line.s(` ip-proto-${nh} ${r.rep - r.pos}`);
            r.pos = r.cap;
            return;
          }
          if (plen === 0 && !jumboFound) {
            // No payload length and no Jumbo Payload option: tcpdump hands the upper layer a length of 0.
            r.limit(0);
            if (nh === IPPROTO.TCP || nh === IPPROTO.UDP) {
              // tcpdump's TCP and UDP printers then find no header: addresses and a truncation marker
              ctx.ipProto = nh;
              ctx.line.s(nh === IPPROTO.TCP ? `${src} > ${dst}: [|tcp]` : `${src} > ${dst}:  [|udp]`);
              ctx.truncated = true;
              r.pos = r.cap;
              return;
            }
            if (nh === IPPROTO.ICMPV6) {
              ctx.ipProto = nh;
              ctx.line.s("ICMP6, length 0 (invalid)");
              ctx.markMalformed("IPv6 payload length 0");
              r.pos = r.cap;
              return;
            }
          }
          return handoff(ctx, nh, hs === start + 40);
      }
    }
  },
};

/** Sets the reported end of the payload; an end beyond the frame keeps the captured end (the rest is "cut"). */
function setEnd(r: Reader, end: number): void {
  if (end <= r.rep) {
    r.limit(end - r.pos);
    return;
  }
  r.rep = end;
}

/** The Jumbo Payload option's length in a hop-by-hop header's options, or -1. */
function findJumbo(r: Reader, p: number, end: number): number {
  while (p < end) {
    const type = r.byteAt(p);
    if (type === 0) {
      p++;
      continue;
    }
    if (p + 2 > end) return -1;
    const len = r.byteAt(p + 1);
    if (type === 0xc2 && len === 4 && p + 6 <= end) {
      // only the first one counts, and only from 65536 on (tcpdump: "(jumbo: 248 - < 65536)")
      const v = ((r.byteAt(p + 2) << 24) | (r.byteAt(p + 3) << 16) | (r.byteAt(p + 4) << 8) | r.byteAt(p + 5)) >>> 0;
      return v >= 65536 ? v : -1;
    }
    p += 2 + len;
  }
  return -1;
}

function handoff(ctx: Ctx, nh: number, direct: boolean) {
  ctx.ipProto = nh;
  if (!direct && (nh === IPPROTO.TCP || nh === IPPROTO.UDP)) {
    // tcpdump prints only the ports after extension headers (the addresses are already out). TCP and UDP
    // print "src.port > dst.port" when ctx.net is set, so the network name is cleared for them.
    ctx.addrPrinted = false;
    ctx.net = "";
  }
  return ctx.next("ip.proto", nh);
}

bind("ethertype", ETHERTYPE.IPV6, IPV6);
bind("ip.proto", IPPROTO.IPV6, IPV6);

/**
 * The fields of an IPv6 header quoted in an ICMPv6 error (at q, captured up to cap), for the tree: tshark lists
 * its ipv6.src/ipv6.dst (and the rest of the fixed header) after the outer header's.
 */
export function quotedIpv6Tree(t: TreeSink, d: Uint8Array, q: number, cap: number): void {
  if (q >= cap || d[q] >> 4 !== 6) return;
  const end = Math.min(cap, q + 40);
  t.pushNote("Internet Protocol Version 6", q, end - q);
  partialTree(t, d, q, end);
  if (end === q + 40) {
    const dst = ipv6At(d, q + 24);
    t.add(F.dst, dst, q + 24, 16);
    t.add(F.addr, dst, q + 24, 16);
  }
  t.pop();
}
