/**
 * Choosing the writer for -w: pcap or pcapng (by --pcapng or a .pcapng name), rotated by -C/-G/-W or not.
 */
import type { SourceInfo } from "./batch.js";
import { native } from "./native.js";
import type { PacketSource } from "./source.js";
import type { PcapngInterface } from "./pcapng-format.js";
import { PcapWriter } from "./pcap-writer.js";
import { isPcapngName, PcapngWriter, type PcapngWriterOptions, type WriterInterface } from "./pcapng-writer.js";
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
  /** a TLS key log written into pcapng files as Decryption Secrets Blocks (PcapngWriterOptions.secrets) */
  secrets?: PcapngWriterOptions["secrets"];
}

/**
 * What a pcapng writer puts in the IDB of a live source's interface `iface`: its name, link type and
 * snapshot length (several -i: each its own). `device` overrides the name of a single interface.
 */
export function describeLive(info: SourceInfo, device?: string): (iface: number) => WriterInterface | undefined {
  const ifs = info.interfaces;
  return (iface) => {
    const d = ifs?.[iface];
    if (d) return { name: ifs!.length === 1 && device ? device : d.name, linktype: d.linktype, snaplen: d.snaplen };
    return iface === 0 ? { name: device ?? info.name } : undefined;
  };
}

function linktypeName(dlt: number): string {
  try {
    return native().datalinkName(dlt) ?? String(dlt);
  } catch {
    return String(dlt);
  }
}

/**
 * A pcap file has one link type: a capture over interfaces that differ in it can only be written as pcapng.
 * Throws (code EUSAGE) the one line that says so, for a pcap -w choice; nothing for pcapng or one link type.
 */
export function checkPcapLinktypes(c: Pick<WriterChoice, "path" | "pcapng">, info: SourceInfo): void {
  if (c.pcapng || isPcapngName(c.path)) return;
  const ifs = info.interfaces ?? [];
  const other = ifs.find((d) => d.linktype !== ifs[0].linktype);
  if (!other) return;
  const a = ifs[0];
  throw Object.assign(
    new Error(
      `-w ${c.path}: ${a.name} (${linktypeName(a.linktype)}) and ${other.name} (${linktypeName(other.linktype)}) differ in link type, ` +
        `and a pcap file holds one; write pcapng instead (--pcapng, or a name ending in .pcapng)`,
    ),
    { code: "EUSAGE" },
  );
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
    const live = info.kind === "live" ? describeLive(info, c.device) : undefined;
    const describe = (iface: number): WriterInterface | undefined => {
      if (live) return live(iface);
      const d = ifs?.()?.[iface];
      return d ? { linktype: d.linktype, snaplen: d.snaplen, name: d.name || undefined, description: d.description || undefined } : undefined;
    };
    // A pcapng source may have interfaces finer than microseconds: nanoseconds keep them all.
    const nano = info.nano || info.kind === "pcapng";
    // Every live interface is declared at the start of each file, so one that stays quiet is still listed.
    const declare = info.kind === "live" ? info.interfaces?.length : undefined;
    open = (path) => new PcapngWriter(path, { linktype: info.linktype, snaplen, nano, packetBuffered: c.packetBuffered, describe, declare, secrets: c.secrets });
  } else {
    checkPcapLinktypes(c, info);
    open = (path) => new PcapWriter(path, { linktype: info.linktype, snaplen, nano: info.nano, packetBuffered: c.packetBuffered });
  }
  if (!c.sizeLimit && !c.seconds) return open(c.path);
  if (c.path === "-") throw Object.assign(new Error("-C and -G need a file name, not standard output"), { code: "EUSAGE" });
  return new RotatingWriter({ base: c.path, sizeLimit: c.sizeLimit, seconds: c.seconds, files: c.files, format: pcapng ? "pcapng" : "pcap", open });
}
