/**
 * DNS (RFC 1035) over UDP and TCP (RFC 1035 4.2.2: a two-byte length prefix), and mDNS (RFC 6762, udp 5353)
 * and LLMNR (RFC 4795, udp 5355) through the same code.
 *
 * The one-line summary follows tcpdump's print-domain.c (4.99) word for word:
 *   query     "47232+ [1au] A? host1.bench.test. (34)"
 *   response  "47232* 1/0/0 A 10.77.9.10 (50)", "47232 NXDomain* 0/1/0 (97)"
 * including its rules for running off the captured bytes (" [|domain]"), for compression pointers (they must
 * point backwards: "<BAD PTR>"), and for the extended rcode found in an OPT record.
 *
 * The detail tree is Wireshark's (dns.qry.name, dns.a, dns.cname, dns.resp.ttl, ...). Names in the tree are
 * decoded by the same bounded walker: every pointer must point strictly before the previous one, so a chain
 * can neither loop nor be longer than the message; a bad pointer stops the name and marks the packet malformed.
 *
 * All reads go through the Reader (byteAt is bounds-checked: nothing outside the captured bytes is read).
 */
import { dnsTcpLength } from "../../stream/framers.js";
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import { fields, sinkRun, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";
import { Line } from "../line.js";

/** Record types (IANA DNS parameters), as tcpdump names them. */
export const DNS_TYPE: Readonly<Record<number, string>> = {
  1: "A",
  2: "NS",
  3: "MD",
  4: "MF",
  5: "CNAME",
  6: "SOA",
  7: "MB",
  8: "MG",
  9: "MR",
  10: "NULL",
  11: "WKS",
  12: "PTR",
  13: "HINFO",
  14: "MINFO",
  15: "MX",
  16: "TXT",
  17: "RP",
  18: "AFSDB",
  19: "X25",
  20: "ISDN",
  21: "RT",
  22: "NSAP",
  23: "NSAP_PTR",
  24: "SIG",
  25: "KEY",
  26: "PX",
  27: "GPOS",
  28: "AAAA",
  29: "LOC",
  30: "NXT",
  31: "EID",
  32: "NIMLOC",
  33: "SRV",
  34: "ATMA",
  35: "NAPTR",
  36: "KX",
  37: "CERT",
  38: "A6",
  39: "DNAME",
  40: "SINK",
  41: "OPT",
  42: "APL",
  43: "DS",
  44: "SSHFP",
  45: "IPSECKEY",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  99: "SPF",
  100: "UINFO",
  101: "UID",
  102: "GID",
  103: "UNSPEC",
  104: "UNSPECA",
  249: "TKEY",
  250: "TSIG",
  251: "IXFR",
  252: "AXFR",
  253: "MAILB",
  254: "MAILA",
  255: "ANY",
  256: "URI",
};

/** Names the tree adds for types tcpdump does not know (Wireshark's names). */
const TREE_TYPE: Readonly<Record<number, string>> = {
  ...DNS_TYPE,
  50: "NSEC3",
  51: "NSEC3PARAM",
  52: "TLSA",
  59: "CDS",
  60: "CDNSKEY",
  64: "SVCB",
  65: "HTTPS",
  257: "CAA",
};

const T = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  A6: 38,
  DNAME: 39,
  OPT: 41,
  UNSPECA: 104,
  TSIG: 250,
  URI: 256,
  SVCB: 64,
  HTTPS: 65,
} as const;

const CLASS_NAMES: Readonly<Record<number, string>> = { 1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY" };
const C_IN = 1;
/** mDNS: the top bit of a question's class asks for a unicast answer, of a record's class flushes caches. */
const C_QU = 0x8000;

const OPCODE_TEXT = [
  "",
  " inv_q",
  " stat",
  " op3",
  " notify",
  " update",
  " op6",
  " op7",
  " op8",
  " updateA",
  " updateD",
  " updateDA",
  " updateM",
  " updateMA",
  " zoneInit",
  " zoneRef",
];
const RCODE_TEXT = [
  "",
  " FormErr",
  " ServFail",
  " NXDomain",
  " NotImp",
  " Refused",
  " YXDomain",
  " YXRRSet",
  " NXRRSet",
  " NotAuth",
  " NotZone",
  " Resp11",
  " Resp12",
  " Resp13",
  " Resp14",
  " NoChange",
  " BadVers",
  "Resp17",
  " Resp18",
  " Resp19",
  " Resp20",
  "Resp21",
  " Resp22",
  " BadCookie",
];
function rcodeText(rc: number): string {
  return rc < RCODE_TEXT.length ? RCODE_TEXT[rc] : ` Resp${rc & 0xfff}`;
}

const OPCODE_NAMES: Readonly<Record<number, string>> = { 0: "Standard query", 1: "Inverse query", 2: "Server status request", 4: "Zone change notification", 5: "Dynamic update" };
const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: "No error",
  1: "Format error",
  2: "Server failure",
  3: "No such name",
  4: "Not implemented",
  5: "Refused",
  6: "Name exists",
  7: "RRset exists",
  8: "RRset does not exist",
  9: "Not authoritative",
  10: "Name out of zone",
};
const EDNS_OPT_NAMES: Readonly<Record<number, string>> = {
  1: "LLQ",
  2: "UL",
  3: "NSID",
  5: "DAU",
  6: "DHU",
  7: "N3U",
  8: "ECS",
  9: "EXPIRE",
  10: "COOKIE",
  11: "KEEPALIVE",
  12: "PADDING",
  13: "CHAIN",
  14: "KEY-TAG",
  16: "CLIENT-TAG",
  17: "SERVER-TAG",
};

