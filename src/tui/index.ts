/**
 * `tsniff --tui`: the full-screen packet browser. Loaded only when asked for: the CLI imports this module
 * dynamically, nothing else imports it.
 *
 * React's production build is several times faster than its development build, and which one loads is
 * decided by NODE_ENV when React is first imported: so it is set here, before ./run.js (and with it React
 * and Ink) is imported. A NODE_ENV the user set is kept.
 */
import type { CliOptions } from "../cli/args.js";

export async function runTui(o: CliOptions): Promise<number> {
  process.env.NODE_ENV ??= "production";
  // Ink renders only a final frame when it believes it runs in CI (env CI set). A user who asks for the TUI
  // on a terminal wants it interactive, wherever they are: drop CI for this process before Ink loads.
  if (process.stdout.isTTY) delete process.env.CI;
  const { runTuiMain } = await import("./run.js");
  return runTuiMain(o);
}
