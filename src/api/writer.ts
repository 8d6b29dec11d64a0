/**
 * Writing packets to files from the library, as scapy's wrpcap() and PcapWriter/PcapNgWriter do:
 *
 *   const w = openWriter("out.pcapng");      // pcap or pcapng by the name (or `format`)
 *   w.write(pkt);                            // any Packet: borrowed in a callback, stored, from bytes
 *   w.close();
 *   await wrpcap("out.pcap", packets);       // all at once
 *
 * A pcap file has one link type: taken from the first packet written (or `linktype`); a packet of another
 * link type is refused with an error saying to write pcapng, which keeps each interface (its own link type).
 * The engine is the CLI's -w (capture/pcap-writer.ts, pcapng-writer.ts): big buffered writes of whole records.
 */
import { createBatch } from "../capture/batch.js";
import { PcapWriter } from "../capture/pcap-writer.js";
import { PcapngWriter, isPcapngName } from "../capture/pcapng-writer.js";
import type { Packet } from "./packet.js";

export interface WriterOptions {
  /** "pcap" or "pcapng" (default: pcapng when the name ends in .pcapng or .ntar, else pcap) */
  format?: "pcap" | "pcapng";
  /** link type (LINKTYPE_ value) of the file (pcap) or of interface 0 (pcapng); default: the first packet's */
  linktype?: number;
  /** snapshot length written in the header (default 262144) */
  snaplen?: number;
  /** nanosecond timestamps (default false: microseconds, as tcpdump writes) */
  nano?: boolean;
}

export interface PacketFileWriter {
  readonly path: string;
  readonly format: "pcap" | "pcapng";
  /** packets written so far */
  readonly count: number;
  /** Appends a packet; `comment` (pcapng only) becomes the packet's opt_comment (tshark's frame.comment). */
  write(pkt: Packet, comment?: string): void;
  /** Flushes and closes the file (a writer closed without packets leaves a valid empty capture). */
  close(): void;
}

/** Opens `path` for writing packets (created or truncated; "-" is standard output). */
export function openWriter(path: string, o: WriterOptions = {}): PacketFileWriter {
  const format = o.format ?? (isPcapngName(path) ? "pcapng" : "pcap");
  if (format !== "pcap" && format !== "pcapng") throw new Error(`openWriter: format "${String(format)}" is neither "pcap" nor "pcapng"`);
  const snaplen = o.snaplen ?? 262144;
  const nano = !!o.nano;
  // The file is opened at the first packet (its link type) unless the link type is given.
  let pcap: PcapWriter | undefined;
  let ng: PcapngWriter | undefined;
  let linktype = o.linktype;
  let closed = false;
  let count = 0;
  const one = createBatch(1);
  const open = (lt: number) => {
    linktype = lt;
    if (format === "pcap") pcap = new PcapWriter(path, { linktype: lt, snaplen, nano });
    else ng = new PcapngWriter(path, { linktype: lt, snaplen, nano });
  };
  if (linktype !== undefined) open(linktype);
  return {
    path,
    format,
    get count() {
      return count;
    },
    write(pkt: Packet, comment?: string) {
      if (closed) throw new Error(`${path}: write after close()`);
      if (!pcap && !ng) open(pkt.linktype);
      const data = pkt.data;
      if (pcap) {
        if (pkt.linktype !== linktype) {
          throw new Error(`${path}: a pcap file has one link type (${linktype}); this packet's is ${pkt.linktype}: write pcapng (format: "pcapng") for mixed link types`);
        }
        pcap.writeRecord(pkt.tsSec, pkt.tsNsec, data.length, pkt.len, data, 0);
      } else {
        one.data = data;
        one.count = 1;
        one.offset[0] = 0;
        one.caplen[0] = data.length;
        one.wirelen[0] = pkt.len;
        one.tsSec[0] = pkt.tsSec;
        one.tsNsec[0] = pkt.tsNsec;
        one.linktype[0] = pkt.linktype;
        one.iface[0] = pkt.iface;
        ng!.writePacket(one, 0, comment);
      }
      count++;
    },
    close() {
      if (closed) return;
      closed = true;
      if (!pcap && !ng) open(linktype ?? 1);
      (pcap ?? ng)!.close();
    },
  };
}

/**
 * scapy's wrpcap(): writes `packets` to `path` (pcap, or pcapng by the name or `format`) and closes it.
 * Synchronous underneath; a Promise for symmetry with rdpcap().
 */
export async function wrpcap(path: string, packets: Iterable<Packet>, o: WriterOptions = {}): Promise<number> {
  const w = openWriter(path, o);
  try {
    for (const p of packets) w.write(p);
  } finally {
    w.close();
  }
  return w.count;
}