const F = fields("dns", {
  length: ["Length", "uint"],
  id: ["Transaction ID", "uint", { base: "hex" }],
  flags: ["Flags", "uint", { base: "hex" }],
  "flags.response": ["Response", "bool"],
  "flags.opcode": ["Opcode", "uint", { values: OPCODE_NAMES }],
  "flags.authoritative": ["Authoritative", "bool"],
  "flags.truncated": ["Truncated", "bool"],
  "flags.recdesired": ["Recursion desired", "bool"],
  "flags.recavail": ["Recursion available", "bool"],
  "flags.z": ["Z", "bool"],
  "flags.authenticated": ["Answer authenticated", "bool"],
  "flags.checkdisable": ["Non-authenticated data", "bool"],
  "flags.rcode": ["Reply code", "uint", { values: RCODE_NAMES }],
  "count.queries": ["Questions", "uint"],
  "count.answers": ["Answer RRs", "uint"],
  "count.auth_rr": ["Authority RRs", "uint"],
  "count.add_rr": ["Additional RRs", "uint"],
  "qry.name": ["Name", "string"],
  "qry.name.len": ["Name Length", "uint"],
  "qry.type": ["Type", "uint", { values: TREE_TYPE }],
  "qry.class": ["Class", "uint", { base: "hex", values: CLASS_NAMES }],
  "qry.qu": ["\"QU\" question", "bool"],
  "resp.name": ["Name", "string"],
  "resp.type": ["Type", "uint", { values: TREE_TYPE }],
  "resp.class": ["Class", "uint", { base: "hex", values: CLASS_NAMES }],
  "resp.cache_flush": ["Cache flush", "bool"],
  "resp.ttl": ["Time to live", "uint"],
  "resp.len": ["Data length", "uint"],
  a: ["Address", "ipv4"],
  aaaa: ["AAAA Address", "ipv6"],
  cname: ["CNAME", "string"],
  ns: ["Name Server", "string"],
  "ptr.domain_name": ["Domain Name", "string"],
  "mx.preference": ["Preference", "uint"],
  "mx.mail_exchange": ["Mail Exchange", "string"],
  txt: ["TXT", "string"],
  "txt.length": ["TXT Length", "uint"],
  "soa.mname": ["Primary name server", "string"],
  "soa.rname": ["Responsible authority's mailbox", "string"],
  "soa.serial_number": ["Serial Number", "uint"],
  "soa.refresh_interval": ["Refresh Interval", "uint"],
  "soa.retry_interval": ["Retry Interval", "uint"],
  "soa.expire_limit": ["Expire limit", "uint"],
  "soa.minimum_ttl": ["Minimum TTL", "uint"],
  "srv.priority": ["Priority", "uint"],
  "srv.weight": ["Weight", "uint"],
  "srv.port": ["Port", "uint"],
  "srv.target": ["Target", "string"],
  "rr.udp_payload_size": ["UDP payload size", "uint"],
  "resp.ext_rcode": ["Higher bits in extended RCODE", "uint", { base: "hex" }],
  "resp.edns0_version": ["EDNS0 version", "uint"],
  "resp.z": ["Z", "uint", { base: "hex" }],
  "resp.z.do": ["DO bit", "bool"],
  "opt.code": ["Option: Code", "uint", { values: EDNS_OPT_NAMES }],
  "opt.len": ["Option: Length", "uint"],
  "opt.data": ["Option: Data", "bytes"],
  "svcb.svcpriority": ["SvcPriority", "uint"],
  "svcb.targetname": ["TargetName", "string"],
  "svcb.svcparam.key": ["SvcParamKey", "uint"],
  "svcb.svcparam.value.length": ["SvcParamValue length", "uint"],
  "uri.priority": ["Priority", "uint"],
  "uri.weight": ["Weight", "uint"],
  "uri.target": ["Target", "string"],
  data: ["Data", "bytes"],
});

const MAXCDNAME = 255;
const TYPE_MASK = 0xc0;
const TYPE_INDIR = 0xc0;
const TYPE_EDNS0 = 0x40;
const TYPE_RESERVED = 0x80;
const EDNS0_ELT_BITLABEL = 0x01;

/**
 * tcpdump's printer over one message: `bp` is where the message starts (absolute), `end` the captured end
 * (tcpdump's snapend). Positions are absolute. Every byte is read through r.byteAt after a bounds test.
 */
class Printer {
  r!: Reader;
  bp = 0;
  end = 0;
  /** the line the summary is written to (ctx.line) */
  o: Line = new Line();
  mdns = false;
  vflag = 0;
  /** a printed name ran into a bad pointer or label */
  bad = "";

  has(p: number, n: number): boolean {
    return p >= this.bp && p + n <= this.end;
  }
  u8(p: number): number {
    return this.r.byteAt(p);
  }
  u16(p: number): number {
    return (this.r.byteAt(p) << 8) | this.r.byteAt(p + 1);
  }
  u32(p: number): number {
    return this.u16(p) * 65536 + this.u16(p + 2);
  }

  /** ns_nskip: position after a name (uncompressed part), or -1 */
  nskip(cp: number): number {
    if (!this.has(cp, 1)) return -1;
    let i = this.u8(cp++);
    while (i) {
      switch (i & TYPE_MASK) {
        case TYPE_INDIR:
          return cp + 1;
        case TYPE_EDNS0: {
          if ((i & ~TYPE_MASK) !== EDNS0_ELT_BITLABEL) return -1;
          if (!this.has(cp, 1)) return -1;
          let bitlen = this.u8(cp);
          if (bitlen === 0) bitlen = 256;
          cp++;
          cp += (bitlen + 7) >> 3;
          break;
        }
        case TYPE_RESERVED:
          return -1;
        default:
          cp += i;
      }
      if (!this.has(cp, 1)) return -1;
      i = this.u8(cp++);
    }
    return cp;
  }

  labellen(cp: number): number {
    if (!this.has(cp, 1)) return -1;
    const i = this.u8(cp);
    switch (i & TYPE_MASK) {
      case TYPE_EDNS0: {
        const elt = i & ~TYPE_MASK;
        if (elt !== EDNS0_ELT_BITLABEL) {
          this.o.s(`<ELT ${elt}>`);
          this.bad = "unknown extended label type";
          return -1;
        }
        if (!this.has(cp + 1, 1)) return -1;
        let bitlen = this.u8(cp + 1);
        if (bitlen === 0) bitlen = 256;
        return ((bitlen + 7) >> 3) + 1;
      }
      case TYPE_INDIR:
      case 0:
        return i;
      default:
        this.o.s("<BAD LABEL TYPE>");
        this.bad = "reserved label type";
        return -1;
    }
  }

  /** nd_printn: n raw bytes; false if they run past the captured end (after printing what there is) */
  printn(cp: number, n: number): boolean {
    const k = Math.max(0, Math.min(n, this.end - cp));
    if (cp >= this.r.start) this.o.latin1(this.r.data, cp, k);
    else for (let i = 0; i < k; i++) this.o.s(String.fromCharCode(this.u8(cp + i))); // before the reader's start: zeros
    return n === k;
  }

