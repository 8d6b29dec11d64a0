/**
 * PPP (RFC 1661): link types PPP (9) and PPP_SERIAL (50, PPP in HDLC framing), and PPP inside PPPoE sessions
 * (table "ppp"). tcpdump (print-ppp.c) prints no PPP header without -e, only what it carries:
 *   "MPLS (label 100704, ...) 12.4.4.4.42315 > ...", "IP 10.5.0.1 > 12.4.4.4: ICMP ..."
 *   control protocols: "LCP, Echo-Request (0x09), id 106, length 14" (the length counts the protocol field)
 *   an unknown protocol: "unknown PPP protocol (0x1234) "
 * With -e: "MPLS (0x0281), length 48: " before the payload (address/control and the 1- or 2-byte protocol
 * field are skipped). PPP_SERIAL prints the protocol name even without -e: "IP: IP 1.2.3.4 > ...".
 * With -v the control protocols' encoded length, LCP's options, magic numbers and rejected protocols; CHAP and
 * PAP print their code, id, values and names; IPCP's options (IP-Comp with its header compression
 * parameters and suboptions). HDLC-escaped frames (a protocol field of 0x7e..) are unescaped as tcpdump
 * does: their control protocols printed, a network layer handed on in the unescaped buffer (the line only, as
 * tshark shows these frames as data); the options of the other NCPs and BAP are not decoded: their line is the
 * protocol's name only. OSI (0x0023) goes to network/osi.ts. Fields: Wireshark's ppp.* names.
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { hex, ipv4At } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Ctx, type Handoff, type Protocol, type TreeSink } from "../types.js";
import { Reader } from "../reader.js";
import { NULL_TREE } from "../tree.js";

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

/** LCP option names as tcpdump 4.99 spells them */
const LCP_OPTS: readonly string[] = [
  "Vend-Ext", "MRU", "ACCM", "Auth-Prot", "Qual-Prot", "Magic-Num", "deprecated(6)", "PFC", "ACFC", "FCS-Alt", "SDP", "Num-Mode",
  "deprecated(12)", "Call-Back", "deprecated(14)", "deprecated(15)", "deprecated(16)", "MRRU", "12-Bit seq #", "End-Disc", "Proprietary",
  "DCE-Id", "MP+", "Link-Disc", "LCP-Auth-Opt", "COBS", "Prefix-elision", "Multilink-header-Form", "I18N", "SDL-over-SONET/SDH", "PPP-Muxing",
];
const CHAP_ALGS: Readonly<Record<number, string>> = { 5: "MD5", 0x80: "MS-CHAPv1", 0x81: "MS-CHAPv2" };
const CALLBACK_OPS: Readonly<Record<number, string>> = { 0: "UserAuth", 1: "DialString", 2: "LocalID", 3: "E.164", 4: "X.500", 6: "CBCP" };
const IPCP_OPTS: Readonly<Record<number, string>> = {
  1: "IP-Addrs", 2: "IP-Comp", 3: "IP-Addr", 4: "Home-Addr", 129: "Pri-DNS", 130: "Pri-NBNS", 131: "Sec-DNS", 132: "Sec-NBNS",
};

/**
 * tcpdump's -v detail of a control protocol packet at p (code, id, length, data): the encoded length, then
 * by code the magic number, rejected protocol, or (LCP, IPCP) the options. False when the bytes run out
 * ("[|LCP]"), or tcpdump's marker for where they ran out: an option's header "[|lcp]", its value " [|ppp]".
 */
