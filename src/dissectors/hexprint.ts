/**
 * tcpdump's hex_print (print_unknown_data): the bytes as "ident0x0000: " then " xxxx" per pair, 16 bytes a
 * line, no ASCII column. Dissectors that dump a value as tcpdump does (CDP, LLDP at -v) write it with this.
 */
import type { Line } from "./line.js";
import type { Reader } from "./reader.js";

/** Writes [p, p + n) (absolute offsets, clipped to the captured bytes) after `ident` ("\n\t  "). */
export function hexPrint(line: Line, r: Reader, ident: string, p: number, n: number): void {
  const m = Math.min(n, Math.max(0, r.cap - p));
  for (let i = 0; i < m; i += 2) {
    if (i % 16 === 0) line.s(ident).s("0x").hex(i, 4).s(": ");
    line.c(0x20).hex(r.byteAt(p + i), 2);
    if (i + 1 < m) line.hex(r.byteAt(p + i + 1), 2);
  }
}
