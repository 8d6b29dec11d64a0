/**
 * The TUI's text layout without React: pane heights, list columns and row text, protocol colours. The
 * components use it, and so does the first screen drawn with plain ANSI while Ink loads (first-screen.ts),
 * so the two draw the same characters in the same places.
 */

import type { Model, TreeLine } from "./model.js";
import { columnWidth, DEFAULT_COLUMNS, parseColumn, rightAligned, type ColumnSpec } from "./columns.js";

/** One row of the packet list (all text escaped). */
export interface Row {
  no: number;
  time: string;
  src: string;
  dst: string;
  proto: string;
  len: number;
  info: string;
  /** TCP/UDP/SCTP ports ("" when none) */
  srcport?: string;
  dstport?: string;
  /** custom columns' values by field name */
  cells?: Record<string, string>;
}

/** The smallest terminal the TUI draws in; below it, it says "terminal too small". */
export const MIN_COLS = 40;
export const MIN_ROWS = 10;

/** Pane heights for a terminal of `rows` lines (one line is left free so Ink never scrolls the screen). */
export function layout(rows: number): { list: number; detail: number; hex: number } {
  const avail = Math.max(MIN_ROWS - 6, rows - 1 - 5); // status, prompt/help line, list header, two separators
  const list = Math.max(2, Math.floor(avail * 0.45));
  const hex = Math.max(1, Math.floor(avail * 0.22));
  const detail = Math.max(1, avail - list - hex);
  return { list, detail, hex };
}

/**
 * The layout with the list moved `shift` rows down (+) or up (-) into the detail and hex panes (+ and -), kept
 * to at least 2 list rows and 1 row each for the detail and hex; the two lower panes keep their proportion.
 */
export function shiftLayout(L: { list: number; detail: number; hex: number }, shift: number): { list: number; detail: number; hex: number } {
  const pool = L.list + L.detail + L.hex;
  const list = Math.max(2, Math.min(pool - 2, L.list + shift));
  const rest = pool - list;
  const hex = Math.max(1, Math.min(rest - 1, Math.floor((rest * L.hex) / Math.max(1, L.detail + L.hex))));
  return { list, detail: rest - hex, hex };
}

/**
 * The detail and hex panes share their lines: the tree's blank lines go to the hex rows, as many as the
 * packet has (never fewer than the layout's).
 */
export function splitPanes(L: { detail: number; hex: number }, treeLines: number, hexRows: number): { detail: number; hex: number } {
  const pool = L.detail + L.hex;
  const hex = Math.max(L.hex, Math.min(hexRows, pool - Math.max(1, treeLines)));
  return { detail: pool - hex, hex };
}

/** A pane separator's label: which of `n` lines are shown from `top`, and ↓ when more follow. */
export function paneLabel(label: string, top: number, h: number, n: number): string {
  return n > h ? `${label} ${top + 1}-${Math.min(n, top + h)} of ${n}${top + h < n ? " ↓" : ""}` : label;
}

const PROTO_COLOURS: Record<string, string> = {
  TCP: "cyan",
  UDP: "blue",
  DNS: "blueBright",
  MDNS: "blueBright",
  LLMNR: "blueBright",
  HTTP: "green",
  TLS: "magenta",
  SSH: "magentaBright",
  QUIC: "magenta",
  ARP: "yellow",
  ICMP: "redBright",
  ICMPv6: "redBright",
  IGMP: "yellowBright",
  DHCP: "greenBright",
  DHCPv6: "greenBright",
  NTP: "cyanBright",
};

export function protoColour(proto: string): string {
  return PROTO_COLOURS[proto] ?? "white";
}

export function fit(s: string, w: number): string {
  if (w <= 0) return "";
  if (s.length > w) return w > 1 ? s.slice(0, w - 1) + "…" : s.slice(0, w);
  return s.padEnd(w, " ");
}

export function fitRight(s: string, w: number): string {
  return s.length >= w ? s.slice(0, w) : s.padStart(w, " ");
}

/** The list's columns laid out for a screen width: each column's spec and width (the Info column takes the rest). */
export interface Columns {
  specs: ColumnSpec[];
  widths: number[];
}

