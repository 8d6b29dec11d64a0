/**
 * The package as users get it (issue 12): `npm pack` (its prepack builds dist/ and the prebuilt addon), then the
 * tarball installed with no compiler on PATH — into an ESM project, a CommonJS project (`npm init -y`) and a
 * global prefix (`npm i -g --prefix`) — and used: the CLI over a fixture and on loopback, the library imported
 * and required (type-checked with tsc, module nodenext), a .ts plugin, and the one-line errors when libpcap's
 * shared library or any addon is missing. The ESM project installs with no install script at all (tsniff must
 * work when npm skips it), the CommonJS one with tsniff's approved in allowScripts.
 *
 * The pack runs in a copy of the working tree (dist/ of the tree other tests run is left alone). Dependencies
 * come from the npm registry: skipped when it is not reachable.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, has, ROOT, sleep, waitForStderr } from "../helpers/run.js";

const ROOTED = process.getuid?.() === 0;
const FIXTURE = path.join(ROOT, "fixtures", "http", "http.pcap");
const registry = spawnSync("npm", ["ping"], { timeout: 30_000, encoding: "utf8" }).status === 0;
const TCPDUMP = has("tcpdump");
const skip = !registry ? "the npm registry is not reachable" : !TCPDUMP ? "tcpdump (the reference counts) is not installed" : "";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-install-test-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A PATH with only node, npm and the shell npm runs scripts with: no cc, gcc, g++, make or python3. */
const BIN = path.join(work, "bin");
/** The installers' environment: that PATH, plus what reaches the registry (home for npm's cache and config, proxies). */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: BIN, HOME: process.env.HOME ?? os.homedir(), TZ: "UTC" };
  for (const [k, v] of Object.entries(process.env)) if (/^(https?_proxy|no_proxy|npm_config_(registry|cache|userconfig))$/i.test(k)) env[k] = v;
  return env;
}
function bare(cmd: string, args: string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: bareEnv(), encoding: "utf8", timeout, maxBuffer: 1 << 26 });
}
const NPM_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund"];
const lines = (s: string) => s.split("\n").filter(Boolean);

/** tcpdump's count of packets in a file (optionally filtered): the reference. */
function tcpdumpCount(file: string, filter?: string): number {
  const r = spawnSync("tcpdump", ["-nr", file, ...(filter ? [filter] : [])], { encoding: "utf8", maxBuffer: 1 << 26 });
  expect(r.status).toBe(0);
  return lines(r.stdout).length;
}

let tarball = "";
const installOutput: Record<string, string> = {};
const esm = path.join(work, "esm");
const cjs = path.join(work, "cjs");
const glob = path.join(work, "global");

