/**
 * Ethernet II and 802.3 (DLT_EN10MB). A type/length field below 1536 is an 802.3 length: the payload is LLC.
 * tcpdump prints the link header only with -e: "src > dst, ethertype IPv4 (0x0800), length 74: ".
 */
import { bind } from "../registry.js";
import { ETHERTYPE_NAMES, LINKTYPE } from "../constants.js";
import { hex, readMac } from "../format.js";
import { fields, type Protocol } from "../types.js";

const F = fields("eth", {
  dst: ["Destination", "ether"],
  src: ["Source", "ether"],
  type: ["Type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
  len: ["Length", "uint"],
  addr: ["Address", "ether"],
});

export function ethertypeText(t: number): string {
  return `ethertype ${ETHERTYPE_NAMES[t] ?? "Unknown"} (0x${hex(t, 4)})`;
}

/** 1 for the ethertypes ETHERTYPE_NAMES names (an array index instead of a sparse object's lookup per frame) */
const NAMED = new Uint8Array(65536);
for (const k of Object.keys(ETHERTYPE_NAMES)) NAMED[Number(k)] = 1;

export const ETHERNET: Protocol = {
  id: "eth",
  name: "Ethernet",
  title: "Ethernet II",
  truncName: "ether",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    // the length tcpdump prints: the frame's, or what is left of the outer packet for an inner frame (VXLAN, ...)
    const frameLen = r.reportedRemaining;
    const type = r.peek16(12);
    const named = NAMED[type] === 1;
    // The address strings cost more than the rest of the layer: only made when something shows them.
    const show = t.on || ctx.opts.linkHeader || (!named && type >= 1536);
    const dst = show ? readMac(r) : (r.skip(6), "");
    const src = show ? readMac(r) : (r.skip(6), "");
    r.u16();
    // cut before the end of the type field: tcpdump 4.99 prints its mark alone, with -e too (" [|ether]")
    if (r.truncated) return;
    if (t.on) {
      t.add(F.dst, dst, start, 6);
      t.add(F.addr, dst, start, 6);
      t.add(F.src, src, start + 6, 6);
      t.add(F.addr, src, start + 6, 6);
    }
    if (type < 1536) {
      // 802.3: a length, then LLC.
      if (t.on) t.add(F.len, type, start + 12, 2);
      if (ctx.opts.linkHeader) ctx.line.s(`${src} > ${dst}, 802.3, length ${type}: `); // tcpdump prints the length field
      if (type <= r.reportedRemaining) r.limit(type);
      return ctx.next("llc", 0);
    }
    if (t.on) t.add(F.type, type, start + 12, 2);
    // tcpdump prints the link header with -e, and for an ethertype it cannot name even without -e.
    if (ctx.opts.linkHeader || !named) ctx.line.s(`${src} > ${dst}, ${ethertypeText(type)}, length ${frameLen}: `);
    return ctx.next("ethertype", type);
  },
};

bind("linktype", LINKTYPE.EN10MB, ETHERNET);
