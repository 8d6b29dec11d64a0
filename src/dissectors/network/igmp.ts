/**
 * IGMP v1/v2/v3 (RFC 1112, RFC 2236, RFC 3376) and mtrace, in tcpdump's words (print-igmp.c):
 *   "igmp query v2 [max resp time 10] [gaddr 225.1.1.3]", "igmp v2 report 239.1.1.1", "igmp leave 239.1.1.1",
 *   "igmp v3 report, 1 group record(s)" (with -v: " [gaddr 239.1.1.1 to_ex, 0 source(s)]" per record).
 */
import { bind } from "../registry.js";
import { IPPROTO } from "../constants.js";
import { ipv4At, relts } from "../format.js";
import { pimv1Text } from "./pim.js";
import { fields, type Protocol } from "../types.js";
import { foldSum, onesSum } from "./ipv4.js";
import type { Reader } from "../reader.js";

const TYPES: Readonly<Record<number, string>> = {
  0x11: "Membership Query",
  0x12: "Membership Report v1",
  0x13: "DVMRP",
  0x14: "PIM v1",
  0x16: "Membership Report v2",
  0x17: "Leave Group",
  0x1e: "Traceroute Response",
  0x1f: "Traceroute Query or Request",
  0x22: "Membership Report v3",
};
const RECORD: Readonly<Record<number, string>> = { 1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block" };

const F = fields("igmp", {
  version: ["IGMP Version", "uint"],
  type: ["Type", "uint", { base: "hex", values: TYPES }],
  max_resp: ["Max Resp Time", "uint"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  maddr: ["Multicast Address", "ipv4"],
  num_grp_recs: ["Num Group Records", "uint"],
  num_src: ["Num Src", "uint"],
  record_type: ["Record Type", "uint", { values: RECORD }],
  saddr: ["Source Address", "ipv4"],
  qrv: ["QRV", "uint"],
  qqic: ["QQIC", "uint"],
});

/** The next 4 bytes as an IPv4 address, or "" (and the reader marked truncated) when they are not there. */
function readGroup(r: Reader): string {
  if (!r.has(4)) {
    r.skip(4);
    return "";
  }
  const g = ipv4At(r.data, r.pos);
  r.pos += 4;
  return g;
}

export const IGMP: Protocol = {
  id: "igmp",
  name: "IGMP",
  title: "Internet Group Management Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const len = r.reportedRemaining;
    if (ctx.opts.quiet) {
      ctx.line.s("igmp");
      r.pos = r.cap;
      return;
    }
    const type = r.u8();
    if (r.truncated) return;
    // tcpdump reads the rest as it prints: a message cut after its type is still named
    const mrc = r.byteAt(start + 1);
    const sum = (r.byteAt(start + 2) << 8) | r.byteAt(start + 3);
    r.pos = Math.min(start + 4, r.cap);
    const d = r.data;
    const v = ctx.opts.verbose;
    if (t.on) {
      const ver = type === 0x12 ? 1 : type === 0x16 || type === 0x17 ? 2 : type === 0x22 ? 3 : type === 0x11 ? (len >= 12 ? 3 : mrc ? 2 : 1) : 0;
      if (ver) t.add(F.version, ver, start, 0);
      // DVMRP (0x13): Wireshark hands the message to its DVMRP dissector, which has its own type and checksum
      if (type !== 0x13) {
        t.add(F.type, type, start, 1);
        if (r.cap > start + 1) t.add(F.max_resp, mrc, start + 1, 1);
        if (r.cap >= start + 4) t.add(F.checksum, sum, start + 2, 2);
      }
    }
    let s = "";
    switch (type) {
      case 0x11: {
        s = "igmp query";
        if (r.cap < start + 2) {
          r.skip(1);
          break;
        }
        if (len >= 12) {
          s += " v3";
          const mrt = mrc < 128 ? mrc : ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3);
          if (mrc !== 100) s += ` [max resp time ${mrt < 600 ? (mrt * 0.1).toFixed(1) + "s" : relts(Math.floor(mrt / 10))}]`;
          const g = readGroup(r);
          if (r.truncated) break;
          if (t.on) t.add(F.maddr, g, start + 4, 4);
          if (g === "0.0.0.0") break;
          s += ` [gaddr ${g}`;
          const qrv = r.u8();
          const qqic = r.u8();
          const ns = r.u16();
          if (r.truncated) break;
          if (t.on) {
            t.add(F.qrv, qrv & 7, start + 8, 1);
            t.add(F.qqic, qqic, start + 9, 1);
            t.add(F.num_src, ns, start + 10, 2);
          }
          if (ns > 0) {
            if (len < 12 + ns * 4) s += " [invalid number of sources]";
            else if (v > 1) {
              s += " {";
              for (let i = 0; i < ns; i++) {
                const a = readGroup(r);
                if (r.truncated) break;
                s += ` ${a}`;
              }
              s += " }";
            } else s += `, ${ns} source(s)`;
          }
          s += "]";
        } else {
          if (mrc) {
            s += " v2";
            if (mrc !== 100) s += ` [max resp time ${mrc}]`;
          } else s += " v1";
          const g = readGroup(r);
          if (r.truncated) break;
          if (t.on) t.add(F.maddr, g, start + 4, 4);
          if (g !== "0.0.0.0") s += ` [gaddr ${g}]`;
          if (len !== 8) s += ` [len ${len}]`;
        }
        break;
      }
      case 0x12:
      case 0x16:
      case 0x17: {
        const g = readGroup(r);
        if (r.truncated) break;
        if (t.on) t.add(F.maddr, g, start + 4, 4);
        s = type === 0x12 ? `igmp v1 report ${g}` : type === 0x16 ? `igmp v2 report ${g}` : `igmp leave ${g}`;
        if (type === 0x12 && len !== 8) s += ` [len ${len}]`;
        break;
      }
      case 0x22: {
        s = "igmp v3 report";
        r.pos = start + 6;
        const ng = r.u16();
        if (r.truncated) break;
        if (t.on) t.add(F.num_grp_recs, ng, start + 6, 2);
        s += `, ${ng} group record(s)`;
        if (v > 0) {
          let g = 8;
          for (let i = 0; i < ng; i++) {
            r.pos = start + g;
            const rt = r.u8();
            r.u8();
            const ns = r.u16();
            const ga = readGroup(r);
            if (r.truncated) break;
            if (t.on) {
              t.add(F.record_type, rt, start + g, 1);
              t.add(F.num_src, ns, start + g + 2, 2);
              t.add(F.maddr, ga, start + g + 4, 4);
            }
            s += ` [gaddr ${ga} ${RECORD[rt] ?? ` [v3-report-#${rt}]`}`;
            if (len < g + 8 + ns * 4) {
              s += ` [invalid number of sources ${ns}]`;
              break;
            }
            if (v === 1) s += `, ${ns} source(s)`;
            else {
              s += " {";
              for (let j = 0; j < ns; j++) {
                const a = readGroup(r);
                if (r.truncated) break;
                s += ` ${a}`;
              }
              if (r.truncated) break;
              s += " }";
            }
            g += 8 + ns * 4;
            s += "]";
          }
        }
        break;
      }
      case 0x13:
        if (len < 8) s = `igmp dvmrp [len ${len}]`;
        else {
          s = "igmp dvmrp" + dvmrpText(r, start, len, v);
          if (s.endsWith("[|dvmrp]")) {
            ctx.line.s(s);
            ctx.truncated = true;
            r.pos = r.cap;
            return;
          }
        }
        break;
      case 0x14: {
        // PIMv1 (pim.ts); tcpdump stops at its cut with its own marker and no checksum verdict
        s = "igmp pimv1" + pimv1Text(r, start, len, v);
        if (s.endsWith("[|pimv1]")) {
          ctx.line.s(s);
          ctx.truncated = true;
          r.pos = r.cap;
          return;
        }
        break;
      }
      case 0x1e:
      case 0x1f: {
        const name = type === 0x1f ? "mtrace" : "mtrace-resp";
        if (len < 8 + 16) {
          s = `${name} [invalid len ${len}]`;
          break;
        }
        // the multicast group being traced (Wireshark's igmp.maddr)
        if (t.on && r.cap >= start + 8) t.add(F.maddr, ipv4At(r.data, start + 4), start + 4, 4);
        r.pos = start + 8;
        const src = readGroup(r);
        const dst = readGroup(r);
        const raddr = readGroup(r);
        const rttl = r.u8();
        const qid = r.u24();
        if (r.truncated) break;
        s = `${name} ${qid}: ${src} to ${dst} reply-to ${raddr}`;
        if ((r.byteAt(start + 16) & 0xf0) === 0xe0) s += ` with-ttl ${rttl}`;
        break;
      }
      default:
        s = `igmp-${type.toString(16)}`;
    }
    if (r.truncated) {
      ctx.line.s(s);
      return;
    }
    if (v > 0 && len >= 4 && r.cap - start >= len) {
      const c = foldSum(onesSum(d, start, len));
      if (c !== 0xffff) s += ` bad igmp cksum ${sum.toString(16)}!`;
    }
    ctx.line.s(s);
    r.pos = r.cap;
  },
};

/**
 * DVMRP inside IGMP (type 0x13) as tcpdump 4.99's print-dvmrp.c prints it: the message type, and for
 * Neighbors2 the version (from the group field) and each neighbour, Prune's source, group and lifetime,
 * Graft's and Graft-ACK's source and group, Probe's generation id with -v. A read past the captured bytes
 * ends the text with " [|dvmrp]".
 */
function dvmrpText(r: Reader, start: number, len: number, v: number): string {
  const cut = (s: string) => s + " [|dvmrp]";
  const has = (o: number, n: number) => start + o + n <= r.cap;
  const ip = (o: number) => ipv4At(r.data, start + o);
  const type = r.byteAt(start + 1);
  let s = "";
  let o = 8;
  let left = len - 8;
  switch (type) {
    case 1:
      s += " Probe";
      if (v > 0) {
        if (!has(o, 4)) return cut(s);
        s += `${v > 1 ? "\n\t" : " "}genid ${(((r.byteAt(start + o) << 24) | (r.byteAt(start + o + 1) << 16) | (r.byteAt(start + o + 2) << 8) | r.byteAt(start + o + 3)) >>> 0)}`;
        if (v > 1)
          for (o += 4, left -= 4; left > 0 && start + o < r.cap; o += 4, left -= 4) {
            if (!has(o, 4)) return cut(s);
            s += `\n\tneighbor ${ip(o)}`;
          }
      }
      break;
    case 2:
      s += " Report";
      break;
    case 3:
      s += " Ask-neighbors(old)";
      break;
    case 4:
      s += " Neighbors(old)";
      while (left > 0) {
        if (!has(o, 7)) return cut(s);
        const laddr = ip(o);
        const metric = r.byteAt(start + o + 4);
        const thresh = r.byteAt(start + o + 5);
        let ncount = r.byteAt(start + o + 6);
        o += 7;
        left -= 7;
        while (--ncount >= 0 && left >= 4) {
          if (!has(o, 4)) return cut(s + ` [${laddr} ->`);
          s += ` [${laddr} -> ${ip(o)}, (${metric}/${thresh})]`;
          o += 4;
          left -= 4;
        }
      }
      break;
    case 5:
      s += " Ask-neighbors2";
      break;
    case 6: {
      s += ` Neighbors2 (v ${r.byteAt(start + 7)}.${r.byteAt(start + 6)}):`;
      while (left > 0) {
        if (!has(o, 8)) return cut(s);
        const laddr = ip(o);
        const metric = r.byteAt(start + o + 4);
        const thresh = r.byteAt(start + o + 5);
        const flags = r.byteAt(start + o + 6);
        let ncount = r.byteAt(start + o + 7);
        o += 8;
        left -= 8;
        while (--ncount >= 0 && left >= 4) {
          if (!has(o, 4)) return cut(s + ` [${laddr} -> `);
          s += ` [${laddr} -> ${ip(o)} (${metric}/${thresh}`;
          if (flags & 0x01) s += "/tunnel";
          if (flags & 0x02) s += "/srcrt";
          if (flags & 0x40) s += "/querier";
          if (flags & 0x20) s += "/disabled";
          if (flags & 0x10) s += "/down";
          s += ")]";
          o += 4;
          left -= 4;
        }
        if (ncount !== -1) return s + " [|]";
      }
      break;
    }
    case 7:
      s += " Prune";
      if (!has(o, 8)) return cut(s);
      s += ` src ${ip(o)} grp ${ip(o + 4)}`;
      if (!has(o + 8, 4)) return cut(s);
      s += ` timer ${relts((((r.byteAt(start + o + 8) << 24) | (r.byteAt(start + o + 9) << 16) | (r.byteAt(start + o + 10) << 8) | r.byteAt(start + o + 11)) >>> 0))}`;
      break;
    case 8:
    case 9:
      s += type === 8 ? " Graft" : " Graft-ACK";
      if (!has(o, 8)) return cut(s);
      s += ` src ${ip(o)} grp ${ip(o + 4)}`;
      break;
    default:
      s += ` [type ${type}]`;
  }
  return s;
}

bind("ip.proto", IPPROTO.IGMP, IGMP);
