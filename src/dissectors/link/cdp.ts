/**
 * Cisco Discovery Protocol (SNAP oui 0x00000c, pid 0x2000). tcpdump 4.99's line (print-cdp.c):
 *   "CDPv2, ttl: 180s, Device-ID 'Switch'" then, for each other TLV, its value as a hex dump on continuation
 *   lines ("\n\t  0x0000:  4369 7363 ..."), and ", length 378" at the end;
 * with -v: "CDPv2, ttl: 180s, checksum: 0xb0bd (unverified), length 378" and one line per TLV,
 *   "\n\tPlatform (0x06), value length: 20 bytes: 'cisco WS-C3560G-24PS'" (unknown TLVs as a hex dump).
 * A TLV shorter than its header ends the walk; one running off the captured bytes prints " [|cdp]".
 * Fields: Wireshark's cdp.* names.
 */
import { bind } from "../registry.js";
import { hexPrint } from "../hexprint.js";
import { hex, ipv4At, ipv6At } from "../format.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import type { Line } from "../line.js";

const TLV_NAMES: Readonly<Record<number, string>> = {
  0x01: "Device-ID",
  0x02: "Address",
  0x03: "Port-ID",
  0x04: "Capability",
  0x05: "Version String",
  0x06: "Platform",
  0x07: "Prefixes",
  0x08: "Protocol-Hello option",
  0x09: "VTP Management Domain",
  0x0a: "Native VLAN ID",
  0x0b: "Duplex",
  0x0e: "ATA-186 VoIP VLAN request",
  0x0f: "ATA-186 VoIP VLAN assignment",
  0x10: "power consumption",
  0x11: "MTU",
  0x12: "AVVID trust bitmap",
  0x13: "AVVID untrusted ports CoS",
  0x14: "System Name",
  0x15: "System Object ID (not decoded)",
  0x16: "Management Addresses",
  0x17: "Physical Location",
};
const CAPS: ReadonlyArray<readonly [number, string]> = [
  [0x01, "Router"],
  [0x02, "Transparent Bridge"],
  [0x04, "Source Route Bridge"],
  [0x08, "L2 Switch"],
  [0x10, "L3 capable"],
  [0x20, "IGMP snooping"],
  [0x40, "L1 capable"],
];

