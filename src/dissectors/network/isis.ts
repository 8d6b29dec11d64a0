/**
 * IS-IS (ISO 10589, RFC 1195 and the TE / multi-topology / SPB / segment-routing extensions), reached through
 * the OSI NLPID 0x83 (network/osi.ts), as tcpdump 4.99's isis_print (print-isoclns.c) prints it:
 *   -nn  "IS-IS, L1 Lan IIH, src-id 2222.2222.2222, lan-id 2222.2222.2222.01, prio 64, length 1497"
 *        "IS-IS, p2p IIH, src-id 1111.1111.1111, length 1499"
 *        "IS-IS, L2 LSP, lsp-id 0192.0168.0001.00-00, seq 0x0000000b, lifetime  1196s, length 495"
 *        "IS-IS, L1 CSNP, src-id 3333.3333.3333.00, length 83" / "IS-IS, L1 PSNP, src-id ..., length 35"
 *   -e   the same without "IS-IS, " (network/osi.ts has printed "OSI NLPID IS-IS (0x83): ")
 *   -v   ", length N" then the PDU header lines and every TLV tcpdump decodes (area addresses, protocols,
 *        interface addresses, hostname, IS / extended IS reachability with their TE sub-TLVs, IPv4 / extended
 *        IPv4 / IPv6 / multi-topology reachability, restart, P2P adjacency, LSP entries, authentication,
 *        SPB port and MT capability, router capability, purge originator, ...), unknown TLVs as hex dumps;
 *        -vv adds tcpdump's hex dumps of the headers and of every TLV.
 * Header checks print tcpdump's words ("version 2 packet not supported", "bogus fixed header length ...")
 * followed by a hex dump of the PDU. Reading past the captured bytes prints " [|isis]" where tcpdump's
 * GET_ macros would stop it; a TLV shorter than its contents is skipped silently, as tcpdump's tlv_trunc.
 * The LSP checksum is verified (ISO 8473 Fletcher) and printed "(correct)" / "(incorrect should be 0x...)".
 * Fields use Wireshark's names (isis.irpd, isis.len, isis.type, isis.hello.source_id, isis.lsp.lsp_id, ...).
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At, printChar } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Protocol, type TreeSink } from "../types.js";
import type { Line } from "../line.js";
import type { Reader } from "../reader.js";
import { NLPID_NAMES, nsapText } from "./osi.js";

const PDU: Readonly<Record<number, string>> = {
  15: "L1 Lan IIH",
  16: "L2 Lan IIH",
  17: "p2p IIH",
  18: "L1 LSP",
  20: "L2 LSP",
  24: "L1 CSNP",
  25: "L2 CSNP",
  26: "L1 PSNP",
  27: "L2 PSNP",
};

const TLV: Readonly<Record<number, string>> = {
  1: "Area address(es)",
  2: "IS Reachability",
  3: "ES Neighbor(s)",
  4: "Partition DIS",
  5: "Prefix Neighbors",
  6: "IS Neighbor(s)",
  7: "Instance Identifier",
  8: "Padding",
  9: "LSP entries",
  10: "Authentication",
  12: "Checksum",
  13: "Purge Originator Identifier",
  14: "LSP Buffersize",
  22: "Extended IS Reachability",
  24: "IS Alias ID",
  42: "DECnet Phase IV",
  66: "Lucent Proprietary",
  128: "IPv4 Internal Reachability",
  129: "Protocols supported",
  130: "IPv4 External Reachability",
  131: "Inter-Domain Information Type",
  132: "IPv4 Interface address(es)",
  133: "IPv4 authentication (deprecated)",
  134: "Traffic Engineering Router ID",
  135: "Extended IPv4 Reachability",
  137: "Hostname",
  138: "Shared Risk Link Group",
  143: "Multi-Topology-Aware Port Capability",
  144: "Multi-Topology Capability",
  176: "Nortel Proprietary",
  177: "Nortel Proprietary",
  211: "Restart Signaling",
  222: "Multi Topology IS Reachability",
  229: "Multi Topology",
  232: "IPv6 Interface address(es)",
  235: "Multi-Topology IPv4 Reachability",
  236: "IPv6 reachability",
  237: "Multi-Topology IP6 Reachability",
  240: "Point-to-point Adjacency State",
  241: "Hello PDU Sequence Number",
  242: "IS-IS Router Capability",
  250: "Vendor Private",
};

const EXT_IS_SUBTLV: Readonly<Record<number, string>> = {
  3: "Administrative groups",
  4: "Link Local/Remote Identifier",
  5: "Link Remote Identifier",
  6: "IPv4 interface address",
  8: "IPv4 neighbor address",
  9: "Maximum link bandwidth",
  10: "Reservable link bandwidth",
  11: "Unreserved bandwidth",
  12: "Bandwidth Constraints (old)",
  18: "Traffic Engineering Metric",
  19: "Link Attribute",
  20: "Link Protection Type",
  21: "Interface Switching Capability",
  22: "Bandwidth Constraints",
  29: "SPB Metric",
  32: "LAN Adjacency Segment Identifier",
  250: "Reserved for cisco specific extensions",
  251: "Reserved for cisco specific extensions",
  252: "Reserved for cisco specific extensions",
  253: "Reserved for cisco specific extensions",
  254: "Reserved for cisco specific extensions",
  255: "Reserved for future expansion",
};
const EXT_IP_SUBTLV: Readonly<Record<number, string>> = { 1: "32-Bit Administrative tag", 2: "64-Bit Administrative tag", 3: "Prefix SID", 117: "Management Prefix Color" };
const AUTH: Readonly<Record<number, string>> = { 1: "simple text password", 3: "Generic Crypto key-id", 54: "HMAC-MD5 password", 255: "Routing Domain private password" };
const CIRCUIT: Readonly<Record<number, string>> = { 1: "Level 1 only", 2: "Level 2 only", 3: "Level 1, Level 2" };
const ISTYPE: Readonly<Record<number, string>> = { 0: "Unused 0x0 (invalid)", 1: "L1 IS", 2: "Unused 0x2 (invalid)", 3: "L2 IS" };
const MT: Readonly<Record<number, string>> = { 0: "IPv4 unicast", 1: "In-Band Management", 2: "IPv6 unicast", 3: "Multicast", 4095: "Development, Experimental or Proprietary" };
const PTP_ADJ: Readonly<Record<number, string>> = { 0: "Up", 1: "Initializing", 2: "Down" };
const IDRP: Readonly<Record<number, string>> = { 0: "Reserved", 1: "Routing-Domain Specific", 2: "AS Number Tag" };
const BC_MODEL: Readonly<Record<number, string>> = { 0: "Russian dolls", 1: "Maximum Allocation", 2: "Maximum Allocation with Reservation" };
const PORT_CAP_SUBTLV: Readonly<Record<number, string>> = { 4: "SPB MCID", 5: "SPB Digest", 6: "SPB BVID" };
const MT_CAP_SUBTLV: Readonly<Record<number, string>> = { 1: "SPB Instance", 3: "SPBM Service Identifier and Unicast Address" };
const ROUTER_CAP_SUBTLV: Readonly<Record<number, string>> = { 2: "SR-Capabilities" };
const PREFIX_SID_ALGO: Readonly<Record<number, string>> = { 0: "SPF", 1: "strict-SPF" };
const OUI: Readonly<Record<number, string>> = { 0x000000: "Ethernet", 0x00000c: "Cisco", 0x00000e: "Juniper", 0x000502: "Apple", 0x0080c2: "Ethernet bridged", 0x00900b: "Juniper" };

type Bits = Array<[number, string]>;
const MT_FLAGS: Bits = [
  [0x4000, "ATT bit set"],
  [0x8000, "Overload bit set"],
];
const RESTART_FLAGS: Bits = [
  [0x1, "Restart Request"],
  [0x2, "Restart Acknowledgement"],
  [0x4, "Suppress adjacency advertisement"],
];
const LINK_ATTR: Bits = [
  [0x01, "Local Protection Available"],
  [0x02, "Link excluded from local protection path"],
  [0x04, "Local maintenance required"],
];
const LINK_PROT: Bits = [
  [0x01, "Extra Traffic"],
  [0x02, "Unprotected"],
  [0x04, "Shared"],
  [0x08, "Dedicated 1:1"],
  [0x10, "Dedicated 1+1"],
  [0x20, "Enhanced"],
  [0x40, "Reserved"],
  [0x80, "Reserved"],
];
const LAN_ADJ_SID_FLAGS: Bits = [
  [0x80, "Address family IPv6"],
  [0x40, "Backup"],
  [0x20, "Value"],
  [0x10, "Local significance"],
  [0x08, "Set of adjacencies"],
  [0x04, "Persistent"],
];
const PREFIX_SID_FLAGS: Bits = [
  [0x80, "Re-advertisement"],
  [0x40, "Node"],
  [0x20, "No-PHP"],
  [0x10, "Explicit NULL"],
  [0x08, "Value"],
  [0x04, "Local"],
];
const ROUTER_CAP_FLAGS: Bits = [
  [0x01, "S bit"],
  [0x02, "D bit"],
];
const SR_CAP_FLAGS: Bits = [
  [0x80, "ipv4"],
  [0x40, "ipv6"],
];

/** tcpdump's bittok2str: the names of the set bits, ", "-separated, or the default. */
function bits(v: number, names: Bits, none: string): string {
  let s = "";
  for (const [b, n] of names) if ((v & b) === b && b !== 0) s += s ? `, ${n}` : n;
  return s || none;
}

