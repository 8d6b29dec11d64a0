/**
 * The ssh launcher: the system's `ssh` binary, with the user's own configuration, agent and known_hosts (no
 * ssh library, no stored password). BatchMode so it never prompts (a missing key or an unknown host key is a
 * failure with ssh's own message), no terminal (a binary stream), no escape character. `--ssh-option`s come
 * first on the command line, so they win over tsniff's defaults (ssh keeps the first value of an option).
 */
import { createRequire } from "node:module";
import type * as ChildProcessModule from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { shellQuote, type Launcher } from "./transport.js";
import type { RemoteSpec } from "./url.js";

/** node:child_process, loaded on first use: a CLI run without a remote source never needs it (start-up, issue #19). */
let cpModule: typeof ChildProcessModule | undefined;
const childProcess = (): typeof ChildProcessModule => (cpModule ??= createRequire(import.meta.url)("node:child_process") as typeof ChildProcessModule);

export interface SshOptions {
  /** `--ssh-option X`: each passed as `-o X` ("-F file", "-i key" style words are passed as they are) */
  options?: string[];
  /** the ssh program (default "ssh") */
  program?: string;
}

/** tsniff's defaults: no prompt; a dead peer is noticed within ~15 s; a host that does not answer in 10 s fails. */
const DEFAULTS = ["BatchMode=yes", "ConnectTimeout=10", "ServerAliveInterval=5", "ServerAliveCountMax=3"];

export class SshLauncher implements Launcher {
  readonly kind = "ssh";
  constructor(
    readonly spec: RemoteSpec,
    readonly opts: SshOptions = {},
  ) {}

  /** The ssh command line (for -v and tests). */
  argv(script: string, args: string[]): string[] {
    const a: string[] = [];
    for (const o of this.opts.options ?? []) {
      // "-F path" / "-i path" / "-J jump": a whole option with its flag; otherwise an -o setting.
      const m = /^(-[A-Za-z])\s*(.*)$/.exec(o);
      if (m) a.push(m[1], ...(m[2] ? [m[2]] : []));
      else a.push("-o", o);
    }
    for (const d of DEFAULTS) a.push("-o", d);
    a.push("-T", "-e", "none");
    if (this.spec.port) a.push("-p", String(this.spec.port));
    if (this.spec.user) a.push("-l", this.spec.user);
    // The remote side runs this through the user's login shell: one string, every word quoted for sh.
    a.push("--", this.spec.host, ["sh", "-c", shellQuote(script), "tsniff-remote", ...args.map((x) => shellQuote(x === "" ? "" : x))].map((w) => (w === "" ? "''" : w)).join(" "));
    return a;
  }

  launch(script: string, args: string[]): ChildProcessWithoutNullStreams {
    return childProcess().spawn(this.opts.program ?? "ssh", this.argv(script, args), { stdio: ["pipe", "pipe", "pipe"], detached: true });
  }

  isNoise(line: string): boolean {
    return /^Warning: Permanently added /.test(line) || /^\*\*|^Pseudo-terminal will not be allocated/.test(line);
  }
}
