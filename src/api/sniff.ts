/**
 * `sniff(options)`: scapy's sniff() for TypeScript. Resolves with the packets kept when the capture ends:
 * `count` packets, `timeout` seconds, `stopFilter` true, the end of the `offline` file, or `stop()`.
 *
 * `prn`, `lfilter` and `stopFilter` are called synchronously for every packet, in order. The packet they get
 * may be kept (`prn: p => kept.push(p)`): it is a view of the capture's buffer during the batch and gets its
 * own copy of the bytes when the batch ends (BatchLease in packet.ts), so it stays valid. A string `prn`
 * returns is printed on standard output, one line (control characters and newlines escaped), as scapy does.
 *
 * Nothing is queued, so nothing is dropped by tsniff; a `prn` slower than the packet rate makes the kernel
 * drop instead (reported in the kernel counters: ApiStats.kernel.dropped).
 */
import { Session } from "../session.js";
import type { PacketBatch } from "../capture/batch.js";
import { lineSafe } from "../output/escape.js";
import { halt, lossNote, openSource, sourceNames, type CaptureOptions, type ApiStats } from "./capture.js";
import { sourceReport } from "../remote/open.js";
import { BatchLease, Packet, PacketContext } from "./packet.js";

export interface SniffOptions extends CaptureOptions {
  /** called for every packet that passes lfilter; a string it returns is printed (one line, escaped) */
  prn?: (pkt: Packet) => unknown;
  /** packets for which this returns false are skipped (not counted, not stored, not given to prn) */
  lfilter?: (pkt: Packet) => boolean;
  /** stop after the packet for which this returns true */
  stopFilter?: (pkt: Packet) => boolean;
  /** keep the packets and resolve with them (default true, as scapy) */
  store?: boolean;
  /** receives the statistics when the capture ends */
  onStats?: (s: ApiStats) => void;
  /** where the strings prn returns go (default: standard output, each followed by a newline) */
  print?: (line: string) => void;
}

export async function sniff(o: SniffOptions = {}): Promise<Packet[]> {
  const opened = await openSource(o);
  const { source, program } = opened;
  const store = o.store ?? true;
  const kept: Packet[] = [];
  const ctx = new PacketContext({ interfaces: source.info.kind !== "pcap", names: sourceNames(source) });
  const lease = new BatchLease();
  const limit = o.count ?? Infinity;
  let n = 0;
  let error: unknown;
  let batch: PacketBatch | null = null;
  // prn's lines are written once per batch (one write, not one per packet), in order.
  let printed = "";
  const print = o.print ?? ((line: string) => (printed += line + "\n"));
  const flush = () => {
    if (printed) {
      process.stdout.write(printed);
      printed = "";
    }
  };
  const session: Session = new Session({
    source,
    program,
    consumers: [
      (b, i, frame) => {
        batch = b;
        const p = lease.add(Packet.fromBatch(b, i, frame, ctx));
        try {
          if (o.lfilter && !o.lfilter(p)) return;
          n++;
          if (store) kept.push(p);
          if (o.prn) {
            const r = o.prn(p);
            if (typeof r === "string") print(lineSafe(r));
          }
          if ((o.stopFilter && o.stopFilter(p)) || n >= limit) return false;
        } catch (e) {
          error = e;
          return false;
        }
      },
    ],
    onBatchEnd: () => {
      // The batch's buffer is reused after this: the packets handed out get their own bytes.
      if (batch) lease.detach(batch);
      flush();
    },
  });
  const timer = o.timeout ? setTimeout(() => halt(session), o.timeout * 1000) : undefined;
  const onAbort = () => halt(session);
  o.signal?.addEventListener("abort", onAbort);
  try {
    const r = await session.run();
    flush();
    o.onStats?.({ captured: r.captured, kernel: r.stats, droppedByTsniff: 0, queueHighWater: 0, readPauses: 0, lossNote: lossNote(r.stats, 0, null), ...(opened.sources.length ? { sources: opened.sources.map(sourceReport), hostFailures: opened.failures.slice() } : {}) });
    if (error) throw error;
    if (r.end.reason === "error" && r.end.error) throw r.end.error;
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
  }
  return kept;
}

/** Every packet of a pcap or pcapng file, optionally filtered: `readPcap("x.pcap", "tcp port 80")`. */
export function readPcap(path: string, filter?: string): Promise<Packet[]> {
  return sniff({ offline: path, filter });
}

/** scapy's rdpcap(): every packet of a pcap or pcapng file, read eagerly (readPcap without a filter). */
export function rdpcap(path: string): Promise<Packet[]> {
  return sniff({ offline: path });
}
