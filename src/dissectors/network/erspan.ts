/**
 * ERSPAN, Cisco's Encapsulated Remote Switched Port ANalyzer (draft-foschiano-erspan), inside GRE: protocol
 * type 0x88be carries type I (no header of its own, recognised as GRE without a sequence number) and type II
 * (an 8-byte header), 0x22eb type III (a 12-byte header and an optional 8-byte platform sub-header); the
 * mirrored frame follows, an Ethernet frame (type III's frame type 0).
 *
 * Fields as Wireshark's packet-erspan.c names them (erspan.version, erspan.vlan, erspan.spanid, ...); the
 * mirrored frame's layers follow in the tree, so `-T fields -e ip.src` lists the outer and the inner
 * address as tshark does. tcpdump 4.99 does not decode ERSPAN: the one-line output stays its
 * "GREv0, length 106: gre-proto-0x88be" (ctx.lineHold drops what the mirrored frame's layers write).
 */
import { bind } from "../registry.js";
import { LINKTYPE } from "../constants.js";
import { fields, type Protocol } from "../types.js";
import { greHeader } from "./gre.js";

export const ERSPAN_II = 0x88be;
export const ERSPAN_III = 0x22eb;

const F = fields("erspan", {
  version: ["Version", "uint"],
  vlan: ["Vlan", "uint"],
  cos: ["COS", "uint"],
  encap: ["Encap", "uint"],
  bso: ["Bad/Short/Oversized", "uint"],
  truncated: ["Truncated", "uint"],
  spanid: ["SpanID", "uint"],
  reserved: ["Reserved", "uint"],
  index: ["Index", "uint"],
  timestamp: ["Timestamp", "uint"],
  sgt: ["Security Group Tag", "uint"],
  p: ["Has Ethernet PDU", "uint"],
  ft: ["Frame Type", "uint"],
  hw: ["Hardware ID", "uint"],
  direction: ["Direction", "bool"],
  gra: ["Timestamp granularity", "uint"],
  o: ["Optional Sub headers", "uint"],
  platid: ["Platform ID", "uint"],
});

const TITLES = ["Encapsulated Remote Switch Packet ANalysis Type I", "Encapsulated Remote Switch Packet ANalysis Type II", "Encapsulated Remote Switch Packet ANalysis Type III"];

export const ERSPAN: Protocol = {
  id: "erspan",
  name: "ERSPAN",
  title: "Encapsulated Remote Switch Packet ANalysis",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const typeIII = greHeader.proto === ERSPAN_III;
    // tcpdump's words (it does not decode ERSPAN), kept as the line: the mirrored frame is for the tree only
    ctx.line.s(`gre-proto-0x${(typeIII ? ERSPAN_III : ERSPAN_II).toString(16)}`);
    ctx.lineHold = ctx.line.n;
    ctx.addrPrinted = false;
    ctx.net = "";
    if (!typeIII && !greHeader.seq) {
      // type I: the mirrored frame right after the GRE header
      if (t.on) t.note(TITLES[0], start, 0);
      return ctx.next("linktype", LINKTYPE.EN10MB);
    }
    const w0 = r.u16();
    const w1 = r.u16();
    if (r.truncated) return;
    const ver = w0 >> 12;
    if (t.on) {
      t.note(TITLES[typeIII ? 2 : 1], start, typeIII ? 12 : 8);
      t.add(F.version, ver, start, 2);
      t.add(F.vlan, w0 & 0xfff, start, 2);
      t.add(F.cos, w1 >> 13, start + 2, 2);
      t.add(typeIII ? F.bso : F.encap, (w1 >> 11) & 3, start + 2, 2);
      t.add(F.truncated, (w1 >> 10) & 1, start + 2, 2);
      t.add(F.spanid, w1 & 0x3ff, start + 2, 2);
    }
    if (!typeIII) {
      const w = r.u32();
      if (r.truncated) return;
      if (t.on) {
        t.add(F.reserved, w >>> 20, start + 4, 4);
        t.add(F.index, w & 0xfffff, start + 4, 4);
      }
      return ctx.next("linktype", LINKTYPE.EN10MB);
    }
    const ts = r.u32();
    const sgt = r.u16();
    const w = r.u16();
    if (r.truncated) return;
    const ft = (w >> 10) & 0x1f;
    if (t.on) {
      t.add(F.timestamp, ts, start + 4, 4);
      t.add(F.sgt, sgt, start + 8, 2);
      t.add(F.p, w >> 15, start + 10, 2);
      t.add(F.ft, ft, start + 10, 2);
      t.add(F.hw, (w >> 4) & 0x3f, start + 10, 2);
      t.add(F.direction, (w & 8) !== 0, start + 10, 2);
      t.add(F.gra, (w >> 1) & 3, start + 10, 2);
      t.add(F.o, w & 1, start + 10, 2);
    }
    if (w & 1) {
      // the platform-specific sub-header: its id in the top 6 bits, the rest skipped
      const sub = r.u32();
      r.skip(4);
      if (r.truncated) return;
      if (t.on) t.add(F.platid, sub >>> 26, start + 12, 4);
    }
    // frame type 0 is Ethernet; the others (IP, ...) are left as data
    if (ft !== 0) return;
    return ctx.next("linktype", LINKTYPE.EN10MB);
  },
};

bind("gre.proto", ERSPAN_II, ERSPAN);
bind("gre.proto", ERSPAN_III, ERSPAN);
