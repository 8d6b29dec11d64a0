/**
 * VRRP (IP protocol 112; RFC 3768 version 2, RFC 5798 version 3), as tcpdump 4.99's print-vrrp.c prints it:
 *   "VRRPv2, Advertisement, vrid 42, prio 191, authtype simple, intvl 10s, length 28"    (no -v)
 *   "VRRPv3, Advertisement, (ttl 64), vrid 44, prio 191, intvl 1000cs, length 16"        (TTL when not 255)
 *   -v adds ", addrs(3): 10.4.42.1,10.4.42.2,10.4.42.3 auth "abcdefgh"" and a bad checksum's value.
 * Fields: Wireshark's vrrp.version, vrrp.type, vrrp.virt_rtr_id, vrrp.prio, vrrp.addr_count,
 * vrrp.auth_type, vrrp.adver_int, vrrp.checksum, vrrp.ip_addr.
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import { fields, type Protocol } from "../types.js";
import { foldSum, onesSum } from "./ipv4.js";
import { transportSum } from "./checksum.js";

const IPPROTO_VRRP = 112;
const AUTH: Readonly<Record<number, string>> = { 0: "none", 1: "simple", 2: "md5" };

const F = fields("vrrp", {
  version: ["VRRP protocol version", "uint"],
  type: ["VRRP packet type", "uint", { values: { 1: "Advertisement" } }],
  virt_rtr_id: ["Virtual Rtr ID", "uint"],
  prio: ["Priority", "uint"],
  addr_count: ["Addr Count", "uint"],
  auth_type: ["Auth Type", "uint", { values: AUTH }],
  adver_int: ["Adver Int", "uint"],
  checksum: ["Checksum", "uint", { base: "hex" }],
  ip_addr: ["IP Address", "ipv4"],
});

export const VRRP: Protocol = {
  id: "vrrp",
  name: "VRRP",
  title: "Virtual Router Redundancy Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const len = r.reportedRemaining;
    const line = ctx.line;
    if (!r.has(1)) return void r.skip(1);
    const vt = r.peek(0);
    const version = vt >> 4;
    const type = vt & 0x0f;
    line.s(`VRRPv${version}, ${type === 1 ? "Advertisement" : `unknown type (${type})`}`);
    if (ctx.ttl >= 0 && ctx.ttl !== 255) line.s(`, (ttl ${ctx.ttl})`);
    if (t.on) {
      t.add(F.version, version, start, 1);
      t.add(F.type, type, start, 1);
    }
    if (version < 2 || version > 3 || type !== 1) {
      r.pos = r.cap;
      return;
    }
    if (!r.has(3)) return void r.skip(3);
    line.s(`, vrid ${r.peek(1)}, prio ${r.peek(2)}`);
    if (!r.has(6)) return void r.skip(6);
    const authType = r.peek(4);
    if (version === 2) line.s(`, authtype ${AUTH[authType] ?? `#${authType}`}, intvl ${r.peek(5)}s, length ${len}`);
    else line.s(`, intvl ${((r.peek(4) & 0x0f) << 8) | r.peek(5)}cs, length ${len}`);
    if (t.on) {
      t.add(F.virt_rtr_id, r.peek(1), start + 1, 1);
      t.add(F.prio, r.peek(2), start + 2, 1);
      if (r.has(4)) t.add(F.addr_count, r.peek(3), start + 3, 1);
      if (version === 2) t.add(F.auth_type, authType, start + 4, 1);
      t.add(F.adver_int, version === 2 ? r.peek(5) : ((r.peek(4) & 0x0f) << 8) | r.peek(5), start + 4, 2);
      if (r.has(8)) t.add(F.checksum, r.peek16(6), start + 6, 2);
      if (ctx.net === "IP") for (let i = 0, q = start + 8; i < r.peek(3) && q + 4 <= r.cap; i++, q += 4) t.add(F.ip_addr, ipv4At(r.data, q), q, 4);
    }
    if (ctx.opts.verbose > 0) {
      if (!r.has(4)) return void r.skip(4);
      const naddrs = r.peek(3);
      if (start + len <= r.cap) {
        // version 2: the checksum over the message; version 3: with the IPv4 pseudo-header, as tcpdump
        let bad = false;
        if (version === 2) bad = foldSum(onesSum(r.data, start, len)) !== 0xffff;
        else if (ctx.net === "IP" && ctx.src4 >= 0) {
          // tcpdump's nextproto4_cksum, also over a fragment
          const acc = (ctx.src4 >>> 16) + (ctx.src4 & 0xffff) + (ctx.dst4 >>> 16) + (ctx.dst4 & 0xffff) + len + IPPROTO_VRRP;
          bad = foldSum(onesSum(r.data, start, len, acc)) !== 0xffff;
        } else {
          const c = transportSum(r.data, ctx, IPPROTO_VRRP, start, len, r.cap);
          bad = c >= 0 && c !== 0xffff;
        }
        if (bad) {
          if (!r.has(8)) {
            r.pos = r.cap;
            return void r.skip(1); // the checksum field itself is not there: " [|vrrp]"
          }
          line.s(`, (bad vrrp cksum ${r.peek16(6).toString(16)})`);
        }
      }
      line.s(", addrs");
      if (naddrs > 1) line.s(`(${naddrs})`);
      line.s(":");
      // over IPv6 (version 3) the addresses are IPv6 ones
      const v6 = ctx.net === "IP6" || (ctx.src4 < 0 && ctx.ip6Src >= 0);
      const al = v6 ? 16 : 4;
      let q = start + 8;
      for (let i = 0; i < naddrs; i++, q += al) {
        if (q + al > r.cap) {
          r.pos = r.cap;
          return void r.skip(1); // " [|vrrp]"
        }
        line.s(i ? "," : " ").s(v6 ? ipv6At(r.data, q) : ipv4At(r.data, q));
      }
      if (version === 2 && authType === 1) {
        line.s(' auth "');
        for (let i = 0; i < 8; i++) {
          if (q + i >= r.cap) {
            r.pos = r.cap;
            return void r.skip(1);
          }
          if (r.byteAt(q + i) === 0) break;
          line.latin1(r.data, q + i, 1);
        }
        line.s('"');
      }
    }
    r.pos = r.cap;
  },
};

bind("ip.proto", IPPROTO_VRRP, VRRP);
