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
  /** lazy start: the module (+1) that binds a key not bound yet (small keys), others a map */
  lazyIdx?: Uint16Array;
  lazyOther?: Map<number | string, number>;
}
const NUM_KEYS = 1 << 16;
const tables = new Map<string, Table>();
const heuristics = new Map<string, Protocol[]>();
const protocols = new Map<string, Protocol>();
const fieldIndex = new Map<string, FieldDef>();

export function registerProtocol(p: Protocol): Protocol {
  observer?.("protocol", "", "", p);
  protocols.set(p.id, p);
  indexFields(p);
  return p;
}

function indexFields(p: Protocol, replaying = false): void {
  if (!p.fields) return;
  for (const k in p.fields) {
    const f = p.fields[k];
    // a name several protocols define: only the one an eager start leaves in the index (lazy start); in the
    // final replay a loser keeps the name's place for it
    const w = lazy !== null ? lazy.fieldWinner.get(f.name) : undefined;
    if (w !== undefined) {
      if (w.includes(`${p.id} ${k}`)) fieldIndex.set(f.name, f);
      else if (replaying && !fieldIndex.has(f.name)) fieldIndex.set(f.name, f);
      continue;
    }
    // a hidden alias (ip.version in IPv6) does not stand for the field it repeats
    if (!f.hidden || !fieldIndex.has(f.name)) fieldIndex.set(f.name, f);
  }
}

