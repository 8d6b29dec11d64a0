#!/usr/bin/env node
/**
 * The lazy registration manifest (issue #19; src/dissectors/registry.ts enableLazyRegistration): runs the CLI's
 * modules once, eagerly (dist/cli/bundle-entry.js, after `tsc`), watching every registration, and writes which
 * protocol module binds which (table, key), heuristic, default, protocol id, and how an eager start leaves the
 * names several modules register. scripts/bundle.mjs runs it on every build and builds the CLI's script from
 * it, so the manifest always describes the modules it is bundled with.
 *
 *   node scripts/gen-lazy-manifest.mjs [out.json]     (default: standard output)
 *
 * A module is attributed the registrations its top level makes (the outermost stack frame in a protocol module).
 * CORE are loaded up front (with every protocol module they import); the other modules index.ts imports are lazy.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIS = path.join(ROOT, "dist", "dissectors");

/** What a plain `-r file` run of common traffic reaches: always loaded. */
export const CORE = [
  "link/ethernet.js",
  "link/sll.js",
  "link/null.js",
  "link/vlan.js",
  "network/ipv4.js",
  "network/ipv6.js",
  "network/arp.js",
  "network/icmp.js",
  "network/icmpv6.js",
  "transport/tcp.js",
  "transport/udp.js",
];

/** The protocol modules dist/dissectors/index.js imports, in its order. */
export function protocolModules() {
  const text = fs.readFileSync(path.join(DIS, "index.js"), "utf8");
  return [...text.matchAll(/^import "\.\/([a-z]+\/[\w-]+\.js)";$/gm)].map((m) => m[1]);
}

/** Relative imports of a module below dist/dissectors/ (paths relative to it). */
function importsOf(rel) {
  const text = fs.readFileSync(path.join(DIS, rel), "utf8");
  const out = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?["'](\.{1,2}\/[^"']+)["']/g)) {
    const p = path.relative(DIS, path.resolve(path.dirname(path.join(DIS, rel)), m[1])).split(path.sep).join("/");
    if (!p.startsWith("..")) out.push(p);
  }
  return out;
}

