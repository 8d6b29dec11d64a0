/**
 * IPv4 (RFC 791). Summary as tcpdump: "IP src > dst: " before a payload that has no ports (ICMP, IGMP, ...);
 * TCP and UDP print "IP src.port > dst.port: " themselves. -v adds tcpdump's header line
 * "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)".
 * Bad header lengths and total lengths that lie are shown as tcpdump shows them and mark the packet malformed.
 */
import { bind, lookup } from "../registry.js";
import { ETHERTYPE, IPPROTO, IPPROTO_NAMES } from "../constants.js";
import { hexText, ipv4At } from "../format.js";
import { fields, sinkRun, type Protocol, type TreeSink } from "../types.js";

const F = fields("ip", {
  version: ["Version", "uint"],
  hdr_len: ["Header Length", "uint"],
  dsfield: ["Differentiated Services Field", "uint", { base: "hex" }],
  "dsfield.dscp": ["Differentiated Services Codepoint", "uint"],
  "dsfield.ecn": ["Explicit Congestion Notification", "uint"],
  len: ["Total Length", "uint"],
  id: ["Identification", "uint", { base: "hex" }],
  flags: ["Flags", "uint", { base: "hex" }],
  "flags.rb": ["Reserved bit", "bool"],
  "flags.df": ["Don't fragment", "bool"],
  "flags.mf": ["More fragments", "bool"],
  frag_offset: ["Fragment Offset", "uint"],
  ttl: ["Time to Live", "uint"],
  proto: ["Protocol", "uint", { values: IPPROTO_NAMES }],
  checksum: ["Header Checksum", "uint", { base: "hex" }],
  "checksum.status": ["Header checksum status", "string"],
  src: ["Source Address", "ipv4"],
  dst: ["Destination Address", "ipv4"],
  addr: ["Source or Destination Address", "ipv4"],
  opt: ["Options", "bytes"],
});

/** One's-complement sum of data[p, p+n) (n even or odd), not folded. */
export function onesSum(d: Uint8Array, p: number, n: number, sum = 0): number {
  const end = p + (n & ~1);
  for (; p < end; p += 2) sum += (d[p] << 8) | d[p + 1];
  if (n & 1) sum += d[p] << 8;
  return sum;
}
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

const IP_OPT_NAMES: Record<number, string> = { 0: "EOL", 1: "NOP", 7: "RR", 68: "TS", 130: "SECURITY", 131: "LSRR", 136: "SATID", 137: "SSRR", 148: "RA" };

/** The header's fields in the tree (out of dissect, which stays small enough for its readers to be inlined). */
function treeHeader(t: TreeSink, start: number, version: number, hlen: number, tos: number, totlen: number, id: number, fragw: number, ttl: number, proto: number, csum: number, src: string, dst: string): void {
  // runs of fields that -T json writes once per value: version, length and DS field; the flags and offset
  const key = version < 16 && hlen < 64 && (hlen & 3) === 0 && tos < 256 ? (version << 12) | (hlen << 6) | tos : -1;
  if (!t.cachedRun?.(HEAD_RUN, key)) {
    t.add(F.version, version, start, 1);
    t.add(F.hdr_len, hlen, start, 1);
    t.add(F.dsfield, tos, start + 1, 1);
    t.add(F["dsfield.dscp"], tos >> 2, start + 1, 1);
    t.add(F["dsfield.ecn"], tos & 3, start + 1, 1);
    t.endRun?.(HEAD_RUN, key);
  }
  t.add(F.len, totlen, start + 2, 2);
  t.add(F.id, id, start + 4, 2);
  if (!t.cachedRun?.(FRAG_RUN, fragw)) {
    fragFields(t, fragw, start);
    t.endRun?.(FRAG_RUN, fragw);
  }
  t.add(F.ttl, ttl, start + 8, 1);
  t.add(F.proto, proto, start + 9, 1);
  t.add(F.checksum, csum, start + 10, 2);
  t.add(F.src, src, start + 12, 4);
  t.add(F.addr, src, start + 12, 4);
  t.add(F.dst, dst, start + 16, 4);
  t.add(F.addr, dst, start + 16, 4);
}

