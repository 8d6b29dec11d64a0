/**
 * The IPv6 Mobility Header (RFC 6275; IPv6 next header 135, and 62 where tcpdump decodes the same), as
 * tcpdump 4.99's print-mobility.c prints it:
 *   "mobility: BU seq#=1000 A lifetime=14400"            (no -v)
 *   "mobility: HoT nonce id=0x90a Home Init Cookie=0b0c0d0e:0f1004d2 Home Keygen Token=11121314:15161718"
 *   -v adds the cookies and tokens and the options: "(pad1)(alt-CoA: 2001:db8::1)(ni: ho=0x04d2 co=0x162e)(auth)".
 * tcpdump checks that the byte after each option is captured before printing the option, so an option that
 * ends the capture prints " [|mobility]" instead: that is kept, since it is what tcpdump shows.
 * Fields: Wireshark's mip6.proto, mip6.hlen, mip6.mhtype, mip6.csum, mip6.bu.seqnr, mip6.bu.lifetime,
 * mip6.ba.status, mip6.ba.seqnr, mip6.ba.lifetime, mip6.be.status, mip6.be.haddr.
 */
import { bind } from "../registry.js";
import { hex, ipv6At } from "../format.js";
import { fields, type Protocol } from "../types.js";

const TYPES: Readonly<Record<number, string>> = { 0: "BRR", 1: "HoTI", 2: "CoTI", 3: "HoT", 4: "CoT", 5: "BU", 6: "BA", 7: "BE" };
/** The least header length of each message type (tcpdump's ip6m_hdrlen). */
const MINLEN = [8, 16, 16, 24, 24, 12, 12, 24];

const F = fields("mip6", {
  proto: ["Payload protocol", "uint"],
  hlen: ["Header length", "uint"],
  mhtype: ["Mobility Header Type", "uint", { values: TYPES }],
  csum: ["Checksum", "uint", { base: "hex" }],
  "bu.seqnr": ["Sequence number", "uint"],
  "bu.lifetime": ["Lifetime", "uint"],
  "ba.status": ["Status", "uint"],
  "ba.seqnr": ["Sequence number", "uint"],
  "ba.lifetime": ["Lifetime", "uint"],
  "be.status": ["Status", "uint"],
  "be.haddr": ["Home Address", "ipv6"],
});

