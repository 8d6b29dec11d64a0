#!/usr/bin/env node
/**
 * Bundles what bin/tsniff loads, so Node reads a few files instead of resolving and compiling ~100 modules one
 * by one (about 0.1 s of every CLI start, most of the TUI's first second):
 *   - dist/clib/main.js: the CLI (dist/cli/main.js and the library modules it imports); dependencies stay
 *     outside (imported at run time as before), and so does the TUI (loaded only for --tui).
 *   - dist/tuib/: src/tui/launch.ts with the TUI, Ink, React and the library parts they use (the first screen's
 *     code loads first; Ink and React, imported dynamically, are a chunk loaded after it), React's production
 *     build.
 * Both sit two levels below the project like dist/cli/, so the addon and package.json are found from a bundle
 * as from the modules. Each has an inputs.json listing the dist/ files bundled: bin/tsniff and launch.ts use a
 * bundle only while none of them is newer (a later tsc-only build runs the modules). Without esbuild (a
 * dependency, also for .ts plugins) nothing is bundled and the modules run.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import crypto from "node:crypto";
import { spawnSync } from "node:child_process";
import { INK_TEXT_FILES, patchInkText } from "./ink-text-patch.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "dist", "tuib");
const CLI_OUT = path.join(ROOT, "dist", "clib");

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.error("bundle: esbuild is not installed (a dependency: npm install): tsniff loads its modules one by one");
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.rmSync(CLI_OUT, { recursive: true, force: true });
  process.exit(0);
}

fs.rmSync(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [path.join(ROOT, "dist", "tui", "launch.js"), path.join(ROOT, "dist", "tui", "filter-worker.js")], // the display filter's worker thread (src/tui/filter-thread.ts) beside it
  outdir: OUT,
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: !process.env.TSNIFF_BUNDLE_DEBUG,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
  define: { "process.env.NODE_ENV": '"production"' },
  // CommonJS dependencies (React) call require() for Node's built-in modules
  banner: { js: 'import { createRequire as __tsniffRequire } from "node:module"; const require = __tsniffRequire(import.meta.url);' },
  plugins: [
    {
      name: "tsniff",
      setup(b) {
        // Ink connects to React's devtools only with DEV=true, through a package that is not installed: left out.
        b.onResolve({ filter: /^\.\/devtools\.js$/ }, (a) => (a.importer.includes(`${path.sep}ink${path.sep}`) ? { path: "devtools", namespace: "tsniff-stub" } : undefined));
        b.onLoad({ filter: /.*/, namespace: "tsniff-stub" }, () => ({ contents: "export {};", loader: "js" }));
        // Ink's text measure and ANSI tokenizer: one-column text without the grapheme segmenter, fewer
        // arrays per character (scripts/ink-text-patch.mjs; half of Ink's first frame went there, issue #17).
        const textWidth = path.join(ROOT, "dist", "tui", "text-width.js");
        // (TSNIFF_BUNDLE_INK_PATCH=0 leaves them out: to compare)
        if (process.env.TSNIFF_BUNDLE_INK_PATCH !== "0") b.onLoad({ filter: INK_TEXT_FILES }, (a) => {
          const text = patchInkText(a.path, fs.readFileSync(a.path, "utf8"), textWidth);
          return text === null ? undefined : { contents: text, loader: "js", resolveDir: path.dirname(a.path) };
        });
      },
    },
  ],
});
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith("dist/"));
fs.writeFileSync(path.join(OUT, "inputs.json"), JSON.stringify(inputs));
let size = 0;
for (const f of fs.readdirSync(OUT)) size += fs.statSync(path.join(OUT, f)).size;
console.error(`bundle: dist/tuib/ (${(size / 1024).toFixed(0)} KiB, ${inputs.length} modules of dist/ in it)`);

