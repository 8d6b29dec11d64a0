/**
 * ARP and RARP (RFC 826, RFC 903, RFC 2390), as tcpdump's print-arp.c prints them:
 *   "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28" / "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28"
 * "ARP, " is left out with -e (the link layer already said "ethertype ARP"); -v adds the hardware and protocol
 * types. The length is what the link layer hands over (padding included), as in tcpdump.
 */
import { bind } from "../registry.js";
import { ETHERTYPE, ETHERTYPE_NAMES } from "../constants.js";
import { hex, ipv4At, macAt } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const OPCODES: Readonly<Record<number, string>> = {
  1: "Request",
  2: "Reply",
  3: "Reverse Request",
  4: "Reverse Reply",
  8: "Inverse Request",
  9: "Inverse Reply",
  10: "NACK Reply",
};
/** Wireshark's names for the opcode field */
const OPCODE_NAMES: Readonly<Record<number, string>> = {
  1: "request",
  2: "reply",
  3: "reply-reverse",
  4: "reply-reverse",
  8: "request-inverse",
  9: "reply-inverse",
  10: "arp-nak",
};
const HW_NAMES: Readonly<Record<number, string>> = {
  1: "Ethernet",
  6: "TokenRing",
  7: "ArcNet",
  15: "FrameRelay",
  19: "ATM (RFC 2225)",
  23: "Strip",
  24: "IEEE 1394",
  32: "InfiniBand",
};

/** names tcpdump has that the shared ethertype table does not */
const EXTRA_TYPES: Readonly<Record<number, string>> = { 0x9200: "802.1Q-9200", 0x1000: "Trailer" };

