/** Helpers shared by tests: running the built CLI and other programs. */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import path from "node:path";
import { CORPUS, ROOT } from "./paths.js";

export { CORPUS, ROOT };
export const TSNIFF = path.join(ROOT, "bin", "tsniff");

/** Runs tsniff to completion (optionally inside a network namespace). */
export function tsniff(args: string[], opts: { input?: Buffer | string; ns?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<Buffer> {
  const cmd = opts.ns ? "ip" : process.execPath;
  const argv = opts.ns ? ["netns", "exec", opts.ns, process.execPath, TSNIFF, ...args] : [TSNIFF, ...args];
  return spawnSync(cmd, argv, { input: opts.input, timeout: opts.timeout ?? 60_000, env: { ...process.env, TZ: "UTC", ...opts.env }, maxBuffer: 1 << 28 });
}

/** Starts tsniff in the background. */
export function tsniffBg(args: string[], opts: { ns?: string } = {}): ChildProcess {
  const cmd = opts.ns ? "ip" : process.execPath;
  const argv = opts.ns ? ["netns", "exec", opts.ns, process.execPath, TSNIFF, ...args] : [TSNIFF, ...args];
  return spawn(cmd, argv, { env: { ...process.env, TZ: "UTC" }, stdio: ["ignore", "pipe", "pipe"] });
}

export function sh(cmd: string, args: string[], input?: Buffer | string): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { input, env: { ...process.env, TZ: "UTC" }, maxBuffer: 1 << 28, timeout: 120_000 });
}

export function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** Collects a child's stdout/stderr and waits for it to exit. */
export function collect(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  p.stdout?.on("data", (d: Buffer) => out.push(d));
  p.stderr?.on("data", (d: Buffer) => err.push(d));
  return new Promise((resolve) => {
    p.on("close", (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

/** Resolves once the child's stderr contains `text` (e.g. "listening on"). */
export function waitForStderr(p: ChildProcess, text: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let acc = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}" (stderr so far: ${acc})`)), timeoutMs);
    p.stderr?.on("data", (d: Buffer) => {
      acc += d.toString();
      if (acc.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