const F = fields("isis", {
  irpd: ["Intradomain Routing Protocol Discriminator", "uint", { base: "hex" }],
  len: ["Length Indicator", "uint"],
  version: ["Version/Protocol ID Extension", "uint"],
  sysid_len: ["ID Length", "uint"],
  type: ["PDU Type", "uint", { values: PDU }],
  version2: ["Version", "uint"],
  reserved: ["Reserved", "uint"],
  max_area_adr: ["Maximum Area Addresses", "uint"],
  "hello.circuit_type": ["Circuit type", "uint", { base: "hex", values: CIRCUIT }],
  "hello.source_id": ["SystemID {Sender of PDU}", "string"],
  "hello.holding_timer": ["Holding timer", "uint"],
  "hello.pdu_length": ["PDU length", "uint"],
  "hello.priority": ["Priority", "uint"],
  "hello.lan_id": ["SystemID {Designated IS}", "string"],
  "hello.local_circuit_id": ["Local circuit ID", "uint"],
  "lsp.pdu_length": ["PDU length", "uint"],
  "lsp.remaining_life": ["Remaining lifetime", "uint"],
  "lsp.lsp_id": ["LSP-ID", "string"],
  "lsp.sequence_number": ["Sequence number", "uint", { base: "hex" }],
  "lsp.checksum": ["Checksum", "uint", { base: "hex" }],
  "lsp.is_type": ["Type of Intermediate System", "uint", { values: ISTYPE }],
  "lsp.hostname": ["Hostname", "string"],
  "csnp.pdu_length": ["PDU length", "uint"],
  "csnp.source_id": ["Source-ID", "string"],
  "csnp.start_lsp_id": ["Start LSP-ID", "string"],
  "csnp.end_lsp_id": ["End LSP-ID", "string"],
  "psnp.pdu_length": ["PDU length", "uint"],
  "psnp.source_id": ["Source-ID", "string"],
  "tlv.type": ["TLV type", "uint", { values: TLV }],
  "tlv.length": ["TLV length", "uint"],
});

/** Thrown inside this file when tcpdump's GET_ macros would stop the printer (" [|isis]"); caught below. */
const CUT = { cut: true };
/** Thrown when tcpdump's isis_print returns 0: isoclns_print then hex-dumps the whole PDU. */
const FAIL = { fail: true };
/** Thrown when tcpdump's isis_print returns 1 early: nothing more is printed. */
const STOP = { stop: true };

/** The printing state of one PDU at -v. */
interface Pr {
  r: Reader;
  line: Line;
  v: number;
  /** PDU start (absolute) */
  o: number;
}

function need(r: Reader, p: number, n: number): void {
  if (p < r.start || p + n > r.cap) throw CUT;
}
function u8(r: Reader, p: number): number {
  need(r, p, 1);
  return r.byteAt(p);
}
function u16(r: Reader, p: number): number {
  need(r, p, 2);
  return (r.byteAt(p) << 8) | r.byteAt(p + 1);
}
function u24(r: Reader, p: number): number {
  need(r, p, 3);
  return (r.byteAt(p) << 16) | (r.byteAt(p + 1) << 8) | r.byteAt(p + 2);
}
function u32(r: Reader, p: number): number {
  need(r, p, 4);
  return ((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0;
}
function x(v: number, w: number): string {
  return v.toString(16).padStart(w, "0");
}
function ip4(r: Reader, p: number): string {
  need(r, p, 4);
  return ipv4At(r.data, p);
}
function ip6(r: Reader, p: number): string {
  need(r, p, 16);
  return ipv6At(r.data, p);
}

/** tcpdump's isis_print_id: system (6), node (7) or LSP (8) ids, "xxxx.xxxx.xxxx.yy-zz". */
function isisId(r: Reader, p: number, n: number): string {
  const sys = n < 6 ? n : 6;
  need(r, p, n);
  let s = "";
  for (let i = 1; i <= sys; i++) {
    s += x(r.byteAt(p + i - 1), 2);
    if (i === 2 || i === 4) s += ".";
  }
  if (n >= 7) s += "." + x(r.byteAt(p + 6), 2);
  if (n === 8) s += "-" + x(r.byteAt(p + 7), 2);
  return s;
}

/** The id for the tree (no exception: the caller checked the bytes are captured). */
function idAt(r: Reader, p: number, n: number): string {
  return r.has(p - r.pos + n) ? isisId(r, p, n) : "";
}

/** tcpdump's fn_print_char over nd_printjnp: up to n bytes or a NUL, "M-" and "^" escapes, written as read. */
function printjnp(line: Line, r: Reader, p: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const c = u8(r, p + i);
    if (c === 0) break;
    line.s(printChar(c));
  }
}

/** tcpdump's print_unknown_data: a hex dump clipped to the captured bytes. */
function unknown(pr: Pr, p: number, ident: string, n: number): void {
  if (p > pr.r.cap) {
    pr.line.s(`${ident}Dissector error: print_unknown_data called with pointer past end of packet`);
    throw FAIL;
  }
  hexPrint(pr.line, pr.r, ident, p, n);
}

const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);
/** An IEEE float in bytes/s as tcpdump prints it: "%.3f" of (float)(f * 8 / 1000000). */
function mbps(v: number): string {
  f32u[0] = v;
  return Math.fround(Math.fround(f32[0] * 8) / 1000000).toFixed(3);
}

