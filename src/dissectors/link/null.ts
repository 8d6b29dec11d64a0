/**
 * BSD loopback (DLT_NULL: host-order address family) and OpenBSD loopback (DLT_LOOP: network order), and
 * raw IP link types (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6): the IP version nibble picks the dissector.
 */
import { bind, getField } from "../registry.js";
import { LINKTYPE } from "../constants.js";
import { fields, type Protocol } from "../types.js";

const F = fields("null", {
  family: ["Family", "uint"],
});

/** AF_INET is 2 everywhere; AF_INET6 differs: 10 (Linux), 24 (BSDs), 28 (FreeBSD), 30 (macOS); 26 too. Not 23: that is
 * BSD's IPX (network/ipx.ts), as tcpdump takes it (tcpdump prints 10 and 26 as unknown families, hex only). */
const AF_INET6 = new Set([10, 24, 26, 28, 30]);

/** tcpdump's names of BSD address families (print-null.c); Linux's AF_INET6 (10) is not among them. */
const AF_NAMES: Record<number, string> = { 2: "IPv4", 7: "ISO", 16: "Appletalk", 23: "IPX", 24: "IPv6", 28: "IPv6", 30: "IPv6" };

/** -e: "AF IPv4 (2)" (-q: "IPv4") */
function afText(af: number, quiet: boolean): string {
  const name = AF_NAMES[af] ?? "Unknown";
  return quiet ? name : `AF ${name} (${af})`;
}

export const NULL_LINK: Protocol = {
  id: "null",
  name: "Null",
  title: "Null/Loopback",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    // DLT_NULL stores the family in the writer's byte order: a small value in one of the two ends.
    const b0 = r.u8(),
      b1 = r.u8(),
      b2 = r.u8(),
      b3 = r.u8();
    if (r.truncated) return;
    const le = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
    const be = (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    const af = ctx.linktype === LINKTYPE.LOOP ? be : (le & 0xffff0000) === 0 ? le : be;
    if (t.on) t.add(F.family, af, start, 4);
    if (ctx.opts.linkHeader) ctx.line.s(`${afText(af, ctx.opts.quiet)}, length ${ctx.wirelen}: `);
    if (af === 2) return ctx.next("ethertype", 0x0800);
    if (AF_INET6.has(af)) return ctx.next("ethertype", 0x86dd);
    if (af === 23) return ctx.next("ipx", 0); // network/ipx.ts
  },
};

export const RAW_IP: Protocol = {
  id: "raw",
  name: "Raw IP",
  title: "Raw packet data",
  dissect(r, ctx, t) {
    const v = r.peek() >> 4;
    // tcpdump -e marks raw IP with "ip: "; like tcpdump, the version nibble decides even for LINKTYPE_IPV4/IPV6
    if (ctx.opts.linkHeader) ctx.line.s("ip: ");
    if (ctx.linktype === LINKTYPE.IPV6 && v !== 6 && r.remaining > 0) {
      // Wireshark reads LINKTYPE_IPV6 as IPv6 whatever the nibble: a bogus version and nothing more (the
      // layers after are tcpdump's line only)
      if (t.on) {
        const f = getField("ip.version");
        if (f) t.add(f, v, r.pos, 1);
      }
      ctx.lineOnly = true;
    }
    if (v === 4) return ctx.next("ethertype", 0x0800);
    if (v === 6) return ctx.next("ethertype", 0x86dd);
    if (r.remaining > 0) ctx.line.s(`unknown ip ${v}`); // tcpdump 4.99 raw_if_print
  },
};

bind("linktype", [LINKTYPE.NULL, LINKTYPE.LOOP], NULL_LINK);
bind("linktype", [LINKTYPE.RAW, LINKTYPE.IPV4, LINKTYPE.IPV6, LINKTYPE.RAW_BSD12, LINKTYPE.RAW_BSD14], RAW_IP);
