/**
 * Lazy registration in the CLI's script (issue #19; scripts/gen-lazy-manifest.mjs, scripts/bundle.mjs,
 * src/dissectors/registry.ts): the script loads a core of protocol modules up front and the others on the first
 * lookup that needs them. Whatever a run loads, it must print what a run with every module loaded up front
 * (TSNIFF_LAZY=0) prints, and the registry must answer every lookup as an eager start does. Timings are never
 * asserted (bench/startup.mjs).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, ROOT } from "../helpers/paths.js";

const BIN = path.join(ROOT, "bin", "tsniff");
const SCRIPT = path.join(ROOT, "dist", "clib", "main.vm.js");
const MANIFEST = path.join(ROOT, "dist", "clib", "lazy-manifest.json");
const built = fs.existsSync(SCRIPT) && fs.existsSync(MANIFEST);

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "latin1", env: { ...process.env, TZ: "UTC", ...env }, maxBuffer: 1 << 26, timeout: 120_000 });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

/**
 * In one process running the script as bin/tsniff does: every manifest key, protocol id, heuristic table and
 * default looked up in turn, each answer described, then every protocol and field name in the registry's order.
 */
function registryAnswers(env: NodeJS.ProcessEnv) {
  const code = `const b = require(${JSON.stringify(BIN)}); const { fn } = b.compileCli(); b.runCli(fn, b.SCRIPT);
    const R = globalThis[Symbol.for("tsniff.registry")], L = () => globalThis[Symbol.for("tsniff.lazyLoaded")] ?? [];
    const m = JSON.parse(require("node:fs").readFileSync(${JSON.stringify(MANIFEST)}, "utf8"));
    const d = (p) => (p ? p.id + "/" + p.name + "/" + Object.keys(p.fields ?? {}).length : null);
    const out = { pendingAtStart: R.lazyPending(), keys: [], heuristics: [], protocols: [], loads: [] };
    for (const [t, ks] of Object.entries(m.keys)) for (const [k, i] of ks) {
      const before = L().length;
      out.keys.push([t, k, d(R.lookup(t, k))]);
      out.loads.push([m.modules[i], L().slice(before)]);
    }
    for (const t of Object.keys(m.heuristics)) out.heuristics.push([t, R.heuristicsFor(t).map(d)]);
    for (const id of Object.keys(m.protocols)) out.protocols.push([id, d(R.getProtocol(id))]);
    out.all = R.allProtocols().map(d);
    out.fields = R.allFields().map((f) => f.name + "/" + (f.hidden ? "h" : "") + f.type);
    out.pendingAtEnd = R.lazyPending();
    require("node:fs").writeSync(1, JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["-e", code], { encoding: "latin1", env: { ...process.env, TZ: "UTC", TSNIFF_TRACE_LOADER: "1", ...env }, maxBuffer: 1 << 26, timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    pendingAtStart: number;
    pendingAtEnd: number;
    keys: unknown[];
    heuristics: unknown[];
    protocols: unknown[];
    all: unknown[];
    fields: string[];
    loads: [string, string[]][];
  };
}

describe.skipIf(!built)("lazy registration", () => {
  const manifest = built ? (JSON.parse(fs.readFileSync(MANIFEST, "utf8")) as { modules: string[]; keys: Record<string, unknown[]> }) : { modules: [], keys: {} };

  it("the bundled manifest is current: the modules' registrations made it", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "gen-lazy-manifest.mjs")], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(manifest);
    expect(manifest.modules.length).toBeGreaterThan(20);
    expect(manifest.modules).not.toContain("transport/tcp.js");
  });

  it("every manifest key loads the module that registers it and answers as an eager start does", () => {
    const lazy = registryAnswers({});
    const eager = registryAnswers({ TSNIFF_LAZY: "0" });
    expect(lazy.pendingAtStart).toBe(manifest.modules.length);
    expect(eager.pendingAtStart).toBe(0);
    // a key's lookup loads its own module and no other through the loader (none when a lazy module that
    // imports it ran it already); every lazy module gets loaded by the keys, heuristics and listings
    for (const [mod, loaded] of lazy.loads) expect(loaded.filter((m) => m !== mod)).toEqual([]);
    expect(new Set(lazy.loads.flatMap(([, l]) => l)).size).toBeGreaterThan(manifest.modules.length / 2);
    expect(lazy.keys).toEqual(eager.keys);
    expect(lazy.keys.every((k) => (k as unknown[])[2] !== null)).toBe(true);
    expect(lazy.heuristics).toEqual(eager.heuristics);
    expect(lazy.protocols).toEqual(eager.protocols);
    expect(lazy.all).toEqual(eager.all);
    expect(lazy.fields).toEqual(eager.fields);
    expect(lazy.fields.length).toBeGreaterThan(1000);
    expect(lazy.pendingAtEnd).toBe(0);
  });

  it("a plain read of HTTP loads HTTP's module and TCP's heuristic ones, no other", () => {
    const r = cli(["-nn", "-r", path.join(FIXTURES, "http", "http.pcap")], { TSNIFF_TRACE_LOADER: "1" });
    expect(r.status, r.err).toBe(0);
    const loaded = (r.err.match(/loader: lazy .*/g) ?? []).map((l) => l.slice("loader: lazy ".length));
    expect(loaded).toContain("application/http.js");
    for (const m of loaded) expect(["application/http.js", "application/tls.js", "application/http2.js"]).toContain(m);
  });

  // captures of protocols the core does not hold, each needing modules loaded on the way
  const rare = [
    "ISIS_external_lsp.pcap",
    "bgp-as-path-oobr.pcap",
    "snmp-heapoverflow-1.pcap",
    "RADIUS-RFC4675.pcap",
    "hncp.pcap",
    "babel.pcap",
    "quic_handshake.pcap",
        "LLDP_and_CDP.pcap",
    "ospf-gmpls.pcap",
    "PIM-SM_join_prune.pcap",
    "802.1D_spanning_tree.pcap",
    "radiotap-heapoverflow.pcap",
  ]
    .map((f) => path.join(CORPUS, f))
    .filter((f) => fs.existsSync(f));

  it("prints, lazily, what a start with every module loaded prints (one-line and -v) on captures of rarer protocols", () => {
    expect(rare.length).toBeGreaterThan(8);
    const loaded = new Set<string>();
    for (const f of rare) {
      for (const flags of [["-nn"], ["-nn", "-v"]]) {
        const lazy = cli([...flags, "-r", f], { TSNIFF_TRACE_LOADER: "1" });
        const eager = cli([...flags, "-r", f], { TSNIFF_LAZY: "0" });
        expect(lazy.out, `${flags.join(" ")} ${path.basename(f)}`).toBe(eager.out);
        expect(lazy.status).toBe(eager.status);
        expect(lazy.err.replace(/tsniff: loader: .*\n/g, "")).toBe(eager.err);
        for (const l of lazy.err.match(/loader: lazy .*/g) ?? []) loaded.add(l);
      }
    }
    expect(loaded.size).toBeGreaterThan(10); // the sweep did load modules on the way
  }, 600_000);

  it("-Y and -e with a lazily loaded protocol's field print what an eager start prints", () => {
    const f = path.join(FIXTURES, "dns", fs.readdirSync(path.join(FIXTURES, "dns")).find((n) => n.endsWith(".pcap"))!);
    for (const args of [["-nn", "-Y", "dns.qry.name", "-r", f], ["-T", "fields", "-e", "dns.qry.name", "-e", "ip.src", "-r", f]]) {
      const lazy = cli(args);
      const eager = cli(args, { TSNIFF_LAZY: "0" });
      expect(lazy.status, lazy.err).toBe(0);
      expect(lazy.out.length).toBeGreaterThan(0);
      expect(lazy.out).toBe(eager.out);
    }
  }, 120_000);
});