function controlDetail(r: Reader, ctx: Ctx, proto: number, code: number, p: number, length: number): boolean | string {
  const line = ctx.line;
  const has = (off: number, n: number) => p + off + n <= r.cap;
  const b = (off: number) => r.byteAt(p + off);
  const w = (off: number) => (b(off) << 8) | b(off + 1);
  const d = (off: number) => ((w(off) << 16) | w(off + 2)) >>> 0;
  if (!has(2, 2)) return false;
  const len = w(2);
  if (len < 4) {
    line.s(`\n\tencoded length ${len} (< 4))`);
    return true;
  }
  if (len > length) {
    line.s(`\n\tencoded length ${len} (> packet length ${length}))`);
    return true;
  }
  line.s(`\n\tencoded length ${len} (=Option(s) length ${len - 4})`);
  // -vv: tcpdump dumps the protocol field and the control header (6 bytes from the protocol)
  if (ctx.opts.verbose > 1) hexPrint(line, r, "\n\t", p - 2, 6);
  switch (code) {
    case 1:
    case 2:
    case 3:
    case 4: {
      if (proto !== 0xc021 && proto !== 0x8021) return true; // other protocols' options are not decoded
      const lcp = proto === 0xc021;
      let x = len - 4;
      let q = 4;
      for (let n = 0; x > 0 && n < 256; n++) {
        if (x < 2) break;
        if (!has(q, 2)) return lcp ? "[|lcp]" : "[|ipcp]";
        const opt = b(q);
        const ol = b(q + 1);
        const name = lcp ? LCP_OPTS[opt] : (IPCP_OPTS[opt] ?? "unknown");
        if (ol < 2) {
          line.s(name !== undefined ? `\n\t  ${name} Option (0x${hex(opt, 2)}), length ${ol} (length bogus, should be >= 2)` : `\n\tunknown LCP option 0x${hex(opt, 2)}`);
          break;
        }
        let stop = false;
        if (name === undefined) line.s(`\n\tunknown LCP option 0x${hex(opt, 2)}`);
        else {
          line.s(`\n\t  ${name} Option (0x${hex(opt, 2)}), length ${ol}`);
          // IP-Comp reads only the bytes it prints (tcpdump checks them one by one); the others are read whole
          if (!lcp && opt === 2) {
            const c = ipComp(r, ctx, p + q, ol);
            if (c === false) break;
            if (c !== true) return c;
          } else if (!has(q, ol)) return " [|ppp]";
          const bogus = (want: string) => line.s(` (length bogus, should be ${want})`);
          if (!lcp) {
            if (opt === 1) {
              if (ol !== 10) bogus("= 10");
              else line.s(`: src ${ipv4At(r.data, p + q + 2)}, dst ${ipv4At(r.data, p + q + 6)}`);
            } else if (opt === 3 || opt === 4 || (opt >= 129 && opt <= 132)) {
              if (ol !== 6) {
                bogus("= 6");
                stop = true;
              } else line.s(`: ${ipv4At(r.data, p + q + 2)}`);
            } else if (opt === 2) {
              // printed above
            } else if (ctx.opts.verbose < 2) hexPrint(line, r, "\n\t    ", p + q + 2, ol - 2);
          } else if (opt === 1 && ol === 4) line.s(`: ${w(q + 2)}`);
          else if (opt === 1) bogus("= 4");
          else if ((opt === 2 || opt === 5) && ol === 6) line.s(`: 0x${hex(d(q + 2), 8)}`);
          else if (opt === 2 || opt === 5) bogus("= 6");
          else if (opt === 3 && ol >= 4) {
            const ap = w(q + 2);
            line.s(`: ${PPP_NAMES[ap] ?? "Unknown Auth Proto (0x04x)"}`);
            if (ap === 0xc223) line.s(`, ${CHAP_ALGS[b(q + 4)] ?? `Unknown Auth Alg ${b(q + 4)}`}`);
            else if (ap !== 0xc023 && ap !== 0xc227 && ap !== 0xc027 && ap !== 0xc123) hexPrint(line, r, "\n\t", p + q, ol);
          } else if (opt === 13) {
            if (ol < 3) {
              bogus(">= 3");
              stop = true;
            } else line.s(`: : Callback Operation ${CALLBACK_OPS[b(q + 2)] ?? "Unknown"} (${b(q + 2)})`);
          } else if (opt !== 7 && opt !== 8 && ol > 2 && ctx.opts.verbose < 2) hexPrint(line, r, "\n\t    ", p + q + 2, ol - 2);
        }
        if (stop) break;
        if (ctx.opts.verbose > 1) hexPrint(line, r, "\n\t    ", p + q + 2, ol - 2);
        // tcpdump prints the option whole, then finds it longer than what was left of the options
        if (x < ol) {
          line.s(` [remaining options length ${x} < ${ol}] (invalid)`);
          break;
        }
        x -= ol;
        q += ol;
      }
      return true;
    }
    case 8:
      if (length < 6) return true;
      if (!has(4, 2)) return false;
      line.s(`\n\t  Rejected ${PPP_NAMES[w(4)] ?? "unknown"} Protocol (0x${hex(w(4), 4)})`);
      if (len > 6) {
        line.s("\n\t  Rejected Packet");
        hexPrint(line, r, "\n\t    ", p + 6, len - 6);
      }
      return true;
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
      if (length < 8) return true;
      if (!has(4, 4)) return false;
      line.s(`\n\t  Magic-Num 0x${hex(d(4), 8)}`);
      if (code === 13) {
        if (length >= 12 && has(8, 4)) line.s(`, Seconds-Remaining ${d(8)}s`);
      } else if (code === 12) {
        if (len > 8) line.s("\n\t  Message\n\t    ").latin1(r.data, p + 8, Math.min(len - 8, Math.max(0, r.cap - p - 8)));
      } else if (len > 8) {
        line.s("\n\t  -----trailing data-----");
        if (!has(8, len - 8)) return false;
        hexPrint(line, r, "\n\t  ", p + 8, len - 8);
      }
      return true;
    default:
      return true;
  }
}

