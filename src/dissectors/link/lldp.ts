/**
 * LLDP, 802.1AB (ethertype 0x88cc). tcpdump's line (print-lldp.c) without -v is the length and the system
 * name TLV:
 *   "LLDP, length 282: S2.cisco.com"
 * A TLV that runs off the captured bytes, or past the frame's length, ends the line with " [|lldp]"; a TLV of
 * type or length 0 ends the walk. With -v, one continuation line per TLV as tcpdump prints it: the basic TLVs,
 * the management address, the IEEE 802.1 (VLANs, link aggregation, DCB: ETS, PFC, CN, application priority,
 * CDCP), IEEE 802.3 (MAC/PHY, power, MTU) and IANA MUD-URL organisation TLVs; TIA, DCBX and unknown ones as
 * a hex dump. The tree holds the TLVs' headers and the mandatory TLVs' values, with Wireshark's names (lldp.*).
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { hex, ipv4At, ipv6At, macAt, printChar } from "../format.js";
import { hexPrint } from "../hexprint.js";
import type { Line } from "../line.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

const TLV_NAMES: Readonly<Record<number, string>> = {
  0: "End",
  1: "Chassis ID",
  2: "Port ID",
  3: "Time to Live",
  4: "Port Description",
  5: "System Name",
  6: "System Description",
  7: "System Capabilities",
  8: "Management Address",
  127: "Organization specific",
};

const F = fields("lldp", {
  type: ["TLV Type", "uint", { name: "lldp.tlv.type", values: TLV_NAMES }],
  len: ["TLV Length", "uint", { name: "lldp.tlv.len" }],
  chassisSubtype: ["Chassis Id Subtype", "uint", { name: "lldp.chassis.subtype" }],
  chassisMac: ["Chassis Id", "ether", { name: "lldp.chassis.id.mac" }],
  chassisId: ["Chassis Id", "string", { name: "lldp.chassis.id" }],
  portSubtype: ["Port Id Subtype", "uint", { name: "lldp.port.subtype" }],
  portMac: ["Port Id", "ether", { name: "lldp.port.id.mac" }],
  portId: ["Port Id", "string", { name: "lldp.port.id" }],
  ttl: ["Seconds", "uint", { name: "lldp.time_to_live" }],
  portDesc: ["Port Description", "string", { name: "lldp.port.desc" }],
  sysName: ["System Name", "string", { name: "lldp.tlv.system.name" }],
  sysDesc: ["System Description", "string", { name: "lldp.tlv.system.desc" }],
  sysCap: ["Capabilities", "uint", { name: "lldp.tlv.system_cap", base: "hex" }],
  enableCap: ["Enabled Capabilities", "uint", { name: "lldp.tlv.enable_system_cap", base: "hex" }],
  oui: ["Organization Unique Code", "uint", { name: "lldp.orgtlv.oui", base: "hex" }],
});

/** Latin-1 text of [p, p + n) up to a NUL (tcpdump's nd_printjnp); the caller checked the bytes are captured. */
export function textz(r: Reader, p: number, n: number): string {
  let e = p;
  while (e < p + n && r.byteAt(e) !== 0) e++;
  return r.latin1At(p, e - p);
}

/** The same text as tcpdump's nd_printjnp prints it on the line: control characters as "^J", bytes above 0x7f as "M-x". */
function jnp(r: Reader, p: number, n: number): string {
  let e = p;
  let out = "";
  while (e < p + n && r.byteAt(e) !== 0) out += printChar(r.byteAt(e++));
  return out;
}

