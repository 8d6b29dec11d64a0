/**
 * ATA over Ethernet (ethertype 0x88a2), as tcpdump 4.99's aoe_print (print-aoe.c) prints it:
 *   "AoE length 46, Ver 1, Flags: [Response]"
 * and with -v the common header (error, major, minor, command, tag) and each command's arguments (ATA
 * command flags, LBA bytes and data length; query config counts and config string; MAC mask directives;
 * reserve list). A field that runs past the captured bytes ends the line with " [|aoe]"; an argument shorter
 * than its command's minimum prints " (invalid)".
 * Fields use Wireshark's names (aoe.version, aoe.response, aoe.flags_error, aoe.major, aoe.minor, aoe.cmd, aoe.tag).
 */
import { bind } from "../registry.js";
import { macAt, printChar } from "../format.js";
import { fields, type Protocol } from "../types.js";
import type { Line } from "../line.js";
import type { Reader } from "../reader.js";

const CMD: Readonly<Record<number, string>> = { 0: "Issue ATA Command", 1: "Query Config Information", 2: "MAC Mask List", 3: "Reserve/Release" };
const ERR: Readonly<Record<number, string>> = {
  1: "Unrecognized command code",
  2: "Bad argument parameter",
  3: "Device unavailable",
  4: "Config string present",
  5: "Unsupported version",
  6: "Target is reserved",
};
const CCMD: Readonly<Record<number, string>> = { 0: "read config string", 1: "test config string", 2: "test config string prefix", 3: "set config string", 4: "force set config string" };
const MCMD: Readonly<Record<number, string>> = { 0: "Read Mac Mask List", 1: "Edit Mac Mask List" };
const MERROR: Readonly<Record<number, string>> = { 1: "Unspecified Error", 2: "Bad DCmd directive", 3: "Mask list full" };
const DCMD: Readonly<Record<number, string>> = { 0: "No Directive", 1: "Add mac address to mask list", 2: "Delete mac address from mask list" };
const RCMD: Readonly<Record<number, string>> = { 0: "Read reserve list", 1: "Set reserve list", 2: "Force set reserve list" };
const FLAGS: Array<[number, string]> = [
  [0x08, "Response"],
  [0x04, "Error"],
  [0x02, "MBZ-1"],
  [0x01, "MBZ-0"],
];
const AFLAGS: Array<[number, string]> = [
  [0x80, "MBZ-7"],
  [0x40, "Ext48"],
  [0x20, "MBZ-5"],
  [0x10, "Device"],
  [0x08, "MBZ-3"],
  [0x04, "MBZ-2"],
  [0x02, "Async"],
  [0x01, "Write"],
];

const F = fields("aoe", {
  version: ["Version", "uint"],
  response: ["Response flag", "bool"],
  flags_error: ["Error flag", "bool"],
  error: ["Error", "uint", { values: ERR }],
  major: ["Major", "uint", { base: "hex" }],
  minor: ["Minor", "uint", { base: "hex" }],
  cmd: ["Command", "uint", { values: CMD }],
  tag: ["Tag", "uint", { base: "hex" }],
});

function bits(v: number, names: Array<[number, string]>): string {
  let s = "";
  for (const [b, n] of names) if (v & b) s += s ? `, ${n}` : n;
  return s || "none";
}

/** Thrown where tcpdump's GET_ macros would end the line with " [|aoe]"; caught in dissect. */
const CUT = { cut: true };

class At {
  constructor(
    readonly r: Reader,
    readonly line: Line,
  ) {}
  u8(p: number): number {
    if (p + 1 > this.r.cap) throw CUT;
    return this.r.byteAt(p);
  }
  u16(p: number): number {
    if (p + 2 > this.r.cap) throw CUT;
    return (this.r.byteAt(p) << 8) | this.r.byteAt(p + 1);
  }
  u32(p: number): number {
    if (p + 4 > this.r.cap) throw CUT;
    return ((this.r.byteAt(p) << 24) | (this.r.byteAt(p + 1) << 16) | (this.r.byteAt(p + 2) << 8) | this.r.byteAt(p + 3)) >>> 0;
  }
  mac(p: number): string {
    if (p + 6 > this.r.cap) throw CUT;
    return macAt(this.r.data, p);
  }
  /** nd_print_invalid then ND_TCHECK_LEN(cp, len) */
  invalid(p: number, len: number): void {
    this.line.s(" (invalid)");
    if (p + len > this.r.cap) throw CUT;
  }
}

function hexb(v: number, w: number): string {
  return v.toString(16).padStart(w, "0");
}

function issue(a: At, p: number, len: number): void {
  if (len < 12) return a.invalid(p, len);
  const { line } = a;
  line.s(`\n\tAFlags: [${bits(a.u8(p), AFLAGS)}]`);
  line.s(`, Err/Feature: ${a.u8(p + 1)}`);
  line.s(`, Sector Count: ${a.u8(p + 2)}`);
  line.s(`, Cmd/Status: ${a.u8(p + 3)}`);
  line.s(`\n\tlba0: ${a.u8(p + 4)}`);
  for (let i = 1; i < 6; i++) line.s(`, lba${i}: ${a.u8(p + 4 + i)}`);
  if (p + 12 > a.r.cap) throw CUT;
  len -= 12;
  if (len) line.s(`\n\tData: ${len} bytes`);
}

