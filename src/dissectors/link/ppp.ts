/**
 * PPP (RFC 1661): link types PPP (9) and PPP_SERIAL (50, PPP in HDLC framing), and PPP inside PPPoE sessions
 * (table "ppp"). tcpdump (print-ppp.c) prints no PPP header without -e, only what it carries:
 *   "MPLS (label 100704, ...) 12.4.4.4.42315 > ...", "IP 10.5.0.1 > 12.4.4.4: ICMP ..."
 *   control protocols: "LCP, Echo-Request (0x09), id 106, length 14" (the length counts the protocol field)
 *   an unknown protocol: "unknown PPP protocol (0x1234) "
 * With -e: "MPLS (0x0281), length 48: " before the payload (address/control and the 1- or 2-byte protocol
 * field are skipped). PPP_SERIAL prints the protocol name even without -e: "IP: IP 1.2.3.4 > ...".
 * The control protocols' options (tcpdump -v), CHAP, PAP, BAP, multilink and HDLC-escaped frames are not
 * decoded: their line is the protocol's name and code only. Fields: Wireshark's ppp.* names.
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { hex } from "../format.js";
import { fields, type Ctx, type Handoff, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

/** tcpdump's names of PPP protocol numbers */
export const PPP_NAMES: Readonly<Record<number, string>> = {
  0x0021: "IP",
  0x0023: "OSI",
  0x0025: "NS",
  0x0027: "DECNET",
  0x0029: "APPLE",
  0x002b: "IPX",
  0x002d: "VJC IP",
  0x002f: "VJNC IP",
  0x0031: "BRPDU",
  0x0033: "STII",
  0x0035: "VINES",
  0x0281: "MPLS",
  0x0283: "MPLS",
  0x00fd: "Compressed",
  0x003d: "MLPPP",
  0x0057: "IP6",
  0x0201: "HELLO",
  0x0231: "LUXCOM",
  0x0233: "SNS",
  0x8021: "IPCP",
  0x8023: "OSICP",
  0x8025: "NSCP",
  0x8027: "DECNETCP",
  0x8029: "APPLECP",
  0x802b: "IPXCP",
  0x8033: "STIICP",
  0x8035: "VINESCP",
  0x8057: "IP6CP",
  0x8281: "MPLSCP",
  0xc021: "LCP",
  0xc023: "PAP",
  0xc025: "LQM",
  0xc223: "CHAP",
  0xc227: "EAP",
  0xc027: "SPAP",
  0xc123: "Old-SPAP",
  0xc02b: "BACP",
  0xc02d: "BAP",
  0xc03d: "MLPPP-CP",
  0x80fd: "CCP",
};

/** LCP/NCP codes (RFC 1661, 1570, 1962), as tcpdump spells them */
const CP_CODES: Readonly<Record<number, string>> = {
  0: "Vendor-Extension",
  1: "Conf-Request",
  2: "Conf-Ack",
  3: "Conf-Nack",
  4: "Conf-Reject",
  5: "Term-Request",
  6: "Term-Ack",
  7: "Code-Reject",
  8: "Prot-Reject",
  9: "Echo-Request",
  10: "Echo-Reply",
  11: "Disc-Req",
  12: "Ident",
  13: "Time-Rem",
  14: "Reset-Req",
  15: "Reset-Ack",
};
/** the control protocols tcpdump decodes with its generic code/id/length printer */
const CONTROL = new Set([0xc021, 0x8021, 0x8023, 0x8281, 0x8057, 0x80fd, 0xc02b]);

const F = fields("ppp", {
  address: ["Address", "uint", { base: "hex" }],
  control: ["Control", "uint", { base: "hex" }],
  protocol: ["Protocol", "uint", { base: "hex", values: PPP_NAMES }],
  code: ["Code", "uint", { values: CP_CODES }],
  identifier: ["Identifier", "uint"],
  length: ["Length", "uint"],
});

function truncated(r: Reader, ctx: Ctx): void {
  ctx.line.s(" [|ppp]");
  ctx.truncated = true;
  r.pos = r.cap;
}

/**
 * tcpdump's handle_ppp: the payload of protocol `proto` from r.pos, `length` bytes reported. Returns the
 * handoff for a network layer, or prints the control protocol's line.
 */