  blabel(cp: number): number {
    if (!this.has(cp, 1)) return -1;
    let bitlen = this.u8(cp);
    if (bitlen === 0) bitlen = 256;
    const lim = cp + 1 + ((bitlen + 3) >> 2);
    this.o.s("\\[x");
    let bitp = cp + 1;
    let b = bitlen;
    for (; bitp < lim && b > 7; b -= 8, bitp++) {
      if (!this.has(bitp, 1)) return -1;
      this.o.s(hex2(this.u8(bitp)));
    }
    if (b > 4) {
      if (!this.has(bitp, 1)) return -1;
      this.o.s(hex2(this.u8(bitp) & (0xff << (8 - b))));
    } else if (b > 0) {
      if (!this.has(bitp, 1)) return -1;
      this.o.s(((((this.u8(bitp) >> 4) & 0x0f) & (0x0f << (4 - b))) & 15).toString(16));
    }
    this.o.s(`/${bitlen}]`);
    return lim;
  }

  /** fqdn_print: prints a name; returns the position after it in the record, or -1 */
  fqdn(cp: number): number {
    let l = this.labellen(cp);
    if (l < 0) return -1;
    if (!this.has(cp, 1)) return -1;
    let maxOffset = cp - this.bp;
    let i = this.u8(cp++);
    let rp = -1;
    let compress = false;
    let nameChars = 0;
    if ((i & TYPE_MASK) !== TYPE_INDIR) rp = cp + l;
    if (i === 0) {
      this.o.c(0x2e);
      return rp;
    }
    while (i && cp < this.end) {
      switch (i & TYPE_MASK) {
        case TYPE_INDIR: {
          if (!compress) {
            rp = cp + 1;
            compress = true;
          }
          if (!this.has(cp, 1)) return -1;
          const offset = ((i << 8) | this.u8(cp)) & 0x3fff;
          // Pointers must move backwards: that is what stops loops (each hop is strictly earlier).
          if (offset >= maxOffset) {
            this.o.s("<BAD PTR>");
            this.bad = "compression pointer does not point backwards (loop)";
            return -1;
          }
          maxOffset = offset;
          cp = this.bp + offset;
          if (!this.has(cp, 1)) return -1;
          i = this.u8(cp);
          l = this.labellen(cp);
          if (l < 0) return -1;
          cp++;
          continue;
        }
        case TYPE_EDNS0: {
          const elt = i & ~TYPE_MASK;
          if (elt === EDNS0_ELT_BITLABEL) {
            if (this.blabel(cp) < 0) return -1;
          } else {
            this.o.s(`<ELT ${elt}>`);
            return -1;
          }
          break;
        }
        case TYPE_RESERVED:
          this.o.s("<BAD LABEL TYPE>");
          this.bad = "reserved label type";
          return -1;
        default:
          if (nameChars + l <= MAXCDNAME) {
            if (!this.printn(cp, l)) return -1;
          } else if (nameChars < MAXCDNAME) {
            if (!this.printn(cp, MAXCDNAME - nameChars)) return -1;
          }
          nameChars += l;
      }
      cp += l;
      if (nameChars <= MAXCDNAME) this.o.c(0x2e);
      nameChars++;
      if (!this.has(cp, 1)) return -1;
      i = this.u8(cp);
      l = this.labellen(cp);
      if (l < 0) return -1;
      cp++;
      if (!compress) rp += l + 1;
    }
    if (nameChars > MAXCDNAME) this.o.s("<DOMAIN NAME TOO LONG>");
    return rp;
  }

  cprint(cp: number): number {
    if (!this.has(cp, 1)) return -1;
    const i = this.u8(cp++);
    if (!this.printn(cp, i)) return -1;
    return cp + i;
  }

  qprint(cp: number): number {
    const np = cp;
    cp = this.nskip(cp);
    if (cp < 0 || !this.has(cp, 4)) return -1;
    const type = this.u16(cp);
    const qc = this.u16(cp + 2);
    this.o.c(0x20).s(typeText(type));
    const cls = this.mdns ? qc & ~C_QU : qc;
    if (cls !== C_IN) this.o.c(0x20).s(classText(cls));
    if (this.mdns) this.o.s(qc & C_QU ? " (QU)" : " (QM)");
    this.o.s("? ");
    const e = this.fqdn(np);
    return e < 0 ? -1 : e + 4;
  }