export const LLDP: Protocol = {
  id: "lldp",
  name: "LLDP",
  title: "Link Layer Discovery Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const len = r.reportedRemaining;
    const line = ctx.line;
    const v = ctx.opts.verbose > 0;
    line.s(`LLDP, length ${len}`);
    let tlen = len;
    for (let guard = 0; tlen >= 2 && guard < 65536; guard++) {
      const hdr = r.u16();
      if (r.truncated) return; // " [|lldp]"
      const type = hdr >> 9;
      const tl = hdr & 0x1ff;
      const p = r.pos;
      tlen -= 2;
      if (v) line.s(`\n\t${TLV_NAMES[type] ?? "Unknown"} TLV (${type}), length ${tl}`);
      if (t.on) {
        t.pushNote(`${TLV_NAMES[type] ?? "Unknown"} TLV (${type}), length ${tl}`, p - 2, 2 + tl);
        t.add(F.type, type, p - 2, 2);
        t.add(F.len, tl, p - 2, 2);
      }
      if (type === 0 || tl === 0) {
        if (t.on) t.pop();
        break;
      }
      if (!r.has(tl) || tlen < tl) {
        if (t.on) t.pop();
        r.pos = p;
        if (!r.skip(tl)) return; // cut by the snapshot length: the engine prints " [|lldp]"
        line.s(" [|lldp]");
        ctx.truncated = true;
        return;
      }
      if (v) {
        const dump = verboseTlv(line, r, type, p, tl);
        if (dump === "trunc") {
          if (t.on) t.pop();
          line.s(" [|lldp]");
          ctx.truncated = true;
          r.pos = r.cap;
          return;
        }
        if (dump || ctx.opts.verbose > 1) hexPrint(line, r, "\n\t  ", p, tl);
      } else if (type === 5) line.s(": ").s(jnp(r, p, tl));
      if (t.on) {
        const sub = r.byteAt(p);
        switch (type) {
          case 1:
          case 2: {
            t.add(type === 1 ? F.chassisSubtype : F.portSubtype, sub, p, 1);
            const mac = type === 1 ? sub === 4 : sub === 3;
            if (mac && tl >= 7) t.add(type === 1 ? F.chassisMac : F.portMac, macAt(r.data, p + 1), p + 1, 6);
            else if (tl > 1) t.add(type === 1 ? F.chassisId : F.portId, textz(r, p + 1, tl - 1), p + 1, tl - 1);
            break;
          }
          case 3:
            if (tl >= 2) t.add(F.ttl, (sub << 8) | r.byteAt(p + 1), p, 2);
            break;
          case 4:
            t.add(F.portDesc, textz(r, p, tl), p, tl);
            break;
          case 5:
            t.add(F.sysName, textz(r, p, tl), p, tl);
            break;
          case 6:
            t.add(F.sysDesc, textz(r, p, tl), p, tl);
            break;
          case 7:
            if (tl >= 4) {
              t.add(F.sysCap, (sub << 8) | r.byteAt(p + 1), p, 2);
              t.add(F.enableCap, (r.byteAt(p + 2) << 8) | r.byteAt(p + 3), p + 2, 2);
            }
            break;
          case 127:
            if (tl >= 3) t.add(F.oui, (sub << 16) | (r.byteAt(p + 1) << 8) | r.byteAt(p + 2), p, 3);
            break;
        }
        t.pop();
      }
      r.pos = p + tl;
      tlen -= tl;
    }
    r.pos = r.cap;
  },
};

bind("ethertype", ETHERTYPE.LLDP, LLDP);

// ---- -v: tcpdump's TLV detail (print-lldp.c) ----

