/**
 * IP over InfiniBand (RFC 4391; DLT_IPOIB, link type 242). Each frame starts with a 44-byte header: 20 bytes
 * the capture leaves unused, the 20-byte destination address (a queue pair number, then a 16-byte GID), the
 * ethertype and 2 reserved bytes. Fields as Wireshark's ipoib.*; tcpdump -e prints
 * "IPOIB, ethertype IPv4 (0x0800), length 128: " and nothing without -e (as for Ethernet).
 */
import { bind } from "../registry.js";
import { ETHERTYPE_NAMES } from "../constants.js";
import { ipv6At } from "../format.js";
import { fields, type Protocol } from "../types.js";
import { ethertypeText } from "./ethernet.js";

export const LINKTYPE_IPOIB = 242;
const HEADER = 44;

const F = fields("ipoib", {
  "daddr.qpn": ["Destination QPN", "uint", { base: "hex", digits: 6 }],
  dgid: ["Destination GID", "ipv6"],
  type: ["Type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
  reserved: ["Reserved", "uint", { base: "hex" }],
});

export const IPOIB: Protocol = {
  id: "ipoib",
  name: "IPoIB",
  title: "IP over Infiniband",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const frameLen = r.reportedRemaining;
    if (!r.has(HEADER)) {
      ctx.line.s(" [|ipoib]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const type = r.peek16(40);
    if (t.on) {
      const qpn = r.peek32(20) & 0xffffff;
      // Wireshark leaves out the multicast QPN (0xffffff, RFC 4391 section 4)
      if (qpn !== 0xffffff) t.add(F["daddr.qpn"], qpn, start + 20, 4);
      t.add(F.dgid, ipv6At(r.data, start + 24), start + 24, 16);
      t.add(F.type, type, start + 40, 2);
      t.add(F.reserved, r.peek16(42), start + 42, 2);
    }
    r.skip(HEADER);
    if (ctx.opts.linkHeader) ctx.line.s(`IPOIB, ${ethertypeText(type)}, length ${frameLen}: `);
    return ctx.next("ethertype", type);
  },
};

bind("linktype", LINKTYPE_IPOIB, IPOIB);
