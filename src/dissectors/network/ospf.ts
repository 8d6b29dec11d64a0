/**
 * OSPF (IP protocol 89): OSPFv2 (RFC 2328) over IPv4 and OSPFv3 (RFC 5340) over IPv6, as tcpdump 4.99's
 * print-ospf.c / print-ospf6.c print them without -v:
 *   "OSPFv2, Hello, length 44"         (the length is the IP payload's; an MD5 trailer's 16 bytes are not counted)
 *   "OSPFv3, LS-Update, length 508"
 *   "OSPFv2, unknown LS-type (9), length 44" / "OSPFv3, unknown packet type (9), length 36"
 * As tcpdump, the IP version chooses the printer (not the packet's version byte), and OSPFv2's printer reads the
 * authentication type (offset 14) before it prints anything: a capture cut before it prints only " [|ospf2]";
 * OSPFv3's marker is " [|ospf3]" (printed even when nothing of the packet was captured).
 * With -v, OSPFv2's detail (v2Detail: Hello, DD, LS-Request, LS-Update's LSAs, LS-Ack, MD5 and the LLS block)
 * and OSPFv3's Router-ID/area lines and Hello's and Database Description's lines (see v3Detail). Not yet: the
 * Traffic Engineering LSA's TLVs (printed as hex), OSPFv3's LSAs (-vv) and its LLS block (the authentication trailer after it). The tree has the common header's fields under Wireshark's names (ospf.version,
 * ospf.msg, ospf.packet_length, ospf.srcrouter, ospf.area_id, ospf.checksum, ospf.auth.type,
 * ospf.instance_id).
 */
import { bind } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { ipv4At } from "../format.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import { hexPrint } from "../hexprint.js";

const TYPE: Readonly<Record<number, string>> = {
  1: "Hello",
  2: "Database Description",
  3: "LS-Request",
  4: "LS-Update",
  5: "LS-Ack",
};
/** Wireshark's message type names, for the tree */
const WS_TYPE: Readonly<Record<number, string>> = {
  1: "Hello Packet",
  2: "DB Description",
  3: "LS Request",
  4: "LS Update",
  5: "LS Acknowledge",
};
const AUTH: Readonly<Record<number, string>> = { 0: "Null", 1: "Simple password", 2: "Cryptographic" };
const AUTH_MD5 = 2;
const MD5_LEN = 16;