const CHASSIS_SUBTYPES: Readonly<Record<number, string>> = { 1: "Chassis component", 2: "Interface alias", 3: "Port component", 4: "MAC address", 5: "Network address", 6: "Interface name", 7: "Local" };
const PORT_SUBTYPES: Readonly<Record<number, string>> = { 1: "Interface alias", 2: "Port component", 3: "MAC address", 4: "Network Address", 5: "Interface Name", 6: "Agent circuit ID", 7: "Local" };
const CAP_BITS: ReadonlyArray<readonly [number, string]> = [
  [0x01, "Other"], [0x02, "Repeater"], [0x04, "Bridge"], [0x08, "WLAN AP"], [0x10, "Router"], [0x20, "Telephone"], [0x40, "Docsis"], [0x80, "Station Only"],
];
const OUI_NAMES: Readonly<Record<number, string>> = { 0x000000: "Ethernet", 0x00000c: "Cisco", 0x0080c2: "Ethernet bridged", 0x00120f: "IEEE 802.3 Private", 0x0012bb: "ANSI/TIA", 0x001b21: "DCBX", 0x00005e: "IANA" };
const S8021: Readonly<Record<number, string>> = {
  1: "Port VLAN Id", 2: "Port and Protocol VLAN ID", 3: "VLAN name", 4: "Protocol Identity", 7: "Link aggregation", 8: "Congestion Notification",
  9: "ETS Configuration", 10: "ETS Recommendation", 11: "Priority Flow Control Configuration", 12: "Application Priority", 13: "EVB", 14: "CDCP",
};
const S8023: Readonly<Record<number, string>> = { 1: "MAC/PHY configuration/status", 2: "Power via MDI", 3: "Link aggregation", 4: "Max frame size" };
const MAU_TYPES: readonly string[] = [
  "Unknown", "AUI", "10BASE_5", "FOIRL", "10BASE2", "10BASET duplex mode unknown", "10BASEFP", "10BASEFB", "10BASEFL duplex mode unknown", "10BROAD36",
  "10BASET hdx", "10BASET fdx", "10BASEFL hdx", "10BASEFL fdx", "100BASET4", "100BASETX hdx", "100BASETX fdx", "100BASEFX hdx", "100BASEFX fdx",
  "100BASET2 hdx", "100BASET2 fdx", "1000BASEX hdx", "1000BASEX fdx", "1000BASELX hdx", "1000BASELX fdx", "1000BASESX hdx", "1000BASESX fdx",
  "1000BASECX hdx", "1000BASECX fdx", "1000BASET hdx", "1000BASET fdx", "10GBASEX", "10GBASELX4", "10GBASER", "10GBASEER", "10GBASELR",
  "10GBASESR", "10GBASEW", "10GBASEEW", "10GBASELW", "10GBASESW",
];
const PMD_BITS: ReadonlyArray<readonly [number, string]> = [
  [1 << 14, "10BASE-T hdx"], [1 << 13, "10BASE-T fdx"], [1 << 12, "100BASE-T4"], [1 << 11, "100BASE-TX hdx"], [1 << 10, "100BASE-TX fdx"],
  [1 << 9, "100BASE-T2 hdx"], [1 << 8, "100BASE-T2 fdx"], [1 << 7, "Pause for fdx links"], [1 << 6, "Asym PAUSE for fdx"], [1 << 5, "Sym PAUSE for fdx"],
  [1 << 4, "Asym and Sym PAUSE for fdx"], [1 << 3, "1000BASE-{X LX SX CX} hdx"], [1 << 2, "1000BASE-{X LX SX CX} fdx"], [1 << 1, "1000BASE-T hdx"],
  [1 << 0, "1000BASE-T fdx"],
];
const MDI_BITS: ReadonlyArray<readonly [number, string]> = [[1, "PSE"], [2, "supported"], [4, "enabled"], [8, "can be controlled"]];
const SUPPORT_BITS: ReadonlyArray<readonly [number, string]> = [[1, "supported"], [2, "enabled"]];
const PPVID_BITS: ReadonlyArray<readonly [number, string]> = [[2, "supported"], [4, "enabled"]];
const AF_NAMES: Readonly<Record<number, string>> = { 0: "Reserved", 1: "IPv4", 2: "IPv6", 6: "802" };
const EVB_MODES: readonly string[] = ["Not Supported", "EVB Bridge", "EVB Station", "Reserved for future Standardization"];
const INTF_NUMBERING: Readonly<Record<number, string>> = { 2: "Interface Index", 3: "System Port Number" };

function bits(v: number, table: ReadonlyArray<readonly [number, string]>, none: string): string {
  let s = "";
  for (const [b, n] of table) if (v & b) s += s ? `, ${n}` : n;
  return s || none;
}

/** Reads at absolute offsets of a TLV whose bytes the caller checked are captured. */
function u8(r: Reader, p: number): number {
  return r.byteAt(p);
}
function u16(r: Reader, p: number): number {
  return (r.byteAt(p) << 8) | r.byteAt(p + 1);
}
function u32(r: Reader, p: number): number {
  return ((u16(r, p) << 16) | u16(r, p + 2)) >>> 0;
}