const MASKS: number[] = [];
for (let i = 0; i <= 32; i++) MASKS.push(i === 0 ? 0 : (0xffffffff << (32 - i)) >>> 0);
function mask2plen(m: number): number {
  for (let i = 32; i >= 0; i--) if (MASKS[i] === m) return i;
  return -1;
}

function metricText(b: number): string {
  return `${b & 0x3f}, ${b & 0x40 ? "External" : "Internal"}`;
}

/** isis_print_metric_block */
function metricBlock(pr: Pr, p: number): void {
  const { r, line } = pr;
  need(r, p, 4);
  line.s(`, Default Metric: ${metricText(r.byteAt(p))}`);
  const names = ["Delay", "Expense", "Error"];
  for (let i = 1; i < 4; i++) {
    const b = r.byteAt(p + i);
    if (!(b & 0x80)) line.s(`\n\t\t  ${names[i - 1]} Metric: ${metricText(b)}`);
  }
}

/** isis_print_tlv_ip_reach (TLVs 128 and 130) */
function ipReach(pr: Pr, p: number, ident: string, length: number): void {
  const { r, line } = pr;
  while (length > 0) {
    if (length < 12) {
      line.s(`short IPv4 Reachability (${length} vs 12)`);
      throw STOP;
    }
    if (p + 12 > r.cap) throw STOP;
    const plen = mask2plen(u32(r, p + 8));
    if (plen === -1) line.s(`${ident}IPv4 prefix: ${ip4(r, p + 4)} mask ${ip4(r, p + 8)}`);
    else line.s(`${ident}IPv4 prefix: ${ip4(r, p + 4).padStart(15)}/${plen}`);
    const d = r.byteAt(p);
    line.s(`, Distribution: ${d & 0x80 ? "down" : "up"}, Metric: ${metricText(d)}`);
    const names = ["Delay", "Expense", "Error"];
    for (let i = 1; i < 4; i++) {
      const b = r.byteAt(p + i);
      if (!(b & 0x80)) line.s(`${ident}  ${names[i - 1]} Metric: ${metricText(b)}`);
    }
    length -= 12;
    p += 12;
  }
}

/** isis_print_ip_reach_subtlv; false where tcpdump's returns 0 (it has printed " [|isis]") */
function ipReachSubtlv(pr: Pr, p: number, subt: number, subl: number, ident: string): boolean {
  const { r, line } = pr;
  line.s(`${ident}${EXT_IP_SUBTLV[subt] ?? "unknown"} subTLV #${subt}, length: ${subl}`);
  if (p + subl > r.cap) {
    line.s(" [|isis]");
    return false;
  }
  switch (subt) {
    case 117:
    case 1:
      while (subl >= 4) {
        const v = u32(r, p);
        line.s(`, 0x${x(v, 8)} (=${v})`);
        p += 4;
        subl -= 4;
      }
      break;
    case 2:
      while (subl >= 8) {
        line.s(`, 0x${x(u32(r, p), 8)}${x(u32(r, p + 4), 8)}`);
        p += 8;
        subl -= 8;
      }
      break;
    case 3: {
      const flags = u8(r, p);
      const algo = u8(r, p + 1);
      let sid: number;
      if (flags & 0x08) {
        if (subl < 5) {
          line.s(" [|isis]");
          return false;
        }
        sid = u24(r, p + 2);
      } else {
        if (subl < 6) {
          line.s(" [|isis]");
          return false;
        }
        sid = u32(r, p + 2);
      }
      line.s(`, Flags [${bits(flags, PREFIX_SID_FLAGS, "None")}], Algo ${PREFIX_SID_ALGO[algo] ?? "Unknown"} (${algo}), ${flags & 0x08 ? "label" : "index"} ${sid}`);
      break;
    }
    default:
      unknown(pr, p, "\n\t\t    ", subl);
  }
  return true;
}

/** isis_print_extd_ip_reach: the bytes used, 0 where tcpdump's returns 0 */
function extdIpReach(pr: Pr, p: number, ident: string, v6: boolean): number {
  const { r, line } = pr;
  const metric = u32(r, p);
  let processed = 4;
  p += 4;
  let status: number;
  let bitlen: number;
  if (!v6) {
    status = u8(r, p);
    p++;
    bitlen = status & 0x3f;
    if (bitlen > 32) {
      line.s(`${ident}IPv4 prefix: bad bit length ${bitlen}`);
      return 0;
    }
    processed++;
  } else {
    status = u8(r, p);
    bitlen = u8(r, p + 1);
    if (bitlen > 128) {
      line.s(`${ident}IPv6 prefix: bad bit length ${bitlen}`);
      return 0;
    }
    p += 2;
    processed += 2;
  }
  const bytelen = (bitlen + 7) >> 3;
  need(r, p, bytelen);
  const buf = new Uint8Array(16);
  for (let i = 0; i < bytelen; i++) buf[i] = r.byteAt(p + i);
  p += bytelen;
  processed += bytelen;
  if (!v6) line.s(`${ident}IPv4 prefix: ${ipv4At(buf, 0).padStart(15)}/${bitlen}`);
  else line.s(`${ident}IPv6 prefix: ${ipv6At(buf, 0)}/${bitlen}`);
  line.s(`, Distribution: ${status & 0x80 ? "down" : "up"}, Metric: ${metric}`);
  const sub = v6 ? status & 0x20 : status & 0x40;
  if (!v6 && sub) line.s(", sub-TLVs present");
  else if (v6) line.s(`, ${status & 0x40 ? "External" : "Internal"}${sub ? ", sub-TLVs present" : ""}`);
  if (sub) {
    let sublen = u8(r, p);
    p++;
    processed += sublen + 1;
    line.s(` (${sublen})`);
    while (sublen > 0) {
      const st = u8(r, p);
      const sl = u8(r, p + 1);
      p += 2;
      if (!ipReachSubtlv(pr, p, st, sl, ident + "  ")) return 0;
      p += sl;
      sublen = (sublen - (sl + 2)) >>> 0;
    }
  }
  return processed;
}

