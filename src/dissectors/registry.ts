/**
 * The dissector tables (gopacket's EthernetTypeMetadata, Wireshark's dissector tables, scapy's bind_layers):
 * a parent finds the next layer by table and key ("ethertype" 0x0800, "ip.proto" 6, "udp.port" 53), then by
 * heuristics registered on that table. Registration happens once, when the protocol modules load.
 */
import type { FieldDef, Protocol } from "./types.js";

/**
 * A table: small integer keys (ethertypes, protocol numbers, ports) index `idx`, whose entry is the protocol's
 * place in `protos` (0: none), others a map. `idx` is a typed array grown by doubling: a plain array of 64k
 * slots (ethertype 0xfefe, port 50000) costs tens of milliseconds of start-up to allocate and fill.
 */
interface Table {
  idx: Uint16Array;
  protos: (Protocol | undefined)[];
  other: Map<number | string, Protocol>;
}
const NUM_KEYS = 1 << 16;
const tables = new Map<string, Table>();
const heuristics = new Map<string, Protocol[]>();
const protocols = new Map<string, Protocol>();
const fieldIndex = new Map<string, FieldDef>();

export function registerProtocol(p: Protocol): Protocol {
  protocols.set(p.id, p);
  // a hidden alias (ip.version in IPv6) does not stand for the field it repeats
  if (p.fields) for (const f of Object.values(p.fields)) if (!f.hidden || !fieldIndex.has(f.name)) fieldIndex.set(f.name, f);
  return p;
}

/** Hands `p` off from `table` under each key. */
export function bind(table: string, keys: Array<number | string> | number | string, p: Protocol): void {
  let t = tables.get(table);
  if (!t) tables.set(table, (t = { idx: new Uint16Array(0), protos: [undefined], other: new Map() }));
  for (const k of Array.isArray(keys) ? keys : [keys]) {
    if (typeof k === "number" && Number.isInteger(k) && k >= 0 && k < NUM_KEYS) {
      if (t.idx.length <= k) {
        let n = Math.max(64, t.idx.length);
        while (n <= k) n *= 2;
        const idx = new Uint16Array(n);
        idx.set(t.idx);
        t.idx = idx;
      }
      let i = t.protos.indexOf(p, 1);
      if (i < 0) i = t.protos.push(p) - 1;
      t.idx[k] = i;
    } else t.other.set(k, p);
  }
  registerProtocol(p);
}

/** Registers a heuristic dissector on a table: tried, in order, when no key matched. */
export function bindHeuristic(table: string, p: Protocol): void {
  if (!p.heuristic) throw new Error(`${p.id}: bindHeuristic needs a heuristic()`);
  let h = heuristics.get(table);
  if (!h) heuristics.set(table, (h = []));
  h.push(p);
  registerProtocol(p);
}

const defaults = new Map<string, Protocol>();
/** What a table hands to when neither a key nor a heuristic matched (default: data). */
export function bindDefault(table: string, p: Protocol): void {
  defaults.set(table, p);
}
export function defaultFor(table: string): Protocol | undefined {
  return defaults.get(table);
}

export function lookup(table: string, key: number | string): Protocol | undefined {
  const t = tables.get(table);
  if (!t) return undefined;
  if (typeof key === "number" && key >= 0 && key < t.idx.length && Number.isInteger(key)) return t.protos[t.idx[key]];
  return t.other.get(key);
}

export function heuristicsFor(table: string): readonly Protocol[] {
  return heuristics.get(table) ?? EMPTY;
}
const EMPTY: Protocol[] = [];

export function getProtocol(id: string): Protocol | undefined {
  return protocols.get(id);
}
export function allProtocols(): Protocol[] {
  return [...protocols.values()];
}
export function getField(name: string): FieldDef | undefined {
  return fieldIndex.get(name);
}
export function allFields(): FieldDef[] {
  return [...fieldIndex.values()];
}