export function handlePpp(r: Reader, ctx: Ctx, t: TreeSink, proto: number, length: number): Handoff | void {
  const line = ctx.line;
  switch (proto) {
    case 0x0021:
    case 0x002f:
    case ETHERTYPE.IPV4:
      return ctx.next("ethertype", ETHERTYPE.IPV4);
    case 0x0057:
    case ETHERTYPE.IPV6:
      return ctx.next("ethertype", ETHERTYPE.IPV6);
    case 0x0281:
    case 0x0283:
      return ctx.next("ethertype", ETHERTYPE.MPLS);
    case 0x00fd:
      line.s("compressed PPP data");
      r.pos = r.cap;
      return;
  }
  if (proto === 0x003d) {
    // multilink: "MLPPP, seq 0x123, Flags [begin, end], length N"
    if (!ctx.opts.linkHeader) line.s("MLPPP,");
    if (length < 2 || !r.has(2)) {
      line.s(" [|mlppp]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const w = r.u16();
    const fl = [w & 0x8000 ? "begin" : "", w & 0x4000 ? "end" : ""].filter(Boolean).join(", ");
    line.s(` seq 0x${hex(w & 0x0fff, 3)}, Flags [${fl || "none"}], length ${length}`);
    r.pos = r.cap;
    return;
  }
  if ((proto & 0xff00) === 0x7e00 || proto === 0xc223 || proto === 0xc023 || proto === 0xc02d) {
    // HDLC-escaped frames, multilink, CHAP, PAP, BAP: not decoded here
    line.s(PPP_NAMES[proto] ?? `unknown PPP protocol (0x${hex(proto, 4)})`);
    r.pos = r.cap;
    return;
  }
  if (CONTROL.has(proto)) {
    line.s(`${PPP_NAMES[proto]}, `);
    if (length < 4) return truncated(r, ctx);
    const p = r.pos;
    const code = r.u8();
    const id = r.u8();
    if (r.truncated) return; // " [|ppp]"
    if (t.on) {
      t.add(F.code, code, p, 1);
      t.add(F.identifier, id, p + 1, 1);
      if (r.has(2)) t.add(F.length, r.peek16(), p + 2, 2);
    }
    line.s(`${CP_CODES[code] ?? "Unknown Opcode"} (0x${hex(code, 2)}), id ${id}, length ${length + 2}`);
    r.pos = r.cap;
    return;
  }
  line.s(`${PPP_NAMES[proto] ?? `unknown PPP protocol (0x${hex(proto, 4)})`} `);
  r.pos = r.cap;
}

export const PPP: Protocol = {
  id: "ppp",
  name: "PPP",
  title: "Point-to-Point Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const olen = r.reportedRemaining;
    const start = r.pos;
    if (olen < 2) return truncated(r, ctx);
    const hdr = r.peek16();
    if (!r.has(2)) {
      r.skip(2);
      return;
    }
    const e = ctx.opts.linkHeader;
    if (hdr === 0xff03) {
      if (t.on) {
        t.add(F.address, 0xff, start, 1);
        t.add(F.control, 0x03, start + 1, 1);
      }
      r.skip(2);
    } else if (hdr === 0x0003 || hdr === 0x0103) {
      // pppd's direction byte in place of the address
      if (e) ctx.line.s(hdr === 0x0003 ? "In  " : "Out ");
      r.skip(2);
    }
    if (r.reportedRemaining < 2) return truncated(r, ctx);
    const p = r.pos;
    let proto = r.u8();
    if (r.truncated) return;
    if (!(proto & 1)) proto = (proto << 8) | r.u8();
    if (r.truncated) return;
    if (t.on) t.add(F.protocol, proto, p, r.pos - p);
    if (e) {
      const name = PPP_NAMES[proto];
      ctx.line.s(`${name ?? "unknown"} (0x${hex(proto, 4)}), length ${olen}`);
      if (!name) {
        r.pos = r.cap;
        return;
      }
      ctx.line.s(": ");
    }
    return handlePpp(r, ctx, t, proto, r.reportedRemaining);
  },
};

/** PPP in HDLC-like framing (DLT_PPP_SERIAL): address, control, a 2-byte protocol; the name is always printed. */
export const PPP_SERIAL: Protocol = {
  id: "ppp_hdlc",
  name: "PPP",
  title: "PPP In HDLC-Like Framing",
  fields: {},
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    if (!r.has(4)) {
      r.skip(4);
      return;
    }
    const addr = r.u8();
    const control = r.u8();
    const proto = r.u16();
    if (t.on) {
      t.add(F.address, addr, start, 1);
      t.add(F.control, control, start + 1, 1);
      t.add(F.protocol, proto, start + 2, 2);
    }
    if (addr === 0x0f || addr === 0x8f) {
      // Cisco HDLC framing in a PPP_SERIAL file: not decoded
      r.pos = r.cap;
      return;
    }
    if (ctx.opts.linkHeader) ctx.line.s(`${hex(addr, 2)} ${hex(control, 2)} ${length} `);
    ctx.line.s(`${PPP_NAMES[proto] ?? `unknown PPP protocol (0x${hex(proto, 4)})`}: `);
    return handlePpp(r, ctx, t, proto, length - 4);
  },
};

bind("linktype", 9, PPP);
bind("ppp", 0, PPP);
bind("linktype", 50, PPP_SERIAL);
