/**
 * The last guard between packet bytes and the terminal: whatever a dissector put in a line, nothing that
 * can move the cursor, change colours or retitle the window reaches the output. Newlines and tabs are kept
 * (multi-line -v output and the hex dump use them); every other C0 control, DEL and the C1 range
 * (U+0080..U+009F, which some terminals read as CSI) becomes a visible escape.
 */
const HEX = "0123456789abcdef";

/** True when c may be written as is. */
function ok(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x09 || (c >= 0xa0 && c !== 0x2028 && c !== 0x2029 && c !== 0xfeff && !(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069));
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
