/**
 * The process options of the command line (docs/PROCESS.md): --proc, --pid, --follow-forks, --pname, --uid,
 * --container, --proc-engine, --proc-window, and `-- cmd args`. Kept apart from args.ts, which calls in here.
 */
import fs from "node:fs";
import path from "node:path";

export interface ProcCliOptions {
  /** --proc: show each packet's process */
  proc?: boolean;
  pids?: number[];
  followForks?: boolean;
  pnames?: string[];
  /** user ids or names */
  uids?: string[];
  containers?: string[];
  procEngine?: "ebpf" | "proc";
  /** ms an unattributed flow waits before it is looked up again (and the /proc engine's refresh limit) */
  procWindow?: number;
  /** `-- cmd args`: run it once the capture is ready, capture its traffic, exit with its status */
  command?: string[];
}

class ProcUsageError extends Error {}

/** Handles --NAME of the process options; false when NAME is not one. `val` takes the option's value. */
export function parseProcOption(o: ProcCliOptions, name: string, val: () => string, UsageError: new (m: string) => Error = ProcUsageError): boolean {
  const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
  switch (name) {
    case "proc":
      o.proc = true;
      return true;
    case "pid":
      for (const s of list(val())) {
        if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`invalid --pid value '${s}': expected a process id`);
        (o.pids ??= []).push(Number(s));
      }
      return true;
    case "follow-forks":
      o.followForks = true;
      return true;
    case "pname":
      (o.pnames ??= []).push(...list(val()));
      return true;
    case "uid":
      (o.uids ??= []).push(...list(val()));
      return true;
    case "container":
      for (const s of list(val())) {
        if (!/^[0-9a-fA-F]{4,64}$/.test(s) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s)) {
          throw new UsageError(`invalid --container value '${s}': expected a container id (4 to 64 hex digits) or a pod uid`);
        }
        (o.containers ??= []).push(s.toLowerCase());
      }
      return true;
    case "proc-engine": {
      const v = val();
      if (v !== "ebpf" && v !== "proc") throw new UsageError(`--proc-engine takes ebpf or proc, not '${v}'`);
      o.procEngine = v;
      return true;
    }
    case "proc-window": {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) > 10000) throw new UsageError(`invalid --proc-window value '${v}': expected milliseconds, 0 to 10000`);
      o.procWindow = Number(v);
      return true;
    }
    default:
      return false;
  }
}

/** Whether any process option is given (the capture then attributes packets to processes). */
export function procWanted(o: ProcCliOptions): boolean {
  return !!(o.proc || o.pids?.length || o.pnames?.length || o.uids?.length || o.containers?.length || o.procEngine || o.command);
}

// Words that begin a libpcap filter expression: after `--`, these are the filter, not a command to run.
const FILTER_WORDS = new Set(
  "not ! ( host net port portrange src dst ether ip ip6 arp rarp tcp udp icmp icmp6 sctp vlan mpls less greater proto gateway broadcast multicast inbound outbound ifindex len link wlan type subtype dir pppoed pppoes geneve iso isis clnp esis decnet atalk aarp ipx netbeui stp lat moprc mopdl sca"
    .split(" "),
);

/**
 * Whether the words after `--` are a command (`tsniff -i any -- curl URL`) rather than a filter expression
 * (tcpdump's `tsniff -- 'tcp port 80'`): the first word names an executable (a path, or a name on PATH) and is
 * not a word the filter language begins with.
 */
export function isCommand(words: string[]): boolean {
  const w = words[0];
  if (!w || FILTER_WORDS.has(w) || /[\s()=<>!&|]/.test(w) || /^\d/.test(w)) return false;
  const exec = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (w.includes("/")) return exec(w);
  return (process.env.PATH ?? "").split(":").some((d) => d && exec(path.join(d, w)));
}
