/**
 * Per-packet text for the CLI: tcpdump's one-line format by default, with tcpdump's time formats, and the
 * other modes composed here from their own modules:
 *   - hexdump.ts  -x/-xx, -X/-XX, -A after the line, as tcpdump
 *   - detail.ts   -V, the whole tree (like tshark -V)
 *   - json.ts     -T json (NDJSON)      - fields.ts   -T fields -e NAME...
 *   - -Y (src/filter/display.ts): packets that do not match print nothing (the printer returns "").
 * A packet is dissected once: the cheap summary pass when only the line is wanted, the detail pass (tree)
 * when a mode needs fields. Whatever the mode, the text goes through escape.ts on its way out: no control
 * character from a packet reaches the terminal.
 */
import type { PacketBatch, SourceInfo } from "../capture/batch.js";
import { Dissector } from "../dissectors/index.js";
import type { TreeNode } from "../dissectors/tree.js";
import type { Ctx, FieldDef } from "../dissectors/types.js";
import { compileDisplayFilter, type DisplayFilter } from "../filter/display.js";
import { TimeFormatter, type TimeFormat } from "./time.js";
import { termSafe } from "./escape.js";
import { packetDump, sourceDump } from "./hexdump.js";
import { keyLog } from "../tls/keylog.js";
import { detailText } from "./detail.js";
import { packetJson, packetJsonBytes } from "./json.js";
import { JsonSink } from "./json-bytes.js";
import { checkFieldNames, fieldsLine } from "./fields.js";
import { FrameBuilder } from "./frame.js";
import type { Line } from "../dissectors/line.js";
import type { PacketView } from "./view.js";
import { procNode } from "../proc/fields.js";
import type { ProcInfo } from "../proc/types.js";

export interface PrintOptions {
  timeFormat: TimeFormat;
  nano: boolean;
  verbose: number;
  quiet: boolean;
  linkHeader: boolean;
  /** -#: tcpdump's packet number ("%5u  ") before each one-line packet */
  packetNumber?: boolean;
  hex: number;
  hexAscii: number;
  /** -A (true or 1), -AA (2) */
  ascii: boolean | number;
  detail: boolean;
  format: "text" | "json" | "fields";
  fields: string[];
  /** -Y: a Wireshark display filter; packets that do not match print nothing */
  displayFilter?: string;
  /**
   * The caller escapes the text on its way out (TextOut does, per chunk): the one-line text is returned
   * unescaped, which saves a pass per packet. Without it every line is escaped here.
   */
  escapedByCaller?: boolean;
  /**
   * The process of a frame (process-aware capture, src/proc): its "proc" node joins the tree, so -V, -T json,
   * -T fields and -Y show and filter proc.* fields.
   */
  procOf?: (frame: number) => ProcInfo | undefined;
}

/**
 * Returns the packet's text ("" when -Y leaves it out). `ctx` is the dissection state of the last packet
 * printed (reused): tests and tools read ctx.bug, ctx.truncated and ctx.malformed from it.
 */
export type PacketPrinter = ((b: PacketBatch, i: number, frame: number) => string) & {
  readonly ctx: Ctx;
  /**
   * With -Y: whether the packet matches the display filter. The dissection is kept, so printing the same
   * frame next costs nothing more (the pipeline selects with this, then prints).
   */
  readonly matches?: (b: PacketBatch, i: number, frame: number) => boolean;
  /**
   * -T json as bytes (UTF-8, already safe for a terminal), or null when -Y leaves the packet out. The view is
   * into a reused buffer, valid until the next call. The CLI writes these without building a string.
   */
  readonly bytes?: (b: PacketBatch, i: number, frame: number) => Uint8Array | null;
  /**
   * The packet's output appended to `out` as bytes, escaped as written: the one-line output (no -Y, no -V) or
   * -T json (no -Y), the same text as the printer's string. The CLI writes into its output buffer with it,
   * without building a string or copying a line.
   */
  readonly writeLine?: (b: PacketBatch, i: number, frame: number, out: Line) => void;
};

/**
 * Protocols that tcpdump counts as the link-layer header (what -x, -X and -A leave out): the link type's own
 * dissector and the encapsulations its printer consumes with it (VLAN tags, LLC/SNAP).
 */
const LINK_LAYER = new Set(["eth", "vlan", "llc", "snap", "sll", "sll2", "null", "loop", "raw", "ppp", "chdlc", "radiotap", "wlan", "fddi", "tr", "arcnet", "pktap", "nflog", "ipnet", "enc", "pflog"]);

/**
 * Length of the link-layer header of a dissected packet: from the packet start to the first protocol that is
 * not a link layer (the network layer); the whole packet when nothing follows the link layers.
 *
 * Known difference: when one of tcpdump's printers gives up on a truncated packet by longjmp (the GET_ macros),
 * tcpdump never learns the header length and dumps from byte 0; printers that check and return keep it.
 * Which one a printer does is not knowable from here, so tsniff always leaves the link header out.
 */