/** Hands `p` off from `table` under each key. */
export function bind(table: string, keys: Array<number | string> | number | string, p: Protocol): void {
  let t = tables.get(table);
  if (!t) tables.set(table, (t = { idx: new Uint16Array(0), protos: [undefined], other: new Map() }));
  for (const k of Array.isArray(keys) ? keys : [keys]) {
    observer?.("bind", table, k, p);
    if (lazy !== null && lazy.keyWinner.get(table)?.has(k) && lazy.keyWinner.get(table)!.get(k) !== p.id) continue;
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
  observer?.("heuristic", table, "", p);
  h.push(p);
  // lazy start: in the order an eager start registers them
  const order = lazy?.heuristicOrder.get(table);
  if (order) h.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  registerProtocol(p);
}

const defaults = new Map<string, Protocol>();
/** What a table hands to when neither a key nor a heuristic matched (default: data). */
export function bindDefault(table: string, p: Protocol): void {
  observer?.("default", table, "", p);
  defaults.set(table, p);
}
export function defaultFor(table: string): Protocol | undefined {
  return defaults.get(table) ?? (lazy !== null && lazyLoad(lazy.defaults.get(table)) ? defaults.get(table) : undefined);
}

export function lookup(table: string, key: number | string): Protocol | undefined {
  const t = tables.get(table);
  let p: Protocol | undefined;
  if (t) p = typeof key === "number" && key >= 0 && key < t.idx.length && Number.isInteger(key) ? t.protos[t.idx[key]] : t.other.get(key);
  if (p === undefined && t !== undefined && t.lazyIdx !== undefined) return lazyLookup(t, table, key);
  return p;
}

function lazyLookup(t: Table, table: string, key: number | string): Protocol | undefined {
  const i = typeof key === "number" && key >= 0 && key < t.lazyIdx!.length && Number.isInteger(key) ? t.lazyIdx![key] - 1 : (t.lazyOther!.get(key) ?? -1);
  return i >= 0 && lazyLoad(i) ? lookup(table, key) : undefined;
}

export function heuristicsFor(table: string): readonly Protocol[] {
  if (lazy !== null) {
    const m = lazy.heuristics.get(table);
    if (m) {
      lazy.heuristics.delete(table);
      for (const i of m) lazyLoad(i);
    }
  }
  return heuristics.get(table) ?? EMPTY;
}
const EMPTY: Protocol[] = [];

export function getProtocol(id: string): Protocol | undefined {
  return protocols.get(id) ?? (lazy !== null && lazyLoad(lazy.protocols.get(id)) ? protocols.get(id) : undefined);
}
export function allProtocols(): Protocol[] {
  loadAllProtocols();
  return [...protocols.values()];
}
export function getField(name: string): FieldDef | undefined {
  const f = fieldIndex.get(name);
  if (f === undefined && lazy !== null) {
    loadAllProtocols();
    return fieldIndex.get(name);
  }
  return f;
}
export function allFields(): FieldDef[] {
  loadAllProtocols();
  return [...fieldIndex.values()];
}

/**
 * Lazy registration (issue #19, docs/ARCHITECTURE.md): the CLI's script loads a core of dissectors up front and
 * the others on the first lookup that needs them. The manifest (src/dissectors/lazy-manifest.generated.ts, made
 * by scripts/gen-lazy-manifest.mjs from an eager start's registrations) says which module binds what; the
 * loader runs a module's top level (its registrations). A key, protocol id, field name, heuristic or default
 * several modules register is left as an eager start leaves it.
 */
export interface LazyManifest {
  /** the lazy modules (paths below dist/dissectors/) */
  modules: string[];
  /** table -> [key, module] for every key a lazy module binds (the eager winner's module) */
  keys: Record<string, Array<[number | string, number]>>;
  /** table -> the modules that register heuristics on it */
  heuristics: Record<string, number[]>;
  /** table -> every heuristic protocol's id, in an eager start's order */
  heuristicOrder: Record<string, string[]>;
  /** table -> the module of its default */
  defaults: Record<string, number>;
  /** protocol id -> module */
  protocols: Record<string, number>;
  /** protocol ids in an eager start's order of first registration */
  protocolOrder: string[];
  /** table -> [key, protocol id] for keys several protocols bind: the eager winner */
  keyWinner: Record<string, Array<[number | string, string]>>;
  /** field name -> the "protocol-id field-key" pairs holding the eager winner, for names several protocols define */
  fieldWinner: Record<string, string[]>;
}

interface LazyState {
  load: (path: string) => void;
  paths: string[];
  loaded: Uint8Array;
  pending: number;
  heuristics: Map<string, number[]>;
  heuristicOrder: Map<string, string[]>;
  defaults: Map<string, number>;
  protocols: Map<string, number>;
  protocolOrder: string[];
  keyWinner: Map<string, Map<number | string, string>>;
  fieldWinner: Map<string, string[]>;
}
let lazy: LazyState | null = null;

/** Starts lazy registration: `load(path)` runs the module's top level (synchronously). Call before any lookup. */
export function enableLazyRegistration(m: LazyManifest, load: (path: string) => void): void {
  const map = <V>(o: Record<string, V>) => new Map(Object.entries(o));
  lazy = {
    load,
    paths: m.modules,
    loaded: new Uint8Array(m.modules.length),
    pending: m.modules.length,
    heuristics: map(m.heuristics),
    heuristicOrder: map(m.heuristicOrder),
    defaults: map(m.defaults),
    protocols: map(m.protocols),
    protocolOrder: m.protocolOrder,
    keyWinner: new Map(Object.entries(m.keyWinner).map(([t, ks]) => [t, new Map(ks)])),
    fieldWinner: map(m.fieldWinner),
  };
  if (lazy.pending === 0) return finishLazy();
  for (const [table, ks] of Object.entries(m.keys)) {
    let t = tables.get(table);
    if (!t) tables.set(table, (t = { idx: new Uint16Array(0), protos: [undefined], other: new Map() }));
    let n = 64;
    for (const [k] of ks) if (typeof k === "number" && Number.isInteger(k) && k >= 0 && k < NUM_KEYS) while (n <= k) n *= 2;
    t.lazyIdx = new Uint16Array(n);
    t.lazyOther = new Map();
    for (const [k, i] of ks) {
      if (typeof k === "number" && Number.isInteger(k) && k >= 0 && k < NUM_KEYS) t.lazyIdx[k] = i + 1;
      else t.lazyOther.set(k, i);
    }
  }
}

/**
 * Loads lazy module i; true when it was loaded now. Its imports run first, as in an eager start (a lazy module
 * one of them is is only marked loaded when its own turn comes: running a module twice does nothing).
 */
function lazyLoad(i: number | undefined): boolean {
  const z = lazy;
  if (z === null || i === undefined || z.loaded[i]) return false;
  z.loaded[i] = 1;
  z.load(z.paths[i]);
  if (--z.pending === 0) finishLazy();
  return true;
}

/** Loads every protocol module not loaded yet (what listings and field names need). */
export function loadAllProtocols(): void {
  const z = lazy;
  if (z === null) return;
  for (let i = 0; i < z.paths.length; i++) lazyLoad(i);
}

/** All modules loaded: the protocol and field indexes are rebuilt in an eager start's order. */
function finishLazy(): void {
  const z = lazy!;
  const order = new Map(z.protocolOrder.map((id, i) => [id, i]));
  const ps = [...protocols.values()].sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity));
  protocols.clear();
  fieldIndex.clear();
  for (const p of ps) {
    protocols.set(p.id, p);
    indexFields(p, true);
  }
  lazy = null;
  for (const t of tables.values()) t.lazyIdx = t.lazyOther = undefined;
}

/** Lazy modules not loaded yet (0 without lazy registration). */
export function lazyPending(): number {
  return lazy?.pending ?? 0;
}

type Observer = (kind: "bind" | "heuristic" | "default" | "protocol", table: string, key: number | string, p: Protocol) => void;
let observer: Observer | null = null;
/** Sees every registration (scripts/gen-lazy-manifest.mjs). */
export function observeRegistrations(o: Observer | null): void {
  observer = o;
}
