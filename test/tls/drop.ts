/**
 * Loses TCP segments from a capture, as a lossy capture (tcpdump drops) would: for the TLS gap tests. The
 * server's data segments are found (Ethernet + IPv4, the loopback captures'), its byte stream rebuilt to find
 * where its TLS records start, and chosen segments left out of the copy.
 */
import { readRecords, type CaptureRecord } from "../helpers/records.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";

interface Seg {
  index: number;
  /** offset of the payload in the server's byte stream */
  at: number;
  len: number;
}

type Pkt = CaptureRecord;

async function read(file: string): Promise<Pkt[]> {
  return (await readRecords(file)).records;
}

/** The data segments sent from `port`, in capture order, with their place in the stream (first copy only). */
function serverSegments(pkts: Pkt[], port: number): { segs: Seg[]; stream: Uint8Array } {
  const segs: Seg[] = [];
  const parts: Uint8Array[] = [];
  let isn = -1;
  let next = 0;
  pkts.forEach((p, index) => {
    const d = p.data;
    if (d[12] !== 0x08 || d[13] !== 0 || d[23] !== 6) return;
    const dv = new DataView(d.buffer, d.byteOffset, d.length);
    const tcp = 14 + (d[14] & 15) * 4;
    if (dv.getUint16(tcp) !== port) return;
    const seq = dv.getUint32(tcp + 4);
    if (d[tcp + 13] & 2) isn = (seq + 1) >>> 0;
    const pay = tcp + (d[tcp + 12] >> 4) * 4;
    const end = 14 + dv.getUint16(16);
    if (end <= pay || isn < 0) return;
    const at = (seq - isn) >>> 0;
    if (at !== next) return; // a retransmission (none on loopback)
    segs.push({ index, at, len: end - pay });
    parts.push(d.subarray(pay, end));
    next = at + end - pay;
  });
  return { segs, stream: Buffer.concat(parts) };
}

/** Where each TLS record of a stream starts. */
function recordStarts(stream: Uint8Array): number[] {
  const out: number[] = [];
  for (let p = 0; p + 5 <= stream.length; p += 5 + ((stream[p + 3] << 8) | stream[p + 4])) out.push(p);
  return out;
}

/**
 * Writes `src` without some of the server's (`port`) data segments past the middle of its stream: `within`
 * a segment strictly inside a record (no record header in it), `boundary` one holding the start of a record
 * header, `run` several consecutive segments. Returns the frames (1-based, of `src`) left out, and how many
 * of the server's records had bytes in them.
 */
export async function dropSegments(src: string, dst: string, port: number, how: "within" | "boundary" | "run"): Promise<{ frames: number[]; records: number }> {
  const pkts = await read(src);
  const { segs, stream } = serverSegments(pkts, port);
  const starts = recordStarts(stream);
  const headerIn = (s: Seg) => starts.some((r) => r + 5 > s.at && r < s.at + s.len);
  const from = segs.findIndex((s) => s.at > stream.length / 2);
  let drop: Seg[] = [];
  for (let i = Math.max(from, 0); i < segs.length - 4 && !drop.length; i++) {
    const s = segs[i];
    if (how === "within" && !headerIn(s)) drop = [s];
    else if (how === "boundary" && headerIn(s) && !starts.includes(s.at)) drop = [s];
    else if (how === "run" && !headerIn(s)) drop = segs.slice(i, i + 4);
  }
  if (!drop.length) throw new Error(`no ${how} segment to drop`);
  const gone = new Set(drop.map((s) => s.index));
  const w = new PcapWriter(dst, { linktype: 1, snaplen: 262144, nano: false });
  pkts.forEach((p, i) => {
    if (!gone.has(i)) w.writeRecord(p.sec, p.nsec, p.data.length, p.data.length, p.data, 0);
  });
  w.close();
  // the records with a byte in a lost segment: never whole again
  const a = drop[0].at;
  const b = drop[drop.length - 1].at + drop[drop.length - 1].len;
  const records = starts.filter((r, i) => r < b && (i + 1 < starts.length ? starts[i + 1] : stream.length) > a).length;
  return { frames: [...gone].map((i) => i + 1), records };
}