/** lldp_network_addr_print; null when too short */
function networkAddr(r: Reader, p: number, len: number): string | null {
  if (len < 1) return null;
  const af = u8(r, p);
  const name = `AFI ${AF_NAMES[af] ?? "Unknown"} (${af})`;
  if (af === 1) return len - 1 < 4 ? null : `${name}: ${ipv4At(r.data, p + 1)}`;
  if (af === 2) return len - 1 < 16 ? null : `${name}: ${ipv6At(r.data, p + 1)}`;
  if (af === 6) return len - 1 < 6 ? null : `${name}: ${macAt(r.data, p + 1)}`;
  return `${name}, no AF printer !`;
}

/** "%-3d" and "%-2d " columns of the DCB tables */
function col(v: number, w: number): string {
  return String(v).padEnd(w, " ");
}
function bitRow(line: Line, v: number): void {
  line.s("\n\t     Priority : 0  1  2  3  4  5  6  7\n\t     Value    : ");
  for (let i = 0; i < 8; i++) line.s(`${col((v >> i) & 1, 2)} `);
}
function etsTables(line: Line, r: Reader, p: number): void {
  line.s("\n\t    Priority Assignment Table\n\t     Priority : 0   1   2   3   4   5   6   7\n\t     Value    : ");
  const pri: string[] = [];
  for (let i = 0; i < 4; i++) pri.push(col(u8(r, p + i) >> 4, 3), col(u8(r, p + i) & 15, 3));
  line.s(pri.join(" "));
  line.s("\n\t    TC Bandwidth Table\n\t     TC%   : 0   1   2   3   4   5   6   7\n\t     Value : ");
  const bw: string[] = [];
  for (let i = 0; i < 8; i++) bw.push(col(u8(r, p + 4 + i), 3));
  line.s(bw.join(" "));
  line.s("\n\t    TSA Assignment Table\n\t     Traffic Class: 0   1   2   3   4   5   6   7\n\t     Value        : ");
  const tsa: string[] = [];
  for (let i = 0; i < 8; i++) tsa.push(col(u8(r, p + 12 + i), 3));
  line.s(tsa.join(" "));
}

