/**
 * BGP-4 (RFC 4271) on TCP port 179, messages contained in one segment (no reassembly).
 * tcpdump's summary (print-bgp.c, without -v) is ": BGP" for every segment with a payload, whatever its bytes.
 * With -v tcpdump walks the segment for 16-byte all-ones markers and prints each message's header line
 * ("\n\tKeepalive Message (4), length: 19"); tsniff prints those header lines, the framing errors tcpdump
 * prints (" [|bgp]", "[|BGP Open]" for a cut message, "message length 5 < 19 (invalid)"), OPEN messages whole
 * (optional parameters and capabilities), NOTIFICATION (error, subcode, RFC 8203 shutdown communication) and
 * ROUTE-REFRESH (AFI/SAFI), UPDATE's IPv4 routes and every path attribute tcpdump 4.99 decodes (update() below;
 * the others as tcpdump's "no Attribute N decoder" and a hex dump); -vv's extra hex dumps are not printed.
 * The tree has Wireshark's fields: bgp.marker, bgp.length, bgp.type and, for OPEN, bgp.open.version,
 * bgp.open.myas, bgp.open.holdtime, bgp.open.identifier, bgp.open.opt.len.
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

/** tcpdump's message names (bgp_msg_values). */
const MSG: Readonly<Record<number, string>> = {
  1: "Open",
  2: "Update",
  3: "Notification",
  4: "Keepalive",
  5: "Route Refresh",
};
/** Wireshark's names for bgp.type. */
const WS_TYPE: Readonly<Record<number, string>> = {
  1: "OPEN Message",
  2: "UPDATE Message",
  3: "NOTIFICATION Message",
  4: "KEEPALIVE Message",
  5: "ROUTE-REFRESH Message",
  6: "CAPABILITY Message",
};

const F = fields("bgp", {
  marker: ["Marker", "bytes"],
  length: ["Length", "uint"],
  type: ["Type", "uint", { values: WS_TYPE }],
  "open.version": ["Version", "uint"],
  "open.myas": ["My AS", "uint"],
  "open.holdtime": ["Hold Time", "uint"],
  "open.identifier": ["BGP Identifier", "ipv4"],
  "open.opt.len": ["Optional Parameters Length", "uint"],
});

const HEADER = 19;

export const BGP: Protocol = {
  id: "bgp",
  name: "BGP",
  title: "Border Gateway Protocol",
  fields: F,
  dissect(r, ctx, t) {
    ctx.line.s(": BGP");
    if (ctx.opts.verbose > 0 || t.on) walk(r, ctx, t);
    r.pos = r.cap;
  },
};

bind("tcp.port", 179, BGP);

/** Whether the 16 bytes at p are all 0xff (the caller has checked they are captured). */
function isMarker(r: Reader, p: number): boolean {
  for (let i = 0; i < 16; i++) if (r.byteAt(p + i) !== 0xff) return false;
  return true;
}

/** tcpdump's bgp_print loop: find each marker, print each whole message; the tree gets the same messages. */
function walk(r: Reader, ctx: Ctx, t: TreeSink): void {
  const verbose = ctx.opts.verbose > 0;
  const base = r.pos;
  // tcpdump's end is the lesser of the captured end and the end of the TCP payload
  const ep = Math.min(r.cap, base + r.reportedRemaining);
  const u8 = (o: number): number => r.byteAt(o);
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  let p = base;
  let start = base;
  let out = "";
  let trunc = false;
  // an unindented line of tcpdump's after the messages (a bogus or cut message), written with nl()
  let own = "";
  // every pass moves p forward by at least one byte, so the loop is bounded by the segment's length
  while (p < ep) {
    if (u8(p) !== 0xff) {
      p++;
      continue;
    }
    if (p + 16 > ep) break;
    if (!isMarker(r, p)) {
      p++;
      continue;
    }
    if (p + HEADER > ep) {
      trunc = true;
      break;
    }
    if (start !== p) out += " [|bgp]";
    const hlen = u16(p + 16);
    const type = u8(p + 18);
    if (t.on) {
      t.pushNote(WS_TYPE[type] ?? "Unknown Message", p, Math.max(HEADER, Math.min(hlen, ep - p)));
      t.add(F.marker, "ffffffffffffffffffffffffffffffff", p, 16);
      t.add(F.length, hlen, p + 16, 2);
      t.add(F.type, type, p + 18, 1);
    }
    if (hlen < HEADER) {
      if (t.on) t.pop();
      own = `message length ${hlen} < ${HEADER} (invalid)`;
      break;
    }
    if (p + hlen > ep) {
      if (t.on) t.pop();
      own = `[|BGP ${MSG[type] ?? "Unknown Message Type"}]`;
      break;
    }
    out += `\n\t${MSG[type] ?? "Unknown"} Message (${type}), length: ${hlen}`;
    if (type === 1) {
      const o = open(r, p, t);
      out += o.text;
      if (o.cut) ctx.truncated = true;
      if (o.trunc) {
        if (t.on) t.pop();
        trunc = true;
        break;
      }
    }
    else if ((type === 3 && p + 21 > ep) || (type === 5 && p + 23 > ep)) {
      // tcpdump reads the fixed part from the captured bytes, whatever the length says: past them is a cut
      if (t.on) t.pop();
      trunc = true;
      break;
    } else if (type === 2) {
      const u = update(r, p, hlen, ep);
      out += u.text;
      if (u.trunc) {
        if (t.on) t.pop();
        trunc = true;
        break;
      }
      // tcpdump's bgp_update_print ends at its truncation mark, and the walk goes on to the next message
      if (u.soft) out += " [|bgp]";
    } else if (type === 3) out += notification(r, p, hlen);
    else if (type === 5) {
      const afi = u16(p + 19);
      const safi = u8(p + 22);
      out += `\n\t  AFI ${AFI[afi] ?? "Unknown"} (${afi}), SAFI ${SAFI[safi] ?? "Unknown"} (${safi})`;
    }
    if (t.on) t.pop();
    p += hlen;
    start = p;
  }
  if (verbose) {
    ctx.line.s(out);
    if (trunc) ctx.line.s(" [|bgp]");
    if (own !== "") ctx.line.nl().s(own);
  }
  if (trunc) ctx.truncated = true;
}