export function linkHeaderLength(roots: readonly TreeNode[], start: number, end: number): number {
  let linkEnd = start;
  for (const n of roots) {
    if (n.kind !== "proto" || n.name === "frame") continue;
    if (!LINK_LAYER.has(n.name) && !n.name.startsWith("juniper")) return Math.max(0, Math.min(n.offset, end) - start);
    linkEnd = Math.max(linkEnd, n.offset + n.length);
  }
  return end - start; // nothing but link layers: tcpdump prints no dump
}

/** True when the dump asked for leaves out the link-layer header (-x, -X, -A), which takes the tree to find. */
function dumpSkipsLink(o: PrintOptions): boolean {
  if (o.hexAscii) return o.hexAscii < 2;
  if (o.hex) return o.hex < 2;
  return !!o.ascii && Number(o.ascii) < 2;
}

/**
 * tcpdump's line for a record whose header cannot be right (print.c): no time, no dissection, e.g.
 * "[Invalid header: caplen==0, len==0]" or "[Invalid header: len(40) < caplen(60)]"; null for a sound header.
 */
export function invalidHeader(caplen: number, wirelen: number): string | null {
  if (caplen !== 0 && wirelen !== 0 && wirelen >= caplen) return null;
  const parts: string[] = [];
  if (caplen === 0) parts.push("caplen==0");
  if (wirelen === 0) parts.push("len==0");
  else if (wirelen < caplen) parts.push(`len(${wirelen}) < caplen(${caplen})`);
  return `[Invalid header: ${parts.join(", ")}]`;
}

/** The options that need the detail pass (the tree). */
export function needsTree(o: PrintOptions): boolean {
  // (-xx/-XX with a key log too: the decrypted records come after the frame's bytes)
  return o.detail || o.format !== "text" || !!(o.displayFilter && o.displayFilter.trim()) || dumpSkipsLink(o) || ((o.hex > 0 || o.hexAscii > 0) && keyLog() !== null);
}

/** The dissector a printer with these options needs (share it with plugins: see createPrinter). */
export function printerDissector(o: Pick<PrintOptions, "verbose" | "quiet" | "linkHeader"> & { reassembly?: boolean; noReassembly?: boolean; reassemblyMB?: number; known?: Map<number, number>; summaryOnly?: boolean }): Dissector {
  // TCP reassembly is on unless --no-reassembly (docs/STREAMS.md: its cost on -T json); `known`: -2's first pass
  const reassembly = o.noReassembly ? false : { ...(o.reassemblyMB ? { maxBytes: Math.round(o.reassemblyMB * 1048576) } : {}), known: o.known };
  return new Dissector({ verbose: o.verbose, quiet: o.quiet, linkHeader: o.linkHeader, reassembly, summaryOnly: o.summaryOnly });
}

/**
 * `dissector`: one made by printerDissector(o), shared with other users of the same packets in the same order
 * (the plugins' packets): the Dissector remembers its last packet, so a packet a plugin read is not dissected
 * again to be printed.
 */