/** isis_print_ext_is_reach (TLVs 22, 24, 222): the bytes used, 0 where tcpdump's returns 0 */
function extIsReach(pr: Pr, p: number, ident: string, type: number, rem: number): number {
  const { r, line } = pr;
  if (p + 7 > r.cap) return 0;
  if (rem < 7) return 0;
  line.s(`${ident}IS Neighbor: ${isisId(r, p, 7)}`);
  p += 7;
  rem -= 7;
  let proc = 7;
  if (type !== 24) {
    if (p + 3 > r.cap) return 0;
    if (rem < 3) return 0;
    line.s(`, Metric: ${u24(r, p)}`);
    p += 3;
    rem -= 3;
    proc += 3;
  }
  if (p + 1 > r.cap) return 0;
  if (rem < 1) return 0;
  let sum = u8(r, p);
  p++;
  rem--;
  proc++;
  line.s(`, ${sum ? "" : "no "}sub-TLVs present`);
  if (!sum) return proc;
  line.s(` (${sum})`);
  const id = ident + "  ";
  while (sum !== 0) {
    if (p + 2 > r.cap) return 0;
    if (rem < 2) {
      line.s(`${id}Remaining data in TLV shorter than a subTLV header`);
      proc += rem;
      break;
    }
    if (sum < 2) {
      line.s(`${id}Remaining data in subTLVs shorter than a subTLV header`);
      proc += sum;
      break;
    }
    const st = r.byteAt(p);
    let sl = r.byteAt(p + 1);
    p += 2;
    rem -= 2;
    sum -= 2;
    proc += 2;
    line.s(`${id}${EXT_IS_SUBTLV[st] ?? "unknown"} subTLV #${st}, length: ${sl}`);
    if (sum < sl) {
      line.s(" (remaining data in subTLVs shorter than the current subTLV)");
      proc += sum;
      break;
    }
    if (rem < sl) {
      line.s(" (> remaining tlv length)");
      proc += rem;
      break;
    }
    if (p + sl > r.cap) return 0;
    const step = (n: number) => {
      p += n;
      sl -= n;
      sum -= n;
      proc += n;
    };
    switch (st) {
      case 3:
      case 4:
      case 5:
        if (sl >= 4) {
          line.s(`, 0x${x(u32(r, p), 8)}`);
          if (sl === 8) line.s(`, 0x${x(u32(r, p + 4), 8)}`);
        }
        break;
      case 6:
      case 8:
        if (sl >= 4) line.s(`, ${ip4(r, p)}`);
        break;
      case 9:
      case 10:
        if (sl >= 4) line.s(`, ${mbps(u32(r, p))} Mbps`);
        break;
      case 11:
        if (sl >= 32) {
          for (let c = 0; c < 8; c++) {
            line.s(`${id}  TE-Class ${c}: ${mbps(u32(r, p))} Mbps`);
            step(4);
          }
        }
        break;
      case 22:
      case 12:
        if (sl === 0) break;
        line.s(`${id}Bandwidth Constraints Model ID: ${BC_MODEL[u8(r, p)] ?? "unknown"} (${u8(r, p)})`);
        step(1);
        for (let c = 0; sl !== 0; c++) {
          if (sl < 4) break;
          line.s(`${id}  Bandwidth constraint CT${c}: ${mbps(u32(r, p))} Mbps`);
          step(4);
        }
        break;
      case 18:
        if (sl >= 3) line.s(`, ${u24(r, p)}`);
        break;
      case 19:
        if (sl === 2) line.s(`, [ ${bits(u16(r, p), LINK_ATTR, "Unknown")} ] (0x${x(u16(r, p), 4)})`);
        break;
      case 20:
        if (sl >= 2) line.s(`, ${bits(u8(r, p), LINK_PROT, "none")}, Priority ${u8(r, p + 1)}`);
        break;
      case 29:
        if (sl >= 6) {
          line.s(`, LM: ${u24(r, p)}`);
          step(3);
          line.s(`, P: ${u8(r, p)}`);
          step(1);
          line.s(`, P-ID: ${u16(r, p)}`);
        }
        break;
      case 32:
        if (sl >= 8) {
          const fl = u8(r, p);
          line.s(`${id}  Flags: [${bits(fl, LAN_ADJ_SID_FLAGS, "none")}]`);
          const vf = fl & 0x20;
          const lf = fl & 0x10;
          step(1);
          line.s(`${id}  Weight: ${u8(r, p)}`);
          step(1);
          if (sl >= 6) line.s(`${id}  Neighbor System-ID: ${isisId(r, p, 6)}`);
          if (vf && lf) line.s(`${id}  Label: ${u24(r, p + 6)}`);
          else if (!vf && !lf) line.s(`${id}  Index: ${u32(r, p + 6)}`);
          else line.s(" (invalid)");
        }
        break;
      default:
        unknown(pr, p, "\n\t\t    ", sl);
    }
    p += sl;
    rem -= sl;
    sum -= sl;
    proc += sl;
  }
  return proc;
}

/** isis_print_mtid: 2, or 0 when fewer than 2 bytes are left */
function mtid(pr: Pr, p: number, ident: string, rem: number): number {
  if (rem < 2) return 0;
  const v = u16(pr.r, p);
  pr.line.s(`${ident}${MT[v & 0xfff] ?? "Reserved for IETF Consensus"} Topology (0x${x(v & 0xfff, 3)}), Flags: [${bits(v & 0xf000, MT_FLAGS, "none")}]`);
  return 2;
}

/** isis_print_mcid */
function mcid(pr: Pr, p: number): void {
  const { r, line } = pr;
  if (p + 51 > r.cap) {
    line.s(" [|isis]");
    return;
  }
  line.s(`ID: ${u8(r, p)}, Name: `);
  printjnp(line, r, p + 1, 32);
  line.s(`\n\t              Lvl: ${u16(r, p + 33)}`);
  line.s(", Digest: ");
  for (let i = 0; i < 16; i++) line.s(`${x(r.byteAt(p + 35 + i), 2)} `);
}

/** isis_print_mt_port_cap_subtlv */
function portCapSubtlv(pr: Pr, p: number, len: number): void {
  const { r, line } = pr;
  while (len > 2) {
    const st = u8(r, p);
    let sl = u8(r, p + 1);
    line.s(`\n\t       ${PORT_CAP_SUBTLV[st] ?? "unknown"} subTLV #${st}, length: ${sl}`);
    p += 2;
    len -= 2;
    if (len < sl) return void line.s(" (> containing TLV length)");
    if (p + sl > r.cap) return void line.s(" [|isis]");
    switch (st) {
      case 4:
        if (sl < 102) return void line.s(" (too short)");
        line.s("\n\t         MCID: ");
        mcid(pr, p);
        line.s("\n\t         AUX-MCID: ");
        mcid(pr, p + 51);
        p += 102;
        len -= 102;
        sl -= 102;
        break;
      case 5: {
        if (sl < 33) return void line.s(" (too short)");
        const b = u8(r, p);
        line.s(`\n\t        RES: ${b >> 5} V: ${(b >> 4) & 1} A: ${(b >> 2) & 3} D: ${b & 3}`);
        p++;
        line.s("\n\t         Digest: ");
        for (let i = 1; i <= 8; i++) {
          line.s(`${x(u32(r, p), 8)} `);
          if (i % 4 === 0 && i !== 8) line.s("\n\t                 ");
          p += 4;
        }
        len -= 33;
        sl -= 33;
        break;
      }
      case 6:
        while (sl !== 0) {
          if (sl < 4) return void line.s(" (too short)");
          line.s(`\n\t           ECT: ${x(u32(r, p), 8)}`);
          p += 4;
          len -= 4;
          sl -= 4;
          if (sl < 2) return void line.s(" (too short)");
          const w = u16(r, p);
          line.s(` BVID: ${w >> 4}, U:${(w >> 3) & 1} M:${(w >> 2) & 1} `);
          p += 2;
          len -= 2;
          sl -= 2;
        }
        break;
    }
    p += sl;
    len -= sl;
  }
}

