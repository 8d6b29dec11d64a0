/**
 * ISO CLNS network layer dispatch (tcpdump's isoclns_print, print-isoclns.c): the first byte is the NLPID.
 * Reached from LLC SAP 0xfe (OSI), Cisco HDLC / GRE protocol 0xfefe / 0x00fe, PPP's protocol 0x0023.
 *   IS-IS (0x83) goes to "osi.nlpid" (network/isis.ts), Q.933 (0x08) too (network/q933.ts); ES-IS (0x82) and CLNP (0x81) print their one-line
 *   summaries here (not their -v detail yet); IPv4 / IPv6 (0xcc / 0x8e) after the NLPID go to "ethertype".
 * With -e tcpdump names the NLPID first: "OSI NLPID IS-IS (0x83): "; otherwise each printer names itself
 * ("IS-IS, ...", "ES-IS, ...", "CLNP, ..."). An unknown NLPID prints "OSI NLPID 0xNN unknown, length: N" and
 * a hex dump of the PDU, as tcpdump does.
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

export const NLPID_NAMES: Readonly<Record<number, string>> = {
  0x00: "NULL",
  0x08: "Q.933",
  0x09: "LMI",
  0x80: "SNAP",
  0x81: "CLNP",
  0x82: "ES-IS",
  0x83: "IS-IS",
  0x84: "CONS",
  0x85: "IDRP",
  0x8a: "X25 ES-IS",
  0x8e: "IPv6",
  0xb1: "FRF.15",
  0xc1: "ISIS_SPB",
  0xcc: "IPv4",
  0xcf: "PPP",
};

const NLPID_CLNP = 0x81;
const NLPID_ESIS = 0x82;
const NLPID_ISIS = 0x83;

const F = fields("osi", {
  nlpid: ["Network Layer Protocol Identifier", "uint", { base: "hex", values: NLPID_NAMES }],
});

/** tcpdump's isonsap_string: hex digits, a dot after the first byte and then every two bytes. */
export function nsapText(r: Reader, p: number, n: number): string {
  if (n < 1 || n > 20) return "isonsap_string: illegal length";
  let s = "";
  for (let i = 0; i < n; i++) {
    s += r.byteAt(p + i).toString(16).padStart(2, "0");
    if ((i & 1) === 0 && i + 1 < n) s += ".";
  }
  return s;
}

const CLNP_PDU: Readonly<Record<number, string>> = { 1: "Error Report", 28: "Data", 29: "MD", 30: "Echo Request", 31: "Echo Response" };
const ESIS_PDU: Readonly<Record<number, string>> = { 2: "ESH", 4: "ISH", 6: "redirect" };

export const OSI: Protocol = {
  id: "osi",
  name: "OSI",
  title: "ISO Connectionless Network Service",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    const e = ctx.opts.linkHeader;
    if (!r.has(1)) {
      ctx.line.s(" [|isoclns]");
      ctx.truncated = true;
      return;
    }
    const nlpid = r.peek();
    if (t.on) t.add(F.nlpid, nlpid, start, 1);
    if (e) ctx.line.s(`OSI NLPID ${NLPID_NAMES[nlpid] ?? "Unknown"} (0x${nlpid.toString(16).padStart(2, "0")}): `);
    switch (nlpid) {
      case NLPID_ISIS:
        return ctx.next("osi.nlpid", NLPID_ISIS);
      case 0x08:
        // Q.933 (network/q933.ts), which reads the NLPID as its protocol discriminator (tshark's q931.disc)
        return ctx.next("osi.nlpid", 0x08);
      case NLPID_ESIS:
        esis(r, ctx, e, length);
        return;
      case NLPID_CLNP:
        clnp(r, ctx, e, length);
        return;
      case 0x00:
        ctx.line.s(`${e ? "" : ", "}length: ${length}`);
        r.pos = r.cap;
        return;
      case 0xcc:
        r.pos++;
        return ctx.next("ethertype", ETHERTYPE.IPV4);
      case 0x8e:
        r.pos++;
        return ctx.next("ethertype", ETHERTYPE.IPV6);
      default:
        if (!e) ctx.line.s(`OSI NLPID 0x${nlpid.toString(16).padStart(2, "0")} unknown`);
        ctx.line.s(`${e ? "" : ", "}length: ${length}`);
        if (length > 1) hexPrint(ctx.line, r, "\n\t", start, length);
        r.pos = r.cap;
    }
  },
};

