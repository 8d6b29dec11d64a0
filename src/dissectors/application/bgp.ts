/**
 * BGP-4 (RFC 4271) on TCP port 179, messages contained in one segment (no reassembly).
 * tcpdump's summary (print-bgp.c, without -v) is ": BGP" for every segment with a payload, whatever its bytes.
 * With -v tcpdump walks the segment for 16-byte all-ones markers and prints each message's header line
 * ("\n\tKeepalive Message (4), length: 19"); tsniff prints those header lines, the framing errors tcpdump
 * prints (" [|bgp]", "[|BGP Open]" for a cut message, "message length 5 < 19 (invalid)"), OPEN messages whole
 * (optional parameters and capabilities), NOTIFICATION (error, subcode, RFC 8203 shutdown communication) and
 * ROUTE-REFRESH (AFI/SAFI), UPDATE's IPv4 routes and its ORIGIN, AS_PATH, NEXT_HOP, MED and LOCAL_PREF. Other
 * path attributes (communities, MP_REACH/UNREACH, ...) stop UPDATE's text short of tcpdump's; -vv hex dumps are not printed.
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
    if (n > 128 || (n > 0 && n + 1 > rest)) s += ", invalid Shutdown Communication length";
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
};
/** tcpdump's names of extended community types (bgp_extd_comm_subtype_values), by the 16-bit type */
const EXT_COMM: Readonly<Record<number, string>> = {
  0x0002: "target", 0x0102: "target", 0x0202: "target", 0x0003: "origin", 0x0103: "origin", 0x0203: "origin",
  0x4004: "link-BW", 0x0005: "domain-id", 0x0105: "domain-id", 0x0205: "domain-id", 0x0306: "ospf-route-type",
  0x8006: "ospf-route-type", 0x0107: "ospf-router-id", 0x8000: "ospf-domain", 0x010a: "l2vpn-id", 0x800a: "l2vpn-id",
  0x0009: "source-AS", 0x0209: "source-AS", 0x010b: "vrf-import", 0x030c: "encapsulation",
};
/** The route distinguisher (tcpdump's bgp_vpn_rd_print). */
function rdText(r: Reader, o: number): string {
  const b = (k: number) => r.byteAt(o + k);
  const type = (b(0) << 8) | b(1);
  if (type === 0) return `${(b(2) << 8) | b(3)}:${((b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7)) >>> 0} (= ${b(4)}.${b(5)}.${b(6)}.${b(7)})`;
  if (type === 1) return `${b(2)}.${b(3)}.${b(4)}.${b(5)}:${(b(6) << 8) | b(7)}`;
  if (type === 2) {
    const as = ((b(2) << 24) | (b(3) << 16) | (b(4) << 8) | b(5)) >>> 0;
    return `${as}:${(b(6) << 8) | b(7)}`;
  }
  return "unknown RD format";
}
const ORIGIN: Readonly<Record<number, string>> = { 0: "IGP", 1: "EGP", 2: "Incomplete" };
const SEG_OPEN: Readonly<Record<number, string>> = { 1: "{ ", 2: "", 3: "( ", 4: "({ " };
const SEG_CLOSE: Readonly<Record<number, string>> = { 1: "}", 2: "", 3: ")", 4: "})" };

/**
 * An UPDATE (tcpdump's bgp_update_print) as far as tsniff decodes it: withdrawn and updated IPv4 prefixes
 * (with tcpdump's guess at ADD-PATH identifiers), ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE,
 * AGGREGATOR, COMMUNITIES, ORIGINATOR_ID and CLUSTER_LIST. Any other
 * attribute stops the decoding (unsupported: the text is then shorter than tcpdump's).
 */