const HEAD_RUN = sinkRun();
const FRAG_RUN = sinkRun();

/** The flags and fragment offset word at start + 6: the flags subtree and the offset. */
function fragFields(t: TreeSink, fragw: number, start: number): void {
  t.push(F.flags, fragw >> 13, start + 6, 1, hexText(fragw >> 13, 1));
  t.add(F["flags.rb"], (fragw & 0x8000) !== 0, start + 6, 1);
  t.add(F["flags.df"], (fragw & 0x4000) !== 0, start + 6, 1);
  t.add(F["flags.mf"], (fragw & 0x2000) !== 0, start + 6, 1);
  t.pop();
  t.add(F.frag_offset, fragw & 0x1fff, start + 6, 2, String((fragw & 0x1fff) * 8)); // tshark: the value in 8-byte units, the tree text in bytes
}

/**
 * The fields of a header Wireshark stops inside (cut short in the capture, or a total length below the header
 * length): those whose bytes lie before `limit`, read from the packet.
 */
function partialTree(t: TreeSink, d: Uint8Array, start: number, limit: number): void {
  const u16 = (p: number) => (d[p] << 8) | d[p + 1];
  const has = (o: number, n: number) => start + o + n <= limit;
  if (!has(0, 1)) return;
  t.add(F.version, d[start] >> 4, start, 1);
  t.add(F.hdr_len, (d[start] & 15) * 4, start, 1);
  if (!has(1, 1)) return;
  const tos = d[start + 1];
  t.add(F.dsfield, tos, start + 1, 1);
  t.add(F["dsfield.dscp"], tos >> 2, start + 1, 1);
  t.add(F["dsfield.ecn"], tos & 3, start + 1, 1);
  if (!has(2, 2)) return;
  t.add(F.len, u16(start + 2), start + 2, 2);
  if (!has(4, 2)) return;
  t.add(F.id, u16(start + 4), start + 4, 2);
  if (!has(6, 2)) return;
  const fragw = u16(start + 6);
  fragFields(t, fragw, start);
  if (!has(8, 1)) return;
  t.add(F.ttl, d[start + 8], start + 8, 1);
  if (!has(9, 1)) return;
  t.add(F.proto, d[start + 9], start + 9, 1);
  if (!has(10, 2)) return;
  t.add(F.checksum, u16(start + 10), start + 10, 2);
  if (!has(12, 4)) return;
  t.add(F.src, ipv4At(d, start + 12), start + 12, 4);
  t.add(F.addr, ipv4At(d, start + 12), start + 12, 4);
  if (!has(16, 4)) return;
  t.add(F.dst, ipv4At(d, start + 16), start + 16, 4);
  t.add(F.addr, ipv4At(d, start + 16), start + 16, 4);
}

/**
 * The fields of an IPv4 header quoted in an ICMP error (the whole fixed header captured at q), for the tree
 * when the summary does not dissect it (without -v): tshark lists its ip.src/ip.dst after the outer ones.
 */
export function quotedIpTree(t: TreeSink, d: Uint8Array, q: number): void {
  const hlen = (d[q] & 15) * 4;
  t.pushNote("Internet Protocol Version 4", q, hlen);
  const u16 = (p: number) => (d[p] << 8) | d[p + 1];
  treeHeader(t, q, d[q] >> 4, hlen, d[q + 1], u16(q + 2), u16(q + 4), u16(q + 6), d[q + 8], d[q + 9], u16(q + 10), ipv4At(d, q + 12), ipv4At(d, q + 16));
  t.pop();
}

/** tcpdump 4.99's ip_print for a header of another version: "IP6, wrong link-layer encapsulation" for 6, "IPn" otherwise. */
function wrongVersion(v: number): string {
  return v === 6 ? "IP6, wrong link-layer encapsulation (invalid)" : `IP${v} (invalid)`;
}

