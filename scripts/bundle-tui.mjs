#!/usr/bin/env node
/**
 * Bundles the TUI with Ink, React and the library parts it uses, for bin/tsniff's short way into `--tui`
 * (src/tui/launch.ts): entry dist/tui/launch.js (compiled by tsc), output dist/tuib/launch.js plus chunks
 * (the first screen's code loads first; Ink and React, imported dynamically, are a chunk loaded after it),
 * with React's production build. Loading ~150 small modules (and parsing React's CommonJS with the module
 * lexer) took most of the TUI's first second; a few files load in a fraction of that.
 *
 * dist/tuib/ sits two levels below the project like dist/capture/, so the addon is found from the bundle as
 * from the modules. inputs.json lists the dist/ files bundled: launch.ts falls back to the CLI's path when
 * one of them is newer than the bundle (a tsc-only build). Without esbuild (a devDependency) nothing is
 * bundled and bin/tsniff runs the CLI's path.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "dist", "tuib");

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.error("bundle-tui: esbuild is not installed (a devDependency): tsniff --tui loads its modules one by one");
  fs.rmSync(OUT, { recursive: true, force: true });
  process.exit(0);
}

fs.rmSync(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [path.join(ROOT, "dist", "tui", "launch.js")],
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
      },
    },
  ],
});
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith("dist/"));
fs.writeFileSync(path.join(OUT, "inputs.json"), JSON.stringify(inputs));
let size = 0;
for (const f of fs.readdirSync(OUT)) size += fs.statSync(path.join(OUT, f)).size;
console.error(`bundle-tui: dist/tuib/ (${(size / 1024).toFixed(0)} KiB, ${inputs.length} modules of dist/ in it)`);
