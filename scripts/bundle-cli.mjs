#!/usr/bin/env node
/**
 * Bundles the CLI (dist/cli/main.js and the ~85 library modules it imports) into one file, dist/clib/main.js,
 * for bin/tsniff: Node loads one file instead of resolving and compiling the modules one by one, which took
 * about 0.1 s of every tsniff start (every test and script that runs it pays that). Dependencies stay outside
 * (imported at run time as before), and so does the TUI (loaded only for --tui, from dist/tui/).
 *
 * dist/clib/ sits two levels below the project like dist/cli/, so the addon and package.json are found from the
 * bundle as from the modules. inputs.json lists the dist/ files bundled: bin/tsniff uses the bundle only when
 * none of them is newer (a later tsc-only build runs the modules). Without esbuild (a devDependency) nothing is
 * bundled and bin/tsniff runs dist/cli/main.js.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "dist", "clib");

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.error("bundle-cli: esbuild is not installed (a devDependency): tsniff loads its modules one by one");
  fs.rmSync(OUT, { recursive: true, force: true });
  process.exit(0);
}

fs.rmSync(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [path.join(ROOT, "dist", "cli", "main.js")],
  outfile: path.join(OUT, "main.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  // the TUI is imported only for --tui, from its own modules (or bin/tsniff's TUI bundle)
  external: ["../tui/*"],
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith("dist/"));
fs.writeFileSync(path.join(OUT, "inputs.json"), JSON.stringify(inputs));