const F = fields("arp", {
  "hw.type": ["Hardware type", "uint", { values: HW_NAMES }],
  "proto.type": ["Protocol type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
  "hw.size": ["Hardware size", "uint"],
  "proto.size": ["Protocol size", "uint"],
  opcode: ["Opcode", "uint", { values: OPCODE_NAMES }],
  "src.hw_mac": ["Sender MAC address", "ether"],
  "src.proto_ipv4": ["Sender IP address", "ipv4"],
  "dst.hw_mac": ["Target MAC address", "ether"],
  "dst.proto_ipv4": ["Target IP address", "ipv4"],
  "src.hw": ["Sender hardware address", "bytes"],
  "dst.hw": ["Target hardware address", "bytes"],
  "src.proto": ["Sender protocol address", "bytes"],
  "dst.proto": ["Target protocol address", "bytes"],
});

/**
 * tcpdump's hex_and_ascii_print ("\n\t0x0000:  0001 0800 ...  ......"), the dump it prints for what it
 * cannot decode: 16 bytes a line, bytes read through the reader's bounds check.
 */
export function hexAsciiDump(r: Reader, p: number, n: number, indent = "\n\t"): string {
  let out = "";
  for (let off = 0; off < n; off += 16) {
    let h = "";
    let a = "";
    const m = Math.min(16, n - off);
    for (let i = 0; i < m; i++) {
      const b = r.byteAt(p + off + i);
      if (i % 2 === 0) h += " ";
      h += hex(b, 2);
      a += b > 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
    }
    out += `${indent}0x${hex(off, 4)}: ${h.padEnd(40)}  ${a}`;
  }
  return out;
}

/** Colon-separated hex of n bytes at an absolute position (read through the reader's bounds check). */
function hexAt(r: Reader, p: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += (i ? ":" : "") + hex(r.byteAt(p + i), 2);
  return s;
}

/** tcpdump's linkaddr_string: a MAC for 6 bytes, else colon-separated hex; "<empty>" for none. */
function linkAddr(r: Reader, p: number, n: number): string {
  if (n === 0) return "<empty>";
  if (n === 6) return macAt(r.data, p);
  return hexAt(r, p, n);
}

function isZero(r: Reader, p: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (r.byteAt(p + i) !== 0) return false;
  return true;
}

/** The fixed part of the header (hardware and protocol types and sizes, opcode), for the tree. */
function fixedTree(t: TreeSink, start: number, hrd: number, pro: number, hln: number, pln: number, op: number): void {
  t.add(F["hw.type"], hrd, start, 2);
  t.add(F["proto.type"], pro, start + 2, 2);
  t.add(F["hw.size"], hln, start + 4, 1);
  t.add(F["proto.size"], pln, start + 5, 1);
  t.add(F.opcode, op, start + 6, 2);
}

export const ARP: Protocol = {
  id: "arp",
  name: "ARP",
  title: "Address Resolution Protocol",
  fields: F,
  dissect(r: Reader, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    if (r.peek16() === ATM_HRD && r.has(2)) return atmArp(r, ctx, length);
    const hrd = r.u16();
    const pro = r.u16();
    const hln = r.u8();
    const pln = r.u8();
    const op = r.u16();
    const sha = start + 8;
    const spa = sha + hln;
    const tha = spa + pln;
    const tpa = tha + hln;
    const end = tpa + pln;
    if (r.truncated || end > r.cap) {
      // Wireshark shows the fixed fields, then no address when they do not all fit (a malformed packet)
      if (t.on && start + 8 <= r.cap) fixedTree(t, start, hrd, pro, hln, pln, op);
      // tcpdump checks up to the end of the target protocol address before printing anything
      r.pos = start;
      r.skip(end - start);
      return;
    }
    r.pos = end;
    const d = r.data;
    const isIp = (pro === ETHERTYPE.IPV4 || pro === 0x1000) && pln === 4; // 0x1000: trailer encapsulation
    if (isIp) {
      ctx.src = ipv4At(d, spa);
      ctx.dst = ipv4At(d, tpa);
    }
    if (t.on) {
      fixedTree(t, start, hrd, pro, hln, pln, op);
      // MAC addresses for Ethernet's hardware types only (Wireshark's ARP_HW_IS_ETHER), bytes otherwise
      const mac = hln === 6 && (hrd === 1 || hrd === 2 || hrd === 6);
      if (mac) t.add(F["src.hw_mac"], macAt(d, sha), sha, 6);
      else t.add(F["src.hw"], hexAt(r, sha, hln), sha, hln);
      if (isIp) t.add(F["src.proto_ipv4"], ipv4At(d, spa), spa, 4);
      else t.add(F["src.proto"], hexAt(r, spa, pln), spa, pln);
      if (mac) t.add(F["dst.hw_mac"], macAt(d, tha), tha, 6);
      else t.add(F["dst.hw"], hexAt(r, tha, hln), tha, hln);
      if (isIp) t.add(F["dst.proto_ipv4"], ipv4At(d, tpa), tpa, 4);
      else t.add(F["dst.proto"], hexAt(r, tpa, pln), tpa, pln);
    }
    const v = ctx.opts.verbose > 0;
    let s = ctx.opts.linkHeader ? "" : "ARP, ";
    const ipProto = pro === ETHERTYPE.IPV4 || pro === 0x1000;
    if (!ipProto || pln !== 4 || hln === 0 || v) {
      s += `${HW_NAMES[hrd] ?? `Unknown Hardware (${hrd})`} (len ${hln}), ${ETHERTYPE_NAMES[pro] ?? EXTRA_TYPES[pro] ?? `Unknown Protocol (0x${hex(pro, 4)})`} (len ${pln})`;
      if (!v) {
        ctx.line.s(`${s}, length ${length}`);
        return;
      }
      s += ", ";
    }
    const pa = ipProto && pln === 4 ? null : ipProto ? "<wrong len>" : "<wrong proto type>";
    s += `${OPCODES[op] ?? `Unknown (${op})`} `;
    switch (op) {
      case 1:
        s += `who-has ${pa ?? ipv4At(d, tpa)}`;
        if (!isZero(r, tha, hln)) s += ` (${linkAddr(r, tha, hln)})`;
        s += ` tell ${pa ?? ipv4At(d, spa)}`;
        break;
      case 2:
        s += `${pa ?? ipv4At(d, spa)} is-at ${linkAddr(r, sha, hln)}`;
        break;
      case 3:
      case 8:
        s += `who-is ${linkAddr(r, tha, hln)} tell ${linkAddr(r, sha, hln)}`;
        break;
      case 4:
        s += `${linkAddr(r, tha, hln)} at ${pa ?? ipv4At(d, tpa)}`;
        break;
      case 9:
        s += `${linkAddr(r, sha, hln)} at ${pa ?? ipv4At(d, spa)}`;
        break;
      default:
        // tcpdump dumps the captured bytes in hex and ASCII after an unknown opcode
        ctx.line.s(s + hexAsciiDump(r, start, r.cap - start));
        r.pos = r.cap;
        return;
    }
    ctx.line.s(`${s}, length ${length}`);
  },
};

const ATM_HRD = 19;

/**
 * ATMARP (RFC 2225), tcpdump's atmarp_print: its own layout, with type-and-length octets for the ATM number
 * and subaddress of each side, and "number,subaddress" addresses.
 */
function atmArp(r: Reader, ctx: Ctx, length: number): void {
  const start = r.pos;
  const hrd = r.u16();
  const pro = r.u16();
  const shtl = r.u8() & 0x3f;
  const sstl = r.u8() & 0x3f;
  const op = r.u16();
  const spln = r.u8();
  const thtl = r.u8() & 0x3f;
  const tstl = r.u8() & 0x3f;
  const tpln = r.u8();
  if (r.truncated) return;
  const sha = start + 12;
  const ssa = sha + shtl;
  const spa = ssa + sstl;
  const tha = spa + spln;
  const tsa = tha + thtl;
  const tpa = tsa + tstl;
  const end = tpa + tpln;
  if (end > r.cap) {
    r.pos = start;
    r.skip(end - start);
    return;
  }
  r.pos = end;
  const v = ctx.opts.verbose > 0;
  const ipProto = pro === ETHERTYPE.IPV4 || pro === 0x1000;
  const addr = (ha: number, hl: number, sa: number, sl: number) => (hl === 0 ? "<No address>" : hexAt(r, ha, hl) + (sl ? "," + hexAt(r, sa, sl) : ""));
  const pa = (p: number, l: number) => (!ipProto ? "<wrong proto type>" : l !== 4 ? "<wrong len>" : ipv4At(r.data, p));
  let s = ctx.opts.linkHeader ? "" : "ARP, ";
  if (!ipProto || spln !== 4 || tpln !== 4 || v) {
    s += `${HW_NAMES[hrd] ?? `Unknown Hardware (${hrd})`}, ${ETHERTYPE_NAMES[pro] ?? EXTRA_TYPES[pro] ?? `Unknown Protocol (0x${hex(pro, 4)})`} (len ${spln}/${tpln})`;
    if (!v) {
      ctx.line.s(`${s}, length ${length}`);
      return;
    }
    s += ", ";
  }
  s += `${OPCODES[op] ?? `Unknown (${op})`} `;
  switch (op) {
    case 1:
      s += `who-has ${pa(tpa, tpln)}`;
      if (thtl !== 0) s += ` (${addr(tha, thtl, tsa, tstl)})`;
      s += ` tell ${pa(spa, spln)}`;
      break;
    case 2:
      s += `${pa(spa, spln)} is-at ${addr(sha, shtl, ssa, sstl)}`;
      break;
    case 8:
      s += `who-is ${addr(tha, thtl, tsa, tstl)} tell ${addr(sha, shtl, ssa, sstl)}`;
      break;
    case 9:
      s += `${addr(sha, shtl, ssa, sstl)} at ${pa(spa, spln)}`;
      break;
    case 10:
      s += `for ${pa(spa, spln)}`;
      break;
    default:
      ctx.line.s(s + hexAsciiDump(r, start, r.cap - start));
      r.pos = r.cap;
      return;
  }
  ctx.line.s(`${s}, length ${length}`);
}

bind("ethertype", [ETHERTYPE.ARP, ETHERTYPE.RARP], ARP);
