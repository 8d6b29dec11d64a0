/**
 * Colouring rules for the packet list, as Wireshark's: an ordered list of (name, display filter, foreground,
 * background); a packet takes the colours of the first rule whose filter matches it. The user's rules (tui.json's
 * "colouring": [{"name", "filter", "fg", "bg"}]) come before Wireshark's defaults. A rule whose filter our
 * display filter engine cannot compile (a field tsniff does not have, such as tcp.analysis.flags) is left out,
 * and the reason kept so the TUI can say which.
 *
 * Colours are given as "#rrggbb" (or a 256-colour index 0-255) and drawn as the nearest of the terminal's 256
 * colours (the 6x6x6 cube and the grey ramp), so they look the same in any 256-colour terminal.
 *
 * Only rows drawn on screen are coloured (the model asks for a row's colour when it draws it, and keeps the
 * answers in a small cache): colouring never makes a pass over the whole file.
 */
import { compileDisplayFilter, type DisplayFilter } from "../filter/display.js";

export interface ColourRuleSpec {
  name: string;
  filter: string;
  /** "#rrggbb" or a 256-colour index */
  fg: string | number;
  bg: string | number;
}

export interface ColourRule {
  name: string;
  filter: string;
  /** 256-colour indices */
  fg: number;
  bg: number;
  test: DisplayFilter;
  user: boolean;
}

/** Wireshark 4.0's default colouring rules (its colorfilters file: name, filter, [background][foreground] as 16-bit RGB). */
const WIRESHARK: [string, string, number[], number[]][] = [
  ["Bad TCP", "tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack", [4718, 10030, 11796], [63479, 34695, 34695]],
  ["HSRP State Change", "hsrp.state != 8 && hsrp.state != 16", [4718, 10030, 11796], [65535, 64764, 40092]],
  ["Spanning Tree Topology  Change", "stp.type == 0x80", [4718, 10030, 11796], [65535, 64764, 40092]],
  ["OSPF State Change", "ospf.msg != 1", [4718, 10030, 11796], [65535, 64764, 40092]],
  ["ICMP errors", "icmp.type in { 3..5, 11 } || icmpv6.type in { 1..4 }", [4718, 10030, 11796], [47031, 63479, 29812]],
  ["ARP", "arp", [64250, 61680, 55255], [4718, 10030, 11796]],
  ["ICMP", "icmp || icmpv6", [64764, 57568, 65535], [4718, 10030, 11796]],
  ["TCP RST", "tcp.flags.reset eq 1", [42148, 0, 0], [65535, 64764, 40092]],
  ["SCTP ABORT", "sctp.chunk_type eq ABORT", [42148, 0, 0], [65535, 64764, 40092]],
  ["TTL low or unexpected", "(ip.dst != 224.0.0.0/4 && ip.ttl < 5 && !pim && !ospf) || (ip.dst == 224.0.0.0/24 && ip.dst != 224.0.0.251 && ip.ttl != 1 && !(vrrp || carp))", [42148, 0, 0], [60652, 61680, 60395]],
  [
    "Checksum Errors",
    'eth.fcs.status=="Bad" || ip.checksum.status=="Bad" || tcp.checksum.status=="Bad" || udp.checksum.status=="Bad" || sctp.checksum.status=="Bad" || mstp.checksum.status=="Bad" || cdp.checksum.status=="Bad" || edp.checksum.status=="Bad" || wlan.fcs.status=="Bad" || stt.checksum.status=="Bad"',
    [4718, 10030, 11796],
    [63479, 34695, 34695],
  ],
  ["SMB", "smb || nbss || nbns || netbios", [65278, 65535, 53456], [4718, 10030, 11796]],
  ["HTTP", "http || tcp.port == 80 || http2", [58596, 65535, 51143], [4718, 10030, 11796]],
  ["DCERPC", "dcerpc", [51199, 38706, 65533], [4718, 10030, 11796]],
  ["Routing", "hsrp || eigrp || ospf || bgp || cdp || vrrp || carp || gvrp || igmp || ismp", [65534, 62325, 54808], [4718, 10030, 11796]],
  ["TCP SYN/FIN", "tcp.flags & 0x02 || tcp.flags.fin == 1", [41026, 41026, 41026], [4718, 10030, 11796]],
  ["TCP", "tcp", [59345, 58980, 65535], [4718, 10030, 11796]],
  ["UDP", "udp", [56026, 61166, 65535], [4718, 10030, 11796]],
  ["Broadcast", "eth[0] & 1", [65535, 65535, 65535], [47802, 48573, 46774]],
  ["System Event", "systemd_journal || sysdig", [59110, 59110, 59110], [11565, 28527, 39578]],
];

