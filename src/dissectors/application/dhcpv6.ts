/**
 * DHCPv6 (RFC 8415) on UDP ports 546 and 547. tcpdump's summary (print-dhcp6.c, no -v): "dhcp6 solicit",
 * "dhcp6 relay-fwd", ...; " [|dhcp6]" when the first four bytes are not captured. The tree has Wireshark's
 * fields (dhcpv6.msgtype, dhcpv6.xid, relay hop count and addresses, and each option's type and length).
 */
import { bind } from "../registry.js";
import { ipv6At } from "../format.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

/** tcpdump's names */
const MSG: Readonly<Record<number, string>> = {
  1: "solicit",
  2: "advertise",
  3: "request",
  4: "confirm",
  5: "renew",
  6: "rebind",
  7: "reply",
  8: "release",
  9: "decline",
  10: "reconfigure",
  11: "inf-req",
  12: "relay-fwd",
  13: "relay-reply",
  14: "leasequery",
  15: "leasequery-reply",
  16: "leasequery-done",
  17: "leasequery-data",
  18: "reconf-request",
  19: "reconf-reply",
  20: "dhcpv4-query",
  21: "dhcpv4-response",
  22: "activelq",
  23: "starttls",
};
/** Wireshark's names (tree) */
const WS_MSG: Readonly<Record<number, string>> = {
  1: "Solicit",
  2: "Advertise",
  3: "Request",
  4: "Confirm",
  5: "Renew",
  6: "Rebind",
  7: "Reply",
  8: "Release",
  9: "Decline",
  10: "Reconfigure",
  11: "Information-request",
  12: "Relay-forw",
  13: "Relay-reply",
};
const OPT: Readonly<Record<number, string>> = {
  1: "Client Identifier",
  2: "Server Identifier",
  3: "Identity Association for Non-temporary Address",
  4: "Identity Association for Temporary Address",
  5: "IA Address",
  6: "Option Request",
  7: "Preference",
  8: "Elapsed time",
  9: "Relay Message",
  13: "Status code",
  14: "Rapid Commit",
  23: "DNS recursive name server",
  24: "Domain Search List",
  25: "Identity Association for Prefix Delegation",
  26: "IA Prefix",
  39: "Fully Qualified Domain Name",
};

const F = fields("dhcpv6", {
  msgtype: ["Message type", "uint", { values: WS_MSG }],
  xid: ["Transaction ID", "uint", { base: "hex" }],
  hopcount: ["Hopcount", "uint"],
  linkaddr: ["Link address", "ipv6"],
  peeraddr: ["Peer address", "ipv6"],
  option: ["Option", "none"],
  "option.type": ["Option", "uint", { values: OPT }],
  "option.length": ["Length", "uint"],
  "option.value": ["Value", "bytes"],
  elapsed_time: ["Elapsed time", "uint"],
  "duid.type": ["DUID Type", "uint"],
  // Wireshark shows the IAID as 8 hex digits without "0x" (bytes-like).
  iaid: ["IAID", "bytes"],
  "iaaddr.ip": ["IPv6 address", "ipv6"],
  dns_server: ["DNS server address", "ipv6"],
});

function u16(r: Reader, p: number): number {
  return (r.byteAt(p) << 8) | r.byteAt(p + 1);
}

