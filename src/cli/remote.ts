/**
 * The CLI's remote sources (-i ssh://host/IFACE): opened together before the capture starts, a host that
 * fails reported in one line and left out (all stopped with --stop-on-down), the -v details (the remote tool,
 * the ssh exclusion, the clock offset), and the per-host summary lines.
 */
import type { CliOptions } from "./args.js";
import { openRemotes, RemoteSource, describeClock } from "../remote/remote-source.js";
import { SshLauncher } from "../remote/ssh.js";
import { isRemoteSpec, parseRemoteSpec, RemoteSpecError, type RemoteSpec } from "../remote/url.js";
import type { RawSource } from "../capture/multi-live-source.js";

export { isRemoteSpec };

/**
 * The merge's reorder window with remote sources: packets reach tsniff a network round trip and the ssh
 * channel's buffering after they were stamped (a remote tcpdump: up to libpcap's 1 s buffer timeout,
 * src/remote/transport.ts), so they are held longer than for local interfaces.
 */
export const REMOTE_HOLDBACK_MS = 2000;

export class RemoteOpenError extends Error {}

/** Parses the remote -i specs (a bad one is a usage error naming it). */
export function remoteSpecs(o: CliOptions): RemoteSpec[] {
  const specs: RemoteSpec[] = [];
  for (const i of o.interfaces) {
    if (!isRemoteSpec(i)) continue;
    try {
      specs.push(parseRemoteSpec(i));
    } catch (e) {
      if (e instanceof RemoteSpecError) throw new RemoteOpenError(e.message);
      throw e;
    }
  }
  const names = specs.map((s) => s.name);
  const dup = names.find((n, k) => names.indexOf(n) !== k);
  if (dup) throw new RemoteOpenError(`-i ${dup}: the same host and interface is given twice`);
  return specs;
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
  const run: RemoteRun = {
    sources: [],
    failures: 0,
    summary: (all) => summaryLines(all),
  };
  const sources = specs.map(
    (spec) =>
      new RemoteSource(spec, {
        launcher: new SshLauncher(spec, { options: o.sshOptions }),
        filter,
        sudo: o.sudo,
        tool: o.remoteTool,
        onDown: (s, cause) => {
          run.failures++;
          err(`tsniff: ${s.device}: ${cause}${o.stopOnDown ? " (--stop-on-down: stopping)" : ""}`);
          down();
        },
      }),
  );
  const { opened, failed } = await openRemotes(sources);
  for (const f of failed) err(`tsniff: ${f.message}`);
  run.failures = failed.length;
  if (failed.length && o.stopOnDown) {
    for (const s of opened) s.close();
    throw new RemoteOpenError(`${failed.length === 1 ? "a remote source" : `${failed.length} remote sources`} could not be opened (--stop-on-down)`);
  }
  run.sources = opened;
  if (o.verbose > 0) {
    for (const s of opened) {
      err(`tsniff: ${s.device}: capturing with ${s.tool || "?"} over ssh; ${s.exclusion ? `ssh connection excluded: ${s.exclusion}` : "no ssh connection to exclude ($SSH_CONNECTION unset)"}; ${describeClock(s.clock)}`);
    }
  }
  return run;
}

function summaryLines(all: RawSource[]): string[] {
  const pl = (n: number, w: string) => `${n} packet${n === 1 ? "" : "s"} ${w}`;
  const lines: string[] = [];
  for (const s of all) {
    const st = s.stats();
    const parts: string[] = [];
    if (s instanceof RemoteSource) {
      // What the remote tool wrote but did not arrive (a damaged stream, a connection cut) is said, never hidden.
      const lost = s.remoteCaptured !== null && s.remoteCaptured > s.captured ? ` (the remote captured ${s.remoteCaptured}: ${s.remoteCaptured - s.captured} lost on the way)` : "";
      parts.push(pl(s.captured, "captured") + lost);
    }
    if (st) parts.push(pl(st.received, "received by filter"), pl(st.dropped, "dropped by kernel"));
    else if (s instanceof RemoteSource) parts.push("no remote summary");
    let line = `${s.device}: ${parts.join(", ")}`;
    if (s instanceof RemoteSource) {
      line += `; ${describeClock(s.clock)}`;
      if (s.downCause) line += `; down: ${s.downCause}`;
    }
    lines.push(line);
  }
  return lines;
}