/** tcpdump's names (af_values, bgp_safi_values, bgp_capcode_values, bgp_opt_values), the ones BGP OPENs use. */
const AFI: Readonly<Record<number, string>> = { 1: "IPv4", 2: "IPv6", 25: "VPLS" };
const SAFI: Readonly<Record<number, string>> = { 1: "Unicast", 2: "Multicast", 3: "Unicast+Multicast", 4: "labeled Unicast", 70: "EVPN", 128: "labeled VPN Unicast", 129: "labeled VPN Multicast", 130: "labeled VPN Unicast+Multicast", 132: "Route Target Routing Information", 5: "Multicast VPN" };
const CAP: Readonly<Record<number, string>> = {
  1: "Multiprotocol Extensions",
  2: "Route Refresh",
  4: "Multiple Routes to a Destination",
  8: "Multiple Labels",
  64: "Graceful Restart",
  65: "32-Bit AS Number",
  69: "Multiple Paths",
  70: "Enhanced Route Refresh",
  71: "Long-lived Graceful Restart",
  128: "Route Refresh (Cisco)",
};
const OPT: Readonly<Record<number, string>> = { 1: "Authentication Information", 2: "Capabilities Advertisement" };
const ADD_PATH: Readonly<Record<number, string>> = { 1: "Receive", 2: "Send", 3: "Both" };

/** An OPEN message (tcpdump's bgp_open_print): the fixed part, then the optional parameters and capabilities. */
function open(r: Reader, p: number, t: TreeSink): { text: string; trunc: boolean; cut: boolean } {
  const cap = r.cap;
  const u8 = (o: number): number => r.byteAt(o);
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  // tcpdump reads the fixed part from the captured bytes, whatever the message's length says
  const q = p + HEADER;
  if (q + 10 > cap) return { text: "", trunc: true, cut: true };
  const version = u8(q);
  const myas = u16(q + 1);
  const hold = u16(q + 3);
  const id = ipv4At(r.data, q + 5);
  const optlen = u8(q + 9);
  if (t.on) {
    t.add(F["open.version"], version, q, 1);
    t.add(F["open.myas"], myas, q + 1, 2);
    t.add(F["open.holdtime"], hold, q + 3, 2);
    t.add(F["open.identifier"], id, q + 5, 4);
    t.add(F["open.opt.len"], optlen, q + 9, 1);
  }
  let text = `\n\t  Version ${version}, my AS ${myas}, Holdtime ${hold}s, ID ${id}\n\t  Optional parameters, length: ${optlen}`;
  const opt = q + 10;
  let cut = false;
  let i = 0;
  // i grows by at least 2 a pass, bounded by optlen (at most 255)
  while (i < optlen) {
    if (opt + i + 2 > cap) return { text, trunc: true, cut: true };
    const type = u8(opt + i);
    const len = u8(opt + i + 1);
    if (2 + i + len > optlen) {
      text += `\n\t     Option ${type}, length: ${len}, goes past the end of the options`;
      break;
    }
    text += `\n\t    Option ${OPT[type] ?? "Unknown"} (${type}), length: ${len}`;
    if (type === 2) {
      const c = capabilities(r, opt + i + 2, len);
      text += c.text;
      // tcpdump's capability printer ends at its own truncation mark, and the option walk goes on
      if (c.trunc) {
        text += " [|bgp]";
        cut = true;
      }
    } else text += `\n\t      no decoder for option ${type}`;
    i += 2 + len;
  }
  return { text, trunc: false, cut };
}

/** tcpdump's bgp_capabilities_print (-v): each capability's name, length and what tcpdump decodes of it. */
function capabilities(r: Reader, o: number, capsLen: number): { text: string; trunc: boolean } {
  const cap = r.cap;
  const u8 = (x: number): number => r.byteAt(x);
  const u16 = (x: number): number => (u8(x) << 8) | u8(x + 1);
  const afiSafi = (x: number): string => `AFI ${AFI[u16(x)] ?? "Unknown"} (${u16(x)}), SAFI ${SAFI[u8(x + 2)] ?? "Unknown"} (${u8(x + 2)})`;
  let text = "";
  let i = 0;
  while (i < capsLen) {
    if (o + i + 2 > cap) return { text, trunc: true };
    const type = u8(o + i);
    const len = u8(o + i + 1);
    text += `\n\t      ${CAP[type] ?? "Unknown"} (${type}), length: ${len}`;
    if (o + i + 2 + len > cap) return { text, trunc: true };
    const v = o + i + 2;
    switch (type) {
      case 1:
        if (len < 4) return { text: text + " (too short, < 4)", trunc: false };
        text += `\n\t\tAFI ${AFI[u16(v)] ?? "Unknown"} (${u16(v)}), SAFI ${SAFI[u8(v + 3)] ?? "Unknown"} (${u8(v + 3)})`;
        break;
      case 8:
        for (let k = 0; k + 4 <= len; k += 4) text += `\n\t\t${afiSafi(v + k)}, Count: ${u8(v + k + 3)}`;
        break;
      case 64: {
        if (len < 2) return { text: text + " (too short, < 2)", trunc: false };
        text += `\n\t\tRestart Flags: [${u8(v) & 0x80 ? "R" : "none"}], Restart Time ${u16(v) & 0xfff}s`;
        for (let k = 2; k + 4 <= len; k += 4) text += `\n\t\t  ${afiSafi(v + k)}, Forwarding state preserved: ${u8(v + k + 3) & 0x80 ? "yes" : "no"}`;
        break;
      }
      case 2:
      case 71:
      case 128:
        break;
      case 65:
        if (len < 4) return { text: text + " (too short, < 4)", trunc: false };
        text += `\n\t\t 4 Byte AS ${u16(v) * 65536 + u16(v + 2)}`;
        break;
      case 69: {
        if (len === 0) {
          text += " (bogus)";
          break;
        }
        for (let k = 0; k < len; k += 4) {
          if (len - k < 4) {
            text += " (invalid)";
            break;
          }
          const sr = u8(v + k + 3);
          text += `\n\t\t${afiSafi(v + k)}, Send/Receive: ${ADD_PATH[sr] ?? `Bogus (0x${sr.toString(16).padStart(2, "0")})`}`;
        }
        break;
      }
      default:
        text += `\n\t\tno decoder for Capability ${type}`;
        text += hexText(r, v, len, "\n\t\t");
    }
    i += 2 + len;
  }
  return { text, trunc: false };
}

