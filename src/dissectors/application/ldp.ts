/**
 * LDP (RFC 5036) on UDP and TCP port 646, as tcpdump's print-ldp.c prints it:
 *   -nn: "LDP, Label-Space-ID: 10.1.0.2:0, pdu-length: 38" (the first PDU only; over TCP right after TCP's
 *        "length N", without a separator, as tcpdump prints it); nothing when the payload is no longer than
 *        an LDP header and a message header;
 *   -v:  every PDU ("\n\tLDP, ..."), each message ("\n\t  Hello Message (0x0100), length: 28, Message ID: ...")
 *        and its TLVs with tcpdump's decoding (Common Hello, transport addresses, Common Session, Address
 *        List, FEC, Generic Label, Status, ...); -vv adds hex dumps.
 * The tree has Wireshark's ldp.* fields (ldp.hdr.*, ldp.msg.type/len/id, ldp.msg.tlv.type/len and the
 * common TLV values).
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const MSG: Readonly<Record<number, string>> = {
  0x0001: "Notification",
  0x0100: "Hello",
  0x0200: "Initialization",
  0x0201: "Keepalive",
  0x0300: "Address",
  0x0301: "Address Withdraw",
  0x0400: "Label Mapping",
  0x0401: "Label Request",
  0x0402: "Label Withdraw",
  0x0403: "Label Release",
  0x0404: "Label Abort Request",
};
const TLV: Readonly<Record<number, string>> = {
  0x0100: "FEC",
  0x0101: "Address List",
  0x0103: "Hop Count",
  0x0104: "Path Vector",
  0x0200: "Generic Label",
  0x0201: "ATM Label",
  0x0202: "Frame-Relay Label",
  0x0300: "Status",
  0x0301: "Extended Status",
  0x0302: "Returned PDU",
  0x0303: "Returned Message",
  0x0400: "Common Hello Parameters",
  0x0401: "IPv4 Transport Address",
  0x0402: "Configuration Sequence Number",
  0x0403: "IPv6 Transport Address",
  0x0500: "Common Session Parameters",
  0x0501: "ATM Session Parameters",
  0x0502: "Frame-Relay Session Parameters",
  0x0503: "Fault-Tolerant Session Parameters",
  0x0600: "Label Request Message ID",
  0x0601: "MTU",
};
/** The messages whose TLVs tcpdump 4.99 decodes (Label Request, Release and Abort Request are hex-dumped). */
const TLV_MESSAGES = new Set([0x0001, 0x0100, 0x0200, 0x0201, 0x0300, 0x0400, 0x0301, 0x0402]);
const FEC: Readonly<Record<number, string>> = { 0x01: "Wildcard", 0x02: "Prefix", 0x03: "Host address", 0x80: "Martini VC" };
const AF: Readonly<Record<number, string>> = { 1: "IPv4", 2: "IPv6" };

const F = fields("ldp", {
  "hdr.version": ["Version", "uint"],
  "hdr.pdu_len": ["PDU Length", "uint"],
  "hdr.ldpid.lsr": ["LSR ID", "ipv4"],
  "hdr.ldpid.lsid": ["Label Space ID", "uint"],
  "msg.ubit": ["U bit", "bool"],
  "msg.type": ["Message Type", "uint", { base: "hex", values: MSG }],
  "msg.len": ["Message Length", "uint"],
  "msg.id": ["Message ID", "uint", { base: "hex" }],
  "msg.tlv.type": ["TLV Type", "uint", { base: "hex", values: TLV }],
  "msg.tlv.len": ["TLV Length", "uint"],
  "msg.tlv.hello.hold": ["Hold Time", "uint"],
  "msg.tlv.hello.targeted": ["Targeted Hello", "bool"],
  "msg.tlv.ipv4.taddr": ["IPv4 Transport Address", "ipv4"],
  "msg.tlv.ipv6.taddr": ["IPv6 Transport Address", "ipv6"],
  "msg.tlv.sess.ver": ["Session Protocol Version", "uint"],
  "msg.tlv.sess.ka": ["Session KeepAlive Time", "uint"],
  "msg.tlv.sess.pvlim": ["Session Path Vector Limit", "uint"],
  "msg.tlv.sess.mxpdu": ["Session Max PDU Length", "uint"],
  "msg.tlv.sess.rxlsr": ["Session Receiver LSR Identifier", "ipv4"],
  "msg.tlv.sess.rxls": ["Session Receiver Label Space Identifier", "uint"],
  "msg.tlv.addrl.addr_family": ["Address Family", "uint"],
  "msg.tlv.addrl.addr": ["Address", "string"],
  "msg.tlv.fec.type": ["FEC Element Type", "uint"],
  "msg.tlv.generic.label": ["Generic Label", "uint"],
});

