/**
 * `sniff(options)`: scapy's sniff() for TypeScript. Resolves with the packets kept (clones) when the capture
 * ends: `count` packets, `timeout` seconds, `stopFilter` true, the end of the `offline` file, or `stop()`.
 *
 * `prn`, `lfilter` and `stopFilter` are called synchronously for every packet, in order, with a borrowed
 * packet (see Packet: clone() it to keep it). Nothing is queued, so nothing is dropped by tsniff; a `prn`
 * slower than the packet rate makes the kernel drop instead (reported in the kernel counters).
 */
import { Session } from "../session.js";
import { openSource, type CaptureOptions, type ApiStats } from "./capture.js";
import { Packet, PacketContext } from "./packet.js";

export interface SniffOptions extends CaptureOptions {
  /** called for every packet that passes lfilter; its return value is ignored */
  prn?: (pkt: Packet) => unknown;
  /** packets for which this returns false are skipped (not counted, not stored, not given to prn) */
  lfilter?: (pkt: Packet) => boolean;
  /** stop after the packet for which this returns true */
  stopFilter?: (pkt: Packet) => boolean;
  /** keep the packets and resolve with them (default true, as scapy) */
  store?: boolean;
  /** receives the statistics when the capture ends */
  onStats?: (s: ApiStats) => void;
}

export async function sniff(o: SniffOptions = {}): Promise<Packet[]> {
  const { source, program } = await openSource(o);
  const store = o.store ?? true;
  const kept: Packet[] = [];
  const ctx = new PacketContext({ interfaces: source.info.kind !== "pcap" });
  const limit = o.count ?? Infinity;
  let n = 0;
  let error: unknown;
  const session: Session = new Session({
    source,
    program,
    consumers: [
      (b, i, frame) => {
        const p = Packet.fromBatch(b, i, frame, ctx);
        try {
          if (o.lfilter && !o.lfilter(p)) return;
          n++;
          if (store) kept.push(p.clone());
          o.prn?.(p);
          if ((o.stopFilter && o.stopFilter(p)) || n >= limit) return false;
        } catch (e) {
          error = e;
          return false;
        }
      },
    ],
  });
  const timer = o.timeout ? setTimeout(() => session.stop(), o.timeout * 1000) : undefined;
  const onAbort = () => session.stop();
  o.signal?.addEventListener("abort", onAbort);
  try {
    const r = await session.run();
    o.onStats?.({ captured: r.captured, kernel: r.stats, droppedByTsniff: 0, queueHighWater: 0, readPauses: 0 });
    if (error) throw error;
    if (r.end.reason === "error" && r.end.error) throw r.end.error;
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
  }
  return kept;
}

/** Every packet of a pcap or pcapng file (clones), optionally filtered: `readPcap("x.pcap", "tcp port 80")`. */
export function readPcap(path: string, filter?: string): Promise<Packet[]> {
  return sniff({ offline: path, filter });
}
