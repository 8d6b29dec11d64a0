/**
 * Transport checksums over the IPv4 or IPv6 pseudo-header (RFC 9293 3.1, RFC 768, RFC 8200 8.1), for what
 * tcpdump prints with -v: "cksum 0x1c46 (correct)", "[udp sum ok]", "[icmp6 sum ok]" and their "incorrect"
 * forms. The addresses come from the innermost network layer of the packet (ctx).
 */
import type { Ctx } from "../types.js";
import { foldSum, onesSum } from "./ipv4.js";

/**
 * The folded ones'-complement sum of `len` bytes at `start` with the pseudo-header for `proto`: 0xffff when the
 * checksum in them is right. -1 when it cannot be checked: no IP layer, a fragment, or bytes not captured.
 */
export function transportSum(d: Uint8Array, ctx: Ctx, proto: number, start: number, len: number, cap: number): number {
  if (ctx.fragmented || start + len > cap) return -1;
  let acc: number;
  if (ctx.net === "IP" && ctx.src4 >= 0) {
    acc = (ctx.src4 >>> 16) + (ctx.src4 & 0xffff) + (ctx.routeDst >= 0 ? onesSum(d, ctx.routeDst, 4) : (ctx.dst4 >>> 16) + (ctx.dst4 & 0xffff));
  } else if ((ctx.net === "IP6" || ctx.net === "") && ctx.ip6Src >= 0 && ctx.ip6Src + 32 <= start) {
    // (net "" with an IPv6 header: TCP/UDP after extension headers, which print only the ports)
    acc = ctx.routeDst >= 0 ? onesSum(d, ctx.routeDst, 16, onesSum(d, ctx.ip6Src, 16)) : onesSum(d, ctx.ip6Src, 32);
  } else return -1;
  acc += Math.floor(len / 65536) + (len & 0xffff) + proto;
  return foldSum(onesSum(d, start, len, acc));
}

/** tcpdump's in_cksum_shouldbe: the checksum field value that would have made the sum come out right. */
export function shouldBe(sum: number, computed: number): number {
  return foldSum(sum + (~computed & 0xffff));
}
