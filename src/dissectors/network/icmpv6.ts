/**
 * ICMPv6 (RFC 4443), neighbor discovery (RFC 4861) and MLD (RFC 2710, RFC 3810) in tcpdump's words
 * (print-icmp6.c):
 *   "ICMP6, echo request, id 1, seq 1, length 64"
 *   "ICMP6, neighbor solicitation, who has fd77::2, length 32"
 *   "ICMP6, neighbor advertisement, tgt is fd77::2, length 32"
 *   "ICMP6, multicast listener report v2, 2 group record(s), length 48"
 *   "ICMP6, destination unreachable, unreachable port, fd01::2 udp port 33434, length 64"
 * -v adds "[icmp6 sum ok] " before, moves or drops the length like tcpdump, and prints the ND options on
 * their own lines ("\n\t  source link-address option (1), length 8 (1): 02:00:00:00:00:01").
 */
import { bind } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { hex, ipv4At, ipv6At } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";
import { shouldBe, transportSum } from "./checksum.js";
import { quotedIpv6Tree } from "./ipv6.js";
import { udpTree } from "../transport/udp.js";

const TYPES: Readonly<Record<number, string>> = {
  1: "destination unreachable",
  2: "packet too big",
  3: "time exceeded",
  4: "parameter problem",
  128: "echo request",
  129: "echo reply",
  130: "multicast listener query",
  131: "multicast listener report",
  132: "multicast listener done",
  133: "router solicitation",
  134: "router advertisement",
  135: "neighbor solicitation",
  136: "neighbor advertisement",
  137: "redirect",
  138: "router renumbering",
  139: "who-are-you request",
  140: "who-are-you reply",
  141: "inverse neighbor solicitation",
  142: "inverse neighbor advertisement",
  143: "multicast listener report v2",
  144: "ha discovery request",
  145: "ha discovery reply",
  146: "mobile router solicitation",
  147: "mobile router advertisement",
  148: "certification path solicitation",
  149: "certification path advertisement",
  151: "multicast router advertisement",
  152: "multicast router solicitation",
  153: "multicast router termination",
  155: "RPL",
};

const UNREACH_CODES: Readonly<Record<number, string>> = {
  0: "unreachable route",
  1: "unreachable prohibited",
  2: "beyond scope",
  3: "unreachable address",
  4: "unreachable port",
};

const OPT_NAMES: Readonly<Record<number, string>> = {
  1: "source link-address",
  2: "destination link-address",
  3: "prefix info",
  4: "redirected header",
  5: "mtu",
  7: "advertisement interval",
  8: "homeagent information",
  24: "route info",
  25: "rdnss",
  31: "dnssl",
};