/** isis_print_mt_capability_subtlv */
function mtCapSubtlv(pr: Pr, p: number, len: number): void {
  const { r, line } = pr;
  while (len > 2) {
    const st = u8(r, p);
    let sl = u8(r, p + 1);
    p += 2;
    len -= 2;
    line.s(`\n\t      ${MT_CAP_SUBTLV[st] ?? "unknown"} subTLV #${st}, length: ${sl}`);
    if (len < sl) return void line.s(" (> containing TLV length)");
    if (p + sl > r.cap) return void line.s(" [|isis]");
    switch (st) {
      case 1: {
        if (sl < 19) return void line.s(" (too short)");
        line.s(`\n\t        CIST Root-ID: ${x(u32(r, p), 8)}`);
        line.s(` ${x(u32(r, p + 4), 8)}`);
        line.s(`, Path Cost: ${x(u32(r, p + 8), 8)}`);
        line.s(`, Prio: ${u16(r, p + 12)}`);
        line.s(`\n\t        RES: ${u16(r, p + 14) >> 5}`);
        line.s(`, V: ${(u16(r, p + 14) >> 4) & 1}`);
        line.s(`, SPSource-ID: ${u32(r, p + 14) & 0xfffff}`);
        let trees = u8(r, p + 18);
        line.s(`, No of Trees: ${x(trees, 1)}`);
        p += 19;
        len -= 19;
        sl -= 19;
        while (trees) {
          if (sl < 8) return void line.s(" [|isis]");
          const b = u8(r, p);
          line.s(`\n\t         U:${b >> 7}, M:${(b >> 6) & 1}, A:${(b >> 5) & 1}, RES:${b & 0x1f}`);
          line.s(`, ECT: ${x(u32(r, p + 1), 8)}`);
          const w = u24(r, p + 5);
          line.s(`, BVID: ${(w >> 12) & 0xfff}, SPVID: ${w & 0xfff}`);
          p += 8;
          len -= 8;
          sl -= 8;
          trees--;
        }
        break;
      }
      case 3: {
        if (sl < 8) return void line.s(" [|isis]");
        line.s(`\n\t        BMAC: ${x(u32(r, p), 8)}`);
        line.s(x(u16(r, p + 4), 4));
        const w = u16(r, p + 6);
        line.s(`, RES: ${w >> 12}, VID: ${w & 0xfff}`);
        p += 8;
        len -= 8;
        sl -= 8;
        while (sl >= 4) {
          const v = u32(r, p);
          line.s(`\n\t        T: ${v >>> 31}, R: ${(v >>> 30) & 1}, RES: ${(v >>> 24) & 0x3f}, ISID: ${v & 0xffffff}`);
          p += 4;
          len -= 4;
          sl -= 4;
        }
        break;
      }
    }
    p += sl;
    len -= sl;
  }
}

/** isis_print_router_cap_subtlv */
function routerCapSubtlv(pr: Pr, p: number, tlen: number): void {
  const { r, line } = pr;
  while (tlen >= 2) {
    const st = u8(r, p);
    const sl = u8(r, p + 1);
    tlen -= 2;
    p += 2;
    line.s(`\n\t\t${ROUTER_CAP_SUBTLV[st] ?? "unknown"} subTLV #${st}, length: ${sl}`);
    if (sl > tlen) break;
    if (p + sl > r.cap) return;
    if (st === 2) {
      const flags = u8(r, p);
      const range = u24(r, p + 1);
      line.s(`, Flags [${bits(flags, SR_CAP_FLAGS, "None")}], Range ${range}`);
      let q = p + 4;
      let stl = (sl - 4) & 0xff;
      while (stl >= 5) {
        const type = u8(r, q);
        const len = u8(r, q + 1);
        stl -= 2;
        q += 2;
        if (len > stl) break;
        if (type === 1) {
          if (len === 3) line.s(`, SID value ${u24(r, q)}`);
          else if (len === 4) line.s(`, SID value ${u32(r, q)}`);
          else line.s(`, Unknown SID length${len}`);
        } else unknown(pr, q, "\n\t\t  ", len);
        q += len;
        stl -= len;
      }
    } else unknown(pr, p, "\n\t\t", sl);
    tlen -= sl;
    p += sl;
  }
}

