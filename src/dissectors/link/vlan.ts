/**
 * 802.1Q VLAN tags and 802.1ad (QinQ) service tags. tcpdump prints the tag only with -e:
 *   "vlan 10, p 0, ethertype IPv4 (0x0800), " (", DEI" after the priority when set)
 * and nothing without -e: the line then reads as if the frame were untagged. A length (<= 1500) instead of an
 * ethertype means 802.2 LLC follows ("802.3" with -e, as tcpdump prints it).
 */
import { bind, lookup } from "../registry.js";
import { ETHERTYPE, ETHERTYPE_NAMES } from "../constants.js";
import { macAt } from "../format.js";
import { ethertypeText } from "./ethernet.js";
import { fields, type Ctx, type Handoff, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const F = fields("vlan", {
  priority: ["Priority", "uint"],
  dei: ["DEI", "uint"],
  id: ["ID", "uint"],
  etype: ["Type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
  len: ["Length", "uint"],
});


/**
 * The Ethernet addresses of the frame a link-layer sublayer (VLAN tag, LLC) sits in, "src > dst", or null when
 * the frame is not Ethernet. The Ethernet dissector bounds-checked those 12 bytes; the layer list says where
 * they are: the frame starts 14 bytes, plus 4 per VLAN tag, before this layer.
 */
export function etherAddrs(r: Reader, ctx: Ctx): string | null {
  const n = ctx.layers.length;
  let back = 14;
  let i = n - 2;
  while (i > 0 && (ctx.layers[i] === "vlan" || ctx.layers[i] === "ieee8021ad")) {
    back += 4;
    i--;
  }
  if (i !== 0 || ctx.layers[0] !== "eth") return null;
  const p = r.start - back;
  if (p < 0) return null;
  return `${macAt(r.data, p + 6)} > ${macAt(r.data, p)}`;
}

/** Wireshark names an 802.1ad service tag's fields apart ("ieee8021ad.id"); the tag reads the same. */
const AD = fields("ieee8021ad", {
  priority: ["Priority", "uint"],
  dei: ["DEI", "uint"],
  id: ["ID", "uint"],
});

function dissectTag(r: Reader, ctx: Ctx, t: TreeSink, service: boolean): Handoff | void {
  {
    const start = r.pos;
    const tci = r.u16();
    const type = r.u16();
    if (r.truncated) return;
    const pcp = tci >> 13;
    const dei = (tci >> 12) & 1;
    const id = tci & 0xfff;
    if (t.on) {
      t.add(service ? AD.priority : F.priority, pcp, start, 2);
      t.add(service ? AD.dei : F.dei, dei, start, 2);
      t.add(service ? AD.id : F.id, id, start, 2);
      if (type <= 1500) t.add(F.len, type, start + 2, 2);
      else if (!service) t.add(F.etype, type, start + 2, 2); // Wireshark shows an S-tag's type as a note
      else t.note(`Type: ${ethertypeText(type)}`, start + 2, 2);
    }
    const e = ctx.opts.linkHeader;
    if (e) ctx.line.s(`vlan ${id}, p ${pcp}${dei ? ", DEI" : ""}, `);
    if (type <= 1500) {
      if (e) ctx.line.s("802.3");
      if (type <= r.reportedRemaining) r.limit(type);
      return ctx.next("llc", 0);
    }
    if (e) ctx.line.s(`${ethertypeText(type)}, `);
    else if (!lookup("ethertype", type)) {
      // tcpdump names an ethertype it cannot decode, with the frame's addresses, even without -e.
      const a = etherAddrs(r, ctx);
      if (a) ctx.line.s(`${a}, ${ethertypeText(type)}, length ${ctx.wirelen}: `);
    }
    return ctx.next("ethertype", type);
  }
}

export const VLAN: Protocol = {
  id: "vlan",
  name: "802.1Q",
  title: "802.1Q Virtual LAN",
  fields: F,
  dissect: (r, ctx, t) => dissectTag(r, ctx, t, false),
};

export const QINQ: Protocol = {
  id: "ieee8021ad",
  name: "802.1ad",
  title: "IEEE 802.1ad",
  fields: AD,
  dissect: (r, ctx, t) => dissectTag(r, ctx, t, true),
};

bind("ethertype", [ETHERTYPE.VLAN, ETHERTYPE.QINQ_OLD, 0x9200], VLAN);
bind("ethertype", ETHERTYPE.QINQ, QINQ);
