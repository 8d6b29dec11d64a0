/**
 * Cisco HDLC (DLT_C_HDLC, link type 104; also Cisco framing inside PPP_SERIAL captures, table "chdlc"), as
 * tcpdump's chdlc_print (print-chdlc.c) prints it: nothing of its own without -e, with -e
 *   "bcast, ethertype OSI (0xfefe), length 1504: "
 * then the payload by protocol: IPv4, IPv6, MPLS through "ethertype"; OSI (0xfefe, with its optional fudge
 * byte before the NLPID) through network/osi.ts; SLARP keepalives and address requests printed here
 *   "SLARP (length: 18), keepalive: mineseen=0x..., yourseen=0x..., reliability=0xffff, link uptime=1d2h3m4s"
 * and any other protocol as "unknown CHDLC protocol (0x2000)".
 */
import { bind } from "../registry.js";
import { ETHERTYPE, ETHERTYPE_NAMES } from "../constants.js";
import { ipv4At } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

const CAST: Readonly<Record<number, string>> = { 0x0f: "unicast", 0x8f: "bcast" };
const SLARP = 0x8035;
const ISO = 0xfefe;

const F = fields("chdlc", {
  address: ["Address", "uint", { base: "hex", values: CAST }],
  control: ["Control", "uint", { base: "hex" }],
  protocol: ["Protocol", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
});

const SF = fields("slarp", {
  ptype: ["Packet type", "uint", { values: { 0: "Request", 1: "Reply", 2: "Line keepalive" } }],
  address: ["Address", "ipv4"],
  mysequence: ["Outgoing sequence number", "uint"],
  yoursequence: ["Returned sequence number", "uint"],
});

function cut(r: Reader, ctx: Ctx): void {
  ctx.line.s(" [|chdlc]");
  ctx.truncated = true;
  r.pos = r.cap;
}

export const CHDLC: Protocol = {
  id: "chdlc",
  name: "CHDLC",
  title: "Cisco HDLC",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    let length = r.reportedRemaining;
    if (length < 4 || !r.has(4)) return cut(r, ctx);
    const addr = r.u8();
    const control = r.u8();
    const proto = r.u16();
    if (t.on) {
      t.add(F.address, addr, start, 1);
      t.add(F.control, control, start + 1, 1);
      t.add(F.protocol, proto, start + 2, 2);
    }
    if (ctx.opts.linkHeader) {
      ctx.line.s(`${CAST[addr] ?? `0x${addr.toString(16).padStart(2, "0")}`}, ethertype ${ETHERTYPE_NAMES[proto] ?? "Unknown"} (0x${proto.toString(16).padStart(4, "0")}), length ${length}: `);
    }
    length -= 4;
    switch (proto) {
      case ETHERTYPE.IPV4:
      case ETHERTYPE.IPV6:
      case ETHERTYPE.MPLS:
      case 0x8848:
        return ctx.next("ethertype", proto);
      case SLARP:
        slarp(r, ctx, length, t);
        return;
      case ISO: {
        if (length < 2) return cut(r, ctx);
        if (!r.has(2)) return cut(r, ctx);
        const b = r.peek(1);
        if (b === 0x81 || b === 0x82 || b === 0x83) r.pos++;
        return ctx.next("ethertype", ISO);
      }
      default:
        if (!ctx.opts.linkHeader) ctx.line.s(`unknown CHDLC protocol (0x${proto.toString(16).padStart(4, "0")})`);
        r.pos = r.cap;
    }
  },
};

/** tcpdump's chdlc_slarp_print */
function slarp(r: Reader, ctx: Ctx, length: number, t: Parameters<Protocol["dissect"]>[2]): void {
  const line = ctx.line;
  const p = r.pos;
  const v = ctx.opts.verbose;
  const trunc = () => {
    line.s(" [|chdlc_slarp]");
    ctx.truncated = true;
    r.pos = r.cap;
  };
  if (length < 14) return trunc();
  line.s(`SLARP (length: ${length}), `);
  if (!r.has(4)) return trunc();
  const code = r.peek32();
  if (t.on) t.add(SF.ptype, code, p, 4);
  if (code === 0) line.s("request");
  else if (code === 1) {
    if (!r.has(12)) return trunc();
    line.s(`reply ${ipv4At(r.data, p + 4)}/${ipv4At(r.data, p + 8)}`);
    if (t.on) t.add(SF.address, ipv4At(r.data, p + 4), p + 4, 4);
  } else if (code === 2) {
    if (!r.has(14)) return trunc();
    const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
    line.s(`keepalive: mineseen=0x${hex(r.peek32(4), 8)}, yourseen=0x${hex(r.peek32(8), 8)}, reliability=0x${hex(r.peek16(12), 4)}`);
    if (t.on) {
      t.add(SF.mysequence, r.peek32(4), p + 4, 4);
      t.add(SF.yoursequence, r.peek32(8), p + 8, 4);
    }
    if (length >= 18) {
      if (!r.has(18)) return trunc();
      const sec = Math.floor(r.peek32(14) / 1000);
      line.s(`, link uptime=${Math.floor(sec / 86400)}d${Math.floor((sec % 86400) / 3600)}h${Math.floor((sec % 3600) / 60)}m${sec % 60}s`);
    }
  } else {
    line.s(`0x${code.toString(16).padStart(2, "0")} unknown`);
    if (v <= 1) hexPrint(line, r, "\n\t", p + 4, length - 4);
  }
  if (length > 18 && v) line.s(`, (trailing junk: ${length - 18} bytes)`);
  if (v > 1) hexPrint(line, r, "\n\t", code === 2 && length >= 18 ? p + 18 : p + 4, length - 4);
  r.pos = r.cap;
}

bind("linktype", 104, CHDLC);
bind("chdlc", 0, CHDLC);
