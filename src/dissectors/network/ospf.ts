/**
 * OSPF (IP protocol 89): OSPFv2 (RFC 2328) over IPv4 and OSPFv3 (RFC 5340) over IPv6, as tcpdump 4.99's
 * print-ospf.c / print-ospf6.c print them without -v:
 *   "OSPFv2, Hello, length 44"         (the length is the IP payload's; an MD5 trailer's 16 bytes are not counted)
 *   "OSPFv3, LS-Update, length 508"
 *   "OSPFv2, unknown LS-type (9), length 44" / "OSPFv3, unknown packet type (9), length 36"
 * As tcpdump, the IP version chooses the printer (not the packet's version byte), and OSPFv2's printer reads the
 * authentication type (offset 14) before it prints anything: a capture cut before it prints only " [|ospf2]";
 * OSPFv3's marker is " [|ospf3]" (printed even when nothing of the packet was captured).
 * Not yet: tcpdump's -v detail (Router-ID, area, options and the LSAs of each packet type); with -v the line is
 * the same as without. The tree has the common header's fields under Wireshark's names (ospf.version,
 * ospf.msg, ospf.packet_length, ospf.srcrouter, ospf.area_id, ospf.checksum, ospf.auth.type,
 * ospf.instance_id).
 */
import { bind } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { ipv4At } from "../format.js";
import { fields, type Protocol } from "../types.js";

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
    // the packet body is not decoded yet (tcpdump prints it only with -v)
    r.pos = r.cap;
  },
};

bind("ip.proto", IPPROTO.OSPF, OSPF);