const MLDV2_RECORD: Readonly<Record<number, string>> = { 1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block" };

const F = fields("icmpv6", {
  type: ["Type", "uint", { values: TYPES }],
  code: ["Code", "uint"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  echo_identifier: ["Identifier", "uint", { base: "hex", name: "icmpv6.echo.identifier" }],
  echo_sequence_number: ["Sequence", "uint", { name: "icmpv6.echo.sequence_number" }],
  mtu: ["MTU", "uint"],
  pointer: ["Pointer", "uint"],
  "nd.ns.target_address": ["Target Address", "ipv6"],
  "nd.na.target_address": ["Target Address", "ipv6"],
  "nd.na.flag.r": ["Router", "bool"],
  "nd.na.flag.s": ["Solicited", "bool"],
  "nd.na.flag.o": ["Override", "bool"],
  "nd.ra.cur_hop_limit": ["Cur hop limit", "uint"],
  "nd.ra.router_lifetime": ["Router lifetime (s)", "uint"],
  "nd.ra.reachable_time": ["Reachable time (ms)", "uint"],
  "nd.ra.retrans_timer": ["Retrans timer (ms)", "uint"],
  "nd.rd.target_address": ["Target Address", "ipv6"],
  "nd.rd.destination_address": ["Destination Address", "ipv6"],
  "opt.type": ["Type", "uint", { values: OPT_NAMES }],
  "opt.length": ["Length", "uint"],
  "opt.linkaddr": ["Link-layer address", "ether"],
  "opt.prefix": ["Prefix", "ipv6"],
  "opt.prefix.length": ["Prefix Length", "uint"],
  "opt.mtu": ["MTU", "uint"],
  "mld.maximum_response_delay": ["Maximum Response Delay [ms]", "uint"],
  "mld.multicast_address": ["Multicast Address", "ipv6"],
  "mldr.nb_mcast_records": ["Nb Mcast Records", "uint"],
  "mldr.mar.record_type": ["Record Type", "uint", { values: MLDV2_RECORD }],
  "mldr.mar.nb_sources": ["Number of Sources", "uint"],
  "mldr.mar.multicast_address": ["Multicast Address", "ipv6"],
});

function u32At(r: Reader, p: number): number {
  return ((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0;
}
function u16At(r: Reader, p: number): number {
  return (r.byteAt(p) << 8) | r.byteAt(p + 1);
}

function bitNames(v: number, names: Array<[number, string]>): string {
  const out: string[] = [];
  for (const [bit, n] of names) if (v & bit) out.push(n);
  return out.length ? out.join(", ") : "none";
}

/** tcpdump's hex_print: "\n\t  0x0000:  aabb ccdd ..." lines of 16 bytes after `indent`. */
export function hexLines(r: Reader, p: number, n: number, indent: string): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    if (i % 16 === 0) s += `${indent}0x${hex(i, 4)}: `;
    if (i % 2 === 0) s += " ";
    s += hex(r.byteAt(p + i), 2);
  }
  return s;
}

function lifetime(v: number): string {
  return v === 0xffffffff ? "infinity" : `${v}s`;
}

/** ND options as tcpdump's icmp6_opt_print (-v); returns the text, or null when they run off the data. */
function optionsText(r: Reader, p: number, end: number, verbose: number, t: TreeSink): [string, boolean] {
  let s = "";
  // Options that start past the captured bytes are left out silently, as tcpdump does; one cut in the
  // middle (or a zero or overlong length) ends the line with the truncation marker.
  while (p < end && p < r.cap) {
    if (p + 2 > r.cap) return [s, true];
    const type = r.byteAt(p);
    const olen = r.byteAt(p + 1);
    if (olen === 0 || p + olen * 8 > end || p + olen * 8 > r.cap) return [s, true];
    const n = olen * 8;
    if (t.on) {
      t.pushNote(`ICMPv6 Option (${OPT_NAMES[type] ?? "unknown"})`, p, n);
      t.add(F["opt.type"], type, p, 1);
      t.add(F["opt.length"], olen, p + 1, 1);
    }
    s += `\n\t  ${OPT_NAMES[type] ?? "unknown"} option (${type}), length ${n} (${olen}): `;
    switch (type) {
      case 1:
      case 2: {
        let a = "";
        for (let i = 0; i < n - 2; i++) a += (i ? ":" : "") + hex(r.byteAt(p + 2 + i), 2);
        s += a;
        if (t.on && n - 2 === 6) t.add(F["opt.linkaddr"], a, p + 2, 6);
        break;
      }
      case 3: {
        if (olen < 4) break; // too short to hold a prefix: named only
        const plen = r.byteAt(p + 2);
        const flags = r.byteAt(p + 3);
        const pfx = ipv6At(r.data, p + 16);
        s += `${pfx}/${plen}${olen !== 4 ? "badlen" : ""}, Flags [${bitNames(flags, [
          [0x80, "onlink"],
          [0x40, "auto"],
          [0x20, "router"],
        ])}], valid time ${lifetime(u32At(r, p + 4))}, pref. time ${lifetime(u32At(r, p + 8))}`;
        if (t.on) {
          t.add(F["opt.prefix.length"], plen, p + 2, 1);
          t.add(F["opt.prefix"], pfx, p + 16, 16);
        }
        break;
      }
      case 4:
        s += hexLines(r, p, n, "\n\t    ");
        break;
      case 5:
        s += ` ${u32At(r, p + 4)}${olen !== 1 ? "bad option length" : ""}`;
        if (t.on) t.add(F["opt.mtu"], u32At(r, p + 4), p + 4, 4);
        break;
      case 7:
        s += ` ${u32At(r, p + 4)}ms`;
        break;
      case 8:
        // home agent information (RFC 6275 7.4): a 16-bit preference and lifetime after two reserved bytes
        s += ` preference ${u16At(r, p + 4)}, lifetime ${u16At(r, p + 6)}`;
        break;
      case 24: {
        // route information (RFC 4191): the prefix is 0, 8 or 16 bytes long as the option is 1, 2 or 3 units
        if (olen > 3) return [s, true];
        const pfx = new Uint8Array(16);
        for (let i = 0; i < (olen - 1) * 8; i++) pfx[i] = r.byteAt(p + 8 + i);
        s += ` ${ipv6At(pfx, 0)}/${r.byteAt(p + 2)}, pref=${["medium", "high", "rsv", "low"][(r.byteAt(p + 3) >> 3) & 3]}, lifetime=${lifetime(u32At(r, p + 4))}`;
        break;
      }
      case 31: {
        // DNS search list (RFC 8106): names in DNS labels, each printed with its final dot
        s += ` lifetime ${u32At(r, p + 4)}s, domain(s):`;
        let q = p + 8;
        while (q < p + n && r.byteAt(q) !== 0) {
          let name = "";
          while (q < p + n && r.byteAt(q) !== 0) {
            const l = r.byteAt(q);
            if (l > 63 || q + 1 + l > p + n) return [s, true];
            for (let i = 1; i <= l; i++) name += String.fromCharCode(r.byteAt(q + i));
            name += ".";
            q += 1 + l;
          }
          s += ` ${name}`;
          q++;
        }
        break;
      }
      case 25: {
        s += ` lifetime ${u32At(r, p + 4)}s,`;
        for (let i = 0; i < (olen - 1) >> 1; i++) s += ` addr: ${ipv6At(r.data, p + 8 + i * 16)}`;
        break;
      }
      default:
        if (verbose <= 1) {
          if (t.on) t.pop();
          return [s + hexLines(r, p + 2, n - 2, "\n\t  "), false];
        }
    }
    if (t.on) t.pop();
    if (verbose > 1) s += hexLines(r, p + 2, n - 2, "\n\t    ");
    p += n;
  }
  return [s, false];
}

/** The upper-layer header of a quoted IPv6 packet (tcpdump's get_upperlayer): [proto, offset] or null. */
function upperLayer(r: Reader, p: number): [number, number] | null {
  if (p + 40 > r.cap) return null;
  let nh = r.byteAt(p + 6);
  p += 40;
  for (let i = 0; i < 16; i++) {
    if (p + 2 > r.cap) return null;
    switch (nh) {
      case IPPROTO.HOPOPTS:
      case IPPROTO.DSTOPTS:
      case IPPROTO.ROUTING:
        nh = r.byteAt(p);
        p += (r.byteAt(p + 1) + 1) * 8;
        break;
      case IPPROTO.FRAGMENT:
        if (p + 4 > r.cap || u16At(r, p + 2) & 0xfff8) return null;
        nh = r.byteAt(p);
        p += 8;
        break;
      case IPPROTO.AH:
        nh = r.byteAt(p);
        p += (r.byteAt(p + 1) + 2) * 4;
        break;
      case IPPROTO.TCP:
      case IPPROTO.UDP:
        return p + 4 <= r.cap ? [nh, p] : null;
      default:
        return null;
    }
  }
  return null;
}

/** tcpdump's own marker (" [|icmp6]", not the protocol id) ends a message cut by the capture. */
const RPL_MOP: Readonly<Record<number, string>> = { 0: "nonstoring", 1: "storing", 2: "nonstoring-multicast", 3: "storing-multicast" };
/**
 * An RPL message (type 155, RFC 6550) as tcpdump's rpl_print writes it: ", (CLR)Destination Advertisement
 * Object" and, with -v, the DIO's, DAO's or DAO-ACK's DODAG id, sequence and instance (" [dagid:...,seq:1,
 * instance:1,Dagid,40]"). The message's body is at b, length bytes; null where the capture ends in the fixed
 * part tcpdump reads with its GET_ macros, a text ending in " [|icmp6]" where its own check found it cut.
 * Secured messages print tcpdump's ", (SEC) [worktodo]"; -vv's options are not printed.
 */
function rplText(r: Reader, b: number, length: number, code: number, v: number): string | null {
  if (code & 0x80) return ", (SEC) [worktodo]";
  const u8 = (o: number): number => r.byteAt(o);
  const dagid = (o: number): string | null => (o + 16 > r.cap ? null : ipv6At(r.data, o));
  switch (code) {
    case 0:
      return ", (CLR)DODAG Information Solicitation";
    case 1: {
      let s = ", (CLR)DODAG Information Object";
      if (!v) return s;
      if (b + 24 > r.cap) return null;
      const mp = u8(b + 4);
      s += ` [dagid:${dagid(b + 8)},seq:${u8(b + 5)},instance:${u8(b)},rank:${(u8(b + 2) << 8) | u8(b + 3)},${mp & 0x80 ? "grounded," : ""}mop:${RPL_MOP[(mp >> 3) & 7] ?? `mop${(mp >> 3) & 7}`},prf:${mp & 7}]`;
      return s;
    }
    case 2:
    case 3: {
      const ack = code === 3;
      let s = `, (CLR)Destination Advertisement Object${ack ? " Ack" : ""}`;
      if (!v) return s;
      // the fixed part (instance, flags, a reserved byte or the status, the sequence) and the DODAG id
      if (b + (ack ? 4 : 20) > r.cap) return s + " [|icmp6]";
      if (length < 4) return s + " [|length too short]";
      const flags = u8(b + 1);
      let id = "<elided>";
      if (flags & (ack ? 0x80 : 0x40)) {
        if (b + 20 > r.cap) return s + " [|icmp6]";
        if (length - 4 < 16) return s + " [|length too short]";
        id = dagid(b + 4) ?? "";
      }
      if (ack) s += ` [dagid:${id},seq:${u8(b + 2)},instance:${u8(b)},status:${u8(b + 3)}]`;
      else s += ` [dagid:${id},seq:${u8(b + 3)},instance:${u8(b)}${flags & 0x80 ? ",acK" : ""}${flags & 0x40 ? ",Dagid" : ""},${hex(flags, 2)}]`;
      return s;
    }
    default:
      return `, (CLR)RPL message, unknown code ${code}`;
  }
}

function cut6(r: Reader, ctx: Ctx, text: string): void {
  ctx.line.s(text + " [|icmp6]");
  ctx.truncated = true;
  r.pos = r.cap;
}

/**
 * A router renumbering message (138), RFC 2894, in tcpdump's words (icmp6_rrenum_print):
 * ", command, seq=0 match(add,fec0::/48) use(3ffe:501:fffe::/48/16)"; -v adds the flags, segment and delay
 * and each part's details, -vv puts the match and each use on a line of its own. null where cut short.
 */
function rrenumText(r: Reader, start: number, code: number, v: number): string | null {
  if (start + 16 > r.cap) return null;
  let s = code === 0 ? ", command" : code === 1 ? ", result" : code === 255 ? ", sequence number reset" : `, code-#${code}`;
  s += `, seq=${u32At(r, start + 4)}`;
  if (v > 0) {
    const f = r.byteAt(start + 9);
    s += "[";
    if (f) s += (f & 0x80 ? "T" : "") + (f & 0x40 ? "R" : "") + (f & 0x20 ? "A" : "") + (f & 0x10 ? "S" : "") + (f & 0x08 ? "P" : "") + ",";
    s += `seg=${r.byteAt(start + 8)},maxdelay=${u16At(r, start + 10)}`;
    const rsvd = u32At(r, start + 12);
    if (rsvd) s += `rsvd=0x${rsvd.toString(16)}`;
    s += "]";
  }
  if (code !== 0) return s;
  const m = start + 16;
  if (m + 24 > r.cap) return null;
  const sep = v > 1 ? "\n\t" : " ";
  const mc = r.byteAt(m);
  s += `${sep}match(${mc === 1 ? "add" : mc === 2 ? "change" : mc === 3 ? "setglobal" : `#${mc}`}`;
  if (v > 0) s += `,ord=${r.byteAt(m + 2)},min=${r.byteAt(m + 4)},max=${r.byteAt(m + 5)}`;
  s += `,${ipv6At(r.data, m + 8)}/${r.byteAt(m + 3)})`;
  let n = r.byteAt(m + 1) - 3;
  if (n % 4) return null;
  n /= 4;
  for (let u = m + 24; n-- > 0; u += 32) {
    if (u + 32 > r.cap) return null;
    s += `${sep}use(`;
    const uf = r.byteAt(u + 12);
    if (uf) s += (uf & 0x80 ? "V" : "") + (uf & 0x40 ? "P" : "") + ",";
    if (v > 0) {
      const vl = u32At(r, u + 4), pl = u32At(r, u + 8);
      s += `mask=0x${r.byteAt(u + 2).toString(16)},raflags=0x${r.byteAt(u + 3).toString(16)},`;
      s += `vltime=${vl === 0xffffffff ? "infty" : vl},pltime=${pl === 0xffffffff ? "infty" : pl},`;
    }
    s += `${ipv6At(r.data, u + 16)}/${r.byteAt(u)}/${r.byteAt(u + 1)})`;
  }
  return s;
}

/** tcpdump's flags of a node-addresses query or reply ("[A]", "[GSL]", ...; T only in a reply). */
function niAddrFlags(f: number, reply: boolean): string {
  return (
    (f & 0x40 ? "a" : "") + (f & 0x20 ? "G" : "") + (f & 0x10 ? "S" : "") + (f & 0x08 ? "L" : "") +
    (f & 0x04 ? "C" : "") + (f & 0x02 ? "A" : "") + (reply && f & 0x01 ? "T" : "")
  );
}

/**
 * A node information query (139) or reply (140), RFC 4620, in tcpdump's words (icmp6_nodeinfo_print):
 * " node information query (node addresses [A], subject=fe80::1)". null where the message is cut short, or
 * names a DNS name (not decoded here: the line keeps only the type's name).
 */
function nodeInfoText(r: Reader, start: number, type: number, code: number, v: number): string | null {
  const siz = r.cap - start;
  if (type === 139 && siz === 12) return " who-are-you request";
  if (siz < 16) return null;
  const qtype = u16At(r, start + 4);
  const flags = u16At(r, start + 6);
  if (type === 139) {
    let s = " node information query (";
    if (qtype === 0) s += "noop";
    else if (qtype === 1) s += "supported qtypes" + (flags ? ` [${flags & 1 ? "C" : ""}]` : "");
    else if (qtype === 2) s += "DNS name";
    else if (qtype === 3) s += "node addresses" + (flags ? ` [${niAddrFlags(flags, false)}]` : "");
    else s += "unknown";
    if (qtype === 0 || qtype === 1) return s + (siz !== 16 && v > 0 ? ", invalid len" : "") + ")";
    if (siz === 16) return s + ", 03 draft)";
    const want = code === 0 ? 16 : code === 2 ? 4 : -1;
    if (want < 0) return code === 1 ? null : s + ", unknown subject)";
    if (siz < 16 + want) return s + ")";
    if (siz !== 16 + want) return s + (v > 0 ? ", invalid subject len" : "") + ")";
    return s + `, subject=${want === 16 ? ipv6At(r.data, start + 16) : ipv4At(r.data, start + 16)})`;
  }
  let s = " node information reply (";
  let comma = false;
  if (code === 0) {
    if (v > 0) (s += "success"), (comma = true);
  } else if (code === 1 || code === 2) {
    s += code === 1 ? "refused" : "unknown";
    if (siz !== 16 && v > 0) s += ", invalid length";
  }
  if (code !== 0) return s + ")";
  if (comma) s += ", ";
  if (qtype === 0) s += "noop" + (siz !== 16 && v > 0 ? ", invalid length" : "");
  else if (qtype === 1) s += "supported qtypes" + (flags ? ` [${flags & 1 ? "C" : ""}]` : "");
  else if (qtype === 2) return null;
  else if (qtype === 3) {
    s += "node addresses";
    for (let i = 16; i + 20 <= siz; i += 20) s += ` ${ipv6At(r.data, start + i + 4)}(${u32At(r, start + i)})`;
    if (flags) s += ` [${niAddrFlags(flags, true)}]`;
  } else s += "unknown";
  return s + ")";
}

export const ICMPV6: Protocol = {
  id: "icmpv6",
  name: "ICMPv6",
  title: "Internet Control Message Protocol v6",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    const v = ctx.opts.verbose;
    if (length === 0) {
      ctx.line.s("ICMP6, length 0 (invalid)");
      ctx.markMalformed("empty ICMPv6 message");
      return;
    }
    if (!r.has(1)) return cut6(r, ctx, "");
    const type = r.u8();
    // the code and checksum are read on demand: tcpdump names the type of a message cut right after it
    const code = r.byteAt(start + 1);
    const sum = (r.byteAt(start + 2) << 8) | r.byteAt(start + 3);
    r.pos = Math.min(start + 4, r.cap);
    if (t.on) {
      t.add(F.type, type, start, 1);
      if (r.cap > start + 1) t.add(F.code, code, start + 1, 1);
      if (r.cap >= start + 4) t.add(F.checksum, sum, start + 2, 2);
      // extended echo (RFC 8335): its identifier, as tshark shows it
      if ((type === 160 || type === 161) && start + 6 <= r.cap) t.add(F.echo_identifier, (r.data[start + 4] << 8) | r.data[start + 5], start + 4, 2);
      // an error's quoted packet: tshark lists its IPv6 header's fields (and a UDP header right after it)
      // after the outer ones
      if (type >= 1 && type <= 4 && start + 8 < r.cap) {
        quotedIpv6Tree(t, r.data, start + 8, r.cap);
        if (r.data[start + 8] >> 4 === 6 && start + 48 <= r.cap && r.data[start + 14] === IPPROTO.UDP) udpTree(t, r.data, start + 48, r.cap);
      }
    }
    let s = "";
    const c = v > 0 && ctx.net === "IP6" ? transportSum(r.data, ctx, IPPROTO.ICMPV6, start, length, r.cap) : -1;
    if (c === 0xffff) s += "[icmp6 sum ok] ";
    else if (c >= 0) s += `[bad icmp6 cksum 0x${hex(sum, 4)} -> 0x${hex(shouldBe(sum, c), 4)}!] `;
    s += `ICMP6, ${TYPES[type] ?? `unknown icmp6 type (${type})`}`;
    if (v > 0 && (type === 133 || type === 134 || type === 135 || type === 136 || type === 137 || type === 145 || type === 147)) s += `, length ${length}`;
    const body = start + 8; // the quoted packet of an error, or the message body
    let lengthAtEnd = v === 0;
    switch (type) {
      case 1: {
        s += `, ${UNREACH_CODES[code] ?? `unknown unreach code (${code})`}`;
        if (body + 40 > r.cap) return cut6(r, ctx, s);
        const odst = ipv6At(r.data, body + 24);
        switch (code) {
          case 0:
          case 1:
          case 3:
            s += ` ${odst}`;
            break;
          case 2:
            s += ` ${odst}, source address ${ipv6At(r.data, body + 8)}`;
            break;
          case 4: {
            const u = upperLayer(r, body);
            if (!u) return cut6(r, ctx, s);
            const port = u16At(r, u[1] + 2);
            s +=
              u[0] === IPPROTO.TCP
                ? `, ${odst} tcp port ${port}`
                : u[0] === IPPROTO.UDP
                  ? `, ${odst} udp port ${port}`
                  : `, ${odst} protocol ${u[0]} port ${port} unreachable`;
            break;
          }
          default:
            if (v <= 1) {
              ctx.line.s(s + hexLines(r, start, Math.min(length, r.cap - start), "\n\t"));
              r.pos = r.cap;
              return;
            }
        }
        break;
      }
      case 2: {
        const mtu = u32At(r, start + 4);
        if (body > r.cap) return cut6(r, ctx, s);
        if (t.on) t.add(F.mtu, mtu, start + 4, 4);
        s += `, mtu ${mtu}`;
        break;
      }
      case 3:
        if (code === 0) {
          s += " in-transit";
          if (body + 40 > r.cap) return cut6(r, ctx, s);
          s += ` for ${ipv6At(r.data, body + 24)}`;
        } else if (code === 1) s += " (reassembly)";
        else s += `, unknown code (${code})`;
        break;
      case 4: {
        if (body + 40 > r.cap) return cut6(r, ctx, s);
        const ptr = u32At(r, start + 4);
        if (t.on) t.add(F.pointer, ptr, start + 4, 4);
        const what = ["erroneous", "next header", "option", "incomplete header chain"][code];
        s += what ? `, ${what} - octet ${ptr}` : `, code-#${code}`;
        break;
      }
      case 128:
      case 129: {
        if (body > r.cap) return cut6(r, ctx, s);
        const id = r.u16();
        const seq = r.u16();
        if (t.on) {
          t.add(F.echo_identifier, id, start + 4, 2);
          t.add(F.echo_sequence_number, seq, start + 6, 2);
        }
        s += `, id ${id}, seq ${seq}`;
        break;
      }
      case 130:
      case 131:
      case 132:
        if (type === 130 && length !== 24) {
          if (length >= 28) {
            if (body + 20 > r.cap) return cut6(r, ctx, s);
            const mrc = u16At(r, start + 4);
            const mrd = mrc < 32768 ? mrc : ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3);
            s += " v2";
            if (v > 0) s += ` [max resp delay=${mrd}]`;
            s += ` [gaddr ${ipv6At(r.data, start + 8)}`;
            if (v > 0) {
              const b24 = r.byteAt(start + 24);
              let qqi = r.byteAt(start + 25);
              if (b24 & 0x08) s += " sflag";
              if (qqi >= 128) qqi = ((qqi & 0x0f) | 0x10) << (((qqi & 0x70) >> 4) + 3);
              s += ` robustness=${b24 & 7} qqi=${qqi}`;
            }
            const ns = u16At(r, start + 26);
            if (ns > 0) {
              if (length < 28 + ns * 16) s += " [invalid number of sources]";
              else if (v > 1) {
                s += " {";
                for (let i = 0; i < ns && start + 44 + i * 16 <= r.cap; i++) s += ` ${ipv6At(r.data, start + 28 + i * 16)}`;
                s += " }";
              } else s += `, ${ns} source(s)`;
            }
            s += "]";
          } else s += ` unknown-version (len ${length}) `;
          break;
        }
        if (body + 16 > r.cap) return cut6(r, ctx, s);
        if (t.on) {
          t.add(F["mld.maximum_response_delay"], u16At(r, start + 4), start + 4, 2);
          t.add(F["mld.multicast_address"], ipv6At(r.data, start + 8), start + 8, 16);
        }
        s += `max resp delay: ${u16At(r, start + 4)} addr: ${ipv6At(r.data, start + 8)}`;
        break;
      case 133:
      case 134:
      case 135:
      case 136:
      case 137: {
        const fixed = type === 133 ? 8 : type === 134 ? 16 : type === 137 ? 40 : 24;
        // solicitations and advertisements of routers are only named without -v
        if ((v > 0 || type >= 135) && type !== 133 && body + fixed - 8 > r.cap) return cut6(r, ctx, s);
        if (type < 135 && v === 0 && (!t.on || body + fixed - 8 > r.cap)) break;
        if (type === 135 || type === 136) {
          const tgt = ipv6At(r.data, start + 8);
          if (t.on) t.add(type === 135 ? F["nd.ns.target_address"] : F["nd.na.target_address"], tgt, start + 8, 16);
          s += type === 135 ? `, who has ${tgt}` : `, tgt is ${tgt}`;
          if (type === 136) {
            const fl = u32At(r, start + 4);
            if (t.on) {
              t.add(F["nd.na.flag.r"], (fl & 0x80000000) !== 0, start + 4, 4);
              t.add(F["nd.na.flag.s"], (fl & 0x40000000) !== 0, start + 4, 4);
              t.add(F["nd.na.flag.o"], (fl & 0x20000000) !== 0, start + 4, 4);
            }
            if (v > 0)
              s += `, Flags [${bitNames(fl, [
                [0x80000000, "router"],
                [0x40000000, "solicited"],
                [0x20000000, "override"],
              ])}]`;
          }
        } else if (type === 137) {
          const tgt = ipv6At(r.data, start + 8);
          const dst = ipv6At(r.data, start + 24);
          if (t.on) {
            t.add(F["nd.rd.target_address"], tgt, start + 8, 16);
            t.add(F["nd.rd.destination_address"], dst, start + 24, 16);
          }
          s += `, ${dst} to ${tgt}`;
        } else if (type === 134) {
          const hl = r.byteAt(start + 4);
          const fl = r.byteAt(start + 5);
          const life = u16At(r, start + 6);
          const reach = u32At(r, start + 8);
          const retrans = u32At(r, start + 12);
          if (t.on) {
            t.add(F["nd.ra.cur_hop_limit"], hl, start + 4, 1);
            t.add(F["nd.ra.router_lifetime"], life, start + 6, 2);
            t.add(F["nd.ra.reachable_time"], reach, start + 8, 4);
            t.add(F["nd.ra.retrans_timer"], retrans, start + 12, 4);
          }
          if (v > 0)
            s += `\n\thop limit ${hl}, Flags [${bitNames(fl, [
              [0x80, "managed"],
              [0x40, "other stateful"],
              [0x20, "home agent"],
              [0x01, "ipv6 only"],
            ])}], pref ${["medium", "high", "rsv", "low"][(fl >> 3) & 3]}, router lifetime ${life}s, reachable time ${reach}ms, retrans timer ${retrans}ms`;
        }
        if (v > 0 || t.on) {
          const [o, cut] = optionsText(r, start + fixed, start + length, v, t);
          if (v > 0) {
            if (cut) return cut6(r, ctx, s + o);
            s += o;
          }
        }
        break;
      }
      case 143: {
        if (body > r.cap) return cut6(r, ctx, s);
        const ng = u16At(r, start + 6);
        if (t.on) t.add(F["mldr.nb_mcast_records"], ng, start + 6, 2);
        s += `, ${ng} group record(s)`;
        if (v > 0) {
          let g = 8;
          for (let i = 0; i < ng; i++) {
            if (length < g + 20) {
              s += " [invalid number of groups]";
              break;
            }
            if (start + g + 20 > r.cap) return cut6(r, ctx, s);
            const rt = r.byteAt(start + g);
            const ns = u16At(r, start + g + 2);
            s += ` [gaddr ${ipv6At(r.data, start + g + 4)} ${MLDV2_RECORD[rt] ?? ` [v2-report-#${rt}]`}`;
            if (length < g + 20 + ns * 16) {
              s += ` [invalid number of sources ${ns}]`;
              break;
            }
            if (v === 1) s += `, ${ns} source(s)`;
            else {
              s += " {";
              for (let j = 0; j < ns && start + g + 36 + j * 16 <= r.cap; j++) s += ` ${ipv6At(r.data, start + g + 20 + j * 16)}`;
              s += " }";
            }
            g += 20 + ns * 16;
            s += "]";
          }
        }
        break;
      }
      case 138: {
        const rr = rrenumText(r, start, code, v);
        if (rr === null) return cut6(r, ctx, s);
        s += rr;
        break;
      }
      case 139:
      case 140: {
        const ni = nodeInfoText(r, start, type, code, v);
        if (ni !== null) {
          s += ni;
          break;
        }
        s += `, length ${length}`;
        lengthAtEnd = false;
        break;
      }
      case 141:
      case 142:
        break;
      case 155: {
        const rpl = rplText(r, start + 4, length - 4, code, v);
        if (rpl === null) return cut6(r, ctx, s);
        if (rpl.endsWith(" [|icmp6]")) return cut6(r, ctx, s + rpl.slice(0, -9));
        s += rpl;
        break;
      }
      case 147:
        // mobile prefix advertisement (RFC 6275): -v its id (tcpdump reads the flags byte too, printing none of
        // it) and ND options; without -v the length
        if (v === 0) {
          s += `, length ${length}`;
          lengthAtEnd = false;
          break;
        }
        if (start + 6 > r.cap) return cut6(r, ctx, s);
        s += `, id 0x${hex(u16At(r, start + 4), 4)}`;
        if (start + 7 > r.cap) return cut6(r, ctx, s);
        {
          const [o, cut] = optionsText(r, start + 8, start + length, v, t);
          s += o;
          if (cut) return cut6(r, ctx, s);
        }
        break;
      case 144:
      case 146:
        if (body > r.cap) return cut6(r, ctx, s);
        s += `, id 0x${hex(u16At(r, start + 4), 4)}`;
        break;
      default:
        if (!(v > 0 && (type === 145 || type === 147))) s += `, length ${length}`;
        lengthAtEnd = false;
        // tcpdump dumps unknown types in hex; the named ones it decodes (router renumbering, node
        // information, RPL, mobility) are only named here.
        if (v <= 1 && TYPES[type] === undefined) s += hexLines(r, start, Math.min(length, r.cap - start), "\n\t");
    }
    if (lengthAtEnd) s += `, length ${length}`;
    ctx.line.s(s);
    r.pos = r.cap;
  },
};


bind("ip.proto", IPPROTO.ICMPV6, ICMPV6);