// --tui's modules (`../tui/...` imported by dist/cli), imported only then, stay out of the CLI's bundle. Matched by
// the import's own text: esbuild's `external: ["../tui/*"]` resolves that pattern against the working directory,
// and in a checkout whose directory is named `tui` it made every module external (an empty bundle).
const tuiExternal = {
  name: "tui-external",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/tui\// }, (a) => ({ path: a.path, external: true }));
  },
};
fs.rmSync(CLI_OUT, { recursive: true, force: true });
const cli = await esbuild.build({
  entryPoints: [path.join(ROOT, "dist", "cli", "bundle-entry.js")], // main, and the library for plugins
  outfile: path.join(CLI_OUT, "main.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  plugins: [tuiExternal], // --tui's modules, imported only then
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});
const cliInputs = Object.keys(cli.metafile.inputs).filter((f) => f.startsWith("dist/"));
fs.writeFileSync(path.join(CLI_OUT, "inputs.json"), JSON.stringify(cliInputs));
console.error(`bundle: dist/clib/ (${(fs.statSync(path.join(CLI_OUT, "main.js")).size / 1024).toFixed(0)} KiB, ${cliInputs.length} modules of dist/ in it)`);

// The same CLI as a script (dist/clib/main.vm.js) for bin/tsniff, with V8's code cache beside it
// (scripts/code-cache.cjs): a script compiled with vm.Script can use a code cache, a module cannot in Node 20.
// The text is the whole function bin/tsniff calls, so it is compiled as read; its first line carries a build
// id that the cache's header repeats.
const VM_OUT = path.join(CLI_OUT, "main.vm.js");
// Lazy registration (issue #19): the script's dist/dissectors/index.js imports only the core protocol modules; the
// others run on the first lookup that needs them (scripts/gen-lazy-manifest.mjs, registry.ts). esbuild turns the
// loader's require() of a bundled module into its lazy initialiser. TSNIFF_LAZY=0 at build time: all up front.
const lazyRegistration = process.env.TSNIFF_LAZY === "0" ? [] : [lazyIndexPlugin()];
function lazyIndexPlugin() {
  const gen = spawnSync(process.execPath, [path.join(ROOT, "scripts", "gen-lazy-manifest.mjs"), path.join(CLI_OUT, "lazy-manifest.json")], { stdio: ["ignore", "ignore", "inherit"] });
  if (gen.status !== 0) throw new Error("bundle: scripts/gen-lazy-manifest.mjs failed");
  const manifest = JSON.parse(fs.readFileSync(path.join(CLI_OUT, "lazy-manifest.json"), "utf8"));
  const index = path.join(ROOT, "dist", "dissectors", "index.js");
  return {
    name: "lazy-registration",
    setup(b) {
      b.onLoad({ filter: /[\\/]dist[\\/]dissectors[\\/]index\.js$/ }, (a) => {
        if (a.path !== index) return undefined;
        const lazy = new Set(manifest.modules);
        const text = fs
          .readFileSync(index, "utf8")
          .split("\n")
          .filter((l) => !lazy.has(/^import "\.\/(.+)";$/.exec(l)?.[1]))
          .join("\n");
        const cases = manifest.modules.map((m) => `case ${JSON.stringify(m)}: require(${JSON.stringify("./" + m)}); break;`).join("\n");
        return {
          contents: [
            text,
            'import * as __registry from "./registry.js";',
            // TSNIFF_TRACE_LOADER=1: each module loaded is traced, and the registry is reachable (test/cli/lazy-registration)
            'const __trace = process.env.TSNIFF_TRACE_LOADER === "1" ? (m) => { (globalThis[Symbol.for("tsniff.lazyLoaded")] ??= []).push(m); process.stderr.write(`tsniff: loader: lazy ${m}\\n`); } : null;',
            'if (__trace) globalThis[Symbol.for("tsniff.registry")] = __registry;',
            `__registry.enableLazyRegistration(${JSON.stringify(manifest)}, (m) => { __trace?.(m); switch (m) {\n${cases}\n} });`,
            'if (process.env.TSNIFF_LAZY === "0") __registry.loadAllProtocols();',
            "",
          ].join("\n"),
          loader: "js",
          resolveDir: path.dirname(index),
        };
      });
    },
  };
}
const vmBuild = await esbuild.build({
  entryPoints: [path.join(ROOT, "dist", "cli", "bundle-entry.js")],
  bundle: true,
  write: false,
  platform: "node",
  format: "cjs",
  target: "node20",
  packages: "external",
  plugins: [tuiExternal, ...lazyRegistration],
  legalComments: "none",
  logLevel: "warning",
  define: { "import.meta.url": "__tsniff_import_meta_url" },
  minifyWhitespace: process.env.TSNIFF_VM_MINIFY !== "0", // half the text to read and hash; names are kept (stack traces)
  minifySyntax: process.env.TSNIFF_VM_MINIFY !== "0",
});
// dist/clib/lib.mjs: what "tsniff" means in a TypeScript plugin run by the script (src/plugins/loader.ts):
// the running script's exports (bin/tsniff puts them on globalThis), under the names the module bundle exports.
const names = Object.values(cli.metafile.outputs).find((o) => o.entryPoint)?.exports ?? [];
fs.writeFileSync(
  path.join(CLI_OUT, "lib.mjs"),
  `// made by scripts/bundle.mjs: the library of the running CLI script (bin/tsniff)\nconst L = globalThis[Symbol.for("tsniff.cli")] ?? (await import("./main.js"));\nexport const { ${names.join(", ")} } = L;\n`,
);
const buildId = crypto.randomBytes(16).toString("hex");
// A function compiled from a code cache loses vm.Script's importModuleDynamically in Node 20 ("A dynamic import
// callback was not specified"): the script's import() calls go to bin/tsniff's instead, passed in as
// __tsniff_import (relative specifiers resolved against the script's own URL).
// A Node built-in imported as an ES module is esbuild's __toESM(require("node:fs"), 1): a copy of every export as a
// getter, made anew at each of the ~25 imports (3 ms and 1 MB of every start). The script's namespaces are read
// only (named imports are called as (0, ns.f)()), so one object per module whose prototype is the module serves.
// The module is loaded on the namespace's first use, not at the import (node:crypto, which QUIC's keys import,
// took ~5 ms of every start): until then the object's prototype is a proxy that loads the module, puts it in
// its own place and answers from it.
const body = vmBuild.outputFiles[0].text
  .replace(/(?<![\w$.])import\(/g, "__tsniff_import(")
  .replace(/(?<![\w$.])__toESM\(require\("(node:[a-z_]+)"\)(,1)?\)/g, '__tsniff_builtin("$1")')
  .replace(/(?<![\w$.])(import_node_[\w$]+=)require\("(node:[a-z_]+)"\)/g, '$1__tsniff_builtin("$2")');
const builtins =
  "var __tsniff_builtins=new Map(),__tsniff_builtin=n=>{let m=__tsniff_builtins.get(n);if(!m){const load=()=>{const r=require(n);Object.setPrototypeOf(m,r);m.default=r;return r};" +
  'm=Object.create(new Proxy({},{get:(t,k)=>k==="default"?load():load()[k]}));__tsniff_builtins.set(n,m)}return m};\n';
fs.writeFileSync(
  VM_OUT,
  `// tsniff-cli-script ${buildId}\n(function (exports, require, module, __filename, __dirname, __tsniff_import_meta_url, __tsniff_import) {"use strict";\n${builtins}${body}\n})\n`,
  "latin1", // esbuild's output is ASCII (non-ASCII characters are escaped)
);
if (/[^\x00-\x7f]/.test(body)) throw new Error("bundle: dist/clib/main.vm.js is not ASCII");
const cc = spawnSync(process.execPath, [path.join(ROOT, "scripts", "code-cache.cjs"), VM_OUT], { stdio: ["ignore", "ignore", "pipe"], encoding: "latin1" });
// the warm-up run's own status line (written straight to fd 2) is not news; anything else is passed on
const ccErr = (cc.stderr ?? "").split("\n").filter((l) => l && !/^reading from file /.test(l));
if (ccErr.length) console.error(ccErr.join("\n"));
if (cc.status !== 0) console.error("bundle: no code cache for dist/clib/main.vm.js (bin/tsniff compiles it on every start)");
console.error(`bundle: dist/clib/main.vm.js (${(fs.statSync(VM_OUT).size / 1024).toFixed(0)} KiB)${cc.status === 0 ? ` and its code cache (${(fs.statSync(VM_OUT + ".cache").size / 1024).toFixed(0)} KiB)` : ""}`);
