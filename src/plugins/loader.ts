/**
 * Loading plugin modules given with --script: JavaScript (.js/.mjs) is imported as it is; TypeScript
 * (.ts/.mts/.tsx) is transpiled with esbuild's `transform` (types are erased, nothing is type-checked: no build
 * step; a few milliseconds where the `typescript` package took seconds to load) into a temporary directory and
 * imported from there.
 *
 * Imports inside a transpiled script are rewritten so they resolve as they would beside the original:
 *   - relative imports point at the original directory; one naming a .ts file (or a ".js" whose file is
 *     really .ts, the NodeNext convention) is transpiled the same way;
 *   - "tsniff" (the package's own name) points at this build's library entry, so a script works from any
 *     directory; other bare names are resolved from the script's directory (its node_modules).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { where, type Plugin } from "./context.js";
import { checkPluginTrust } from "./trust.js";

let tmpDir: string | undefined;
function tempDir(): string {
  if (!tmpDir) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-scripts-"));
    const dir = tmpDir;
    process.once("exit", () => {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    });
  }
  return tmpDir;
}

/**
 * What "tsniff" means in a plugin: the library modules the running CLI uses. Run from the CLI's bundle
 * (dist/clib/main.js, which exports the library too) that is the bundle itself; else dist/index.js.
 */
const LIB_ENTRY = /\/clib\/main\.js$/.test(import.meta.url)
  ? import.meta.url
  : /\/clib\/main\.vm\.js$/.test(import.meta.url) // the CLI's script (bin/tsniff): its exports
    ? new URL("lib.mjs", import.meta.url).href
    : new URL("../index.js", import.meta.url).href;
const transpiled = new Map<string, string>();

type Esbuild = typeof import("esbuild");
let esbuildModule: Esbuild | undefined;
async function esbuild(): Promise<Esbuild> {
  if (!esbuildModule) {
    const m = (await import("esbuild")) as unknown as { default?: Esbuild } & Esbuild;
    esbuildModule = m.default ?? m;
  }
  return esbuildModule;
}

function isTs(file: string): boolean {
  return /\.(ts|mts|tsx)$/.test(file) && !file.endsWith(".d.ts");
}

/** Where a relative specifier of a TypeScript file points: the .ts file when there is one. */
function resolveRelative(fromDir: string, spec: string): string {
  const p = path.resolve(fromDir, spec);
  if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
  const swaps: [RegExp, string][] = [
    [/\.js$/, ".ts"],
    [/\.mjs$/, ".mts"],
    [/\.jsx$/, ".tsx"],
  ];
  for (const [re, ext] of swaps) if (re.test(p) && fs.existsSync(p.replace(re, ext))) return p.replace(re, ext);
  for (const ext of [".ts", ".mts", ".js", ".mjs"]) if (fs.existsSync(p + ext)) return p + ext;
  return p;
}

async function rewriteSpecifier(spec: string, fromDir: string): Promise<string> {
  if (spec === "tsniff") return LIB_ENTRY;
  if (spec.startsWith("./") || spec.startsWith("../")) {
    const target = resolveRelative(fromDir, spec);
    return isTs(target) ? pathToFileURL(await transpileFile(target)).href : pathToFileURL(target).href;
  }
  if (spec.startsWith("node:") || spec.startsWith("file:") || path.isAbsolute(spec)) return spec;
  // A bare package name: resolve it from the script's own directory.
  try {
    return pathToFileURL(createRequire(path.join(fromDir, "noop.js")).resolve(spec)).href;
  } catch {
    return spec;
  }
}

