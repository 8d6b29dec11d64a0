/**
 * tcpdump's packet dumps, byte for byte (print-ascii.c): -x hex, -X hex and ASCII, -A ASCII.
 *
 *   -x  "\n\t0x0000:  4500 003c 1c46 4000 4006 b1e6 ac10 0a63"
 *   -X  "\n\t0x0000:  4500 003c 1c46 4000 4006 b1e6 ac10 0a63  E..<.F@.@......c"
 *   -A  "\n" then the bytes, printable ASCII, space, tab and newline as they are, others as '.', a CR
 *       before a newline (or near the end) dropped.
 *
 * Each dump begins with a newline and has none at the end, as tcpdump appends it to the summary line.
 * Only printable ASCII ever comes out of a dump: no packet byte reaches the terminal as a control character.
 */
const HEX = "0123456789abcdef";

function graph(c: number): boolean {
  return c > 0x20 && c < 0x7f;
}

function h2(c: number): string {
  return HEX[c >> 4] + HEX[c & 15];
}

function off4(n: number): string {
  const s = n.toString(16);
  return s.length >= 4 ? s : "0000".slice(s.length) + s;
}

/** tcpdump -x: 16 bytes a line, in groups of two. */
export function hexDump(d: Uint8Array, start: number, end: number, offset = 0): string {
  let out = "";
  let i = 0;
  let p = start;
  for (; p + 1 < end; p += 2) {
    if (i++ % 8 === 0) {
      out += "\n\t0x" + off4(offset) + ": ";
      offset += 16;
    }
    out += " " + h2(d[p]) + h2(d[p + 1]);
  }
  if (p < end) {
    if (i % 8 === 0) out += "\n\t0x" + off4(offset) + ": ";
    out += " " + h2(d[p]);
  }
  return out;
}

/** tcpdump -X: the hex of -x padded to 40 columns, two spaces, then the printable bytes ('.' for others). */
export function hexAsciiDump(d: Uint8Array, start: number, end: number, offset = 0): string {
  let out = "";
  let hex = "";
  let asc = "";
  for (let p = start; p < end; p += 16) {
    const e = Math.min(end, p + 16);
    hex = "";
    asc = "";
    let q = p;
    for (; q + 1 < e; q += 2) {
      hex += " " + h2(d[q]) + h2(d[q + 1]);
      asc += (graph(d[q]) ? String.fromCharCode(d[q]) : ".") + (graph(d[q + 1]) ? String.fromCharCode(d[q + 1]) : ".");
    }
    if (q < e) {
      hex += " " + h2(d[q]);
      asc += graph(d[q]) ? String.fromCharCode(d[q]) : ".";
    }
    out += "\n\t0x" + off4(offset) + ": " + hex.padEnd(40, " ") + "  " + asc;
    offset += 16;
  }
  return out;
}

/**
 * A data source's bytes as tshark -x prints them after the frame's ("Decrypted TLS (64 bytes):"): a title
 * line, then 16 bytes a line: the offset (4 hex digits, more when needed), two spaces, the bytes in hex
 * separated by spaces (padded on the last line), three spaces and the printable ASCII ('.' for others).
 * Begins with a newline and has none at the end, like the dumps above.
 */
export function sourceDump(title: string, d: Uint8Array): string {
  let out = `\n${title} (${d.length} byte${d.length === 1 ? "" : "s"}):`;
  const width = Math.max(4, (d.length - 1).toString(16).length);
  for (let p = 0; p < d.length; p += 16) {
    const e = Math.min(d.length, p + 16);
    let hex = "";
    let asc = "";
    for (let q = p; q < e; q++) {
      hex += (q > p ? " " : "") + h2(d[q]);
      asc += d[q] >= 0x20 && d[q] < 0x7f ? String.fromCharCode(d[q]) : ".";
    }
    out += "\n" + p.toString(16).padStart(width, "0") + "  " + hex.padEnd(47, " ") + "   " + asc;
  }
  return out;
}

/** tcpdump -A. */
export function asciiDump(d: Uint8Array, start: number, end: number): string {
  let out = "\n";
  let run = start; // start of a run of bytes copied as they are
  const flush = (p: number) => {
    if (p > run) out += latin1(d, run, p);
  };
  for (let p = start; p < end; p++) {
    const c = d[p];
    if (graph(c) || c === 0x20 || c === 0x09 || c === 0x0a) continue;
    flush(p);
    run = p + 1;
    if (c === 0x0d) {
      // tcpdump drops a CR before a newline, and one of the last two bytes; elsewhere it is a '.'.
      const left = end - p - 1;
      if (left > 1 && d[p + 1] !== 0x0a) out += ".";
    } else out += ".";
  }
  flush(end);
  return out;
}

function latin1(d: Uint8Array, a: number, b: number): string {
  let s = "";
  for (let i = a; i < b; i += 4096) s += String.fromCharCode.apply(null, Array.from(d.subarray(i, Math.min(b, i + 4096))));
  return s;
}

export interface DumpOptions {
  /** -x count */
  hex: number;
  /** -X count */
  hexAscii: number;
  /** -A (true or 1), -AA (2: with the link-layer header) */
  ascii: boolean | number;
}

/**
 * The dump tcpdump appends for these options, given the packet's captured bytes d[start, end) and the
 * length of its link-layer header: -X wins over -x, which wins over -A (as in tcpdump's print.c); a doubled
 * flag (-xx, -XX, -AA) includes the link-layer header. "" when no dump is asked for, or when nothing follows the
 * link-layer header.
 */
export function packetDump(o: DumpOptions, d: Uint8Array, start: number, end: number, linkLen: number): string {
  const mode = o.hexAscii ? "X" : o.hex ? "x" : o.ascii ? "A" : "";
  if (!mode) return "";
  const whole = mode === "X" ? o.hexAscii > 1 : mode === "x" ? o.hex > 1 : Number(o.ascii) > 1;
  let s = start;
  if (!whole) {
    if (end - start <= linkLen) return "";
    s = start + linkLen;
  }
  if (mode === "X") return hexAsciiDump(d, s, end);
  if (mode === "x") return hexDump(d, s, end);
  return asciiDump(d, s, end);
}