const hex16 = (c: number[]) => "#" + c.map((v) => (v >> 8).toString(16).padStart(2, "0")).join("");

/** Wireshark's defaults as rule specs (colours as #rrggbb). */
export const DEFAULT_RULES: ColourRuleSpec[] = WIRESHARK.map(([name, filter, bg, fg]) => ({ name, filter, fg: hex16(fg), bg: hex16(bg) }));

const CUBE = [0, 95, 135, 175, 215, 255];

/** The nearest of xterm's 256 colours (16-255: the cube and the grey ramp; 0-15 vary by terminal) to r, g, b. */
export function ansi256(r: number, g: number, b: number): number {
  const near = (v: number) => CUBE.reduce((best, c, i) => (Math.abs(c - v) < Math.abs(CUBE[best] - v) ? i : best), 0);
  const ci = [near(r), near(g), near(b)];
  const cube = 16 + 36 * ci[0] + 6 * ci[1] + ci[2];
  const d = (x: number[]) => (x[0] - r) ** 2 + (x[1] - g) ** 2 + (x[2] - b) ** 2;
  const cd = d(ci.map((i) => CUBE[i]));
  const avg = (r + g + b) / 3;
  const gi = Math.max(0, Math.min(23, Math.round((avg - 8) / 10)));
  const gv = 8 + 10 * gi;
  return d([gv, gv, gv]) < cd ? 232 + gi : cube;
}

/** A colour as a 256-colour index, or an error text. */
export function parseColour(c: unknown): number | string {
  if (typeof c === "number" && Number.isInteger(c) && c >= 0 && c <= 255) return c;
  if (typeof c === "string" && /^#[0-9a-f]{6}$/i.test(c)) {
    const v = parseInt(c.slice(1), 16);
    return ansi256(v >> 16, (v >> 8) & 255, v & 255);
  }
  return `colour ${JSON.stringify(c)} is not "#rrggbb" or 0-255`;
}

export interface Compiled {
  rules: ColourRule[];
  /** rules left out, with why */
  skipped: { name: string; reason: string; user: boolean }[];
}

function compileOne(s: unknown, user: boolean, out: Compiled): void {
  const o = (s ?? {}) as Partial<ColourRuleSpec>;
  const name = typeof o.name === "string" && o.name ? o.name : "(no name)";
  if (typeof o.filter !== "string") {
    out.skipped.push({ name, reason: "no filter", user });
    return;
  }
  const fg = parseColour(o.fg ?? "#000000");
  const bg = parseColour(o.bg ?? "#ffffff");
  if (typeof fg === "string" || typeof bg === "string") {
    out.skipped.push({ name, reason: (typeof fg === "string" ? fg : bg) as string, user });
    return;
  }
  let test: DisplayFilter;
  try {
    test = compileDisplayFilter(o.filter);
  } catch (e) {
    out.skipped.push({ name, reason: (e as Error).message.split("\n")[0], user });
    return;
  }
  out.rules.push({ name, filter: o.filter, fg, bg, test, user });
}

/** The user's rules (tui.json's "colouring"), then Wireshark's defaults; the ones that do not compile are skipped. */
export function compileRules(user: unknown[] = [], defaults: ColourRuleSpec[] = DEFAULT_RULES): Compiled {
  const out: Compiled = { rules: [], skipped: [] };
  for (const s of user) compileOne(s, true, out);
  for (const s of defaults) compileOne(s, false, out);
  return out;
}

/** The first rule matching a packet's tree, or null. */
export function ruleFor(rules: ColourRule[], input: Parameters<DisplayFilter>[0]): ColourRule | null {
  for (const r of rules) {
    try {
      if (r.test(input)) return r;
    } catch {
      // a rule that fails on one packet colours nothing there
    }
  }
  return null;
}