const F = fields("ospf", {
  version: ["Version", "uint"],
  msg: ["Message Type", "uint", { values: WS_TYPE }],
  packet_length: ["Packet Length", "uint"],
  srcrouter: ["Source OSPF Router", "ipv4"],
  area_id: ["Area ID", "ipv4"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  "auth.type": ["Auth Type", "uint", { values: AUTH }],
  instance_id: ["Instance ID", "uint"],
});

export const OSPF: Protocol = {
  id: "ospf",
  name: "OSPF",
  truncName: "ospf2",
  title: "Open Shortest Path First",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    let length = r.reportedRemaining;
    const v6 = ctx.net === "IP6" || (ctx.net === "" && ctx.src4 < 0 && ctx.ip6Src >= 0);
    if (v6) {
      // tcpdump's OSPFv3 printer: its own truncation marker
      if (!r.has(2)) {
        ctx.line.s(" [|ospf3]");
        ctx.truncated = true;
        r.pos = r.cap;
        return;
      }
    } else {
      if (!r.has(16)) {
        r.skip(16); // marks the reader truncated: " [|ospf2]" and nothing before it, as tcpdump
        return;
      }
    }
    const version = r.peek(0);
    const type = r.peek(1);
    if (!v6 && r.peek16(14) === AUTH_MD5) {
      // tcpdump takes the MD5 trailer off the length and off the captured end: the type must be captured before it
      length -= MD5_LEN;
      if (!r.has(MD5_LEN + 2)) {
        r.skip(MD5_LEN + 2);
        return;
      }
    }
    const name = TYPE[type];
    ctx.line
      .s("OSPFv")
      .u(version)
      .s(", ")
      .s(name ?? (v6 ? `unknown packet type (${type})` : `unknown LS-type (${type})`))
      .s(", length ")
      .u(length >>> 0);
    if (t.on) {
      t.add(F.version, version, start, 1);
      t.add(F.msg, type, start + 1, 1);
      if (r.has(4)) t.add(F.packet_length, r.peek16(2), start + 2, 2);
      if (r.has(8)) t.add(F.srcrouter, ipv4At(r.data, start + 4), start + 4, 4);
      if (r.has(12)) t.add(F.area_id, ipv4At(r.data, start + 8), start + 8, 4);
      if (r.has(14)) t.add(F.checksum, r.peek16(12), start + 12, 2);
      if (v6) {
        if (r.has(15)) t.add(F.instance_id, r.peek(14), start + 14, 1);
      } else t.add(F["auth.type"], r.peek16(14), start + 14, 2);
    }
    if (v6 && name && ctx.opts.verbose > 0) v3Detail(r, ctx, start, length, type);
    else if (!v6 && ctx.opts.verbose > 0) {
      // With an MD5 trailer, a capture cut before the end of the packet reads as cut 16 bytes earlier
      // (tcpdump takes the trailer off its captured end too); a whole packet reads to its end.
      const lim = r.peek16(14) === AUTH_MD5 && r.cap < start + length + MD5_LEN ? r.cap - MD5_LEN : r.cap;
      try {
        v2Detail(r, ctx, start, length >>> 0, lim);
      } catch (e) {
        if (!(e instanceof Cut)) throw e;
        ctx.line.s(" [|ospf2]");
        ctx.truncated = true;
      }
    }
    r.pos = r.cap;
  },
};

/** tcpdump's OSPFv3 option names (print-ospf6.c), in its order */
const V3_OPTIONS: Array<[number, string]> = [
  [0x01, "V6"],
  [0x02, "External"],
  [0x04, "Deprecated"],
  [0x08, "NSSA"],
  [0x10, "Router"],
  [0x20, "Demand Circuit"],
  [0x100, "AFs Support"],
  [0x200, "LLS"],
  [0x400, "Authentication Trailer"],
];
const V3_DD_FLAGS: Array<[number, string]> = [
  [0x04, "Init"],
  [0x02, "More"],
  [0x01, "Master"],
  [0x10, "IPv6 MTU"],
];

function bits(v: number, names: Array<[number, string]>): string {
  let s = "";
  for (const [b, n] of names) if (v & b) s += s ? `, ${n}` : n;
  return s || "none";
}

/**
 * OSPFv3's -v lines as tcpdump 4.99's ospf6_print: the router and area, then Hello's and Database
 * Description's own lines (the other types, DD's LSA headers and Hello's neighbours print only with -vv; the
 * neighbours are printed here, the LSA headers and the LLS / authentication trailer are not yet). Each part
 * prints once all of its bytes are captured, " [|ospf3]" where they are not, as tcpdump.
 */
