/**
 * The last guard between packet bytes and the terminal: whatever a dissector put in a line, nothing that
 * can move the cursor, change colours or retitle the window reaches the output. Newlines and tabs are kept
 * (multi-line -v output and the hex dump use them); every other C0 control, DEL and the C1 range
 * (U+0080..U+009F, which some terminals read as CSI) becomes a visible escape. The one-line summary is escaped
 * the same way as the dissectors write it (src/dissectors/line.ts, which holds the one definition, `ok`).
 */
import { ok } from "../dissectors/line.js";

export { ok };
const HEX = "0123456789abcdef";

/** The characters ok() refuses, as a class: one compiled search over a whole chunk of text. */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** Anything but printable ASCII, newline and tab: a simpler class the regular expression engine scans faster. */
const NOT_PLAIN = /[^\x20-\x7e\n\t]/;

/** Index of the first character termSafe would change in s, or -1. */
export function firstUnsafe(s: string): number {
  const k = s.search(NOT_PLAIN);
  if (k < 0) return -1;
  UNSAFE.lastIndex = k;
  const m = UNSAFE.exec(s);
  return m ? m.index : -1;
}

/** Printable ASCII, newline and tab only: the common case, checked by one compiled regular expression. */
const PLAIN = /^[\x20-\x7e\n\t]*$/;

/** Escapes control characters except \n and \t; cheap when there are none (returns s itself). */
export function termSafe(s: string): string {
  if (PLAIN.test(s)) return s;
  let i = 0;
  const n = s.length;
  while (i < n && ok(s.charCodeAt(i))) i++;
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (ok(c)) out += s[i];
    else if (c === 0x0d) out += "\\r";
    else if (c < 0x100) out += "\\x" + HEX[c >> 4] + HEX[c & 15];
    else out += "\\u" + c.toString(16).padStart(4, "0");
  }
  return out;
}

/** Like termSafe, and newlines and tabs escaped too: for one-line values (a tree line, a -T fields cell). */
export function lineSafe(s: string): string {
  const t = termSafe(s);
  if (t.indexOf("\n") < 0 && t.indexOf("\t") < 0) return t;
  return t.replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}

/** True when s holds a character termSafe would escape (for tests). */
export function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!ok(s.charCodeAt(i))) return true;
  return false;
}
