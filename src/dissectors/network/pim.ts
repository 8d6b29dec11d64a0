/**
 * PIM (IP protocol 103; RFC 7761 PIM-SM, RFC 3973 PIM-DM, RFC 5015 BIDIR, RFC 5059 BSR) over IPv4 and IPv6,
 * and PIMv1 (IGMP type 0x14, printed by igmp.ts through pimv1Text), as tcpdump 4.99's print-pim.c prints them:
 *   "PIMv2, Hello, length 34"                                     (no -v: the type and the IP payload length)
 *   "PIMv2, length 34\n\tHello, cksum 0x41fe (correct)\n\t  Hold Time Option (1), length 2, Value: 1m45s ..."
 *   "igmp pimv1 RP-reachable group 239.123.123.123 RP 1.1.1.1 hold 4m30s"                      (PIMv1, -v)
 * With -v: every PIMv2 message type (Hello options, Register with its inner packet handed to IPv4/IPv6,
 * Register-Stop, Join/Prune, Graft, Graft-Ack, Bootstrap, Assert, Candidate-RP-Advertisement, State Refresh,
 * DF Election), the checksum verdict (IPv4: over the message; IPv6: with the pseudo-header; Register: the
 * header alone, or the whole message as RFC 4601 also accepts), and tcpdump's " [|pimv2]" where a part is not
 * captured or a length runs out. -vv adds Hello's address lists and a hex dump of each option, as tcpdump.
 * The tree has Wireshark's names (pim.version, pim.type, pim.cksum, pim.optiontype, pim.holdtime, ...).
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { ipv4At, ipv6At, relts } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import { foldSum, onesSum } from "./ipv4.js";
import { transportSum } from "./checksum.js";
import type { Reader } from "../reader.js";

const IPPROTO_PIM = 103;

/** tcpdump's names of the PIMv2 message types */
const TYPE: Readonly<Record<number, string>> = {
  0: "Hello",
  1: "Register",
  2: "Register Stop",
  3: "Join / Prune",
  4: "Bootstrap",
  5: "Assert",
  6: "Graft",
  7: "Graft Acknowledgement",
  8: "Candidate RP Advertisement",
  9: "Prune Refresh",
  10: "DF Election",
  11: "ECMP Redirect",
};
/** Wireshark's, for the tree */
const WS_TYPE: Readonly<Record<number, string>> = {
  0: "Hello",
  1: "Register",
  2: "Register-stop",
  3: "Join/Prune",
  4: "Bootstrap",
  5: "Assert",
  6: "Graft",
  7: "Graft-Ack",
  8: "Candidate-RP-Advertisement",
  9: "State-Refresh",
  10: "DF election",
  11: "ECMP redirect",
};
const HELLO_OPTION: Readonly<Record<number, string>> = {
  1: "Hold Time",
  2: "LAN Prune Delay",
  18: "DR Priority (Old)",
  19: "DR Priority",
  20: "Generation ID",
  21: "State Refresh Capability",
  22: "Bi-Directional Capability",
  24: "Address List",
  65001: "Address List (Old)",
};
const DF_SUBTYPE: Readonly<Record<number, string>> = { 1: "Offer", 2: "Winner", 3: "Backoff", 4: "Pass" };
const PIMV1_TYPE: Readonly<Record<number, string>> = {
  0: "Query",
  1: "Register",
  2: "Register-Stop",
  3: "Join/Prune",
  4: "RP-reachable",
  5: "Assert",
  6: "Graft",
  7: "Graft-ACK",
};