export const DHCPV6: Protocol = {
  id: "dhcpv6",
  name: "DHCPv6",
  title: "DHCPv6",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    ctx.line.s("dhcp6");
    if (!r.has(4)) {
      ctx.line.s(" [|dhcp6]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const type = r.byteAt(p);
    if (ctx.opts.verbose > 0) {
      const v = new Verbose(r);
      v.message(p, r.reportedRemaining, r.cap);
      ctx.line.s(v.out.slice("dhcp6".length));
      if (v.trunc) ctx.truncated = true;
    } else ctx.line.s(" " + (MSG[type] ?? `msgtype-${type}`));
    if (t.on) messageTree(r, t, p, r.cap, 0);
    r.pos = r.cap;
  },
};

/** A message's fields; a relay's relay-message option holds another message, dissected the same way. */
function messageTree(r: Reader, t: Parameters<Protocol["dissect"]>[2], p: number, end: number, depth: number): void {
  const type = r.byteAt(p);
  t.add(F.msgtype, type, p, 1);
  let q: number;
  if (type === 12 || type === 13) {
    if (p + 34 > end) return;
    t.add(F.hopcount, r.byteAt(p + 1), p + 1, 1);
    t.add(F.linkaddr, ipv6At(r.data, p + 2), p + 2, 16);
    t.add(F.peeraddr, ipv6At(r.data, p + 18), p + 18, 16);
    q = p + 34;
  } else {
    if (p + 4 > end) return;
    t.add(F.xid, (r.byteAt(p + 1) << 16) | u16(r, p + 2), p + 1, 3);
    q = p + 4;
  }
  options(r, t, q, end, depth);
}

function options(r: Reader, t: Parameters<Protocol["dissect"]>[2], q: number, end: number, depth: number): void {
  while (q + 4 <= end) {
    const code = u16(r, q);
    const len = u16(r, q + 2);
    const v = q + 4;
    if (v + len > end) break;
    t.push(F.option, null, q, 4 + len, OPT[code] ?? `Unknown (${code})`);
    t.add(F["option.type"], code, q, 2);
    t.add(F["option.length"], len, q + 2, 2);
    if (code === 9 && len >= 1 && depth < 8) messageTree(r, t, v, v + len, depth + 1);
    else if (code === 8 && len === 2) t.add(F.elapsed_time, u16(r, v), v, 2);
    else if ((code === 1 || code === 2) && len >= 2) t.add(F["duid.type"], u16(r, v), v, 2);
    else if ((code === 3 || code === 4 || code === 25) && len >= 4) {
      let iaid = "";
      for (let k = 0; k < 4; k++) iaid += r.byteAt(v + k).toString(16).padStart(2, "0");
      t.add(F.iaid, iaid, v, 4);
      const inner = code === 4 ? 4 : 12;
      if (depth < 4 && len >= inner) options(r, t, v + inner, v + len, depth + 1);
    } else if (code === 5 && len >= 24) {
      t.add(F["iaaddr.ip"], ipv6At(r.data, v), v, 16);
      if (depth < 4) options(r, t, v + 24, v + len, depth + 1);
    } else if (code === 23) {
      for (let k = 0; k + 16 <= len; k += 16) t.add(F.dns_server, ipv6At(r.data, v + k), v + k, 16);
    } else if (len) {
      let s = "";
      for (let k = 0; k < len && k < 256; k++) s += r.byteAt(v + k).toString(16).padStart(2, "0");
      t.add(F["option.value"], s, v, len);
    }
    t.pop();
    q = v + len;
  }
}

bind("udp.port", [546, 547], DHCPV6);

// ---------------------------------------------------------------------------------------------------------
// -v: tcpdump's dhcp6_print / dhcp6opt_print, in its words.

const TD_OPT: Readonly<Record<number, string>> = {
  1: "client-ID",
  2: "server-ID",
  3: "IA_NA",
  4: "IA_TA",
  5: "IA_ADDR",
  6: "option-request",
  7: "preference",
  8: "elapsed-time",
  9: "relay-message",
  11: "authentication",
  12: "server-unicast",
  13: "status-code",
  14: "rapid-commit",
  15: "user-class",
  16: "vendor-class",
  17: "vendor-specific-info",
  18: "interface-ID",
  19: "reconfigure-message",
  20: "reconfigure-accept",
  21: "SIP-servers-domain",
  22: "SIP-servers-address",
  23: "DNS-server",
  24: "DNS-search-list",
  25: "IA_PD",
  26: "IA_PD-prefix",
  31: "SNTP-servers",
  32: "lifetime",
  27: "NIS-server",
  28: "NIS+-server",
  29: "NIS-domain-name",
  30: "NIS+-domain-name",
  33: "BCMCS-domain-name",
  34: "BCMCS-server",
  36: "Geoconf-Civic",
  37: "Remote-ID",
  38: "Subscriber-ID",
  39: "Client-FQDN",
  40: "PANA-agent",
  41: "POSIX-timezone",
  42: "POSIX-tz-database",
  43: "Echo-request-option",
  44: "Lease-query",
  45: "LQ-client-data",
  46: "Clt-time",
  47: "LQ-relay-data",
  48: "LQ-client-link",
  56: "NTP-server",
  64: "AFTR-Name",
  112: "MUD-URL",
};
const STCODE: Readonly<Record<number, string>> = {
  0: "Success",
  1: "UnspecFail",
  2: "NoAddrsAvail",
  3: "NoBinding",
  4: "NotOnLink",
  5: "UseMulticast",
  6: "NoPrefixAvail",
  7: "UnknownQueryType",
  8: "MalformedQuery",
  9: "NotConfigured",
  10: "NotAllowed",
};
const CUT = { cut: true };

class Verbose {
  out = "";
  trunc = false;
  /** tcpdump's snapend (narrowed inside a relay message) */
  private snap: number;
  constructor(private r: Reader) {
    this.snap = r.cap;
  }
  private need(q: number, n: number): void {
    if (q + n > this.snap) throw CUT;
  }
  private u8(q: number): number {
    this.need(q, 1);
    return this.r.byteAt(q);
  }
  private u16(q: number): number {
    return (this.u8(q) << 8) | this.u8(q + 1);
  }
  private u32(q: number): number {
    return this.u16(q) * 65536 + this.u16(q + 2);
  }
  private ip6(q: number): string {
    this.need(q, 16);
    return ipv6At(this.r.data, q);
  }
  private hex(q: number, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += this.u8(q + i).toString(16).padStart(2, "0");
    return s;
  }
  /** nd_printjn (all n bytes) or nd_printjnp (stops at a NUL) */
  private text(q: number, n: number, stopAtNul: boolean): string {
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = this.u8(q + i);
      if (stopAtNul && c === 0) break;
      s += c === 0x0a ? "\\n" : String.fromCharCode(c); // a newline from the wire never breaks the line
    }
    return s;
  }
  /** fqdn_print for option data: labels and dots; false on a pointer or label type it cannot follow here */
  private fqdn(q: number): number {
    let n = 0;
    let l = this.u8(q);
    if (l === 0) {
      this.out += ".";
      return q + 1;
    }
    while (l !== 0) {
      if ((l & 0xc0) !== 0) throw CUT;
      this.out += this.text(q + 1, l, false) + ".";
      q += 1 + l;
      if (++n > 127) throw CUT;
      l = this.u8(q);
    }
    return q + 1;
  }

  message(p: number, length: number, cap: number): void {
    this.out = "dhcp6";
    try {
      this.print(p, length, cap);
    } catch (e) {
      if (e !== CUT) throw e;
      this.out += " [|dhcp6]";
      this.trunc = true;
    }
  }

  private print(p: number, length: number, cap: number): void {
    const ep = Math.min(cap, this.snap, p + length);
    this.need(p, 4);
    const type = this.u8(p);
    this.out += ` ${MSG[type] ?? `msgtype-${type}`} (`;
    if (type !== 12 && type !== 13) {
      this.out += `xid=${(this.u32(p) & 0xffffff).toString(16)}`;
      this.opts(p + 4, ep, 0);
    } else {
      this.out += `linkaddr=${this.ip6(p + 2)}`;
      this.out += ` peeraddr=${this.ip6(p + 18)}`;
      this.opts(p + 34, ep, 0);
    }
    this.out += ")";
  }

  private opts(cp: number, ep: number, depth: number): void {
    if (depth > 16) throw CUT;
    // tcpdump's own checks here end only this option list (" [|dhcp6]", then the caller goes on); a read past
    // the captured bytes elsewhere ends the whole message (CUT).
    const localTrunc = (): void => {
      this.out += " [|dhcp6]";
      this.trunc = true;
    };
    while (cp < ep) {
      if (ep < cp + 4) return localTrunc();
      const optlen = this.u16(cp + 2);
      if (ep < cp + 4 + optlen) return localTrunc();
      const type = this.u16(cp);
      this.out += ` (${TD_OPT[type] ?? `opt_${type}`}`;
      if (cp + 4 + optlen > this.snap) return localTrunc();
      const tp = cp + 4;
      const bad = (): void => {
        this.out += " ?)";
      };
      switch (type) {
        case 1:
        case 2: {
          if (optlen < 2) {
            bad();
            break;
          }
          const dt = this.u16(tp);
          if (dt === 1) {
            if (optlen >= 8) this.out += ` hwaddr/time type ${this.u16(tp + 2)} time ${this.u32(tp + 4)} ${this.hex(tp + 8, optlen - 8)})`;
            else bad();
          } else if (dt === 2) {
            // tcpdump 4.99: the enterprise number and the first 4 bytes of the identifier
            if (optlen >= 10) this.out += ` vid ${this.hex(tp + 2, 8)})`;
            else bad();
          } else if (dt === 3) {
            if (optlen >= 4) this.out += ` hwaddr type ${this.u16(tp + 2)} ${this.hex(tp + 4, optlen - 4)})`;
            else bad();
          } else this.out += ` type ${dt})`;
          break;
        }
        case 5:
          if (optlen < 24) {
            bad();
            break;
          }
          this.out += ` ${this.ip6(tp)} pltime:${this.u32(tp + 16)} vltime:${this.u32(tp + 20)}`;
          if (optlen > 24) this.opts(tp + 24, tp + optlen, depth + 1);
          this.out += ")";
          break;
        case 6:
        case 43:
          if (optlen % 2) {
            bad();
            break;
          }
          for (let i = 0; i < optlen; i += 2) {
            const o = this.u16(tp + i);
            this.out += ` ${TD_OPT[o] ?? `opt_${o}`}`;
          }
          this.out += ")";
          break;
        case 7:
          if (optlen !== 1) bad();
          else this.out += ` ${this.u8(tp)})`;
          break;
        case 8:
          if (optlen !== 2) bad();
          else this.out += ` ${this.u16(tp)})`;
          break;
        case 9: {
          this.out += " (";
          const save = this.snap;
          this.snap = Math.min(tp + optlen, this.snap);
          const outer = this.out;
          this.out = "dhcp6";
          try {
            this.print(tp, optlen, this.snap);
          } finally {
            this.out = outer + this.out;
            this.snap = save;
          }
          this.out += ")";
          break;
        }
        case 11:
          this.auth(tp, optlen);
          break;
        case 14:
        case 20:
          this.out += ")";
          break;
        case 18:
        case 38:
          this.out += ` ${this.hex(tp, Math.min(optlen, 10))}...)`;
          break;
        case 19:
          if (optlen !== 1) {
            bad();
            break;
          }
          {
            const t = this.u8(tp);
            this.out += t === 5 ? " for renew)" : t === 11 ? " for inf-req)" : ` for ???(${t.toString(16).padStart(2, "0")}))`;
          }
          break;
        case 22:
        case 23:
        case 31:
        case 27:
        case 28:
        case 34:
        case 40:
        case 48:
          if (optlen % 16) {
            bad();
            break;
          }
          for (let i = 0; i < optlen; i += 16) this.out += ` ${this.ip6(tp + i)}`;
          this.out += ")";
          break;
        case 21:
        case 24: {
          let q = tp;
          while (q < tp + optlen) {
            this.out += " ";
            q = this.fqdn(q);
          }
          this.out += ")";
          break;
        }
        case 13:
          if (optlen < 2) {
            bad();
            break;
          }
          {
            const c = this.u16(tp);
            this.out += ` ${c > 255 ? "INVALID code" : (STCODE[c] ?? `code${c}`)})`;
          }
          break;
        case 3:
        case 25:
          if (optlen < 12) {
            bad();
            break;
          }
          this.out += ` IAID:${this.u32(tp)} T1:${this.u32(tp + 4)} T2:${this.u32(tp + 8)}`;
          if (optlen > 12) this.opts(tp + 12, tp + optlen, depth + 1);
          this.out += ")";
          break;
        case 4:
          if (optlen < 4) {
            bad();
            break;
          }
          this.out += ` IAID:${this.u32(tp)}`;
          if (optlen > 4) this.opts(tp + 4, tp + optlen, depth + 1);
          this.out += ")";
          break;
        case 26:
          if (optlen < 25) {
            bad();
            break;
          }
          this.out += ` ${this.ip6(tp + 9)}/${this.u8(tp + 8)} pltime:${this.u32(tp)} vltime:${this.u32(tp + 4)}`;
          if (optlen > 25) this.opts(tp + 25, tp + optlen, depth + 1);
          this.out += ")";
          break;
        case 32:
        case 46:
          if (optlen !== 4) bad();
          else this.out += ` ${this.u32(tp)})`;
          break;
        case 37:
          if (optlen < 4) {
            bad();
            break;
          }
          this.out += ` ${this.u32(tp)} ${this.hex(tp + 4, Math.max(0, Math.min(optlen, 14) - 4))}...)`;
          break;
        case 44: {
          if (optlen < 17) {
            bad();
            break;
          }
          const qt = this.u8(tp);
          this.out += qt === 1 ? " by-address" : qt === 2 ? " by-clientID" : ` type_${qt}`;
          this.out += ` ${this.ip6(tp + 1)}`;
          if (optlen > 17) this.opts(tp + 17, tp + optlen, depth + 1);
          this.out += ")";
          break;
        }
        case 45:
          if (optlen > 0) this.opts(tp, tp + optlen, depth + 1);
          this.out += ")";
          break;
        case 47:
          if (optlen < 16) {
            bad();
            break;
          }
          this.out += ` ${this.ip6(tp)} ${this.hex(tp + 16, Math.max(0, Math.min(optlen, 26) - 16))}...)`;
          break;
        case 56: {
          if (optlen < 4) {
            bad();
            break;
          }
          let q = tp;
          while (q < cp + 4 + optlen - 4) {
            const code = this.u16(q);
            const sl = this.u16(q + 2);
            q += 4;
            if (q + sl > cp + 4 + optlen) return localTrunc();
            this.out += ` subopt:${code}`;
            if (code === 1 || code === 2) this.out += sl !== 16 ? " ?" : ` ${this.ip6(q)}`;
            else if (code === 3) {
              this.out += " ";
              this.fqdn(q);
            } else this.out += " ?";
            q += sl;
          }
          this.out += ")";
          break;
        }
        case 64: {
          if (optlen < 3) {
            bad();
            break;
          }
          let q = tp;
          let remain = optlen;
          this.out += " ";
          while (remain && this.u8(q)) {
            const ll = this.u8(q);
            q++;
            if (ll < remain - 1) {
              this.out += this.text(q, ll, true);
              q += ll;
              remain -= ll + 1;
              if (this.u8(q)) this.out += ".";
            } else {
              this.out += " ?";
              break;
            }
          }
          this.out += ")";
          break;
        }
        case 41:
        case 42:
        case 112:
          if (optlen < 5) {
            bad();
            break;
          }
          this.out += ` ${this.text(tp, optlen, true)})`;
          break;
        default:
          this.out += ")";
      }
      cp += 4 + optlen;
    }
  }

  private auth(tp: number, optlen: number): void {
    if (optlen < 11) {
      this.out += " ?)";
      return;
    }
    const proto = this.u8(tp);
    this.out += proto === 2 ? " proto: delayed" : proto === 3 ? " proto: reconfigure" : ` proto: ${proto}`;
    const alg = this.u8(tp + 1);
    this.out += alg === 1 ? ", alg: HMAC-MD5" : `, alg: ${alg}`;
    const rdm = this.u8(tp + 2);
    this.out += rdm === 0 ? ", RDM: mono" : `, RDM: ${rdm}`;
    let q = tp + 3;
    this.out += ", RD:";
    for (let i = 0; i < 4; i++, q += 2) this.out += " " + this.u16(q).toString(16).padStart(4, "0");
    const infolen = optlen - 11;
    if (proto === 2) {
      if (infolen !== 0) {
        if (infolen < 20) this.out += " ??";
        else {
          const realm = infolen - 20;
          if (realm > 0) this.out += ", realm: ";
          for (let i = 0; i < realm; i++, q++) this.out += this.u8(q).toString(16).padStart(2, "0");
          this.out += `, key ID: ${this.u32(q).toString(16).padStart(8, "0")}`;
          q += 4;
          this.out += ", HMAC-MD5:";
          for (let i = 0; i < 4; i++, q += 4) this.out += " " + this.u32(q).toString(16).padStart(8, "0");
        }
      }
    } else if (proto === 3) {
      if (infolen !== 17) this.out += " ??";
      else {
        const t = this.u8(q);
        this.out += t === 1 ? " reconfig-key" : t === 2 ? " type: HMAC-MD5" : " type: ??";
        q++;
        this.out += " value:";
        for (let i = 0; i < 4; i++, q += 4) this.out += " " + this.u32(q).toString(16).padStart(8, "0");
      }
    } else this.out += " ??";
    this.out += ")";
  }
}
