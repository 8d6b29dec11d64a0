/**
 * HNCP, the Home Networking Control Protocol (RFC 7788 over DNCP, RFC 7787; UDP port 8231), as tcpdump 4.99's
 * print-hncp.c prints it:
 *   "hncp (24) Node endpoint, Network state"                     (no -v: the TLV types, repeats counted "(x2)")
 *   "hncp (24)\n\tNode endpoint (12) NID: 31:da:78:d2 EPID: 03000000\n\tNetwork state (12) hash: 2ae5f77255200bcc"
 * With -v each top-level TLV on its own line with its values (node and network state, peers, keep-alive
 * intervals, trust verdicts, HNCP version, prefixes, DHCPv4/DHCPv6 data, node addresses and names, DNS zones,
 * PSKs); nested TLVs are listed in line one level deeper, and each on its own line from -vvv on. A TLV whose
 * length runs past its container prints " (invalid)", one cut by the capture " [|hncp]" (at its own level, as
 * tcpdump's, which then goes on with the level above).
 *
 * Wireshark (4.0) has no HNCP dissector (tshark shows the payload as data), so HNCP declares no fields and
 * writes the line only: it is bound in "udp.port/tcpdump", the table UDP's tcpdump port order reads for the
 * line (see udp.ts), and the tree keeps UDP's data as tshark does. Every read is bounds-checked through the
 * reader; loops advance by at least 4 bytes a TLV.
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At, printChar, hex } from "../format.js";
import type { Ctx, Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import type { Line } from "../line.js";

const TYPES: Readonly<Record<number, string>> = {
  1: "Request network state",
  2: "Request node state",
  3: "Node endpoint",
  4: "Network state",
  5: "Node state",
  8: "Peer",
  9: "Keep-alive interval",
  10: "Trust-Verdict",
  32: "HNCP-Version",
  33: "External-Connection",
  34: "Delegated-Prefix",
  43: "Prefix-Policy",
  37: "DHCPv4-Data",
  38: "DHCPv6-Data",
  35: "Assigned-Prefix",
  36: "Node-Address",
  39: "DNS-Delegated-Zone",
  40: "Domain-Name",
  41: "Node-Name",
  42: "Managed-PSK",
};
// the ranges tcpdump names types by when they have no name of their own
const RESERVED = 0x10000,
  UNASSIGNED = 0x10001,
  PRIVATE = 0x10002,
  FUTURE = 0x10003;
const RANGE: Readonly<Record<number, string>> = { [RESERVED]: "Reserved", [UNASSIGNED]: "Unassigned", [PRIVATE]: "Private use", [FUTURE]: "Future use" };
const DH4: Readonly<Record<number, string>> = { 6: "DNS-server", 42: "NTP-server", 119: "DNS-search" };
const DH6: Readonly<Record<number, string>> = { 23: "DNS-server", 24: "DNS-search-list", 31: "SNTP-servers" };

/** How the DHCPv4 and DHCPv6 option data differ: header size, the address options and how tcpdump checks them. */
interface DhcpVersion {
  header: 2 | 4;
  names: Readonly<Record<number, string>>;
  addresses: readonly number[];
  addressSize: 4 | 16;
  /** fewer addresses than this is bad (DHCPv4 wants one, DHCPv6 accepts none) */
  minAddresses: number;
  /** a bad address list prints " (invalid)" (DHCPv6) or just stops (DHCPv4) */
  sayInvalid: boolean;
  searchList: number;
}
const DHCPV4: DhcpVersion = { header: 2, names: DH4, addresses: [6, 42], addressSize: 4, minAddresses: 1, sayInvalid: false, searchList: 119 };
const DHCPV6: DhcpVersion = { header: 4, names: DH6, addresses: [23, 31], addressSize: 16, minAddresses: 0, sayInvalid: true, searchList: 24 };
const INVALID = " (invalid)";