const F = fields("pim", {
  version: ["Version", "uint"],
  type: ["Type", "uint", { values: WS_TYPE }],
  "df_elect.subtype": ["DF Subtype", "uint", { values: DF_SUBTYPE }],
  cksum: ["Checksum", "uint", { base: "hex" }],
  optiontype: ["Type", "uint", { values: HELLO_OPTION }],
  optionlength: ["Length", "uint"],
  holdtime: ["Holdtime", "uint"],
  dr_priority: ["DR Priority", "uint"],
  generation_id: ["Generation ID", "uint"],
  register_flag: ["Flags", "uint", { base: "hex" }],
  upstream_neighbor: ["Upstream-neighbor", "ipv4"],
  upstream_neighbor_ip6: ["Upstream-neighbor", "ipv6"],
  numgroups: ["Num Groups", "uint"],
  group: ["Group", "ipv4"],
  group_ip6: ["Group", "ipv6"],
  numjoins: ["Num Joins", "uint"],
  numprunes: ["Num Prunes", "uint"],
  source: ["Source", "ipv4"],
  source_ip6: ["Source", "ipv6"],
  fragment_tag: ["Fragment tag", "uint", { base: "hex" }],
  hash_mask_len: ["Hash mask len", "uint"],
  bsr_priority: ["BSR priority", "uint"],
  bsr: ["BSR", "ipv4"],
  bsr_ip6: ["BSR", "ipv6"],
  prefix_count: ["Prefix-count", "uint"],
  priority: ["Priority", "uint"],
  rp: ["RP", "ipv4"],
  rp_ip6: ["RP", "ipv6"],
  rpt: ["RP Tree", "bool"],
  metric_pref: ["Metric Preference", "uint"],
  metric: ["Metric", "uint"],
});

/** Thrown (one shared object, no stack) when tcpdump's GET_ macros would have given up on the packet. */
const CUT = { cut: true };

const enum At {
  Unicast,
  Group,
  Source,
}

/**
 * The -v printer over one message: reads through the reader's bounds (byteAt is 0 outside; g8/g16/g32 throw
 * CUT past the captured end, as tcpdump's GET_ macros jump to " [|pimv2]"), writes to ctx.line in tcpdump's
 * order, so what precedes a cut prints as tcpdump prints it.
 */
class V2Printer {
  r!: Reader;
  ctx!: Ctx;
  t!: TreeSink;
  /** address length from the header's low nibble (RFC 2117 encoding) or 0 for encoded addresses */
  alen = 0;

  need(p: number, n: number): void {
    if (p + n > this.r.cap || p < this.r.start) throw CUT;
  }
  g8(p: number): number {
    this.need(p, 1);
    return this.r.byteAt(p);
  }
  g16(p: number): number {
    this.need(p, 2);
    return (this.r.byteAt(p) << 8) | this.r.byteAt(p + 1);
  }
  g32(p: number): number {
    this.need(p, 4);
    return ((this.r.byteAt(p) << 24) | (this.r.byteAt(p + 1) << 16) | (this.r.byteAt(p + 2) << 8) | this.r.byteAt(p + 3)) >>> 0;
  }
  s(text: string): void {
    this.ctx.line.s(text);
  }