  /** ns_rprint: returns the position after the record, this.end to stop the caller's loop, or -1 */
  rprint(cp: number): number {
    if (this.vflag) {
      this.o.s(" ");
      cp = this.fqdn(cp);
      if (cp < 0) return -1;
    } else cp = this.nskip(cp);
    if (cp < 0 || !this.has(cp, 10)) return this.end;
    const typ = this.u16(cp);
    const ci = this.u16(cp + 2);
    cp += 4;
    const cls = this.mdns ? ci & 0x7fff : ci;
    if (cls !== C_IN && typ !== T.OPT) this.o.c(0x20).s(classText(cls));
    if (this.mdns && ci & 0x8000) this.o.s(" (Cache flush)");
    let optFlags = 0;
    if (typ === T.OPT) {
      optFlags = this.u16(cp + 2);
      cp += 4;
    } else if (this.vflag > 2) {
      this.o.s(" [" + reltime(this.u32(cp)) + "]");
      cp += 4;
    } else cp += 4;
    const len = this.u16(cp);
    cp += 2;
    const rp = cp + len;
    this.o.c(0x20).s(typeText(typ));
    if (rp > this.end) return -1;
    switch (typ) {
      case T.A:
        if (!this.has(cp, 4)) return -1;
        this.o.c(0x20).s(ipv4At(this.r.data, cp));
        break;
      case T.NS:
      case T.CNAME:
      case T.PTR:
      case T.DNAME:
        this.o.s(" ");
        if (this.fqdn(cp) < 0) return -1;
        break;
      case T.SOA:
        if (!this.vflag) break;
        this.o.s(" ");
        if ((cp = this.fqdn(cp)) < 0) return -1;
        this.o.s(" ");
        if ((cp = this.fqdn(cp)) < 0) return -1;
        if (!this.has(cp, 20)) return -1;
        for (let k = 0; k < 5; k++) this.o.c(0x20).u(this.u32(cp + 4 * k));
        break;
      case T.MX:
        this.o.s(" ");
        if (!this.has(cp, 2)) return -1;
        if (this.fqdn(cp + 2) < 0) return -1;
        this.o.c(0x20).u(this.u16(cp));
        break;
      case T.TXT:
        while (cp < rp) {
          this.o.s(' "');
          cp = this.cprint(cp);
          if (cp < 0) return -1;
          this.o.s('"');
        }
        break;
      case T.SRV:
        this.o.s(" ");
        if (!this.has(cp, 6)) return -1;
        if (this.fqdn(cp + 6) < 0) return -1;
        this.o.s(`:${this.u16(cp + 4)} ${this.u16(cp)} ${this.u16(cp + 2)}`);
        break;
      case T.AAAA:
        if (!this.has(cp, 16)) return -1;
        this.o.c(0x20).s(ipv6At(this.r.data, cp));
        break;
      case T.A6: {
        if (!this.has(cp, 1)) return -1;
        const pbit = this.u8(cp);
        const pbyte = (pbit & ~7) >> 3;
        if (pbit > 128) {
          this.o.s(` ${pbit}(bad plen)`);
          break;
        } else if (pbit < 128) {
          if (!this.has(cp + 1, 16 - pbyte)) return -1;
          const a = new Uint8Array(16);
          for (let k = 0; k < 16 - pbyte; k++) a[pbyte + k] = this.u8(cp + 1 + k);
          this.o.s(` ${pbit} ${ipv6At(a, 0)}`);
        }
        if (pbit > 0) {
          this.o.s(" ");
          if (this.fqdn(cp + 1 + 16 - pbyte) < 0) return -1;
        }
        break;
      }
      case T.URI:
        if (!this.has(cp, len)) return -1;
        this.o.s(` ${this.u16(cp)} ${this.u16(cp + 2)} `);
        if (!this.printn(cp + 4, len - 4)) return -1;
        break;
      case T.OPT:
        this.o.s(` UDPsize=${cls}`);
        if (optFlags & 0x8000) this.o.s(" DO");
        if (cp < rp) {
          this.o.s(" [");
          while (cp < rp) {
            cp = this.eopt(cp);
            if (cp < 0) return -1;
            if (cp < rp) this.o.s(",");
          }
          this.o.s("]");
        }
        break;
      case T.UNSPECA:
        if (!this.has(cp, len)) return -1;
        if (!this.printn(cp, len)) return -1;
        break;
      case T.TSIG: {
        if (cp + len > this.end) return -1;
        if (!this.vflag) break;
        this.o.s(" ");
        if ((cp = this.fqdn(cp)) < 0) return -1;
        cp += 6;
        if (!this.has(cp, 2)) return -1;
        this.o.s(` fudge=${this.u16(cp)}`);
        cp += 2;
        if (!this.has(cp, 2)) return -1;
        this.o.s(` maclen=${this.u16(cp)}`);
        cp += 2 + this.u16(cp);
        if (!this.has(cp, 2)) return -1;
        this.o.s(` origid=${this.u16(cp)}`);
        cp += 2;
        if (!this.has(cp, 2)) return -1;
        this.o.s(` error=${this.u16(cp)}`);
        cp += 2;
        if (!this.has(cp, 2)) return -1;
        this.o.s(` otherlen=${this.u16(cp)}`);
        break;
      }
    }
    return rp;
  }

  /** eopt_print: one EDNS option */
  eopt(cp: number): number {
    if (!this.has(cp, 2)) return -1;
    const opt = this.u16(cp);
    cp += 2;
    this.o.s(EDNS_OPT_NAMES[opt] ?? `Opt${opt}`);
    if (!this.has(cp, 2)) return -1;
    const n = this.u16(cp);
    cp += 2;
    if (!this.has(cp, n)) return -1;
    if (n > 0) {
      this.o.s(" ");
      let s = "";
      switch (opt) {
        case 8: // ECS
          s = this.ecs(cp, n);
          break;
        case 10: // COOKIE
          if (n < 8 || (n > 8 && n < 16) || n > 40) s = " (invalid)";
          else for (let k = 0; k < n; k++) s += (k === 8 ? " " : "") + hex2(this.u8(cp + k));
          break;
        case 11:
          s = n !== 2 ? " (invalid)" : `${(this.u16(cp) / 10).toFixed(1)} sec`;
          break;
        case 9:
          s = n !== 4 ? " (invalid)" : `${this.u32(cp)} sec`;
          break;
        case 12:
          s = `(${n})`;
          break;
        case 14:
          if (n % 2) s = " (invalid)";
          else for (let k = 0; k < n; k += 2) s += (k ? " " : "") + this.u16(cp + k);
          break;
        case 5:
        case 6:
        case 7: {
          const names = opt === 5 ? DAU_ALG : opt === 6 ? DHU_ALG : N3U_ALG;
          for (let k = 0; k < n; k++) {
            const a = this.u8(cp + k);
            s += (k ? " " : "") + (names[a] ?? `Alg_${a}`);
          }
          break;
        }
        case 13: {
          // written where s would be (s stays empty)
          const saveEnd = this.end;
          this.end = Math.min(this.end, cp + n);
          this.fqdn(cp);
          this.end = saveEnd;
          break;
        }
        default:
          for (let k = 0; k < n; k++) s += hex2(this.u8(cp + k));
      }
      this.o.s(s);
    }
    return cp + n;
  }

  ecs(cp: number, n: number): string {
    if (n < 4) return " (invalid)";
    const family = this.u16(cp);
    const src = this.u8(cp + 2);
    const scope = this.u8(cp + 3);
    const bits = family === 1 ? 32 : family === 2 ? 128 : 0;
    if (!bits) return " (invalid)";
    if (n - 4 > bits / 8) return " (invalid)";
    if (src > bits || scope > bits || ((src + 7) >> 3) !== n - 4) return " (invalid)";
    const a = new Uint8Array(16);
    for (let k = 0; k < n - 4; k++) a[k] = this.u8(cp + 4 + k);
    return `${family === 1 ? ipv4At(a, 0) : ipv6At(a, 0)}/${src}/${scope}`;
  }

