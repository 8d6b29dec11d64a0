/**
 * The opt_comment options of a pcapng file's enhanced packet blocks, read where the packet's bytes lie: a
 * pcapng source's batch holds the file's blocks as they are (the packet data 28 bytes into its EPB). The
 * block is checked (type, length, captured length) before its options are trusted; anything else is no comment.
 */
import type { PacketBatch } from "../capture/batch.js";

function rd32(d: Uint8Array, at: number, le: boolean): number {
  return le ? (d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24)) >>> 0 : ((d[at] << 24) | (d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]) >>> 0;
}
function rd16(d: Uint8Array, at: number, le: boolean): number {
  return le ? d[at] | (d[at + 1] << 8) : (d[at] << 8) | d[at + 1];
}

const dec = new TextDecoder("utf-8");

/** The comments of packet i (in the order written), [] when it has none or is not an EPB. */
export function epbComments(b: PacketBatch, i: number): string[] {
  const d = b.data;
  const blk = b.offset[i] - 28;
  if (blk < 0) return [];
  let le: boolean;
  if (d[blk] === 6 && d[blk + 1] === 0 && d[blk + 2] === 0 && d[blk + 3] === 0) le = true;
  else if (d[blk] === 0 && d[blk + 1] === 0 && d[blk + 2] === 0 && d[blk + 3] === 6) le = false;
  else return [];
  const len = rd32(d, blk + 4, le);
  const cap = rd32(d, blk + 20, le);
  if (cap !== b.caplen[i] || len < 32 || blk + len > d.length) return [];
  const end = blk + len - 4;
  let p = b.offset[i] + ((cap + 3) & ~3);
  const out: string[] = [];
  while (p + 4 <= end) {
    const code = rd16(d, p, le);
    const olen = rd16(d, p + 2, le);
    if (code === 0 || p + 4 + olen > end) break;
    if (code === 1) out.push(dec.decode(d.subarray(p + 4, p + 4 + olen)));
    p += 4 + ((olen + 3) & ~3);
  }
  return out;
}
