/**
 * The packet list's columns: the built-in ones (No., Time, Source, Destination, Protocol, Length, Info, and
 * the ports) and custom columns named by a field as `-e` takes it (`proc.comm`, `frame.interface_name`,
 * `tcp.stream`). The list's column set is kept in the TUI's config file (./config.ts).
 *
 * The Info column is Wireshark's for TCP and UDP (`50206 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 ...`),
 * built from the packet's tree; other protocols keep the dissector's summary.
 */
import { getField, getProtocol } from "../dissectors/registry.js";
import type { TreeNode } from "../dissectors/tree.js";
import { fieldText, hexOf, nodeBytes } from "../output/values.js";

export type BuiltinColumn = "no" | "time" | "src" | "dst" | "proto" | "len" | "info" | "srcport" | "dstport";

export interface ColumnSpec {
  /** a built-in column, or "field" for a custom one */
  kind: BuiltinColumn | "field";
  /** the custom column's field (or protocol) name */
  field?: string;
  title: string;
}

const BUILTIN: Record<BuiltinColumn, { title: string; names: string[] }> = {
  no: { title: "No.", names: ["no", "no.", "number"] },
  time: { title: "Time", names: ["time"] },
  src: { title: "Source", names: ["src", "source"] },
  dst: { title: "Destination", names: ["dst", "destination"] },
  proto: { title: "Protocol", names: ["proto", "protocol"] },
  len: { title: "Length", names: ["len", "length"] },
  info: { title: "Info", names: ["info"] },
  srcport: { title: "Src port", names: ["srcport", "src port", "source port"] },
  dstport: { title: "Dst port", names: ["dstport", "dst port", "destination port"] },
};

/** The columns of a fresh config: Wireshark's defaults. */
export const DEFAULT_COLUMNS = ["no", "time", "src", "dst", "proto", "len", "info"];

/**
 * The Host column: the packet's source, `web1:eth0` for a remote host, `eth0` for a local interface
 * (frame.interface_name, as -e takes it; "host" in the config is the same column). A live capture from
 * several sources shows it by default (after Time); a file or one interface has it in the columns view.
 */
export const HOST_FIELD = "frame.interface_name";

export class ColumnError extends Error {}

/** A column from its config name: a built-in name, or a field / protocol name as -e takes it. Throws ColumnError. */
export function parseColumn(name: string): ColumnSpec {
  const n = name.trim();
  const low = n.toLowerCase();
  for (const [kind, b] of Object.entries(BUILTIN) as [BuiltinColumn, { title: string; names: string[] }][]) {
    if (b.names.includes(low)) return { kind, title: b.title };
  }
  if (low === "host" || n === HOST_FIELD) return { kind: "field", field: HOST_FIELD, title: "Host" };
  if (!getField(n) && !getProtocol(n)) throw new ColumnError(`unknown field: ${n} (a column is a field name as -e takes it, or one of ${Object.keys(BUILTIN).join(", ")})`);
  return { kind: "field", field: n, title: n };
}

/** The config name of a column (parseColumn's inverse). */
export function columnName(c: ColumnSpec): string {
  return c.kind === "field" ? c.field! : c.kind;
}

