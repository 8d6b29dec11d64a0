/**
 * Display filters (-Y): Wireshark's display-filter language over the dissected fields, for the common cases.
 *
 *   tcp.port == 80 && ip.addr == 10.0.0.0/8      comparisons: == != === !== < > <= >= (eq ne all_eq any_ne lt gt le ge)
 *   dns || !(udp.length > 100)                    and/&&, or/||, xor/^^, not/!, parentheses
 *   tcp.flags.syn                                 a bare field or protocol: true when present
 *   tcp.flags & 0x02                              bitwise and: true when any bit is set
 *   http contains "GET"   frame matches "(?i)abc" substring of a string or of bytes; regular expressions
 *   tcp.port in {80 443 8000..8080}               set membership (values and ranges)
 *   ip.src == ip.dst                              a field on the right compares field with field
 * Literals: decimal, 0x hex and 0-prefixed octal integers, value names ("ip.proto == TCP"), quoted strings with
 * C escapes, true/false/1/0, IPv4/IPv6 addresses and CIDR blocks, MAC addresses, bytes "aa:bb:cc".
 *
 * Semantics, as Wireshark 4: a field may occur more than once in a packet (ip.addr holds the source and the
 * destination, tcp.port both ports). `==`, ordering, contains, matches and in are true when ANY occurrence
 * matches; `!=` is "all not equal": true when the field is present and NO occurrence equals the value (so
 * `ip.addr != 10.0.0.1` excludes every packet from or to 10.0.0.1, and is false when there is no ip.addr);
 * `!==` is "any not equal"; `===` is "all equal". Every comparison with an absent field is false.
 *
 * Names are checked when the filter is compiled: an unknown name is an error, as is a value that does not fit
 * the field's type. Errors are DisplayFilterError, with the 1-based character position in the message.
 */
import { getField, getProtocol } from "../dissectors/registry.js";
import type { FieldDef, FieldType } from "../dissectors/types.js";
import type { TreeNode } from "../dissectors/tree.js";
// The frame pseudo-protocol (frame.len, frame.number, ...) is declared with the outputs; import it so that
// its fields are known to every filter.
import "../output/frame.js";

/** What a compiled filter looks at: the packet's nodes (frame node included) and the bytes they point into. */
export interface FilterInput {
  roots: readonly TreeNode[];
  data: Uint8Array;
  /** end of the captured bytes in data (default: data.length) */
  end?: number;
}

export type DisplayFilter = (p: FilterInput) => boolean;

