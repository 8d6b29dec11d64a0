/**
 * VXLAN (RFC 7348) on UDP port 4789, as tcpdump's print-vxlan.c:
 *   "VXLAN, flags [I] (0x08), vni 100" then, on the next line, the inner Ethernet frame.
 * Cisco OTV (draft-hasmit-otv), the same 8-byte header on UDP port 8472, as tcpdump's print-otv.c:
 *   "OTV, flags [I] (0x08), overlay 0, instance 100" then the inner frame.
 */
import { bind } from "../registry.js";
import { LINKTYPE } from "../constants.js";
import { hex } from "../format.js";
import { fields, type Protocol } from "../types.js";

const F = fields("vxlan", {
  flags: ["Flags", "uint", { base: "hex" }],
  "flag_i": ["VXLAN Network ID (VNI)", "bool", { name: "vxlan.flags.i" }],
  vni: ["VXLAN Network Identifier (VNI)", "uint"],
  reserved_8: ["Reserved", "uint"],
});

export const VXLAN: Protocol = {
  id: "vxlan",
  name: "VXLAN",
  title: "Virtual eXtensible Local Area Network",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    ctx.line.s("VXLAN");
    if (r.reportedRemaining < 8) {
      ctx.line.s(" (invalid)");
      ctx.markMalformed("VXLAN header shorter than 8 bytes");
      r.pos = r.cap;
      return;
    }
    const flags = r.u8();
    r.skip(3);
    const vni = r.u24();
    const rsv = r.u8();
    if (r.truncated) return;
    if (t.on) {
      t.add(F.flags, flags << 8, start, 2, `0x${hex(flags << 8, 4)}`);
      t.add(F.flag_i, (flags & 0x08) !== 0, start, 1);
      t.add(F.vni, vni, start + 4, 3);
      t.add(F.reserved_8, rsv, start + 7, 1);
    }
    ctx.line.s(`, flags [${flags & 0x08 ? "I" : "."}] (0x${hex(flags, 2)}), vni ${vni}`).nl();
    ctx.addrPrinted = false;
    ctx.net = "";
    return ctx.next("linktype", LINKTYPE.EN10MB);
  },
};

const O = fields("otv", {
  flags: ["Flags", "uint", { base: "hex" }],
  overlay: ["Overlay ID", "uint"],
  instance: ["Instance ID", "uint"],
});

export const OTV: Protocol = {
  id: "otv",
  name: "OTV",
  title: "Overlay Transport Virtualization",
  fields: O,
  dissect(r, ctx, t) {
    const start = r.pos;
    ctx.line.s("OTV, ");
    if (r.reportedRemaining < 8) {
      ctx.line.s(`[length ${r.reportedRemaining} < 8] (invalid)`);
      ctx.markMalformed("OTV header shorter than 8 bytes");
      r.pos = r.cap;
      return;
    }
    const flags = r.u8();
    const overlay = r.u24();
    const instance = r.u24();
    r.skip(1);
    if (r.truncated) return;
    if (t.on) {
      t.add(O.flags, flags, start, 1);
      t.add(O.overlay, overlay, start + 1, 3);
      t.add(O.instance, instance, start + 4, 3);
    }
    ctx.line.s(`flags [${flags & 0x08 ? "I" : "."}] (0x${hex(flags, 2)}), overlay ${overlay}, instance ${instance}`).nl();
    ctx.addrPrinted = false;
    ctx.net = "";
    // tshark does not decode port 8472 (neither OTV nor VXLAN): the inner frame is for the line only
    ctx.lineOnly = true;
    return ctx.next("linktype", LINKTYPE.EN10MB);
  },
};

bind("udp.port", 4789, VXLAN);
bind("udp.port", 8472, OTV);