function typeMask(type: number): number {
  if (TYPES[type] !== undefined) return type;
  if (type === 0) return RESERVED;
  if (type >= 44 && type <= 511) return UNASSIGNED;
  if (type >= 768 && type <= 1023) return PRIVATE;
  return FUTURE;
}
function typeName(mask: number): string {
  return TYPES[mask] ?? RANGE[mask] ?? "Easter Egg";
}

class Printer {
  r!: Reader;
  ctx!: Ctx;
  o!: Line;
  v = 0;

  has(p: number, n: number): boolean {
    return n >= 0 && p >= this.r.start && p + n <= this.r.cap;
  }
  u8(p: number): number {
    return this.r.byteAt(p);
  }
  u16(p: number): number {
    return (this.r.byteAt(p) << 8) | this.r.byteAt(p + 1);
  }
  u32(p: number): number {
    return ((this.r.byteAt(p) << 24) | (this.r.byteAt(p + 1) << 16) | (this.r.byteAt(p + 2) << 8) | this.r.byteAt(p + 3)) >>> 0;
  }
  /** n bytes as hex digits (tcpdump's %016llx of 8-byte values, end to end) */
  hexBytes(p: number, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += hex(this.u8(p + i), 2);
    return s;
  }
  nid(p: number): string {
    return `${hex(this.u8(p), 2)}:${hex(this.u8(p + 1), 2)}:${hex(this.u8(p + 2), 2)}:${hex(this.u8(p + 3), 2)}`;
  }
  interval(n: number): string {
    return `${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, "0")}s`;
  }
  /** an IPv6 address, or the IPv4 address of an IPv4-mapped one */
  ip6(p: number): string {
    return this.mapped(p) ? ipv4At(this.r.data, p + 12) : ipv6At(this.r.data, p);
  }
  mapped(p: number): boolean {
    for (let i = 0; i < 10; i++) if (this.u8(p + i) !== 0) return false;
    return this.u8(p + 10) === 0xff && this.u8(p + 11) === 0xff;
  }
  /** nd_printjnp: up to n bytes, stopping at a NUL, each as fn_print_char writes it */
  text(p: number, n: number): void {
    for (let i = 0; i < n && p + i < this.r.cap; i++) {
      const c = this.u8(p + i);
      if (c === 0) break;
      this.o.s(printChar(c));
    }
  }
  indent(n: number): void {
    this.o.c(0x0a);
    for (let i = 0; i < n; i++) this.o.c(0x09);
  }

  /** print_prefix: the prefix's text, and its length in bytes; -1 a prefix length too long, -3 one past the end */
  prefix(p: number, max: number): number {
    const plen0 = this.u8(p);
    if (plen0 >= 96 && max >= 13 && this.mapped(p + 1)) {
      const plen = plen0 - 96;
      if (plen > 32) return -1;
      const bytes = (plen + 7) >> 3;
      if (max - 1 < bytes + 12) return -3;
      const a = [0, 0, 0, 0];
      for (let i = 0; i < bytes; i++) a[i] = this.u8(p + 13 + i);
      if (plen % 8) a[bytes - 1] &= (0xff00 >> plen % 8) & 0xff;
      this.o.s(`${a.join(".")}/${plen}`);
      return bytes + 13;
    }
    // decode_prefix6
    if (plen0 > 128) return -1;
    const bytes = (plen0 + 7) >> 3;
    if (max - 1 < bytes) return -3;
    const a = new Uint8Array(16);
    for (let i = 0; i < bytes; i++) a[i] = this.u8(p + 1 + i);
    if (plen0 % 8) a[bytes - 1] &= (0xff00 >> plen0 % 8) & 0xff;
    this.o.s(`${ipv6At(a, 0)}/${plen0}`);
    return 1 + bytes;
  }