describe.skipIf(skip)(`the packed package installed without a compiler${skip ? ` (skipped: ${skip})` : ""}`, () => {
  beforeAll(() => {
    // A copy of what the pack needs; node_modules (tsc, esbuild) shared by a link.
    const pkg = path.join(work, "pkg");
    fs.mkdirSync(pkg);
    for (const f of ["package.json", "README.md", "tsconfig.json", "binding.gyp", "bin", "src", "native", "scripts"]) {
      fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
    const p = spawnSync("npm", ["pack", "--pack-destination", work], { cwd: pkg, encoding: "utf8", timeout: 600_000, maxBuffer: 1 << 26 });
    expect(p.status, p.stderr).toBe(0);
    tarball = path.join(work, lines(p.stdout).pop()!.trim());
    expect(fs.existsSync(tarball)).toBe(true);

    fs.mkdirSync(BIN);
    const npmCli = fs.realpathSync(spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim());
    fs.symlinkSync(process.execPath, path.join(BIN, "node"));
    fs.symlinkSync(npmCli, path.join(BIN, "npm"));
    fs.symlinkSync("/bin/sh", path.join(BIN, "sh"));

    fs.mkdirSync(esm);
    fs.writeFileSync(path.join(esm, "package.json"), JSON.stringify({ name: "esm-user", private: true, type: "module" }));
    fs.mkdirSync(cjs);
    expect(bare("npm", ["init", "-y"], cjs).status).toBe(0);
    // The ESM project installs with --ignore-scripts: no install script runs (tsniff's nor esbuild's), as with
    // npm 12, which skips the scripts of dependencies not in allowScripts (npm 11 only warns). The CommonJS one
    // approves tsniff's (allowScripts, as `npm install-scripts approve` writes it for a tarball): it runs there.
    const cjsPkg = JSON.parse(fs.readFileSync(path.join(cjs, "package.json"), "utf8"));
    fs.writeFileSync(path.join(cjs, "package.json"), JSON.stringify({ ...cjsPkg, allowScripts: { [`file:${tarball}`]: true } }, null, 2));
    for (const dir of [esm, cjs]) {
      const r = bare("npm", ["install", tarball, "--foreground-scripts", ...(dir === esm ? ["--ignore-scripts"] : []), ...NPM_FLAGS], dir);
      expect(r.status, r.stderr).toBe(0);
      installOutput[dir] = r.stdout + r.stderr;
    }
    const g = bare("npm", ["install", "-g", "--prefix", glob, tarball, ...NPM_FLAGS], work);
    expect(g.status, g.stderr).toBe(0);
  }, 900_000);

  it("the installers' PATH has no compiler, make or python3; the tarball ships the prebuilt addon, no build/", () => {
    for (const tool of ["cc", "gcc", "g++", "c++", "make", "python3"]) {
      expect(spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { env: { PATH: BIN } }).status, tool).not.toBe(0);
    }
    const files = lines(spawnSync("tar", ["tzf", tarball], { encoding: "utf8" }).stdout);
    expect(files).toContain(`package/prebuilds/${process.platform}-${process.arch}/tsniff_pcap.node`);
    expect(files.filter((f) => f.startsWith("package/build/"))).toEqual([]);
    for (const dir of [path.join(esm, "node_modules", "tsniff"), path.join(cjs, "node_modules", "tsniff"), path.join(glob, "lib", "node_modules", "tsniff")]) {
      expect(fs.existsSync(path.join(dir, "build")), dir).toBe(false); // nothing was compiled
    }
  });

  it("install scripts: with --ignore-scripts none runs; tsniff's, approved, runs and compiles nothing (the prebuilt addon loads)", () => {
    expect(installOutput[esm]).not.toMatch(/> node scripts\/install\.mjs|> node install\.js/);
    expect(installOutput[cjs]).toMatch(/> node scripts\/install\.mjs/); // --foreground-scripts shows it running
    expect(installOutput[cjs]).not.toMatch(/tsniff@[\d.]+ \(install:/);
    expect(installOutput[cjs]).not.toMatch(/gyp|tsniff: /);
  });

  it("tsniff -r prints the file's packets (as many as tcpdump) from the project's and the global install", () => {
    const want = tcpdumpCount(FIXTURE);
    expect(want).toBeGreaterThan(0);
    for (const bin of [path.join(esm, "node_modules", ".bin", "tsniff"), path.join(cjs, "node_modules", ".bin", "tsniff"), path.join(glob, "bin", "tsniff")]) {
      const r = bare(bin, ["-nr", FIXTURE], work, 60_000);
      expect(r.status, `${bin}: ${r.stderr}`).toBe(0);
      expect(lines(r.stdout).length, bin).toBe(want);
      expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{6} IP /);
    }
  });

  it.skipIf(!ROOTED)("tsniff -i lo -c 1 captures a loopback packet (global install)", async () => {
    const child = spawn(path.join(glob, "bin", "tsniff"), ["-ni", "lo", "-c", "1", "icmp"], { env: bareEnv(), stdio: ["ignore", "pipe", "pipe"] });
    const done = collect(child);
    await waitForStderr(child, "listening on");
    await sleep(200);
    const ping = spawnSync("ping", ["-c", "3", "-i", "0.2", "127.0.0.1"], { timeout: 10_000 });
    expect(ping.status).toBe(0);
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const r = await done;
    clearTimeout(timer);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout.toString())).toHaveLength(1);
    expect(r.stdout.toString()).toMatch(/ IP 127\.0\.0\.1 > 127\.0\.0\.1: ICMP echo (request|reply)/);
  }, 60_000);

  /** Type-checks `file` in the project with the repository's tsc (module nodenext, strict), and runs it. */
  function typecheck(dir: string, file: string): void {
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, outDir: "out", types: ["node"], typeRoots: [path.join(ROOT, "node_modules", "@types")] },
        files: [file],
      }),
    );
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { encoding: "utf8", timeout: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }
  const USER_TS = (wrap: (body: string) => string) =>
    `import { readPcap, sniff, type Packet } from "tsniff";\n` +
    wrap(`const pkts: Packet[] = await readPcap(file);
  let tcp = 0;
  await sniff({ offline: file, filter: "tcp", store: false, prn: (p: Packet) => { if (p.tcp) tcp++; } });
  console.log(pkts.length, tcp);`);

  it("an ESM project: import from \"tsniff\" type-checks and runs (packet counts as tcpdump's)", () => {
    fs.writeFileSync(path.join(esm, "user.ts"), USER_TS((b) => `const file = process.argv[2]!;\n${b}\n`));
    typecheck(esm, "user.ts");
    const r = bare("node", [path.join(esm, "out", "user.js"), FIXTURE], esm, 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${tcpdumpCount(FIXTURE)} ${tcpdumpCount(FIXTURE, "tcp")}`);
  }, 300_000);

  it("a CommonJS project (npm init -y): import compiled to require, and require(\"tsniff\"), type-check and run", () => {
    expect(JSON.parse(fs.readFileSync(path.join(cjs, "package.json"), "utf8")).type ?? "commonjs").toBe("commonjs");
    fs.writeFileSync(path.join(cjs, "user.ts"), USER_TS((b) => `async function main(file: string): Promise<void> {\n  ${b}\n}\nvoid main(process.argv[2]!);\n`));
    typecheck(cjs, "user.ts");
    expect(fs.readFileSync(path.join(cjs, "out", "user.js"), "utf8")).toContain('require("tsniff")');
    const want = `${tcpdumpCount(FIXTURE)} ${tcpdumpCount(FIXTURE, "tcp")}`;
    const r = bare("node", [path.join(cjs, "out", "user.js"), FIXTURE], cjs, 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(want);
    fs.writeFileSync(
      path.join(cjs, "plain.js"),
      `const { readPcap } = require("tsniff");\nreadPcap(process.argv[2]).then((p) => console.log(p.length, p[0].summary()));\n`,
    );
    const q = bare("node", [path.join(cjs, "plain.js"), FIXTURE], cjs, 60_000);
    expect(q.status, q.stderr).toBe(0);
    expect(q.stdout).toMatch(new RegExp(`^${tcpdumpCount(FIXTURE)} \\S`));
  }, 300_000);

  it("a .ts plugin runs from the installed CLI (esbuild from the dependencies; no install script ran)", () => {
    const plugin = path.join(esm, "count.ts");
    fs.writeFileSync(
      plugin,
      `import type { Packet, PluginContext } from "tsniff";\nenum Step { One = 1 }\nexport function onPacket(p: Packet, ctx: PluginContext): boolean { if (p.tcp) ctx.state.n = ((ctx.state.n as number | undefined) ?? 0) + Step.One; return false; }\nexport function onStop(ctx: PluginContext): void { ctx.log("tcp", ctx.state.n); }\n`,
    );
    const r = bare(path.join(esm, "node_modules", ".bin", "tsniff"), ["-nr", FIXTURE, "--script", plugin], esm, 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(""); // the plugin passes no packet
    expect(r.stderr).toContain(`[count] tcp ${tcpdumpCount(FIXTURE, "tcp")}`);
  });

  it("the install script: nothing to compile when the prebuilt addon loads", () => {
    const dir = path.join(glob, "lib", "node_modules", "tsniff");
    const r = bare("node", ["scripts/install.mjs"], dir, 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toBe("");
    expect(fs.existsSync(path.join(dir, "build"))).toBe(false);
  });

  it("one error line when libpcap's shared library is missing, or no addon at all; the install script names the missing packages", () => {
    const dir = path.join(glob, "lib", "node_modules", "tsniff");
    const tsniffBin = path.join(glob, "bin", "tsniff");
    const addon = path.join(dir, "prebuilds", `${process.platform}-${process.arch}`, "tsniff_pcap.node");
    // The prebuilt addon made to need a libpcap that is not installed (same length name: the ELF stays valid).
    const bytes = fs.readFileSync(addon);
    const at = bytes.indexOf("libpcap.so.0.8\0");
    expect(at).toBeGreaterThan(0);
    bytes.write("libpcap.so.9.9", at, "latin1");
    fs.writeFileSync(addon, bytes);
    // A capture filter needs libpcap (a plain -r does not load the addon: it reads the file in JavaScript).
    let r = bare(tsniffBin, ["-nr", FIXTURE, "tcp"], work, 60_000);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^tsniff: .*libpcap\.so\.9\.9 is missing; install it: apt-get install libpcap0\.8\b/)]);
    r = bare(tsniffBin, ["-nr", FIXTURE], work, 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout).length).toBeGreaterThan(0);

    fs.rmSync(path.join(dir, "prebuilds"), { recursive: true });
    r = bare(tsniffBin, ["-nr", FIXTURE, "tcp"], work, 60_000);
    expect(r.status).not.toBe(0);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^tsniff: the libpcap addon is not built and no prebuilt one fits .*apt-get install libpcap-dev g\+\+ make python3/)]);

    // npm runs the install script (node-gyp, which finds no compiler): one line of ours, no gyp stack.
    r = bare("npm", ["rebuild", "-g", "--prefix", glob, "--allow-scripts=tsniff", "tsniff"], work);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/gyp ERR!/);
    const m = /tsniff: cannot build the libpcap addon: missing g\+\+, make, python3(, libpcap-dev)?; install: apt-get install g\+\+ make python3( libpcap-dev)? \(log: (\S+)\)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(fs.readFileSync(m![3], "utf8")).toMatch(/gyp/); // node-gyp's output went there
    fs.rmSync(m![3]);
  }, 120_000);
});
