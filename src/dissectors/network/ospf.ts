/**
 * OSPF (IP protocol 89): OSPFv2 (RFC 2328) over IPv4 and OSPFv3 (RFC 5340) over IPv6, as tcpdump 4.99's
 * print-ospf.c / print-ospf6.c print them without -v:
 *   "OSPFv2, Hello, length 44"         (the length is the IP payload's; an MD5 trailer's 16 bytes are not counted)
 *   "OSPFv3, LS-Update, length 508"
 *   "OSPFv2, unknown LS-type (9), length 44" / "OSPFv3, unknown packet type (9), length 36"
 * As tcpdump, the IP version chooses the printer (not the packet's version byte), and OSPFv2's printer reads the
 * authentication type (offset 14) before it prints anything: a capture cut before it prints only " [|ospf2]";
 * OSPFv3's marker is " [|ospf3]" (printed even when nothing of the packet was captured).
 * With -v, OSPFv3's Router-ID/area lines and Hello's and Database Description's lines (see v3Detail). Not yet:
 * OSPFv2's -v detail, the LSAs and LSA headers (-vv) and the LLS / authentication trailers. The tree has the common header's fields under Wireshark's names (ospf.version,
 * ospf.msg, ospf.packet_length, ospf.srcrouter, ospf.area_id, ospf.checksum, ospf.auth.type,
 * ospf.instance_id).
 */
import { bind } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { ipv4At } from "../format.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

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
    // OSPFv2's -v detail is not decoded yet
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
const V3_TRAILER = 0x200 | 0x400;

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
    if (opts & V3_TRAILER) return; // LLS / authentication trailer: not decoded yet
  } else if (type === 2) {
    if (!r.has(20)) return cut();
    const opts = r.peek32(16);
    ctx.line.s(`\n\tOptions [${bits(opts, V3_OPTIONS)}]`);
    if (!r.has(24)) return cut();
    ctx.line.s(`, DD Flags [${bits(r.peek(23), V3_DD_FLAGS)}]`);
    if (!r.has(28)) return cut();
    ctx.line.s(`, MTU ${r.peek16(20)}, DD-Sequence 0x${r.peek32(24).toString(16).padStart(8, "0")}`);
  }
}

bind("ip.proto", IPPROTO.OSPF, OSPF);