export class DisplayFilterError extends Error {
  /** for the CLI: an error with a code is printed as one line */
  readonly code = "EDISPLAYFILTER";
  constructor(
    /** 1-based character position in the filter text */
    readonly pos: number,
    readonly detail: string,
  ) {
    super(`display filter error at ${pos}: ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------- tokens

type TokKind = "word" | "string" | "op" | "lparen" | "rparen" | "lbrace" | "rbrace" | "comma" | "lbracket" | "rbracket" | "end";
interface Tok {
  kind: TokKind;
  text: string;
  /** 0-based */
  pos: number;
  /** for strings: the decoded value */
  value?: string;
}

const OPS = ["===", "!==", "==", "!=", "<=", ">=", "~=", "&&", "||", "^^", "..", "<", ">", "!", "~", "&"];
const WORD_STOP = new Set([..." \t\r\n()!=<>&|{}\",~[]^"]);

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const pos = i;
    if (c === "(") out.push({ kind: "lparen", text: c, pos }), i++;
    else if (c === ")") out.push({ kind: "rparen", text: c, pos }), i++;
    else if (c === "{") out.push({ kind: "lbrace", text: c, pos }), i++;
    else if (c === "}") out.push({ kind: "rbrace", text: c, pos }), i++;
    else if (c === ",") out.push({ kind: "comma", text: c, pos }), i++;
    else if (c === "[") out.push({ kind: "lbracket", text: c, pos }), i++;
    else if (c === "]") out.push({ kind: "rbracket", text: c, pos }), i++;
    else if (c === '"') {
      let v = "";
      i++;
      for (;;) {
        if (i >= s.length) throw new DisplayFilterError(pos + 1, "unterminated string: expected a closing '\"'");
        const d = s[i];
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\") {
          const e = s[i + 1];
          if (e === undefined) throw new DisplayFilterError(i + 1, "unterminated string: expected a closing '\"'");
          if (e === "x" && /^[0-9a-fA-F]{1,2}/.test(s.slice(i + 2))) {
            const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 2))![0];
            v += String.fromCharCode(parseInt(m, 16));
            i += 2 + m.length;
            continue;
          }
          if (/[0-7]/.test(e)) {
            const m = /^[0-7]{1,3}/.exec(s.slice(i + 1))![0];
            v += String.fromCharCode(parseInt(m, 8) & 0xff);
            i += 1 + m.length;
            continue;
          }
          const esc: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "\\": "\\", '"': '"', "'": "'" };
          if (esc[e] === undefined) throw new DisplayFilterError(i + 1, `unknown escape sequence '\\${e}' in a string`);
          v += esc[e];
          i += 2;
          continue;
        }
        v += d;
        i++;
      }
      out.push({ kind: "string", text: s.slice(pos, i), pos, value: v });
    } else {
      const op = OPS.find((o) => s.startsWith(o, i));
      if (op && op !== "..") {
        out.push({ kind: "op", text: op, pos });
        i += op.length;
        continue;
      }
      let j = i;
      while (j < s.length && !WORD_STOP.has(s[j])) j++;
      if (j === i) throw new DisplayFilterError(pos + 1, `unexpected character '${printable(c)}'`);
      out.push({ kind: "word", text: s.slice(i, j), pos });
      i = j;
    }
  }
  out.push({ kind: "end", text: "", pos: s.length });
  return out;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0"));
}

// ---------------------------------------------------------------------------------------------- values

/** A value ready to compare, in the field's type. */
type Val =
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  | { t: "bytes"; v: Uint8Array }
  | { t: "ip4"; v: number; bits: number }
  | { t: "ip6"; v: Uint8Array; bits: number };

type Kind = "num" | "str" | "bytes" | "ip4" | "ip6" | "proto" | "none";

function kindOf(f: FieldDef | undefined): Kind {
  if (!f) return "proto";
  const k: Record<FieldType, Kind> = {
    uint: "num",
    int: "num",
    float: "num",
    bool: "num",
    time: "num",
    string: "str",
    bytes: "bytes",
    ether: "bytes",
    ipv4: "ip4",
    ipv6: "ip6",
    none: "none",
  };
  return k[f.type];
}

function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return null;
    v = v * 256 + b;
  }
  return v;
}

export function parseIPv6(s: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.indexOf(":") < 0) return null;
  let tail4: number | null = null;
  let t = s;
  const lastColon = t.lastIndexOf(":");
  if (t.indexOf(".", lastColon) > 0) {
    tail4 = parseIPv4(t.slice(lastColon + 1));
    if (tail4 === null) return null;
    t = t.slice(0, lastColon + 1) + "0:0";
  }
  const halves = t.split("::");
  if (halves.length > 2) return null;
  const part = (h: string) => (h === "" ? [] : h.split(":"));
  const a = part(halves[0]);
  const b = halves.length === 2 ? part(halves[1]) : [];
  const groups = halves.length === 2 ? 8 - a.length - b.length : 0;
  if ((halves.length === 1 && a.length !== 8) || groups < 0 || (halves.length === 2 && groups < 1)) return null;
  const all = [...a, ...Array(groups).fill("0"), ...b];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return null;
    const g = parseInt(all[i], 16);
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  }
  if (tail4 !== null) {
    out[12] = tail4 >>> 24;
    out[13] = (tail4 >>> 16) & 255;
    out[14] = (tail4 >>> 8) & 255;
    out[15] = tail4 & 255;
  }
  return out;
}

/** "aa:bb:cc", "aa-bb-cc", "aabb.ccdd", "aabbcc" (pairs of hex digits). */
function parseHexBytes(s: string): Uint8Array | null {
  let h: string;
  if (/^[0-9a-fA-F]{1,2}([:\-.][0-9a-fA-F]{1,2})*$/.test(s)) h = s.split(/[:\-.]/).map((x) => x.padStart(2, "0")).join("");
  else if (/^([0-9a-fA-F]{4})(\.[0-9a-fA-F]{4})+$/.test(s)) h = s.replace(/\./g, "");
  else if (/^(0x)?([0-9a-fA-F]{2})+$/.test(s)) h = s.replace(/^0x/, "");
  else return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function parseInteger(s: string): number | null {
  let m: RegExpExecArray | null;
  if ((m = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(s))) return (m[1] === "-" ? -1 : 1) * parseInt(m[2], 16);
  if ((m = /^([+-]?)0([0-7]+)$/.exec(s))) return (m[1] === "-" ? -1 : 1) * parseInt(m[2], 8);
  if ((m = /^([+-]?)0[bB]([01]+)$/.exec(s))) return (m[1] === "-" ? -1 : 1) * parseInt(m[2], 2);
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  if (/^[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return null;
}

function latin1Bytes(s: string): Uint8Array {
  // Strings in filters are UTF-8 on the wire; escapes (\xff) give single bytes.
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) ascii = false;
  if (!ascii) return new TextEncoder().encode(s);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Converts a literal to a value of the field's kind; throws DisplayFilterError at the literal. */
function literal(tok: Tok, f: FieldDef | undefined, kind: Kind, allowCidr: boolean): Val {
  const text = tok.kind === "string" ? tok.value! : tok.text;
  const at = tok.pos + 1;
  const name = f?.name ?? "this protocol";
  const bad = (what: string): never => {
    throw new DisplayFilterError(at, `'${printable(text)}' is not a valid ${what} (for ${name})`);
  };
  switch (kind) {
    case "num": {
      if (f?.type === "bool") {
        const l = text.toLowerCase();
        if (l === "true" || l === "1") return { t: "num", v: 1 };
        if (l === "false" || l === "0") return { t: "num", v: 0 };
        return bad("boolean (true, false, 1 or 0)");
      }
      const n = parseInteger(text);
      if (n !== null && (f?.type !== "uint" || Number.isInteger(n))) return { t: "num", v: n };
      if (f?.values) {
        const l = text.toLowerCase();
        for (const [k, v] of Object.entries(f.values)) if (v.toLowerCase() === l) return { t: "num", v: Number(k) };
      }
      return bad(f?.type === "time" || f?.type === "float" ? "number" : "integer");
    }
    case "str":
      return { t: "str", v: text };
    case "bytes":
    case "proto": {
      if (tok.kind === "string") return { t: "bytes", v: latin1Bytes(text) };
      const b = parseHexBytes(text);
      if (!b || (f?.type === "ether" && b.length !== 6)) return bad(f?.type === "ether" ? "MAC address" : "byte string (aa:bb:cc)");
      return { t: "bytes", v: b };
    }
    case "ip4": {
      const [a, m, extra] = text.split("/");
      const v = parseIPv4(a);
      if (v === null || extra !== undefined) return bad("IPv4 address");
      let bits = 32;
      if (m !== undefined) {
        if (!allowCidr) throw new DisplayFilterError(at, `a CIDR block can only be compared with == or != (or in a set)`);
        if (!/^\d{1,2}$/.test(m) || Number(m) > 32) return bad("IPv4 prefix length");
        bits = Number(m);
      }
      return { t: "ip4", v, bits };
    }
    case "ip6": {
      const [a, m, extra] = text.split("/");
      const v = parseIPv6(a);
      if (!v || extra !== undefined) return bad("IPv6 address");
      let bits = 128;
      if (m !== undefined) {
        if (!allowCidr) throw new DisplayFilterError(at, `a CIDR block can only be compared with == or != (or in a set)`);
        if (!/^\d{1,3}$/.test(m) || Number(m) > 128) return bad("IPv6 prefix length");
        bits = Number(m);
      }
      return { t: "ip6", v, bits };
    }
    case "none":
      throw new DisplayFilterError(at, `${name} has no value to compare: test it alone ("${name}")`);
  }
}

/** The value of one node, in its kind; null when it has none. */
function nodeVal(n: TreeNode, kind: Kind, p: FilterInput, extEnd?: number): Val | null {
  const v = n.value;
  switch (kind) {
    case "num":
      if (typeof v === "number") return { t: "num", v };
      if (typeof v === "boolean") return { t: "num", v: v ? 1 : 0 };
      if (typeof v === "string" && v !== "") {
        const x = Number(v);
        return Number.isNaN(x) ? null : { t: "num", v: x };
      }
      return null;
    case "str":
      return v === null ? (n.display ? { t: "str", v: n.display } : null) : { t: "str", v: String(v) };
    case "ip4": {
      const x = typeof v === "string" ? parseIPv4(v) : null;
      return x === null ? null : { t: "ip4", v: x, bits: 32 };
    }
    case "ip6": {
      const x = typeof v === "string" ? parseIPv6(v) : null;
      return x === null ? null : { t: "ip6", v: x, bits: 128 };
    }
    case "bytes":
    case "proto": {
      if (n.field?.type === "ether" && typeof v === "string") {
        const b = parseHexBytes(v);
        if (b) return { t: "bytes", v: b };
      }
      const end = p.end ?? p.data.length;
      const a = Math.max(0, n.offset);
      const b = Math.min(end, extEnd ?? n.offset + Math.max(0, n.length));
      return { t: "bytes", v: b > a ? p.data.subarray(a, b) : new Uint8Array(0) };
    }
    case "none":
      return null;
  }
}

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Compares a node value with a literal (or another node's value); CIDR literals compare by prefix. */
function compare(a: Val, b: Val): number {
  switch (a.t) {
    case "num":
      return b.t === "num" ? (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) : NaN;
    case "str":
      return b.t === "str" ? (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) : NaN;
    case "bytes":
      return b.t === "bytes" ? cmpBytes(a.v, b.v) : NaN;
    case "ip4": {
      if (b.t !== "ip4") return NaN;
      const bits = Math.min(a.bits, b.bits);
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      const x = (a.v & mask) >>> 0,
        y = (b.v & mask) >>> 0;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case "ip6": {
      if (b.t !== "ip6") return NaN;
      const bits = Math.min(a.bits, b.bits);
      for (let i = 0; i < 16; i++) {
        const left = bits - i * 8;
        if (left <= 0) return 0;
        const m = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
        const d = (a.v[i] & m) - (b.v[i] & m);
        if (d) return d;
      }
      return 0;
    }
  }
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function bytesText(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, Math.min(b.length, i + 4096))));
  return s;
}

// ---------------------------------------------------------------------------------------------- AST

interface Ref {
  name: string;
  field?: FieldDef;
  kind: Kind;
  pos: number;
}

type Expr =
  | { k: "and" | "or" | "xor"; a: Expr; b: Expr }
  | { k: "not"; a: Expr }
  | { k: "exists"; ref: Ref }
  | { k: "cmp"; op: CmpOp; ref: Ref; val?: Val; other?: Ref }
  | { k: "contains"; ref: Ref; val: Val }
  | { k: "matches"; ref: Ref; re: RegExp }
  | { k: "bitand"; ref: Ref; mask: number }
  | { k: "in"; ref: Ref; items: Array<{ lo: Val; hi?: Val }> };

type CmpOp = "any_eq" | "all_ne" | "all_eq" | "any_ne" | "lt" | "gt" | "le" | "ge";

const CMP_WORDS: Record<string, CmpOp> = {
  "==": "any_eq",
  eq: "any_eq",
  any_eq: "any_eq",
  "!=": "all_ne",
  ne: "all_ne",
  all_ne: "all_ne",
  "===": "all_eq",
  all_eq: "all_eq",
  "!==": "any_ne",
  "~=": "any_ne",
  any_ne: "any_ne",
  "<": "lt",
  lt: "lt",
  ">": "gt",
  gt: "gt",
  "<=": "le",
  le: "le",
  ">=": "ge",
  ge: "ge",
};

class Parser {
  private i = 0;
  constructor(private toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i];
  }
  private take(): Tok {
    return this.toks[this.i++];
  }
  private isWord(t: Tok, ...w: string[]): boolean {
    return t.kind === "word" && w.includes(t.text.toLowerCase());
  }
  private fail(t: Tok, msg: string): never {
    throw new DisplayFilterError(t.pos + 1, msg);
  }
  private describe(t: Tok): string {
    return t.kind === "end" ? "the end of the filter" : `'${printable(t.text)}'`;
  }

  parse(): Expr {
    const e = this.or();
    const t = this.peek();
    if (t.kind !== "end") {
      if (t.kind === "rparen") this.fail(t, "unbalanced parenthesis: ')' without a matching '('");
      this.fail(t, `unexpected ${this.describe(t)}: expected 'and', 'or' or the end of the filter`);
    }
    return e;
  }

  private or(): Expr {
    let a = this.xor();
    for (;;) {
      const t = this.peek();
      if ((t.kind === "op" && t.text === "||") || this.isWord(t, "or")) {
        this.take();
        a = { k: "or", a, b: this.operandAfter(t, () => this.xor()) };
      } else return a;
    }
  }
  private xor(): Expr {
    let a = this.and();
    for (;;) {
      const t = this.peek();
      if ((t.kind === "op" && t.text === "^^") || this.isWord(t, "xor")) {
        this.take();
        a = { k: "xor", a, b: this.operandAfter(t, () => this.and()) };
      } else return a;
    }
  }
  private and(): Expr {
    let a = this.not();
    for (;;) {
      const t = this.peek();
      if ((t.kind === "op" && t.text === "&&") || this.isWord(t, "and")) {
        this.take();
        a = { k: "and", a, b: this.operandAfter(t, () => this.not()) };
      } else return a;
    }
  }
  private operandAfter(op: Tok, f: () => Expr): Expr {
    if (this.peek().kind === "end") this.fail(this.peek(), `expected an expression after '${op.text}'`);
    return f();
  }
  private not(): Expr {
    const t = this.peek();
    if ((t.kind === "op" && t.text === "!") || this.isWord(t, "not")) {
      this.take();
      return { k: "not", a: this.operandAfter(t, () => this.not()) };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.kind === "lparen") {
      this.take();
      if (this.peek().kind === "end") this.fail(this.peek(), "expected an expression after '('");
      const e = this.or();
      const c = this.peek();
      if (c.kind !== "rparen") this.fail(c, `unbalanced parenthesis: expected ')' to close the '(' at ${t.pos + 1}, found ${this.describe(c)}`);
      this.take();
      return e;
    }
    if (t.kind === "end") this.fail(t, this.i === 0 ? "empty filter" : "expected a field, a protocol or '('");
    if (t.kind !== "word") this.fail(t, `unexpected ${this.describe(t)}: expected a field, a protocol or '('`);
    const ref = this.ref(this.take());
    return this.relation(ref);
  }

  private ref(t: Tok): Ref {
    const name = t.text;
    const next = this.peek();
    if (next.kind === "lparen") this.fail(t, `functions such as '${printable(name)}()' are not supported`);
    const field = getField(name);
    if (field) return { name, field, kind: kindOf(field), pos: t.pos };
    if (getProtocol(name)) return { name, kind: "proto", pos: t.pos };
    return this.fail(t, `'${printable(name)}' is neither a field nor a protocol name`);
  }

  private relation(ref: Ref): Expr {
    const t = this.peek();
    if (t.kind === "lbracket") this.fail(t, "field slices ([i:j]) are not supported");
    const word = t.kind === "op" || t.kind === "word" ? t.text.toLowerCase() : "";
    const cmp = t.kind === "op" || t.kind === "word" ? CMP_WORDS[t.kind === "op" ? t.text : word] : undefined;
    if (cmp) {
      this.take();
      const v = this.valueTok(t);
      if (v.kind === "word" && getField(v.text) && !this.isLiteralFor(v, ref)) {
        const other = this.ref(v);
        if (other.kind !== ref.kind) this.fail(v, `'${ref.name}' and '${other.name}' have different types and cannot be compared`);
        if (ref.kind === "none") this.fail(v, `${ref.name} has no value to compare`);
        return { k: "cmp", op: cmp, ref, other };
      }
      const ordering = cmp === "lt" || cmp === "gt" || cmp === "le" || cmp === "ge";
      if (ref.kind === "proto" && ordering) this.fail(t, `a protocol cannot be compared with '${t.text}'`);
      return { k: "cmp", op: cmp, ref, val: literal(v, ref.field, ref.kind, !ordering) };
    }
    if (word === "contains") {
      this.take();
      const v = this.valueTok(t);
      if (ref.kind === "str") return { k: "contains", ref, val: { t: "str", v: v.kind === "string" ? v.value! : v.text } };
      if (ref.kind === "bytes" || ref.kind === "proto") return { k: "contains", ref, val: literal(v, ref.field, "bytes", false) };
      this.fail(t, `'contains' needs a string, bytes or protocol field; ${ref.name} is ${ref.field?.type ?? "a protocol"}`);
    }
    if (word === "matches" || (t.kind === "op" && t.text === "~")) {
      this.take();
      const v = this.valueTok(t);
      if (ref.kind !== "str" && ref.kind !== "bytes" && ref.kind !== "proto") this.fail(t, `'matches' needs a string, bytes or protocol field; ${ref.name} is ${ref.field?.type}`);
      let src = v.kind === "string" ? v.value! : v.text;
      let flags = "s";
      const m = /^\(\?([imsx]+)\)/.exec(src);
      if (m) {
        if (m[1].includes("i")) flags += "i";
        if (m[1].includes("m")) flags += "m";
        src = src.slice(m[0].length);
      }
      try {
        return { k: "matches", ref, re: new RegExp(src, flags) };
      } catch (e) {
        this.fail(v, `invalid regular expression: ${(e as Error).message}`);
      }
    }
    if (t.kind === "op" && t.text === "&") {
      this.take();
      const v = this.valueTok(t);
      if (ref.kind !== "num" || ref.field?.type === "float" || ref.field?.type === "time") this.fail(t, `'&' needs an integer field; ${ref.name} is ${ref.field?.type ?? "a protocol"}`);
      const n = parseInteger(v.text);
      if (v.kind !== "word" || n === null || !Number.isInteger(n)) this.fail(v, `'${printable(v.text)}' is not a valid integer mask`);
      return { k: "bitand", ref, mask: n };
    }
    if (word === "in") {
      this.take();
      return this.set(ref, t);
    }
    return { k: "exists", ref };
  }

  /** Literal words that also happen to be field names ("ip" is not a valid MAC, but "80" is a number). */
  private isLiteralFor(v: Tok, ref: Ref): boolean {
    try {
      literal(v, ref.field, ref.kind, true);
      return ref.kind !== "str"; // for a string field, a field name on the right means the field
    } catch {
      return false;
    }
  }

  private valueTok(op: Tok): Tok {
    const v = this.peek();
    if (v.kind === "word" || v.kind === "string") {
      this.take();
      return v;
    }
    return this.fail(v, `expected a value after '${op.text}'${v.kind === "end" ? "" : `, found ${this.describe(v)}`}`);
  }

  private set(ref: Ref, inTok: Tok): Expr {
    const open = this.peek();
    if (open.kind !== "lbrace") this.fail(open, "expected '{' after 'in'");
    this.take();
    const items: Array<{ lo: Val; hi?: Val }> = [];
    if (ref.kind === "proto" || ref.kind === "none") this.fail(inTok, `'in' needs a field with values; ${ref.name} has none`);
    for (;;) {
      const t = this.peek();
      if (t.kind === "rbrace") {
        if (!items.length) this.fail(t, "empty set");
        this.take();
        return { k: "in", ref, items };
      }
      if (t.kind === "comma" && items.length) {
        this.take();
        continue;
      }
      if (t.kind !== "word" && t.kind !== "string") this.fail(t, `expected a value or '}' in the set, found ${this.describe(t)}`);
      this.take();
      // "80..90" is one word; split the range.
      const r = t.kind === "word" ? /^(.+?)\.\.(.+)$/.exec(t.text) : null;
      if (r && ref.kind === "num") {
        const lo = literal({ ...t, text: r[1] }, ref.field, ref.kind, false);
        const hi = literal({ ...t, text: r[2], pos: t.pos + r[1].length + 2 }, ref.field, ref.kind, false);
        items.push({ lo, hi });
      } else items.push({ lo: literal(t, ref.field, ref.kind, true) });
    }
  }
}

// ---------------------------------------------------------------------------------------------- evaluation

interface Index {
  /** nodes by field name or protocol id */
  get(name: string): TreeNode[] | undefined;
  has(name: string): boolean;
  /** where a protocol's bytes end (see buildIndex) */
  ext: Map<TreeNode, number>;
}

/**
 * Every node by name. A protocol's bytes, for `contains` and `matches`, run as in Wireshark from its header to
 * the end of its payload (the end of the layers after it, or of its own fields such as tcp.segment_data when
 * reassembly holds the payload), except the link layer's, which is its header: so `tcp contains "GET"` looks at
 * the segment, `eth contains ...` at the Ethernet header.
 */
function buildIndex(roots: readonly TreeNode[]): Index {
  const m = new Map<string, TreeNode[]>() as Map<string, TreeNode[]> & { ext: Map<TreeNode, number> };
  m.ext = new Map();
  let firstLayer = true;
  for (let i = 0; i < roots.length; i++) {
    const r = roots[i];
    if (r.kind !== "proto" || r.name === "frame") continue;
    let end = r.offset + r.length;
    if (!firstLayer) {
      for (let j = i + 1; j < roots.length; j++) end = Math.max(end, roots[j].offset + roots[j].length);
      // a payload the protocol keeps as a field of its own (TCP's segment data, waiting for reassembly)
      if (r.children) for (const c of r.children) end = Math.max(end, c.offset + c.length);
    }
    firstLayer = false;
    m.ext.set(r, end);
  }
  const visit = (nodes: readonly TreeNode[]) => {
    for (const n of nodes) {
      if (n.kind !== "note" && n.name) {
        const a = m.get(n.name);
        if (a) a.push(n);
        else m.set(n.name, [n]);
      }
      if (n.children) visit(n.children);
    }
  };
  visit(roots);
  return m;
}

function evaluate(e: Expr, idx: Index, p: FilterInput): boolean {
  switch (e.k) {
    case "and":
      return evaluate(e.a, idx, p) && evaluate(e.b, idx, p);
    case "or":
      return evaluate(e.a, idx, p) || evaluate(e.b, idx, p);
    case "xor":
      return evaluate(e.a, idx, p) !== evaluate(e.b, idx, p);
    case "not":
      return !evaluate(e.a, idx, p);
    case "exists":
      return idx.has(e.ref.name);
  }
  const nodes = idx.get(e.ref.name);
  if (!nodes) return false;
  const vals: Val[] = [];
  for (const n of nodes) {
    const v = nodeVal(n, e.ref.kind, p, idx.ext.get(n));
    if (v) vals.push(v);
  }
  if (!vals.length) return false;
  switch (e.k) {
    case "cmp": {
      let rhs: Val[];
      if (e.other) {
        const on = idx.get(e.other.name);
        if (!on) return false;
        rhs = [];
        for (const n of on) {
          const v = nodeVal(n, e.other.kind, p);
          if (v) rhs.push(v);
        }
        if (!rhs.length) return false;
      } else rhs = [e.val!];
      const test = (c: number): boolean => {
        switch (e.op) {
          case "any_eq":
          case "all_eq":
            return c === 0;
          case "all_ne":
          case "any_ne":
            return c !== 0 && !Number.isNaN(c);
          case "lt":
            return c < 0;
          case "gt":
            return c > 0;
          case "le":
            return c <= 0;
          case "ge":
            return c >= 0;
        }
      };
      const one = (v: Val) => rhs.some((r) => test(compare(v, r)));
      if (e.op === "all_ne") return vals.every((v) => rhs.every((r) => test(compare(v, r))));
      if (e.op === "all_eq") return vals.every(one);
      return vals.some(one);
    }
    case "contains":
      return vals.some((v) =>
        v.t === "str" && e.val.t === "str" ? v.v.includes(e.val.v) : v.t === "bytes" && e.val.t === "bytes" ? indexOfBytes(v.v, e.val.v) >= 0 : false,
      );
    case "matches":
      return vals.some((v) => (v.t === "str" ? e.re.test(v.v) : v.t === "bytes" ? e.re.test(bytesText(v.v)) : false));
    case "bitand":
      return vals.some((v) => v.t === "num" && (v.v & e.mask) !== 0);
    case "in":
      return vals.some((v) => e.items.some((it) => (it.hi ? compare(v, it.lo) >= 0 && compare(v, it.hi) <= 0 : compare(v, it.lo) === 0)));
  }
}

/**
 * Compiles a display filter. Throws DisplayFilterError for a syntax error, an unknown name or a value that
 * does not fit its field. An empty (or blank) filter matches everything.
 */
export function compileDisplayFilter(expr: string): DisplayFilter {
  if (expr.trim() === "") return () => true;
  const ast = new Parser(tokenize(expr)).parse();
  return (p) => evaluate(ast, buildIndex(p.roots), p);
}