  /**
   * tcpdump's pimv2_addr_print: an encoded (or RFC 2117 bare) address at p with len bytes left; returns its
   * size, or -1 where tcpdump gives up (unknown family, non-zero encoding, too short, not captured).
   * `f4`/`f6` name the tree field for its value.
   */
  addr(p: number, len: number, at: At, silent = false, f4?: (typeof F)[keyof typeof F], f6?: (typeof F)[keyof typeof F]): number {
    let alen = this.alen;
    let af: number;
    let hdr: number;
    if (alen === 0) {
      if (len < 2) return -1;
      af = this.g8(p);
      if (af === 1) alen = 4;
      else if (af === 2) alen = 16;
      else return -1;
      if (this.g8(p + 1) !== 0) return -1;
      hdr = 2;
    } else {
      if (alen === 4) af = 1;
      else if (alen === 16) af = 2;
      else return -1;
      hdr = 0;
    }
    p += hdr;
    len -= hdr;
    if (at === At.Unicast) {
      if (len < alen || p + alen > this.r.cap) return -1;
      const a = af === 1 ? ipv4At(this.r.data, p) : ipv6At(this.r.data, p);
      if (!silent) this.s(a);
      if (this.t.on && f4 && f6) this.t.add(af === 1 ? f4 : f6, a, p, alen);
      return hdr + alen;
    }
    if (len < alen + 2 || p + alen + 2 > this.r.cap) return -1;
    const flags = this.r.byteAt(p);
    const mask = this.r.byteAt(p + 1);
    const a = af === 1 ? ipv4At(this.r.data, p + 2) : ipv6At(this.r.data, p + 2);
    if (!silent) {
      this.s(a);
      if (mask !== (af === 1 ? 32 : 128)) this.s(`/${mask}`);
      if (flags) {
        if (at === At.Group) this.s(`(0x${flags.toString(16).padStart(2, "0")})`);
        else {
          this.s(`(${flags & 4 ? "S" : ""}${flags & 2 ? "W" : ""}${flags & 1 ? "R" : ""}`);
          if (flags & 0xf8) this.s(`+0x${(flags & 0xf8).toString(16).padStart(2, "0")}`);
          this.s(")");
        }
      }
    }
    if (this.t.on && f4 && f6) this.t.add(af === 1 ? f4 : f6, a, p + 2, alen);
    return hdr + 2 + alen;
  }

  /** addr() that gives up on the packet as tcpdump's callers do ("goto trunc") */
  addrOrCut(p: number, len: number, at: At, f4?: (typeof F)[keyof typeof F], f6?: (typeof F)[keyof typeof F]): number {
    const n = this.addr(p, len, at, false, f4, f6);
    if (n < 0) throw CUT;
    return n;
  }

  /** The ones'-complement verdict over n bytes of the message: 1 correct, 0 incorrect, -1 unverified. */
  cksum(start: number, n: number): number {
    const r = this.r;
    if (start + n > r.cap) return -1;
    const ctx = this.ctx;
    if (ctx.net === "IP" && ctx.src4 >= 0) return foldSum(onesSum(r.data, start, n)) === 0xffff ? 1 : 0;
    if (ctx.ip6Src >= 0) {
      const c = transportSum(r.data, ctx, IPPROTO_PIM, start, n, r.cap);
      return c < 0 ? -1 : c === 0xffff ? 1 : 0;
    }
    return -1;
  }