function v3Detail(r: Reader, ctx: Ctx, start: number, length: number, type: number): void {
  const cut = () => {
    ctx.line.s(" [|ospf3]");
    ctx.truncated = true;
  };
  const at = (off: number) => ipv4At(r.data, start + off);
  if (!r.has(4)) return cut();
  const datalen = r.peek16(2);
  if (datalen > length) {
    ctx.line.s(` [len ${datalen}]`);
    return;
  }
  if (!r.has(8)) return cut();
  ctx.line.s(`\n\tRouter-ID ${at(4)}`);
  if (!r.has(12)) return cut();
  ctx.line.s(r.peek32(8) !== 0 ? `, Area ${at(8)}` : ", Backbone Area");
  if (!r.has(15)) return cut();
  if (r.peek(14)) ctx.line.s(`, Instance ${r.peek(14)}`);
  const dataend = datalen; // offsets from start
  if (type === 1) {
    if (!r.has(24)) return cut();
    const opts = r.peek32(20);
    ctx.line.s(`\n\tOptions [${bits(opts, V3_OPTIONS)}]`);
    if (!r.has(28)) return cut();
    ctx.line.s(`\n\t  Hello Timer ${r.peek16(24)}s, Dead Timer ${r.peek16(26)}s, Interface-ID ${at(16)}, Priority ${r.peek(20)}`);
    if (!r.has(32)) return cut();
    if (r.peek32(28) !== 0) ctx.line.s(`\n\t  Designated Router ${at(28)}`);
    if (!r.has(36)) return cut();
    if (r.peek32(32) !== 0) ctx.line.s(`, Backup Designated Router ${at(32)}`);
    if (ctx.opts.verbose > 1) {
      ctx.line.s("\n\t  Neighbor List:");
      for (let off = 36; off < dataend; off += 4) {
        if (!r.has(off + 4)) return cut();
        ctx.line.s(`\n\t    ${at(off)}`);
      }
    }
    if (opts & 0x200) return; // an LLS block before the authentication trailer: not decoded yet
  } else if (type === 2) {
    if (!r.has(20)) return cut();
    const opts = r.peek32(16);
    ctx.line.s(`\n\tOptions [${bits(opts, V3_OPTIONS)}]`);
    if (!r.has(24)) return cut();
    ctx.line.s(`, DD Flags [${bits(r.peek(23), V3_DD_FLAGS)}]`);
    if (!r.has(28)) return cut();
    ctx.line.s(`, MTU ${r.peek16(20)}, DD-Sequence 0x${r.peek32(24).toString(16).padStart(8, "0")}`);
    if (r.peek32(16) & 0x200) return; // an LLS block before the authentication trailer: not decoded yet
  }
  // tcpdump's ospf6_decode_at: the authentication trailer (RFC 7166) after the packet, in the IP payload
  const len = length - datalen;
  if (len <= 0) return;
  const h = (off: number): number => r.peek16(datalen + off);
  if (len < 16) return cut();
  if (!r.has(datalen + 4)) return cut();
  const atype = h(0);
  const alen = h(2);
  ctx.line.s(`\n\tAuthentication Type ${atype === 1 ? "HMAC" : `unknown (0x${atype.toString(16).padStart(4, "0")})`}, Length ${alen}`);
  if (alen < 16 || alen > len) return cut();
  if (!r.has(datalen + 16)) return cut();
  ctx.line.s(`, SAID ${h(6)}, CSN 0x${r.peek32(datalen + 8).toString(16).padStart(8, "0")}:${r.peek32(datalen + 12).toString(16).padStart(8, "0")}`);
  if (!r.has(datalen + alen)) return cut();
  if (ctx.opts.verbose > 1) hexPrint(ctx.line, r, "\n\tAuthentication Data ", r.pos + datalen + 16, alen - 16);
}


/** Thrown where tcpdump's GET_ macros run off the captured bytes: the line ends with " [|ospf2]". */
class Cut extends Error {}

