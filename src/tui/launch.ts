/**
 * bin/tsniff's short way into the TUI. `tsniff --tui ...` through the CLI's main module first loads the whole
 * CLI (about a hundred modules: live capture, writers, printers, plugins) before the TUI can draw anything;
 * `npm run build` bundles this module with the TUI, Ink, React and the library parts they use into
 * dist/tuib/ (scripts/bundle.mjs), which loads in a fraction of that time.
 *
 * launchTui answers null whenever the CLI's own path should run instead: no --tui, -h/--version/-D, -F, an
 * error in the arguments (the CLI prints its usage), or a bundle older than the files it was made from (a
 * later tsc-only build): bin/tsniff then runs the CLI as usual.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs, type CliOptions } from "../cli/args.js";
import { FilterError } from "../filter/compile.js";
import { isRemoteSpec } from "../remote/url.js";
import { runTui } from "./index.js";

/** The bundle is at least as new as every dist/ file it was made from (inputs.json, written with it). */
function bundleFresh(): boolean {
  const here = fileURLToPath(import.meta.url);
  if (!here.includes(`${"/"}tuib${"/"}`)) return true; // the plain tsc output: always current
  try {
    const dir = fileURLToPath(new URL(".", import.meta.url));
    const t = fs.statSync(here).mtimeMs;
    const inputs = JSON.parse(fs.readFileSync(dir + "inputs.json", "utf8")) as string[];
    const root = fileURLToPath(new URL("../../", import.meta.url));
    for (const f of inputs) if (fs.statSync(root + f).mtimeMs > t) return false;
    return true;
  } catch {
    return false;
  }
}

export async function launchTui(argv: string[]): Promise<number | null> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch {
    return null;
  }
  // -r with -i ssh://: the CLI says why they do not combine.
  if (!o.tui || o.help || o.version || o.listInterfaces || o.filterFile || (o.readFile && o.interfaces.some(isRemoteSpec)) || !bundleFresh()) return null;
  try {
    return await runTui(o);
  } catch (e) {
    // as the CLI reports them: one line, "tsniff: ..."
    if (e instanceof FilterError || (e instanceof Error && (e as NodeJS.ErrnoException).code)) {
      process.stderr.write(`tsniff: ${(e as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`tsniff: internal error: ${(e as Error)?.message ?? e}${process.env.TSNIFF_DEBUG ? "\n" + (e as Error).stack : " (set TSNIFF_DEBUG=1 for details)"}\n`);
    return 2;
  }
}