/** tcpdump's error codes and subcodes (bgp_notify_major_values, bgp_notify_minor_*_values). */
const ERR: Readonly<Record<number, string>> = {
  1: "Message Header Error",
  2: "OPEN Message Error",
  3: "UPDATE Message Error",
  4: "Hold Timer Expired",
  5: "Finite State Machine Error",
  6: "Cease",
  7: "Capability Message Error",
};
const SUB: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: { 1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type" },
  2: { 1: "Unsupported Version Number", 2: "Bad Peer AS", 3: "Bad BGP Identifier", 4: "Unsupported Optional Parameter", 5: "Authentication Failure", 6: "Unacceptable Hold Time", 7: "Capability Message Error" },
  3: {
    1: "Malformed Attribute List",
    2: "Unrecognized Well-known Attribute",
    3: "Missing Well-known Attribute",
    4: "Attribute Flags Error",
    5: "Attribute Length Error",
    6: "Invalid ORIGIN Attribute",
    7: "AS Routing Loop",
    8: "Invalid NEXT_HOP Attribute",
    9: "Optional Attribute Error",
    10: "Invalid Network Field",
    11: "Malformed AS_PATH",
  },
  5: { 0: "Unspecified Error", 1: "In OpenSent State", 2: "In OpenConfirm State", 3: "In Established State" },
  6: {
    1: "Maximum Number of Prefixes Reached",
    2: "Administrative Shutdown",
    3: "Peer Unconfigured",
    4: "Administrative Reset",
    5: "Connection Rejected",
    6: "Other Configuration Change",
    7: "Connection Collision Resolution",
    8: "Out of Resources",
  },
  7: { 1: "Invalid Action Value", 2: "Invalid Capability Length", 3: "Malformed Capability Value", 4: "Unsupported Capability Code" },
};

/** A NOTIFICATION (tcpdump's bgp_notification_print): error, subcode, RFC 8203 shutdown communication. */
function notification(r: Reader, p: number, hlen: number): string {
  const u8 = (o: number): number => r.byteAt(o);
  const major = u8(p + 19);
  const minor = u8(p + 20);
  let s = `, ${ERR[major] ?? "Unknown Error"} (${major})`;
  const sub = SUB[major];
  if (sub === undefined) return s;
  s += `${major === 5 || major === 7 ? "" : ","} subcode ${sub[minor] ?? "Unknown"} (${minor})`;
  if (major === 6 && (minor === 2 || minor === 4) && hlen >= 22) {
    let q = p + 21;
    let rest = hlen - 21;
    const n = u8(q);
    if (n > 0 && n + 1 > rest) s += ", invalid Shutdown Communication length";
    else if (n === 0) {
      s += ", empty Shutdown Communication";
      rest--;
      q++;
    } else {
      let text = "";
      for (let i = 0; i < n; i++) text += printChar(u8(q + 1 + i));
      s += `, Shutdown Communication (length: ${n}): "${text}"`;
      rest -= n + 1;
      q += n + 1;
    }
    if (rest > 0) s += `, Data: (length: ${rest})` + hexText(r, q, rest, "\n\t\t");
  }
  return s;
}

/** tcpdump's path attribute names (bgp_attr_values), the ones whose values tsniff prints. */
const ATTR: Readonly<Record<number, string>> = {
  1: "Origin",
  2: "AS Path",
  3: "Next Hop",
  4: "Multi Exit Discriminator",
  5: "Local Preference",
  6: "Atomic Aggregate",
  7: "Aggregator",
  8: "Community",
  9: "Originator ID",
  10: "Cluster List",
  14: "Multi-Protocol Reach NLRI",
  15: "Multi-Protocol Unreach NLRI",
  16: "Extended Community",
  17: "AS4 Path",
  11: "DPA",
  12: "Advertisers",
  13: "RCID Path / Cluster ID",
  18: "Aggregator4",
  22: "PMSI Tunnel",
  23: "Tunnel Encapsulation",
  24: "Traffic Engineering",
  25: "IPv6 Extended Community",
  26: "Accumulated IGP Metric",
  27: "PE Distinguisher Label",
  28: "Entropy Label",
  32: "Large Community",
  128: "Attribute Set",
  255: "Reserved for development",
};
/** tcpdump's PMSI tunnel types (bgp_pmsi_tunnel_values). */
const PMSI: Readonly<Record<number, string>> = {
  1: "RSVP-TE P2MP LSP",
  2: "LDP P2MP LSP",
  3: "PIM-SSM Tree",
  4: "PIM-SM Tree",
  5: "PIM-Bidir Tree",
  6: "Ingress Replication",
  7: "LDP MP2MP LSP",
};
/** tcpdump's tunnel types of the encapsulation extended community (bgp_extd_comm_encap_tunnel_values). */
const ENCAP_TUNNEL: Readonly<Record<number, string>> = {
  1: "L2TPv3 over IP", 2: "GRE", 3: "Transmit Tunnel", 4: "IPsec", 5: "IP in IP with IPsec", 6: "MPLS in IP with IPsec", 7: "IP in IP",
  8: "VXLAN", 9: "NVGRE", 10: "MPLS", 11: "MPLS in GRE", 12: "VXLAN GPE", 13: "MPLS in UDP", 14: "IPv6", 15: "SR TE", 16: "Bare", 17: "SR",
};
/** tcpdump's names of extended community types (bgp_extd_comm_subtype_values), by the 16-bit type */
const EXT_COMM: Readonly<Record<number, string>> = {
  0x0002: "target", 0x0102: "target", 0x0202: "target", 0x0003: "origin", 0x0103: "origin", 0x0203: "origin",
  0x4004: "link-BW", 0x0005: "domain-id", 0x0105: "domain-id", 0x0205: "domain-id", 0x0306: "ospf-route-type",
  0x8006: "ospf-route-type", 0x0107: "ospf-router-id", 0x8000: "ospf-domain", 0x000a: "l2vpn-id", 0xf10a: "l2vpn-id", 0x800a: "l2vpn-id",
  0x0009: "source-AS", 0x0209: "source-AS", 0x010b: "vrf-import", 0x030c: "encapsulation",
};
/** The route distinguisher (tcpdump's bgp_vpn_rd_print). */
function rdText(b: Upd, o: number): string {
  const type = g2(b, o);
  if (type === 0) return `${g2(b, o + 2)}:${g4(b, o + 4)} (= ${ip4(b, o + 4)})`;
  if (type === 1) return `${ip4(b, o + 2)}:${g2(b, o + 6)}`;
  if (type === 2) return `${g4(b, o + 2)}:${g2(b, o + 6)}`;
  return "unknown RD format";
}
const ORIGIN: Readonly<Record<number, string>> = { 0: "IGP", 1: "EGP", 2: "Incomplete" };
const SEG_OPEN: Readonly<Record<number, string>> = { 1: "{ ", 2: "", 3: "( ", 4: "({ " };
const SEG_CLOSE: Readonly<Record<number, string>> = { 1: "}", 2: "", 3: ")", 4: "})" };

