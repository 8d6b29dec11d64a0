/**
 * `tsniff --tui`: the full-screen packet browser. Loaded only when asked for: the CLI imports this module
 * dynamically, nothing else imports it.
 *
 * React's production build is several times faster than its development build, and which one loads is
 * decided by NODE_ENV when React is first imported: so it is set here, before ./run.js (and with it React
 * and Ink) is imported. A NODE_ENV the user set is kept.
 *
 * `npm run build` also bundles this module (through ./launch.ts, bin/tsniff's short way in) with Ink, React and
 * the library into dist/tuib/ (scripts/bundle.mjs): there the dynamic imports below load chunks of that
 * bundle instead of ~150 modules one by one.
 */
import { setFlagsFromString } from "node:v8";
import type { CliOptions } from "../cli/args.js";

export async function runTui(o: CliOptions): Promise<number> {
  const env = process.env; // (not process.env.NODE_ENV literally: the bundle has production React built in)
  env.NODE_ENV ??= "production";
  // Ink renders only a final frame when it believes it runs in CI (env CI set). A user who asks for the TUI
  // on a terminal wants it interactive, wherever they are: drop CI for this process before Ink loads.
  if (process.stdout.isTTY) delete process.env.CI;
  // V8's young generation stays at its first size (1 MB semi-spaces) instead of doubling up to 16 MB ones, as
  // bin/tsniff does for the CLI: Ink's frames and the passes make short-lived garbage only, and the grown
  // semi-spaces (and what they promote) stayed resident (issue #17: RSS). TSNIFF_V8_YOUNG=default keeps V8's.
  if (env.TSNIFF_V8_YOUNG !== "default") setFlagsFromString("--semi-space-growth-factor=1");
  // A file's first rows go on screen with plain ANSI while Ink and React load (./first-screen.ts).
  let predrawn = false;
  if (o.readFile && o.readFile !== "-" && !o.filter.trim() && process.stdout.isTTY && process.stdin.isTTY && !process.env.TSNIFF_TUI_NO_FIRST_SCREEN) {
    const { drawFirstScreen } = await import("./first-screen.js");
    predrawn = await drawFirstScreen(o.readFile);
    // (tests: the first screen stays this many ms before Ink loads, so that keys surely reach it)
    const hold = Number(env.TSNIFF_TUI_FIRST_SCREEN_HOLD);
    if (predrawn && hold > 0) await new Promise((r) => setTimeout(r, hold));
  }
  // yoga-layout (Ink's layout engine) loads its WebAssembly with fetch() when there is one, from a data: URL,
  // and Node's first fetch() loads undici (100-250 ms of the first frame, issue #17); without fetch it decodes
  // the same bytes itself. fetch is hidden while Ink loads (yoga's top-level await ends within the import).
  const fetchDesc = Object.getOwnPropertyDescriptor(globalThis, "fetch");
  if (fetchDesc?.configurable) Object.defineProperty(globalThis, "fetch", { value: undefined, configurable: true, writable: true });
  let runTuiMain: typeof import("./run.js").runTuiMain;
  try {
    ({ runTuiMain } = await import("./run.js"));
  } finally {
    if (fetchDesc?.configurable) Object.defineProperty(globalThis, "fetch", fetchDesc);
  }
  try {
    return await runTuiMain(o, predrawn);
  } finally {
    (globalThis as { tsniffFirstScreenStop?: () => void }).tsniffFirstScreenStop?.();
  }
}