  /** domain_print: the whole summary (written to this.o); false when it ran off the captured bytes */
  message(length: number): boolean {
    const bp = this.bp;
    if (length < 12) {
      this.o.s(`domain [length ${length} < 12] (invalid)`);
      return true;
    }
    if (!this.has(bp, 12)) return false;
    const flags = this.u16(bp + 2);
    let qd = this.u16(bp + 4);
    let an = this.u16(bp + 6);
    let ns = this.u16(bp + 8);
    let ar = this.u16(bp + 10);
    const opcode = (flags >> 11) & 15;
    let rcode = flags & 15;
    // Find an OPT record for the extended rcode (tcpdump walks the sections without printing).
    let cp = bp + 12;
    scan: {
      for (let i = 0; i < qd; i++) {
        if ((cp = this.nskip(cp)) < 0) break scan;
        cp += 4;
        if (cp >= this.end) break scan;
      }
      for (let i = 0; i < an + ns; i++) {
        if ((cp = this.nskip(cp)) < 0) break scan;
        cp += 8;
        if (cp + 2 > this.end) break scan;
        cp += 2 + this.u16(cp);
        if (cp >= this.end) break scan;
      }
      for (let i = 0; i < ar; i++) {
        if ((cp = this.nskip(cp)) < 0) break scan;
        if (cp + 2 > this.end) break scan;
        const type = this.u16(cp);
        cp += 4;
        if (cp + 1 > this.end) break scan;
        if (type === T.OPT) {
          rcode |= this.u8(cp) << 4;
          break scan;
        }
        cp += 4;
        if (cp + 2 > this.end) break scan;
        cp += 2 + this.u16(cp);
        if (cp >= this.end) break scan;
      }
    }
    const id = this.u16(bp);
    if (flags & 0x8000) {
      const o = this.o;
      o.u(id).s(OPCODE_TEXT[opcode]).s(rcodeText(rcode));
      if (flags & 0x400) o.c(0x2a); // *
      if (!(flags & 0x80)) o.c(0x2d); // -
      if (flags & 0x200) o.c(0x7c); // |
      if (flags & 0x20) o.c(0x24); // $
      if (qd !== 1) o.s(" [").u(qd).s("q]");
      cp = bp + 12;
      for (let i = 0; i < qd; i++) {
        if (i !== 0) this.o.s(",");
        if (this.vflag > 1) {
          this.o.s(" q:");
          if ((cp = this.qprint(cp)) < 0) return false;
        } else {
          if ((cp = this.nskip(cp)) < 0) return false;
          cp += 4;
        }
      }
      this.o.c(0x20).u(an).c(0x2f).u(ns).c(0x2f).u(ar);
      if (an) {
        if ((cp = this.rprint(cp)) < 0) return false;
        an--;
        while (cp < this.end && an) {
          this.o.s(",");
          if ((cp = this.rprint(cp)) < 0) return false;
          an--;
        }
      }
      if (an) return false;
      if (this.vflag > 1) {
        if (!this.section(cp, ns, " ns:", ar, " ar:")) return false;
      }
    } else {
      this.o.u(id).s(OPCODE_TEXT[opcode]);
      if (flags & 0x100) this.o.c(0x2b); // +
      if (flags & 0x10) this.o.c(0x25); // %
      if (flags & 0x6cf) this.o.s(` [b2&3=0x${flags.toString(16)}]`);
      if (opcode === 1) {
        if (qd) this.o.s(` [${qd}q]`);
        if (an !== 1) this.o.s(` [${an}a]`);
      } else {
        if (an) this.o.s(` [${an}a]`);
        if (qd !== 1) this.o.s(` [${qd}q]`);
      }
      if (ns) this.o.s(` [${ns}n]`);
      if (ar) this.o.s(" [").u(ar).s("au]");
      cp = bp + 12;
      if (qd) {
        if ((cp = this.qprint(cp)) < 0) return false;
        qd--;
        while (cp < this.end && qd) {
          if ((cp = this.qprint(cp)) < 0) return false;
          qd--;
        }
      }
      if (qd) return false;
      if (this.vflag > 1) {
        if (an) {
          if ((cp = this.rprint(cp)) < 0) return false;
          an--;
          while (cp < this.end && an) {
            this.o.s(",");
            if ((cp = this.rprint(cp)) < 0) return false;
            an--;
          }
        }
        if (an) return false;
        if (!this.section(cp, ns, " ns:", ar, " ar:")) return false;
      }
    }
    this.o.s(" (").u(length).c(0x29);
    return true;
  }

  /** the NS and AR sections at -vv */
  private section(cp: number, ns: number, nsLabel: string, ar: number, arLabel: string): boolean {
    if (cp < this.end && ns) {
      this.o.s(nsLabel);
      if ((cp = this.rprint(cp)) < 0) return false;
      ns--;
      while (cp < this.end && ns) {
        this.o.s(",");
        if ((cp = this.rprint(cp)) < 0) return false;
        ns--;
      }
    }
    if (ns) return false;
    if (cp < this.end && ar) {
      this.o.s(arLabel);
      if ((cp = this.rprint(cp)) < 0) return false;
      ar--;
      while (cp < this.end && ar) {
        this.o.s(",");
        if ((cp = this.rprint(cp)) < 0) return false;
        ar--;
      }
    }
    return ar === 0;
  }
}

const DAU_ALG: Readonly<Record<number, string>> = {
  0: "DELETE",
  1: "RSAMD5",
  2: "DH",
  3: "DS",
  5: "RSASHA1",
  6: "DSA-NSEC3-SHA1",
  7: "RSASHA1-NSEC3-SHA1",
  8: "RSASHA256",
  10: "RSASHA512",
  12: "ECC-GOST",
  13: "ECDSAP256SHA256",
  14: "ECDSAP384SHA384",
  15: "ED25519",
  16: "ED448",
  252: "INDIRECT",
  253: "PRIVATEDNS",
  254: "PRIVATEOID",
};
const DHU_ALG: Readonly<Record<number, string>> = { 1: "SHA-1", 2: "SHA-256", 3: "GOST_R_34.11-94", 4: "SHA-384" };
const N3U_ALG: Readonly<Record<number, string>> = { 1: "SHA-1" };