export const IPV4: Protocol = {
  id: "ip",
  name: "IPv4",
  title: "Internet Protocol Version 4",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const d = r.data;
    let vhl: number, tos: number, totlen: number, id: number, fragw: number, ttl: number, proto: number, csum: number;
    const q = start;
    if (q + 20 <= r.cap) {
      // the whole fixed header captured (nearly always): read in place
      vhl = d[q];
      tos = d[q + 1];
      totlen = (d[q + 2] << 8) | d[q + 3];
      id = (d[q + 4] << 8) | d[q + 5];
      fragw = (d[q + 6] << 8) | d[q + 7];
      ttl = d[q + 8];
      proto = d[q + 9];
      csum = (d[q + 10] << 8) | d[q + 11];
      r.pos = q + 12;
    } else {
      vhl = r.u8();
      tos = r.u8();
      totlen = r.u16();
      id = r.u16();
      fragw = r.u16();
      ttl = r.u8();
      proto = r.u8();
      csum = r.u16();
    }
    if (!r.has(8)) {
      if (t.on && (d[start] >> 4) === 4) partialTree(t, d, start, r.cap);
      if (start < r.cap && d[start] >> 4 !== 4) {
        // tcpdump 4.99 reads the version first: its words for another version, however little was captured
        ctx.line.s(wrongVersion(d[start] >> 4));
        ctx.markMalformed(`IP version ${d[start] >> 4} in an IPv4 header`);
        r.pos = r.cap;
        r.truncated = false; // (no cut mark: tcpdump stops at the version)
        return;
      }
      r.skip(8);
      // tcpdump: "IP " (none after a -e link header, none when not one byte was captured), then its cut
      // mark: "IP  [|ip]"
      if (!ctx.opts.linkHeader && start < r.cap) ctx.line.s("IP ");
      return;
    }
    const src = ipv4At(d, r.pos);
    const dst = ipv4At(d, r.pos + 4);
    ctx.src4 = ((d[r.pos] << 24) | (d[r.pos + 1] << 16) | (d[r.pos + 2] << 8) | d[r.pos + 3]) >>> 0;
    ctx.dst4 = ((d[r.pos + 4] << 24) | (d[r.pos + 5] << 16) | (d[r.pos + 6] << 8) | d[r.pos + 7]) >>> 0;
    r.pos += 8;
    const version = vhl >> 4;
    const hlen = (vhl & 15) * 4;
    ctx.net = "IP";
    ctx.addrPrinted = false; // an inner header (tunnels, ICMP errors) prints its own addresses
    ctx.src = src;
    ctx.dst = dst;
    ctx.ipProto = proto;
    ctx.ttl = ttl;
    ctx.routeDst = -1;
    let treeDst = dst;
    if (hlen > 20 && start + hlen <= r.cap && (vhl & 0xf0) === 0x40) {
      // A source route: checksums use its last address (tcpdump), and so does Wireshark's ip.dst while the
      // route has hops left (pointer within the option)
      const [at, left] = sourceRoute(d, start + 20, start + hlen);
      if (at >= 0) {
        ctx.routeDst = at;
        if (left) treeDst = ipv4At(d, at);
      }
    }
    if (t.on) {
      // as Wireshark: a bogus version shows only the version; a header length below 20 only it and the version
      if (version !== 4) t.add(F.version, version, start, 1);
      else if (hlen < 20) {
        t.add(F.version, version, start, 1);
        t.add(F.hdr_len, hlen, start, 1);
      } else if (totlen < hlen && totlen !== 0) partialTree(t, d, start, start + 4);
      // a total length of 0 (TCP segmentation offload, BIG TCP): Wireshark takes the frame's length
      else treeHeader(t, start, version, hlen, tos, totlen === 0 ? r.rep - start : totlen, id, fragw, ttl, proto, csum, src, treeDst);
    }
    const ipWord = ctx.opts.linkHeader ? "" : "IP ";
    if (version !== 4) {
      // tcpdump 4.99's ip_print: "IP6, wrong link-layer encapsulation" for a version 6 header, "IPn" otherwise
      ctx.line.s(wrongVersion(version));
      ctx.markMalformed(`IP version ${version} in an IPv4 header`);
      if (version === 6) {
        // Wireshark hands a version 6 header on to IPv6 (after its "Bogus IPv4 version"); the line stays
        // tcpdump's (ctx.lineHold drops what IPv6 and the layers after write)
        ctx.lineHold = ctx.line.n;
        r.pos = start;
        return ctx.next("ethertype", ETHERTYPE.IPV6);
      }
      return;
    }
    if (hlen < 20) {
      ctx.line.s(`${ipWord}bad-hlen ${hlen}`);
      ctx.markMalformed("IPv4 header length below 20");
      return;
    }
    const avail = r.rep - start; // what the layer below says we have
    if (totlen === 0 && avail >= hlen) {
      // TCP segmentation offload and BIG TCP captures: tcpdump (built without GUESS_TSO, as Debian's is) says
      // "bad-len 0" and stops; Wireshark takes the frame's length and dissects on. The line stays tcpdump's
      // (ctx.lineHold drops what the layers after write), the tree and the fields are Wireshark's.
      ctx.line.s(`${ipWord}bad-len 0`);
      ctx.lineHold = ctx.line.n;
      totlen = avail;
    } else if (totlen < hlen) {
      // tcpdump (built without GUESS_TSO, as Debian's is) says "bad-len", also for the 0 of TSO captures.
      ctx.line.s(`${ipWord}bad-len ${totlen}`);
      ctx.markMalformed("IPv4 total length below the header length");
      return;
    }
    const len = totlen;
    let lenLies = false;
    if (len > avail) {
      lenLies = true;
      ctx.markMalformed(`IPv4 total length ${len} exceeds the ${avail} bytes of the frame`);
    }
    // Options
    const off = (fragw & 0x1fff) * 8;
    const optStart = r.pos;
    let optCut = false;
    if (hlen > 20) {
      if (t.on) t.add(F.opt, null, optStart, hlen - 20, `${hlen - 20} bytes`);
      if (optStart + hlen - 20 > r.cap) {
        // tcpdump checks only the fixed header: -v prints what options it can, a later fragment prints its line
        optCut = true;
        if (off === 0 && ctx.opts.verbose === 0) {
          r.skip(hlen - 20);
          ctx.line.s("IP");
          return;
        }
        r.pos = r.cap;
      } else r.pos += hlen - 20;
    }
    const mf = (fragw & 0x2000) !== 0;
    const df = (fragw & 0x4000) !== 0;
    let prefix = ipWord; // tcpdump prints no "IP " after a -e link header
    if (ctx.opts.verbose > 0) {
      // tcpdump's words and order: flags as "+, DF, rsvd", no "ttl 0", a bad header checksum with the right one
      const fl = fragw & 0xe000 ? [mf ? "+" : "", df ? "DF" : "", fragw & 0x8000 ? "rsvd" : ""].filter(Boolean).join(", ") : "none";
      let v = lenLies ? `${ipWord}truncated-ip - ${len - avail} bytes missing! (tos 0x${tos.toString(16)}` : `${ipWord}(tos 0x${tos.toString(16)}`;
      if (tos & 3) v += `,${["", "ECT(1)", "ECT(0)", "CE"][tos & 3]}`;
      if (ttl > 0) v += `, ttl ${ttl}`;
      v += `, id ${id}, offset ${off}, flags [${fl}], proto ${IPPROTO_NAMES[proto] ?? "unknown"} (${proto}), length ${totlen}`;
      let optTrunc = false;
      if (hlen > 20) {
        const o = ipOptionsText(d, optStart, hlen - 20, r.cap);
        optTrunc = o.endsWith(OPT_TRUNC);
        v += `, options (${o})`;
      }
      if (!optCut) {
        const c = foldSum(onesSum(d, start, hlen));
        if (c !== 0xffff) v += `, bad cksum ${csum.toString(16)} (->${foldSum(csum + (~c & 0xffff)).toString(16)})!`;
      }
      v += ")\n    ";
      if (optTrunc) {
        // tcpdump gives up on a packet whose options are cut
        ctx.line.s(v).s(src).s(" > ").s(dst).s(":  [|ip]");
        ctx.addrPrinted = true;
        ctx.truncated = true;
        r.pos = r.cap;
        return;
      }
      prefix = v;
    }
    // A total length beyond the frame: tcpdump hands the upper layer that length (the missing bytes read as cut)
    if (!lenLies) r.limit(len - hlen);
    else {
      ctx.frameEnd = r.rep;
      r.rep = start + len;
    }
    if (off !== 0) {
      ctx.fragmented = true;
      // A later fragment: tcpdump prints the addresses and the protocol (by number: tsniff never resolves names)
      ctx.line.s(`${prefix}${src} > ${dst}: ip-proto-${proto}`);
      ctx.addrPrinted = true;
      return;
    }
    if (optCut) {
      ctx.line.s(prefix).s(src).s(" > ").s(dst).s(":  [|ip]");
      ctx.addrPrinted = true;
      ctx.truncated = true;
      return;
    }
    ctx.line.s(prefix);
    if (lenLies && ctx.opts.verbose === 0) {
      ctx.line.s(`truncated-ip - ${len - avail} bytes missing! `);
    }
    if (proto !== IPPROTO.TCP && proto !== IPPROTO.UDP) {
      ctx.line.s(src).s(" > ").s(dst).s(": ");
      ctx.addrPrinted = true;
    }
    if (mf) ctx.fragmented = true;
    if (proto !== IPPROTO.TCP && proto !== IPPROTO.UDP && !lookup("ip.proto", proto)) {
      // tcpdump's words for a protocol it does not know: " ip-proto-253 20" (number and payload length)
      ctx.line.s(` ip-proto-${proto} `).u(len - hlen);
      r.pos = r.cap;
      return;
    }
    return ctx.next("ip.proto", proto);
  },
};