/** The TLVs of a PDU from p, packetLen bytes; `length` is the PDU length for the checksum TLV. */
function tlvs(pr: Pr, p: number, packetLen: number, length: number): void {
  const { r, line, v } = pr;
  const I = "\n\t      ";
  while (packetLen > 0) {
    need(r, p, 2);
    if (packetLen < 2) throw CUT;
    const type = r.byteAt(p);
    const tlvLen = r.byteAt(p + 1);
    p += 2;
    packetLen -= 2;
    let tlen = tlvLen;
    let q = p;
    line.s(`\n\t    ${TLV[type] ?? "unknown"} TLV #${type}, length: ${tlvLen}`);
    if (packetLen < tlvLen) throw CUT;
    // each case: `break tlv` is tcpdump's tlv_trunc (skip the rest of this TLV)
    tlv: switch (type) {
      case 1:
        while (tlen !== 0) {
          const alen = u8(r, q);
          q++;
          tlen--;
          if (tlen < alen) break tlv;
          need(r, q, alen);
          line.s(`${I}Area address (length: ${alen}): ${nsapText(r, q, alen)}`);
          q += alen;
          tlen -= alen;
        }
        break;
      case 6:
        while (tlen !== 0) {
          if (tlen < 6) break tlv;
          line.s(`${I}SNPA: ${isisId(r, q, 6)}`);
          tlen -= 6;
          q += 6;
        }
        break;
      case 7: {
        if (tlen < 4) break;
        const n = (tlen - 2) >> 1;
        line.s(`${I}Instance ID: ${u16(r, q)}, ITIDs(${n})${n ? ":" : ""} `);
        q += 2;
        for (let i = 0; i < n; i++) {
          line.s(String(u16(r, q)));
          if (i < n - 1) line.s(", ");
          q += 2;
        }
        break;
      }
      case 8:
        break;
      case 222:
      case 24:
      case 22: {
        if (type === 222) {
          const m = mtid(pr, q, I, tlen);
          if (m === 0) throw CUT;
          q += m;
          tlen -= m;
        }
        while (tlen !== 0) {
          const n = extIsReach(pr, q, I, type, tlen);
          if (n === 0) throw CUT;
          if (tlen < n) {
            line.s(` [remaining tlv length ${tlen} < ${n}] (invalid)`);
            break;
          }
          tlen = (tlen - n) & 0xff;
          q += n & 0xff;
        }
        break;
      }
      case 2:
        if (tlen < 1) break;
        {
          const vf = u8(r, q);
          line.s(`${I}${vf === 0 ? "IsNotVirtual" : vf === 1 ? "IsVirtual" : `bogus virtual flag 0x${x(vf, 2)}`}`);
        }
        q++;
        tlen--;
        while (tlen !== 0) {
          if (tlen < 11) break tlv;
          need(r, q, 11);
          line.s(`${I}IS Neighbor: ${isisId(r, q + 4, 7)}`);
          metricBlock(pr, q);
          tlen -= 11;
          q += 11;
        }
        break;
      case 3:
        while (tlen !== 0) {
          if (tlen < 10) break tlv;
          need(r, q, 10);
          line.s(`${I}ES Neighbor: ${isisId(r, q + 4, 6)}`);
          metricBlock(pr, q);
          tlen -= 10;
          q += 10;
        }
        break;
      case 128:
      case 130:
        ipReach(pr, p, I, tlvLen);
        break;
      case 135:
      case 235:
      case 236:
      case 237: {
        if (type === 235 || type === 237) {
          const m = mtid(pr, q, I, tlen);
          if (m === 0) throw CUT;
          q += m;
          tlen -= m;
        }
        while (tlen !== 0) {
          const n = extdIpReach(pr, q, I, type === 236 || type === 237);
          if (n === 0) throw CUT;
          if (tlen < n) {
            line.s(` [remaining tlv length ${tlen} < ${n}] (invalid)`);
            break;
          }
          tlen = (tlen - n) & 0xff;
          q += n & 0xff;
        }
        break;
      }
      case 232:
        while (tlen !== 0) {
          if (tlen < 16) break tlv;
          line.s(`${I}IPv6 interface address: ${ip6(r, q)}`);
          q += 16;
          tlen -= 16;
        }
        break;
      case 10: {
        if (tlen < 1) break;
        const at = u8(r, q);
        q++;
        tlen--;
        line.s(`${I}${AUTH[at] ?? `unknown Authentication type 0x${x(at, 2)}`}: `);
        if (at === 1) printjnp(line, r, q, tlen);
        else if (at === 54) {
          for (let i = 0; i < tlen; i++) line.s(x(u8(r, q + i), 2));
          if (tlen !== 16) line.s(", (invalid subTLV) ");
          line.s(" (unchecked)");
        } else if (at === 3) {
          if (tlen < 2) break;
          line.s(`${u16(r, q)}, password: `);
          q += 2;
          tlen -= 2;
          for (let i = 0; i < tlen; i++) line.s(x(u8(r, q + i), 2));
        } else unknown(pr, q, "\n\t\t  ", tlen);
        break;
      }
      case 240:
        if (tlen >= 1) {
          const s = u8(r, q);
          line.s(`${I}Adjacency State: ${PTP_ADJ[s] ?? "unknown"} (${s})`);
          tlen--;
        }
        if (tlen > 4) {
          line.s(`${I}Extended Local circuit-ID: 0x${x(u32(r, q + 1), 8)}`);
          tlen -= 4;
        }
        if (tlen >= 6) {
          line.s(`${I}Neighbor System-ID: ${isisId(r, q + 5, 6)}`);
          tlen -= 6;
        }
        if (tlen >= 4) line.s(`${I}Neighbor Extended Local circuit-ID: 0x${x(u32(r, q + 11), 8)}`);
        break;
      case 129:
        line.s(`${I}NLPID(s): `);
        while (tlen !== 0) {
          const n = u8(r, q);
          line.s(`${NLPID_NAMES[n] ?? "unknown"} (0x${x(n, 2)})`);
          if (tlen > 1) line.s(", ");
          q++;
          tlen--;
        }
        break;
      case 143: {
        if (tlen < 2) break;
        const w = u16(r, q);
        line.s(`\n\t       RES: ${w >> 12}, MTID(s): ${w & 0xfff}`);
        q += 2;
        tlen -= 2;
        if (tlen) portCapSubtlv(pr, q, tlen);
        break;
      }
      case 144: {
        if (tlen < 2) break;
        const w = u16(r, q);
        line.s(`${I}O: ${(w >> 15) & 1}, RES: ${(w >> 12) & 7}, MTID(s): ${w & 0xfff}`);
        q += 2;
        tlen -= 2;
        if (tlen) mtCapSubtlv(pr, q, tlen);
        break;
      }
      case 134:
        if (tlen < 4) break;
        line.s(`${I}Traffic Engineering Router ID: ${ip4(r, p)}`);
        break;
      case 132:
        while (tlen !== 0) {
          if (tlen < 4) break tlv;
          line.s(`${I}IPv4 interface address: ${ip4(r, q)}`);
          q += 4;
          tlen -= 4;
        }
        break;
      case 137:
        line.s(`${I}Hostname: `);
        printjnp(line, r, q, tlen);
        break;
      case 138:
        if (tlen < 7) break;
        line.s(`${I}IS Neighbor: ${isisId(r, q, 7)}`);
        q += 7;
        tlen -= 7;
        if (tlen < 1) break;
        line.s(`, Flags: [${u8(r, q) & 1 ? "numbered" : "unnumbered"}]`);
        q++;
        tlen--;
        if (tlen < 4) break;
        line.s(`${I}IPv4 interface address: ${ip4(r, q)}`);
        q += 4;
        tlen -= 4;
        if (tlen < 4) break;
        line.s(`${I}IPv4 neighbor address: ${ip4(r, q)}`);
        q += 4;
        tlen -= 4;
        while (tlen !== 0) {
          if (tlen < 4) break tlv;
          line.s(`${I}Link-ID: 0x${x(u32(r, q), 8)}`);
          q += 4;
          tlen -= 4;
        }
        break;
      case 9:
        while (tlen !== 0) {
          if (tlen < 16) break tlv;
          need(r, q + 9, 1);
          line.s(`${I}lsp-id: ${isisId(r, q + 2, 8)}`);
          line.s(`, seq: 0x${x(u32(r, q + 10), 8)}`);
          line.s(`, lifetime: ${String(u16(r, q)).padStart(5)}s`);
          line.s(`, chksum: 0x${x(u16(r, q + 14), 4)}`);
          tlen -= 16;
          q += 16;
        }
        break;
      case 12:
        if (tlen < 2) break;
        need(r, q, 2);
        line.s(`${I}checksum: 0x${x(u16(r, q), 4)} `);
        osiCksum(pr, pr.o, u16(r, q), q - pr.o, length);
        break;
      case 13: {
        if (tlen < 1) break;
        const n = u8(r, q);
        q++;
        tlen--;
        if (n === 0) line.s(" No system IDs supplied");
        else {
          if (tlen < 6) break;
          line.s(`${I}Purge Originator System-ID: ${isisId(r, q, 6)}`);
          q += 6;
          tlen -= 6;
          if (n > 1) {
            if (tlen < 6) break;
            need(r, q, 13);
            line.s(`${I}Received from System-ID: ${isisId(r, q, 6)}`);
          }
        }
        break;
      }
      case 229:
        while (tlen !== 0) {
          if (tlen !== 1) {
            const m = mtid(pr, q, I, tlen);
            if (m === 0) throw CUT;
            q += m;
            tlen -= m;
          } else {
            line.s(`${I}invalid MT-ID`);
            break;
          }
        }
        break;
      case 211:
        if (tlen < 1) break;
        line.s(`${I}Flags [${bits(u8(r, q), RESTART_FLAGS, "none")}]`);
        q++;
        tlen--;
        if (tlen === 0 || tlen < 2) break;
        line.s(`, Remaining holding time ${u16(r, q)}s`);
        q += 2;
        tlen -= 2;
        if (tlen === 6) line.s(`, for ${isisId(r, q, 6)}`);
        break;
      case 131: {
        if (tlen < 1) break;
        const it = u8(r, q);
        line.s(`${I}Inter-Domain Information Type: ${IDRP[it] ?? `Unknown (0x${x(it, 2)})`}`);
        q++;
        tlen--;
        if (it === 2) {
          if (tlen < 2) break;
          line.s(`AS Number: ${u16(r, q)}`);
        } else unknown(pr, q, I, tlen);
        break;
      }
      case 14:
        if (tlen < 2) break;
        line.s(`${I}LSP Buffersize: ${u16(r, q)}`);
        break;
      case 4:
        while (tlen !== 0) {
          if (tlen < 6) break tlv;
          line.s(`${I}${isisId(r, q, 6)}`);
          q += 6;
          tlen -= 6;
        }
        break;
      case 5:
        if (tlen < 4) break;
        need(r, q, 4);
        line.s(`${I}Metric Block`);
        metricBlock(pr, q);
        q += 4;
        tlen -= 4;
        while (tlen !== 0) {
          const pl = u8(r, q);
          q++;
          tlen--;
          if (pl < 2) {
            line.s(`\n\t\tAddress: prefix length ${pl} < 2`);
            break;
          }
          if (tlen < pl >> 1) break;
          need(r, q, pl >> 1);
          line.s(`\n\t\tAddress: ${nsapText(r, q, pl >> 1)}/${pl * 4}`);
          q += pl >> 1;
          tlen -= pl >> 1;
        }
        break;
      case 241:
        if (tlen < 4) break;
        line.s(`${I}Sequence number: ${u32(r, q)}`);
        break;
      case 242:
        if (tlen < 5) {
          line.s(` [object length ${tlen} < 5] (invalid)`);
          break;
        }
        line.s(`${I}Router-ID ${ip4(r, q)}`);
        line.s(`, Flags [${bits(u8(r, q + 4), ROUTER_CAP_FLAGS, "none")}]`);
        if (tlen > 5) routerCapSubtlv(pr, q + 5, tlen - 5);
        break;
      case 250: {
        if (tlen < 3) break;
        const oui = u24(r, q);
        line.s(`${I}Vendor: ${OUI[oui] ?? "Unknown"} (${oui})`);
        q += 3;
        tlen -= 3;
        if (tlen !== 0) unknown(pr, q, "\n\t\t", tlen);
        break;
      }
      default:
        if (v <= 1) unknown(pr, p, "\n\t\t", tlvLen);
    }
    if (v > 1) unknown(pr, p, I, tlvLen);
    p += tlvLen;
    packetLen -= tlvLen;
  }
}