/** ES-IS (ISO 9542): tcpdump's one-line summary, its header checks and its truncation marker. */
function esis(r: Reader, ctx: Ctx, e: boolean, length: number): void {
  const line = ctx.line;
  const p = r.pos;
  if (!e) line.s("ES-IS");
  if (length <= 2) {
    line.s("no header at all!");
    r.pos = r.cap;
    return;
  }
  if (!r.has(9)) {
    line.s(" [|esis]");
    ctx.truncated = true;
    r.pos = r.cap;
    return;
  }
  const li = r.peek(1);
  const version = r.peek(2);
  if (version !== 1) {
    line.s(` version ${version} packet not supported`);
  } else if (li > length) {
    line.s(` length indicator(${li}) > PDU size (${length})!`);
  } else if (li < 11) {
    line.s(` length indicator ${li} < min PDU size:`);
    for (let i = p; i < r.cap; i++) line.s(r.byteAt(i).toString(16).toUpperCase().padStart(2, "0"));
  } else {
    const type = r.peek(4) & 0x1f;
    line.s(`${e ? "" : ", "}${ESIS_PDU[type] ?? `unknown type (${type})`}, length ${length}`);
  }
  r.pos = r.cap;
}

/** CLNP (ISO 8473): tcpdump's one-line summary "CLNP, src > dst, type, length N". */
function clnp(r: Reader, ctx: Ctx, e: boolean, length: number): void {
  const line = ctx.line;
  const p = r.pos;
  if (!r.has(9)) {
    line.s("[|clnp]");
    r.pos = r.cap;
    ctx.truncated = true;
    return;
  }
  const li = r.peek(1);
  if (!e) line.s("CLNP");
  const version = r.peek(2);
  const cut = () => {
    line.s("[|clnp]");
    r.pos = r.cap;
    ctx.truncated = true;
  };
  if (version !== 1) {
    line.s(`version ${version} packet not supported`);
    hexPrint(line, r, "\n\t", p, length);
    r.pos = r.cap;
    return;
  }
  if (li > length) {
    line.s(` length indicator(${li}) > PDU size (${length})!`);
    hexPrint(line, r, "\n\t", p, length);
    r.pos = r.cap;
    return;
  }
  if (li < 9) {
    line.s(` length indicator ${li} < min PDU size:`);
    for (let i = p; i < r.cap; i++) line.s(r.byteAt(i).toString(16).toUpperCase().padStart(2, "0"));
    hexPrint(line, r, "\n\t", p, length);
    r.pos = r.cap;
    return;
  }
  const type = r.peek(4) & 0x1f;
  let rem = li - 9;
  let q = p + 9;
  const bad = () => {
    line.s("li < size of fixed part of CLNP header and addresses");
    hexPrint(line, r, "\n\t", p, length);
    r.pos = r.cap;
  };
  if (rem < 1) return bad();
  if (q + 1 > r.cap) return cut();
  const dl = r.byteAt(q);
  q++;
  rem--;
  if (rem < dl) return bad();
  if (q + dl > r.cap) return cut();
  const dst = q;
  q += dl;
  rem -= dl;
  if (rem < 1) return bad();
  if (q + 1 > r.cap) return cut();
  const sl = r.byteAt(q);
  q++;
  rem--;
  if (rem < sl) return bad();
  if (q + sl > r.cap) return cut();
  line.s(`${e ? "" : ", "}${nsapText(r, q, sl)} > ${nsapText(r, dst, dl)}, ${CLNP_PDU[type] ?? `unknown (${type})`}, length ${length}`);
  r.pos = r.cap;
}


bind("llc.dsap", 0xfe, OSI);
// Cisco HDLC's and GRE's protocol numbers for OSI (tcpdump's ETHERTYPE_ISO and ETHERTYPE_GRE_ISO)
bind("ethertype", [0xfefe, 0x00fe], OSI);