const IPCOMP_PROTOS: Readonly<Record<number, string>> = { 0x2d: "VJ-Comp", 0x61: "IP Header Compression" };
const IPCOMP_SUBOPTS: Readonly<Record<number, string>> = { 1: "RTP-Compression", 2: "Enhanced RTP-Compression" };
/**
 * IPCP's IP-Compression-Protocol option at o (ol bytes) as tcpdump prints it: the protocol, and for IP Header
 * Compression (RFC 2509) its parameters and suboptions. False where tcpdump stops the options (a bogus
 * length), "[|ipcp]" where the bytes run out, true otherwise.
 */
function ipComp(r: Reader, ctx: Ctx, o: number, ol: number): boolean | string {
  const line = ctx.line;
  const w = (at: number): number => (r.byteAt(at) << 8) | r.byteAt(at + 1);
  if (ol < 4) {
    line.s(" (length bogus, should be >= 4)");
    return false;
  }
  const cp = w(o + 2);
  line.s(`: ${IPCOMP_PROTOS[cp] ?? "Unknown"} (0x${hex(cp, 2)}):`);
  if (cp !== 0x61) return true;
  if (ol < 14) {
    line.s(" (length bogus, should be >= 14)");
    return false;
  }
  if (o + 2 + 14 > r.cap) return "[|ipcp]";
  line.s(`\n\t    TCP Space ${w(o + 4)}, non-TCP Space ${w(o + 6)}, maxPeriod ${w(o + 8)}, maxTime ${w(o + 10)}, maxHdr ${w(o + 12)}`);
  if (ol > 14) {
    let left = ol - 14;
    let s = o + 14;
    line.s(`\n\t      Suboptions, length ${left}`);
    // every pass takes at least one byte off left (a zero length ends the walk)
    while (left >= 2) {
      if (s + 2 > r.cap) return "[|ipcp]";
      const so = r.byteAt(s);
      const sl = r.byteAt(s + 1);
      if (so === 0 || sl === 0) break;
      line.s(`\n\t\t${IPCOMP_SUBOPTS[so] ?? "Unknown"} Suboption #${so}, length ${sl}`);
      if (left < sl) {
        line.s(` [remaining suboptions length ${left} < ${sl}] (invalid)`);
        break;
      }
      left -= sl;
      s += sl;
    }
  }
  return true;
}

const CHAP_CODES: Readonly<Record<number, string>> = { 1: "Challenge", 2: "Response", 3: "Success", 4: "Fail" };
const PAP_CODES: Readonly<Record<number, string>> = { 1: "Auth-Req", 2: "Auth-ACK", 3: "Auth-NACK" };