/** tcpdump's create_osi_cksum (ISO 8473 annex C Fletcher checksum with the check bytes at `off`) */
export function osiChecksum(r: Reader, p: number, off: number, length: number): number {
  let c0 = 0;
  let c1 = 0;
  for (let i = 0; i < length; i++) {
    if (i !== off && i !== off + 1) c0 += r.byteAt(p + i);
    c1 += c0;
    if ((i & 0xfff) === 0xfff) {
      c0 %= 255;
      c1 %= 255;
    }
  }
  c0 %= 255;
  c1 %= 255;
  const mul = Math.imul(length - off, c0) >>> 0;
  let xx = (mul - c0 - c1) | 0;
  let yy = (c1 - mul - 1) | 0;
  if (yy >= 0) yy++;
  if (xx < 0) xx--;
  xx %= 255;
  yy %= 255;
  if (xx === 0) xx = 255;
  if (yy === 0) yy = 255;
  return ((xx << 8) | (yy & 0xff)) & 0xffff;
}

/** osi_print_cksum */
function osiCksum(pr: Pr, p: number, cksum: number, off: number, length: number): void {
  const r = pr.r;
  length = length >>> 0;
  if (!cksum || off < 0 || p + off + 2 > r.cap || off > length || p + length > r.cap) {
    pr.line.s(" (unverified)");
    return;
  }
  const c = osiChecksum(r, p, off, length);
  pr.line.s(c === cksum ? " (correct)" : ` (incorrect should be 0x${x(c, 4)})`);
}

const HDR: Readonly<Record<number, number>> = { 15: 19, 16: 19, 17: 12, 18: 19, 20: 19, 24: 25, 25: 25, 26: 9, 27: 9 };

function treeHeader(r: Reader, t: TreeSink, o: number, type: number): void {
  const has = (n: number) => r.has(o - r.pos + n);
  const add = (f: (typeof F)[keyof typeof F], off: number, n: number, v?: number | string) => {
    if (!has(off + n)) return;
    const val = v ?? (n === 1 ? r.byteAt(o + off) : n === 2 ? (r.byteAt(o + off) << 8) | r.byteAt(o + off + 1) : u32(r, o + off));
    t.add(f, val, o + off, n);
  };
  add(F.irpd, 0, 1);
  add(F.len, 1, 1);
  add(F.version, 2, 1);
  add(F.sysid_len, 3, 1);
  if (has(5)) t.add(F.type, r.byteAt(o + 4) & 0x1f, o + 4, 1);
  add(F.version2, 5, 1);
  add(F.reserved, 6, 1);
  add(F.max_area_adr, 7, 1);
  if (type === 15 || type === 16 || type === 17) {
    if (has(9)) t.add(F["hello.circuit_type"], r.byteAt(o + 8) & 3, o + 8, 1);
    if (has(15)) t.add(F["hello.source_id"], idAt(r, o + 9, 6), o + 9, 6);
    add(F["hello.holding_timer"], 15, 2);
    add(F["hello.pdu_length"], 17, 2);
    if (type === 17) add(F["hello.local_circuit_id"], 19, 1);
    else {
      if (has(20)) t.add(F["hello.priority"], r.byteAt(o + 19) & 0x7f, o + 19, 1);
      if (has(27)) t.add(F["hello.lan_id"], idAt(r, o + 20, 7), o + 20, 7);
    }
  } else if (type === 18 || type === 20) {
    add(F["lsp.pdu_length"], 8, 2);
    add(F["lsp.remaining_life"], 10, 2);
    if (has(20)) t.add(F["lsp.lsp_id"], idAt(r, o + 12, 8), o + 12, 8);
    add(F["lsp.sequence_number"], 20, 4);
    add(F["lsp.checksum"], 24, 2);
    if (has(27)) t.add(F["lsp.is_type"], r.byteAt(o + 26) & 3, o + 26, 1);
  } else if (type === 24 || type === 25) {
    add(F["csnp.pdu_length"], 8, 2);
    if (has(17)) t.add(F["csnp.source_id"], idAt(r, o + 10, 7), o + 10, 7);
    if (has(25)) t.add(F["csnp.start_lsp_id"], idAt(r, o + 17, 8), o + 17, 8);
    if (has(33)) t.add(F["csnp.end_lsp_id"], idAt(r, o + 25, 8), o + 25, 8);
  } else if (type === 26 || type === 27) {
    add(F["psnp.pdu_length"], 8, 2);
    if (has(17)) t.add(F["psnp.source_id"], idAt(r, o + 10, 7), o + 10, 7);
  }
}

