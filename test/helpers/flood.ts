/**
 * A real flood for capture tests: a veth pair between two network namespaces (netns.ts's, the
 * pid in their names) and a small C UDP flooder (test/helpers/flood.c, built here with the system's cc into the
 * temporary directory) sending 1400-byte datagrams with sendmmsg from one namespace to the other's address,
 * well over 100k packets/s on this machine. Traffic never leaves the two namespaces.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createNsPair, type NsPair } from "./netns.js";
import { ROOT } from "./paths.js";

/** The namespaces and veth pair a flood runs over: netns.ts's pair (IPv4 10.203.<subnet>.1/.2, offloads off). */
export type FloodPair = NsPair;

/** Two namespaces joined by a veth pair for a flood (netns.ts's, its names tagged "f<tag>" and the pid). */
export function createFloodPair(tag: string, subnet: number): FloodPair {
  return createNsPair(`f${tag}`, subnet);
}

let built: string | null | undefined;

/**
 * Builds the flooder once (into the temporary directory, named by a hash of its source, so runs share it and
 * nothing piles up); null when there is no C compiler.
 */
export function flooder(): string | null {
  if (built !== undefined) return built;
  const src = path.join(ROOT, "test", "helpers", "flood.c");
  const hash = createHash("sha256").update(fs.readFileSync(src)).digest("hex").slice(0, 16);
  const exe = path.join(os.tmpdir(), `tsniff-flood-${hash}`);
  if (fs.existsSync(exe)) return (built = exe);
  // Built under a name of its own, then renamed: parallel test files never run a half-written file.
  const tmp = `${exe}.${process.pid}`;
  const r = spawnSync("cc", ["-O2", "-o", tmp, src], { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) return (built = null);
  fs.renameSync(tmp, exe);
  return (built = exe);
}

export interface Flood {
  proc: ChildProcess;
  /** resolves with the number of datagrams sent once the flooder ends */
  done: Promise<number>;
  stop(): Promise<number>;
}

/** Floods `dst` (UDP, `size`-byte payloads, port 9) from namespace `ns` for up to `seconds`. */
export function startFlood(ns: string, dst: string, opts: { size?: number; seconds?: number; port?: number } = {}): Flood {
  const exe = flooder();
  if (!exe) throw new Error("no C compiler for the flooder");
  const proc = spawn("ip", ["netns", "exec", ns, exe, dst, String(opts.port ?? 9), String(opts.size ?? 1400), String(opts.seconds ?? 60)], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const done = new Promise<number>((resolve) => proc.on("close", () => resolve(Number(out.trim()) || 0)));
  return {
    proc,
    done,
    stop() {
      // ip netns exec execs the flooder, so this pid is the flooder itself.
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return done;
    },
  };
}
