/**
 * EIGRP (IP protocol 88, RFC 7868) over IPv4 and IPv6, as tcpdump 4.99's print-eigrp.c prints it:
 *   "EIGRP Hello, length: 40"                                                       (no -v)
 *   "\n\tEIGRP v2, opcode: Hello (5), chksum: 0xee68, Flags: [none]\n\tseq: 0x00000000, ack: ..., length: 20"
 *   "\n\t  General Parameters TLV (0x0001), length: 12\n\t    holdtime: 15s, k1 1, k2 0, k3 1, k4 0, k5 0"
 * With -v each TLV: general parameters, software version, IPv4 internal/external routes, AppleTalk cable
 * setup and routes; the others as a hex dump (all of them again at -vv). A message not captured to its end
 * ends in " [|eigrp]", a TLV whose length does not fit in " (invalid)".
 * Fields: Wireshark's eigrp.version, eigrp.opcode, eigrp.checksum, eigrp.flags, eigrp.seq, eigrp.ack,
 * eigrp.vrid, eigrp.as, eigrp.tlv_type, eigrp.tlv_len.
 */
import { bind } from "../registry.js";
import { ipv4At } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Protocol } from "../types.js";

const OPCODE: Readonly<Record<number, string>> = { 1: "Update", 3: "Query", 4: "Reply", 5: "Hello", 6: "IPX SAP", 7: "Probe" };
const FLAGS: Array<[number, string]> = [
  [0x01, "Init"],
  [0x02, "Conditionally Received"],
  [0x04, "Restart"],
  [0x08, "End-of-Table"],
];
const TLV: Readonly<Record<number, string>> = {
  0x0001: "General Parameters",
  0x0002: "Authentication",
  0x0003: "Sequence",
  0x0004: "Software Version",
  0x0005: "Next Multicast Sequence",
  0x0102: "IP Internal routes",
  0x0103: "IP External routes",
  0x0202: "AppleTalk Internal routes",
  0x0203: "AppleTalk External routes",
  0x0204: "AppleTalk Cable setup",
  0x0302: "IPX Internal routes",
  0x0303: "IPX External routes",
};
const EXT_PROTO: Readonly<Record<number, string>> = {
  1: "IGRP",
  2: "EIGRP",
  3: "Static",
  4: "RIP",
  5: "Hello",
  6: "OSPF",
  7: "IS-IS",
  8: "EGP",
  9: "BGP",
  10: "IDRP",
  11: "Connected",
};
const HEADER = 20;
/** each TLV's fixed part (after the 4-byte TLV header) that tcpdump wants before it decodes it */
const MIN: Readonly<Record<number, number>> = { 0x0001: 8, 0x0004: 4, 0x0102: 22, 0x0103: 42, 0x0204: 8, 0x0202: 24, 0x0203: 40 };

const F = fields("eigrp", {
  version: ["Version", "uint"],
  opcode: ["Opcode", "uint", { values: OPCODE }],
  checksum: ["Checksum", "uint", { base: "hex" }],
  flags: ["Flags", "uint", { base: "hex" }],
  seq: ["Sequence", "uint"],
  ack: ["Acknowledge", "uint"],
  vrid: ["Virtual Router ID", "uint"],
  as: ["Autonomous System", "uint"],
  tlv_type: ["Type", "uint", { base: "hex", values: TLV }],
  tlv_len: ["Length", "uint"],
});

function bits(v: number): string {
  let s = "";
  for (const [b, n] of FLAGS) if (v & b) s += s ? `, ${n}` : n;
  return s || "none";
}
const hex = (v: number, w: number) => v.toString(16).padStart(w, "0");