/** Parses a config's column list; unknown names are left out and reported in `errors`. */
export function parseColumns(names: readonly unknown[]): { columns: ColumnSpec[]; errors: string[] } {
  const columns: ColumnSpec[] = [];
  const errors: string[] = [];
  for (const n of names) {
    try {
      if (typeof n !== "string") throw new ColumnError(`not a column name: ${JSON.stringify(n)}`);
      columns.push(parseColumn(n));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { columns, errors };
}

/** The values of a custom column's field in a packet, as -T fields prints them (repeated ones joined with ","). */
export function fieldCell(idx: Map<string, TreeNode[]>, name: string, data: Uint8Array): string {
  const nodes = idx.get(name);
  if (!nodes) return "";
  let s = "";
  for (let j = 0; j < nodes.length; j++) {
    if (j) s += ",";
    const n = nodes[j];
    s += n.kind === "proto" ? hexOf(nodeBytes(n, data, data.length)) : fieldText(n, data, data.length);
  }
  return s;
}

function num(idx: Map<string, TreeNode[]>, name: string, at = 0): number | null {
  const v = idx.get(name)?.[at]?.value;
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null;
}

const FLAG_NAMES: [number, string][] = [
  [0x001, "FIN"],
  [0x002, "SYN"],
  [0x004, "RST"],
  [0x008, "PSH"],
  [0x010, "ACK"],
  [0x020, "URG"],
  [0x040, "ECE"],
  [0x080, "CWR"],
  [0x100, "AE"],
];

/**
 * Window scale shifts seen in SYNs, per TCP stream and direction, so that Win= is the scaled window as
 * Wireshark's (once both SYNs were seen: until then, and in the SYNs, the raw value). Packets are visited in
 * any order by the list; a stream whose SYNs were not yet visited shows raw windows.
 */
export class WindowScales {
  private m = new Map<string, number>();
  set(stream: number, fromLow: boolean, shift: number): void {
    this.m.set(`${stream}:${fromLow ? 0 : 1}`, shift);
  }
  get(stream: number, fromLow: boolean): number | undefined {
    return this.m.get(`${stream}:${fromLow ? 0 : 1}`);
  }
}

/** Wireshark's Info for a TCP segment without an application summary; null when the packet has no TCP layer. */
export function tcpInfo(idx: Map<string, TreeNode[]>, ws?: WindowScales): string | null {
  const sp = num(idx, "tcp.srcport");
  const dp = num(idx, "tcp.dstport");
  if (sp === null || dp === null) return null;
  const flags = num(idx, "tcp.flags") ?? 0;
  const names = FLAG_NAMES.filter(([b]) => flags & b).map(([, n]) => n);
  // Wireshark orders them FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE
  let s = `${sp} → ${dp} [${names.join(", ")}]`;
  const seq = num(idx, "tcp.seq");
  const ack = num(idx, "tcp.ack");
  const len = num(idx, "tcp.len") ?? 0;
  let win = num(idx, "tcp.window_size_value") ?? 0;
  const stream = num(idx, "tcp.stream");
  const shift = num(idx, "tcp.options.wscale.shift");
  if (ws && stream !== null) {
    const fromLow = sp < dp || (sp === dp && false);
    if (flags & 0x002) {
      if (shift !== null) ws.set(stream, fromLow, shift);
      else ws.set(stream, fromLow, -1);
    } else {
      const mine = ws.get(stream, fromLow);
      const theirs = ws.get(stream, !fromLow);
      if (mine !== undefined && theirs !== undefined && mine >= 0 && theirs >= 0) win = win * 2 ** mine;
    }
  }
  if (seq !== null) s += ` Seq=${seq}`;
  if (ack !== null && flags & 0x010) s += ` Ack=${ack}`;
  s += ` Win=${win}`;
  if (flags & 0x020) s += ` Urg=${num(idx, "tcp.urgent_pointer") ?? 0}`;
  s += ` Len=${len}`;
  // the options in the order they are in the header, as Wireshark lists them; SACK edges relative as Ack is
  const ackBase = ack !== null ? ((num(idx, "tcp.ack_raw") ?? ack) - ack) >>> 0 : 0;
  const opts: [number, string][] = [];
  const each = (name: string, text: (n: TreeNode, i: number) => string) => idx.get(name)?.forEach((n, i) => opts.push([n.offset, text(n, i)]));
  each("tcp.options.mss_val", (n) => `MSS=${n.value}`);
  each("tcp.options.sack_perm", () => "SACK_PERM");
  each("tcp.options.sack_le", (n, i) => `SLE=${((num(idx, "tcp.options.sack_le", i) ?? 0) - ackBase) >>> 0} SRE=${((num(idx, "tcp.options.sack_re", i) ?? 0) - ackBase) >>> 0}`);
  each("tcp.options.timestamp.tsval", () => `TSval=${num(idx, "tcp.options.timestamp.tsval")} TSecr=${num(idx, "tcp.options.timestamp.tsecr") ?? 0}`);
  if (shift !== null) each("tcp.options.wscale.shift", () => `WS=${2 ** shift}`);
  opts.sort((a, b) => a[0] - b[0]);
  for (const [, t] of opts) s += " " + t;
  return s;
}

/** Wireshark's Info for a UDP datagram without an application summary; null when there is no UDP layer. */
export function udpInfo(idx: Map<string, TreeNode[]>): string | null {
  const sp = num(idx, "udp.srcport");
  const dp = num(idx, "udp.dstport");
  if (sp === null || dp === null) return null;
  const len = num(idx, "udp.length");
  return `${sp} → ${dp} Len=${len !== null ? Math.max(0, len - 8) : 0}`;
}

/** Fixed widths of the built-in columns (addresses by the screen's width); the Info column takes the rest. */
export function columnWidth(c: ColumnSpec, screen: number): number {
  const addr = screen >= 140 ? 24 : screen >= 110 ? 18 : screen >= 90 ? 15 : 12;
  switch (c.kind) {
    case "no":
      return 8;
    case "time":
      return 12;
    case "src":
    case "dst":
      return addr;
    case "proto":
      return 8;
    case "len":
      return 6;
    case "srcport":
    case "dstport":
      return 8;
    case "info":
      return 0;
    default:
      if (c.field === HOST_FIELD) return 16;
      return Math.max(8, Math.min(24, c.title.length));
  }
}

/** Right-aligned columns (numbers). */
export function rightAligned(c: ColumnSpec): boolean {
  return c.kind === "no" || c.kind === "len" || c.kind === "srcport" || c.kind === "dstport";
}
