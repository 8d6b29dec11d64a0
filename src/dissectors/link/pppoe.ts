/**
 * PPPoE (RFC 2516): discovery (ethertype 0x8863) and session (0x8864) stages. tcpdump's line (print-pppoe.c):
 *   "PPPoE PADI [Service-Name] [PPP-Max-Payload 0x05DC] [Host-Uniq 0x16372C16]"   discovery: the tags
 *   "PPPoE  [ses 0x17] LCP, Echo-Request (0x09), id 106, length 14"               session: PPP follows
 * A tag value prints as text in quotes when most of it is printable (at most 79 characters, '.' for the
 * others), else as upper-case hex. A payload length beyond the frame prints " [len N > M!]" and is cut.
 * Fields: Wireshark's pppoe.* and pppoed.* names.
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { fields, type Protocol } from "../types.js";

const CODES: Readonly<Record<number, string>> = { 0x09: "PADI", 0x07: "PADO", 0x19: "PADR", 0x65: "PADS", 0xa7: "PADT", 0x00: "" };
const TAGS: Readonly<Record<number, string>> = {
  0x0000: "EOL",
  0x0101: "Service-Name",
  0x0102: "AC-Name",
  0x0103: "Host-Uniq",
  0x0104: "AC-Cookie",
  0x0105: "Vendor-Specific",
  0x0110: "Relay-Session-ID",
  0x0120: "PPP-Max-Payload",
  0x0201: "Service-Name-Error",
  0x0202: "AC-System-Error",
  0x0203: "Generic-Error",
};
const HDR = 6;
const MAXTAGPRINT = 80;

const F = fields("pppoe", {
  version: ["Version", "uint"],
  type: ["Type", "uint"],
  code: ["Code", "uint", { base: "hex", values: CODES }],
  session: ["Session ID", "uint", { name: "pppoe.session_id", base: "hex" }],
  length: ["Payload Length", "uint", { name: "pppoe.payload_length" }],
  tag: ["Tag", "uint", { name: "pppoed.tag", base: "hex", values: TAGS }],
  tagLen: ["Tag Length", "uint", { name: "pppoed.tag_length" }],
});

const HEXU = "0123456789ABCDEF";

export const PPPOE: Protocol = {
  id: "pppoe",
  name: "PPPoE",
  title: "PPP-over-Ethernet",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const line = ctx.line;
    let length = r.reportedRemaining;
    if (length < HDR) {
      line.s(" [|pppoe]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    length -= HDR;
    const vt = r.u8();
    const code = r.u8();
    const ses = r.u16();
    let plen = r.u16();
    if (r.truncated) return; // " [|pppoe]"
    if (t.on) {
      t.add(F.version, vt >> 4, start, 1);
      t.add(F.type, vt & 15, start, 1);
      t.add(F.code, code, start + 1, 1);
      t.add(F.session, ses, start + 2, 2);
      t.add(F.length, plen, start + 4, 2);
    }
    if (vt >> 4 !== 1) line.s(` [ver ${vt >> 4}]`);
    if ((vt & 15) !== 1) line.s(` [type ${vt & 15}]`);
    line.s(`PPPoE ${CODES[code] ?? `PAD-${code.toString(16)}`}`);
    if (code === 0x09 && plen > 1484 - HDR) line.s(` [len ${plen}!]`);
    if (plen > length) {
      line.s(` [len ${plen} > ${length}!]`);
      plen = length;
    }
    if (ses) line.s(` [ses 0x${ses.toString(16)}]`);
    const payload = r.pos;
    if (code === 0) {
      line.s(" ");
      r.limit(plen);
      return ctx.next("ppp", 0);
    }
    // discovery: tags until EOL or the payload's end
    let tag = 0xffff;
    let p = payload;
    const end = payload + plen;
    while (tag !== 0 && p < end) {
      r.pos = p;
      tag = r.u16();
      const tl = r.u16();
      if (r.truncated) return; // " [|pppoe]"
      if (t.on) {
        t.add(F.tag, tag, p, 2);
        t.add(F.tagLen, tl, p + 2, 2);
      }
      p += 4;
      const name = TAGS[tag] ?? `TAG-0x${tag.toString(16)}`;
      if (tl) {
        if (!r.has(tl)) {
          r.skip(tl); // " [|pppoe]"
          return;
        }
        let text = "";
        let ascii = 0;
        let garbage = 0;
        for (let i = 0; i < tl && text.length < MAXTAGPRINT - 1; i++) {
          const c = r.byteAt(p + i);
          if (c >= 0x20 && c < 0x7f) {
            text += String.fromCharCode(c);
            ascii++;
          } else {
            text += ".";
            garbage++;
          }
        }
        if (ascii > garbage) line.s(` [${name} "${text}"]`);
        else {
          line.s(` [${name} 0x`);
          for (let i = 0; i < tl; i++) {
            const c = r.byteAt(p + i);
            line.c(HEXU.charCodeAt(c >> 4)).c(HEXU.charCodeAt(c & 15));
          }
          line.c(0x5d);
        }
      } else line.s(` [${name}]`);
      p += tl;
    }
    r.pos = r.cap;
  },
};

bind("ethertype", [ETHERTYPE.PPPOE_DISC, ETHERTYPE.PPPOE_SESS], PPPOE);
bind("linktype", 51, PPPOE); // DLT_PPP_ETHER: PPPoE without the Ethernet header