  /** print_dns_label: the labels' length (with the final 0), or -1 after "[|DNS]" when they run past `max` */
  dnsLabel(p: number, max: number): number {
    let len = 0;
    while (len < max) {
      const l = this.u8(p + len);
      len++;
      if (l === 0) return len;
      if (len > 1) this.o.c(0x2e);
      if (len + l > max) {
        this.text(p + len, max - len);
        break;
      }
      this.text(p + len, l);
      len += l;
    }
    this.o.s("[|DNS]");
    return -1;
  }

  /** a DNS name in wire format (no compression in DHCP option data here): its end, or -1 */
  fqdn(p: number, end: number): number {
    let n = 0;
    while (p < end) {
      const l = this.u8(p);
      if (l === 0) {
        if (n === 0) this.o.c(0x2e);
        return p + 1;
      }
      if (l >= 0x40 || p + 1 + l > end) return -1;
      this.text(p + 1, l);
      this.o.c(0x2e);
      p += 1 + l;
      n++;
    }
    return -1;
  }

  /**
   * DHCPv4 or DHCPv6 option data (tcpdump's print_dhcpv4_data / print_dhcpv6_data): each option's name and
   * length, the addresses of the server options, the names of the search-list option. 0, or -1 when cut or bad.
   */
  dhcp(v: DhcpVersion, p: number, length: number, indent: number): number {
    const hdr = v.header;
    let i = 0;
    while (i < length) {
      if (i + hdr > length) return -1;
      const type = hdr === 2 ? this.u8(p + i) : this.u16(p + i),
        optlen = hdr === 2 ? this.u8(p + i + 1) : this.u16(p + i + 2);
      const value = p + i + hdr;
      this.indent(indent);
      this.o.s(v.names[type] ?? "Unknown").s(` (${optlen + hdr})`);
      if (i + hdr + optlen > length) return -1;
      if (v.addresses.includes(type)) {
        if (optlen % v.addressSize !== 0 || optlen < v.minAddresses * v.addressSize) {
          if (v.sayInvalid) this.o.s(INVALID);
          return -1;
        }
        for (let k = 0; k < optlen; k += v.addressSize) this.o.s(" ").s(v.addressSize === 4 ? ipv4At(this.r.data, value + k) : ipv6At(this.r.data, value + k));
      } else if (type === v.searchList) {
        let tp = value;
        while (tp < value + optlen) {
          this.o.s(" ");
          if ((tp = this.fqdn(tp, value + optlen)) < 0) return -1;
        }
      }
      i += hdr + optlen;
    }
    return 0;
  }

  /** hncp_print_rec: the TLVs in [p, p + length) at nesting level `indent` (1: the packet's) */
  rec(p: number, length: number, indent: number): void {
    const o = this.o;
    if (indent > 64) return this.cut(); // (tcpdump has no bound; each level costs at least 4 bytes here)
    const inLine = indent - 1 >= this.v && this.v < 3;
    let first = true;
    let lastMask = -1,
      lastCount = -1;
    const flush = (): void => {
      if (lastCount <= 0) return;
      if (first) {
        first = false;
        if (indent > 1) this.indent(indent);
        else o.s(" ");
      } else o.s(", ");
      o.s(typeName(lastMask));
      if (lastCount > 1) o.s(` (x${lastCount})`);
    };
    let i = 0;
    while (i < length) {
      const tlv = p + i;
      if (!inLine) this.indent(indent);
      if (!this.has(tlv, 4)) return this.cut();
      if (i + 4 > length) return void o.s(INVALID);
      const type = this.u16(tlv),
        bodylen = this.u16(tlv + 2);
      const value = tlv + 4;
      if (!this.has(value, bodylen)) return this.cut();
      if (i + bodylen + 4 > length) return void o.s(INVALID);
      const mask = typeMask(type);
      if (inLine) {
        if (lastMask === mask) lastCount++;
        else {
          flush();
          lastMask = mask;
          lastCount = 1;
        }
      } else if (!this.tlv(mask, type, value, bodylen, indent)) return;
      i += 4 + bodylen + (-bodylen & 3);
    }
    flush();
  }

