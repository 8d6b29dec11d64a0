/**
 * Per-packet text for the CLI's default output: tcpdump's one-line format, built by the dissectors' summary
 * pass, with tcpdump's time formats. Other modes (-V tree, hex, JSON, fields) plug in here.
 */
import type { PacketBatch, SourceInfo } from "../capture/batch.js";
import { Dissector } from "../dissectors/index.js";
import { safeText } from "../dissectors/format.js";
import { TimeFormatter, type TimeFormat } from "./time.js";

export interface PrintOptions {
  timeFormat: TimeFormat;
  nano: boolean;
  verbose: number;
  quiet: boolean;
  linkHeader: boolean;
  hex: number;
  hexAscii: number;
  ascii: boolean;
  detail: boolean;
  format: "text" | "json" | "fields";
  fields: string[];
}

export type PacketPrinter = (b: PacketBatch, i: number, frame: number) => string;

export function createPrinter(o: PrintOptions, info: SourceInfo): PacketPrinter {
  const dis = new Dissector({ verbose: o.verbose, quiet: o.quiet, linkHeader: o.linkHeader });
  const time = new TimeFormatter(o.timeFormat, o.nano || info.nano);
  return (b, i, frame) => {
    const ctx = dis.summary(b, i, frame);
    return time.format1(b.tsSec[i], b.tsNsec[i]) + safeText(ctx.info) + "\n";
  };
}