/** tcpdump's OSPFv2 option names (print-ospf.c), in its order */
const V2_OPTIONS: Array<[number, string]> = [
  [0x01, "MultiTopology"],
  [0x02, "External"],
  [0x04, "Multicast"],
  [0x08, "NSSA"],
  [0x10, "LLS"],
  [0x20, "Demand Circuit"],
  [0x40, "Opaque"],
  [0x80, "Up/Down"],
];
const V2_DD_FLAGS: Array<[number, string]> = [
  [0x04, "Init"],
  [0x02, "More"],
  [0x01, "Master"],
];
const RLA_FLAGS: Array<[number, string]> = [
  [0x01, "ABR"],
  [0x02, "ASBR"],
  [0x04, "Virtual"],
  [0x08, "W2"],
  [0x10, "Nt"],
];
const LSA_TYPE: Readonly<Record<number, string>> = {
  1: "Router",
  2: "Network",
  3: "Summary",
  4: "ASBR Summary",
  5: "External",
  6: "Multicast Group",
  7: "NSSA",
  9: "Link Local Opaque",
  10: "Area Local Opaque",
  11: "Domain Wide Opaque",
};
const OPAQUE_TYPE: Readonly<Record<number, string>> = { 1: "Traffic Engineering", 3: "Graceful restart", 4: "Router Information" };
const GRACE_TLV: Readonly<Record<number, string>> = { 1: "Grace Period", 2: "Graceful restart Reason", 3: "IPv4 interface address" };
const GRACE_REASON: Readonly<Record<number, string>> = { 0: "Unknown", 1: "Software Restart", 2: "Software Reload/Upgrade", 3: "Control Processor Switch" };
const RI_CAPS: Readonly<Record<number, string>> = { 1: "Reserved", 2: "Reserved", 4: "Reserved", 8: "Reserved", 16: "graceful restart capable", 32: "graceful restart helper", 64: "Stub router support", 128: "Traffic engineering", 256: "p2p over LAN", 512: "path computation server" };
const AUTH_NAME: Readonly<Record<number, string>> = { 0: "none", 1: "simple", 2: "MD5" };
const TOPOLOGY: Readonly<Record<number, string>> = { 0: "default", 1: "multicast", 2: "management" };
const LLS_TLV: Readonly<Record<number, string>> = { 1: "Extended Options", 2: "MD5 Authentication" };
const LLS_EO: Array<[number, string]> = [
  [0x01, "LSDB resync"],
  [0x02, "Restart"],
];

/**
 * OSPFv2's -v lines as tcpdump 4.99's ospf_print / ospf_decode_v2 / ospf_decode_lls: the router, area and
 * authentication, then Hello, Database Description (with its LSA headers), LS-Request, LS-Update (every LSA:
 * router, network, summary, external and NSSA; other LSAs' bodies as hex) and LS-Ack, then the LLS block.
 * Reads past `lim` (the captured end, less an MD5 trailer) throw Cut, as tcpdump's GET_ macros end the line.
 */