/** Transpiles one TypeScript file (and, through its imports, its relative TypeScript imports); returns the .mjs path. */
async function transpileFile(file: string): Promise<string> {
  const done = transpiled.get(file);
  if (done) return done;
  const out = path.join(tempDir(), `${transpiled.size}-${path.basename(file).replace(/\.[^.]+$/, "")}.mjs`);
  transpiled.set(file, out); // before recursing: import cycles end here
  const src = fs.readFileSync(file, "utf8");
  // esbuild transpiles it without a word and the module then fails with "require is not defined": say why here.
  const req = /^[ \t]*(?:export\s+)?import\s+[\w$]+\s*=\s*require\s*\(/m.exec(src);
  if (req) {
    const line = src.slice(0, req.index).split("\n").length;
    throw new Error(`${file}:${line}:1: \`import x = require(...)\` is not supported: a plugin is an ES module; use import`);
  }
  const es = await esbuild();
  let outputText: string;
  try {
    const r = await es.transform(src, {
      loader: file.endsWith(".tsx") ? "tsx" : "ts",
      format: "esm",
      target: "node20",
      platform: "node",
      sourcefile: file,
      sourcemap: "inline",
      sourcesContent: true,
      logLevel: "silent",
    });
    outputText = r.code;
  } catch (e) {
    const d = (e as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    if (!d) throw e;
    throw new Error(`${file}${d.location ? `:${d.location.line}:${d.location.column + 1}` : ""}: ${d.text}`);
  }
  const dir = path.dirname(file);
  // import ... from "x" / export ... from "x" / import "x" / import("x")
  const re = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"'\n]+)\2/g;
  let code = "";
  let last = 0;
  for (let m = re.exec(outputText); m; m = re.exec(outputText)) {
    code += outputText.slice(last, m.index) + m[1] + JSON.stringify(await rewriteSpecifier(m[3], dir));
    last = m.index + m[0].length;
  }
  code += outputText.slice(last);
  fs.writeFileSync(out, code);
  return out;
}

export interface LoadedModule {
  name: string;
  /** the plugin's file (absolute) */
  file: string;
  /** the module Node runs: the transpiled .mjs of a TypeScript plugin (stack frames without source maps) */
  runFile?: string;
  module: Plugin;
}

/**
 * Where a JavaScript syntax error is: Node's own message has no position ("Unexpected token '{'"), so the
 * file is parsed again by esbuild for its line and column; failing that, the line from Node's stack.
 */
async function syntaxWhere(file: string, e: Error): Promise<string> {
  try {
    const es = await esbuild();
    await es.transform(fs.readFileSync(file, "utf8"), { loader: "js", format: "esm", logLevel: "silent" });
  } catch (x) {
    const d = (x as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    if (d?.location) return `${file}:${d.location.line}:${d.location.column + 1}: ${d.text}`;
  }
  const m = /^(?:file:\/\/)?(\/[^\n]*?):(\d+)\n/.exec(e.stack ?? "");
  return m ? `${file}:${m[2]}: ${e.message}` : `${file}: ${e.message}`;
}

/** The names a module exports, for the "found none" message ("default" shows its own keys). */
function exportList(mod: Record<string, unknown>): string {
  const names = Object.keys(mod).map((k) => {
    const v = mod[k];
    if (k === "default" && v && typeof v === "object") return `default { ${Object.keys(v).join(", ")} }`;
    return k;
  });
  return names.length ? `it exports: ${names.join(", ")}` : "it exports nothing";
}

/** Loads a plugin module from a path (relative to the working directory). */
export async function loadPlugin(spec: string): Promise<LoadedModule> {
  const file = path.resolve(spec);
  if (!fs.existsSync(file)) throw Object.assign(new Error(`${spec}: No such file or directory`), { code: "ENOENT" });
  // Refused unless only root or the user it runs as can change it (trust.ts); checked just before the import.
  checkPluginTrust(spec);
  let mod: Plugin & { default?: Plugin };
  let runFile: string | undefined;
  // Stack frames of a TypeScript plugin point at its .ts lines (esbuild's inline source maps).
  process.setSourceMapsEnabled(true);
  try {
    if (isTs(file)) runFile = await transpileFile(file);
    mod = (await import(pathToFileURL(runFile ?? file).href)) as Plugin & { default?: Plugin };
  } catch (e) {
    // One line for the user (main prints errors that carry a code that way).
    let msg = e instanceof Error ? e.message : String(e);
    if (e instanceof SyntaxError && !runFile) msg = await syntaxWhere(file, e);
    else if (e instanceof Error && !msg.startsWith(file)) msg += where(e, { file, runFile });
    throw Object.assign(new Error(`${spec}: cannot load plugin: ${msg}`), { code: "EPLUGIN" });
  }
  const m: Plugin = mod.onPacket || mod.onStart || mod.onStop ? mod : (mod.default ?? mod);
  if (!m.onPacket && !m.onStart && !m.onStop) {
    throw Object.assign(new Error(`${spec}: a plugin exports onStart, onPacket or onStop (found none; ${exportList(mod as Record<string, unknown>)})`), { code: "EPLUGIN" });
  }
  for (const k of ["onStart", "onPacket", "onStop"] as const) {
    if (m[k] !== undefined && typeof m[k] !== "function") throw Object.assign(new Error(`${spec}: ${k} is exported but is not a function`), { code: "EPLUGIN" });
  }
  const name = m.name && typeof m.name === "string" ? m.name : path.basename(file).replace(/\.[^.]+$/, "");
  return { name, file, runFile, module: m };
}
