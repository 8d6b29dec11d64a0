/**
 * The TUI's components. They are plain functions of their props (the Model holds the state): the list is
 * windowed (it asks for, and renders, only the rows on screen), the detail pane shows the visible part of
 * the tree, the hex pane the visible lines. Every text from a packet was escaped by the model.
 */
import React from "react";
import { Box, Text } from "ink";
import type { TreeLine } from "./model.js";
import { columns, fit, fitRight, hexLine, listHeader, rowText, treeLineText, type Row } from "./text.js";
export { hexLine, type Segment } from "./text.js";
import type { ColumnSpec } from "./columns.js";

import { protoColour as protoColourOf } from "./text.js";
export { columns, fit, fitRight, protoColour } from "./text.js";

export interface PacketListProps {
  /** rows shown */
  count: number;
  /** row r's summary (r in [0, count)); called only for the rows on screen */
  rowAt: (r: number) => Row;
  top: number;
  height: number;
  selected: number;
  width: number;
  focused?: boolean;
  /** the columns (default: Wireshark's) and the sorted one */
  columns?: ColumnSpec[];
  sort?: { column: number; desc: boolean } | null;
  /** row r is a marked packet: drawn with a '*' in its first cell, on a grey background */
  marked?: (r: number) => boolean;
  /** row r's colouring rule colours (256-colour indices), or null: the protocol's colour */
  colourAt?: (r: number) => { fg: number; bg: number } | null;
}

/** The packet list: a header line and `height` rows from `top`; whatever `count` is, only these are rendered. */
export function PacketList(p: PacketListProps): React.ReactElement {
  const c = columns(p.width, p.columns);
  const header = listHeader(c, p.sort);
  const lines: React.ReactElement[] = [];
  const end = Math.min(p.count, p.top + p.height);
  for (let r = p.top; r < end; r++) {
    const row = p.rowAt(r);
    const sel = r === p.selected;
    const mark = p.marked?.(r) ?? false;
    const text = rowText(row, c);
    const rc = sel || mark ? null : (p.colourAt?.(r) ?? null);
    const fg = sel ? undefined : mark ? "whiteBright" : rc ? `ansi256(${rc.fg})` : protoColourOf(row.proto);
    const bg = mark && !sel ? "gray" : rc ? `ansi256(${rc.bg})` : undefined;
    // a coloured row fills the width, as Wireshark's
    lines.push(
      <Text key={r} wrap="truncate" color={fg} backgroundColor={bg} inverse={sel} bold={sel && p.focused}>
        {mark ? "*" + text.slice(1) : rc ? text.padEnd(p.width, " ") : text}
      </Text>,
    );
  }
  for (let r = end; r < p.top + p.height; r++) lines.push(<Text key={"empty" + r}> </Text>);
  return (
    <Box flexDirection="column" height={p.height + 1}>
      <Text bold underline={p.focused} wrap="truncate">
        {header}
      </Text>
      {lines}
    </Box>
  );
}

export interface DetailPaneProps {
  lines: TreeLine[];
  top: number;
  height: number;
  cursor: number;
  width: number;
  focused?: boolean;
}

export function DetailPane(p: DetailPaneProps): React.ReactElement {
  const out: React.ReactElement[] = [];
  for (let i = p.top; i < Math.min(p.lines.length, p.top + p.height); i++) {
    const l = p.lines[i];
    const n = l.node;
    const sel = i === p.cursor;
    out.push(
      <Text key={l.key} wrap="truncate" inverse={sel && p.focused} underline={sel && !p.focused} bold={n.kind === "proto"}>
        {treeLineText(l)}
      </Text>,
    );
  }
  while (out.length < p.height) out.push(<Text key={"e" + out.length}> </Text>);
  return (
    <Box flexDirection="column" height={p.height}>
      {out}
    </Box>
  );
}

export interface HexPaneProps {
  bytes: Uint8Array;
  top: number;
  height: number;
  highlight: { offset: number; length: number } | null;
  focused?: boolean;
}