function query(a: At, p: number, len: number): void {
  if (len < 8) return a.invalid(p, len);
  const { line } = a;
  line.s(`\n\tBuffer Count: ${a.u16(p)}`);
  line.s(`, Firmware Version: ${a.u16(p + 2)}`);
  line.s(`, Sector Count: ${a.u8(p + 4)}`);
  const b = a.u8(p + 5);
  line.s(`, AoE: ${b >> 4}, CCmd: ${CCMD[b & 0x0f] ?? "Unknown (0x02x)"}`);
  const cslen = a.u16(p + 6);
  p += 8;
  len -= 8;
  if (cslen > 1024 || cslen > len) return a.invalid(p, len);
  if (cslen) {
    line.s(`\n\tConfig String (length ${cslen}): `);
    for (let i = 0; i < cslen; i++) {
      line.s(printChar(a.u8(p + i)));
    }
  }
}

function mac(a: At, p: number, len: number): void {
  if (len < 4) return a.invalid(p, len);
  const { line } = a;
  line.s(`\n\tMCmd: ${MCMD[a.u8(p + 1)] ?? `Unknown (0x${hexb(a.u8(p + 1), 2)})`}`);
  line.s(`, MError: ${MERROR[a.u8(p + 2)] ?? `Unknown (0x${hexb(a.u8(p + 2), 2)})`}`);
  const n = a.u8(p + 3);
  p += 4;
  len -= 4;
  line.s(`, Dir Count: ${n}`);
  if (n * 8 > len) return a.invalid(p, len);
  for (let i = 0; i < n; i++) {
    const d = a.u8(p + 1);
    line.s(`\n\t DCmd: ${DCMD[d] ?? `Unknown (0x${hexb(d, 2)})`}`);
    line.s(`, Ethernet Address: ${a.mac(p + 2)}`);
    p += 8;
  }
}

function reserve(a: At, p: number, len: number): void {
  if (len < 2 || (len - 2) % 6) return a.invalid(p, len);
  const { line } = a;
  const rc = a.u8(p);
  line.s(`\n\tRCmd: ${RCMD[rc] ?? `Unknown (0x${hexb(rc, 2)})`}`);
  const n = a.u8(p + 1);
  p += 2;
  len -= 2;
  line.s(`, NMacs: ${n}`);
  if (n * 6 !== len) return a.invalid(p, len);
  for (let i = 0; i < n; i++) {
    line.s(`\n\tEthernet Address ${i}: ${a.mac(p)}`);
    p += 6;
  }
}

export const AOE: Protocol = {
  id: "aoe",
  name: "AoE",
  title: "ATAoverEthernet",
  fields: F,
  dissect(r, ctx, t) {
    const o = r.pos;
    const len = r.reportedRemaining;
    const line = ctx.line;
    const a = new At(r, line);
    line.s(`AoE length ${len}`);
    try {
      if (len < 1) return a.invalid(o, len);
      const vf = a.u8(o);
      const ver = vf >> 4;
      line.s(`, Ver ${ver}`);
      if (t.on) t.add(F.version, ver, o, 1);
      if (ver !== 1) return;
      if (len < 10) return a.invalid(o, len);
      const flags = vf & 0x0f;
      line.s(`, Flags: [${bits(flags, FLAGS)}]`);
      if (t.on) {
        t.add(F.response, (flags & 0x08) !== 0, o, 1);
        t.add(F.flags_error, (flags & 0x04) !== 0, o, 1);
        if (r.has(2)) t.add(F.error, r.peek(1), o + 1, 1);
        if (r.has(4)) t.add(F.major, r.peek16(2), o + 2, 2);
        if (r.has(5)) t.add(F.minor, r.peek(4), o + 4, 1);
        if (r.has(6)) t.add(F.cmd, r.peek(5), o + 5, 1);
        if (r.has(10)) t.add(F.tag, r.peek32(6), o + 6, 4);
      }
      if (!ctx.opts.verbose) return;
      if (flags & 0x04) line.s(`\n\tError: ${ERR[a.u8(o + 1)] ?? `Invalid (${a.u8(o + 1)})`}`);
      line.s(`\n\tMajor: 0x${hexb(a.u16(o + 2), 4)}`);
      line.s(`, Minor: 0x${hexb(a.u8(o + 4), 2)}`);
      const cmd = a.u8(o + 5);
      line.s(`, Command: ${CMD[cmd] ?? `Unknown (0x${hexb(cmd, 2)})`}`);
      line.s(`, Tag: 0x${hexb(a.u32(o + 6), 8)}`);
      const p = o + 10;
      const rest = len - 10;
      if (cmd === 0) issue(a, p, rest);
      else if (cmd === 1) query(a, p, rest);
      else if (cmd === 2) mac(a, p, rest);
      else if (cmd === 3) reserve(a, p, rest);
    } catch (e) {
      if (e !== CUT) throw e;
      r.truncated = true;
    } finally {
      r.pos = r.cap;
    }
  },
};

bind("ethertype", 0x88a2, AOE);
