/**
 * AODV (RFC 3561, ad hoc on-demand distance vector routing; UDP port 654) over IPv4, as tcpdump 4.99's
 * print-aodv.c prints it: " aodv rreq 24 [J][R]hops 0 id 0x00000001\n\tdst a seq n src b seq m",
 * " aodv rrep 20 [R][A] prefix 0 hops 1\n\tdst a dseq n src b 3000 ms", " aodv rerr [D] [items 2] [20]: {a}(n)...",
 * " aodv rrep-ack 2", " aodv type N L"; a Hello extension after a request or reply ("\n\text HELLO 1000 ms").
 * A message shorter than its fixed part, or cut, ends in " [|aodv]". The length printed is UDP's payload length.
 *
 * The line only (bound in "udp.port/tcpdump", as HNCP and wb: see udp.ts): the tree keeps UDP's data. AODV over
 * IPv6 (tcpdump's draft formats) is not printed: such a datagram shows as UDP.
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import type { Protocol } from "../types.js";
import type { Reader } from "../reader.js";

/** every fixed part's captured bytes are checked before it is printed; a cut anywhere is " [|aodv]" */
function has(r: Reader, p: number, n: number): boolean {
  return p + n <= r.cap;
}
function u32(r: Reader, p: number): number {
  return ((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0;
}

/** The extension after a request or reply; false when cut. */
function extension(r: Reader, p: number, len: number): string | null {
  if (!has(r, p, 2)) return null;
  const type = r.byteAt(p),
    elen = r.byteAt(p + 1);
  if (type !== 1) return `\n\text ${type} ${elen}`;
  // a Hello: its interval
  if (!has(r, p, 6) || len < 6) return null;
  if (elen < 4) return `\n\text HELLO - bad length ${elen}`;
  return `\n\text HELLO ${u32(r, p + 2)} ms`;
}

/**
 * tcpdump 4.99 tests the flag bits on the message's type byte, not on its flags byte: a request of type 1 never
 * shows [J]..[U], a draft type 16 shows [D]. Printed as it prints them.
 */
function reqFlags(t: number): string {
  return `${t & 0x80 ? "[J]" : ""}${t & 0x40 ? "[R]" : ""}${t & 0x20 ? "[G]" : ""}${t & 0x10 ? "[D]" : ""}${t & 0x08 ? "[U] " : " "}`;
}
function repFlags(t: number): string {
  return `${t & 0x80 ? "[R]" : ""}${t & 0x40 ? "[A] " : " "}`;
}

export const AODV: Protocol = {
  id: "aodv",
  name: "AODV",
  title: "Ad hoc On-demand Distance Vector Routing Protocol",
  dissect(r, ctx) {
    if (ctx.net !== "IP") return ctx.next("udp.port", -1);
    const p = r.pos;
    const len = r.reportedRemaining;
    const o = ctx.line;
    const d = r.data;
    const cut = () => {
      o.s(" [|aodv]");
      ctx.truncated = true;
      r.pos = r.cap;
    };
    if (!has(r, p, 1)) return cut(); // (no " aodv" before the mark: tcpdump reads the type first)
    o.s(" aodv");
    const type = r.byteAt(p);
    /** a request or reply of `size` bytes (cut otherwise), then its extension if 2 bytes or more follow */
    const ext = (size: number): boolean => {
      if (len - size < 2) return true;
      const e = extension(r, p + size, len - size);
      if (e === null) return false;
      o.s(e);
      return true;
    };
    if (type === 1) {
      if (!has(r, p, 24) || len < 24) return cut();
      o.s(` rreq ${len} ${reqFlags(type)}hops ${r.byteAt(p + 3)} id 0x${u32(r, p + 4).toString(16).padStart(8, "0")}`);
      o.s(`\n\tdst ${ipv4At(d, p + 8)} seq ${u32(r, p + 12)} src ${ipv4At(d, p + 16)} seq ${u32(r, p + 20)}`);
      if (!ext(24)) return cut();
    } else if (type === 16) {
      // draft-01 of AODV for IPv6, whatever the IP version
      if (!has(r, p, 48) || len < 48) return cut();
      o.s(` rreq ${len} ${reqFlags(type)}hops ${r.byteAt(p + 3)} id 0x${u32(r, p + 4).toString(16).padStart(8, "0")}`);
      o.s(`\n\tdst ${ipv6At(d, p + 16)} seq ${u32(r, p + 8)} src ${ipv6At(d, p + 32)} seq ${u32(r, p + 12)}`);
      if (!ext(48)) return cut();
    } else if (type === 2) {
      if (!has(r, p, 20) || len < 20) return cut();
      o.s(` rrep ${len} ${repFlags(type)}prefix ${r.byteAt(p + 2) & 0x1f} hops ${r.byteAt(p + 3)}`);
      o.s(`\n\tdst ${ipv4At(d, p + 4)} dseq ${u32(r, p + 8)} src ${ipv4At(d, p + 12)} ${u32(r, p + 16)} ms`);
      if (!ext(20)) return cut();
    } else if (type === 17) {
      if (!has(r, p, 44) || len < 44) return cut();
      o.s(` rrep ${len} ${repFlags(type)}prefix ${r.byteAt(p + 2) & 0x1f} hops ${r.byteAt(p + 3)}`);
      o.s(`\n\tdst ${ipv6At(d, p + 8)} dseq ${u32(r, p + 4)} src ${ipv6At(d, p + 24)} ${u32(r, p + 40)} ms`);
      if (!ext(44)) return cut();
    } else if (type === 3 || type === 18) {
      if (!has(r, p, 4) || len < 4) return cut();
      const dc = r.byteAt(p + 3);
      o.s(` rerr ${r.byteAt(p + 1) & 0x80 ? "[D]" : ""} [items ${dc}] [${len}]:`);
      // one destination per count (8 bytes, 20 in the draft): at most 255, and the captured end stops it
      const item = type === 3 ? 8 : 20;
      let q = p + 4;
      for (let i = 0; i < dc; i++, q += item) {
        if (!has(r, q, item)) return cut();
        if (type === 3) o.s(` {${ipv4At(d, q)}}(${u32(r, q + 4)})`);
        else o.s(` {${ipv6At(d, q)}}(${u32(r, q + 16)})`);
      }
    } else if (type === 4 || type === 19) o.s(` rrep-ack ${len}`);
    else o.s(` type ${type} ${len}`);
    r.pos = r.cap;
  },
};

bind("udp.port/tcpdump", 654, AODV);
