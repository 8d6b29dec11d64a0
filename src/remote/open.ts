/**
 * Opening remote sources (ssh://[user@]host[:port]/IFACE) for whoever captures: the library's capture() and
 * sniff() (src/api/capture.ts), and through them the CLI and the TUI. Everything both need lives here: the
 * specs split from local interface names, every host opened at once (a host that fails is reported and left
 * out, or all stopped with `stopOnDown`), the merge's reorder window for remote packets, the -v details of a
 * host and the per-host summary lines.
 */
import type { RawSource } from "../capture/multi-live-source.js";
import { describeClock, openRemotes, RemoteSource, type ClockEstimate } from "./remote-source.js";
import { SshLauncher } from "./ssh.js";
import { isRemoteSpec, parseRemoteSpec, RemoteSpecError, type RemoteSpec } from "./url.js";

/**
 * The merge's reorder window with remote sources: packets reach tsniff a network round trip and the ssh
 * channel's buffering after they were stamped (a remote tcpdump: up to libpcap's 1 s buffer timeout,
 * ./transport.ts), so they are held longer than for local interfaces.
 */
export const REMOTE_HOLDBACK_MS = 2000;

/** How remote sources are reached and what runs there (the CLI's --ssh-option, --sudo, --remote-tool, --stop-on-down). */
export interface RemoteOptions {
  /**
   * ssh options, each as `--ssh-option` takes it: `"Option=value"` (passed as `-o Option=value`) or a whole
   * flag with its value (`"-F /path/ssh_config"`, `"-i key"`, `"-J jump"`). They come before tsniff's defaults.
   */
  sshOptions?: string[];
  /** run the remote capture with `sudo -n` when the remote user is not root */
  sudo?: boolean;
  /** which program captures on the remote host (default: tsniff when it is on the remote PATH, else tcpdump) */
  tool?: "tcpdump" | "tsniff";
  /**
   * A host failing (when opening, or later: connection dropped, capture error) stops every source, as a stop
   * would (what the others still hold is delivered). Default false: the other sources go on.
   */
  stopOnDown?: boolean;
  /** how long opening a host may take, ms (default 30000) */
  openTimeoutMs?: number;
}

/** A host that failed: when opening (`atOpen`) or while capturing. `message` is one line naming the host. */
export interface HostFailure {
  /** the source's name, `host:IFACE` (frame.interface_name) */
  name: string;
  /** the cause: the remote tool's or ssh's own message */
  cause: string;
  /** "web1:eth0: cause" */
  message: string;
  atOpen: boolean;
}

/** A bad remote spec, two equal ones, or (stopOnDown) a host that could not be opened. */
export class RemoteOpenError extends Error {}

