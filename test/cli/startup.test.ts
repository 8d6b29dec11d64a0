/**
 * bin/tsniff's fast start (issue #19): the CLI's script with V8's code cache (scripts/bundle.mjs,
 * scripts/code-cache.cjs), and `-r FILE` without a filter not loading the addon. The output must be the same
 * whichever way the CLI was loaded, and a damaged, foreign, cut or missing cache must only make it compile
 * the script from its text: never a crash, never another program's code. Timings are never asserted
 * (bench: docs/BENCHMARKS.md).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, ROOT } from "../helpers/paths.js";

const SCRIPT = path.join(ROOT, "dist", "clib", "main.vm.js");
const built = fs.existsSync(SCRIPT) && fs.existsSync(SCRIPT + ".cache");
const PCAP = path.join(FIXTURES, "http", "http.pcap");
const ENV = { ...process.env, TZ: "UTC", TSNIFF_TRACE_LOADER: "1" };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-startup-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "latin1", env, maxBuffer: 1 << 26, timeout: 120_000 });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

/** The output of the compiled modules (dist/cli/main.js), the reference. */
function modules(args: string[]) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import(${JSON.stringify(path.join(ROOT, "dist", "cli", "main.js"))}).then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`], {
    encoding: "latin1",
    env: { ...process.env, TZ: "UTC" },
    maxBuffer: 1 << 26,
    timeout: 120_000,
  });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

let n = 0;
/** A copy of the package whose dist/clib/ is its own (everything else linked), so its cache can be spoiled. */
function pkgCopy(spoil: (cache: string, script: string) => void): string {
  const dir = path.join(tmp, `p${n++}`);
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.mkdirSync(path.join(dir, "dist"));
  for (const f of ["tsniff", "package.json"]) fs.copyFileSync(path.join(ROOT, "bin", f), path.join(dir, "bin", f));
  fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
  for (const f of ["build", "node_modules"]) if (fs.existsSync(path.join(ROOT, f))) fs.symlinkSync(path.join(ROOT, f), path.join(dir, f));
  for (const e of fs.readdirSync(path.join(ROOT, "dist"))) {
    if (e === "clib") fs.cpSync(path.join(ROOT, "dist", e), path.join(dir, "dist", e), { recursive: true, preserveTimestamps: true });
    else fs.symlinkSync(path.join(ROOT, "dist", e), path.join(dir, "dist", e));
  }
  const clib = path.join(dir, "dist", "clib");
  spoil(path.join(clib, "main.vm.js.cache"), path.join(clib, "main.vm.js"));
  return path.join(dir, "bin", "tsniff");
}

describe.skipIf(!built)("bin/tsniff start-up", () => {
  const ref = built ? modules(["-nn", "-r", PCAP]) : { out: "", err: "", status: 0 };

  it("runs the CLI's script with its code cache, printing what the modules print", () => {
    expect(ref.status, ref.err).toBe(0);
    expect(ref.out.split("\n").length).toBeGreaterThan(10);
    const r = run(path.join(ROOT, "bin", "tsniff"), ["-nn", "-r", PCAP]);
    expect(r.status, r.err).toBe(0);
    expect(r.err).toContain("tsniff: loader: code cache accepted");
    expect(r.err).toContain("tsniff: loader: dist/clib/main.vm.js");
    expect(r.out).toBe(ref.out);
    expect(r.err).not.toMatch(/Warning|internal error/);
  });

  it("prints the same -T json and -V as the modules", () => {
    for (const flags of [["-T", "json"], ["-V", "-c", "5"]]) {
      const want = modules([...flags, "-r", PCAP]);
      const r = run(path.join(ROOT, "bin", "tsniff"), [...flags, "-r", PCAP]);
      expect(r.status, r.err).toBe(0);
      expect(r.out).toBe(want.out);
    }
  });

  const cases: [string, (cache: string, script: string) => void, RegExp][] = [
    [
      "bytes of V8's data flipped",
      (c) => {
        const b = fs.readFileSync(c);
        for (let i = 0; i < 64; i++) b[100 + Math.floor(((i * 7919) % 997) / 997 * (b.length - 200))] ^= 0x5a;
        fs.writeFileSync(c, b);
      },
      /code cache rejected by V8/,
    ],
    ["cut in half", (c) => fs.writeFileSync(c, fs.readFileSync(c).subarray(0, fs.statSync(c).size >> 1)), /code cache rejected by V8/],
    [
      "another build's (a different id)",
      (c) => {
        const b = fs.readFileSync(c);
        b[8] = b[8] === 0x30 ? 0x31 : 0x30;
        fs.writeFileSync(c, b);
      },
      /code cache ignored: not this build's/,
    ],
    ["not a cache at all", (c) => fs.writeFileSync(c, "garbage"), /code cache ignored: not this build's/],
    ["empty", (c) => fs.writeFileSync(c, ""), /code cache ignored: not this build's/],
    ["missing", (c) => fs.rmSync(c), /no code cache/],
  ];
  for (const [what, spoil, says] of cases) {
    it(`compiles the script from its text when the cache is ${what}`, () => {
      const bin = pkgCopy(spoil);
      const r = run(bin, ["-nn", "-r", PCAP]);
      expect(r.status, r.err).toBe(0);
      expect(r.err).toMatch(says);
      expect(r.err).toContain("tsniff: loader: dist/clib/main.vm.js");
      expect(r.err).not.toMatch(/Warning|internal error/);
      expect(r.out).toBe(ref.out);
    });
  }

  it("uses the module bundle when the script is older than the compiled modules (a later tsc-only build)", () => {
    const bin = pkgCopy((_c, s) => fs.utimesSync(s, new Date(0), new Date(0)));
    const r = run(bin, ["-nn", "-r", PCAP]);
    expect(r.status, r.err).toBe(0);
    expect(r.err).not.toContain("main.vm.js");
    expect(r.err).toContain("tsniff: loader: dist/clib/main.js");
    expect(r.out).toBe(ref.out);
  });

  it("loads Node's built-ins on first use: a plain -r loads neither node:crypto nor node:net; QUIC's keys still decrypt", () => {
    // The script run in-process as bin/tsniff runs it, stderr a pipe (process.stderr would load node:net)
    const code = `const b = require(${JSON.stringify(path.join(ROOT, "bin", "tsniff"))}); const { fn } = b.compileCli(); const e = b.runCli(fn, b.SCRIPT);
      e.main(["-nn", "-r", ${JSON.stringify(PCAP)}]).then((c) => { require("node:fs").writeSync(2, JSON.stringify({ c, m: process.moduleLoadList }) + "\\n"); });`;
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "latin1", env: { ...process.env, TZ: "UTC" }, maxBuffer: 1 << 26, timeout: 120_000 });
    const last = JSON.parse(r.stderr.trim().split("\n").pop()!) as { c: number; m: string[] };
    expect(last.c, r.stderr).toBe(0);
    expect(r.stdout).toBe(ref.out);
    expect(last.m).toContain("NativeModule fs");
    for (const m of ["NativeModule crypto", "NativeModule net", "NativeModule tty", "NativeModule os"]) expect(last.m).not.toContain(m);
    const quic = path.join(CORPUS, "quic_handshake.pcap"); // Initial packets: decrypted with node:crypto
    const want = modules(["-V", "-r", quic]);
    const q = run(path.join(ROOT, "bin", "tsniff"), ["-V", "-r", quic]);
    expect(q.status, q.err).toBe(0);
    expect(want.out).toContain("Frame Type: CRYPTO (6)");
    expect(q.out).toBe(want.out);
  });

  it("reads a file without a filter without loading the addon; a filter still needs it", () => {
    const env = { ...ENV, TSNIFF_ADDON: path.join(tmp, "no-such-addon.node") };
    const r = run(path.join(ROOT, "bin", "tsniff"), ["-nn", "-r", PCAP], env);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe(ref.out);
    expect(r.err).toContain("link-type EN10MB (Ethernet)");
    const f = run(path.join(ROOT, "bin", "tsniff"), ["-nn", "-r", PCAP, "tcp"], env);
    expect(f.status).not.toBe(0);
    expect(f.err).toMatch(/^tsniff: the libpcap addon cannot load/m);
  });
});