export const MOBILITY: Protocol = {
  id: "mip6",
  name: "MIPv6",
  title: "Mobile IPv6",
  truncName: "mobility",
  fields: F,
  dissect(r, ctx, t) {
    const b = r.pos;
    const line = ctx.line;
    const v = ctx.opts.verbose > 0;
    // every read past the captured bytes ends the line with " [|mobility]", as tcpdump's GET_ macros do
    const cut = () => void r.skip(r.cap - r.pos + 1);
    const at = (o: number) => b + o < r.cap;
    const u16 = (o: number) => (r.byteAt(b + o) << 8) | r.byteAt(b + o + 1);
    const u32 = (o: number) => ((u16(o) << 16) | u16(o + 2)) >>> 0;
    if (!at(2)) return cut();
    const mhlen = (r.byteAt(b + 1) + 1) << 3;
    const type = r.byteAt(b + 2);
    if (t.on) {
      t.add(F.proto, r.byteAt(b), b, 1);
      t.add(F.hlen, r.byteAt(b + 1), b + 1, 1);
      t.add(F.mhtype, type, b + 2, 1);
      if (at(5)) t.add(F.csum, u16(4), b + 4, 2);
    }
    if (type < MINLEN.length && mhlen < MINLEN[type]) {
      line.s(`(header length ${mhlen} is too small for type ${type})`);
      return cut();
    }
    line.s(`mobility: ${TYPES[type] ?? `type-#${type}`}`);
    let hlen = 8;
    const cookie = (o: number, what: string) => {
      if (!at(o + 7)) return false;
      line.s(` ${what}=${hex(u32(o), 8)}:${hex(u32(o + 4), 8)}`);
      return true;
    };
    switch (type) {
      case 0:
        break;
      case 1:
      case 2:
        if (v && !cookie(8, `${type === 1 ? "Home" : "Care-of"} Init Cookie`)) return cut();
        hlen = 16;
        break;
      case 3:
      case 4: {
        if (!at(7)) return cut();
        line.s(` nonce id=0x${u16(6).toString(16)}`);
        const who = type === 3 ? "Home" : "Care-of";
        if (v && (!cookie(8, `${who} Init Cookie`) || !cookie(16, `${who} Keygen Token`))) return cut();
        hlen = 24;
        break;
      }
      case 5: {
        if (!at(7)) return cut();
        line.s(` seq#=${u16(6)}`);
        if (t.on) t.add(F["bu.seqnr"], u16(6), b + 6, 2);
        if (!at(8)) return cut();
        const bits = r.byteAt(b + 8);
        if (bits & 0xf0) line.s(` ${bits & 0x80 ? "A" : ""}${bits & 0x40 ? "H" : ""}${bits & 0x20 ? "L" : ""}${bits & 0x10 ? "K" : ""}`);
        if (!at(11)) return cut();
        line.s(` lifetime=${u16(10) << 2}`);
        if (t.on) t.add(F["bu.lifetime"], u16(10) << 2, b + 10, 2);
        hlen = 12;
        break;
      }
      case 6: {
        if (!at(6)) return cut();
        line.s(` status=${r.byteAt(b + 6)}`);
        if (t.on) t.add(F["ba.status"], r.byteAt(b + 6), b + 6, 1);
        if (!at(7)) return cut();
        if (r.byteAt(b + 7) & 0x80) line.s(" K");
        if (!at(9)) return cut();
        line.s(` seq#=${u16(8)}`);
        if (!at(11)) return cut();
        line.s(` lifetime=${u16(10) << 2}`);
        if (t.on) {
          t.add(F["ba.seqnr"], u16(8), b + 8, 2);
          t.add(F["ba.lifetime"], u16(10) << 2, b + 10, 2);
        }
        hlen = 12;
        break;
      }
      case 7: {
        if (!at(6)) return cut();
        line.s(` status=${r.byteAt(b + 6)}`);
        if (t.on) t.add(F["be.status"], r.byteAt(b + 6), b + 6, 1);
        if (!at(23)) return cut();
        const a = ipv6At(r.data, b + 8);
        line.s(` homeaddr ${a}`);
        if (t.on) t.add(F["be.haddr"], a, b + 8, 16);
        hlen = 24;
        break;
      }
      default:
        line.s(` len=${r.byteAt(b + 1)}`);
        r.pos = r.cap;
        return;
    }
    if (v && !options(r, ctx.line, b + hlen, mhlen - hlen)) return cut();
    r.pos = r.cap;
  },
};

/** The options after the message's fixed part, in tcpdump's words; false where tcpdump stops with its marker. */
function options(r: { byteAt(p: number): number; cap: number; data: Uint8Array }, line: { s(x: string): unknown }, p: number, len: number): boolean {
  const at = (q: number) => q < r.cap;
  const u16 = (q: number) => (r.byteAt(q) << 8) | r.byteAt(q + 1);
  for (let i = 0, optlen = 0; i < len; i += optlen) {
    if (!at(p + i)) return false;
    const type = r.byteAt(p + i);
    if (type === 0) optlen = 1;
    else {
      if (i + 1 >= len || !at(p + i + 1)) return false;
      optlen = r.byteAt(p + i + 1) + 2;
    }
    if (i + optlen > len || !at(p + i + optlen)) return false;
    const left = len - i;
    switch (type) {
      case 0:
        line.s("(pad1)");
        break;
      case 1:
        if (left < 2) return line.s("(padn: trunc)"), false;
        line.s("(padn)");
        break;
      case 2:
        if (left < 4) return line.s("(refresh: trunc)"), false;
        if (!at(p + i + 3)) return false;
        line.s(`(refresh: ${u16(p + i + 2) << 2})`);
        break;
      case 3:
        if (left < 18) return line.s("(altcoa: trunc)"), false;
        if (!at(p + i + 17)) return false;
        line.s(`(alt-CoA: ${ipv6At(r.data, p + i + 2)})`);
        break;
      case 4:
        if (left < 6) return line.s("(ni: trunc)"), false;
        if (!at(p + i + 5)) return false;
        line.s(`(ni: ho=0x${hex(u16(p + i + 2), 4)} co=0x${hex(u16(p + i + 4), 4)})`);
        break;
      case 5:
        if (left < 12) return line.s("(auth: trunc)"), false;
        line.s("(auth)");
        break;
      default:
        if (left < 2) return line.s(`(sopt_type ${type}: trunc)`), false;
        line.s(`(type-0x${hex(type, 2)}: len=${r.byteAt(p + i + 1)})`);
    }
  }
  return true;
}

// IPv6 only (tcpdump's IPv4 printer has no mobility case): ipv6.ts looks next headers up here first
bind("ipv6.nxt", [62, 135], MOBILITY);
