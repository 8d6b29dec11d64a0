/**
 * `tsniff ... -- cmd args`: the command starts once the capture is ready (so its first packet is caught), its
 * pid (and, followed through forks, its children's) selects the packets, and its end ends the capture after
 * a grace period for its last packets to come through; tsniff then exits with the command's status
 * (128 + the signal number when a signal ended it, as a shell reports it).
 */
import { createRequire } from "node:module";
import type * as ChildProcessModule from "node:child_process";
// loaded on first use: requiring node:child_process costs ~5 ms of every start-up (issue #19)
let cpModule: typeof ChildProcessModule | undefined;
const childProcess = (): typeof ChildProcessModule => (cpModule ??= createRequire(import.meta.url)("node:child_process") as typeof ChildProcessModule);
type ChildProcess = ChildProcessModule.ChildProcess;
import os from "node:os";

export interface Command {
  readonly child: ChildProcess;
  /** the command's exit status, once it has exited (it is sent SIGTERM if the capture ends first) */
  readonly exited: Promise<number>;
}

export function startCommand(argv: string[], onPid: (pid: number) => void, onEnd: () => void, graceMs: number): Command {
  const child = childProcess().spawn(argv[0], argv.slice(1), { stdio: "inherit" });
  if (child.pid === undefined) throw new Error(`${argv[0]}: cannot run it`);
  onPid(child.pid);
  let done = false;
  const exited = new Promise<number>((resolve) => {
    child.on("error", (e) => {
      done = true;
      process.stderr.write(`tsniff: ${argv[0]}: ${e.message}\n`);
      setTimeout(onEnd, 0);
      resolve(127);
    });
    child.on("exit", (code, signal) => {
      done = true;
      setTimeout(onEnd, graceMs);
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
  return {
    child,
    get exited() {
      if (!done) child.kill("SIGTERM");
      return exited;
    },
  };
}