export function columns(width: number, specs: ColumnSpec[] = defaultSpecs()): Columns {
  const widths = specs.map((s) => columnWidth(s, width));
  let flex = specs.findIndex((s) => s.kind === "info");
  if (flex < 0) flex = specs.length - 1;
  if (flex >= 0) {
    const used = widths.reduce((a, w, i) => (i === flex ? a : a + w), 0) + Math.max(0, specs.length - 1);
    widths[flex] = Math.max(widths[flex] || 4, width - used);
  }
  return { specs, widths };
}

let defaults: ColumnSpec[] | null = null;
function defaultSpecs(): ColumnSpec[] {
  return (defaults ??= DEFAULT_COLUMNS.map(parseColumn));
}

/** The text of a row's cell in a column (escaped: rows are made of escaped text). */
export function cellText(r: Row, c: ColumnSpec): string {
  switch (c.kind) {
    case "no":
      return String(r.no);
    case "time":
      return r.time;
    case "src":
      return r.src;
    case "dst":
      return r.dst;
    case "proto":
      return r.proto;
    case "len":
      return String(r.len);
    case "info":
      return r.info;
    case "srcport":
      return r.srcport ?? "";
    case "dstport":
      return r.dstport ?? "";
    default:
      return r.cells?.[c.field!] ?? "";
  }
}

export function rowText(r: Row, c: Columns): string {
  return c.specs.map((s, i) => (rightAligned(s) ? fitRight(cellText(r, s), c.widths[i]) : fit(cellText(r, s), c.widths[i]))).join(" ");
}

/** The header line; `sort` marks the sorted column (▲ ascending, ▼ descending). */
export function listHeader(c: Columns, sort?: { column: number; desc: boolean } | null): string {
  return c.specs
    .map((s, i) => {
      const w = c.widths[i];
      const t = sort && sort.column === i ? s.title.slice(0, Math.max(0, w - 1)) + (sort.desc ? "▼" : "▲") : s.title;
      return rightAligned(s) ? fitRight(t, c.widths[i]) : fit(t, c.widths[i]);
    })
    .join(" ");
}

/** 1234567 -> "1,234,567" (toLocaleString's first call loads ICU's locale data: tens of milliseconds). */
export function fmtCount(n: number): string {
  const s = String(Math.trunc(n));
  const neg = s.startsWith("-") ? "-" : "";
  const d = neg ? s.slice(1) : s;
  let out = "";
  for (let k = d.length; k > 0; k -= 3) out = (k > 3 ? "," : "") + d.slice(Math.max(0, k - 3), k) + out;
  return neg + out;
}

const SPARK = "▁▂▃▄▅▆▇█";
/** samples the live rate bar keeps (one a second) */
export const RATE_SAMPLES = 512;

/**
 * The live capture's rate bar (a line of its own above the prompt line): the packets per second of the last
 * seconds as a sparkline, newest on the right, scaled to the highest of them (a second without packets is a
 * blank, one with any a bar at least ▁), then the current rate, that peak and the drops. `drops[i]` is the
 * packets dropped during second i: its bar is flagged (`dropAt`, drawn red).
 */
export function rateBar(rates: readonly number[], drops: readonly number[], dropped: number, width: number): { head: string; spark: string; dropAt: boolean[]; tail: string } {
  const head = "pkt/s ";
  const now = rates.length ? rates[rates.length - 1] : 0;
  const recent = drops.slice(-10).reduce((a, b) => a + b, 0);
  const tailOf = (peak: number) => ` ${fmtCount(Math.round(now))} now, peak ${fmtCount(Math.round(peak))} | dropped ${fmtCount(dropped)}${recent ? ` (+${fmtCount(recent)} in 10 s)` : ""}`;
  // the sparkline has the room the text leaves (the text measured with the peak of every sample: no shorter)
  const n = Math.max(0, Math.min(rates.length, width - head.length - tailOf(Math.max(0, ...rates)).length));
  const shown = rates.slice(rates.length - n);
  const peak = Math.max(0, ...shown);
  const spark = shown.map((v) => (v <= 0 ? " " : SPARK[Math.min(7, Math.max(0, Math.ceil((v / peak) * 8) - 1))])).join("");
  const dropAt = drops.slice(drops.length - n).map((d) => d > 0);
  while (dropAt.length < n) dropAt.unshift(false);
  return { head, spark, dropAt, tail: tailOf(peak) };
}

