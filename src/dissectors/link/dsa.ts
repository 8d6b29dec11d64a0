/**
 * Marvell switch tags: DSA (DLT_DSA_TAG_DSA, link type 284: a 4-byte tag between the source address and the
 * ethertype) and EDSA (DLT_DSA_TAG_EDSA, 285: an 8-byte tag there, its own ethertype, two reserved bytes,
 * then the DSA tag). Linux's DSA switch drivers (many home routers) capture the CPU port's frames this way.
 * tcpdump prints the tag even without -e ("DSA Forward port 0.1, VLAN 0u, "), and in full with -e
 * ("Marvell DSA mode Forward, dev 0, port 1, untagged, VID 0, FPri 0, ethertype IPv4 (0x0800), length 102: ").
 * Wireshark has no dissector for these link types; the fields are named dsa.* after the tag's parts.
 */
import { bind } from "../registry.js";
import { ETHERTYPE_NAMES } from "../constants.js";
import { hex, readMac } from "../format.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import { ethertypeText } from "./ethernet.js";

export const LINKTYPE_DSA_TAG_DSA = 284;
export const LINKTYPE_DSA_TAG_EDSA = 285;

const MODE_TO_CPU = 0,
  MODE_FROM_CPU = 1,
  MODE_TO_SNIFFER = 2,
  MODE_FORWARD = 3;
const MODES: Readonly<Record<number, string>> = { 0: "To CPU", 1: "From CPU", 2: "To Sniffer", 3: "Forward" };
/** the To-CPU reason codes, as tcpdump names them */
const CODES: Readonly<Record<number, string>> = { 0: "BPDU (MGMT) Trap", 1: "Frame2Reg", 2: "IGMP/MLD Trap", 3: "Policy Trap", 4: "ARP Mirror", 5: "Policy Mirror" };

const F = fields("dsa", {
  ethertype: ["EDSA ethertype", "uint", { base: "hex" }],
  mode: ["Mode", "uint", { values: MODES }],
  tagged: ["Tagged", "bool"],
  dev: ["Device", "uint"],
  port: ["Port", "uint"],
  trunk: ["Trunk", "bool"],
  code: ["To-CPU code", "uint", { values: CODES }],
  cfi: ["CFI", "bool"],
  pri: ["Frame priority", "uint"],
  vid: ["VLAN id", "uint"],
  type: ["Type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
});

function cut(r: Reader, ctx: Ctx, name: string): void {
  ctx.line.s(` [|${name}]`);
  ctx.truncated = true;
  r.pos = r.cap;
}

function dissectTag(r: Reader, ctx: Ctx, t: Parameters<Protocol["dissect"]>[2], edsa: boolean): ReturnType<Protocol["dissect"]> {
  const start = r.pos;
  const frameLen = r.reportedRemaining;
  const tagLen = edsa ? 8 : 4;
  const name = edsa ? "edsa" : "dsa";
  // tcpdump checks the whole header first: a frame cut before the payload is " [|dsa]" alone
  if (!r.has(12 + tagLen + 2)) return cut(r, ctx, name);
  const e = ctx.opts.linkHeader;
  const dst = e || t.on ? readMac(r) : (r.skip(6), "");
  const src = e || t.on ? readMac(r) : (r.skip(6), "");
  const et = edsa ? r.u16() : 0;
  const rsvd1 = edsa ? r.u8() : 0;
  const rsvd2 = edsa ? r.u8() : 0;
  const tagAt = r.pos;
  const b0 = r.u8(),
    b1 = r.u8(),
    b2 = r.u8(),
    b3 = r.u8();
  const type = r.u16();
  const mode = b0 >> 6;
  const tagged = (b0 & 0x20) !== 0;
  const dev = b0 & 0x1f;
  const port = (b1 & 0xf8) >> 3;
  const bit2 = (b1 & 0x04) !== 0; // trunk (Forward) or rx (To Sniffer)
  const cfi = (b1 & 0x01) !== 0;
  const pri = b2 >> 5;
  const vid = ((b2 & 0x0f) << 8) | b3;
  const code = (b1 & 0x06) | ((b2 & 0x10) >> 4);
  if (t.on) {
    if (edsa) t.add(F.ethertype, et, start + 12, 2);
    t.add(F.mode, mode, tagAt, 1);
    t.add(F.tagged, tagged, tagAt, 1);
    t.add(F.dev, dev, tagAt, 1);
    t.add(F.port, port, tagAt + 1, 1);
    if (mode === MODE_FORWARD) t.add(F.trunk, bit2, tagAt + 1, 1);
    if (mode === MODE_TO_CPU) t.add(F.code, code, tagAt + 1, 2);
    t.add(F.cfi, cfi, tagAt + 1, 1);
    t.add(F.pri, pri, tagAt + 2, 1);
    t.add(F.vid, vid, tagAt + 2, 2);
    t.add(F.type, type, tagAt + 4, 2);
  }
  if (e) {
    let s = `${src} > ${dst}, Marvell ${edsa ? "EDSA" : "DSA"} `;
    if (edsa) s += `ethertype 0x${hex(et, 4)} (${ETHERTYPE_NAMES[et] ?? "Unknown"}), rsvd ${rsvd1} ${rsvd2}, `;
    s += `mode ${MODES[mode]}, `;
    if (mode === MODE_FORWARD) s += `dev ${dev}, ${bit2 ? "trunk" : "port"} ${port}, `;
    else if (mode === MODE_FROM_CPU) s += `target dev ${dev}, port ${port}, `;
    else if (mode === MODE_TO_SNIFFER) s += `source dev ${dev}, port ${port}, ${bit2 ? "ingress" : "egress"} sniff, `;
    else s += `source dev ${dev}, port ${port}, code ${CODES[code] ?? "reserved"}, `;
    s += `${tagged ? "tagged" : "untagged"}, ${cfi ? "CFI, " : ""}VID ${vid}, FPri ${pri}, ${ethertypeText(type)}, length ${frameLen}: `;
    ctx.line.s(s);
  } else {
    let s = edsa ? `EDSA 0x${hex(et, 4)}, ` : "DSA ";
    if (mode === MODE_FORWARD) s += `Forward ${bit2 ? "trunk" : "port"} ${dev}.${port}, `;
    else if (mode === MODE_FROM_CPU) s += `CPU > port ${dev}.${port}, `;
    else if (mode === MODE_TO_SNIFFER) s += `port ${dev}.${port} > ${bit2 ? "Rx" : "Tx"} Sniffer, `;
    else s += `port ${dev}.${port} > CPU, `;
    s += `VLAN ${vid}${tagged ? "t" : "u"}, `;
    ctx.line.s(s);
  }
  return ctx.next("ethertype", type);
}

export const DSA: Protocol = {
  id: "dsa",
  name: "DSA",
  title: "Marvell DSA tag",
  fields: F,
  dissect: (r, ctx, t) => dissectTag(r, ctx, t, false),
};

export const EDSA: Protocol = {
  id: "edsa",
  name: "EDSA",
  title: "Marvell EDSA tag",
  dissect: (r, ctx, t) => dissectTag(r, ctx, t, true),
};

bind("linktype", LINKTYPE_DSA_TAG_DSA, DSA);
bind("linktype", LINKTYPE_DSA_TAG_EDSA, EDSA);