function update(r: Reader, p: number, hlen: number, ep: number): { text: string; trunc: boolean } {
  const u8 = (o: number): number => r.byteAt(o);
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  const u32 = (o: number): number => u16(o) * 65536 + u16(o + 2);
  const end = p + hlen;
  let q = p + HEADER;
  let text = "";
  const cut = (): { text: string; trunc: boolean } => ({ text, trunc: true });
  /** IPv4 prefixes in [from, stop): the end, -1 for an illegal length (printed), -2 for a cut. */
  const prefixes = (from: number, stop: number, ap: boolean): number => {
    let o = from;
    while (o < stop) {
      let id = -1;
      if (ap) {
        if (o + 4 > ep) return -2;
        id = u32(o);
        o += 4;
      }
      if (o + 1 > ep) return -2;
      const plen = u8(o);
      if (plen > 32) {
        text += "\n\t    (illegal prefix length)";
        return -1;
      }
      const n = (plen + 7) >> 3;
      if (o + 1 + n > stop) return -2;
      if (o + 1 + n > ep) return -2;
      const a = [0, 0, 0, 0];
      for (let k = 0; k < n; k++) a[k] = u8(o + 1 + k);
      if (plen % 8 && n > 0) a[n - 1] &= (0xff00 >> plen % 8) & 0xff;
      text += `\n\t    ${a.join(".")}/${plen}`;
      if (id >= 0) text += `   Path Id: ${id}`;
      o += 1 + n;
    }
    return o;
  };
  if (q + 2 > ep) return cut();
  const wlen = u16(q);
  q += 2;
  if (wlen) {
    text += "\n\t  Withdrawn routes:";
    const o = prefixes(q, q + wlen, addPath(r, q, wlen, ep));
    if (o < 0) return cut();
  }
  q += wlen;
  if (q + 2 > ep) return cut();
  const alen = u16(q);
  q += 2;
  if (alen === 0 && q === end) return { text: text + "\n\t  End-of-Rib Marker (empty NLRI)", trunc: false };
  let a = q;
  const aend = q + alen;
  while (a < aend) {
    if (a + 2 > ep) return cut();
    const flags = u8(a);
    const type = u8(a + 1);
    const ext = (flags & 0x10) !== 0;
    if (a + (ext ? 4 : 3) > aend) {
      text += "\n\t  [path attrs too short]";
      break;
    }
    if (a + (ext ? 4 : 3) > ep) return cut();
    const len = ext ? u16(a + 2) : u8(a + 2);
    const v = a + (ext ? 4 : 3);
    const name = ATTR[type];
    if (name === undefined) return { text, trunc: false };
    text += `\n\t  ${name} (${type}), length: ${len}`;
    if (flags) {
      text += `, Flags [${flags & 0x80 ? "O" : ""}${flags & 0x40 ? "T" : ""}${flags & 0x20 ? "P" : ""}${flags & 0x10 ? "E" : ""}`;
      if (flags & 0xf) text += `+${(flags & 0xf).toString(16)}`;
      text += "]: ";
    }
    if (v + len > aend) {
      text += " [path attrs too short]";
      break;
    }
    if (v + len > ep) return cut();
    if (type === 1) {
      text += len !== 1 ? "invalid len" : (ORIGIN[u8(v)] ?? "Unknown Origin Typecode");
    } else if (type === 2) {
      if (len % 2) text += "invalid len";
      else if (len === 0) text += "empty";
      else {
        // tcpdump's bgp_attr_get_as_size: 2-byte ASes when the segments tile the attribute with them
        let o = v;
        while (o < v + len) {
          const st = u8(o);
          if (st < 1 || st > 4) break;
          o += 2 + u8(o + 1) * 2;
        }
        const size = o === v + len ? 2 : 4;
        for (o = v; o < v + len; ) {
          const st = u8(o);
          const cnt = u8(o + 1);
          // tcpdump reads the ASes from the captured bytes: past them is a cut
          if (o + 2 + cnt * size > ep) return cut();
          text += SEG_OPEN[st] ?? "?";
          for (let k = 0; k < cnt; k++) text += `${size === 2 ? u16(o + 2 + 2 * k) : u32(o + 2 + 4 * k)} `;
          text += SEG_CLOSE[st] ?? "?";
          o += 2 + cnt * size;
        }
      }
    } else if (type === 3 || type === 9) {
      text += len !== 4 ? "invalid len" : ipv4At(r.data, v);
    } else if (type === 6) {
      if (len !== 0) text += "invalid len";
    } else if (type === 7) {
      if (len !== 6 && len !== 8) text += "invalid len";
      else text += len === 6 ? ` AS #${u16(v)}, origin ${ipv4At(r.data, v + 2)}` : ` AS #${u32(v)}, origin ${ipv4At(r.data, v + 4)}`;
    } else if (type === 8) {
      if (len % 4) text += "invalid len";
      else
        for (let k = 0; k < len; k += 4) {
          const c = u32(v + k);
          if (c === 0xffffff01) text += " NO_EXPORT";
          else if (c === 0xffffff02) text += " NO_ADVERTISE";
          else if (c === 0xffffff03) text += " NO_EXPORT_SUBCONFED";
          else text += `${u16(v + k)}:${u16(v + k + 2)}${len - k > 4 ? ", " : ""}`;
        }
    } else if (type === 10) {
      if (len % 4) text += "invalid len";
      else for (let k = 0; k < len; k += 4) text += `${ipv4At(r.data, v + k)}${len - k > 4 ? ", " : ""}`;
    } else if (type === 17) {
      if (len === 0) text += "empty";
      else
        for (let o = v; o < v + len; ) {
          const st = u8(o);
          const cnt = u8(o + 1);
          if (o + 2 + cnt * 4 > ep) return cut();
          text += SEG_OPEN[st] ?? "?";
          for (let k = 0; k < cnt; k++) text += `${u32(o + 2 + 4 * k)} `;
          text += SEG_CLOSE[st] ?? "?";
          o += 2 + cnt * 4;
        }
    } else if (type === 14 || type === 15) {
      const m = mpNlri(r, type === 14, v, len, ep);
      text += m.text;
      if (m.trunc) return cut();
    } else if (type === 16) {
      if (len % 8) text += "invalid len";
      else
        for (let k = 0; k < len; k += 8) {
          const ct = u16(v + k);
          const flags = ct & 0xc000;
          text += `\n\t    ${EXT_COMM[ct] ?? "unknown extd community typecode"} (0x${ct.toString(16).padStart(4, "0")}), Flags [${flags & 0x8000 ? "vendor-specific" : ""}${flags === 0xc000 ? ", " : ""}${flags & 0x4000 ? "non-transitive" : ""}${flags ? "" : "none"}]`;
          const o = v + k + 2;
          switch (ct) {
            case 0x0002:
            case 0x0003:
            case 0x0005:
            case 0x0009:
              text += `: ${u16(o)}:${u32(o + 2)} (= ${ipv4At(r.data, o + 2)})`;
              break;
            case 0x0102:
            case 0x0103:
            case 0x0105:
            case 0x0107:
            case 0x010b:
            case 0x010a:
              text += `: ${ipv4At(r.data, o)}:${u16(o + 4)}`;
              break;
            case 0x0202:
            case 0x0203:
            case 0x0205:
            case 0x0209:
              text += `: ${u32(o)}:${u16(o + 4)}`;
              break;
            case 0x4004: {
              const bits = u32(o + 2);
              const f = new Float32Array(new Uint32Array([bits]).buffer)[0];
              text += `: bandwidth: ${((f * 8) / 1000000).toFixed(3)} Mbps`;
              break;
            }
            default:
              text += `: ${u32(o).toString(16).padStart(8, "0")}${u16(o + 4).toString(16).padStart(4, "0")}`;
          }
        }
    } else {
      text += len !== 4 ? "invalid len" : String(u32(v));
    }
    a = v + len;
  }
  if (end > aend) {
    text += "\n\t  Updated routes:";
    const o = prefixes(aend, end, addPath(r, aend, end - aend, ep));
    if (o === -2) return cut();
  }
  return { text, trunc: false };
}

