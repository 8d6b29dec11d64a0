/**
 * Broadcom switch tags (Linux DSA's "brcm" and "brcm-prepend" taggers): a 4-byte tag after the addresses
 * (DLT_DSA_TAG_BRCM, link type 281) or before the whole frame (DLT_DSA_TAG_BRCM_PREPEND, 282). tcpdump prints
 * the tag after the addresses with or without -e ("BRCM tag OP: IG, TC: 0, TE: None, TS: 0, DST map: 0x0080, "),
 * and the prepended tag only with -e, before the addresses. tshark does not read these link types; the fields
 * are named brcm_tag.* as Wireshark's Broadcom tag protocol names its opcode.
 */
import { bind } from "../registry.js";
import { ETHERTYPE_NAMES } from "../constants.js";
import { hex, readMac } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";
import { ethertypeText } from "./ethernet.js";

export const LINKTYPE_DSA_TAG_BRCM = 281;
export const LINKTYPE_DSA_TAG_BRCM_PREPEND = 282;

/** tag enforcement of an ingress (CPU to switch) tag */
const TE: Readonly<Record<number, string>> = { 0: "None", 1: "Untag", 2: "Header", 3: "Reserved" };
/** reason code of an egress (switch to CPU) tag: one value each, anything else "reserved" */
const RC: Readonly<Record<number, string>> = { 0x01: "mirror", 0x02: "MAC learning", 0x04: "switching", 0x08: "prot term", 0x10: "prot snoop", 0x20: "exception" };

const F = fields("brcm_tag", {
  opcode: ["Opcode", "uint"],
  tc: ["Traffic class", "uint"],
  te: ["Tag enforcement", "uint", { values: TE }],
  ts: ["Time stamp request", "uint"],
  dst_map: ["Destination map", "uint", { base: "hex" }],
  cid: ["Classification id", "uint"],
  rc: ["Reason code", "uint", { base: "hex", values: RC }],
  port: ["Source port", "uint"],
  type: ["Type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
});

const TAG = 4;

function cut(r: Reader, ctx: Ctx, text: string): void {
  ctx.line.s(text);
  ctx.truncated = true;
  r.pos = r.cap;
}

/** The tag at r.pos (4 bytes, present): its text as tcpdump prints it, and its fields. */
function tag(r: Reader, t: TreeSink): string {
  const at = r.pos;
  const b0 = r.u8(),
    b1 = r.u8(),
    b2 = r.u8(),
    b3 = r.u8();
  // tcpdump names the opcode "EG" only for a first byte of 0, and lays out the rest by bit 5 (opcode 1)
  let s = `BRCM tag OP: ${b0 === 0 ? "EG" : "IG"}, `;
  if (t.on) t.add(F.opcode, b0 >> 5, at, 1);
  if (b0 & 0x20) {
    const tc = (b1 >> 2) & 7,
      te = b1 & 3,
      ts = b1 >> 7,
      map = ((b2 & 1) << 8) | b3;
    s += `TC: ${tc}, TE: ${TE[te]}, TS: ${ts}, DST map: 0x${hex(map, 4)}, `;
    if (t.on) {
      t.add(F.tc, tc, at + 1, 1);
      t.add(F.te, te, at + 1, 1);
      t.add(F.ts, ts, at + 1, 1);
      t.add(F.dst_map, map, at + 2, 2);
    }
  } else {
    const tc = b3 >> 5,
      port = b3 & 0x1f;
    s += `CID: ${b1}, RC: ${RC[b2] ?? "reserved"}, TC: ${tc}, port: ${port}, `;
    if (t.on) {
      t.add(F.cid, b1, at + 1, 1);
      t.add(F.rc, b2, at + 2, 1);
      t.add(F.tc, tc, at + 3, 1);
      t.add(F.port, port, at + 3, 1);
    }
  }
  return s;
}

export const BRCM_TAG: Protocol = {
  id: "brcm_tag",
  name: "Broadcom tag",
  title: "Broadcom tag protocol",
  fields: F,
  dissect(r, ctx, t) {
    const prepend = ctx.linktype === LINKTYPE_DSA_TAG_BRCM_PREPEND;
    const e = ctx.opts.linkHeader;
    let pre = "";
    if (prepend) {
      // the tag, then an Ethernet frame (tcpdump's -e shows the tag first, and the frame's own length)
      if (!r.has(TAG)) return cut(r, ctx, " [|brcm-tag-prepend]");
      pre = tag(r, t);
      if (!r.has(14)) return cut(r, ctx, e ? `${pre} [|ether]` : " [|ether]");
    } else if (!r.has(12 + TAG + 2)) return cut(r, ctx, " [|brcm-tag]");
    const frameLen = r.reportedRemaining;
    const dst = readMac(r);
    const src = readMac(r);
    const mid = prepend ? "" : tag(r, t);
    const type = r.u16();
    if (t.on) t.add(F.type, type, r.pos - 2, 2);
    if (e) ctx.line.s(`${pre}${src} > ${dst}, ${mid}${ethertypeText(type)}, length ${frameLen}: `);
    else if (!prepend) ctx.line.s(mid);
    return ctx.next("ethertype", type);
  },
};

bind("linktype", [LINKTYPE_DSA_TAG_BRCM, LINKTYPE_DSA_TAG_BRCM_PREPEND], BRCM_TAG);