export const EIGRP: Protocol = {
  id: "eigrp",
  name: "EIGRP",
  title: "Cisco EIGRP",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const len = r.reportedRemaining;
    const line = ctx.line;
    const d = r.data;
    const u8 = (p: number) => r.byteAt(p);
    const u16 = (p: number) => (r.byteAt(p) << 8) | r.byteAt(p + 1);
    const u24 = (p: number) => (r.byteAt(p) << 16) | u16(p + 1);
    const u32 = (p: number) => ((u16(p) << 16) | u16(p + 2)) >>> 0;
    /** tcpdump's check_remainder: the rest of the message must be captured */
    const remainder = (p: number, n: number) => {
      if (p + n > r.cap) {
        r.pos = r.cap;
        r.skip(1); // " [|eigrp]"
        return;
      }
      r.pos = r.cap;
    };
    // tcpdump 4.99 wants the whole common header captured before it prints anything
    if (!r.has(HEADER)) return void r.skip(HEADER);
    if (len < HEADER) {
      const op = r.peek(1);
      line.s(`EIGRP ${OPCODE[op] ?? `unknown (${op})`}, length: ${len} (too short, < ${HEADER})`);
      return remainder(start, len);
    }
    if (!r.has(1)) return void r.skip(1);
    const version = r.peek(0);
    if (t.on) t.add(F.version, version, start, 1);
    if (version !== 2) {
      line.s(`EIGRP version ${version} packet not supported`);
      return remainder(start, len);
    }
    if (!r.has(2)) return void r.skip(2);
    const op = r.peek(1);
    if (t.on) {
      t.add(F.opcode, op, start + 1, 1);
      if (r.has(HEADER)) {
        t.add(F.checksum, r.peek16(2), start + 2, 2);
        t.add(F.flags, r.peek32(4), start + 4, 4);
        t.add(F.seq, r.peek32(8), start + 8, 4);
        t.add(F.ack, r.peek32(12), start + 12, 4);
        t.add(F.vrid, r.peek16(16), start + 16, 2);
        t.add(F.as, r.peek16(18), start + 18, 2);
      }
    }
    const v = ctx.opts.verbose;
    if (v < 1) {
      line.s(`EIGRP ${OPCODE[op] ?? `unknown (${op})`}, length: ${len}`);
      r.pos = r.cap;
      return;
    }
    if (!r.has(HEADER)) return void r.skip(HEADER);
    let tlen = len - HEADER;
    line.s(`\n\tEIGRP v${version}, opcode: ${OPCODE[op] ?? `unknown, type: ${op}`} (${op}), chksum: 0x${hex(r.peek16(2), 4)}, Flags: [${bits(r.peek32(4))}]`);
    line.s(`\n\tseq: 0x${hex(r.peek32(8), 8)}, ack: 0x${hex(r.peek32(12), 8)}, VRID: ${r.peek16(16)}, AS: ${r.peek16(18)}, length: ${tlen}`);
    let p = start + HEADER;
    while (tlen !== 0) {
      // tcpdump 4.99 reads a TLV header even where fewer than 4 bytes of the message are left
      if (p + 4 > r.cap) {
        r.pos = r.cap;
        return void r.skip(1);
      }
      const tl = u16(p + 2);
      const type = u16(p);
      if (t.on) {
        t.add(F.tlv_type, type, p, 2);
        t.add(F.tlv_len, tl, p + 2, 2);
      }
      line.s(`\n\t  ${TLV[type] ?? "Unknown"} TLV (0x${hex(type, 4)}), length: ${tl}`);
      if (tl < 4 || tl > tlen) {
        line.s(" (invalid)");
        ctx.markMalformed("EIGRP: a TLV length does not fit the message");
        return remainder(p, tlen);
      }
      if (p + tl > r.cap) {
        r.pos = r.cap;
        return void r.skip(1);
      }
      const q = p + 4;
      const n = tl - 4;
      const min = MIN[type];
      if (min !== undefined && n < min) line.s(` (too short, < ${min + 4})`);
      else
        switch (type) {
          case 0x0001:
            line.s(`\n\t    holdtime: ${u16(q + 6)}s, k1 ${u8(q)}, k2 ${u8(q + 1)}, k3 ${u8(q + 2)}, k4 ${u8(q + 3)}, k5 ${u8(q + 4)}`);
            break;
          case 0x0004:
            line.s(`\n\t    IOS version: ${u8(q)}.${u8(q + 1)}, EIGRP version ${u8(q + 2)}.${u8(q + 3)}`);
            break;
          case 0x0102:
          case 0x0103: {
            const ext = type === 0x0103;
            const at = ext ? q + 24 : q + 4; // the metric: delay, bandwidth, mtu, hops, reliability, load
            const plenAt = ext ? q + 40 : q + 20;
            const bl = u8(plenAt);
            if (bl > 32) {
              line.s(`\n\t    illegal prefix length ${bl}`);
              break;
            }
            const bytes = (bl + 7) >> 3;
            if (plenAt + 1 + bytes > r.cap) {
              r.pos = r.cap;
              return void r.skip(1);
            }
            const pfx = new Uint8Array(4);
            for (let i = 0; i < bytes; i++) pfx[i] = u8(plenAt + 1 + i);
            line.s(`\n\t    IPv4 prefix: ${ipv4At(pfx, 0).padStart(15, " ")}/${bl}, nexthop: ${u32(q) === 0 ? "self" : ipv4At(d, q)}`);
            if (ext) {
              line.s(`\n\t      origin-router ${ipv4At(d, q + 4)}, origin-as ${u32(q + 8)}, origin-proto ${EXT_PROTO[u8(q + 22)] ?? "unknown"}, flags [0x${hex(u8(q + 23), 2)}], tag 0x${hex(u32(q + 12), 8)}, metric ${u32(q + 16)}`);
            }
            line.s(`\n\t      delay ${Math.floor(u32(at) / 100)} ms, bandwidth ${u32(at + 4)} Kbps, mtu ${u24(at + 8)}, hop ${u8(at + 11)}, reliability ${u8(at + 12)}, load ${u8(at + 13)}`);
            break;
          }
          case 0x0204:
            line.s(`\n\t    Cable-range: ${u16(q)}-${u16(q + 2)}, Router-ID ${u32(q + 4)}`);
            break;
          case 0x0202:
          case 0x0203: {
            const ext = type === 0x0203;
            const cable = ext ? q + 36 : q + 20;
            line.s(`\n\t     Cable-Range: ${u16(cable)}-${u16(cable + 2)}, nexthop: ${u32(q) === 0 ? "self" : `${u16(q)}.${u16(q + 2)}`}`);
            const at = ext ? q + 20 : q + 4;
            if (ext) {
              line.s(`\n\t      origin-router ${u32(q + 4)}, origin-as ${u32(q + 8)}, origin-proto ${EXT_PROTO[u8(q + 16)] ?? "unknown"}, flags [0x${hex(u8(q + 17), 2)}], tag 0x${hex(u32(q + 12), 8)}, metric ${u16(q + 18)}`);
            }
            line.s(`\n\t      delay ${Math.floor(u32(at) / 100)} ms, bandwidth ${u32(at + 4)} Kbps, mtu ${u24(at + 8)}, hop ${u8(at + 11)}, reliability ${u8(at + 12)}, load ${u8(at + 13)}`);
            break;
          }
          default:
            if (v <= 1) hexPrint(line, r, "\n\t    ", q, n);
        }
      if (v > 1) hexPrint(line, r, "\n\t    ", q, n);
      p += tl;
      tlen -= tl;
    }
    r.pos = r.cap;
  },
};

bind("ip.proto", 88, EIGRP);