  /**
   * The detail after "PIMv2, length N\n\t<Type>"; returns true when the message hands its inner packet on
   * (Register), with r narrowed to it.
   */
  run(start: number, length: number): boolean {
    const r = this.r;
    const v = this.ctx.opts.verbose;
    const t = this.t;
    let len = length;
    const typever = this.g8(start);
    const type = typever & 0x0f;
    if (len < 2) {
      this.s(`[length ${len} < 2] (invalid)`);
      return false;
    }
    const rsv = this.g8(start + 1);
    this.alen = rsv & 0x0f;
    if (this.alen !== 0) this.s(", RFC2117-encoding");
    if (len < 4) {
      this.s(`[length ${len} < 4] (invalid)`);
      return false;
    }
    const sum = this.g16(start + 2);
    if (t.on) t.add(F.cksum, sum, start + 2, 2);
    this.s(`, cksum 0x${sum.toString(16).padStart(4, "0")} `);
    if (sum === 0) this.s("(unverified)");
    else {
      let st: number;
      if (type === 1) {
        st = this.cksum(start, 8);
        if (st === 0) st = this.cksum(start, len);
      } else st = this.cksum(start, len);
      this.s(st === 1 ? "(correct)" : st === 0 ? "(incorrect)" : "(unverified)");
    }
    let p = start + 4;
    len -= 4;
    let n: number;
    switch (type) {
      case 0: {
        // Hello: options
        while (len !== 0) {
          if (len < 4) throw CUT;
          const otype = this.g16(p);
          const olen = this.g16(p + 2);
          this.s(`\n\t  ${HELLO_OPTION[otype] ?? "Unknown"} Option (${otype}), length ${olen}, Value: `);
          if (t.on) {
            t.add(F.optiontype, otype, p, 2);
            t.add(F.optionlength, olen, p + 2, 2);
          }
          p += 4;
          len -= 4;
          if (len < olen) throw CUT;
          this.need(p, olen);
          const invalid = (want: number) => this.s(`[option length ${olen} != ${want}] (invalid)`);
          switch (otype) {
            case 1:
              if (olen !== 2) return invalid(2), false;
              this.s(relts(this.g16(p)));
              if (t.on) t.add(F.holdtime, this.g16(p), p, 2);
              break;
            case 2:
              if (olen !== 4) return invalid(4), false;
              {
                const d = this.g16(p);
                this.s(`\n\t    T-bit=${d & 0x8000 ? 1 : 0}, LAN delay ${d & 0x7fff}ms, Override interval ${this.g16(p + 2)}ms`);
              }
              break;
            case 18:
            case 19:
              if (olen === 0) this.s("Bi-Directional Capability (Old)");
              else if (olen === 4) {
                this.s(String(this.g32(p)));
                if (t.on) t.add(F.dr_priority, this.g32(p), p, 4);
              } else return invalid(4), false;
              break;
            case 20:
              if (olen !== 4) return invalid(4), false;
              this.s(`0x${this.g32(p).toString(16).padStart(8, "0")}`);
              if (t.on) t.add(F.generation_id, this.g32(p), p, 4);
              break;
            case 21:
              if (olen !== 4) return invalid(4), false;
              this.s(`v${this.g8(p)}`);
              if (this.g8(p + 1) !== 0) this.s(`, interval ${relts(this.g8(p + 1))}`);
              if (this.g16(p + 2) !== 0) this.s(` ?0x${this.g16(p + 2).toString(16).padStart(4, "0")}?`);
              break;
            case 22:
              break;
            case 24:
            case 65001:
              if (v > 1) {
                let q = p;
                let plen = len;
                while (q < p + olen) {
                  this.s("\n\t    ");
                  const a = this.addr(q, plen, At.Unicast);
                  if (a < 0) throw CUT;
                  q += a;
                  plen -= a;
                }
              }
              break;
            default:
              if (v <= 1) hexPrint(this.ctx.line, r, "\n\t    ", p, olen);
          }
          if (v > 1) hexPrint(this.ctx.line, r, "\n\t    ", p, olen);
          p += olen;
          len -= olen;
        }
        return false;
      }
      case 1: {
        // Register: flags, then the packet it carries
        if (len < 4) throw CUT;
        const flags = this.g32(p);
        if (t.on) t.add(F.register_flag, flags, p, 4);
        this.s(`, Flags [ ${flags === 0x80000000 ? "Border" : flags === 0x40000000 ? "Null" : "none"} ]\n\t`);
        p += 4;
        len -= 4;
        if (len === 0) throw CUT;
        const ver = this.g8(p) >> 4;
        if (ver === 0) {
          this.s(`IP-Null-header ${this.ip4(p + 12)} > ${this.ip4(p + 16)}`);
          return false;
        }
        if (ver === 4 || ver === 6) {
          r.pos = p;
          this.ctx.addrPrinted = false;
          return true;
        }
        this.s(`IP ver ${ver}`);
        return false;
      }
      case 2:
        this.s(" group=");
        n = this.addrOrCut(p, len, At.Group, F.group, F.group_ip6);
        p += n;
        len -= n;
        this.s(" source=");
        this.addrOrCut(p, len, At.Unicast, F.source, F.source_ip6);
        return false;
      case 3:
      case 6:
      case 7: {
        if (type !== 7) {
          this.s(", upstream-neighbor: ");
          n = this.addrOrCut(p, len, At.Unicast, F.upstream_neighbor, F.upstream_neighbor_ip6);
          p += n;
          len -= n;
        }
        if (len < 4) throw CUT;
        this.need(p, 4);
        const ngroup = this.g8(p + 1);
        const hold = this.g16(p + 2);
        if (t.on) {
          t.add(F.numgroups, ngroup, p + 1, 1);
          t.add(F.holdtime, hold, p + 2, 2);
        }
        this.s(`\n\t  ${ngroup} group(s)`);
        if (type !== 7) this.s(`, holdtime: ${hold === 0xffff ? "infinite" : relts(hold)}`);
        p += 4;
        len -= 4;
        for (let i = 0; i < ngroup; i++) {
          this.s(`\n\t    group #${i + 1}: `);
          n = this.addrOrCut(p, len, At.Group, F.group, F.group_ip6);
          p += n;
          len -= n;
          if (len < 4) throw CUT;
          this.need(p, 4);
          const nj = this.g16(p);
          const np = this.g16(p + 2);
          if (t.on) {
            t.add(F.numjoins, nj, p, 2);
            t.add(F.numprunes, np, p + 2, 2);
          }
          this.s(`, joined sources: ${nj}, pruned sources: ${np}`);
          p += 4;
          len -= 4;
          for (let j = 0; j < nj; j++) {
            this.s(`\n\t      joined source #${j + 1}: `);
            n = this.addrOrCut(p, len, At.Source);
            p += n;
            len -= n;
          }
          for (let j = 0; j < np; j++) {
            this.s(`\n\t      pruned source #${j + 1}: `);
            n = this.addrOrCut(p, len, At.Source);
            p += n;
            len -= n;
          }
        }
        return false;
      }
      case 4: {
        // Bootstrap
        if (len < 2) throw CUT;
        this.s(` tag=${this.g16(p).toString(16)}`);
        if (t.on) t.add(F.fragment_tag, this.g16(p), p, 2);
        p += 2;
        len -= 2;
        if (len < 1) throw CUT;
        this.s(` hashmlen=${this.g8(p)}`);
        if (len < 2) throw CUT;
        this.need(p + 2, 1);
        this.s(` BSRprio=${this.g8(p + 1)}`);
        if (t.on) {
          t.add(F.hash_mask_len, this.g8(p), p, 1);
          t.add(F.bsr_priority, this.g8(p + 1), p + 1, 1);
        }
        p += 2;
        len -= 2;
        this.s(" BSR=");
        n = this.addrOrCut(p, len, At.Unicast, F.bsr, F.bsr_ip6);
        p += n;
        len -= n;
        for (let i = 0; len > 0; i++) {
          this.s(` (group${i}: `);
          n = this.addrOrCut(p, len, At.Group, F.group, F.group_ip6);
          p += n;
          len -= n;
          if (len < 1) throw CUT;
          this.s(` RPcnt=${this.g8(p)}`);
          if (len < 2) throw CUT;
          const frp = this.g8(p + 1);
          this.s(` FRPcnt=${frp}`);
          if (len < 4) throw CUT;
          p += 4;
          len -= 4;
          for (let j = 0; j < frp && len > 0; j++) {
            this.s(` RP${j}=`);
            n = this.addrOrCut(p, len, At.Unicast, F.rp, F.rp_ip6);
            p += n;
            len -= n;
            if (len < 2) throw CUT;
            this.s(",holdtime=");
            this.s(relts(this.g16(p)));
            if (len < 3) throw CUT;
            this.s(`,prio=${this.g8(p + 2)}`);
            if (len < 4) throw CUT;
            p += 4;
            len -= 4;
          }
          this.s(")");
        }
        return false;
      }
      case 5: {
        // Assert
        this.s(" group=");
        n = this.addrOrCut(p, len, At.Group, F.group, F.group_ip6);
        p += n;
        len -= n;
        this.s(" src=");
        n = this.addrOrCut(p, len, At.Unicast, F.source, F.source_ip6);
        p += n;
        len -= n;
        if (len < 8) throw CUT;
        this.need(p, 8);
        const pref = this.g32(p);
        if (pref & 0x80000000) this.s(" RPT");
        this.s(` pref=${pref & 0x7fffffff} metric=${this.g32(p + 4)}`);
        if (t.on) {
          t.add(F.rpt, (pref & 0x80000000) !== 0, p, 1);
          t.add(F.metric_pref, pref & 0x7fffffff, p, 4);
          t.add(F.metric, this.g32(p + 4), p + 4, 4);
        }
        return false;
      }
      case 8: {
        // Candidate-RP-Advertisement
        if (len < 1) throw CUT;
        const pfx = this.g8(p);
        this.s(` prefix-cnt=${pfx}`);
        if (len < 2) throw CUT;
        this.s(` prio=${this.g8(p + 1)}`);
        if (len < 4) throw CUT;
        this.s(" holdtime=");
        this.s(relts(this.g16(p + 2)));
        if (t.on) {
          t.add(F.prefix_count, pfx, p, 1);
          t.add(F.priority, this.g8(p + 1), p + 1, 1);
          t.add(F.holdtime, this.g16(p + 2), p + 2, 2);
        }
        p += 4;
        len -= 4;
        this.s(" RP=");
        n = this.addrOrCut(p, len, At.Unicast, F.rp, F.rp_ip6);
        p += n;
        len -= n;
        for (let i = 0; i < pfx && len > 0; i++) {
          this.s(` Group${i}=`);
          n = this.addrOrCut(p, len, At.Group, F.group, F.group_ip6);
          p += n;
          len -= n;
        }
        return false;
      }
      case 9:
        this.s(" src=");
        n = this.addrOrCut(p, len, At.Unicast, F.source, F.source_ip6);
        p += n;
        len -= n;
        this.s(" grp=");
        n = this.addrOrCut(p, len, At.Group, F.group, F.group_ip6);
        p += n;
        len -= n;
        this.s(" forwarder=");
        n = this.addrOrCut(p, len, At.Unicast);
        p += n;
        len -= n;
        if (len < 2) throw CUT;
        this.s(" TUNR ");
        this.s(relts(this.g16(p)));
        return false;
      case 10: {
        // DF Election (RFC 5015): the subtype is the high nibble of the reserved byte
        const sub = rsv >> 4;
        if (t.on) t.add(F["df_elect.subtype"], sub, start + 1, 1);
        this.s(`\n\t  ${DF_SUBTYPE[sub] ?? "Unknown"},`);
        this.s(" rpa=");
        n = this.addrOrCut(p, len, At.Unicast, F.rp, F.rp_ip6);
        p += n;
        len = (len - n) >>> 0;
        this.s(` sender pref=${this.g32(p)}`);
        this.s(` sender metric=${this.g32(p + 4)}`);
        p += 8;
        len = (len - 8) >>> 0;
        if (sub === 3 || sub === 4) {
          const w = sub === 3 ? "offer" : "new winner";
          this.s(`\n\t  ${w} addr=`);
          n = this.addrOrCut(p, len, At.Unicast);
          p += n;
          len = (len - n) >>> 0;
          this.s(` ${w} pref=${this.g32(p)}`);
          this.s(` ${w} metric=${this.g32(p + 4)}`);
          p += 8;
          if (sub === 3) this.s(` interval ${this.g16(p)}ms`);
        }
        return false;
      }
      default:
        this.s(` [type ${type}]`);
        return false;
    }
  }