function hex2(n: number): string {
  return (n < 16 ? "0" : "") + (n & 255).toString(16);
}
function typeText(t: number): string {
  return DNS_TYPE[t] ?? `Type${t}`;
}
function classText(c: number): string {
  return CLASS_NAMES[c] ?? `(Class ${c})`;
}
/** tcpdump's unsigned_relts_print: "1h2m3s" */
function reltime(secs: number): string {
  if (secs === 0) return "0s";
  const units = [31536000, 604800, 86400, 3600, 60, 1];
  const names = ["y", "w", "d", "h", "m", "s"];
  let s = "";
  for (let i = 0; i < units.length; i++) {
    if (secs >= units[i]) {
      s += Math.floor(secs / units[i]) + names[i];
      secs %= units[i];
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// The detail tree (Wireshark's layout and names).

interface NameOut {
  name: string;
  /** position after the name where it was written */
  end: number;
  /** bytes of the name where it was written */
  len: number;
  bad: string;
}
const nameOut: NameOut = { name: "", end: 0, len: 0, bad: "" };

/** The rest of a name from where a compression pointer lands: decoded once per message (namesMemo). */
interface Suffix {
  /** its labels joined with dots (the first 256 characters) and its whole length */
  text: string;
  chars: number;
  labels: number;
  /** compression pointers followed in it (up to where it ends or goes wrong) */
  ptrs: number;
  bad: string;
}
/** Per message (tree() resets it): suffixes by where they start and the limit they were read to. */
let namesMemo: Map<number, Suffix> | null = null;
/** Per message: label and pointer steps left (a bound on the work crafted pointers can ask for). */
let nameSteps = 0;
const NAME_STEPS = 1 << 22;
/** Wireshark's limit on pointers in one name (MAX_DNAME_LEN): beyond it, "<Name contains a pointer that loops>". */
const MAX_POINTERS = 255;
const LOOPS = "<Name contains a pointer that loops>";

/**
 * The labels from `p` to the name's end, following compression pointers as Wireshark does: backwards or
 * forwards. A chain of more than MAX_POINTERS pointers (a loop among them) is reported as such by the caller
 * (ptrs > MAX_POINTERS); `depth` bounds the recursion by the same number. Bounded by nameSteps.
 */
function suffix(r: Reader, bp: number, p: number, lim: number, depth: number): Suffix {
  const key = lim * 4194304 + p;
  const hit = namesMemo?.get(key);
  if (hit) return hit;
  const o: Suffix = { text: "", chars: 0, labels: 0, ptrs: 0, bad: "" };
  for (;;) {
    if (--nameSteps < 0) {
      o.bad = "names too costly to decode (compression pointers)";
      break;
    }
    if (p >= lim || p < bp) {
      o.bad = "name runs past the end of the data";
      break;
    }
    const l = r.byteAt(p);
    if ((l & TYPE_MASK) === TYPE_INDIR) {
      if (p + 1 >= lim) {
        o.bad = "name runs past the end of the data";
        break;
      }
      const off = ((l << 8) | r.byteAt(p + 1)) & 0x3fff;
      if (depth >= MAX_POINTERS) {
        o.ptrs = MAX_POINTERS + 1;
        break;
      }
      const rest = suffix(r, bp, bp + off, lim, depth + 1);
      o.ptrs = 1 + rest.ptrs;
      o.bad = rest.bad;
      if (rest.labels) {
        if (o.labels && o.text.length <= 256) o.text += ".";
        if (o.text.length <= 256) o.text += rest.text.slice(0, 257 - o.text.length);
        o.chars += (o.labels ? 1 : 0) + rest.chars;
        o.labels += rest.labels;
      }
      break;
    }
    if ((l & TYPE_MASK) !== 0) {
      o.bad = "unsupported label type";
      break;
    }
    if (l === 0) break;
    if (p + 1 + l > lim) {
      o.bad = "label runs past the end of the data";
      break;
    }
    if (o.labels) {
      if (o.text.length <= 256) o.text += ".";
      o.chars++;
    }
    for (let k = 1; k <= l && o.text.length <= 256; k++) o.text += String.fromCharCode(r.byteAt(p + k));
    o.chars += l;
    o.labels++;
    p += 1 + l;
  }
  (namesMemo ??= new Map()).set(key, o);
  return o;
}

/**
 * Decodes a name for the tree, as Wireshark does: compression pointers are followed wherever they point
 * (forwards too); a chain of more than 255 pointers is "<Name contains a pointer that loops>" (what a loop
 * gives), a name longer than 255 characters "<Name too long>". Each place a pointer lands is decoded once per
 * message, and a message's names have a budget of steps: crafted pointers cannot make the work grow without
 * bound. A label or pointer running past the data, or a bad label type, sets `bad`.
 */
function readName(r: Reader, bp: number, cp: number, lim: number): NameOut {
  const o = nameOut;
  o.name = "";
  o.bad = "";
  o.end = -1;
  let p = cp;
  let labels = 0;
  let chars = 0;
  for (;;) {
    if (--nameSteps < 0) {
      o.bad = "names too costly to decode (compression pointers)";
      break;
    }
    if (p >= lim || p < bp) {
      o.bad = "name runs past the end of the data";
      break;
    }
    const l = r.byteAt(p);
    if ((l & TYPE_MASK) === TYPE_INDIR) {
      if (p + 1 >= lim) {
        o.bad = "name runs past the end of the data";
        break;
      }
      o.end = p + 2;
      const off = ((l << 8) | r.byteAt(p + 1)) & 0x3fff;
      const rest = suffix(r, bp, bp + off, lim, 1);
      if (rest.ptrs + 1 > MAX_POINTERS) {
        o.name = LOOPS;
        o.len = o.end - cp;
        return o;
      }
      o.bad = rest.bad;
      if (rest.labels) {
        if (labels && o.name.length <= 255) o.name += ".";
        if (o.name.length <= 255) o.name += rest.text;
        chars += (labels ? 1 : 0) + rest.chars;
        labels += rest.labels;
      }
      break;
    }
    if ((l & TYPE_MASK) !== 0) {
      o.bad = "unsupported label type";
      break;
    }
    if (l === 0) {
      o.end = p + 1;
      break;
    }
    if (p + 1 + l > lim) {
      o.bad = "label runs past the end of the data";
      break;
    }
    // Wireshark: a name longer than 255 characters is "<Name too long>", read on to its end
    if (labels) chars++;
    if (o.name.length <= 255) {
      if (labels) o.name += ".";
      for (let k = 1; k <= l; k++) o.name += String.fromCharCode(r.byteAt(p + k));
    }
    chars += l;
    labels++;
    p += 1 + l;
  }
  if (chars > 255) o.name = "<Name too long>";
  if (!o.name && !o.bad) o.name = "<Root>";
  if (o.end < 0) o.end = lim;
  o.len = o.end - cp;
  return o;
}

function u16(r: Reader, p: number): number {
  return (r.byteAt(p) << 8) | r.byteAt(p + 1);
}
function u32(r: Reader, p: number): number {
  return u16(r, p) * 65536 + u16(r, p + 2);
}

const FLAGS_RUN = sinkRun();

function tree(r: Reader, ctx: Ctx, t: TreeSink, bp: number, mdns: boolean): void {
  const lim = r.cap;
  namesMemo = null;
  nameSteps = NAME_STEPS;
  if (bp + 12 > lim) return;
  const flags = u16(r, bp + 2);
  const counts = [u16(r, bp + 4), u16(r, bp + 6), u16(r, bp + 8), u16(r, bp + 10)];
  t.add(F.id, u16(r, bp), bp, 2);
  // the flags' fields depend on the 16 bits alone: -T json writes them once per value
  if (!t.cachedRun?.(FLAGS_RUN, flags)) {
    t.push(F.flags, flags, bp + 2, 2);
    t.add(F["flags.response"], (flags & 0x8000) !== 0, bp + 2, 2);
    t.add(F["flags.opcode"], (flags >> 11) & 15, bp + 2, 2);
    if (flags & 0x8000) t.add(F["flags.authoritative"], (flags & 0x400) !== 0, bp + 2, 2);
    t.add(F["flags.truncated"], (flags & 0x200) !== 0, bp + 2, 2);
    t.add(F["flags.recdesired"], (flags & 0x100) !== 0, bp + 2, 2);
    if (flags & 0x8000) t.add(F["flags.recavail"], (flags & 0x80) !== 0, bp + 2, 2);
    t.add(F["flags.z"], (flags & 0x40) !== 0, bp + 2, 2);
    if (flags & 0x8000) t.add(F["flags.authenticated"], (flags & 0x20) !== 0, bp + 2, 2);
    t.add(F["flags.checkdisable"], (flags & 0x10) !== 0, bp + 2, 2);
    if (flags & 0x8000) t.add(F["flags.rcode"], flags & 15, bp + 2, 2);
    t.pop();
    t.endRun?.(FLAGS_RUN, flags);
  }
  t.add(F["count.queries"], counts[0], bp + 4, 2);
  t.add(F["count.answers"], counts[1], bp + 6, 2);
  t.add(F["count.auth_rr"], counts[2], bp + 8, 2);
  t.add(F["count.add_rr"], counts[3], bp + 10, 2);
  let cp = bp + 12;
  const titles = ["Queries", "Answers", "Authoritative nameservers", "Additional records"];
  let total = 0;
  for (let s = 0; s < 4; s++) {
    if (!counts[s]) continue;
    t.pushNote(titles[s], cp, 0);
    for (let i = 0; i < counts[s]; i++) {
      if (cp >= lim || ++total > 16384) break; // (at least 5 bytes each: at most 13107 in a message)
      const n = readName(r, bp, cp, lim);
      const name = n.name;
      const nlen = n.len;
      if (n.bad) {
        ctx.markMalformed(`DNS: ${n.bad}`);
        t.note(`[Malformed name: ${n.bad}]`, cp, nlen);
        t.pop();
        return;
      }
      let p = n.end;
      if (s === 0) {
        if (p + 4 > lim) {
          t.pop();
          return;
        }
        const type = u16(r, p);
        const cls = u16(r, p + 2);
        t.pushNote(`${name}: type ${TREE_TYPE[type] ?? type}, class ${CLASS_NAMES[cls & 0x7fff] ?? cls}`, cp, p + 4 - cp);
        t.add(F["qry.name"], name, cp, nlen);
        t.add(F["qry.name.len"], name === "<Root>" ? 0 : name.length, cp, nlen);
        t.add(F["qry.type"], type, p, 2);
        t.add(F["qry.class"], mdns ? cls & 0x7fff : cls, p + 2, 2);
        if (mdns) t.add(F["qry.qu"], (cls & C_QU) !== 0, p + 2, 2);
        t.pop();
        cp = p + 4;
        continue;
      }
      if (p + 10 > lim) {
        t.pop();
        return;
      }
      const type = u16(r, p);
      const cls = u16(r, p + 2);
      const ttl = u32(r, p + 4);
      const rdlen = u16(r, p + 8);
      const rd = p + 10;
      const end = rd + rdlen;
      t.pushNote(`${name}: type ${TREE_TYPE[type] ?? type}, class ${type === T.OPT ? "" : (CLASS_NAMES[cls & (mdns ? 0x7fff : 0xffff)] ?? cls)}`, cp, end - cp);
      t.add(F["resp.name"], name, cp, nlen);
      t.add(F["resp.type"], type, p, 2);
      if (type === T.OPT) {
        t.add(F["rr.udp_payload_size"], cls, p + 2, 2);
        t.add(F["resp.ext_rcode"], r.byteAt(p + 4), p + 4, 1);
        t.add(F["resp.edns0_version"], r.byteAt(p + 5), p + 5, 1);
        t.push(F["resp.z"], u16(r, p + 6), p + 6, 2);
        t.add(F["resp.z.do"], (r.byteAt(p + 6) & 0x80) !== 0, p + 6, 2);
        t.pop();
      } else {
        t.add(F["resp.class"], mdns ? cls & 0x7fff : cls, p + 2, 2);
        if (mdns) t.add(F["resp.cache_flush"], (cls & 0x8000) !== 0, p + 2, 2);
        t.add(F["resp.ttl"], ttl, p + 4, 4);
      }
      t.add(F["resp.len"], rdlen, p + 8, 2);
      if (end > lim) {
        t.pop();
        t.pop();
        return;
      }
      rdata(r, ctx, t, bp, type, rd, end);
      t.pop();
      cp = end;
    }
    t.pop();
  }
}

function rdata(r: Reader, ctx: Ctx, t: TreeSink, bp: number, type: number, p: number, end: number): void {
  const len = end - p;
  const name = (f: (typeof F)[keyof typeof F], at: number): number => {
    const n = readName(r, bp, at, end);
    if (n.bad) {
      ctx.markMalformed(`DNS: ${n.bad}`);
      t.note(`[Malformed name: ${n.bad}]`, at, n.len);
      return -1;
    }
    t.add(f, n.name, at, n.len);
    return n.end;
  };
  switch (type) {
    case T.A:
      if (len === 4) t.add(F.a, ipv4At(r.data, p), p, 4);
      return;
    case T.AAAA:
      if (len === 16) t.add(F.aaaa, ipv6At(r.data, p), p, 16);
      return;
    case T.CNAME:
      name(F.cname, p);
      return;
    case T.NS:
      name(F.ns, p);
      return;
    case T.PTR:
      name(F["ptr.domain_name"], p);
      return;
    case T.MX:
      if (len < 3) return;
      t.add(F["mx.preference"], u16(r, p), p, 2);
      name(F["mx.mail_exchange"], p + 2);
      return;
    case T.TXT:
      while (p < end) {
        const l = r.byteAt(p);
        if (p + 1 + l > end) {
          ctx.markMalformed("DNS: TXT string runs past the record");
          return;
        }
        t.add(F["txt.length"], l, p, 1);
        let s = "";
        for (let k = 1; k <= l; k++) s += String.fromCharCode(r.byteAt(p + k));
        t.add(F.txt, s, p + 1, l);
        p += 1 + l;
      }
      return;
    case T.SOA: {
      let q = name(F["soa.mname"], p);
      if (q < 0) return;
      q = name(F["soa.rname"], q);
      if (q < 0 || q + 20 > end) return;
      t.add(F["soa.serial_number"], u32(r, q), q, 4);
      t.add(F["soa.refresh_interval"], u32(r, q + 4), q + 4, 4);
      t.add(F["soa.retry_interval"], u32(r, q + 8), q + 8, 4);
      t.add(F["soa.expire_limit"], u32(r, q + 12), q + 12, 4);
      t.add(F["soa.minimum_ttl"], u32(r, q + 16), q + 16, 4);
      return;
    }
    case T.SRV:
      if (len < 7) return;
      t.add(F["srv.priority"], u16(r, p), p, 2);
      t.add(F["srv.weight"], u16(r, p + 2), p + 2, 2);
      t.add(F["srv.port"], u16(r, p + 4), p + 4, 2);
      name(F["srv.target"], p + 6);
      return;
    case T.URI:
      if (len < 4) return;
      t.add(F["uri.priority"], u16(r, p), p, 2);
      t.add(F["uri.weight"], u16(r, p + 2), p + 2, 2);
      {
        let s = "";
        for (let k = p + 4; k < end; k++) s += String.fromCharCode(r.byteAt(k));
        t.add(F["uri.target"], s, p + 4, len - 4);
      }
      return;
    case T.OPT:
      while (p + 4 <= end) {
        const code = u16(r, p);
        const ol = u16(r, p + 2);
        t.pushNote(`Option: ${EDNS_OPT_NAMES[code] ?? code}`, p, 4 + ol);
        t.add(F["opt.code"], code, p, 2);
        t.add(F["opt.len"], ol, p + 2, 2);
        if (p + 4 + ol > end) {
          ctx.markMalformed("DNS: EDNS option runs past the record");
          t.pop();
          return;
        }
        if (ol) t.add(F["opt.data"], hexRange(r, p + 4, ol), p + 4, ol);
        t.pop();
        p += 4 + ol;
      }
      return;
    case T.SVCB:
    case T.HTTPS: {
      if (len < 3) return;
      t.add(F["svcb.svcpriority"], u16(r, p), p, 2);
      let q = name(F["svcb.targetname"], p + 2);
      if (q < 0) return;
      while (q + 4 <= end) {
        const key = u16(r, q);
        const vl = u16(r, q + 2);
        t.add(F["svcb.svcparam.key"], key, q, 2);
        t.add(F["svcb.svcparam.value.length"], vl, q + 2, 2);
        q += 4 + vl;
      }
      return;
    }
    default:
      if (len) t.add(F.data, hexRange(r, p, len), p, len);
  }
}

function hexRange(r: Reader, p: number, n: number): string {
  let s = "";
  for (let k = 0; k < n && k < 2048; k++) s += hex2(r.byteAt(p + k));
  return s;
}

// ---------------------------------------------------------------------------------------------------------

const printer = new Printer();

/** Summary (and tree) for one message at r.pos of `length` reported bytes. */
function dissectMessage(r: Reader, ctx: Ctx, t: TreeSink, length: number, mdns: boolean, bp: number): void {
  const pr = printer;
  pr.r = r;
  pr.bp = bp;
  pr.end = r.cap;
  pr.o = ctx.line;
  pr.mdns = mdns;
  pr.bad = "";
  pr.vflag = ctx.opts.verbose;
  const ok = pr.message(length);
  if (!ok) {
    // tcpdump's " [|domain]": the message ran off the captured bytes (or a name went wrong, which tcpdump
    // reports the same way).
    ctx.line.s(" [|domain]");
    if (pr.bad) ctx.markMalformed(`DNS: ${pr.bad}`);
    else if (r.cap < r.rep) ctx.truncated = true;
    else ctx.markMalformed("DNS: the message ends inside a record");
  }
  if (t.on) tree(r, ctx, t, bp, mdns);
  r.pos = r.cap;
}

export const DNS: Protocol = {
  id: "dns",
  name: "DNS",
  title: "Domain Name System",
  fields: F,
  pduLength: dnsTcpLength,
  dissect(r, ctx, t) {
    const length = r.reportedRemaining;
    const mdns = ctx.srcPort === 5353 || ctx.dstPort === 5353;
    if (ctx.ipProto === 6) {
      // DNS over TCP: a two-byte length before the message (tcpdump checks it equals the rest of the segment).
      if (length < 2) {
        ctx.line.s(` [DNS over TCP: length ${length} < 2] (invalid)`);
        ctx.markMalformed("DNS over TCP: no length prefix");
        r.pos = r.cap;
        return;
      }
      if (!r.has(2)) {
        ctx.line.s(" [|domain]");
        ctx.truncated = true;
        r.pos = r.cap;
        return;
      }
      const pfx = r.peek16();
      if (t.on) t.add(F.length, pfx, r.pos, 2);
      if (pfx !== length - 2) {
        ctx.line.s(` [prefix length(${pfx}) != length(${length - 2})] (invalid)`);
        // Not necessarily malformed: a segment may carry part of a message or several.
        r.pos = r.cap;
        return;
      }
      r.skip(2);
      ctx.line.s(" ");
      dissectMessage(r, ctx, t, length - 2, false, r.pos);
      return;
    }
    dissectMessage(r, ctx, t, length, mdns, r.pos);
  },
};

export const MDNS: Protocol = { ...DNS, id: "mdns", name: "MDNS", title: "Multicast Domain Name System" };
/**
 * LLMNR has the DNS message format, but tcpdump has no LLMNR printer: the line is its plain "UDP, length N"
 * while the tree shows the message.
 */
export const LLMNR: Protocol = {
  id: "llmnr",
  name: "LLMNR",
  title: "Link-local Multicast Name Resolution",
  dissect(r, ctx, t) {
    ctx.line.s(`UDP, length ${r.reportedRemaining}`);
    if (t.on) tree(r, ctx, t, r.pos, false);
    r.pos = r.cap;
  },
};

bind("udp.port", 53, DNS);
bind("tcp.port", 53, DNS);
bind("udp.port", 5353, MDNS);
bind("udp.port", 5355, LLMNR);