/** Offsets, hex and ASCII, 16 bytes a line; the highlighted range is shown inverse (hex and ASCII). */
export function HexPane(p: HexPaneProps): React.ReactElement {
  const out: React.ReactElement[] = [];
  const hs = p.highlight ? p.highlight.offset : -1;
  const he = p.highlight ? p.highlight.offset + p.highlight.length : -1;
  const lines = Math.ceil(p.bytes.length / 16);
  for (let l = p.top; l < Math.min(lines, p.top + p.height); l++) {
    const segs = hexLine(p.bytes, l, hs, he);
    out.push(
      <Text key={l} wrap="truncate">
        {segs.map((s, k) =>
          s.hl ? (
            <Text key={k} inverse color="yellow">
              {s.text}
            </Text>
          ) : (
            <Text key={k}>{s.text}</Text>
          ),
        )}
      </Text>,
    );
  }
  while (out.length < p.height) out.push(<Text key={"e" + out.length}> </Text>);
  return (
    <Box flexDirection="column" height={p.height}>
      {out}
    </Box>
  );
}

export const HELP_KEYS: [string, string][] = [
  ["↑ ↓  j k", "previous / next packet (or tree line, hex line)"],
  ["PgUp PgDn  b Space Ctrl-B", "page up / down"],
  ["g G  Home End", "first / last"],
  ["Tab  Shift-Tab", "next / previous pane: list, detail, hex"],
  ["Enter Space  → ←  l h", "expand / collapse in the detail tree"],
  ["/", "display filter (Enter applies, Esc cancels; empty clears)"],
  ["Esc", "stop a running display filter"],
  ["s", "follow the TCP/UDP stream of the selected packet (x or Tab: text / hex; Esc stops a scan, then goes back)"],
  ["c", "conversations (Ethernet, IPv4, IPv6, TCP, UDP) and protocol hierarchy; Tab switches, e endpoints, Enter follows a TCP/UDP conversation, a applies a row as the display filter"],
  ["H", "protocol hierarchy (as tshark -z io,phs)"],
  ["C", "columns: add (field names as -e takes them), delete, reorder (J/K), sort by one (Enter)"],
  ["mouse wheel, click", "scroll; click a packet to select it"],
  ["w", "save the shown packets to a pcap file"],
  [": Ctrl-G", "go to packet number"],
  ["Ctrl-F  n N", "find: display filter, hex bytes or text (Tab switches); n / N next / previous"],
  ["m  . ,  W", "mark / unmark; next / previous mark; save the marked packets"],
  ["y  Y", "copy (OSC 52): the tree line's value (list: the summary); the hex of its bytes (list: the packet)"],
  ["z", "maximise the focused pane (again: all panes; Tab switches the pane shown)"],
  ["+ -", "move the split between the list and the detail / bytes panes"],
  ["R", "colouring rules on / off (Wireshark's defaults after yours from the config file)"],
  ["p", "pause / resume the live view (capture continues)"],
  ["f", "change the capture filter (live)"],
  ["?", "this help (any key closes it)"],
  ["q", "quit (asks first if a live capture is not saved)"],
];

export function HelpOverlay(p: { height: number; width: number }): React.ReactElement {
  return (
    <Box flexDirection="column" height={p.height} borderStyle="round" paddingX={1}>
      <Text bold>tsniff TUI: keys</Text>
      {HELP_KEYS.map(([k, v]) => (
        <Text key={k} wrap="truncate">
          <Text color="cyan">{k.padEnd(24, " ")}</Text>
          {v}
        </Text>
      ))}
    </Box>
  );
}

export const COLUMNS_HELP_LINE = "j/k select  J/K move  a add  d delete  Enter sort (again: reverse)  n capture order  r defaults  Esc back";