/**
 * MP_REACH_NLRI / MP_UNREACH_NLRI (tcpdump's bgp_mp_af_print and the decoders it has for IPv4 and IPv6
 * unicast, multicast, labeled unicast and labeled VPN unicast). Other AFI/SAFIs print tcpdump's "no AFI ...
 * decoder" line and their bytes. ADD-PATH identifiers are not looked for here.
 */
function mpNlri(r: Reader, reach: boolean, v: number, len: number, ep: number): { text: string; trunc: boolean } {
  const u8 = (o: number): number => r.byteAt(o);
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  let text = "";
  if (v + 3 > ep) return { text, trunc: true };
  const afi = u16(v);
  const safi = u8(v + 2);
  text += `\n\t    AFI: ${AFI[afi] ?? "Unknown AFI"} (${afi}), ${safi > 128 ? "vendor specific " : ""}SAFI: ${SAFI[safi] ?? "Unknown SAFI"} (${safi})`;
  const known = (afi === 1 || afi === 2) && (safi === 1 || safi === 2 || safi === 4 || safi === 128);
  const end = v + len;
  let o = v + 3;
  if (!known) {
    text += `\n\t    no AFI ${afi} / SAFI ${safi} decoder`;
    return { text: text + hexText(r, v, len, "\n\t    "), trunc: false };
  }
  const alen = afi === 1 ? 4 : 16;
  const addr = (q: number, plen: number): string => {
    const n = (plen + 7) >> 3;
    const b = new Uint8Array(alen);
    for (let k = 0; k < n; k++) b[k] = u8(q + k);
    if (plen % 8 && n > 0) b[n - 1] &= (0xff00 >> plen % 8) & 0xff;
    return afi === 1 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : ipv6At(b, 0);
  };
  if (reach) {
    if (o + 1 > ep) return { text, trunc: true };
    const nhlen = u8(o);
    o++;
    if (o + nhlen > ep) return { text, trunc: true };
    text += "\n\t    nexthop: ";
    const vpn = safi === 128;
    const step = (vpn ? 8 : 0) + alen;
    let q = o;
    let left = nhlen;
    while (left >= step) {
      text += vpn ? `RD: ${rdText(r, q)}, ${afi === 1 ? ipv4At(r.data, q + 8) : ipv6At(r.data, q + 8)}` : afi === 1 ? ipv4At(r.data, q) : ipv6At(r.data, q);
      q += step;
      left -= step;
      if (left >= step) text += ", ";
    }
    text += `, nh-length: ${nhlen}`;
    o += nhlen;
    if (o + 1 > ep) return { text, trunc: true };
    const snpa = u8(o);
    o++;
    if (snpa) {
      text += `\n\t    ${snpa} SNPA`;
      for (let k = 0; k < snpa; k++) {
        if (o + 1 > ep) return { text, trunc: true };
        const sl = u8(o);
        text += `\n\t      ${sl} bytes`;
        o += 1 + sl;
      }
    } else text += ", no SNPA";
  }
  if (!reach && o === end) return { text: text + "\n\t      End-of-Rib Marker (empty NLRI)", trunc: false };
  // tcpdump's guess at ADD-PATH identifiers, for plain unicast and multicast prefixes
  const ap = (safi === 1 || safi === 2) && addPath(r, o, end - o, ep, alen * 8);
  while (o < end) {
    let id = -1;
    if (ap) {
      if (o + 4 > ep) return { text, trunc: true };
      id = ((u16(o) << 16) | u16(o + 2)) >>> 0;
      o += 4;
    }
    if (o + 1 > ep) return { text, trunc: true };
    let plen = u8(o);
    const labeled = safi === 4 || safi === 128;
    const extra = (labeled ? 24 : 0) + (safi === 128 ? 64 : 0);
    if (plen < extra || plen - extra > alen * 8) {
      text += "\n\t    (illegal prefix length)";
      return { text, trunc: false };
    }
    plen -= extra;
    const n = (plen + 7) >> 3;
    const q = o + 1 + extra / 8;
    if (q + n > ep) return { text, trunc: true };
    let s = "\n\t      ";
    if (safi === 128) s += `RD: ${rdText(r, o + 4)}, `;
    s += `${addr(q, plen)}/${plen}`;
    if (labeled) s += `, label:${((u8(o + 1) << 16) | (u8(o + 2) << 8) | u8(o + 3)) >>> 4} ${u8(o + 3) & 1 ? "(bottom)" : "(BOGUS: Bottom of Stack NOT set!)"}`;
    if (id >= 0) s += `   Path Id: ${id}`;
    text += s;
    o = q + n;
  }
  return { text, trunc: false };
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