  /** One TLV on its own line; false when the level ends there (tcpdump's "goto invalid"). */
  tlv(mask: number, type: number, value: number, bodylen: number, indent: number): boolean {
    const o = this.o;
    o.s(typeName(mask));
    if (mask > 0xffff) o.s(`: type=${type}`);
    o.s(` (${bodylen + 4})`);
    switch (mask) {
      case 1:
        if (bodylen !== 0) o.s(INVALID);
        break;
      case 2:
        if (bodylen !== 4) o.s(INVALID);
        else o.s(` NID: ${this.nid(value)}`);
        break;
      case 3:
        if (bodylen !== 8) o.s(INVALID);
        else o.s(` NID: ${this.nid(value)} EPID: ${this.hexBytes(value + 4, 4)}`);
        break;
      case 4:
        if (bodylen !== 8) o.s(INVALID);
        else o.s(` hash: ${this.hexBytes(value, 8)}`);
        break;
      case 5:
        if (bodylen < 20) {
          o.s(INVALID);
          break;
        }
        o.s(` NID: ${this.nid(value)} seqno: ${this.u32(value + 4)} ${this.interval(this.u32(value + 8))} hash: ${this.hexBytes(value + 12, 8)}`);
        this.rec(value + 20, bodylen - 20, indent + 1);
        break;
      case 8:
        if (bodylen !== 12) o.s(INVALID);
        else o.s(` Peer-NID: ${this.nid(value)} Peer-EPID: ${this.hexBytes(value + 4, 4)} Local-EPID: ${this.hexBytes(value + 8, 4)}`);
        break;
      case 9:
        if (bodylen < 8) o.s(INVALID);
        else o.s(` EPID: ${this.hexBytes(value, 4)} Interval: ${this.interval(this.u32(value + 4))}`);
        break;
      case 10:
        if (bodylen <= 36) {
          o.s(INVALID);
          break;
        }
        o.s(` Verdict: ${this.u8(value)} Fingerprint: ${this.hexBytes(value + 4, 32)} Common Name: `);
        this.text(value + 36, bodylen - 36);
        break;
      case 32: {
        if (bodylen < 5) {
          o.s(INVALID);
          break;
        }
        const c = this.u16(value + 2);
        o.s(` M: ${(c >> 12) & 15} P: ${(c >> 8) & 15} H: ${(c >> 4) & 15} L: ${c & 15} User-agent: `);
        this.text(value + 4, bodylen - 4);
        break;
      }
      case 33:
        this.rec(value, bodylen, indent + 1);
        break;
      case 34: {
        if (bodylen < 9 || bodylen < 9 + ((this.u8(value + 8) + 7) >> 3)) {
          o.s(INVALID);
          break;
        }
        o.s(` VLSO: ${this.interval(this.u32(value))} PLSO: ${this.interval(this.u32(value + 4))} Prefix: `);
        let l = this.prefix(value + 8, bodylen - 8);
        if (l === -1) {
          o.s("(length is invalid)");
          break;
        }
        if (l < 0) {
          o.s(INVALID);
          break;
        }
        l += 8 + (-l & 3);
        if (bodylen >= l) this.rec(value + l, bodylen - l, indent + 1);
        break;
      }
      case 43: {
        if (bodylen < 1) {
          o.s(INVALID);
          break;
        }
        const policy = this.u8(value);
        o.s(" type: ");
        if (policy === 0) {
          if (bodylen !== 1) o.s(INVALID);
          else o.s("Internet connectivity");
        } else if (policy <= 128) {
          o.s("Dest-Prefix: ");
          const l = this.prefix(value, bodylen);
          if (l === -1) o.s("(length is invalid)");
          else if (l < 0) o.s(INVALID);
        } else if (policy === 129) {
          o.s("DNS domain: ");
          this.dnsLabel(value + 1, bodylen - 1);
        } else if (policy === 130) {
          o.s("Opaque UTF-8: ");
          this.text(value + 1, bodylen - 1);
        } else if (policy === 131) {
          if (bodylen !== 1) o.s(INVALID);
          else o.s("Restrictive assignment");
        } else o.s(`Unknown (${policy})`);
        break;
      }
      case 37:
        if (bodylen === 0) o.s(INVALID);
        else if (this.dhcp(DHCPV4, value, bodylen, indent + 1) !== 0) {
          o.s(INVALID);
          return false;
        }
        break;
      case 38:
        if (bodylen === 0 || this.dhcp(DHCPV6, value, bodylen, indent + 1) !== 0) o.s(INVALID);
        break;
      case 35: {
        if (bodylen < 6 || bodylen < 6 + ((this.u8(value + 5) + 7) >> 3)) {
          o.s(INVALID);
          break;
        }
        o.s(` EPID: ${this.hexBytes(value, 4)} Prty: ${this.u8(value + 4) & 0xf} Prefix: `);
        let l = this.prefix(value + 5, bodylen - 5);
        if (l < 0) {
          o.s(INVALID);
          break;
        }
        l += 5;
        l += -l & 3;
        if (bodylen >= l) this.rec(value + l, bodylen - l, indent + 1);
        break;
      }
      case 36:
        if (bodylen < 20) {
          o.s(INVALID);
          break;
        }
        o.s(` EPID: ${this.hexBytes(value, 4)} IP Address: ${this.ip6(value + 4)}`);
        this.rec(value + 20, bodylen - 20, indent + 1);
        break;
      case 39: {
        if (bodylen < 17) {
          o.s(INVALID);
          break;
        }
        const f = this.u8(value + 16);
        o.s(` IP-Address: ${this.ip6(value)} ${f & 4 ? "l" : "-"}${f & 2 ? "b" : "-"}${f & 1 ? "s" : "-"} `);
        let len = this.dnsLabel(value + 17, bodylen - 17);
        if (len < 0) {
          o.s(INVALID);
          break;
        }
        len += 17;
        len += -len & 3;
        if (bodylen >= len) this.rec(value + len, bodylen - len, indent + 1);
        break;
      }
      case 40:
        if (bodylen === 0) o.s(INVALID);
        else {
          o.s(" Domain: ");
          this.dnsLabel(value, bodylen);
        }
        break;
      case 41: {
        if (bodylen < 17) {
          o.s(INVALID);
          break;
        }
        let l = this.u8(value + 16);
        if (bodylen < 17 + l) {
          o.s(INVALID);
          break;
        }
        o.s(` IP-Address: ${this.ip6(value)} Name: `);
        if (l < 64) {
          o.s('"');
          this.text(value + 17, l);
          o.s('"');
        } else o.s(INVALID);
        l += 17;
        l += -l & 3;
        if (bodylen >= l) this.rec(value + l, bodylen - l, indent + 1);
        break;
      }
      case 42:
        if (bodylen < 32) {
          o.s(INVALID);
          break;
        }
        o.s(` PSK: ${this.hexBytes(value, 32)}`);
        this.rec(value + 32, bodylen - 32, indent + 1);
        break;
    }
    return true;
  }

  cut(): void {
    this.o.s(" [|hncp]");
    this.ctx.truncated = true;
  }
}

const printer = new Printer();

export const HNCP: Protocol = {
  id: "hncp",
  name: "HNCP",
  title: "Home Networking Control Protocol",
  dissect(r, ctx) {
    const length = r.reportedRemaining;
    ctx.line.s("hncp (").u(length).s(")");
    printer.r = r;
    printer.ctx = ctx;
    printer.o = ctx.line;
    printer.v = ctx.opts.verbose;
    printer.rec(r.pos, length, 1);
    r.pos = r.cap;
  },
};

bind("udp.port/tcpdump", 8231, HNCP);
