/**
 * The CLI's remote sources (-i ssh://host/IFACE): the options and the messages. Opening, the per-host summary
 * and the rest are the library's (src/remote/open.ts, also used by capture() and the TUI): here a host that
 * fails is printed in one line (and all stopped with --stop-on-down), with -v the remote tool, the ssh
 * exclusion and the clock offset.
 */
import type { CliOptions } from "./args.js";
import type { RemoteSource } from "../remote/remote-source.js";
import { describeRemote, openRemoteSources as openAll, RemoteOpenError, splitInterfaces, summaryLines } from "../remote/open.js";
import { isRemoteSpec, type RemoteSpec } from "../remote/url.js";
import type { RawSource } from "../capture/multi-live-source.js";

export { isRemoteSpec, RemoteOpenError };
export { REMOTE_HOLDBACK_MS } from "../remote/open.js";

/** Parses the remote -i specs (a bad one is a usage error naming it). */
export function remoteSpecs(o: CliOptions): RemoteSpec[] {
  return splitInterfaces(o.interfaces).specs;
}

export interface RemoteRun {
  sources: RemoteSource[];
  /** hosts that failed (at open or later) */
  failures: number;
  /** the summary lines, one per source (remote: captured/received/dropped and the clock) */
  summary(all: RawSource[]): string[];
}

/**
 * Opens every remote source at once. `down` is called for a host that fails while capturing (its line is
 * printed here); the caller stops everything when --stop-on-down.
 */
export async function openRemoteSources(o: CliOptions, filter: string, specs: RemoteSpec[], err: (s: string) => void, down: () => void): Promise<RemoteRun> {
  const run: RemoteRun = { sources: [], failures: 0, summary: (all) => summaryLines(all) };
  run.sources = await openAll(specs, filter, { sshOptions: o.sshOptions, sudo: o.sudo, tool: o.remoteTool, stopOnDown: o.stopOnDown }, (f) => {
    run.failures++;
    if (f.atOpen) {
      err(`tsniff: ${f.message}`);
      return;
    }
    err(`tsniff: ${f.message}${o.stopOnDown ? " (--stop-on-down: stopping)" : ""}`);
    down();
  });
  if (o.verbose > 0) for (const s of run.sources) err(`tsniff: ${describeRemote(s)}`);
  return run;
}
