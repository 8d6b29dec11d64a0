/**
 * -T json: NDJSON, one JSON document per line per packet, keyed like tshark's:
 *   {"frame":{"frame.number":1,"frame.time_epoch":"1213854736.041638000",...},"eth":{"eth.src":"..."},"ip":{...}}
 * Each protocol is an object of its fields by filter name, subtrees flattened into it; a field that occurs more
 * than once (ip.addr, tcp.port) becomes an array, and so does a protocol that occurs more than once (IP in IP).
 * Integers are numbers (see values.ts). Truncated, malformed and dissector-bug packets get a "_ws.expert" object.
 */
import type { TreeNode } from "../dissectors/tree.js";
import { jsonValue, type JsonValue } from "./values.js";
import type { PacketView } from "./view.js";
import { packetJsonText } from "./json-bytes.js";

type Obj = Record<string, unknown>;

function put(o: Obj, k: string, v: unknown): void {
  if (!Object.prototype.hasOwnProperty.call(o, k)) {
    o[k] = v;
    return;
  }
  const cur = o[k];
  if (Array.isArray(cur) && (cur as { _multi?: boolean })._multi) cur.push(v);
  else {
    const a = [cur, v] as unknown[] & { _multi?: boolean };
    Object.defineProperty(a, "_multi", { value: true, enumerable: false });
    o[k] = a;
  }
}

function fieldsInto(o: Obj, nodes: readonly TreeNode[], v: PacketView): void {
  for (const n of nodes) {
    if (n.kind === "field" && n.name) put(o, n.name, jsonValue(n, v.data, v.end) as JsonValue);
    if (n.children) fieldsInto(o, n.children, v);
  }
}

/** The packet as a plain object (the document -T json prints). */
export function packetObject(v: PacketView): Obj {
  const doc: Obj = {};
  for (const p of v.roots) {
    if (p.kind !== "proto") continue;
    const o: Obj = {};
    if (p.children) fieldsInto(o, p.children, v);
    put(doc, p.name, o);
  }
  const ctx = v.ctx;
  if (ctx.truncated || ctx.malformed || ctx.bug) {
    const e: Obj = {};
    if (ctx.truncated) e.truncated = true;
    if (ctx.malformed) e.malformed = ctx.malformedReason || true;
    if (ctx.bug) e.bug = ctx.bug;
    doc["_ws.expert"] = e;
  }
  return doc;
}

/** One NDJSON line (written as bytes by json-bytes.ts; the same text as JSON.stringify(packetObject(v)), escaped). */
export function packetJson(v: PacketView): string {
  return packetJsonText(v);
}

export { packetJsonBytes } from "./json-bytes.js";