/** Splits interface names into local ones and remote specs (a bad spec, or one given twice, throws RemoteOpenError). */
export function splitInterfaces(ifaces: readonly string[]): { locals: string[]; specs: RemoteSpec[] } {
  const locals: string[] = [];
  const specs: RemoteSpec[] = [];
  for (const i of ifaces) {
    if (!isRemoteSpec(i)) {
      locals.push(i);
      continue;
    }
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
  return { locals, specs };
}

/** Opens every remote source at once; the hosts that failed are reported through `onFailure` and left out. */
export async function openRemoteSources(
  specs: readonly RemoteSpec[],
  filter: string,
  o: RemoteOptions,
  onFailure: (f: HostFailure) => void,
): Promise<RemoteSource[]> {
  const sources = specs.map(
    (spec) =>
      new RemoteSource(spec, {
        launcher: new SshLauncher(spec, { options: o.sshOptions }),
        filter,
        sudo: o.sudo,
        tool: o.tool,
        openTimeoutMs: o.openTimeoutMs,
        onDown: (s, cause) => onFailure({ name: s.device, cause, message: `${s.device}: ${cause}`, atOpen: false }),
      }),
  );
  const { opened, failed } = await openRemotes(sources);
  for (const f of failed) {
    const prefix = `${f.source.device}: `;
    const cause = f.message.startsWith(prefix) ? f.message.slice(prefix.length) : f.message;
    onFailure({ name: f.source.device, cause, message: `${f.source.device}: ${cause}`, atOpen: true });
  }
  if (failed.length && o.stopOnDown) {
    for (const s of opened) s.close();
    throw new RemoteOpenError(`${failed.length === 1 ? "a remote source" : `${failed.length} remote sources`} could not be opened (--stop-on-down)`);
  }
  return opened;
}

/** The -v words for an opened host: the tool, the ssh exclusion, the clock. */
export function describeRemote(s: RemoteSource): string {
  return `${s.device}: capturing with ${s.tool || "?"} over ssh; ${s.exclusion ? `ssh connection excluded: ${s.exclusion}` : "no ssh connection to exclude ($SSH_CONNECTION unset)"}; ${describeClock(s.clock)}`;
}

/** One source's own numbers, for the library's stats and the per-host summary. */
export interface SourceReport {
  /** `eth0`, or `web1:eth0` for a remote one (frame.interface_name) */
  name: string;
  remote: boolean;
  /** remote: packets that arrived from it; null for a local interface (the merge does not count per source) */
  captured: number | null;
  /** remote: what the remote tool says it captured (its summary), null before it printed one */
  remoteCaptured: number | null;
  /** received by filter / dropped by kernel / by interface: the local kernel's, or the remote tool's summary */
  received: number | null;
  dropped: number | null;
  /** remote: the program run there ("tcpdump", "sudo -n tcpdump", "tsniff") */
  tool?: string;
  /** remote: the filter that keeps the ssh connection itself out of the capture ("" without $SSH_CONNECTION) */
  exclusion?: string;
  /** remote: the host's clock against ours, from the ssh round trip (never applied to the times) */
  clock?: ClockEstimate | null;
  /** why the source ended other than by a stop (remote), or null */
  down: string | null;
}

export function sourceReport(s: RawSource): SourceReport {
  const st = s.stats();
  if (s instanceof RemoteSource) {
    return {
      name: s.device,
      remote: true,
      captured: s.captured,
      remoteCaptured: s.remoteCaptured,
      received: st ? st.received : null,
      dropped: st ? st.dropped : null,
      tool: s.tool,
      exclusion: s.exclusion,
      clock: s.clock,
      down: s.downCause,
    };
  }
  return { name: s.device, remote: false, captured: null, remoteCaptured: null, received: st ? st.received : null, dropped: st ? st.dropped : null, down: null };
}

/** The summary lines, one per source: captured (remote), received/dropped, the clock and a failure. */
export function summaryLines(all: readonly RawSource[]): string[] {
  const pl = (n: number, w: string) => `${n} packet${n === 1 ? "" : "s"} ${w}`;
  const lines: string[] = [];
  for (const s of all) {
    const st = s.stats();
    const parts: string[] = [];
    if (s instanceof RemoteSource) {
      // What the remote tool counted but did not arrive is said, never hidden: lost on the way when the stream
      // was cut (a damaged stream, a connection dropped or ended by tsniff's stop deadline); else the remote
      // tool never wrote it (a tcpdump interrupted while writing loses that record: remote-source.ts, DRAIN_*).
      const miss = s.remoteCaptured !== null && s.remoteCaptured > s.captured ? s.remoteCaptured - s.captured : 0;
      const how = s.streamCut ? "lost on the way" : "never written by the remote tool (interrupted at stop)";
      parts.push(pl(s.captured, "captured") + (miss ? ` (the remote captured ${s.remoteCaptured}: ${miss} ${how})` : ""));
    }
    if (st) parts.push(pl(st.received, "received by filter"), pl(st.dropped, "dropped by kernel"));
    else if (s instanceof RemoteSource) parts.push("no remote summary");
    // Packets the remote kernel counted for the remote tool but that it never read: left in its buffer by a stop
    // that cut a backlog short, or counted before its filter was set (Linux counts what reaches a packet socket
    // between its opening and the filter's attachment - the ssh session's own packets, say - and libpcap drops
    // them unread: a plain tcpdump -i lo 'udp port 9' started during a ping flood reports hundreds received).
    if (st && s instanceof RemoteSource && s.remoteCaptured !== null && st.received - st.dropped > s.remoteCaptured) {
      parts.push(`${st.received - st.dropped - s.remoteCaptured} counted but not read by the remote tool (left in its kernel buffer at stop, or seen before its filter was set)`);
    }
    let line = `${s.device}: ${parts.join(", ")}`;
    if (s instanceof RemoteSource) {
      line += `; ${describeClock(s.clock)}`;
      if (s.downCause) line += `; down: ${s.downCause}`;
    }
    lines.push(line);
  }
  return lines;
}