/**
 * CHAP and PAP as tcpdump prints them: "CHAP, Challenge (0x01), id 1, Value 0a0b..., Name router",
 * "PAP, Auth-Req (0x01), id 1, Peer user, Name secret", "PAP, Auth-ACK (0x02), id 1, Msg ok".
 */
function authLine(r: Reader, ctx: Ctx, proto: number, length: number): void {
  const line = ctx.line;
  const chap = proto === 0xc223;
  const tag = chap ? "chap" : "pap";
  const p = r.pos;
  const cut = () => {
    line.s(" [|ppp]");
    ctx.truncated = true;
    r.pos = r.cap;
  };
  const has = (off: number, n: number) => p + off + n <= r.cap;
  const b = (off: number) => r.byteAt(p + off);
  /** n characters from off, or false when they were not captured */
  const chars = (off: number, n: number): boolean => {
    const m = Math.max(0, Math.min(n, r.cap - p - off));
    line.latin1(r.data, p + off, m);
    return m === n;
  };
  r.pos = r.cap;
  /** tcpdump's own mark of a message too short for its code (no space before it) */
  const short = () => {
    line.s(`[|${tag}]`);
    ctx.truncated = true;
  };
  if (length < 1) return short();
  if (!has(0, 1)) return cut();
  if (length < 4) {
    line.s(`[|${tag} 0x${hex(b(0), 2)}]`);
    ctx.truncated = true;
    return;
  }
  const code = b(0);
  line.s(`${chap ? "CHAP" : "PAP"}, ${(chap ? CHAP_CODES : PAP_CODES)[code] ?? "unknown"} (0x${hex(code, 2)})`);
  if (!has(1, 1)) return cut();
  line.s(`, id ${b(1)}`);
  if (!has(2, 2)) return cut();
  const len = (b(2) << 8) | b(3);
  if (chap) {
    if (code === 1 || code === 2) {
      if (length - 4 < 1) return;
      if (!has(4, 1)) return cut();
      const vs = b(4);
      if (length - 5 < vs) return;
      line.s(", Value ");
      for (let i = 0; i < vs; i++) {
        if (!has(5 + i, 1)) return cut();
        line.hex(b(5 + i), 2);
      }
      line.s(", Name ");
      if (!chars(5 + vs, Math.max(0, len - 5 - vs))) return cut();
    } else if (code === 3 || code === 4) {
      line.s(", Msg ");
      if (!chars(4, Math.max(0, len - 4))) return cut();
    }
    return;
  }
  if (len > length) {
    line.s(`, length ${len} > packet size`);
    return;
  }
  if (len < 4) {
    line.s(`, length ${len} < PAP header length`);
    return;
  }
  if (code === 1) {
    if (len < 6) return short();
    if (!has(4, 1)) return cut();
    const pl = b(4);
    if (len - 5 < pl) return;
    line.s(", Peer ");
    if (!chars(5, pl)) return cut();
    if (len - 5 - pl < 1) return;
    if (!has(5 + pl, 1)) return cut();
    const wl = b(5 + pl);
    if (len - 6 - pl < wl) return;
    line.s(", Name ");
    if (!chars(6 + pl, wl)) return cut();
  } else if (code === 2 || code === 3) {
    if (len < 5) return short();
    if (!has(4, 1)) return cut();
    const ml = b(4);
    if (len - 5 < ml) return;
    line.s(", Msg ");
    if (!chars(5, ml)) return cut();
  }
}

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
    case 0x0023:
      // OSI: tcpdump's isoclns_print (network/osi.ts, bound under GRE's protocol number for OSI)
      return ctx.next("ethertype", 0x00fe);
    case 0x002b:
      return ctx.next("ipx", 0); // network/ipx.ts
    case 0x00fd:
      line.s("compressed PPP data");
      r.pos = r.cap;
      return;
  }
  if (proto === 0x003d) {
    // multilink: "MLPPP, seq 0x123, Flags [begin, end], length N"
    if (!ctx.opts.linkHeader) line.s("MLPPP, ");
    if (length < 2 || !r.has(2)) {
      line.s("[|mlppp]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const w = r.u16();
    const fl = [w & 0x8000 ? "begin" : "", w & 0x4000 ? "end" : ""].filter(Boolean).join(", ");
    line.s(`seq 0x${hex(w & 0x0fff, 3)}, Flags [${fl || "none"}], length ${length}`);
    r.pos = r.cap;
    return;
  }
  if (proto === 0xc223 || proto === 0xc023) return authLine(r, ctx, proto, length);
  if ((proto & 0xff00) === 0x7e00) return pppHdlc(r, ctx);
  if (proto === 0xc223 || proto === 0xc023 || proto === 0xc02d) {
    // BAP: not decoded here
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
    if (ctx.opts.verbose > 0 && length > 4) {
      const ok = controlDetail(r, ctx, proto, code, p, length);
      if (ok !== true) {
        line.s(ok === false ? `[|${PPP_NAMES[proto]}]` : ok); // tcpdump: no space, the name as printed
        ctx.truncated = true;
      }
    }
    r.pos = r.cap;
    return;
  }
  line.s(`${PPP_NAMES[proto] ?? `unknown PPP protocol (0x${hex(proto, 4)})`} `);
  r.pos = r.cap;
}

/**
 * tcpdump's ppp_hdlc, for a protocol field that is an HDLC flag (0x7e..): the captured bytes from the protocol's
 * low byte on are unescaped (0x7d x -> x ^ 0x20) into a buffer of their own, whose first byte may be IP's or
 * IPv6's one-byte protocol, else whose first two bytes are the protocol (or an address and control field, then
 * the protocol). Control and authentication protocols are printed from that buffer (their tree is not made:
 * its offsets would not be the frame's); a network layer is handed on in that buffer (Handoff.data, with the
 * map of each byte to the frame byte it came from), for the line only: tshark does not unescape these frames
 * (it shows them as data), so the tree keeps them as data too. The buffer is made only for such frames.
 */
function pppHdlc(r: Reader, ctx: Ctx): Handoff | void {
  const from = r.pos - 1;
  const caplen = r.cap - from;
  r.pos = r.cap;
  if (caplen <= 0 || r.rep - from <= 1) return;
  const b = new Uint8Array(caplen);
  const map = new Int32Array(caplen + 1);
  let n = 0;
  let i = 0;
  for (; i < caplen; i++) {
    map[n] = from + i;
    let c = r.byteAt(from + i);
    if (c === 0x7d) {
      if (i + 1 >= caplen) break;
      c = r.byteAt(from + ++i) ^ 0x20;
    }
    b[n++] = c;
  }
  map[n] = from + i;
  const cut = (): void => {
    ctx.line.s(" [|ppp]");
    ctx.truncated = true;
  };
  if (n < 1) return cut();
  let proto = b[0];
  let at = 1;
  if (proto !== 0x21 && proto !== 0x57) {
    if (n < 2) return cut();
    proto = (b[0] << 8) | b[1];
    at = 2;
    if (proto === 0xff03) {
      if (n < 4) return cut();
      proto = (b[2] << 8) | b[3];
      at = 4;
    }
    if ((proto & 0xff00) === 0x7e00) {
      ctx.line.s(`(protocol 0x${hex(proto, 4)} invalid)`);
      return;
    }
  }
  const nr = new Reader().reset(b, at, n, n);
  const h = proto === 0x21 ? ctx.next("ethertype", ETHERTYPE.IPV4) : proto === 0x57 ? ctx.next("ethertype", ETHERTYPE.IPV6) : handlePpp(nr, ctx, NULL_TREE, proto, n - at);
  if (nr.truncated) ctx.truncated = true;
  if (!h) return;
  h.data = b;
  h.start = nr.pos;
  h.end = n;
  h.map = map.subarray(0, n + 1);
  ctx.lineOnly = true;
  return h;
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