const F = fields("cdp", {
  version: ["Version", "uint"],
  ttl: ["TTL", "uint"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  tlvType: ["Type", "uint", { name: "cdp.tlv.type", base: "hex", values: TLV_NAMES }],
  tlvLen: ["Length", "uint", { name: "cdp.tlv.len" }],
  deviceid: ["Device ID", "string"],
  platform: ["Platform", "string"],
  portid: ["Sent through Interface", "string"],
  capabilities: ["Capabilities", "uint", { base: "hex" }],
  vtp: ["VTP Management Domain", "string", { name: "cdp.vtp_management_domain" }],
  nativeVlan: ["Native VLAN", "uint", { name: "cdp.native_vlan" }],
  duplex: ["Duplex", "bool"],
});

function hexDump(line: Line, r: Reader, p: number, n: number): void {
  hexPrint(line, r, "\n\t  ", p, n);
}

/** "IPv4 (1) 192.168.0.1" per address (cdp_print_addr); false when the value is cut short. */
function addresses(line: Line, r: Reader, p: number, l: number): boolean {
  const end = p + l;
  if (p + 4 > end) return false;
  let num = ((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0;
  p += 4;
  for (let guard = 0; p < end && num > 0 && guard < 1024; guard++) {
    if (p + 2 > end) return false;
    const pt = r.byteAt(p);
    const pl = r.byteAt(p + 1);
    p += 2;
    if (p + pl + 2 > end) return false;
    const al = (r.byteAt(p + pl) << 8) | r.byteAt(p + pl + 1);
    if (pt === 1 && pl === 1 && r.byteAt(p) === 0xcc && al === 4) {
      p += 3;
      if (p + 4 > end) return false;
      line.s(`IPv4 (${num}) ${ipv4At(r.data, p)}`);
      p += 4;
    } else if (pt === 2 && pl === 8 && al === 16 && r.byteAt(p) === 0xaa && r.byteAt(p + 6) === 0x86 && r.byteAt(p + 7) === 0xdd) {
      p += 10;
      if (p + 16 > end) return false;
      line.s(`IPv6 (${num}) ${ipv6At(r.data, p)}`);
      p += 16;
    } else {
      line.s(`pt=0x${hex(pt, 2)}, pl=${pl}, pb=`);
      for (let i = 0; i < pl; i++) line.s(` ${hex(r.byteAt(p + i), 2)}`);
      p += pl + 2;
      if (p + al > end) return false;
      line.s(`, al=${al}, a=`);
      for (let i = 0; i < al; i++) line.s(` ${hex(r.byteAt(p + i), 2)}`);
      p += al;
    }
    num--;
    if (num) line.c(0x20);
  }
  return true;
}

/** the TLVs whose value tcpdump prints as quoted text */
const TEXT_TLVS = new Set([0x01, 0x03, 0x06, 0x09, 0x14]);

/** The version string, each of its lines indented on a continuation line. */
function versionText(line: Line, r: Reader, p: number, n: number): void {
  line.s("\n\t  ");
  for (let i = 0; i < n; i++) {
    if (r.byteAt(p + i) === 0x0a) line.s("\n\t  ");
    else line.latin1(r.data, p + i, 1);
  }
}

function cdpCut(r: Reader, ctx: Ctx): void {
  ctx.line.s(" [|cdp]");
  ctx.truncated = true;
  r.pos = r.cap;
}

function quoted(line: Line, r: Reader, p: number, n: number): void {
  line.c(0x27).latin1(r.data, p, n).c(0x27);
}

/** The -v text of one TLV's value; false when it is too short for its type. */
function value(ctx: Ctx, r: Reader, type: number, p: number, n: number): boolean {
  const line = ctx.line;
  const u16 = () => (r.byteAt(p) << 8) | r.byteAt(p + 1);
  const u32 = () => ((u16() << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0;
  switch (type) {
    case 0x01:
    case 0x03:
    case 0x06:
    case 0x09:
    case 0x14:
      quoted(line, r, p, n);
      return true;
    case 0x02:
    case 0x16:
      return addresses(line, r, p, n);
    case 0x04: {
      if (n < 4) return false;
      const c = u32();
      const names = CAPS.filter(([b]) => c & b).map(([, s]) => s);
      line.s(`(0x${hex(c, 8)}): ${names.length ? names.join(", ") : "none"}`);
      return true;
    }
    case 0x05:
      versionText(line, r, p, n);
      return true;
    case 0x08:
      return true;
    case 0x0a:
      if (n < 2) return false;
      line.u(u16());
      return true;
    case 0x0b:
      if (n < 1) return false;
      line.s(r.byteAt(p) ? "full" : "half");
      return true;
    case 0x11:
      if (n < 4) return false;
      line.s(`${u32()} bytes`);
      return true;
    case 0x12:
    case 0x13:
      if (n < 1) return false;
      line.s(`0x${hex(r.byteAt(p), 2)}`);
      return true;
    default:
      hexDump(line, r, p, n);
      return true;
  }
}

export const CDP: Protocol = {
  id: "cdp",
  name: "CDP",
  title: "Cisco Discovery Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    const line = ctx.line;
    const v = ctx.opts.verbose > 0;
    const version = r.u8();
    const ttl = r.u8();
    const sum = r.u16();
    if (r.truncated) return; // " [|cdp]"
    if (t.on) {
      t.add(F.version, version, start, 1);
      t.add(F.ttl, ttl, start + 1, 1);
      t.add(F.checksum, sum, start + 2, 2);
    }
    line.s(`CDPv${version}, ttl: ${ttl}s`);
    if (v) line.s(`, checksum: 0x${hex(sum, 4)} (unverified), length ${length}`);
    const end = start + length;
    while (r.pos < end) {
      const p = r.pos;
      const type = r.u16();
      let len = r.u16();
      if (r.truncated) return; // " [|cdp]"
      const name = TLV_NAMES[type] ?? "unknown field type";
      if (len < 4) {
        if (v) line.s(`\n\t${name} (0x${hex(type, 2)}), TLV length: ${len} byte${len === 1 ? "" : "s"} (too short)`);
        else line.s(`, ${name} TLV length ${len} too short`);
        break;
      }
      len -= 4;
      const q = p + 4;
      // tcpdump prints a text value up to the cut, then " [|cdp]"; other values are all or nothing
      const avail = Math.min(len, Math.max(0, r.cap - q));
      const cut = avail < len;
      if (t.on && !cut) {
        t.add(F.tlvType, type, p, 2);
        t.add(F.tlvLen, len + 4, p + 2, 2);
        const text = () => r.latin1At(q, len);
        if (type === 0x01) t.add(F.deviceid, text(), q, len);
        else if (type === 0x03) t.add(F.portid, text(), q, len);
        else if (type === 0x06) t.add(F.platform, text(), q, len);
        else if (type === 0x09) t.add(F.vtp, text(), q, len);
        else if (type === 0x04 && len >= 4) t.add(F.capabilities, ((r.byteAt(q) << 24) | (r.byteAt(q + 1) << 16) | (r.byteAt(q + 2) << 8) | r.byteAt(q + 3)) >>> 0, q, 4);
        else if (type === 0x0a && len >= 2) t.add(F.nativeVlan, (r.byteAt(q) << 8) | r.byteAt(q + 1), q, 2);
        else if (type === 0x0b && len >= 1) t.add(F.duplex, r.byteAt(q) !== 0, q, 1);
      }
      if (v) {
        line.s(`\n\t${name} (0x${hex(type, 2)}), value length: ${len} byte${len === 1 ? "" : "s"}: `);
        if (cut) {
          if (TEXT_TLVS.has(type)) line.c(0x27).latin1(r.data, q, avail);
          else if (type === 0x05) versionText(line, r, q, avail);
          return cdpCut(r, ctx);
        }
        if (!value(ctx, r, type, q, len)) return cdpCut(r, ctx);
      } else if (type === 0x01) {
        line.s(", Device-ID ");
        if (cut) {
          line.c(0x27).latin1(r.data, q, avail);
          return cdpCut(r, ctx);
        }
        quoted(line, r, q, len);
      } else if (cut) return cdpCut(r, ctx);
      else hexDump(line, r, q, len);
      r.pos = q + len;
    }
    if (!v) line.s(`, length ${length}`);
    r.pos = r.cap;
  },
};

bind("llc.snap", 0x00000c * 65536 + 0x2000, CDP);
