/** Test-only: packets built by hand, and batches of them, for the output modes. */
import { createBatch, type PacketBatch, type SourceInfo } from "../../src/capture/batch.js";
import fs from "node:fs";
import { FileSource } from "../../src/capture/file-source.js";

export const INFO: SourceInfo = { kind: "pcap", name: "test", linktype: 1, snaplen: 262144, nano: false };

function csum(b: number[]): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

const u16 = (n: number) => [n >> 8, n & 255];
const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const ip4 = (s: string) => s.split(".").map(Number);
const mac = (s: string) => s.split(":").map((x) => parseInt(x, 16));

export interface PktSpec {
  src?: string;
  dst?: string;
  srcMac?: string;
  dstMac?: string;
  sport?: number;
  dport?: number;
  proto?: "tcp" | "udp";
  flags?: number;
  seq?: number;
  ack?: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  payload?: string | number[];
}

/** An Ethernet/IPv4/TCP or UDP frame. */
export function packet(p: PktSpec = {}): Uint8Array {
  const payload = typeof p.payload === "string" ? [...Buffer.from(p.payload, "latin1")] : (p.payload ?? []);
  const proto = p.proto ?? "tcp";
  let l4: number[];
  if (proto === "tcp") {
    l4 = [...u16(p.sport ?? 1234), ...u16(p.dport ?? 80), ...u32(p.seq ?? 1000), ...u32(p.ack ?? 0), 0x50, p.flags ?? 0x02, ...u16(64240), 0, 0, 0, 0, ...payload];
  } else {
    l4 = [...u16(p.sport ?? 1234), ...u16(p.dport ?? 53), ...u16(8 + payload.length), 0, 0, ...payload];
  }
  const ipHdr = [0x45, 0, ...u16(20 + l4.length), ...u16(p.id ?? 1), p.df === false ? 0 : 0x40, 0, p.ttl ?? 64, proto === "tcp" ? 6 : 17, 0, 0, ...ip4(p.src ?? "10.0.0.1"), ...ip4(p.dst ?? "192.168.1.2")];
  const c = csum(ipHdr);
  ipHdr[10] = c >> 8;
  ipHdr[11] = c & 255;
  return new Uint8Array([...mac(p.dstMac ?? "00:11:22:33:44:55"), ...mac(p.srcMac ?? "66:77:88:99:aa:bb"), 0x08, 0x00, ...ipHdr, ...l4]);
}

/** A batch holding these packets (times 1.000001, 2.000002, ...). */
export function batchOf(pkts: Uint8Array[], opts: { caplen?: number[]; linktype?: number } = {}): PacketBatch {
  const b = createBatch(Math.max(1, pkts.length));
  const total = pkts.reduce((n, p) => n + p.length, 0);
  let off = 3; // not at 0: offsets must be honoured
  b.data = new Uint8Array(total + off);
  pkts.forEach((p, i) => {
    b.data.set(p, off);
    b.offset[i] = off;
    b.caplen[i] = opts.caplen?.[i] ?? p.length;
    b.wirelen[i] = p.length;
    b.tsSec[i] = 1_700_000_000 + i;
    b.tsNsec[i] = (i + 1) * 1000;
    b.linktype[i] = opts.linktype ?? 1;
    off += p.length;
  });
  b.count = pkts.length;
  return b;
}

/** Every packet of a capture file, copied into one batch (for small files). */
export async function readAll(file: string): Promise<{ batch: PacketBatch; info: SourceInfo }> {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing`);
  const src = await FileSource.open(file);
  const pkts: Uint8Array[] = [];
  const meta: Array<[number, number, number, number, number]> = [];
  const cut = new Map<number, number>();
  await src.run((b) => {
    for (let i = 0; i < b.count; i++) {
      const c = b.cut?.get(i);
      if (c !== undefined) cut.set(pkts.length, c);
      pkts.push(b.data.slice(b.offset[i], b.offset[i] + b.caplen[i]));
      meta.push([b.wirelen[i], b.tsSec[i], b.tsNsec[i], b.linktype[i], b.iface[i]]);
    }
    return Infinity;
  });
  const batch = batchOf(pkts);
  meta.forEach(([w, s, n, l, f], i) => {
    batch.wirelen[i] = w;
    batch.tsSec[i] = s;
    batch.tsNsec[i] = n;
    batch.linktype[i] = l;
    batch.iface[i] = f;
  });
  if (cut.size) batch.cut = cut;
  return { batch, info: src.info };
}