/**
 * An UPDATE (tcpdump's bgp_update_print and bgp_attr_print): withdrawn and updated IPv4 prefixes (with tcpdump's
 * guess at ADD-PATH identifiers) and every path attribute tcpdump 4.99 decodes: ORIGIN, AS_PATH / AS4_PATH,
 * NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR / AGGREGATOR4, COMMUNITIES, ORIGINATOR_ID,
 * CLUSTER_LIST, MP_REACH / MP_UNREACH (IPv4 and IPv6 unicast, multicast, labeled, labeled VPN; IPv4 route target
 * membership), extended communities, PMSI tunnel, AIGP, Large Community and ATTR_SET; any other attribute as
 * tcpdump's "no Attribute N decoder" and a hex dump. Two kinds of truncation, as in tcpdump: a length inside the
 * message that runs out ends this message with " [|bgp]" and the walk goes on to the next message (`soft`); a
 * read past the captured bytes ends the whole BGP text there (`trunc`, tcpdump's GET_ macros).
 */
function update(r: Reader, p: number, hlen: number, ep: number): { text: string; trunc: boolean; soft: boolean } {
  const b: Upd = { r, ep, s: "" };
  try {
    const ok = updateBody(b, p, hlen);
    return { text: b.s, trunc: false, soft: !ok };
  } catch (e) {
    if (e !== CUT) throw e;
    return { text: b.s, trunc: true, soft: false };
  }
}

/** The UPDATE being printed: its reader, the end of the captured bytes, the text so far. */
interface Upd {
  r: Reader;
  ep: number;
  s: string;
}
/** Thrown by a read past the captured bytes (tcpdump's GET_ macros' longjmp); caught in update(). */
const CUT = new Error("bgp: past the captured bytes");
const g1 = (b: Upd, o: number): number => {
  if (o < 0 || o >= b.ep) throw CUT;
  return b.r.byteAt(o);
};
const g2 = (b: Upd, o: number): number => (g1(b, o) << 8) | g1(b, o + 1);
const g3 = (b: Upd, o: number): number => (g2(b, o) << 8) | g1(b, o + 2);
const g4 = (b: Upd, o: number): number => g2(b, o) * 65536 + g2(b, o + 2);
/** A read of n bytes at o that must be captured (GET_CPY_BYTES, GET_IPADDR_STRING). */
const need = (b: Upd, o: number, n: number): void => {
  if (o + n > b.ep) throw CUT;
};
/** ND_TTEST_LEN: whether n bytes at o are captured (tcpdump's ND_TCHECK jumps to the printer's own trunc label). */
const ttest = (b: Upd, o: number, n: number): boolean => o + n <= b.ep;
const ip4 = (b: Upd, o: number): string => {
  need(b, o, 4);
  return ipv4At(b.r.data, o);
};
const ip6 = (b: Upd, o: number): string => {
  need(b, o, 16);
  return ipv6At(b.r.data, o);
};