function v2Detail(r: Reader, ctx: Ctx, start: number, length: number, lim: number): void {
  const line = ctx.line;
  const need = (off: number, n: number) => {
    if (start + off + n > lim) throw new Cut();
  };
  const u8 = (off: number) => (need(off, 1), r.byteAt(start + off));
  const u16 = (off: number) => (need(off, 2), (r.byteAt(start + off) << 8) | r.byteAt(start + off + 1));
  const u32 = (off: number) => (need(off, 4), ((u16(off) << 16) | u16(off + 2)) >>> 0);
  const ip = (off: number) => (need(off, 4), ipv4At(r.data, start + off));
  const hex8 = (v: number) => v.toString(16).padStart(8, "0");
  const ospfLen = u16(2);
  if (ospfLen !== length) line.s(` [len ${ospfLen}]`);
  const dataend = ospfLen < length ? ospfLen : length;
  line.s(`\n\tRouter-ID ${ip(4)}`);
  line.s(u32(8) !== 0 ? `, Area ${ip(8)}` : ", Backbone Area");
  need(16, 8); // the authentication data
  const auth = u16(14);
  line.s(`, Authentication Type: ${AUTH_NAME[auth] ?? "unknown"} (${auth})`);
  if (auth === 1) {
    line.s("\n\tSimple text password: ");
    for (let i = 0; i < 8 && r.byteAt(start + 16 + i) !== 0; i++) line.latin1(r.data, start + 16 + i, 1);
  } else if (auth === 2) {
    line.s(`\n\tKey-ID: ${u8(18)}, Auth-Length: ${u8(19)}, Crypto Sequence Number: 0x${hex8(u32(20))}`);
  } else if (auth !== 0) return;
  if (u8(0) !== 2) {
    line.s(` ospf [version ${u8(0)}]`);
    return;
  }
  const type = u8(1);
  switch (type) {
    case 1: {
      line.s(`\n\tOptions [${bits(u8(30), V2_OPTIONS)}]`);
      line.s(`\n\t  Hello Timer ${u16(28)}s, Dead Timer ${u32(32)}s, Mask ${ip(24)}, Priority ${u8(31)}`);
      if (u32(36) !== 0) line.s(`\n\t  Designated Router ${ip(36)}`);
      if (u32(40) !== 0) line.s(`, Backup Designated Router ${ip(40)}`);
      if (44 < dataend) line.s("\n\t  Neighbor List:");
      for (let off = 44; off < dataend; off += 4) line.s(`\n\t    ${ip(off)}`);
      break;
    }
    case 2: {
      line.s(`\n\tOptions [${bits(u8(26), V2_OPTIONS)}]`);
      line.s(`, DD Flags [${bits(u8(27), V2_DD_FLAGS)}]`);
      if (u16(24)) line.s(`, MTU: ${u16(24)}`);
      line.s(`, Sequence: 0x${hex8(u32(28))}`);
      for (let off = 32; off < dataend && lsaHeader(off) !== -1; off += 20);
      break;
    }
    case 3:
      for (let off = 24; off < dataend; off += 12) {
        const lsType = u32(off);
        line.s(`\n\t  Advertising Router: ${ip(off + 8)}, ${LSA_TYPE[lsType] ?? "unknown"} LSA (${lsType})`);
        if (lsType === 9 || lsType === 10 || lsType === 11) {
          const ot = u8(off + 4);
          line.s(`, Opaque-Type: ${OPAQUE_TYPE[ot] ?? "unknown"} LSA (${ot}), Opaque-ID: ${(u8(off + 5) << 16) | u16(off + 6)}`);
        } else line.s(`, LSA-ID: ${ip(off + 4)}`);
      }
      break;
    case 4: {
      const n = u32(24);
      line.s(`, ${n} LSA${n === 1 ? "" : "s"}`);
      let off = 28;
      for (let i = 1; i <= n; i++) {
        line.s(`\n\t  LSA #${i}`);
        const next = lsa(off);
        if (next < 0) throw new Cut();
        off = next;
      }
      break;
    }
    case 5:
      for (let off = 24; lsaHeader(off) !== -1; off += 20);
      break;
    default:
      break;
  }
  if (length > ospfLen) {
    // the LLS block follows the MD5 digest, and tcpdump reads it up to the captured end
    const md5 = auth === 2 ? MD5_LEN : 0;
    lls(ospfLen + md5, length + md5, type);
  }

  /** An LSA header (ospf_print_lshdr): its length, or -1 for a bogus one. */
  function lsaHeader(off: number): number {
    const len = u16(off + 18);
    if (len < 20) {
      line.s(`\n\t    Bogus length ${len} < header (20 bytes)`);
      return -1;
    }
    line.s(`\n\t  Advertising Router ${ip(off + 8)}, seq 0x${hex8(u32(off + 12))}, age ${u16(off)}s, length ${len - 20}`);
    const lsType = u8(off + 3);
    if (lsType === 9 || lsType === 10 || lsType === 11) {
      const ot = u8(off + 4);
      line.s(`\n\t    ${LSA_TYPE[lsType]} LSA (${lsType}), Opaque-Type ${OPAQUE_TYPE[ot] ?? "unknown"} LSA (${ot}), Opaque-ID ${(u8(off + 5) << 16) | u16(off + 6)}`);
    } else line.s(`\n\t    ${LSA_TYPE[lsType] ?? "unknown"} LSA (${lsType}), LSA-ID: ${ip(off + 4)}`);
    line.s(`\n\t    Options: [${bits(u8(off + 2), V2_OPTIONS)}]`);
    return len;
  }

  /** One LSA (ospf_print_lsa): the offset after it, or -1 where tcpdump gives up. */
  function lsa(off: number): number {
    const len = lsaHeader(off);
    if (len < 0) return -1;
    const end = off + len;
    const lsType = u8(off + 3);
    const b = off + 20;
    const tos = (p: number) => {
      const count = u8(p + 1);
      line.s(`\n\t\ttopology default (0), metric ${u16(p + 2)}`);
      for (let k = 0, q = p + 4; k < count; k++, q += 4) {
        const tt = u8(q);
        line.s(`\n\t\ttopology ${TOPOLOGY[tt] ?? "Unknown"} (${tt}), metric ${u16(q + 2)}`);
      }
    };
    switch (lsType) {
      case 1: {
        line.s(`\n\t    Router LSA Options: [${bits(u8(b), RLA_FLAGS)}]`);
        const count = u16(b + 2);
        need(b + 4, 12);
        let p = b + 4;
        for (let i = count; i !== 0; i--) {
          need(p, 12);
          const lt = u8(p + 8);
          const id = ip(p);
          const data = ip(p + 4);
          if (lt === 1) line.s(`\n\t      Neighbor Router-ID: ${id}, Interface Address: ${data}`);
          else if (lt === 2) line.s(`\n\t      Neighbor Network-ID: ${id}, Interface Address: ${data}`);
          else if (lt === 3) line.s(`\n\t      Stub Network: ${id}, Mask: ${data}`);
          else if (lt === 4) line.s(`\n\t      Virtual Link: Neighbor Router-ID: ${id}, Interface Address: ${data}`);
          else {
            line.s(`\n\t      Unknown Router Link Type (${lt})`);
            return end;
          }
          tos(p + 8);
          p += 12 + u8(p + 9) * 4;
        }
        break;
      }
      case 2:
        line.s(`\n\t    Mask ${ip(b)}\n\t    Connected Routers:`);
        for (let p = b + 4; p < end; p += 4) line.s(`\n\t      ${ip(p)}`);
        break;
      case 3:
      case 4: {
        if (lsType === 3) line.s(`\n\t    Mask ${ip(b)}`);
        need(b + 4, 4);
        for (let p = b + 4; p < end; p += 4) {
          const ul = u32(p);
          const tt = (ul >>> 24) & 0x7f;
          line.s(`\n\t\ttopology ${TOPOLOGY[tt] ?? "Unknown"} (${tt}) metric ${ul & 0xffffff}`);
        }
        break;
      }
      case 5:
      case 7: {
        line.s(`\n\t    Mask ${ip(b)}`);
        need(b + 4, 4);
        for (let p = b + 4; p < end; p += 12) {
          const ul = u32(p);
          const tt = (ul >>> 24) & 0x7f;
          line.s(`\n\t\ttopology ${TOPOLOGY[tt] ?? "Unknown"} (${tt}), type ${ul & 0x80000000 ? 2 : 1}, metric`);
          line.s((ul & 0xffffff) === 0xffffff ? " infinite" : ` ${ul & 0xffffff}`);
          if (u32(p + 4) !== 0) line.s(`, forward ${ip(p + 4)}`);
          if (u32(p + 8) !== 0) line.s(`, tag ${ip(p + 8)}`);
        }
        break;
      }
      case 9:
      case 10:
      case 11: {
        const ot = u8(off + 4);
        if (ot === 3) {
          grace(b, len - 20);
          break;
        }
        if (ot === 4) {
          routerInfo(b, len - 20);
          break;
        }
        return unknownBody(b, len, end); // Traffic Engineering TLVs (RFC 3630) are not decoded yet
      }
      default:
        return unknownBody(b, len, end);
    }
    return end;
  }

  /** An LSA body tcpdump has no printer for: its bytes (print_unknown_data), or -1 past the capture. */
  function unknownBody(b: number, len: number, end: number): number {
    if (start + end > lim) {
      line.s("\n\t    Dissector error: print_unknown_data called with pointer past end of packet");
      return -1;
    }
    hexPrint(line, r, "\n\t    ", start + b, len - 20);
    return end;
  }

  /** The Grace LSA's TLVs (RFC 3623), 32-bit aligned. */
  function grace(p: number, left: number): void {
    while (left > 0) {
      need(p, 4);
      if (left < 4) return void line.s(`\n\t    Remaining LS length ${left} < 4`);
      const t = u16(p);
      let tl = u16(p + 2);
      p += 4;
      left -= 4;
      line.s(`\n\t    ${GRACE_TLV[t] ?? "unknown"} TLV (${t}), length ${tl}, value: `);
      if (tl > left) return void line.s(`\n\t    Bogus length ${tl} > ${left}`);
      if (t === 0 || tl === 0) return;
      need(p, tl);
      if (t === 1 || t === 3) {
        if (tl !== 4) return void line.s(`\n\t    Bogus length ${tl} != 4`);
        line.s(t === 1 ? `${u32(p)}s` : ip(p));
      } else if (t === 2) {
        if (tl !== 1) return void line.s(`\n\t    Bogus length ${tl} != 1`);
        line.s(`${GRACE_REASON[u8(p)] ?? "Unknown"} (${u8(p)})`);
      } else hexPrint(line, r, "\n\t      ", start + p, tl);
      if (tl % 4) tl += 4 - (tl % 4);
      left -= tl;
      p += tl;
    }
  }

  /** The Router Information LSA's TLVs (RFC 7770); tcpdump steps over a TLV without its padding. */
  function routerInfo(p: number, left: number): void {
    while (left !== 0) {
      need(p, 4);
      if (left < 4) return void line.s(`\n\t    Remaining LS length ${left} < 4`);
      const t = u16(p);
      const tl = u16(p + 2);
      p += 4;
      left -= 4;
      line.s(`\n\t    ${t === 1 ? "Router Capabilities" : "unknown"} TLV (${t}), length: ${tl}, value: `);
      if (tl > left) return void line.s(`\n\t    Bogus length ${tl} > remaining LS length ${left}`);
      need(p, tl);
      if (t === 1) {
        if (tl !== 4) return void line.s(`\n\t    Bogus length ${tl} != 4`);
        const caps = u32(p);
        line.s("Capabilities:");
        for (let bit = 1; bit !== 0 && bit <= 0x80000000; bit = bit === 0x80000000 ? 0 : bit * 2) if (caps & bit) line.s(`\n\t      ${RI_CAPS[bit] ?? "Unknown"}`);
      } else hexPrint(line, r, "\n\t      ", start + p, tl);
      p += tl;
      left -= tl;
    }
  }

  /** The LLS data block after the packet (RFC 5613), for Hello and Database Description with the L bit. */
  function lls(off: number, end: number, type: number): void {
    if (type === 1) {
      if (!(u8(30) & 0x10)) return;
    } else if (type === 2) {
      if (!(u8(26) & 0x10)) return;
    } else return;
    line.s(`\n\t  LLS: checksum: 0x${u16(off).toString(16).padStart(4, "0")}`);
    line.s(`, length: ${u16(off + 2)}`);
    for (let p = off + 4; p < end; ) {
      const t = u16(p);
      line.s(`\n\t    ${LLS_TLV[t] ?? "Unknown TLV"} (${t})`);
      let len = u16(p + 2);
      line.s(`, length: ${len}`);
      p += 4;
      if (t === 1) {
        if (len !== 4) {
          line.s(" [should be 4]");
          len = 4;
        }
        const f = u32(p);
        line.s(`\n\t      Options: 0x${hex8(f)} [${bits(f, LLS_EO) === "none" ? "?" : bits(f, LLS_EO)}]`);
      } else if (t === 2) {
        if (len !== 20) {
          line.s(" [should be 20]");
          len = 20;
        }
        line.s(`\n\t      Sequence number: 0x${hex8(u32(p))}`);
      }
      p += len;
    }
  }
}

bind("ip.proto", IPPROTO.OSPF, OSPF);
