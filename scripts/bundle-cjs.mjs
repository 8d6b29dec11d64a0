#!/usr/bin/env node
/**
 * The library's CommonJS entry, for projects that `require("tsniff")` (package.json "exports" → "require"):
 * dist/cjs/index.cjs, one esbuild bundle of dist/index.js (dependencies stay outside), and dist/cjs/index.d.cts,
 * which gives it the ESM entry's types.
 *
 * The modules read import.meta.url (native.ts finds the addon from it); in the bundle it is the bundle's own file
 * URL, computed from __filename. dist/cjs/ sits two levels below the package like dist/capture/, so paths made
 * from it lead to the same places.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "dist", "cjs");

fs.rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [path.join(ROOT, "dist", "index.js")],
  outfile: path.join(OUT, "index.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  packages: "external",
  legalComments: "none",
  logLevel: "warning",
  define: { "import.meta.url": "__tsniff_import_meta_url" },
  banner: { js: 'const __tsniff_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
});
fs.writeFileSync(path.join(OUT, "index.d.cts"), 'export * from "../index.js";\n');
console.error(`bundle: dist/cjs/index.cjs (${(fs.statSync(path.join(OUT, "index.cjs")).size / 1024).toFixed(0)} KiB)`);