/** LDP header (10) + message header (8): tcpdump prints nothing for a payload no longer than that */
const MIN_PRINT = 18;

export const LDP: Protocol = {
  id: "ldp",
  name: "LDP",
  title: "Label Distribution Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    const len = r.reportedRemaining;
    const w = new Printer(r, ctx);
    try {
      let q = p;
      let left = len;
      while (left > MIN_PRINT) {
        const processed = w.pdu(q);
        if (processed === 0) break;
        if (left < processed) {
          w.out += ` [remaining length ${left} < ${processed}] (invalid)`;
          break;
        }
        left -= processed;
        q += processed;
      }
    } catch (e) {
      if (e !== CUT) throw e;
      w.out += " [|ldp]";
      ctx.truncated = true;
    }
    ctx.line.s(w.out);
    if (t.on) tree(r, t, p, len);
    r.pos = r.cap;
  },
};

bind("udp.port", 646, LDP);
bind("tcp.port", 646, LDP);

/** Thrown where tcpdump's GET_ macros and ND_TCHECK stop printing the packet. */
const CUT = { cut: true };
const hex = (v: number, w: number): string => (v >>> 0).toString(16).padStart(w, "0");

class Printer {
  out = "";
  private readonly v: number;
  constructor(
    private readonly r: Reader,
    private readonly ctx: Ctx,
  ) {
    this.v = ctx.opts.verbose;
  }
  private need(q: number, n: number): void {
    if (q + n > this.r.cap || q < this.r.start) throw CUT;
  }
  private u8(q: number): number {
    this.need(q, 1);
    return this.r.byteAt(q);
  }
  private u16(q: number): number {
    this.need(q, 2);
    return (this.r.byteAt(q) << 8) | this.r.byteAt(q + 1);
  }
  private u32(q: number): number {
    this.need(q, 4);
    return this.r.byteAt(q) * 16777216 + ((this.r.byteAt(q + 1) << 16) | (this.r.byteAt(q + 2) << 8) | this.r.byteAt(q + 3));
  }
  private ip(q: number): string {
    this.need(q, 4);
    return ipv4At(this.r.data, q);
  }
  private ip6(q: number): string {
    this.need(q, 16);
    return ipv6At(this.r.data, q);
  }
  /** print_unknown_data: a hex dump of what is captured */
  private dump(q: number, n: number, ident: string): void {
    if (q > this.r.cap) {
      this.out += `${ident}Dissector error: print_unknown_data called with pointer past end of packet`;
      return;
    }
    this.ctx.line.s(this.out);
    this.out = "";
    hexPrint(this.ctx.line, this.r, ident, q, n);
  }

