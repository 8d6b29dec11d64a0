/**
 * RIP (RFC 1058, RFC 2453, RFC 4822; UDP port 520) and RIPng (RFC 2080; UDP port 521), as tcpdump 4.99's
 * print-rip.c and print-ripng.c print them:
 *   "RIPv2, Response, length: 24"                                                     (no -v)
 *   "\n\tRIPv2, Response, length: 24, routes: 1 or less\n\t  AFI IPv4,     10.70.178.0/24, tag 0x0000, ..."
 *   " ripng-resp 2: 2001:db8::/32 (1) 2001:db9::/48 (2)", " ripng-req dump", " [vers 48] (invalid)"  (RIPng)
 * With -v: RIPv1 and RIPv2 route entries, simple-text and cryptographic (RFC 4822) authentication entries
 * and trailers, unknown families as hex; " (invalid)" after a length tcpdump rejects. RIPng: the command and
 * its route entries (one a line at -vv).
 * Fields: Wireshark's rip.command, rip.version, rip.family, rip.ip, rip.netmask, rip.next_hop, rip.metric,
 * rip.route_tag, ripng.cmd, ripng.version.
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import type { Line } from "../line.js";

const CMD: Readonly<Record<number, string>> = {
  1: "Request",
  2: "Response",
  3: "Trace on",
  4: "Trace off",
  6: "Triggered Request",
  7: "Triggered Response",
  8: "Triggered Acknowledgement",
  9: "Update Request",
  10: "Update Response",
  11: "Update Acknowledge",
};
/** tcpdump's bsd_af_values */
const BSD_AF: Readonly<Record<number, string>> = { 2: "IPv4", 6: "NS", 7: "ISO", 16: "Appletalk", 23: "IPX", 24: "IPv6", 28: "IPv6", 30: "IPv6" };
const ROUTE = 20;

const F = fields("rip", {
  command: ["Command", "uint", { values: CMD }],
  version: ["Version", "uint"],
  family: ["Address Family", "uint"],
  route_tag: ["Route Tag", "uint"],
  ip: ["IP Address", "ipv4"],
  netmask: ["Netmask", "ipv4"],
  next_hop: ["Next Hop", "ipv4"],
  metric: ["Metric", "uint"],
});
const G = fields("ripng", {
  cmd: ["Command", "uint"],
  version: ["Version", "uint"],
});

/** tcpdump's mask2plen: the prefix length of a contiguous mask, -1 otherwise */
function mask2plen(m: number): number {
  for (let p = 32; p >= 0; p--) {
    const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
    if (mask === m) return p;
  }
  return -1;
}

/** " [msg len < n]" then " (invalid)": tcpdump's ND_ICHECKMSG_U failing */
class Invalid {
  constructor(readonly text: string) {}
}
const CUT = { cut: true };

