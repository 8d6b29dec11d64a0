/**
 * A real flood for capture tests: a veth pair between two network namespaces (names start with "h5", the
 * pid in them) and a small C UDP flooder (test/helpers/flood.c, built here with the system's cc into the
 * temporary directory) sending 1400-byte datagrams with sendmmsg from one namespace to the other's address,
 * well over 100k packets/s on this machine. Traffic never leaves the two namespaces.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./paths.js";

export interface FloodPair {
  a: string;
  b: string;
  ifA: string;
  ifB: string;
  ipA: string;
  ipB: string;
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Two namespaces h5<tag><pid>a/b joined by a veth pair, addresses 10.203.<subnet>.1 and .2. */
export function createFloodPair(tag: string, subnet: number): FloodPair {
  const id = `${tag}${process.pid % 100000}`;
  const a = `h5${id}a`,
    b = `h5${id}b`;
  const ifA = `h5a${id}`.slice(0, 15),
    ifB = `h5b${id}`.slice(0, 15);
  const ipA = `10.203.${subnet}.1`,
    ipB = `10.203.${subnet}.2`;
  const destroy = () => {
    spawnSync("ip", ["netns", "del", a]);
    spawnSync("ip", ["netns", "del", b]);
    spawnSync("ip", ["link", "del", ifA]);
  };
  destroy();
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", ifA, "type", "veth", "peer", "name", ifB);
    ip("link", "set", ifA, "netns", a);
    ip("link", "set", ifB, "netns", b);
    ip("-n", a, "addr", "add", `${ipA}/24`, "dev", ifA);
    ip("-n", b, "addr", "add", `${ipB}/24`, "dev", ifB);
    for (const [ns, dev] of [
      [a, ifA],
      [b, ifB],
    ]) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", dev, "up");
    }
  } catch (e) {
    destroy();
    throw e;
  }
  return { a, b, ifA, ifB, ipA, ipB, destroy };
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
