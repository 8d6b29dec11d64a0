/**
 * The TUI's text layout without React: pane heights, list columns and row text, protocol colours. The
 * components use it, and so does the first screen drawn with plain ANSI while Ink loads (first-screen.ts),
 * so the two draw the same characters in the same places.
 */

import type { Model } from "./model.js";

/** One row of the packet list (all text escaped). */
export interface Row {
  no: number;
  time: string;
  src: string;
  dst: string;
  proto: string;
  len: number;
  info: string;
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

export interface Columns {
  no: number;
  time: number;
  src: number;
  dst: number;
  proto: number;
  len: number;
  info: number;
}

export function columns(width: number): Columns {
  const addr = width >= 140 ? 24 : width >= 110 ? 18 : width >= 90 ? 15 : 12;
  const c = { no: 8, time: 12, src: addr, dst: addr, proto: 8, len: 6, info: 0 };
  c.info = Math.max(4, width - (c.no + c.time + c.src + c.dst + c.proto + c.len) - 6);
  return c;
}

export function rowText(r: Row, c: Columns): string {
  return [fitRight(String(r.no), c.no), fit(r.time, c.time), fit(r.src, c.src), fit(r.dst, c.dst), fit(r.proto, c.proto), fitRight(String(r.len), c.len), fit(r.info, c.info)].join(" ");
}


export function listHeader(c: Columns): string {
  return [fitRight("No.", c.no), fit("Time", c.time), fit("Source", c.src), fit("Destination", c.dst), fit("Protocol", c.proto), fitRight("Length", c.len), fit("Info", c.info)].join(" ");
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
  if (s.mode === "live") {
    parts.push(`${fmtCount(Math.round(s.rate))} pkt/s`);
    parts.push(`dropped ${fmtCount(s.dropped)}${s.ifDropped ? ` (+${fmtCount(s.ifDropped)} by interface)` : ""}`);
    if (m.pausedAt >= 0) parts.push("PAUSED");
    else if (m.follow) parts.push("following");
    if (!s.saved) parts.push("unsaved");
  }
  if (s.error) parts.push(`error: ${s.error}`);
  return parts.join(" | ");
}