/** The columns view: the list's columns in order, the selected one marked, the sorted one with its direction. */
export function ColumnsView(p: { columns: ColumnSpec[]; selected: number; sort: { column: number; desc: boolean } | null; height: number; width: number }): React.ReactElement {
  const out: React.ReactElement[] = [];
  const h = p.height - 2;
  const top = Math.max(0, Math.min(p.selected - h + 1, p.columns.length - h));
  for (let i = Math.max(0, top); i < p.columns.length && out.length < h; i++) {
    const c = p.columns[i];
    const what = c.kind === "field" ? `field ${c.field}` : "built-in";
    const sorted = p.sort && p.sort.column === i ? (p.sort.desc ? "sorted ▼" : "sorted ▲") : "";
    out.push(
      <Text key={i} wrap="truncate" inverse={i === p.selected}>
        {fitRight(String(i + 1), 3) + "  " + fit(c.title, 24) + " " + fit(what, 34) + " " + sorted}
      </Text>,
    );
  }
  while (out.length < h) out.push(<Text key={"e" + out.length}> </Text>);
  return (
    <Box flexDirection="column" height={p.height}>
      <Text bold wrap="truncate">
        Columns of the packet list (saved in the config file)
      </Text>
      <Text bold underline wrap="truncate">
        {fitRight("#", 3) + "  " + fit("Title", 24) + " " + fit("Kind", 34) + " Sort"}
      </Text>
      {out}
    </Box>
  );
}

export const HELP_LINE = "q quit  ? help  / filter  Tab pane  j/k move  g/G first/last  Enter expand  s stream  c conversations  H hierarchy  w save  C columns";
export const STREAM_HELP_LINE = "x text/hex  j/k PgUp/PgDn g/G scroll  Esc/q back  ? help";
export const STATS_HELP_LINE = "Tab next table  e endpoints  j/k move  Enter follow (TCP/UDP) or filter  a apply as filter  Esc/q back  ? help";

// ---------------------------------------------------------------------------------------------- follow stream

/** Colours of the two directions (as Wireshark: the side that spoke first red, the other blue). */
export const DIR_COLOURS = ["red", "blue"] as const;

export interface StreamViewProps {
  /** the conversation, e.g. "TCP 10.0.0.1:5000 ⇄ 10.0.0.2:80" */
  title: string;
  /** "A→B 3 packets 120 bytes, B→A ..." */
  summary: string;
  /** the visible lines, already escaped, with their direction (0: A→B, 1: B→A) */
  lines: { text: string; dir: number }[];
  height: number;
  width: number;
  hex: boolean;
}

/** Cuts a line into pieces of at most `width` characters (a long line wraps onto the next rows). */
export function wrapText(s: string, width: number): string[] {
  if (width <= 0) return [s];
  if (s.length <= width) return [s];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += width) out.push(s.slice(i, i + width));
  return out;
}

/** The followed stream: a title line, then the payload lines coloured by direction, wrapped to the width. */
export function StreamView(p: StreamViewProps): React.ReactElement {
  const out: React.ReactElement[] = [];
  const h = p.height - 2;
  for (let i = 0; i < p.lines.length && out.length < h; i++) {
    const l = p.lines[i];
    const pieces = p.hex ? [l.text] : wrapText(l.text, p.width);
    for (const piece of pieces) {
      if (out.length >= h) break;
      out.push(
        <Text key={out.length} wrap="truncate" color={DIR_COLOURS[l.dir] ?? "white"}>
          {piece === "" ? " " : piece}
        </Text>,
      );
    }
  }
  while (out.length < h) out.push(<Text key={"e" + out.length}> </Text>);
  return (
    <Box flexDirection="column" height={p.height}>
      <Text bold wrap="truncate">
        {`Follow ${p.title}  [${p.hex ? "hex" : "text"}]`}
      </Text>
      <Text wrap="truncate">
        <Text color={DIR_COLOURS[0]}>{p.summary.split(" | ")[0]}</Text>
        {"  "}
        <Text color={DIR_COLOURS[1]}>{p.summary.split(" | ")[1] ?? ""}</Text>
      </Text>
      {out}
    </Box>
  );
}

// ---------------------------------------------------------------------------------------------- statistics

export const STATS_TAB_TITLES: Record<string, string> = { eth: "Ethernet", ip: "IPv4", ipv6: "IPv6", tcp: "TCP", udp: "UDP", phs: "Protocol hierarchy" };