/** tcpdump's decode_prefix4 / decode_prefix6: the prefix's text and its length in bytes, -1 (illegal length) or -2 (short). */
function prefix(b: Upd, o: number, itemlen: number, v6: boolean): { t: string; n: number } | -1 | -2 {
  if (itemlen < 1) return -2;
  const plen = g1(b, o);
  if (plen > (v6 ? 128 : 32)) return -1;
  const n = (plen + 7) >> 3;
  if (itemlen - 1 < n) return -2;
  return { t: `${maskedAddr(b, o + 1, plen, v6)}/${plen}`, n: 1 + n };
}
/** The address of a prefix of plen bits at o, the bits past plen cleared. */
function maskedAddr(b: Upd, o: number, plen: number, v6: boolean): string {
  const n = (plen + 7) >> 3;
  need(b, o, n);
  const a = new Uint8Array(v6 ? 16 : 4);
  for (let k = 0; k < n; k++) a[k] = b.r.byteAt(o + k);
  if (plen % 8 && n > 0) a[n - 1] &= (0xff00 >> plen % 8) & 0xff;
  return v6 ? ipv6At(a, 0) : `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
}

/** tcpdump's bgp_update_print; false where it prints its truncation mark and returns. */
function updateBody(b: Upd, p: number, hlen: number): boolean {
  let q = p + HEADER;
  let length = hlen - HEADER;
  if (!ttest(b, q, 2) || length < 2) return false;
  let wlen = g2(b, q);
  q += 2;
  length -= 2;
  if (wlen > 1) {
    if (!ttest(b, q, wlen) || length < wlen) return false;
    b.s += "\n\t  Withdrawn routes:";
    const ap = addPath(b.r, q, wlen, b.ep);
    // every pass takes at least one byte off wlen
    while (wlen !== 0) {
      let id = 0;
      if (ap) {
        if (wlen < 4) {
          q += wlen;
          length -= wlen;
          break;
        }
        id = g4(b, q);
        q += 4;
        length -= 4;
        wlen -= 4;
      }
      const x = prefix(b, q, wlen, false);
      if (x === -1) {
        b.s += "\n\t    (illegal prefix length)";
        break;
      }
      if (x === -2) return false;
      b.s += `\n\t    ${x.t}`;
      if (ap) b.s += `   Path Id: ${id}`;
      q += x.n;
      length -= x.n;
      wlen -= x.n;
    }
  } else {
    if (!ttest(b, q, wlen) || length < wlen) return false;
    q += wlen;
    length -= wlen;
  }
  if (!ttest(b, q, 2) || length < 2) return false;
  let len = g2(b, q);
  q += 2;
  length -= 2;
  if (wlen === 0 && len === 0 && length === 0) {
    b.s += "\n\t  End-of-Rib Marker (empty NLRI)";
    return true;
  }
  if (len) {
    if (length < len) return false;
    // every pass takes at least two bytes off len
    while (len) {
      if (!ttest(b, q, 2) || length < 2) return false;
      if (len < 2) {
        b.s += "\n\t  [path attrs too short]";
        q += len;
        length -= len;
        break;
      }
      const flags = g1(b, q);
      const type = g1(b, q + 1);
      q += 2;
      len -= 2;
      length -= 2;
      const ll = flags & 0x10 ? 2 : 1;
      if (!ttest(b, q, ll) || length < ll) return false;
      if (len < ll) {
        b.s += "\n\t  [path attrs too short]";
        q += len;
        length -= len;
        break;
      }
      const alen = ll === 2 ? g2(b, q) : g1(b, q);
      q += ll;
      len -= ll;
      length -= ll;
      b.s += `\n\t  ${ATTR[type] ?? "Unknown Attribute"} (${type}), length: ${alen}`;
      if (flags) b.s += `, Flags [${flagText(flags)}]: `;
      if (len < alen) {
        b.s += " [path attrs too short]";
        q += len;
        length -= len;
        break;
      }
      if (length < alen) return false;
      if (!attr(b, type, q, alen, 0)) return false;
      q += alen;
      len -= alen;
      length -= alen;
    }
  }
  if (length) {
    const ap = addPath(b.r, q, length, b.ep);
    b.s += "\n\t  Updated routes:";
    while (length !== 0) {
      let id = 0;
      if (ap) {
        if (!ttest(b, q, 4) || length < 4) return false;
        id = g4(b, q);
        q += 4;
        length -= 4;
      }
      const x = prefix(b, q, length, false);
      if (x === -1) {
        b.s += "\n\t    (illegal prefix length)";
        break;
      }
      if (x === -2) return false;
      b.s += `\n\t    ${x.t}`;
      if (ap) b.s += `   Path Id: ${id}`;
      q += x.n;
      length -= x.n;
    }
  }
  return true;
}

/** A path attribute's flags as tcpdump prints them (bgp_flags, then the low bits in hex). */
function flagText(flags: number): string {
  let s = `${flags & 0x80 ? "O" : ""}${flags & 0x40 ? "T" : ""}${flags & 0x20 ? "P" : ""}${flags & 0x10 ? "E" : ""}`;
  if (flags & 0xf) s += `+${(flags & 0xf).toString(16)}`;
  return s;
}

/** tcpdump's print_unknown_data at -v: a hex dump of what is captured of len bytes at o. */
function unknownData(b: Upd, o: number, len: number, indent: string): void {
  b.s += hexText(b.r, o, Math.max(0, Math.min(len, b.ep - o)), indent);
}

/** An AS path's segments (tcpdump's AS_PATH / AS4_PATH case), the AS size guessed as bgp_attr_get_as_size does. */
function asPath(b: Upd, type: number, v: number, len: number): boolean {
  if (len % 2) {
    b.s += "invalid len";
    return true;
  }
  if (!len) {
    b.s += "empty";
    return true;
  }
  let size = 4;
  if (type === 2) {
    let o = v;
    // every pass moves o forward by at least two bytes
    while (o < v + len) {
      const st = g1(b, o);
      if (st < 1 || st > 4) break;
      o += 2 + g1(b, o + 1) * 2;
    }
    if (o === v + len) size = 2;
  }
  for (let o = v; o < v + len; ) {
    const st = g1(b, o);
    const cnt = g1(b, o + 1);
    b.s += SEG_OPEN[st] ?? "?";
    for (let i = 0; i < cnt * size; i += size) {
      if (!ttest(b, o + 2 + i, size)) return false;
      b.s += `${size === 2 ? g2(b, o + 2 + i) : g4(b, o + 2 + i)} `;
    }
    b.s += SEG_CLOSE[st] ?? "?";
    o += 2 + cnt * size;
  }
  return true;
}

/** tcpdump's bgp_attr_print: one attribute's value; false where tcpdump returns 0 (its caller prints " [|bgp]"). */
function attr(b: Upd, type: number, v: number, len: number, level: number): boolean {
  switch (type) {
    case 1:
      b.s += len !== 1 ? "invalid len" : (ORIGIN[g1(b, v)] ?? "Unknown Origin Typecode");
      return true;
    case 2:
    case 17:
      return asPath(b, type, v, len);
    case 3:
    case 9:
      b.s += len !== 4 ? "invalid len" : ip4(b, v);
      return true;
    case 4:
    case 5:
      b.s += len !== 4 ? "invalid len" : String(g4(b, v));
      return true;
    case 6:
      if (len !== 0) b.s += "invalid len";
      return true;
    case 7:
      if (len !== 6 && len !== 8) b.s += "invalid len";
      else if (!ttest(b, v, len)) return false;
      else b.s += len === 6 ? ` AS #${g2(b, v)}, origin ${ip4(b, v + 2)}` : ` AS #${g4(b, v)}, origin ${ip4(b, v + 4)}`;
      return true;
    case 18:
      b.s += len !== 8 ? "invalid len" : ` AS #${g4(b, v)}, origin ${ip4(b, v + 4)}`;
      return true;
    case 8:
      if (len % 4) {
        b.s += "invalid len";
        return true;
      }
      for (let k = 0; k < len; k += 4) {
        if (!ttest(b, v + k, 4)) return false;
        const c = g4(b, v + k);
        if (c === 0xffffff01) b.s += " NO_EXPORT";
        else if (c === 0xffffff02) b.s += " NO_ADVERTISE";
        else if (c === 0xffffff03) b.s += " NO_EXPORT_SUBCONFED";
        else b.s += `${c >>> 16}:${c & 0xffff}${len - k > 4 ? ", " : ""}`;
      }
      return true;
    case 10:
      if (len % 4) b.s += "invalid len";
      else for (let k = 0; k < len; k += 4) b.s += `${ip4(b, v + k)}${len - k > 4 ? ", " : ""}`;
      return true;
    case 14:
    case 15:
      return mpNlri(b, type === 14, v, len);
    case 16:
      if (len % 8) {
        b.s += "invalid len";
        return true;
      }
      for (let k = 0; k < len; k += 8) {
        if (!ttest(b, v + k, 2)) return false;
        const ct = g2(b, v + k);
        const fl = ct & 0xc000;
        b.s += `\n\t    ${EXT_COMM[ct] ?? "unknown extd community typecode"} (0x${ct.toString(16).padStart(4, "0")}), Flags [${fl & 0x8000 ? "vendor-specific" : ""}${fl === 0xc000 ? ", " : ""}${fl & 0x4000 ? "non-transitive" : ""}${fl ? "" : "none"}]`;
        if (!ttest(b, v + k, 8)) return false;
        b.s += ": " + extCommunity(b, ct, v + k + 2);
      }
      return true;
    case 22: {
      if (!ttest(b, v, 5) || len < 5) return false;
      const flags = g1(b, v);
      const tt = g1(b, v + 1);
      b.s += `\n\t    Tunnel-type ${PMSI[tt] ?? "Unknown"} (${tt}), Flags [${flags & 1 ? "Leaf Information required" : "none"}], MPLS Label ${g3(b, v + 2) >> 4}`;
      const o = v + 5;
      if (tt === 4 || tt === 5) b.s += `\n\t      Sender ${ip4(b, o)}, P-Group ${ip4(b, o + 4)}`;
      else if (tt === 3) b.s += `\n\t      Root-Node ${ip4(b, o)}, P-Group ${ip4(b, o + 4)}`;
      else if (tt === 6) b.s += `\n\t      Tunnel-Endpoint ${ip4(b, o)}`;
      else if (tt === 2 || tt === 7) b.s += `\n\t      Root-Node ${ip4(b, o)}, LSP-ID 0x${g4(b, o + 4).toString(16).padStart(8, "0")}`;
      else if (tt === 1) b.s += `\n\t      Extended-Tunnel-ID ${ip4(b, o)}, P2MP-ID 0x${g4(b, o + 4).toString(16).padStart(8, "0")}`;
      else unknownData(b, o, len - 5, "\n\t      ");
      return true;
    }
    case 26: {
      let o = v;
      let tlen = len;
      // every pass takes at least three bytes off tlen
      while (tlen >= 3) {
        const t = g1(b, o);
        let l = g2(b, o + 1);
        o += 3;
        tlen -= 3;
        b.s += `\n\t    ${t === 1 ? "AIGP" : "Unknown"} TLV (${t}), length ${l}`;
        if (l < 3) return false;
        l -= 3;
        if (tlen < l) return false;
        if (t === 1) {
          if (l < 8) return false;
          b.s += `, metric ${BigInt(g4(b, o)) * 4294967296n + BigInt(g4(b, o + 4))}`;
        } else unknownData(b, o, l, "\n\t      ");
        o += l;
        tlen -= l;
      }
      return true;
    }
    case 32:
      if (len === 0 || len % 12) {
        b.s += "invalid len";
        return true;
      }
      b.s += "\n\t    ";
      for (let k = 0; k < len; k += 12) b.s += `${g4(b, v + k)}:${g4(b, v + k + 4)}:${g4(b, v + k + 8)}${len - k > 12 ? ", " : ""}`;
      return true;
    case 128:
      return attrSet(b, v, len, level);
    default:
      if (!ttest(b, v, len)) return false;
      b.s += `\n\t    no Attribute ${type} decoder`;
      unknownData(b, v, len, "\n\t    ");
      return true;
  }
}

