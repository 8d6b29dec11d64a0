/**
 * TCP (RFC 9293) with tcpdump's one-line format:
 *   "IP a.1 > b.2: Flags [P.], seq 1:104, ack 1, win 63, options [nop,nop,TS val 1 ecr 2], length 103: HTTP: GET / HTTP/1.1"
 * Relative sequence numbers follow tcpdump's rule: for segments with ACK set, the first segment seen of a
 * connection (or any SYN) records the base numbers and prints absolute ones; later segments print relative.
 */
import { bind, bindDefault, heuristicsFor, lookup } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { fields, sinkRun, type Ctx, type Protocol, type TreeSink } from "../types.js";
import { DATA } from "../data.js";
import type { Reader } from "../reader.js";
import { bytesText, hex, hexText, ipv4At, ipv6At, printChar } from "../format.js";
import { ascii, Line } from "../line.js";
import { shouldBe, transportSum } from "../network/checksum.js";
import { conversationsOf, type Conversation } from "../../stream/conversations.js";
import { Reassembly, type SegmentResult } from "../../stream/reassembly.js";

const F = fields("tcp", {
  srcport: ["Source Port", "uint"],
  dstport: ["Destination Port", "uint"],
  port: ["Source or Destination Port", "uint"],
  stream: ["Stream index", "uint"],
  len: ["TCP Segment Len", "uint"],
  seq: ["Sequence Number", "uint"],
  seq_raw: ["Sequence Number (raw)", "uint"],
  ack: ["Acknowledgment Number", "uint"],
  ack_raw: ["Acknowledgment number (raw)", "uint"],
  hdr_len: ["Header Length", "uint"],
  flags: ["Flags", "uint", { base: "hex" }],
  "flags.res": ["Reserved", "bool"],
  "flags.ae": ["Accurate ECN", "bool"],
  "flags.cwr": ["Congestion Window Reduced", "bool"],
  "flags.ece": ["ECN-Echo", "bool"],
  "flags.urg": ["Urgent", "bool"],
  "flags.ack": ["Acknowledgment", "bool"],
  "flags.push": ["Push", "bool"],
  "flags.reset": ["Reset", "bool"],
  "flags.syn": ["Syn", "bool"],
  "flags.fin": ["Fin", "bool"],
  "flags.str": ["TCP Flags", "string"],
  window_size_value: ["Window", "uint"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  urgent_pointer: ["Urgent Pointer", "uint"],
  "options.mss_val": ["MSS Value", "uint"],
  "options.wscale.shift": ["Shift count", "uint"],
  "options.sack_perm": ["TCP SACK Permitted Option", "none"],
  "options.sack_le": ["left edge", "uint"],
  "options.sack_re": ["right edge", "uint"],
  "options.timestamp.tsval": ["Timestamp value", "uint"],
  "options.timestamp.tsecr": ["Timestamp echo reply", "uint"],
  payload: ["TCP payload", "bytes"],
  segment_data: ["TCP segment data", "bytes"],
  segments: ["Reassembled TCP Segments", "none"],
  segment: ["TCP Segment", "uint"],
  "segment.count": ["Segment count", "uint"],
  "reassembled.length": ["Reassembled TCP length", "uint"],
  reassembled_in: ["Reassembled PDU in frame", "uint"],
});

const FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10,
  URG = 0x20,
  ECE = 0x40,
  CWR = 0x80;

const OPT_NAMES: Record<number, string> = {
  0: "eol",
  1: "nop",
  2: "mss",
  3: "wscale",
  4: "sackOK",
  5: "sack",
  6: "echo",
  7: "echoreply",
  8: "TS",
  11: "cc",
  12: "ccnew",
  13: "ccecho",
  19: "md5",
  20: "scps",
  21: "snack",
  22: "rec",
  27: "qs",
  28: "uto",
  29: "tcp-ao",
  30: "mptcp",
  34: "tfo",
  253: "exp",
  254: "exp",
};

/** tcpdump's flag letters, in its order: F S R P . U E W */
function makeFlagText(f: number): string {
  let s = "";
  if (f & FIN) s += "F";
  if (f & SYN) s += "S";
  if (f & RST) s += "R";
  if (f & PSH) s += "P";
  if (f & ACK) s += ".";
  if (f & URG) s += "U";
  if (f & ECE) s += "E";
  if (f & CWR) s += "W";
  return s || "none";
}

/** The 256 flag strings, made once. */
/**
 * "Flags [S.]" per flags byte, alone and with what follows it in the line without -v (", seq ", ", ack " or
 * ", win "), as bytes; each made on first use (a few of the 256 occur).
 */
const FLAG_TEXT: Uint8Array[] = [];
const FLAG_SEQ: Uint8Array[] = [];
const FLAG_ACK: Uint8Array[] = [];
const FLAG_WIN: Uint8Array[] = [];
function flagPiece(table: Uint8Array[], f: number, tail: string): Uint8Array {
  return table[f] ?? (table[f] = ascii(`Flags [${makeFlagText(f)}]${tail}`));
}
const SEQ = ascii(", seq "),
  ACK_ = ascii(", ack "),
  WIN = ascii(", win "),
  URG_ = ascii(", urg "),
  OPTIONS = ascii(", options ["),
  OPTIONS_TS = ascii(", options [nop,nop,TS val "),
  LENGTH = ascii(", length ");

const u16at = (d: Uint8Array, q: number) => (d[q] << 8) | d[q + 1];
const u32at = (d: Uint8Array, q: number) => ((d[q] << 24) | (d[q + 1] << 16) | (d[q + 2] << 8) | d[q + 3]) >>> 0;

/** Wireshark's tcp.flags.str: "··········S·" style with letters for set bits (the 4096 made on first use). */
const FLAG_STR: string[] = [];
function wiresharkFlagStr(f: number): string {
  return FLAG_STR[f] ?? (FLAG_STR[f] = makeFlagStr(f));
}
function makeFlagStr(f: number): string {
  const letters = "RRRACEUAPRSF"; // tshark 4.0 names bit 8 A (AccECN), not N
  let s = "";
  for (let i = 0; i < 12; i++) {
    const bit = 11 - i;
    s += f & (1 << bit) ? letters[i] : "\u00b7";
  }
  return s;
}

/**
 * Per-connection base numbers, as tcpdump keys them (the side with the lower port first): kept on the
 * conversation (its tuple fields, which a conversation replacing another on reused ports takes over, as
 * tcpdump's table knows nothing of stream numbers), so no table of its own is looked up per segment. tseq and
 * tack are `| 0`; tframe is the frame that set them: dissecting that packet again (a detail pass after the
 * summary pass) must print what the first pass printed (absolute numbers), not numbers relative to itself.
 * The line's address text for each direction ("a.1 > b.2: ", made once per connection, key order then
 * reversed) is at at0/at1 in the texts' Lines (arena()), len0/len1 bytes long (-1: not made yet).
 */
type SeqBase = Conversation;

/**
 * The connections' address texts, end to end in Lines of 64 KB (escaped as the line writes them): a few dozen
 * bytes a connection instead of an array each. A text's place is (chunk << 17) + offset: full chunks stay as
 * they are, so nothing is copied when the texts grow and no outgrown buffer waits for a full GC (one Line
 * doubling to 2 MB on the 1M-packet benchmark capture kept ~1.5 MB more resident at the peak: issue #19).
 * Kept in ctx.state beside the tables, dropped with them.
 */
const TEXT_CHUNK = 1 << 16;
function arena(ctx: Ctx): Line[] {
  let a = ctx.state.get("tcp.text") as Line[] | undefined;
  if (!a) ctx.state.set("tcp.text", (a = []));
  return a;
}

/** Writes the connection's address text for this direction, made once per connection and direction. */
function addrOnce(ctx: Ctx, base: Conversation, rev: boolean, sport: number, dport: number): void {
  const texts = arena(ctx);
  if ((rev ? base.len1 : base.len0) < 0) {
    let cur = texts[texts.length - 1];
    if (!cur || cur.n > TEXT_CHUNK - 256) {
      texts.push((cur = new Line()));
      cur.buf = Buffer.allocUnsafeSlow(TEXT_CHUNK);
    }
    const at = cur.n;
    cur.s(addrText(ctx, sport, dport));
    const place = ((texts.length - 1) << 17) + at;
    if (rev) {
      base.at1 = place;
      base.len1 = cur.n - at;
    } else {
      base.at0 = place;
      base.len0 = cur.n - at;
    }
  }
  const place = rev ? base.at1 : base.at0;
  ctx.line.bytesAt(texts[place >>> 17].buf, place & 0x1ffff, rev ? base.len1 : base.len0);
}

/** Whether tcpdump files this segment under the reversed key: the lower port first (then the lower address). */
function isRev(ctx: Ctx, sport: number, dport: number): boolean {
  // tcpdump compares address bytes for equal ports; text order is close enough for that rare tie.
  return sport > dport || (sport === dport && ctx.src > ctx.dst);
}

/** Set by options() when the options ran off the captured bytes (the line then ends with " [|tcp]"). */
let optionsCut = false;
/**
 * With optionsCut: the cut came from tcpdump's ND_TCHECK (an option's data) after the first option, where its
 * trunc label adds ">" (" [|tcp]>"); a type or length byte not captured stops without it.
 */
let optionsCutGt = false;
/** Set by options() after a bad option: tcpdump ends the line with the options ("...[bad opt]]"). */
let optionsBad = false;

/**
 * Writes tcpdump's ", options [...]" content as its tcp_print walks them: `hl` header bytes left; an option of
 * fixed size (mss, wscale, timestamps, scps, ...) takes its size whatever its length byte says (then "[len N]"
 * and the walk goes on from there, as tcpdump's does); a length that cannot be, or a size beyond the header,
 * stops at "[bad opt]"; bytes not captured stop at once (the caller ends the line with " [|tcp]", no "]").
 */
function options(s: Line, r: Reader, p: number, end: number, rev: boolean, base: SeqBase | null, flags: number): void {
  const d = r.data;
  const cap = r.cap;
  optionsCut = false;
  optionsCutGt = false;
  optionsBad = false;
  let first = true;
  let hl = end - p;
  // "[bad opt]", and the options' "]" unless it is the first option (tcpdump's)
  const bad = (): void => {
    s.s(first ? "[bad opt]" : "[bad opt]]");
    optionsBad = true;
  };
  while (hl > 0) {
    if (!first) s.c(0x2c);
    if (p >= cap) return void (optionsCut = true);
    const opt = d[p++];
    let len = 1;
    if (opt > 1) {
      if (p >= cap) return void (optionsCut = true);
      len = d[p++];
      if (len < 2 || len > hl) return bad();
      hl--;
    }
    hl--;
    optName(s, opt);
    // tcpdump's LENCHECK: 0 when `l` bytes are there, else what stops the walk
    const check = (l: number): boolean => {
      if (l > hl) {
        bad();
        return false;
      }
      if (p + l > cap) {
        optionsCut = true;
        optionsCutGt = !first;
        return false;
      }
      return true;
    };
    let dl = 0;
    switch (opt) {
      case 0:
      case 1:
      case 4:
        break;
      case 2:
      case 20:
      case 28:
        dl = 2;
        if (!check(2)) return;
        if (opt === 2) s.c(0x20).u(u16at(d, p));
        else if (opt === 20) s.s(" cap ").hex(d[p], 2).s(" id ").u(d[p + 1]);
        else {
          const u = u16at(d, p);
          s.s(` 0x${u.toString(16)} ${u & 1 ? (u >> 1) * 60 : u >> 1}`);
        }
        break;
      case 3:
        dl = 1;
        if (!check(1)) return;
        s.c(0x20).u(d[p]);
        break;
      case 5:
        dl = len - 2;
        if (dl % 8 !== 0) s.s(" invalid sack");
        else {
          s.c(0x20).u(dl / 8).c(0x20);
          for (let i = 0; i < dl; i += 8) {
            if (!check(i + 8)) return; // (tcpdump checks each edge; the text is the same)
            let a = u32at(d, p + i),
              b = u32at(d, p + i + 4);
            if (base) {
              const sub = rev ? base.tseq : base.tack;
              a = (a - sub) >>> 0;
              b = (b - sub) >>> 0;
            }
            s.c(0x7b).u(a).c(0x3a).u(b).c(0x7d);
          }
        }
        break;
      case 6:
      case 7:
      case 11:
      case 12:
      case 13:
        dl = 4;
        if (!check(4)) return;
        s.c(0x20).u(u32at(d, p));
        break;
      case 8:
        dl = 8;
        if (!check(8)) return;
        s.k(VAL).u(u32at(d, p)).k(ECR).u(u32at(d, p + 4));
        break;
      case 19:
        // TCP MD5 signature (RFC 2385): tcpdump cannot check it without -M, and says why
        dl = 16;
        if (!check(16)) return;
        s.s(r.cap < r.rep ? " snaplen too short, can't check - " : " shared secret not supplied with -M, can't check - ");
        for (let i = 0; i < 16; i++) s.hex(d[p + i], 2);
        break;
      case 29:
        // TCP-AO (RFC 5925): key ids and the MAC, as far as captured
        dl = len - 2;
        if (dl < 2) s.s(" (invalid)");
        else {
          if (!check(1)) return;
          s.s(" keyid ").u(d[p]);
          if (!check(2)) return;
          s.s(" rnextkeyid ").u(d[p + 1]);
          if (dl > 2) {
            s.s(" mac 0x");
            for (let i = 2; i < dl; i++) {
              if (!check(i + 1)) return;
              s.hex(d[p + i], 2);
            }
          }
        }
        break;
      case 30:
        // MPTCP (RFC 8684): tcpdump's mptcp_print; a subtype it cannot read ends the options with "[bad opt]"
        dl = len - 2;
        if (!check(dl)) return;
        if (!mptcpText(s, d, p - 2, len, flags)) return bad();
        break;
      case 34:
        dl = len - 2;
        if (!check(dl)) return;
        s.c(0x20); // tcpdump's "tfo  cookie ..." (two spaces)
        tfoText(s, d, p, dl);
        break;
      case 254:
        // RFC 6994 experimental option: "-" and the experiment (TCP Fast Open's magic 0xf989 is "tfo")
        dl = len - 2;
        if (!check(dl)) return;
        if (dl < 2) return bad();
        s.c(0x2d);
        if (u16at(d, p) === 0xf989) {
          s.s("tfo");
          tfoText(s, d, p + 2, dl - 2);
        } else s.hex(d[p], 2).hex(d[p + 1], 2);
        break;
      default:
        dl = len - 2;
        if (dl > 0) s.s(" 0x");
        for (let i = 0; i < dl; i++) {
          if (!check(i + 1)) return;
          s.hex(d[p + i], 2);
        }
    }
    p += dl;
    hl -= dl;
    if (dl + (opt > 1 ? 2 : 1) !== len) s.s("[len ").u(len).c(0x5d);
    first = false;
    if (opt === 0) break;
  }
}

/** tcpdump's print_tcp_rst_data: " [RST text]"; the line holds there (the payload is decoded in the tree only). */
function rstData(line: Line, d: Uint8Array, p: number, plen: number, cap: number, ctx: Ctx): void {
  line.s(p + plen <= cap ? " [RST" : " [!RST");
  let n = plen;
  if (n > 30) {
    n = 30;
    line.c(0x2b);
  }
  line.c(0x20);
  for (let i = 0; i < n && p + i < cap; i++) line.s(printChar(d[p + i]));
  line.c(0x5d);
  ctx.lineHold = line.n;
}

/** TCP Fast Open (RFC 7413): a cookie request or the cookie, as tcpdump prints them. */
function tfoText(s: Line, d: Uint8Array, v: number, dl: number): void {
  if (dl === 0) s.s(" cookiereq");
  else if (dl % 2 !== 0 || dl < 4 || dl > 16) s.s(" (invalid)");
  else {
    s.s(" cookie ");
    for (let i = 0; i < dl; i++) s.hex(d[v + i], 2);
  }
}

const MPTCP_SUBTYPES = ["capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown"];
const MPTCP_ADDR: Record<number, string> = { 6: "v0-ip6", 4: "v0-ip4", 1: "v1-echo", 0: "v1" };

function u64at(d: Uint8Array, p: number): bigint {
  return (BigInt(u32at(d, p)) << 32n) | BigInt(u32at(d, p + 4));
}

/**
 * An MPTCP option (at p, `len` bytes, all captured) in tcpdump 4.99's words: " <len> <subtype> ...".
 * False when tcpdump would call it a bad option (a length the subtype cannot have).
 */
/** A DSS data ack or sequence number after its label: 8 bytes when `long`, else 4. The bytes it took, or -1
 *  when fewer remain. */
function dssNumber(s: Line, d: Uint8Array, q: number, n: number, label: string, long: boolean): number {
  s.s(label);
  if (n < (long ? 8 : 4)) return -1;
  if (long) s.s(u64at(d, q).toString());
  else s.u(u32at(d, q));
  return long ? 8 : 4;
}

function mptcpText(s: Line, d: Uint8Array, p: number, len: number, flags: number): boolean {
  if (len < 3) return false;
  const sub = Math.min(d[p + 2] >> 4, 8);
  s.c(0x20).u(len).c(0x20).s(MPTCP_SUBTYPES[sub]);
  switch (sub) {
    case 0: {
      // capable
      if (!(((len === 12 || len === 4) && flags & SYN) || ((len === 20 || len === 22) && (flags & (SYN | ACK)) === ACK))) return false;
      const ver = d[p + 2] & 15;
      if (ver > 1) {
        s.s(` Unknown Version (${ver})`);
        return true;
      }
      s.s(` v${ver}`);
      if (d[p + 3] & 0x80) s.s(" csum");
      if (len === 12 || len >= 20) {
        s.s(` {0x${u64at(d, p + 4).toString(16)}`);
        if (len >= 20) s.s(`,0x${u64at(d, p + 12).toString(16)}`);
        s.s("}");
      }
      return true;
    }
    case 1: {
      // join
      if (len !== 12 && len !== 16 && len !== 24) return false;
      if (len !== 24) {
        if (d[p + 2] & 1) s.s(" backup");
        s.s(" id ").u(d[p + 3]);
      }
      if (len === 12) s.s(` token 0x${u32at(d, p + 4).toString(16)} nonce 0x${u32at(d, p + 8).toString(16)}`);
      else if (len === 16) s.s(` hmac 0x${u64at(d, p + 4).toString(16)} nonce 0x${u32at(d, p + 12).toString(16)}`);
      else {
        s.s(" hmac 0x");
        for (let i = 0; i < 20; i++) s.hex(d[p + 4 + i], 2);
      }
      return true;
    }
    case 2: {
      // dss
      if (len < 4 || flags & SYN) return false;
      const f = d[p + 3];
      let q = p + 4;
      let n = len - 4;
      if (f & 0x10) s.s(" fin");
      if (f & 0x01) {
        const k = dssNumber(s, d, q, n, " ack ", (f & 0x02) !== 0);
        if (k < 0) return false;
        q += k;
        n -= k;
      }
      if (f & 0x04) {
        const k = dssNumber(s, d, q, n, " seq ", (f & 0x08) !== 0);
        if (k < 0) return false;
        q += k;
        n -= k;
        if (n < 4) return false;
        s.s(" subseq ").u(u32at(d, q));
        q += 4;
        n -= 4;
        if (n < 2) return false;
        s.s(" len ").u(u16at(d, q));
        q += 2;
        n -= 2;
        if (n >= 2) {
          s.s(` csum 0x${u16at(d, q).toString(16)}`);
          n -= 2;
        }
      }
      return n === 0;
    }
    case 3: {
      // add-addr
      if (![8, 10, 16, 18, 20, 22, 28, 30].includes(len)) return false;
      s.s(` ${MPTCP_ADDR[d[p + 2] & 15] ?? "[bad version/echo]"} id `).u(d[p + 3]);
      if (len <= 18) {
        s.c(0x20).s(ipv4At(d, p + 4));
        if (len === 10 || len === 18) s.c(0x3a).u(u16at(d, p + 8));
        if (len === 16) s.s(` hmac 0x${u64at(d, p + 8).toString(16)}`);
        if (len === 18) s.s(` hmac 0x${u64at(d, p + 10).toString(16)}`);
      } else {
        s.c(0x20).s(ipv6At(d, p + 4));
        if (len === 22 || len === 30) s.c(0x3a).u(u16at(d, p + 20));
        if (len === 28) s.s(` hmac 0x${u64at(d, p + 20).toString(16)}`);
        if (len === 30) s.s(` hmac 0x${u64at(d, p + 22).toString(16)}`);
      }
      return true;
    }
    case 4:
      // rem-addr
      if (len < 4) return false;
      s.s(" id");
      for (let i = 3; i < len; i++) s.c(0x20).u(d[p + i]);
      return true;
    case 5:
      // prio
      if (len !== 3 && len !== 4) return false;
      s.s(d[p + 2] & 1 ? " backup" : " non-backup");
      if (len === 4) s.s(" id ").u(d[p + 3]);
      return true;
    case 6:
      // fail
      if (len !== 12) return false;
      s.s(` seq ${u64at(d, p + 4)}`);
      return true;
    case 7:
      // fast-close
      if (len !== 12) return false;
      s.s(` key 0x${u64at(d, p + 4).toString(16)}`);
      return true;
    default:
      return true;
  }
}

const VAL = ascii(" val "),
  ECR = ascii(" ecr ");

/** OPT_NAMES as bytes */
const OPT_BYTES: (Uint8Array | undefined)[] = Array.from({ length: 256 }, (_, i) => (OPT_NAMES[i] !== undefined ? ascii(OPT_NAMES[i]) : undefined));

function optName(s: Line, opt: number): Line {
  const name = OPT_BYTES[opt];
  return name !== undefined ? s.k(name) : s.s("unknown-").u(opt);
}

/** "src.sport > dst.dport: " for the line ("" when a lower layer printed the addresses). */
function addrText(ctx: Ctx, sport: number, dport: number): string {
  return ctx.net ? `${ctx.src}.${sport} > ${ctx.dst}.${dport}: ` : `${sport} > ${dport}: `;
}

export const TCP: Protocol = {
  id: "tcp",
  name: "TCP",
  title: "Transmission Control Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const sport = r.u16();
    const dport = r.u16();
    ctx.srcPort = sport;
    ctx.dstPort = dport;
    if (r.truncated) {
      if (!ctx.addrPrinted && ctx.net) ctx.line.s(`${ctx.src} > ${ctx.dst}:`);
      return;
    }
    // The address text comes first on the line; for a known connection it is made once (see SeqBase).
    const showAddr = !ctx.addrPrinted;
    ctx.addrPrinted = true;
    const d = r.data;
    const q = r.pos;
    let seq: number, ack: number, offFlags: number, win: number, sum: number, urp: number;
    if (q + 16 <= r.cap) {
      // the whole header captured (nearly always): read in place
      seq = ((d[q] << 24) | (d[q + 1] << 16) | (d[q + 2] << 8) | d[q + 3]) >>> 0;
      ack = ((d[q + 4] << 24) | (d[q + 5] << 16) | (d[q + 6] << 8) | d[q + 7]) >>> 0;
      offFlags = (d[q + 8] << 8) | d[q + 9];
      win = (d[q + 10] << 8) | d[q + 11];
      sum = (d[q + 12] << 8) | d[q + 13];
      urp = (d[q + 14] << 8) | d[q + 15];
      r.pos = q + 16;
    } else {
      seq = r.u32();
      ack = r.u32();
      offFlags = r.u16();
      win = r.u16();
      sum = r.u16();
      urp = r.u16();
    }
    const hlen = (offFlags >> 12) * 4;
    const flags = offFlags & 0xff;
    if (ctx.tcpFlags < 0) ctx.tcpFlags = offFlags & 0xfff;
    const length = r.rep - start; // TCP header + payload, as the IP layer reported
    // tcp.stream, numbered as Wireshark numbers conversations (every segment, whatever the output)
    const convs = conversationsOf(ctx.state);
    const conv = hlen >= 20 ? convs.tcpOf(ctx, sport, dport, seq, (flags & (SYN | ACK)) === SYN) : null;
    const convDir = convs.dir;
    // Wireshark's relative numbers take their bases from a conversation's first segments in capture order: set
    // them on every pass, so a detail pass asked later, or out of order (the library's stored packets), reads
    // the same numbers as one made in order.
    if (conv && !t.on && ((conv.relSet & (1 << convDir)) === 0 || ((conv.relSet & (1 << (1 - convDir))) === 0 && flags & ACK))) relativeNumbers(conv, convDir, ctx.frame, seq, ack, flags);
    if (t.on) {
      t.add(F.srcport, sport, start, 2);
      t.add(F.dstport, dport, start + 2, 2);
      t.add(F.port, sport, start, 2);
      t.add(F.port, dport, start + 2, 2);
      if (conv) t.add(F.stream, conv.stream, start, 0);
    }
    if (hlen < 20 || ctx.opts.quiet || r.truncated) {
      if (showAddr) ctx.line.s(addrText(ctx, sport, dport));
      // (the 20-byte header not all captured: tcpdump stops at once, " [|tcp]")
      if (hlen < 20 && !r.truncated) {
        ctx.line.s(` tcp ${Math.max(0, length - hlen)} [bad hdr length ${hlen} - too short, < 20]`);
        ctx.markMalformed(`TCP header length ${hlen} below 20`);
        return;
      }
      if (r.truncated) return;
    }
    if (ctx.opts.quiet) {
      ctx.line.s(`tcp ${length - hlen}`);
      if (hlen > length) {
        ctx.line.s(` [bad hdr length ${hlen} - too long, > ${length}]`);
        ctx.markMalformed("TCP header longer than the segment");
      }
      r.skip(Math.min(hlen - 20, r.remaining));
      r.pos = r.cap;
      return;
    }
    const rawSeq = seq,
      rawAck = ack;
    let base: SeqBase | null = null;
    let rev = false;
    if (flags & ACK && conv) {
      rev = isRev(ctx, sport, dport);
      const b = conv;
      if (!b.tuple || flags & SYN || (ctx.again && b.tframe === ctx.frame)) {
        b.tuple = true;
        b.tframe = ctx.frame;
        if (rev) {
          b.tack = seq | 0;
          b.tseq = (ack - 1) | 0;
        } else {
          b.tseq = seq | 0;
          b.tack = (ack - 1) | 0;
        }
      } else if (rev) {
        seq = (seq - b.tack) >>> 0;
        ack = (ack - b.tseq) >>> 0;
      } else {
        seq = (seq - b.tseq) >>> 0;
        ack = (ack - b.tack) >>> 0;
      }
      base = b;
    }
    if (showAddr) {
      if (base) addrOnce(ctx, base, rev, sport, dport);
      else ctx.line.s(addrText(ctx, sport, dport));
    }
    const line = ctx.line;
    // Without -v the flags are written below, in one piece with the label that follows them.
    const early = ctx.opts.verbose > 0;
    if (early) {
      line.k(flagPiece(FLAG_TEXT, flags, ""));
      // tcpdump -v: the checksum, verified over the pseudo-header when the whole segment was captured.
      const c = transportSum(r.data, ctx, IPPROTO.TCP, start, length, r.cap);
      if (c >= 0) ctx.line.s(c === 0xffff ? `, cksum 0x${hex(sum, 4)} (correct)` : `, cksum 0x${hex(sum, 4)} (incorrect -> 0x${hex(shouldBe(sum, c), 4)})`);
    }
    // AccECN (Wireshark 4.0): a SYN with AE, CWR and ECE, then a SYN-ACK with AccECN's answer (not none, not
    // ECE alone); the connection's other segments carry the ACE counter in those three bits
    let ace = false;
    if (conv) {
      const a3 = (offFlags >> 6) & 7;
      if (!ctx.again) {
        if ((flags & (SYN | ACK)) === SYN) conv.accecn = a3 === 7 ? 1 : 0;
        else if ((flags & (SYN | ACK)) === (SYN | ACK) && conv.accecn === 1 && a3 !== 0 && a3 !== 1) conv.accecn = 2;
      }
      ace = conv.accecn === 2 && (flags & SYN) === 0;
    }
    if (t.on) {
      if (conv) relativeNumbers(conv, convDir, ctx.frame, rawSeq, rawAck, flags);
      else {
        relSeq = rawSeq;
        relAck = rawAck;
      }
      // Wireshark's tcp.len: what the frame holds, when an IPv4 total length claimed more (ctx.frameEnd)
      const held = ctx.frameEnd >= 0 ? Math.max(hlen, Math.min(length, ctx.frameEnd - start)) : length;
      if (hlen <= length) t.add(F.len, held - hlen, start, 0);
      treeHeader(t, start, hlen, relSeq, rawSeq, relAck, rawAck, offFlags, win, sum, urp, ace);
    }
    if (hlen > length) {
      if (!early) line.k(flagPiece(FLAG_TEXT, flags, ""));
      ctx.line.s(` [bad hdr length ${hlen} - too long, > ${length}]`);
      ctx.markMalformed("TCP header longer than the segment");
      return;
    }
    const plen = length - hlen;
    if (ctx.opts.verbose > 1 || plen > 0 || flags & (SYN | FIN | RST)) {
      line.k(early ? SEQ : flagPiece(FLAG_SEQ, flags, ", seq ")).u(seq);
      if (plen > 0) line.c(0x3a).u((seq + plen) >>> 0);
      if (flags & ACK) line.k(ACK_).u(ack);
      line.k(WIN).u(win);
    } else if (flags & ACK) line.k(early ? ACK_ : flagPiece(FLAG_ACK, flags, ", ack ")).u(ack).k(WIN).u(win);
    else line.k(early ? WIN : flagPiece(FLAG_WIN, flags, ", win ")).u(win);
    if (flags & URG) line.k(URG_).u(urp);
    if (hlen > 20) {
      const optEnd = start + hlen;
      const o = start + 20;
      if (hlen === 32 && o + 12 <= r.cap && d[o] === 1 && d[o + 1] === 1 && d[o + 2] === 8 && d[o + 3] === 10) {
        // the options of nearly every segment of a connection: nop,nop,TS
        const val = ((d[o + 4] << 24) | (d[o + 5] << 16) | (d[o + 6] << 8) | d[o + 7]) >>> 0;
        const ecr = ((d[o + 8] << 24) | (d[o + 9] << 16) | (d[o + 10] << 8) | d[o + 11]) >>> 0;
        line.k(OPTIONS_TS).u(val).k(ECR).u(ecr).c(0x5d);
        optionsCut = false;
      } else {
        line.k(OPTIONS);
        options(line, r, o, optEnd, rev, base, flags);
        if (optionsBad) {
          ctx.markMalformed("a bad TCP option");
          r.pos = r.cap;
          return;
        }
        if (optionsCut) {
          // tcpdump stops where the capture does: " [|tcp]", the options' "]" never written
          line.s(optionsCutGt ? " [|tcp]>" : " [|tcp]");
          ctx.truncated = true;
          r.pos = r.cap;
          return;
        }
        line.c(0x5d);
      }
      if (t.on) treeOptions(r, start + 20, optEnd, t);
    }
    line.k(LENGTH).u(plen);
    if (start + hlen > r.cap) {
      // the options ended (eol) before the header's end, which was not captured: tcpdump says so when a
      // payload would follow
      if (plen > 0) line.s(` [remaining caplen(${r.cap - start}) < header length(${hlen})] [|tcp]`);
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    r.pos = start + hlen;
    // tcpdump -v: a reset's payload (RFC 1122 4.2.2.12: a diagnostic text) as up to 30 characters, and no
    // application decoding on the line; "!" when the payload is not all captured, "+" when it is cut at 30
    if (flags & RST && plen > 0 && ctx.opts.verbose > 0) rstData(line, d, r.pos, plen, r.cap, ctx);
    if (t.on && conv && ctx.opts.reassembly !== false && !r.truncated) {
      if (!ctx.late) reassemble(r, ctx, t, conv, sport, dport, rawSeq, flags, plen, rawAck);
      else if (plen > 0) reassembledIn(r, ctx, t); // not fed again; where its bytes went is known
    }
    if (conv && !ctx.again) {
      // a library stream tracker (src/api/streams.ts) sees every segment, in any pass
      const l = ctx.state.get("stream.listener") as SegmentListener | undefined;
      if (l) l(conv, conversationsOf(ctx.state).dir, rawSeq, r.data.subarray(r.pos, Math.min(r.pos + plen, r.cap)), plen, flags, ctx);
    }
    if (plen === 0 || r.truncated) return;
    return ctx.next("tcp.port", Math.min(sport, dport), Math.max(sport, dport));
  },
};

/** relativeNumbers()'s answer: tcp.seq and tcp.ack of the segment */
let relSeq = 0,
  relAck = 0;
/**
 * Wireshark's tcp.seq and tcp.ack for the tree, relative to each direction's base (they differ from tcpdump's
 * on the line): a direction's base is the sequence number of its SYN, or one less than the first sequence
 * number seen from it, or one less than the first acknowledgment number seen towards it. Kept per conversation
 * (src/stream/conversations.ts numbers them), made once per frame: the same frame dissected again reads the
 * same numbers. The bases are set by whichever pass sees a conversation's first segments first (the summary
 * pass runs in capture order), so a tree made later or out of order uses the bases of capture order. The answer
 * is in relSeq and relAck.
 */
function relativeNumbers(c: Conversation, dir: number, frame: number, seq: number, ack: number, flags: number): void {
  if (c.relFrame !== frame) {
    const rev = 1 - dir;
    if ((c.relSet & (1 << dir)) === 0) {
      const b = flags & SYN ? seq | 0 : (seq - 1) | 0;
      if (dir === 0) c.relBase0 = b;
      else c.relBase1 = b;
      c.relSet |= 1 << dir;
    }
    if ((c.relSet & (1 << rev)) === 0 && flags & ACK) {
      const b = (ack - 1) | 0;
      if (rev === 0) c.relBase0 = b;
      else c.relBase1 = b;
      c.relSet |= 1 << rev;
    }
    c.relFrame = frame;
    c.relSeq = (seq - (dir === 0 ? c.relBase0 : c.relBase1)) | 0;
    c.relAck = flags & ACK ? (ack - (rev === 0 ? c.relBase0 : c.relBase1)) | 0 : ack | 0;
  }
  relSeq = c.relSeq >>> 0;
  relAck = c.relAck >>> 0;
}

/**
 * What a stream tracker gets for each TCP segment: its conversation, direction (0 from the lower endpoint),
 * raw sequence number, captured payload (a view; `len` is its length on the wire), flags, and the packet's ctx.
 */
export type SegmentListener = (conv: Conversation, dir: number, seq: number, payload: Uint8Array, len: number, flags: number, ctx: Ctx) => void;

/** The capture's reassembly state (made on first use, with the dissector's options). */
export function reassemblyOf(ctx: Ctx): Reassembly {
  let ra = ctx.state.get("stream.reassembly") as Reassembly | undefined;
  if (!ra) ctx.state.set("stream.reassembly", (ra = new Reassembly(ctx.opts.reassembly || {})));
  return ra;
}

/** A heuristic protocol of TCP's table that cuts PDUs and claims the payload at r.pos (r left as it was). */
function heuristicPdu(r: Reader, ctx: Ctx): Protocol | undefined {
  const start = r.pos;
  for (const h of heuristicsFor("tcp.port")) {
    if (!h.pduLength) continue;
    let ok = false;
    try {
      ok = h.heuristic!(r, ctx);
    } catch {
      ok = false;
    }
    r.pos = start;
    r.truncated = false;
    r.malformed = false;
    if (ok) return h;
  }
  return undefined;
}

/** Whether `app`'s heuristic claims the payload at r.pos (r left as it was). */
function ownPduKnown(r: Reader, ctx: Ctx, app: Protocol): boolean {
  const start = r.pos;
  let ok = false;
  try {
    ok = app.heuristic!(r, ctx);
  } catch {
    ok = false;
  }
  r.pos = start;
  r.truncated = false;
  r.malformed = false;
  return ok;
}

/** The frame fed last, and what it gave: a frame dissected again (ctx.again) is not fed twice. */
const lastFed: { state: Map<string, unknown> | null; frame: number; res: SegmentResult | null } = { state: null, frame: -1, res: null };

/**
 * TCP reassembly (detail pass): a segment of a connection whose application cuts its bytes into PDUs
 * (Protocol.pduLength) goes into the connection's byte stream. When the segment is not one whole PDU on its
 * own, ctx.pdus tells the engine to dissect the PDUs it completed (none when it only adds to an unfinished
 * one) over their own bytes, and the tree says where they came from as Wireshark's does.
 */
function reassemble(r: Reader, ctx: Ctx, t: TreeSink, conv: Conversation, sport: number, dport: number, seq: number, flags: number, plen: number, ack: number): void {
  let app = lookup("tcp.port", Math.min(sport, dport)) ?? lookup("tcp.port", Math.max(sport, dport));
  if (!app) {
    // on other ports, a heuristic protocol that cuts PDUs (TLS) found on the conversation's first payload
    if (conv.reasm === null && plen > 0) conv.reasm = heuristicPdu(r, ctx) ?? false;
    if (conv.reasm) app = conv.reasm as Protocol;
  }
  const framer = app?.pduLength;
  if (!framer || plen > r.remaining) return; // segment by segment, or a payload not all captured
  let res: SegmentResult;
  if (ctx.again && lastFed.state === ctx.state && lastFed.frame === ctx.frame && lastFed.res) res = lastFed.res;
  else {
    const ra = reassemblyOf(ctx);
    const dir = conversationsOf(ctx.state).dir;
    res = ra.segment(conv, dir, seq, r.data.subarray(r.pos, r.pos + plen), ctx.frame, flags, ctx.tsSec + ctx.tsNsec / 1e9, framer, ack);
    lastFed.state = ctx.state;
    lastFed.frame = ctx.frame;
    lastFed.res = res;
  }
  if (plen === 0) return;
  if (res.own) {
    // A whole PDU on its own is dissected in place, found again by the port or the heuristics; but in a
    // conversation a heuristic claimed on its first payload, a PDU the heuristic does not know by itself
    // (an HTTP/2 frame after the preface) goes to that protocol all the same.
    if (!app!.heuristic || app !== conv.reasm || ownPduKnown(r, ctx, app!)) return;
    res = { ...res, pdus: [{ data: r.data.subarray(r.pos, r.pos + plen), frames: [ctx.frame], lens: [plen] }], own: false };
  }
  ctx.pdus = res.pdus;
  ctx.pduProto = app!;
  reassembledIn(r, ctx, t); // held (out of order) or in an unfinished PDU: where its bytes went, when known
  const show = t.texts !== false; // -T json writes no texts of fields with values: none made
  if (res.pdus.length === 0) t.add(F.segment_data, null, r.pos, plen, show ? `TCP segment data (${plen} bytes)` : undefined);
  for (const p of res.pdus) {
    if (p.frames.length < 2) continue;
    const parts = show ? p.frames.map((f, i) => `#${f}(${p.lens[i]})`).join(", ") : "";
    t.push(F.segments, null, r.pos, 0, show ? `[${p.frames.length} Reassembled TCP Segments (${p.data.length} bytes): ${parts}]` : undefined);
    for (let i = 0; i < p.frames.length; i++) t.add(F.segment, p.frames[i], r.pos, 0, show ? `Frame: ${p.frames[i]}, payload: ${p.lens[i]} bytes` : undefined);
    t.add(F["segment.count"], p.frames.length, r.pos, 0);
    t.add(F["reassembled.length"], p.data.length, r.pos, 0);
    t.pop();
  }
}

/**
 * tcp.reassembled_in on a frame whose bytes went into a PDU a later frame completed, once that frame was seen:
 * a frame dissected again later (the TUI, stored packets) or a second pass (-2, reassembly option `known`).
 */
function reassembledIn(r: Reader, ctx: Ctx, t: TreeSink): void {
  const ra = ctx.state.get("stream.reassembly") as Reassembly | undefined;
  const f = ra ? ra.completedIn(ctx.frame) : -1;
  if (f >= 0) t.add(F.reassembled_in, f, r.pos, 0, t.texts !== false ? `[Reassembled PDU in frame: ${f}]` : undefined);
}

/** The header's fields in the tree (out of dissect, which stays small enough for its readers to be inlined). */
function treeHeader(t: TreeSink, start: number, hlen: number, seq: number, rawSeq: number, ack: number, rawAck: number, offFlags: number, win: number, sum: number, urp: number, ace = false): void {
  t.add(F.hdr_len, hlen, start + 12, 1);
  t.add(F.seq, seq, start + 4, 4);
  t.add(F.seq_raw, rawSeq, start + 4, 4);
  t.add(F.ack, ack, start + 8, 4);
  t.add(F.ack_raw, rawAck, start + 8, 4);
  // the flags' fields depend on the 12 bits alone: -T json writes them once per value
  const key = (offFlags & 0xfff) | (ace ? 0x1000 : 0);
  if (!t.cachedRun?.(FLAGS_RUN, key)) {
    flagFields(t, start, offFlags, ace);
    t.endRun?.(FLAGS_RUN, key);
  }
  t.add(F.window_size_value, win, start + 14, 2);
  t.add(F.checksum, sum, start + 16, 2);
  t.add(F.urgent_pointer, urp, start + 18, 2);
}

const FLAGS_RUN = sinkRun();

/** tcp.flags and the fields under it. */
function flagFields(t: TreeSink, start: number, offFlags: number, ace: boolean): void {
  const flags = offFlags & 0xff;
  t.push(F.flags, offFlags & 0xfff, start + 12, 2, hexText(offFlags & 0xfff, 3));
  t.add(F["flags.res"], (offFlags & 0xe00) !== 0, start + 12, 2);
  t.add(F["flags.ae"], (offFlags & 0x100) !== 0, start + 12, 2);
  t.add(F["flags.cwr"], (flags & CWR) !== 0, start + 12, 2);
  t.add(F["flags.ece"], (flags & ECE) !== 0, start + 12, 2);
  t.add(F["flags.urg"], (flags & URG) !== 0, start + 12, 2);
  t.add(F["flags.ack"], (flags & ACK) !== 0, start + 12, 2);
  t.add(F["flags.push"], (flags & PSH) !== 0, start + 12, 2);
  t.add(F["flags.reset"], (flags & RST) !== 0, start + 12, 2);
  t.add(F["flags.syn"], (flags & SYN) !== 0, start + 12, 2);
  t.add(F["flags.fin"], (flags & FIN) !== 0, start + 12, 2);
  const str = wiresharkFlagStr(offFlags & 0xfff);
  // an AccECN connection: the ACE counter in place of AE, CWR, ECE ("···-5-·AP···", tshark 4.0)
  t.add(F["flags.str"], ace ? str.slice(0, 3) + `-${(offFlags >> 6) & 7}-` + str.slice(6) : str, start + 12, 2);
  t.pop();
}

function treeOptions(r: Reader, p: number, end: number, t: Parameters<Protocol["dissect"]>[2]): void {
  const d = r.data;
  while (p < end && p < r.cap) {
    const opt = d[p];
    if (opt === 0) break;
    if (opt === 1) {
      p++;
      continue;
    }
    if (p + 1 >= r.cap) break;
    const len = d[p + 1];
    if (len < 2 || p + len > end || p + len > r.cap) break;
    const v = p + 2;
    if (opt === 2 && len === 4) t.add(F["options.mss_val"], (d[v] << 8) | d[v + 1], v, 2);
    else if (opt === 3 && len === 3) t.add(F["options.wscale.shift"], d[v], v, 1);
    else if (opt === 4) t.add(F["options.sack_perm"], null, p, len, "");
    else if (opt === 8 && len === 10) {
      t.add(F["options.timestamp.tsval"], u32at(d, v), v, 4);
      t.add(F["options.timestamp.tsecr"], u32at(d, v + 4), v + 4, 4);
    } else if (opt === 5) {
      for (let i = v; i + 8 <= p + len; i += 8) {
        t.add(F["options.sack_le"], u32at(d, i), i, 4);
        t.add(F["options.sack_re"], u32at(d, i + 4), i + 4, 4);
      }
    }
    p += len;
  }
}

/** Unclaimed TCP payload: nothing more on the line (tcpdump prints nothing), data in the tree. */
export const TCP_DATA: Protocol = {
  id: "data",
  name: "TCP",
  dissect(r, ctx, t) {
    if (t.on) t.add(F.payload, null, r.pos, r.remaining, bytesText(r.reportedRemaining));
    return DATA.dissect(r, ctx, t);
  },
};

bind("ip.proto", IPPROTO.TCP, TCP);
bindDefault("tcp.port", TCP_DATA);
