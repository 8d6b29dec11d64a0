/**
 * WCCP redirection in GRE (protocol type 0x883e, draft-wilson-wrec-wccp-v2): the redirected IPv4 packet,
 * after a 4-byte redirect header unless the packet starts right away (its first nibble 4), as Wireshark's GRE
 * dissector reads it. tcpdump 4.99 does not decode it: the line stays its "gre-proto-0x883e" (ctx.lineHold),
 * the redirected packet is in the tree and the fields only, as tshark shows it.
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { fields, type Protocol } from "../types.js";

export const WCCP_GRE = 0x883e;

const F = fields("wccp", {
  redirect: ["Redirect Header", "uint", { base: "hex" }],
});

export const WCCP_REDIRECT: Protocol = {
  id: "wccp",
  name: "WCCP",
  title: "WCCP Redirect",
  fields: F,
  dissect(r, ctx, t) {
    ctx.line.s(`gre-proto-0x${WCCP_GRE.toString(16)}`);
    ctx.lineHold = ctx.line.n;
    ctx.addrPrinted = false;
    ctx.net = "";
    const start = r.pos;
    if (!r.has(1)) return;
    if (r.byteAt(start) >> 4 !== 4) {
      const h = r.u32();
      if (r.truncated) return;
      if (t.on) t.add(F.redirect, h, start, 4);
    }
    return ctx.next("ethertype", ETHERTYPE.IPV4);
  },
};

bind("gre.proto", WCCP_GRE, WCCP_REDIRECT);
