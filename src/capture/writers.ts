/**
 * Choosing the writer for -w: pcap or pcapng (by --pcapng or a .pcapng name), rotated by -C/-G/-W or not.
 */
import type { SourceInfo } from "./batch.js";
import type { PacketSource } from "./source.js";
import type { PcapngInterface } from "./pcapng-format.js";
import { PcapWriter } from "./pcap-writer.js";
import { isPcapngName, PcapngWriter, type WriterInterface } from "./pcapng-writer.js";
import { RotatingWriter, type CaptureWriter } from "./rotating-writer.js";

export interface WriterChoice {
  path: string;
  /** --pcapng; a name ending in .pcapng also asks for it */
  pcapng?: boolean;
  packetBuffered?: boolean;
  /** -C in bytes, -G in seconds, -W files */
  sizeLimit?: number;
  seconds?: number;
  files?: number;
  /** the live interface's name, for the pcapng IDB */
  device?: string;
}

/**
 * The interfaces a pcapng file source has read so far (its parser fills them in as it meets their blocks).
 * FileSource keeps its parser to itself; reading it here keeps names and descriptions without widening
 * FileSource's interface for one writer.
 */
function sourceInterfaces(source: PacketSource): (() => PcapngInterface[] | undefined) | undefined {
  if (source.info.kind !== "pcapng") return undefined;
  const s = source as unknown as { parser?: { interfaces?: PcapngInterface[] } };
  return () => s.parser?.interfaces;
}

export function openCaptureWriter(c: WriterChoice, source: PacketSource): CaptureWriter {
  const info: SourceInfo = source.info;
  const pcapng = !!c.pcapng || isPcapngName(c.path);
  const snaplen = info.snaplen || 262144;
  let open: (path: string) => CaptureWriter;
  if (pcapng) {
    const ifs = sourceInterfaces(source);
    const describe = (iface: number): WriterInterface | undefined => {
      if (info.kind === "live") return iface === 0 ? { name: c.device ?? info.name } : undefined;
      const d = ifs?.()?.[iface];
      return d ? { linktype: d.linktype, snaplen: d.snaplen, name: d.name || undefined, description: d.description || undefined } : undefined;
    };
    // A pcapng source may have interfaces finer than microseconds: nanoseconds keep them all.
    const nano = info.nano || info.kind === "pcapng";
    open = (path) => new PcapngWriter(path, { linktype: info.linktype, snaplen, nano, packetBuffered: c.packetBuffered, describe });
  } else {
    open = (path) => new PcapWriter(path, { linktype: info.linktype, snaplen, nano: info.nano, packetBuffered: c.packetBuffered });
  }
  if (!c.sizeLimit && !c.seconds) return open(c.path);
  if (c.path === "-") throw Object.assign(new Error("-C and -G need a file name, not standard output"), { code: "EUSAGE" });
  return new RotatingWriter({ base: c.path, sizeLimit: c.sizeLimit, seconds: c.seconds, files: c.files, format: pcapng ? "pcapng" : "pcap", open });
}
