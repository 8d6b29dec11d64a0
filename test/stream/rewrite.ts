/**
 * Rewrites a capture's TCP segments for the reassembly tests: each payload cut into small segments, which are
 * then reordered, sent twice and overlapped, as a lossy path would. Ethernet + IPv4 only (the fixtures').
 */
import { FileSource } from "../../src/capture/file-source.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";

export interface RewriteOptions {
  /** payload bytes per new segment */
  piece: number;
  /** swap the 2nd and 3rd pieces of each segment */
  reorder?: boolean;
  /** send the first piece again after the others */
  duplicate?: boolean;
  /** after the pieces, a segment covering the end of the first piece and the start of the second */
  overlap?: boolean;
}

function segment(orig: Uint8Array, ipOff: number, tcpOff: number, payOff: number, seqDelta: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payOff + payload.length);
  out.set(orig.subarray(0, payOff));
  out.set(payload, payOff);
  const dv = new DataView(out.buffer);
  dv.setUint16(ipOff + 2, payOff - ipOff + payload.length);
  // IPv4 header checksum
  dv.setUint16(ipOff + 10, 0);
  const ihl = (out[ipOff] & 15) * 4;
  let sum = 0;
  for (let i = 0; i < ihl; i += 2) sum += dv.getUint16(ipOff + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  dv.setUint16(ipOff + 10, ~sum & 0xffff);
  dv.setUint32(tcpOff + 4, (dv.getUint32(tcpOff + 4) + seqDelta) >>> 0);
  return out;
}

export async function rewriteTcp(src: string, dst: string, o: RewriteOptions): Promise<number> {
  const s = await FileSource.open(src);
  const w = new PcapWriter(dst, { linktype: 1, snaplen: 262144, nano: false });
  let n = 0;
  const put = (sec: number, nsec: number, b: Uint8Array) => {
    w.writeRecord(sec, nsec, b.length, b.length, b, 0);
    n++;
  };
  await s.run((b) => {
    for (let i = 0; i < b.count; i++) {
      const pkt = b.data.slice(b.offset[i], b.offset[i] + b.caplen[i]);
      const sec = b.tsSec[i],
        nsec = b.tsNsec[i];
      const ipOff = 14;
      const isTcp = b.linktype[i] === 1 && pkt[12] === 0x08 && pkt[13] === 0x00 && pkt[ipOff + 9] === 6;
      if (!isTcp) {
        put(sec, nsec, pkt);
        continue;
      }
      const dv = new DataView(pkt.buffer);
      const tcpOff = ipOff + (pkt[ipOff] & 15) * 4;
      const payOff = tcpOff + (pkt[tcpOff + 12] >> 4) * 4;
      const end = ipOff + dv.getUint16(ipOff + 2);
      const payload = pkt.subarray(payOff, end);
      if (payload.length <= o.piece * 3) {
        put(sec, nsec, pkt);
        continue;
      }
      const pieces: [number, Uint8Array][] = [];
      for (let p = 0; p < payload.length; p += o.piece) pieces.push([p, payload.subarray(p, Math.min(payload.length, p + o.piece))]);
      const order = pieces.slice();
      if (o.reorder) [order[1], order[2]] = [order[2], order[1]];
      if (o.duplicate) order.push(pieces[0]);
      if (o.overlap) {
        const a = Math.floor(o.piece / 2);
        order.push([a, payload.subarray(a, Math.min(payload.length, a + o.piece))]);
      }
      for (const [at, bytes] of order) put(sec, nsec, segment(pkt, ipOff, tcpOff, payOff, at, bytes));
    }
    return Infinity;
  });
  w.close();
  return n;
}