  ip4(p: number): string {
    this.need(p, 4);
    return ipv4At(this.r.data, p);
  }
}

const printer = new V2Printer();

export const PIM: Protocol = {
  id: "pim",
  name: "PIM",
  title: "Protocol Independent Multicast",
  fields: F,
  onEmpty: true,
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    if (!r.has(1)) {
      // tcpdump reads the version before it prints anything
      ctx.line.s(" [|pim]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const typever = r.peek(0);
    const ver = typever >> 4;
    const type = typever & 0x0f;
    if (t.on) {
      t.add(F.version, ver, start, 1);
      t.add(F.type, type, start, 1);
    }
    const v = ctx.opts.verbose;
    if (ver !== 2) {
      ctx.line.s("PIMv").u(ver).s(", length ").u(length);
      r.pos = r.cap;
      return;
    }
    if (v === 0) {
      ctx.line
        .s("PIMv2, ")
        .s(TYPE[type] ?? "Unknown Type")
        .s(", length ")
        .u(length);
      if (t.on) {
        // the tree still has the message's fields: run the printer into a line that is thrown away
        detail(r, ctx, t, start, length, true);
      }
      r.pos = r.cap;
      return;
    }
    ctx.line
      .s("PIMv2, length ")
      .u(length)
      .s("\n\t")
      .s(TYPE[type] ?? "Unknown Type");
    if (detail(r, ctx, t, start, length, false)) {
      return ctx.next("ethertype", (r.byteAt(r.pos) >> 4 === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6) as number);
    }
    r.pos = r.cap;
  },
};

/** Runs the -v printer; true when a Register hands its inner packet on (r.pos at it). */
function detail(r: Reader, ctx: Ctx, t: TreeSink, start: number, length: number, quiet: boolean): boolean {
  printer.r = r;
  printer.ctx = ctx;
  printer.t = t;
  const mark = ctx.line.n;
  let handoff = false;
  try {
    handoff = printer.run(start, length);
  } catch (e) {
    if (e !== CUT) throw e;
    if (!quiet) {
      ctx.line.s(" [|pimv2]");
      ctx.truncated = true;
    }
  }
  if (quiet) ctx.line.cut(mark);
  return handoff && !quiet;
}

/** tcpdump's pimv1_join_prune_print over [p, p + len) */
function v1JoinPrune(r: Reader, p: number, len: number, v: number): string {
  const d = r.data;
  const has = (q: number, n: number) => q + n <= r.cap;
  const b = (q: number) => r.byteAt(q);
  const u16 = (q: number) => (b(q) << 8) | b(q + 1);
  const u32 = (q: number) => ((b(q) << 24) | (b(q + 1) << 16) | (b(q + 2) << 8) | b(q + 3)) >>> 0;
  let njoin: number;
  if (has(p, 30) && b(p + 11) === 1 && (njoin = u16(p + 20)) + u16(p + 22) === 1) {
    let s = ` RPF ${ipv4At(d, p)} `;
    const hold = u16(p + 6);
    if (hold !== 180) s += `Hold ${relts(hold)}`;
    s += `${njoin ? "Join" : "Prune"} (${ipv4At(d, p + 26)}/${b(p + 25) & 0x3f}, ${ipv4At(d, p + 12)}`;
    if (u32(p + 16) !== 0xffffffff) s += `/${ipv4At(d, p + 16)}`;
    s += `) ${b(p + 24) & 1 ? "Sparse" : "Dense"}${b(p + 25) & 0x80 ? " WC" : ""} ${b(p + 25) & 0x40 ? "RP" : "SPT"}`;
    return s;
  }
  let s = "";
  const cut = () => s + " [|pimv1]";
  if (len < 4 || !has(p, 4)) return cut();
  if (v > 1) s += "\n";
  s += ` Upstream Nbr: ${ipv4At(d, p)}`;
  p += 4;
  len -= 4;
  if (len < 4) return cut();
  if (v > 1) s += "\n";
  s += " Hold time: ";
  if (!has(p + 2, 2)) return cut();
  s += relts(u16(p + 2));
  if (v < 2) return s;
  p += 4;
  len -= 4;
  if (len < 4 || !has(p + 3, 1)) return cut();
  let ngroups = b(p + 3);
  p += 4;
  len -= 4;
  while (ngroups !== 0) {
    if (len < 4 || !has(p, 4)) return cut();
    s += `\n\tGroup: ${ipv4At(d, p)}`;
    p += 4;
    len -= 4;
    if (len < 4 || !has(p, 4)) return cut();
    if (u32(p) !== 0xffffffff) s += `/${ipv4At(d, p)}`;
    p += 4;
    len -= 4;
    if (len < 4 || !has(p, 4)) return cut();
    const nj = u16(p);
    const np = u16(p + 2);
    s += ` joined: ${nj} pruned: ${np}`;
    p += 4;
    len -= 4;
    for (let i = 0; i < nj + np; i++) {
      if (len < 6 || !has(p, 6)) return cut();
      s += `\n\t${i < nj ? "Join " : "Prune"} ${b(p) & 1 ? "Sparse " : "Dense "}${b(p + 1) & 0x80 ? "WC " : ""}${b(p + 1) & 0x40 ? "RP " : "SPT "}${ipv4At(d, p + 2)}/${b(p + 1) & 0x3f}`;
      p += 6;
      len -= 6;
    }
    ngroups--;
  }
  return s;
}

/**
 * PIMv1 (carried in IGMP, type 0x14) after "igmp pimv1", as tcpdump's pimv1_print: the message at `start`
 * (the IGMP header) with `len` bytes. The text ends in " [|pimv1]" where tcpdump stops at a cut.
 */
export function pimv1Text(r: Reader, start: number, len: number, v: number): string {
  const d = r.data;
  const has = (off: number, n: number) => start + off + n <= r.cap;
  const b = (off: number) => r.byteAt(start + off);
  const u16 = (off: number) => (b(off) << 8) | b(off + 1);
  const u32 = (off: number) => ((b(off) << 24) | (b(off + 1) << 16) | (b(off + 2) << 8) | b(off + 3)) >>> 0;
  const ip = (off: number) => ipv4At(d, start + off);
  const CUTV1 = " [|pimv1]";
  if (!has(1, 1)) return CUTV1;
  const type = b(1);
  let s = ` ${PIMV1_TYPE[type] ?? `[type ${type}]`}`;
  switch (type) {
    case 0:
      if (has(8, 1)) {
        const m = b(8) >> 4;
        s += m === 0 ? " Dense-mode" : m === 1 ? " Sparse-mode" : m === 2 ? " Sparse-Dense-mode" : ` mode-${m}`;
      }
      if (v) {
        s += " (Hold-time ";
        if (!has(10, 2)) return s + CUTV1;
        s += relts(u16(10)) + ")";
      }
      break;
    case 1:
      if (!has(8, 20)) return s + CUTV1;
      s += ` for ${ip(20)} > ${ip(24)}`;
      break;
    case 2:
      if (!has(8, 8)) return s + CUTV1;
      s += ` for ${ip(8)} > ${ip(12)}`;
      break;
    case 4:
      if (v) {
        if (!has(8, 4)) return s + CUTV1;
        s += ` group ${ip(8)}`;
        if (!has(12, 4)) return s + CUTV1;
        if (u32(12) !== 0xffffffff) s += `/${ip(12)}`;
        if (!has(16, 4)) return s + CUTV1;
        s += ` RP ${ip(16)} hold `;
        if (!has(22, 2)) return s + CUTV1;
        s += relts(u16(22));
      }
      break;
    case 5:
      if (!has(8, 12)) return s + CUTV1;
      s += ` for ${ip(16)} > ${ip(8)}`;
      if (u32(12) !== 0xffffffff) s += `/${ip(12)}`;
      if (!has(20, 8)) return s + CUTV1;
      s += ` ${b(20) & 0x80 ? "RP-tree" : "SPT"} pref ${u32(20) & 0x7fffffff} metric ${u32(24)}`;
      break;
    case 3:
    case 6:
    case 7:
      if (v) {
        if (len < 8) return s + CUTV1;
        s += v1JoinPrune(r, start + 8, len - 8, v);
        if (s.endsWith(CUTV1)) return s;
      }
      break;
  }
  if (!has(4, 1)) return s + CUTV1;
  if (b(4) >> 4 !== 1) s += ` [v${b(4) >> 4}]`;
  return s;
}

bind("ip.proto", IPPROTO_PIM, PIM);