export interface StatsViewProps {
  tab: "eth" | "ip" | "ipv6" | "tcp" | "udp" | "phs";
  /** the conversation tabs show endpoints */
  endpoints?: boolean;
  /** conversation cells (convCells) or hierarchy lines */
  conv: string[][];
  phs: { depth: number; name: string; frames: number; bytes: number }[];
  top: number;
  selected: number;
  height: number;
  width: number;
}

const CONV_HEAD = ["Address A:Port", "Address B:Port", "A←B Frames", "Bytes", "A→B Frames", "Bytes", "Frames", "Bytes", "Rel Start", "Duration"];

const EP_HEAD = ["Address", "Packets", "Bytes", "Tx Packets", "Tx Bytes", "Rx Packets", "Rx Bytes"];

export function endpointLine(cells: string[], width: number): string {
  const nums = [10, 12, 10, 12, 10, 12];
  const a = Math.max(16, Math.min(45, width - nums.reduce((x, y) => x + y, 0) - 7));
  return cells.map((c, i) => (i === 0 ? fit(c, a) : fitRight(c, nums[i - 1]))).join(" ");
}

/** Column widths of the conversations table: the two endpoints share what the numbers leave. */
function convWidths(width: number): number[] {
  const nums = [10, 10, 10, 10, 8, 10, 12, 9];
  const rest = Math.max(16, width - nums.reduce((a, b) => a + b, 0) - 10);
  const ep = Math.floor(rest / 2);
  return [ep, ep, ...nums];
}

export function convLine(cells: string[], width: number): string {
  const w = convWidths(width);
  return cells.map((c, i) => (i < 2 ? fit(c, w[i]) : fitRight(c, w[i]))).join(" ");
}

/** The statistics view: tabs line, then the conversations table or the protocol hierarchy. */
export function StatsView(p: StatsViewProps): React.ReactElement {
  const out: React.ReactElement[] = [];
  const h = p.height - 2;
  // the tab shown says what it shows: "TCP conversations", "IPv4 endpoints"
  const tabs = (["eth", "ip", "ipv6", "tcp", "udp", "phs"] as const).map((t) => (
    <Text key={t} inverse={t === p.tab} bold={t === p.tab}>
      {` ${STATS_TAB_TITLES[t]}${t === p.tab && t !== "phs" ? (p.endpoints ? " endpoints" : " conversations") : ""} `}
    </Text>
  ));
  let header: string;
  if (p.tab === "phs") {
    header = fit("Protocol", Math.max(20, p.width - 24)) + fitRight("Frames", 10) + fitRight("Bytes", 14);
    for (let i = p.top; i < p.phs.length && out.length < h; i++) {
      const l = p.phs[i];
      const name = "  ".repeat(l.depth) + l.name;
      out.push(
        <Text key={i} wrap="truncate" inverse={i === p.selected}>
          {fit(name, Math.max(20, p.width - 24)) + fitRight(String(l.frames), 10) + fitRight(String(l.bytes), 14)}
        </Text>,
      );
    }
  } else if (p.endpoints) {
    header = endpointLine(EP_HEAD, p.width);
    for (let i = p.top; i < p.conv.length && out.length < h; i++) {
      out.push(
        <Text key={i} wrap="truncate" inverse={i === p.selected}>
          {endpointLine(p.conv[i], p.width)}
        </Text>,
      );
    }
  } else {
    header = convLine(CONV_HEAD, p.width);
    for (let i = p.top; i < p.conv.length && out.length < h; i++) {
      out.push(
        <Text key={i} wrap="truncate" inverse={i === p.selected}>
          {convLine(p.conv[i], p.width)}
        </Text>,
      );
    }
  }
  while (out.length < h) out.push(<Text key={"e" + out.length}> </Text>);
  return (
    <Box flexDirection="column" height={p.height}>
      <Text wrap="truncate">{tabs}</Text>
      <Text bold underline wrap="truncate">
        {header}
      </Text>
      {out}
    </Box>
  );
}