/** IEEE 802.1 organisation TLVs; returns true when tcpdump would add a hex dump */
function print8021(line: Line, r: Reader, t: number, len: number): boolean {
  if (len < 4) return false;
  const sub = u8(r, t + 3);
  line.s(`\n\t  ${S8021[sub] ?? "unknown"} Subtype (${sub})`);
  switch (sub) {
    case 1:
      if (len >= 6) line.s(`\n\t    port vlan id (PVID): ${u16(r, t + 4)}`);
      return false;
    case 2:
      if (len >= 7) line.s(`\n\t    port and protocol vlan id (PPVID): ${u16(r, t + 5)}, flags [${bits(u8(r, t + 4), PPVID_BITS, "none")}] (0x${hex(u8(r, t + 4), 2)})`);
      return false;
    case 3: {
      if (len < 6) return false;
      line.s(`\n\t    vlan id (VID): ${u16(r, t + 4)}`);
      if (len < 7) return false;
      const sl = u8(r, t + 6);
      if (len < 7 + sl) return false;
      line.s("\n\t    vlan name: ").s(jnp(r, t + 7, sl));
      return false;
    }
    case 4: {
      if (len < 5) return false;
      const sl = u8(r, t + 4);
      if (len < 5 + sl) return false;
      line.s("\n\t    protocol identity: ").s(jnp(r, t + 5, sl));
      return false;
    }
    case 7:
      if (len >= 9) line.s(`\n\t    aggregation status [${bits(u8(r, t + 4), SUPPORT_BITS, "none")}], aggregation port ID ${u32(r, t + 5)}`);
      return false;
    case 8:
      if (len < 6) return false;
      line.s("\n\t    Pre-Priority CNPV Indicator");
      bitRow(line, u8(r, t + 4));
      line.s("\n\t    Pre-Priority Ready Indicator");
      bitRow(line, u8(r, t + 5));
      return false;
    case 9: {
      if (len < 25) return false;
      const v = u8(r, t + 4);
      line.s(`\n\t    Willing:${v >> 7}, CBS:${(v >> 6) & 0x02}, RES:${(v >> 3) & 0x07}, Max TCs:${v & 0x07}`);
      etsTables(line, r, t + 5);
      return false;
    }
    case 10:
      if (len < 25) return false;
      line.s(`\n\t    RES: ${u8(r, t + 4)}`);
      etsTables(line, r, t + 5);
      return false;
    case 11: {
      if (len < 6) return false;
      const v = u8(r, t + 4);
      line.s(`\n\t    Willing: ${v >> 7}, MBC: ${(v >> 6) & 1}, RES: ${(v >> 4) & 3}, PFC cap:${v & 0x0f} \n\t    PFC Enable`);
      bitRow(line, u8(r, t + 5));
      return false;
    }
    case 12: {
      if (len < 5) return false;
      line.s(`\n\t    RES: ${u8(r, t + 4)}`);
      if (len <= 5) return false;
      const sl = len - 5;
      if (sl % 3) return false;
      line.s("\n\t    Application Priority Table");
      for (let i = 0; i < sl; i += 3) {
        const v = u8(r, t + 5 + i);
        line.s(`\n\t      Priority: ${v >> 5}, RES: ${(v >> 3) & 3}, Sel: ${v & 7}, Protocol ID: ${u16(r, t + 6 + i)}`);
      }
      return false;
    }
    case 13: {
      if (len < 9) return false;
      const b = u8(r, t + 4);
      const st = u8(r, t + 5);
      const r6 = u8(r, t + 6);
      const m = u8(r, t + 7);
      const k = u8(r, t + 8);
      line.s(`\n\t    EVB Bridge Status\n\t      RES: ${b >> 3}, BGID: ${(b >> 2) & 1}, RRCAP: ${(b >> 1) & 1}, RRCTR: ${b & 1}`);
      line.s(`\n\t    EVB Station Status\n\t      RES: ${st >> 4}, SGID: ${(st >> 3) & 1}, RRREQ: ${(st >> 2) & 1},RRSTAT: ${st & 3}`);
      line.s(`\n\t    R: ${r6 >> 5}, RTE: ${r6 & 0x1f}, EVB Mode: ${EVB_MODES[m >> 6]} [${m >> 6}]`);
      line.s(`\n\t    ROL: ${(m >> 5) & 1}, RWD: ${m & 0x1f}, RES: ${k >> 6}, ROL: ${(k >> 5) & 1}, RKA: ${k & 0x1f}`);
      return false;
    }
    case 14: {
      if (len < 8) return false;
      const v = u8(r, t + 4);
      line.s(`\n\t    Role: ${v >> 7}, RES: ${(v >> 4) & 7}, Scomp: ${(v >> 3) & 1} ChnCap: ${u16(r, t + 6) & 0x0fff}`);
      const sl = len - 8;
      if (sl % 3) return false;
      for (let i = 0; i < sl; i += 3) {
        const w = (u8(r, t + 8 + i) << 16) | u16(r, t + 9 + i);
        line.s(`\n\t    SCID: ${w >> 12}, SVID: ${w & 0xfff}`);
      }
      return false;
    }
    default:
      return true;
  }
}

/** IEEE 802.3 organisation TLVs */
function print8023(line: Line, r: Reader, t: number, len: number): boolean {
  if (len < 4) return false;
  const sub = u8(r, t + 3);
  line.s(`\n\t  ${S8023[sub] ?? "unknown"} Subtype (${sub})`);
  switch (sub) {
    case 1:
      if (len < 9) return false;
      line.s(`\n\t    autonegotiation [${bits(u8(r, t + 4), SUPPORT_BITS, "none")}] (0x${hex(u8(r, t + 4), 2)})`);
      line.s(`\n\t    PMD autoneg capability [${bits(u16(r, t + 5), PMD_BITS, "unknown")}] (0x${hex(u16(r, t + 5), 4)})`);
      line.s(`\n\t    MAU type ${MAU_TYPES[u16(r, t + 7)] ?? "unknown"} (0x${hex(u16(r, t + 7), 4)})`);
      return false;
    case 2: {
      if (len < 7) return false;
      const pairs = u8(r, t + 5);
      const cls = u8(r, t + 6);
      line.s(
        `\n\t    MDI power support [${bits(u8(r, t + 4), MDI_BITS, "none")}], power pair ${pairs === 1 ? "signal" : pairs === 2 ? "spare" : "unknown"}, ` +
          `power class ${cls >= 1 && cls <= 5 ? `class${cls - 1}` : "unknown"}`,
      );
      return false;
    }
    case 3:
      if (len >= 9) line.s(`\n\t    aggregation status [${bits(u8(r, t + 4), SUPPORT_BITS, "none")}], aggregation port ID ${u32(r, t + 5)}`);
      return false;
    case 4:
      if (len >= 6) line.s(`\n\t    MTU size ${u16(r, t + 4)}`);
      return false;
    default:
      return true;
  }
}