  /** ldp_pdu_print: the PDU at q; its length with the header, or 0 to stop */
  pdu(q: number): number {
    this.need(q, 10);
    const pre = this.v < 1 ? "" : "\n\t";
    const version = this.u16(q);
    if (version !== 1) {
      this.out += `${pre}LDP version ${version} packet not supported`;
      return 0;
    }
    const pduLen = this.u16(q + 2);
    if (pduLen < 6) {
      this.out += `${pre}LDP, pdu-length: ${pduLen} (too short, < 6)`;
      return 0;
    }
    this.out += `${pre}LDP, Label-Space-ID: ${this.ip(q + 4)}:${this.u16(q + 8)}, pdu-length: ${pduLen}`;
    if (this.v < 1) return 0;
    let tp = q + 10;
    let tlen = (pduLen - 6) & 0xffff;
    while (tlen !== 0) {
      this.need(tp, 8);
      const msgLen = this.u16(tp + 2);
      const rawType = this.u16(tp);
      const type = rawType & 0x7fff;
      const name = MSG[type] ?? "Unknown";
      if (msgLen < 4) {
        this.out += `\n\t  ${name} Message (0x${hex(type, 4)}), length: ${msgLen} (too short, < 4)`;
        return 0;
      }
      this.out += `\n\t  ${name} Message (0x${hex(type, 4)}), length: ${msgLen}, Message ID: 0x${hex(this.u32(tp + 4), 8)}, Flags: [${rawType & 0x8000 ? "continue processing" : "ignore"} if unknown]`;
      let mp = tp + 8;
      let mlen = msgLen - 4;
      this.need(tp, msgLen);
      if (TLV_MESSAGES.has(type)) {
        while (mlen >= 4) {
          const processed = this.tlv(mp, mlen);
          if (processed === 0) break;
          mlen -= processed;
          mp += processed;
        }
      } else if (this.v <= 1) this.dump(mp, mlen, "\n\t  ");
      if (this.v > 1) this.dump(tp + 8, msgLen, "\n\t  ");
      tp += msgLen + 4;
      tlen = (tlen - (msgLen + 4)) & 0xffff;
    }
    return pduLen + 4;
  }