/** ATTR_SET (RFC 6368): the origin AS, then attributes of its own, nested at most 10 deep as in tcpdump. */
function attrSet(b: Upd, v: number, len: number, level: number): boolean {
  if (!ttest(b, v, 4) || len < 4) return false;
  b.s += `\n\t    Origin AS: ${g4(b, v)}`;
  let o = v + 4;
  len -= 4;
  // every pass takes at least two bytes off len
  while (len) {
    if (!ttest(b, o, 2)) return false;
    if (len < 2) {
      b.s += " [path attr too short]";
      break;
    }
    const flags = g1(b, o);
    const type = g1(b, o + 1);
    o += 2;
    len -= 2;
    const ll = flags & 0x10 ? 2 : 1;
    if (!ttest(b, o, ll)) return false;
    if (len < ll) {
      b.s += " [path attr too short]";
      break;
    }
    const alen = ll === 2 ? g2(b, o) : g1(b, o);
    o += ll;
    len -= ll;
    b.s += `\n\t      ${ATTR[type] ?? "Unknown Attribute"} (${type}), length: ${alen}`;
    if (flags) b.s += `, Flags [${flagText(flags)}]`;
    b.s += ": ";
    if (len < alen) {
      b.s += " [path attr too short]";
      break;
    }
    if (level === 10) b.s += "(too many nested levels, not recursing)";
    else if (!attr(b, type, o, alen, level + 1)) return false;
    o += alen;
    len -= alen;
  }
  return true;
}

/** tcpdump's bgp_extended_community_print: the 6 bytes after the type at o. */
function extCommunity(b: Upd, ct: number, o: number): string {
  switch (ct) {
    case 0x0002:
    case 0x0003:
    case 0x0005:
    case 0x000a:
      return `${g2(b, o)}:${g4(b, o + 2)} (= ${ip4(b, o + 2)})`;
    case 0x0102:
    case 0x0103:
    case 0x0105:
    case 0x0107:
    case 0x010b:
    case 0xf10a:
      return `${ip4(b, o)}:${g2(b, o + 4)}`;
    case 0x0202:
    case 0x0203:
    case 0x0205:
    case 0x0209:
      return `${g4(b, o)}:${g2(b, o + 4)}`;
    case 0x4004: {
      const f = new Float32Array(new Uint32Array([g4(b, o + 2)]).buffer)[0];
      return `bandwidth: ${((f * 8) / 1000000).toFixed(3)} Mbps`;
    }
    case 0x0009:
      return `AS ${g2(b, o)}`;
    case 0x030c:
      return `Tunnel type: ${ENCAP_TUNNEL[g2(b, o + 4)] ?? "unknown encaps"}`;
    default:
      return `${g4(b, o).toString(16).padStart(8, "0")}${g2(b, o + 4).toString(16).padStart(4, "0")}`;
  }
}

