/**
 * How a tree node's value is spelled in each detail output, from its field declaration:
 *   - -T fields, like tshark 4.0: integers in decimal, or 0x and two hex digits per byte of the field for
 *     hex-based ones ("0x0800", "0x02", "0x0018"); booleans 1/0; bytes as plain hex; addresses as text.
 *   - -T json: integers and floats as numbers, booleans as true/false, bytes as "aa:bb:cc", the rest as text.
 * Bytes come from the packet itself (node offset and length), so a field that stores no value (null) still
 * has its bytes.
 */
import type { TreeNode } from "../dissectors/tree.js";
import { lineSafe } from "./escape.js";

const HEX = "0123456789abcdef";

/** The packet bytes a node covers (clamped to the captured end). */
export function nodeBytes(n: TreeNode, data: Uint8Array, end: number): Uint8Array {
  const a = Math.max(0, n.offset);
  const b = Math.min(end, n.offset + Math.max(0, n.length));
  return b > a ? data.subarray(a, b) : data.subarray(0, 0);
}

/** ASCII hex digits of each byte value, and a scratch buffer the text is spelled into (payloads run to kilobytes). */
const DIGITS = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  DIGITS[2 * i] = HEX.charCodeAt(i >> 4);
  DIGITS[2 * i + 1] = HEX.charCodeAt(i & 15);
}
let scratch = Buffer.allocUnsafeSlow(1 << 16);

/** Hex text of bytes: "aabbcc", or with a one-character separator "aa:bb:cc". */
export function hexOf(b: Uint8Array, sep = ""): string {
  const n = b.length;
  if (n === 0) return "";
  if (sep.length > 1) {
    let s = "";
    for (let i = 0; i < n; i++) s += (i ? sep : "") + HEX[b[i] >> 4] + HEX[b[i] & 15];
    return s;
  }
  const step = sep ? 3 : 2;
  const need = n * step;
  if (need > scratch.length) scratch = Buffer.allocUnsafeSlow(need * 2);
  const out = scratch;
  const sc = sep ? sep.charCodeAt(0) : 0;
  for (let i = 0, q = 0; i < n; i++, q += step) {
    const d = b[i] << 1;
    out[q] = DIGITS[d];
    out[q + 1] = DIGITS[d + 1];
    if (step === 3) out[q + 2] = sc;
  }
  return out.toString("latin1", 0, sep ? need - 1 : need);
}

/** 0x and two digits per byte of the field (at least two; more if the value needs them). */
function hexNumber(v: number, bytes: number): string {
  let s = (v >>> 0).toString(16);
  if (v > 0xffffffff) s = v.toString(16);
  const w = Math.max(2, Math.min(8, bytes * 2));
  while (s.length < w) s = "0" + s;
  return "0x" + s;
}

/** A node's value as tshark -T fields prints it. */
export function fieldText(n: TreeNode, data: Uint8Array, end: number): string {
  const f = n.field;
  const v = n.value;
  if (!f) return lineSafe(n.display);
  switch (f.type) {
    case "uint":
    case "int":
      if (typeof v !== "number") return v === null ? "" : lineSafe(String(v));
      return f.base === "hex" ? (f.digits ? hexNumber(v, f.digits / 2) : hexNumber(v, n.length)) : String(v);
    case "float":
      return typeof v === "number" ? String(v) : v === null ? "" : lineSafe(String(v));
    case "bool":
      return v === true || v === 1 ? "1" : "0";
    case "bytes":
      // (a node of length 0 with a value: bytes of a PDU or a decrypted payload, not of the frame)
      if (typeof v === "string" && /^[0-9a-f]*$/.test(v) && (v.length === n.length * 2 || n.length === 0)) return v;
      return hexOf(nodeBytes(n, data, end));
    case "none":
      return "";
    default:
      return v === null ? lineSafe(n.display) : lineSafe(String(v));
  }
}

export type JsonValue = number | string | boolean | null;

/** A node's value for -T json. */
export function jsonValue(n: TreeNode, data: Uint8Array, end: number): JsonValue {
  const f = n.field;
  const v = n.value;
  if (!f) return n.display;
  switch (f.type) {
    case "uint":
    case "int":
    case "float":
      return typeof v === "number" ? v : v === null ? null : String(v);
    case "bool":
      return v === true || v === 1;
    case "bytes":
      return hexOf(nodeBytes(n, data, end), ":");
    case "none":
      return "";
    default:
      return v === null ? n.display : String(v);
  }
}