const OPT_TRUNC = " [truncated-option]";

/** An LSRR/SSRR option's last address in options [p, end): [its offset or -1, whether hops are left]. */
function sourceRoute(d: Uint8Array, p: number, end: number): [number, boolean] {
  while (p < end) {
    const type = d[p];
    if (type === 0) break;
    if (type === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    const len = d[p + 1];
    if (len < 2 || p + len > end) break;
    if ((type === 131 || type === 137) && len >= 7) return [p + 3 + ((len - 3) & ~3) - 4, d[p + 2] <= len];
    p += len;
  }
  return [-1, false];
}

/**
 * tcpdump's ip_optprint: option names, record routes' addresses (a "," after those already visited), and
 * " [truncated-option]" at the end when an address is not captured (the caller then gives up on the packet).
 */
function ipOptionsText(d: Uint8Array, p: number, n: number, cap: number): string {
  let out = "";
  let sep = "";
  const end = p + n;
  while (p < end) {
    if (p >= cap) return out + OPT_TRUNC;
    const type = d[p];
    out += sep + (IP_OPT_NAMES[type] ?? `unknown ${type}`);
    sep = ",";
    if (type === 0) break;
    if (type === 1) {
      p++;
      continue;
    }
    if (p + 1 >= cap) return out + OPT_TRUNC;
    const len = d[p + 1];
    if (len < 2 || len > end - p) return out + ` [bad length ${len}]`;
    if (p + len > cap) return out + OPT_TRUNC;
    if (type === 7 || type === 131 || type === 137) {
      if (len < 3) {
        out += ` [bad length ${len}]`;
      } else {
        if ((len + 1) & 3) out += ` [bad length ${len}]`;
        const ptr = d[p + 2] - 1;
        if (ptr < 3 || (ptr + 1) & 3 || ptr > len + 1) out += ` [bad ptr ${d[p + 2]}]`;
        for (let k = 3; k < len; k += 4) {
          if (p + k + 4 > cap) return out + OPT_TRUNC;
          out += ` ${ipv4At(d, p + k)}`;
          if (ptr > k) out += ",";
        }
      }
    } else if (type === 148) {
      if (len < 4) out += ` [bad length ${len}]`;
      else {
        const val = (d[p + 2] << 8) | d[p + 3];
        if (val !== 0) out += ` value ${val}`;
      }
    }
    p += len;
  }
  return out;
}

bind("ethertype", ETHERTYPE.IPV4, IPV4);
bind("ip.proto", IPPROTO.IPIP, IPV4);