/** The TLVs' type / length (and the LSP hostname) in the tree, walking only captured bytes. */
function treeTlvs(r: Reader, t: TreeSink, p: number, end: number, lsp: boolean): void {
  for (let guard = 0; p + 2 <= end && p + 2 <= r.cap && guard < 1024; guard++) {
    const type = r.byteAt(p);
    const len = r.byteAt(p + 1);
    t.add(F["tlv.type"], type, p, 1);
    t.add(F["tlv.length"], len, p + 1, 1);
    if (lsp && type === 137 && p + 2 + len <= r.cap) t.add(F["lsp.hostname"], r.latin1At(p + 2, len), p + 2, len);
    p += 2 + len;
  }
}

export const ISIS: Protocol = {
  id: "isis",
  name: "ISIS",
  title: "ISO 10589 ISIS InTRA Domain Routeing Information Exchange Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const o = r.pos;
    const wire = r.reportedRemaining;
    let length = wire;
    const line = ctx.line;
    const e = ctx.opts.linkHeader;
    const v = ctx.opts.verbose;
    const cut = () => {
      r.truncated = true;
      r.pos = r.cap;
    };
    if (!r.has(8) || length < 8) return cut();
    const type = r.peek(4);
    if (t.on) treeHeader(r, t, o, type & 0x1f);
    const pr: Pr = { r, line, v, o };
    if (!e) line.s("IS-IS");
    const fail = () => {
      hexPrint(line, r, "\n\t", o, wire);
      r.pos = r.cap;
    };
    const version = r.peek(2);
    if (version !== 1) {
      line.s(`version ${version} packet not supported`);
      return fail();
    }
    const idLen = r.peek(3);
    if (idLen !== 6 && idLen !== 0) {
      line.s(`system ID length of ${idLen} is not supported`);
      return fail();
    }
    const pduVersion = r.peek(5);
    if (pduVersion !== 1) {
      line.s(`version ${pduVersion} packet not supported`);
      return fail();
    }
    const fixed = r.peek(1);
    if (length < fixed) {
      line.s(`fixed header length ${fixed} > packet length ${length}`);
      return fail();
    }
    if (fixed < 8) {
      line.s(`fixed header length ${fixed} < minimum header size 8`);
      return fail();
    }
    const maxArea = r.peek(7);
    if (maxArea === 255) {
      line.s("bad packet -- 255 areas");
      return fail();
    }
    const sep = e ? "" : ", ";
    if (v === 0) line.s(sep + (PDU[type] ?? `unknown PDU-Type ${type}`));
    else {
      line.s(`${sep}length ${length}`);
      line.s(`\n\t${PDU[type] ?? `unknown, type ${type}`}, hlen: ${fixed}, v: ${version}, pdu-v: ${pduVersion}, sys-id-len: 6 (${idLen}), max-area: ${maxArea === 0 ? 3 : maxArea} (${maxArea})`);
      if (v > 1) hexPrint(line, r, "\n\t", o, 8);
    }
    const hdr = HDR[type];
    if (hdr === undefined) {
      if (v === 0) {
        line.s(`, length ${length}`);
        r.pos = r.cap;
        return;
      }
      hexPrint(line, r, "\n\t  ", o + 8, length);
      return fail();
    }
    if (fixed !== 8 + hdr) {
      const should = type === 18 || type === 20 ? hdr : 8 + hdr;
      line.s(`${type === 26 || type === 27 ? "- " : ", "}bogus fixed header length ${fixed} should be ${should}`);
      return fail();
    }
    if (!r.has(8 + hdr) || length < 8 + hdr) return cut();
    const id = (off: number, n: number) => isisId(r, o + off, n);
    const p16 = (off: number) => r.peek16(off);
    if (v === 0) {
      if (type === 15 || type === 16) line.s(`, src-id ${id(9, 6)}, lan-id ${id(20, 7)}, prio ${r.peek(19)}`);
      else if (type === 17) line.s(`, src-id ${id(9, 6)}`);
      else if (type === 18 || type === 20) line.s(`, lsp-id ${id(12, 8)}, seq 0x${x(r.peek32(20), 8)}, lifetime ${String(p16(10)).padStart(5)}s`);
      else line.s(`, src-id ${id(10, 7)}`);
      line.s(`, length ${length}`);
      r.pos = r.cap;
      return;
    }
    let packetLen = length;
    const pduLen = p16(type === 15 || type === 16 || type === 17 ? 17 : 8);
    if (packetLen > pduLen) {
      packetLen = pduLen;
      length = pduLen;
    }
    if (type === 15 || type === 16) {
      const ct = r.peek(8);
      line.s(`\n\t  source-id: ${id(9, 6)},  holding time: ${p16(15)}s, Flags: [${CIRCUIT[ct] ?? `unknown circuit type 0x${x(ct, 2)}`}]`);
      line.s(`\n\t  lan-id:    ${id(20, 7)}, Priority: ${r.peek(19) & 0x7f}, PDU length: ${pduLen}`);
    } else if (type === 17) {
      const ct = r.peek(8);
      line.s(`\n\t  source-id: ${id(9, 6)}, holding time: ${p16(15)}s, Flags: [${CIRCUIT[ct] ?? `unknown circuit type 0x${x(ct, 2)}`}]`);
      line.s(`\n\t  circuit-id: 0x${x(r.peek(19), 2)}, PDU length: ${pduLen}`);
    } else if (type === 18 || type === 20) {
      const ck = p16(24);
      line.s(`\n\t  lsp-id: ${id(12, 8)}, seq: 0x${x(r.peek32(20), 8)}, lifetime: ${String(p16(10)).padStart(5)}s\n\t  chksum: 0x${x(ck, 4)}`);
      osiCksum(pr, o + 12, ck, 12, length - 12);
      const tb = r.peek(26);
      line.s(`, PDU length: ${pduLen}, Flags: [ ${tb & 4 ? "Overload bit set, " : ""}`);
      if (tb & 0x78) line.s(`${tb & 8 ? "default " : ""}${tb & 0x10 ? "delay " : ""}${tb & 0x20 ? "expense " : ""}${tb & 0x40 ? "error " : ""}ATT bit set, `);
      line.s(`${tb & 0x80 ? "P bit set, " : ""}${ISTYPE[tb & 3]} ]`);
    } else if (type === 24 || type === 25) {
      line.s(`\n\t  source-id:    ${id(10, 7)}, PDU length: ${pduLen}`);
      line.s(`\n\t  start lsp-id: ${id(17, 8)}`);
      line.s(`\n\t  end lsp-id:   ${id(25, 8)}`);
    } else {
      line.s(`\n\t  source-id:    ${id(10, 7)}, PDU length: ${pduLen}`);
    }
    if (v > 1) hexPrint(line, r, "\n\t  ", o + 8, hdr);
    if (packetLen < 8 + hdr) {
      line.s(` [packet length ${packetLen} < ${8 + hdr}] (invalid)`);
      r.pos = r.cap;
      return;
    }
    packetLen -= 8 + hdr;
    if (t.on) treeTlvs(r, t, o + 8 + hdr, o + length, type === 18 || type === 20);
    try {
      tlvs(pr, o + 8 + hdr, packetLen, length);
    } catch (err) {
      if (err === CUT) return cut();
      if (err === FAIL) return fail();
      if (err !== STOP) throw err;
    }
    r.pos = r.cap;
  },
};

bind("osi.nlpid", 0x83, ISIS);