  /** ldp_tlv_print: the TLV at q (mlen bytes left in the message); its length with the header, or 0 */
  private tlv(q: number, mlen: number): number {
    this.need(q, 4);
    const tlvLen = this.u16(q + 2);
    if (tlvLen + 4 > mlen) {
      this.out += "\n\t\t TLV contents go past end of message";
      return 0;
    }
    const rawType = this.u16(q);
    const type = rawType & 0x3fff;
    this.out += `\n\t    ${TLV[type] ?? "Unknown"} TLV (0x${hex(type, 4)}), length: ${tlvLen}, Flags: [${rawType & 0x8000 ? "continue processing" : "ignore"} and ${rawType & 0x4000 ? "do" : "don't"} forward if unknown]`;
    let p = q + 4;
    let n = tlvLen;
    const invalid = (): number => {
      this.out += " (invalid)";
      return tlvLen + 4;
    };
    const check = (min: number): boolean => {
      if (n < min) {
        this.out += ` [tlv length ${n} < ${min}]`;
        return false;
      }
      return true;
    };
    switch (type) {
      case 0x0400: {
        if (!check(4)) return invalid();
        const hold = this.u16(p);
        const fl = this.u16(p + 2);
        this.out += `\n\t      Hold Time: ${hold}s, Flags: [${fl & 0x8000 ? "Targeted" : "Link"} Hello${fl & 0x4000 ? ", Request for targeted Hellos" : ""}]`;
        break;
      }
      case 0x0401:
        if (!check(4)) return invalid();
        this.out += `\n\t      IPv4 Transport Address: ${this.ip(p)}`;
        break;
      case 0x0403:
        if (!check(16)) return invalid();
        this.out += `\n\t      IPv6 Transport Address: ${this.ip6(p)}`;
        break;
      case 0x0402:
        if (!check(4)) return invalid();
        this.out += `\n\t      Sequence Number: ${this.u32(p)}`;
        break;
      case 0x0101: {
        if (!check(2)) return invalid();
        const af = this.u16(p);
        p += 2;
        n -= 2;
        this.out += `\n\t      Address Family: ${AF[af] ?? `Unknown (${af})`}, addresses`;
        if (af === 1)
          for (; n >= 4; n -= 4, p += 4) this.out += ` ${this.ip(p)}`;
        else if (af === 2) for (; n >= 16; n -= 16, p += 16) this.out += ` ${this.ip6(p)}`;
        break;
      }
      case 0x0500: {
        if (!check(14)) return invalid();
        // tcpdump 4.99 reads the A and D bits from the Max-PDU field (two bytes further on)
        const fl = this.u16(p + 6);
        this.out += `\n\t      Version: ${this.u16(p)}, Keepalive: ${this.u16(p + 2)}s, Flags: [Downstream ${fl & 0x8000 ? "On Demand" : "Unsolicited"}, Loop Detection ${fl & 0x4000 ? "Enabled" : "Disabled"}]`;
        break;
      }
      case 0x0100: {
        if (!check(1)) return invalid();
        const fec = this.u8(p);
        this.out += `\n\t      ${FEC[fec] ?? "Unknown"} FEC (0x${hex(fec, 2)})`;
        p += 1;
        n -= 1;
        if (fec === 0x02) {
          if (!check(2)) return invalid();
          const af = this.u16(p);
          p += 2;
          n -= 2;
          if (af === 1 || af === 2) {
            const v6 = af === 2;
            const res = this.prefix(p, n, v6);
            const fam = v6 ? "IPv6" : "IPv4";
            if (res === -3) this.out += ": IPv4 prefix (goes past end of TLV)";
            else if (res === -1) this.out += `: ${fam} prefix (invalid length)`;
            else this.out += `: ${fam} prefix ${this.prefixText}`;
          } else this.out += `: Address family ${af} prefix`;
        } else if (fec === 0x80) {
          if (!check(7)) return invalid();
          const info = this.u8(p + 2);
          const pw = this.u16(p);
          if (info === 0) {
            this.out += `: ${PW[pw & 0x7fff] ?? "Unknown"}, ${pw & 0x8000 ? "" : "no "}control word, group-ID ${this.u32(p + 3)}, VC-info-length: ${info}`;
            break;
          }
          if (!check(11)) return invalid();
          this.out += `: ${PW[pw & 0x7fff] ?? "Unknown"}, ${pw & 0x8000 ? "" : "no "}control word, group-ID ${this.u32(p + 3)}, VC-ID ${this.u32(p + 7)}, VC-info-length: ${info}`;
          if (info < 4) {
            this.out += " (invalid, < 4";
            return tlvLen + 4;
          }
          let vlen = info - 4;
          p += 11;
          n -= 11;
          if (!check(vlen)) return invalid();
          while (vlen > 2) {
            const vt = this.u8(p);
            const vl = this.u8(p + 1);
            if (vl < 2 || vlen < vl) break;
            this.out += `\n\t\tInterface Parameter: ${IFPARM[vt] ?? "Unknown"} (0x${hex(vt, 2)}), len ${vl}`;
            if (vt === 0x01) this.out += `: ${this.u16(p + 2)}`;
            else if (vt === 0x03) {
              this.out += ": ";
              for (let i = 2; i < vl; i++) {
                const c = this.u8(p + i);
                this.out += c === 0x0a ? "\\n" : String.fromCharCode(c);
              }
            } else if (vt === 0x0c) {
              const cc = this.u8(p + 2);
              const cv = this.u8(p + 3);
              this.out += `\n\t\t  Control Channels (0x${hex(cc, 2)}) = [${bits(cc, CC)}]`;
              this.out += `\n\t\t  CV Types (0x${hex(cv, 2)}) = [${bits(cv, CV)}]`;
            } else this.dump(p + 2, vl - 2, "\n\t\t  ");
            vlen -= vl;
            p += vl;
          }
        }
        break;
      }
      case 0x0200:
        if (!check(4)) return invalid();
        this.out += `\n\t      Label: ${this.u32(p) & 0xfffff}`;
        break;
      case 0x0300: {
        if (!check(10)) return invalid();
        const st = this.u32(p);
        this.out += `\n\t      Status: 0x${hex(st % 0x40000000, 2)}, Flags: [${st >= 0x80000000 ? "Fatal error" : "Advisory Notification"} and ${st & 0x40000000 ? "do" : "don't"} forward]`;
        const mid = this.u32(p + 4);
        if (mid) this.out += `, causing Message ID: 0x${hex(mid, 8)}`;
        break;
      }
      case 0x0503: {
        if (!check(12)) return invalid();
        const ft = this.u16(p);
        this.out += `\n\t      Flags: [${ft & 0x8000 ? "" : "No "}Reconnect, ${ft & 0x8 ? "" : "Don't "}Save State, ${ft & 0x4 ? "" : "No "}All-Label Protection, ${ft & 0x2 ? "Sequence Numbered Label" : "All Labels"} Checkpoint, ${ft & 0x1 ? "" : "Don't "}Re-Learn State]`;
        const rt = this.u32(p + 4);
        if (rt) this.out += `, Reconnect Timeout: ${rt}ms`;
        const rc = this.u32(p + 8);
        if (rc) this.out += `, Recovery Time: ${rc}ms`;
        break;
      }
      case 0x0601:
        if (!check(2)) return invalid();
        this.out += `\n\t      MTU: ${this.u16(p)}`;
        break;
      default:
        if (this.v <= 1) this.dump(p, n, "\n\t      ");
    }
    return tlvLen + 4;
  }