export function createPrinter(o: PrintOptions, info: SourceInfo, dissector?: Dissector): PacketPrinter {
  const dis = dissector ?? printerDissector(o);
  // Like tcpdump: microseconds unless --time-stamp-precision=nano asks for nanoseconds.
  const time = new TimeFormatter(o.timeFormat, o.nano, info.nano);
  const filter: DisplayFilter | null = o.displayFilter && o.displayFilter.trim() ? compileDisplayFilter(o.displayFilter) : null;
  if (o.format === "fields") checkFieldNames(o.fields);
  // With remote sources every packet names its source (frame.interface_name "web1:eth0"), as tshark reads the pcapng.
  // A pcapng file names each packet's interface too (its IDB's if_name).
  const frames = new FrameBuilder(info.kind !== "pcap", info.interfaces?.some((f) => f.remote) ? info.interfaces.map((f) => f.name) : info.interfaceNames);
  const dumping = o.hex > 0 || o.hexAscii > 0 || !!o.ascii;
  const safe = o.escapedByCaller ? (s: string) => s : termSafe;

  // -#: the number tcpdump prints before the time, the frame number padded to 5 and two spaces
  const num = o.packetNumber ? (frame: number) => String(frame).padStart(5) + "  " : (_frame: number) => "";
  if (!needsTree(o)) {
    // The summary pass only: the line, and (-xx, -XX) a dump of the whole packet.
    const printer = withCtx((b, i, frame) => {
      const bad = invalidHeader(b.caplen[i], b.wirelen[i]);
      if (bad) return num(frame) + bad + "\n";
      const ctx = dis.summary(b, i, frame);
      let s = num(frame) + time.format1(b.tsSec[i], b.tsNsec[i]) + safe(ctx.info);
      if (dumping) s += packetDump(o, b.data, b.offset[i], b.offset[i] + b.caplen[i], 0);
      return s + "\n";
    }, dis.ctx);
    // The same into a Line: the dissectors wrote the line as bytes (escaped as written), no string is built.
    const writeLine: PacketPrinter["writeLine"] = (b, i, frame, out) => {
      if (o.packetNumber) out.s(num(frame));
      const bad = invalidHeader(b.caplen[i], b.wirelen[i]);
      if (bad) {
        out.s(bad);
        out.c(0x0a);
        return;
      }
      time.write1(out, b.tsSec[i], b.tsNsec[i]);
      dis.summaryInto(b, i, frame, out);
      if (dumping) out.s(packetDump(o, b.data, b.offset[i], b.offset[i] + b.caplen[i], 0));
      out.c(0x0a);
    };
    // -AA's dump keeps the packet's newlines (as tcpdump, and as the string path does), which a Line would
    // escape: that mode prints through the string.
    const asciiDump = !o.hex && !o.hexAscii && !!o.ascii;
    return asciiDump ? printer : Object.assign(printer, { writeLine });
  }

  // The last packet dissected in detail, by frame number (matches() then the print of the same frame).
  let lastFrame = -1;
  let lastBatch: PacketBatch | null = null;
  let lastView: PacketView | null = null;
  const viewOf = (b: PacketBatch, i: number, frame: number): PacketView => {
    if (frame === lastFrame && b === lastBatch && lastView) return lastView;
    const { ctx, tree } = dis.detail(b, i, frame);
    const start = b.offset[i];
    const roots = tree!.roots;
    frames.recordCaplen = b.cut?.get(i) ?? -1;
    const fnode = frames.build(ctx, start, roots, b.iface[i]);
    lastFrame = frame;
    lastBatch = b;
    const proc = o.procOf?.(frame);
    lastView = { roots: proc ? [fnode, ...roots, procNode(proc)] : [fnode, ...roots], data: b.data, start, end: start + b.caplen[i], ctx };
    return lastView;
  };
  const printer = withCtx((b, i, frame) => {
    const view = viewOf(b, i, frame);
    const { ctx, start, end } = view;
    // The time formatter keeps state (-ttt deltas): it sees every packet, shown or not, as tshark's frame times do.
    const ts = o.format === "text" && !o.detail ? num(frame) + time.format1(b.tsSec[i], b.tsNsec[i]) : "";
    if (filter && !filter(view)) return "";
    if (o.format === "json") return packetJson(view);
    if (o.format === "fields") return fieldsLine(o.fields, view);
    const bad = o.detail ? null : invalidHeader(b.caplen[i], b.wirelen[i]);
    if (bad) return num(frame) + bad + "\n"; // tcpdump: no time, no dump
    let s = o.detail ? detailText(view) : ts + safe(ctx.info);
    if (dumping) {
      let dump = packetDump(o, b.data, start, end, linkHeaderLength(view.roots, start, end)); // it passes over the frame node
      // -x/-X: each record decrypted in this frame after the frame's bytes, as tshark's "Decrypted TLS" blocks
      if ((o.hex || o.hexAscii) && ctx.plaintexts) for (const p of ctx.plaintexts) dump += sourceDump("Decrypted TLS", p);
      // After a -V tree (which ends with a blank line), the dump and another blank line, as tshark -V -x.
      s += o.detail ? dump.replace(/^\n/, "") + (dump ? "\n\n" : "") : dump;
    }
    return o.detail ? s : s + "\n";
  }, dis.ctx);
  const extra: { matches?: PacketPrinter["matches"]; bytes?: PacketPrinter["bytes"]; writeLine?: PacketPrinter["writeLine"] } = {};
  if (filter) extra.matches = (b, i, frame) => filter(viewOf(b, i, frame));
  if (o.format === "json" && !dumping) {
    if (filter || o.procOf) {
      extra.bytes = (b, i, frame) => {
        const view = viewOf(b, i, frame);
        return !filter || filter(view) ? packetJsonBytes(view) : null;
      };
    } else {
      // No display filter: the dissectors write fields straight into the JSON writer's records, no tree.
      const sink = new JsonSink();
      let ctx: Ctx = dis.ctx;
      let iface = 0;
      const frameFields = (out: (f: FieldDef, value: number | string) => void) => frames.fields(ctx, sink.has("eth", "eth.len"), iface, out, sink.timeField);
      extra.bytes = (b, i, frame) => {
        sink.begin();
        ctx = dis.into(b, i, frame, sink);
        iface = b.iface[i];
        frames.recordCaplen = b.cut?.get(i) ?? -1;
        const start = b.offset[i];
        sink.frameOffset = start;
        return sink.line(frameFields, ctx, b.data, start + b.caplen[i]);
      };
      // The same, written at the end of the caller's output buffer (no copy of the line).
      extra.writeLine = (b, i, frame, out) => {
        sink.begin();
        ctx = dis.into(b, i, frame, sink);
        iface = b.iface[i];
        frames.recordCaplen = b.cut?.get(i) ?? -1;
        const start = b.offset[i];
        sink.frameOffset = start;
        sink.lineInto(frameFields, ctx, b.data, start + b.caplen[i], out);
      };
    }
  }
  return Object.assign(printer, extra);
}

function withCtx(f: (b: PacketBatch, i: number, frame: number) => string, ctx: Ctx): PacketPrinter {
  return Object.assign(f, { ctx });
}