/** The AFI/SAFI pairs tsniff decodes NLRI of (of those tcpdump's bgp_mp_af_print knows). */
function knownAfSafi(afi: number, safi: number): boolean {
  if (afi === 1) return (safi >= 1 && safi <= 5) || (safi >= 128 && safi <= 130) || safi === 132;
  if (afi === 2) return (safi >= 1 && safi <= 5) || (safi >= 128 && safi <= 130);
  return false;
}

/** MP_REACH_NLRI / MP_UNREACH_NLRI (tcpdump's cases of bgp_attr_print, bgp_mp_af_print and bgp_nlri_print). */
function mpNlri(b: Upd, reach: boolean, v: number, len: number): boolean {
  if (!ttest(b, v, 3) || len < 3) return false;
  const afi = g2(b, v);
  const safi = g1(b, v + 2);
  b.s += `\n\t    AFI: ${AFI[afi] ?? "Unknown AFI"} (${afi}), ${safi > 128 ? "vendor specific " : ""}SAFI: ${SAFI[safi] ?? "Unknown SAFI"} (${safi})`;
  if (!knownAfSafi(afi, safi)) {
    if (!ttest(b, v, len)) return false;
    b.s += `\n\t    no AFI ${afi} / SAFI ${safi} decoder`;
    unknownData(b, v, len, "\n\t    ");
    return true;
  }
  const v6 = afi === 2;
  const vpn = safi >= 128 && safi <= 130;
  let o = v + 3;
  let tlen = len - 3;
  if (reach) {
    if (!ttest(b, o, 1) || tlen < 1) return false;
    const nhlen = g1(b, o);
    o++;
    tlen--;
    if (nhlen) {
      if (tlen < nhlen) return false;
      b.s += "\n\t    nexthop: ";
      if (v6 && safi === 5) {
        // tcpdump knows the family but has no next hop decoder for it, and stops the attribute there
        b.s += `ERROR: no AFI ${afi}/SAFI ${safi} nexthop decoder`;
        return true;
      }
      const step = (vpn ? 8 : 0) + (v6 ? 16 : 4);
      let left = nhlen;
      let nnh = 0;
      // every pass takes at least one byte off left
      while (left !== 0) {
        if (nnh++ > 0) b.s += ", ";
        if (left < step) {
          b.s += "invalid len";
          o += left;
          tlen -= left;
          left = 0;
        } else {
          const a = vpn ? o + 8 : o;
          b.s += (vpn ? `RD: ${rdText(b, o)}, ` : "") + (v6 ? ip6(b, a) : ip4(b, a));
          o += step;
          tlen -= step;
          left -= step;
        }
      }
    }
    b.s += `, nh-length: ${nhlen}`;
    if (tlen < 1) return false;
    const snpa = g1(b, o);
    o++;
    tlen--;
    if (snpa) {
      b.s += `\n\t    ${snpa} SNPA`;
      for (let k = 0; k < snpa; k++) {
        if (tlen < 1) return false;
        const sl = g1(b, o);
        b.s += `\n\t      ${sl} bytes`;
        o++;
        tlen--;
        if (tlen < sl || !ttest(b, o, sl)) return false;
        o += sl;
        tlen -= sl;
      }
    } else b.s += ", no SNPA";
  } else if (len === 3) b.s += "\n\t      End-of-Rib Marker (empty NLRI)";
  const end = v + len;
  const ap = safi <= 3 && addPath(b.r, o, end - o, b.ep, v6 ? 128 : 32);
  // every pass moves o forward by at least one byte
  while (o < end) {
    const n = nlri(b, afi, safi, o, len, ap);
    if (n === -2) return false;
    if (n < 0) break;
    o += n;
  }
  return true;
}

/** One NLRI (tcpdump's bgp_nlri_print): its length in bytes, -1 or -3 to stop, -2 for tcpdump's trunc. */
function nlri(b: Upd, afi: number, safi: number, o: number, len: number, ap: boolean): number {
  const v6 = afi === 2;
  const bits = v6 ? 128 : 32;
  if (safi <= 3) {
    let id = 0;
    if (ap) {
      id = g4(b, o);
      o += 4;
    }
    let adv: number;
    const x = prefix(b, o, len, v6);
    if (x === -1) {
      b.s += "\n\t    (illegal prefix length)";
      adv = -1;
    } else if (x === -2) adv = -2;
    else {
      b.s += `\n\t      ${x.t}`;
      adv = x.n;
    }
    // tcpdump adds the identifier's text and bytes whatever the prefix was
    if (ap) {
      b.s += `   Path Id: ${id}`;
      adv += 4;
    }
    return adv;
  }
  if (safi === 4) {
    if (!ttest(b, o, 4)) return -2;
    if (len < 4) return -3;
    let plen = g1(b, o);
    if (plen < 24 || plen - 24 > bits) {
      b.s += "\n\t    (illegal prefix length)";
      return -1;
    }
    plen -= 24;
    const n = (plen + 7) >> 3;
    if (!v6 && len - 4 < n) return -3;
    b.s += `\n\t      ${maskedAddr(b, o + 4, plen, v6)}/${plen}, label:${g3(b, o + 1) >> 4} ${g1(b, o + 3) & 1 ? "(bottom)" : "(BOGUS: Bottom of Stack NOT set!)"}`;
    return 4 + n;
  }
  if (safi === 5) return mvpn(b, o);
  if (safi === 132) {
    let plen = g1(b, o);
    if (plen === 0) {
      b.s += "\n\t      default route target";
      return 1;
    }
    if (plen < 32 || plen - 32 > 64) {
      b.s += "\n\t    (illegal prefix length)";
      return -1;
    }
    plen -= 32;
    const n = (plen + 7) >> 3;
    need(b, o + 5, n);
    const rt = new Uint8Array(8);
    for (let k = 0; k < n; k++) rt[k] = b.r.byteAt(o + 5 + k);
    if (plen % 8) rt[n - 1] &= (0xff00 >> plen % 8) & 0xff;
    b.s += `\n\t      origin AS: ${g4(b, o + 1)}, ${rtPrefix(rt, plen)}`;
    return 5 + n;
  }
  // labeled VPN unicast, multicast, unicast+multicast
  let plen = g1(b, o);
  if (plen < 88 || plen - 88 > bits) {
    b.s += "\n\t    (illegal prefix length)";
    return -1;
  }
  plen -= 88;
  const addr = maskedAddr(b, o + 12, plen, v6);
  b.s += `\n\t      RD: ${rdText(b, o + 4)}, ${addr}/${plen}, label:${g3(b, o + 1) >> 4} ${g1(b, o + 3) & 1 ? "(bottom)" : "(BOGUS: Bottom of Stack NOT set!)"}`;
  return 12 + ((plen + 7) >> 3);
}