export function statusText(m: Model): string {
  const s = m.status;
  const parts: string[] = [];
  parts.push(s.mode === "live" ? `live ${s.name}` : s.name);
  if (s.captureFilter) parts.push(`capture: ${s.captureFilter}`);
  if (m.filterText) parts.push(`filter: ${m.filterText}`);
  parts.push(`shown ${fmtCount(m.shownCount())} / ${fmtCount(m.rows.count())}`);
  if (s.mode === "file" && !s.done) parts.push(`indexing ${Math.floor(s.progress * 100)}%`);
  if (m.filterProgress >= 0) parts.push(`filtering ${Math.floor(m.filterProgress * 100)}% (Esc stops)`);
  if (m.scanProgress >= 0) parts.push(`${m.scanLabel()} ${Math.floor(m.scanProgress * 100)}% (Esc stops)`);
  const numbering = m.catchUpProgress();
  if (numbering >= 0) parts.push(`numbering streams ${Math.floor(numbering * 100)}%`);
  if (s.mode === "live") {
    parts.push(`${fmtCount(Math.round(s.rate))} pkt/s`);
    parts.push(`dropped ${fmtCount(s.dropped)}${s.ifDropped ? ` (+${fmtCount(s.ifDropped)} by interface)` : ""}`);
    if (m.pausedAt >= 0) parts.push("PAUSED");
    else if (m.follow) parts.push("following");
    if (!s.saved) parts.push("unsaved");
  }
  if (s.down) parts.push(`down: ${s.down}`);
  if (s.error) parts.push(`error: ${s.error}`);
  return parts.join(" | ");
}


const HEX = "0123456789abcdef";

export interface Segment {
  text: string;
  hl: boolean;
}

/**
 * Line `l` of the hex pane (bytes l*16 .. l*16+15): offset, hex, ASCII (printable bytes only, '.' for the
 * rest), as runs of text that are or are not in the highlighted range [hs, he).
 */
export function hexLine(bytes: Uint8Array, l: number, hs: number, he: number): Segment[] {
  const segs: Segment[] = [];
  const push = (text: string, hl: boolean) => {
    const last = segs[segs.length - 1];
    if (last && last.hl === hl) last.text += text;
    else segs.push({ text, hl });
  };
  push((l * 16).toString(16).padStart(4, "0") + "  ", false);
  const base = l * 16;
  for (let j = 0; j < 16; j++) {
    const i = base + j;
    const sep = j === 15 ? "" : j === 7 ? "  " : " ";
    if (i >= bytes.length) {
      push("  " + sep, false);
      continue;
    }
    const hl = i >= hs && i < he;
    const b = bytes[i];
    push(HEX[b >> 4] + HEX[b & 15], hl);
    // the gap is highlighted when the bytes on both sides are
    push(sep, hl && i + 1 < he && i + 1 < bytes.length && j !== 15);
  }
  push("  ", false);
  for (let j = 0; j < 16 && base + j < bytes.length; j++) {
    const i = base + j;
    const b = bytes[i];
    push(b > 0x20 && b < 0x7f ? String.fromCharCode(b) : ".", i >= hs && i < he);
  }
  return segs;
}

/** A line of the detail tree as the detail pane shows it: indent, ▸/▾ for a node with children, label (and value). */
export function treeLineText(l: TreeLine): string {
  const n = l.node;
  const mark = l.hasChildren ? (l.open ? "▾ " : "▸ ") : "  ";
  const text = n.kind === "field" && (n.display !== "" || n.value !== null) ? `${n.label}: ${n.display}` : n.label;
  return "  ".repeat(l.depth) + mark + text.replace(/[\x00-\x1f\x7f-\x9f]/g, "."); // labels come escaped; belt and braces for a one-line row
}