export const RIP: Protocol = {
  id: "rip",
  name: "RIP",
  title: "Routing Information Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const len = r.reportedRemaining;
    const v = ctx.opts.verbose;
    const line = ctx.line;
    // tcpdump 4.99 wants the 4-byte header captured and within the length before it prints anything
    if (!r.has(4) || len < 4) {
      r.truncated = true;
      r.pos = r.cap;
      return;
    }
    if (v >= 1) line.s("\n\t");
    line.s("RIP");
    if (!r.has(2)) return void r.skip(2);
    const cmd = r.peek(0);
    const vers = r.peek(1);
    if (t.on) {
      t.add(F.command, cmd, start, 1);
      t.add(F.version, vers, start + 1, 1);
    }
    line.s("v").u(vers);
    if (vers !== 1 && vers !== 2) {
      line.s(" [version != 1 && version != 2] (invalid)");
      ctx.markMalformed("RIP: unknown version");
      return cutRest(r, start, len);
    }
    line.s(`, ${CMD[cmd] ?? `unknown command (${cmd})`}, length: ${len}`);
    if (!r.has(4)) return void r.skip(4);
    if (t.on) {
      // the route entries (not the authentication ones), as far as they are captured
      for (let q = start + 4; q + ROUTE <= Math.min(r.cap, start + len); q += ROUTE) {
        const fam = u16(r, q);
        if (fam === 0xffff) continue;
        t.add(F.family, fam, q, 2);
        if (vers === 2) t.add(F.route_tag, u16(r, q + 2), q + 2, 2);
        t.add(F.ip, ipv4At(r.data, q + 4), q + 4, 4);
        if (vers === 2) {
          t.add(F.netmask, ipv4At(r.data, q + 8), q + 8, 4);
          t.add(F.next_hop, ipv4At(r.data, q + 12), q + 12, 4);
        }
        t.add(F.metric, u32(r, q + 16), q + 16, 4);
      }
    }
    if (v < 1) {
      r.pos = r.cap;
      return;
    }
    let p = start + 4;
    // tcpdump 4.99 walks the entries over the captured bytes only (a cut in an entry prints " [|rip]")
    let left = Math.min(len, r.cap - start) - 4;
    try {
      if (cmd === 1 || cmd === 2) {
        // tcpdump 4.99 counts the routes over the whole message, header included
        line.s(vers === 1 ? `, routes: ${Math.floor(len / ROUTE)}` : `, routes: ${Math.floor(len / ROUTE)} or less`);
        while (left !== 0) {
          const n = vers === 1 ? entryV1(r, line, p, left) : entryV2(r, line, p, left);
          if (left < n) throw new Invalid(` [remaining entries length ${left} < ${n}]`);
          p += n;
          left -= n;
        }
      } else if (cmd < 3 || cmd > 11 || cmd === 5) {
        if (v <= 1) hexPrint(line, r, "\n\t", p, left);
      }
      // -vv: the whole message again as hex (tcpdump 4.99 dumps it from its header)
      if (v > 1) hexPrint(line, r, "\n\t", start, len);
    } catch (e) {
      if (e === CUT) {
        r.pos = r.cap;
        r.skip(1); // " [|rip]"
        return;
      }
      if (!(e instanceof Invalid)) throw e;
      line.s(e.text).s(" (invalid)");
      ctx.markMalformed("RIP: an entry runs past the message");
      return cutRest(r, p, left);
    }
    r.pos = r.cap;
  },
};

/** After " (invalid)", tcpdump still wants the rest captured (ND_TCHECK_LEN): " [|rip]" if it is not. */
function cutRest(r: Reader, p: number, n: number): void {
  r.pos = r.cap;
  if (p + n > r.cap) r.skip(1);
}

function need(r: Reader, p: number, n: number): void {
  if (p + n > r.cap) throw CUT;
}
const u16 = (r: Reader, p: number) => (r.byteAt(p) << 8) | r.byteAt(p + 1);
const u32 = (r: Reader, p: number) => ((u16(r, p) << 16) | u16(r, p + 2)) >>> 0;

function entryV1(r: Reader, line: Line, p: number, left: number): number {
  if (left < ROUTE) throw CUT;
  need(r, p, ROUTE);
  const fam = u16(r, p);
  if (fam !== 2 && fam !== 0) {
    line.s(`\n\t AFI ${BSD_AF[fam] ?? `Unknown (${fam})`}, `);
    hexPrint(line, r, "\n\t  ", p + 4, ROUTE - 4);
    return ROUTE;
  }
  if (u16(r, p + 2) || u32(r, p + 8) || u32(r, p + 12)) {
    hexPrint(line, r, "\n\t  ", p, ROUTE);
    return ROUTE;
  }
  line.s(`\n\t  ${fam === 0 ? "AFI 0, " : ""}${ipv4At(r.data, p + 4)}, metric: ${u32(r, p + 16)}`);
  return ROUTE;
}