  prefixText = "";
  /** decode_prefix4/6: the prefix at p (n bytes in the TLV) into prefixText; its length, or -1/-3 */
  private prefix(p: number, n: number, v6: boolean): number {
    const max = v6 ? 128 : 32;
    if (n < 1) return -3;
    const plen = this.u8(p);
    if (plen > max) return -1;
    n -= 1;
    const bytes = (plen + 7) >> 3;
    this.need(p + 1, bytes);
    if (n < bytes) return -3;
    const a = new Uint8Array(16);
    for (let i = 0; i < bytes; i++) a[i] = this.r.byteAt(p + 1 + i);
    if (plen % 8) a[bytes - 1] &= (0xff00 >> plen % 8) & 0xff;
    this.prefixText = `${v6 ? ipv6At(a, 0) : ipv4At(a, 0)}/${plen}`;
    return 1 + bytes;
  }
}

const PW: Readonly<Record<number, string>> = {
  0x0001: "Frame Relay DLCI (Martini Mode)",
  0x0002: "ATM AAL5 SDU VCC transport",
  0x0003: "ATM transparent cell transport",
  0x0004: "Ethernet VLAN",
  0x0005: "Ethernet",
  0x0006: "Cisco-HDLC",
  0x0007: "PPP",
  0x0008: "SONET/SDH Circuit Emulation Service over MPLS",
  0x0009: "ATM n-to-one VCC cell transport",
  0x000a: "ATM n-to-one VPC cell transport",
  0x000b: "IP Layer2 Transport",
};
const IFPARM: Readonly<Record<number, string>> = { 0x01: "MTU", 0x03: "Description", 0x0c: "VCCV" };
const CC: ReadonlyArray<readonly [number, string]> = [
  [0x01, "PWE3 control word"],
  [0x02, "MPLS Router Alert Label"],
  [0x04, "MPLS inner label TTL = 1"],
];
const CV: ReadonlyArray<readonly [number, string]> = [
  [0x01, "ICMP Ping"],
  [0x02, "LSP Ping"],
  [0x04, "BFD"],
];
function bits(v: number, t: ReadonlyArray<readonly [number, string]>): string {
  const s = t.filter(([b]) => v & b).map(([, n]) => n);
  return s.length ? s.join(", ") : "none";
}

// ---------------------------------------------------------------------------------------------------------
// The detail tree.