/**
 * One TLV's -v text (header line printed by the caller). Returns "trunc" where tcpdump gives up on the packet,
 * else whether a hex dump of the value follows.
 */
function verboseTlv(line: Line, r: Reader, type: number, p: number, len: number): boolean | "trunc" {
  switch (type) {
    case 1:
    case 2: {
      if (len < 2) return "trunc";
      const sub = u8(r, p);
      const names = type === 1 ? CHASSIS_SUBTYPES : PORT_SUBTYPES;
      line.s(`\n\t  Subtype ${names[sub] ?? "Unknown"} (${sub}): `);
      const macSub = type === 1 ? 4 : 3;
      const netSub = type === 1 ? 5 : 4;
      if (sub === macSub) {
        if (len < 7) return "trunc";
        line.s(macAt(r.data, p + 1));
      } else if (sub === netSub) {
        const a = networkAddr(r, p + 1, len - 1);
        if (a === null) return "trunc";
        line.s(a);
      } else if (sub >= 1 && sub <= 7) line.s(jnp(r, p + 1, len - 1));
      else return true;
      return false;
    }
    case 3:
      if (len < 2) return "trunc";
      line.s(`: TTL ${u16(r, p)}s`);
      return false;
    case 4:
    case 5:
      line.s(": ").s(jnp(r, p, len));
      return false;
    case 6:
      line.s("\n\t  ").s(jnp(r, p, len));
      return false;
    case 7: {
      if (len < 4) return "trunc";
      const cap = u16(r, p);
      const ena = u16(r, p + 2);
      line.s(`\n\t  System  Capabilities [${bits(cap, CAP_BITS, "none")}] (0x${hex(cap, 4)})`);
      line.s(`\n\t  Enabled Capabilities [${bits(ena, CAP_BITS, "none")}] (0x${hex(ena, 4)})`);
      return false;
    }
    case 8: {
      if (len < 1) return "trunc";
      const al = u8(r, p);
      if (len - 1 < al) return "trunc";
      const a = networkAddr(r, p + 1, al);
      if (a === null) return "trunc";
      line.s(`\n\t  Management Address length ${al}, ${a}`);
      let q = p + 1 + al;
      let rest = len - 1 - al;
      if (rest < 5) return "trunc";
      const ns = u8(r, q);
      line.s(`\n\t  ${INTF_NUMBERING[ns] ?? "Unknown"} Interface Numbering (${ns}): ${u32(r, q + 1)}`);
      q += 5;
      rest -= 5;
      if (rest) {
        const ol = u8(r, q);
        if (rest < 1 + ol) return "trunc";
        if (ol) line.s(`\n\t  OID length ${ol}`).s(jnp(r, q + 1, ol));
      }
      return false;
    }
    case 127: {
      if (len < 3) return "trunc";
      const oui = (u8(r, p) << 16) | u16(r, p + 1);
      line.s(`: OUI ${OUI_NAMES[oui] ?? "Unknown"} (0x${hex(oui, 6)})`);
      if (oui === 0x0080c2) return print8021(line, r, p, len);
      if (oui === 0x00120f) return print8023(line, r, p, len);
      if (oui === 0x00005e) {
        if (len < 8) return false;
        const sub = u8(r, p + 3);
        line.s(`\n\t  ${sub === 1 ? "MUD-URL" : "unknown"} Subtype (${sub})`);
        if (sub !== 1) return true;
        line.s("\n\t  MUD-URL=").latin1(r.data, p + 4, len - 4);
        return false;
      }
      return true; // TIA, DCBX and others: not decoded, dumped
    }
    default:
      return true;
  }
}