export async function makeManifest() {
  const units = protocolModules();
  for (const c of CORE) if (!units.includes(c)) throw new Error(`gen-lazy-manifest: core module ${c} is not imported by index.ts`);
  // the core and every protocol module it imports
  const core = new Set();
  const visit = (m) => {
    if (core.has(m)) return;
    core.add(m);
    for (const d of importsOf(m)) visit(d);
  };
  CORE.forEach(visit);
  const lazy = units.filter((u) => !core.has(u));
  const lazyIndex = new Map(lazy.map((u, i) => [u, i]));

  const registry = await import(pathToFileURL(path.join(DIS, "registry.js")).href);
  const unitFiles = new Map(units.map((u) => [pathToFileURL(path.join(DIS, u)).href, u]));
  /** The outermost frame in a protocol module: the module whose top level registers. */
  const attribute = () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    const stack = new Error().stack ?? "";
    Error.stackTraceLimit = limit;
    let unit = null;
    for (const m of stack.matchAll(/(file:\/\/[^\s()]+?):\d+:\d+/g)) if (unitFiles.has(m[1])) unit = unitFiles.get(m[1]);
    return unit; // null: not a protocol module (output/frame.js, proc/fields.js): loaded up front
  };
  const events = [];
  registry.observeRegistrations((kind, table, key, p) => events.push({ kind, table, key, p, unit: attribute() }));
  await import(pathToFileURL(path.join(ROOT, "dist", "cli", "bundle-entry.js")).href);
  registry.observeRegistrations(null);

  const lazyOf = (unit) => (unit !== null && lazyIndex.has(unit) ? lazyIndex.get(unit) : undefined);
  const protoObj = new Map(); // id -> object
  const protocolOrder = [];
  const protocols = {};
  const registered = events.filter((e) => e.kind === "protocol"); // bind and bindHeuristic register too; bindDefault does not
  const idUnit = new Map();
  for (const e of registered) {
    const o = protoObj.get(e.p.id);
    // two objects with one id (HTTP and HTTP_HEUR): the last registered stands for it, which only a single module may decide
    if (o && o !== e.p && idUnit.get(e.p.id) !== e.unit) throw new Error(`gen-lazy-manifest: protocols with the id ${e.p.id} in two modules`);
    protoObj.set(e.p.id, e.p);
    if (!o) {
      idUnit.set(e.p.id, e.unit);
      protoObj.set(e.p.id, e.p);
      protocolOrder.push(e.p.id);
      const i = lazyOf(e.unit);
      if (i !== undefined) protocols[e.p.id] = i;
    }
  }
  // keys: the last binding wins (as in an eager start)
  const keyLast = new Map(); // table -> Map(key -> {p, unit, ps:Set})
  for (const e of events.filter((e) => e.kind === "bind")) {
    let t = keyLast.get(e.table);
    if (!t) keyLast.set(e.table, (t = new Map()));
    const prev = t.get(e.key);
    t.set(e.key, { p: e.p, unit: e.unit, units: new Set([...(prev?.units ?? []), e.unit]) });
  }
  const keys = {};
  const keyWinner = {};
  for (const [table, t] of keyLast) {
    for (const [key, b] of t) {
      const i = lazyOf(b.unit);
      if (i !== undefined) (keys[table] ??= []).push([key, i]);
      if (b.units.size > 1) (keyWinner[table] ??= []).push([key, b.p.id]);
    }
  }
  const heuristics = {};
  const heuristicOrder = {};
  for (const e of events.filter((e) => e.kind === "heuristic")) {
    (heuristicOrder[e.table] ??= []).push(e.p.id);
    const i = lazyOf(e.unit);
    if (i !== undefined && !(heuristics[e.table] ??= []).includes(i)) heuristics[e.table].push(i);
  }
  for (const t of Object.keys(heuristicOrder)) if (!heuristics[t]) delete heuristicOrder[t]; // order matters only with lazy ones
  const defaults = {};
  const defaultSetters = new Map();
  for (const e of events.filter((e) => e.kind === "default")) {
    const s = defaultSetters.get(e.table) ?? new Set();
    defaultSetters.set(e.table, s.add(e.p));
    if (s.size > 1) throw new Error(`gen-lazy-manifest: two defaults for the table ${e.table}`);
    const i = lazyOf(e.unit);
    if (i !== undefined) defaults[e.table] = i;
  }
  // fields: the eager rule (registry.ts indexFields) over every registration in order
  const fieldUnits = new Map(); // name -> Set of modules defining it
  const index = new Map();
  for (const e of registered) {
    for (const f of Object.values(e.p.fields ?? {})) {
      fieldUnits.set(f.name, (fieldUnits.get(f.name) ?? new Set()).add(e.unit));
      if (!f.hidden || !index.has(f.name)) index.set(f.name, f);
    }
  }
  const fieldWinner = {};
  for (const [name, us] of fieldUnits) {
    if (us.size < 2) continue;
    const w = index.get(name);
    const pairs = [];
    for (const id of protocolOrder) for (const [k, f] of Object.entries(protoObj.get(id).fields ?? {})) if (f === w) pairs.push(`${id} ${k}`);
    fieldWinner[name] = pairs;
  }
  // the registry's final replay (registry.ts finishLazy) must rebuild this very index
  const replay = new Map();
  for (const id of protocolOrder) {
    const p = protoObj.get(id);
    for (const [k, f] of Object.entries(p.fields ?? {})) {
      const w = fieldWinner[f.name];
      if (w) {
        if (w.includes(`${id} ${k}`) || !replay.has(f.name)) replay.set(f.name, f);
      } else if (!f.hidden || !replay.has(f.name)) replay.set(f.name, f);
    }
  }
  const a = [...index],
    b = [...replay];
  if (a.length !== b.length || a.some(([n, f], i) => b[i][0] !== n || b[i][1] !== f)) throw new Error("gen-lazy-manifest: the field index cannot be rebuilt from the protocols in order");
  return { core: [...core], manifest: { modules: lazy, keys, heuristics, heuristicOrder, defaults, protocols, protocolOrder, keyWinner, fieldWinner } };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { manifest } = await makeManifest();
  const text = JSON.stringify(manifest) + "\n";
  if (process.argv[2]) fs.writeFileSync(process.argv[2], text);
  else process.stdout.write(text);
}