/** tcpdump's multicast VPN route types (bgp_multicast_vpn_route_type_values). */
const MVPN: Readonly<Record<number, string>> = {
  1: "Intra-AS I-PMSI",
  2: "Inter-AS I-PMSI",
  3: "S-PMSI",
  4: "Intra-AS Segment-Leaf",
  5: "Source-Active",
  6: "Shared Tree Join",
  7: "Source Tree Join",
};
/** tcpdump's bgp_vpn_ip_print: an address of `bits` bits. */
function vpnIp(b: Upd, o: number, bits: number): string {
  if (bits === 32) return ip4(b, o);
  if (bits === 128) return ip6(b, o);
  return `bogus address length ${bits}`;
}
/** tcpdump's bgp_vpn_sg_print: a multicast source and group, each behind its length in bits; the bytes read. */
function vpnSg(b: Upd, o: number): number {
  let total = 0;
  for (const what of ["Source", "Group"]) {
    const bits = g1(b, o);
    o++;
    if (!ttest(b, o, bits >> 3)) return total;
    total += (bits >> 3) + 1;
    if (bits) {
      b.s += `, ${what} ${vpnIp(b, o, bits)}`;
      o += bits >> 3;
    }
  }
  return total;
}
/** tcpdump's print_multicast_vpn (RFC 6514 routes): the NLRI's length in bytes, or -2 for tcpdump's trunc. */
function mvpn(b: Upd, o: number): number {
  const type = g1(b, o);
  const rlen = g1(b, o + 1);
  o += 2;
  b.s += `\n\t      Route-Type: ${MVPN[type] ?? "Unknown"} (${type}), length: ${rlen}`;
  switch (type) {
    case 1:
      if (!ttest(b, o, 8)) return -2;
      b.s += `, RD: ${rdText(b, o)}, Originator ${vpnIp(b, o + 8, ((rlen - 8) << 3) >>> 0)}`;
      break;
    case 2:
      if (!ttest(b, o, 12)) return -2;
      b.s += `, RD: ${rdText(b, o)}, Source-AS ${g4(b, o + 8)}`;
      break;
    case 3: {
      if (!ttest(b, o, 8)) return -2;
      b.s += `, RD: ${rdText(b, o)}`;
      o += 8;
      const al = rlen - vpnSg(b, o);
      if (!ttest(b, o, al)) return -2;
      b.s += `, Originator ${vpnIp(b, o, (al << 3) >>> 0)}`;
      break;
    }
    case 5:
      if (!ttest(b, o, 8)) return -2;
      b.s += `, RD: ${rdText(b, o)}`;
      vpnSg(b, o + 8);
      break;
    case 6:
    case 7:
      if (!ttest(b, o, 12)) return -2;
      b.s += `, RD: ${rdText(b, o)}, Source-AS ${g4(b, o + 8)}`;
      vpnSg(b, o + 12);
      break;
  }
  return rlen + 2;
}

/** tcpdump's bgp_rt_prefix_print: a route target membership prefix of plen bits (RFC 4684). */
function rtPrefix(rt: Uint8Array, plen: number): string {
  if (plen === 0) return "route-target: 0:0/0";
  const n = (plen + 7) >> 3;
  let hex = "";
  for (let i = 0; i < n; i++) hex += rt[i].toString(16).padStart(2, "0") + (i % 2 === 1 && i < n - 1 ? " " : "");
  if (plen < 16) return `route-target: partial-type: (${hex}/${plen})`;
  const u16 = (k: number): number => (rt[k] << 8) | rt[k + 1];
  const u32 = (k: number): number => u16(k) * 65536 + u16(k + 2);
  const ct = u16(0);
  if (ct === 0x0002) return `route-target: ${u16(2)}:${u32(4)}/${plen} (${hex})`;
  if (ct === 0x0102) return `route-target: ${rt[2]}.${rt[3]}.${rt[4]}.${rt[5]}:${u16(6)}/${plen} (${hex})`;
  if (ct === 0x0202) return `route-target: ${u32(2)}:${u16(6)}/${plen} (${hex})`;
  return `route target: unknown-type(${ct.toString(16).padStart(4, "0")}) (${hex}/${plen})`;
}

/** tcpdump's check_add_path for IPv4: whether the prefixes look like they carry 4-byte path identifiers. */
function addPath(r: Reader, p: number, length: number, ep: number, max = 32): boolean {
  if (length < 5) return false;
  let o = 0;
  while (o < length) {
    o += 4;
    if (p + o >= ep) break;
    const pl = r.byteAt(p + o);
    if (pl > max) return false;
    o += 1 + ((pl + 7) >> 3);
  }
  if (o > length) return false;
  // not standard BGP: a zero or too long prefix length, or prefixes that overrun the section
  for (o = 0; o < length; ) {
    if (p + o >= ep) break;
    const pl = r.byteAt(p + o);
    if (pl < 1 || pl > max) return true;
    o += 1 + ((pl + 7) >> 3);
  }
  return o > length;
}

/** tcpdump's fn_print_char: "M-" for non-ASCII, "^X" for control characters, so no packet byte reaches the terminal raw. */
function printChar(c: number): string {
  let pre = "";
  if (c > 0x7f) {
    c &= 0x7f;
    pre = "M-";
  }
  if (c < 0x20 || c === 0x7f) return `${pre}^${String.fromCharCode(c ^ 0x40)}`;
  return pre + String.fromCharCode(c);
}

/** tcpdump's hex_print (print_unknown_data at -v): "0x0000:  0800 02" lines, 16 bytes each. */
function hexText(r: Reader, p: number, n: number, indent: string): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    if (i % 16 === 0) s += `${indent}0x${i.toString(16).padStart(4, "0")}: `;
    if (i % 2 === 0) s += " ";
    s += r.byteAt(p + i).toString(16).padStart(2, "0");
  }
  return s;
}