function tree(r: Reader, t: TreeSink, p: number, len: number): void {
  const cap = Math.min(r.cap, p + len);
  const u16 = (q: number): number => (r.byteAt(q) << 8) | r.byteAt(q + 1);
  const u32 = (q: number): number => r.byteAt(q) * 16777216 + ((r.byteAt(q + 1) << 16) | (r.byteAt(q + 2) << 8) | r.byteAt(q + 3));
  let q = p;
  for (let guard = 0; q + 10 <= cap && guard < 256; guard++) {
    const version = u16(q);
    const pduLen = u16(q + 2);
    t.add(F["hdr.version"], version, q, 2);
    t.add(F["hdr.pdu_len"], pduLen, q + 2, 2);
    t.add(F["hdr.ldpid.lsr"], ipv4At(r.data, q + 4), q + 4, 4);
    t.add(F["hdr.ldpid.lsid"], u16(q + 8), q + 8, 2);
    if (version !== 1 || pduLen < 6) return;
    const end = Math.min(cap, q + 4 + pduLen);
    let m = q + 10;
    while (m + 8 <= end) {
      const rawType = u16(m);
      const msgLen = u16(m + 2);
      t.add(F["msg.ubit"], (rawType & 0x8000) !== 0, m, 2);
      t.add(F["msg.type"], rawType & 0x7fff, m, 2);
      t.add(F["msg.len"], msgLen, m + 2, 2);
      t.add(F["msg.id"], u32(m + 4), m + 4, 4);
      if (msgLen < 4) return;
      const mend = Math.min(end, m + 4 + msgLen);
      let v = m + 8;
      while (v + 4 <= mend) {
        const tt = u16(v) & 0x3fff;
        const tl = u16(v + 2);
        t.add(F["msg.tlv.type"], tt, v, 2);
        t.add(F["msg.tlv.len"], tl, v + 2, 2);
        const d = v + 4;
        if (d + tl > mend) break;
        if (tt === 0x0400 && tl >= 4) {
          t.add(F["msg.tlv.hello.hold"], u16(d), d, 2);
          t.add(F["msg.tlv.hello.targeted"], (u16(d + 2) & 0x8000) !== 0, d + 2, 2);
        } else if (tt === 0x0401 && tl >= 4) t.add(F["msg.tlv.ipv4.taddr"], ipv4At(r.data, d), d, 4);
        else if (tt === 0x0403 && tl >= 16) t.add(F["msg.tlv.ipv6.taddr"], ipv6At(r.data, d), d, 16);
        else if (tt === 0x0500 && tl >= 14) {
          t.add(F["msg.tlv.sess.ver"], u16(d), d, 2);
          t.add(F["msg.tlv.sess.ka"], u16(d + 2), d + 2, 2);
          t.add(F["msg.tlv.sess.pvlim"], r.byteAt(d + 5), d + 5, 1);
          t.add(F["msg.tlv.sess.mxpdu"], u16(d + 6), d + 6, 2);
          t.add(F["msg.tlv.sess.rxlsr"], ipv4At(r.data, d + 8), d + 8, 4);
          t.add(F["msg.tlv.sess.rxls"], u16(d + 12), d + 12, 2);
        } else if (tt === 0x0101 && tl >= 2) {
          const af = u16(d);
          t.add(F["msg.tlv.addrl.addr_family"], af, d, 2);
          if (af === 1) for (let a = d + 2; a + 4 <= d + tl; a += 4) t.add(F["msg.tlv.addrl.addr"], ipv4At(r.data, a), a, 4);
        } else if (tt === 0x0100 && tl >= 1) t.add(F["msg.tlv.fec.type"], r.byteAt(d), d, 1);
        else if (tt === 0x0200 && tl >= 4) t.add(F["msg.tlv.generic.label"], u32(d) & 0xfffff, d, 4);
        v = d + tl;
      }
      m += 4 + msgLen;
    }
    q += 4 + pduLen;
  }
}