function entryV2(r: Reader, line: Line, p: number, left: number): number {
  if (left < 4) throw CUT;
  need(r, p, 4);
  const fam = u16(r, p);
  if (fam === 0xffff) {
    const type = u16(r, p + 2);
    const q = p + 4;
    const rem = left - 4;
    if (type === 2) {
      line.s("\n\t  Simple Text Authentication data: ");
      // nd_printjnp: up to 16 bytes, stopping at a NUL
      for (let n = 0; n < 16; n++) {
        need(r, q + n, 1);
        if (r.byteAt(q + n) === 0) break;
        line.latin1(r.data, q + n, 1);
      }
    } else if (type === 3) {
      if (rem < 16) throw CUT;
      line.s("\n\t  Auth header:");
      need(r, q, 2);
      line.s(` Packet Len ${u16(r, q)},`);
      need(r, q + 2, 1);
      line.s(` Key-ID ${r.byteAt(q + 2)},`);
      need(r, q + 3, 1);
      line.s(` Auth Data Len ${r.byteAt(q + 3)},`);
      need(r, q + 4, 4);
      line.s(` SeqNo ${u32(r, q + 4)},`);
      need(r, q + 8, 4);
      line.s(` MBZ ${u32(r, q + 8)},`);
      need(r, q + 12, 4);
      line.s(` MBZ ${u32(r, q + 12)}`);
    } else {
      line.s(type === 1 ? "\n\t  Auth trailer:" : `\n\t  Unknown (${type}) Authentication data:`);
      hexPrint(line, r, "\n\t  ", q, rem);
      return 4 + rem;
    }
    return ROUTE;
  }
  if (fam !== 2 && fam !== 0) {
    line.s(`\n\t  AFI ${BSD_AF[fam] ?? `Unknown (${fam})`}`);
    hexPrint(line, r, "\n\t  ", p + 4, ROUTE - 4);
    return ROUTE;
  }
  if (left < ROUTE) throw CUT;
  need(r, p, ROUTE);
  const plen = mask2plen(u32(r, p + 8));
  const ps = String(plen).padEnd(2, " ");
  line.s(`\n\t  AFI ${BSD_AF[fam] ?? fam}, ${ipv4At(r.data, p + 4).padStart(15, " ")}/${ps}, tag 0x${u16(r, p + 2).toString(16).padStart(4, "0")}, metric: ${u32(r, p + 16)}, next-hop: `);
  line.s(u32(r, p + 12) ? ipv4At(r.data, p + 12) : "self");
  return ROUTE;
}

/** RIPng (UDP 521): tcpdump's -nn words */
export const RIPNG: Protocol = {
  id: "ripng",
  name: "RIPng",
  title: "RIPng",
  fields: G,
  dissect(r, ctx, t) {
    const start = r.pos;
    const len = r.reportedRemaining;
    const line = ctx.line;
    if (!r.has(2)) {
      r.skip(2);
      return;
    }
    const cmd = r.peek(0);
    const vers = r.peek(1);
    if (t.on) {
      t.add(G.cmd, cmd, start, 1);
      t.add(G.version, vers, start + 1, 1);
    }
    if (vers !== 1) {
      line.s(` [vers ${vers}] (invalid)`);
      ctx.markMalformed("RIPng: unknown version");
      r.pos = r.cap;
      return;
    }
    const left = len - 4;
    const n = Math.floor(Math.max(0, left) / 20);
    const count = n * 20 !== left ? `${n}[${len}]` : `${n}`;
    if (cmd === 1) {
      // one entry: tcpdump reads it first, to tell a request for the whole table (::/0, metric 16)
      if (n === 1) {
        if (!r.has(24)) {
          r.pos = r.cap;
          return void r.skip(1); // " [|ripng]"
        }
        let dump = true;
        for (let i = 0; i < 18 && dump; i++) if (r.peek(4 + i) !== 0) dump = false;
        if (dump && r.peek(23) === 16) {
          line.s(" ripng-req dump");
          r.pos = r.cap;
          return;
        }
      }
      line.s(` ripng-req ${count}:`);
      entries(r, line, start + 4, n, false, ctx.opts.verbose > 1);
    } else if (cmd === 2) {
      line.s(` ripng-resp ${count}:`);
      entries(r, line, start + 4, n, true, ctx.opts.verbose > 1);
    } else {
      line.s(` ripng-${cmd} ?? ${len} (invalid)`);
      ctx.markMalformed("RIPng: unknown command");
    }
    r.pos = r.cap;
  },
};

/** RIPng's route entries as tcpdump prints them: " prefix/len", " [tag]", " (metric)" for responses */
function entries(r: Reader, line: Line, p: number, n: number, metric: boolean, vv: boolean): void {
  for (let i = 0; i < n; i++, p += 20) {
    // a response's separator comes before the entry is checked, a request's after (tcpdump's order)
    if (metric) line.s(vv ? "\n\t" : " ");
    if (p + 20 > r.cap) {
      line.s(" [|ripng]");
      return;
    }
    if (!metric) line.s(vv ? "\n\t" : " ");
    line.s(`${ipv6At(r.data, p)}/${r.byteAt(p + 18)}`);
    const tag = u16(r, p + 16);
    if (tag) line.s(` [${tag}]`);
    if (metric) line.s(` (${r.byteAt(p + 19)})`);
  }
}

bind("udp.port", 520, RIP);
bind("udp.port", 521, RIPNG);
