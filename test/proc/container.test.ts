/**
 * A process in a cgroup named as docker names its containers' (docker-<64 hex>.scope, under the cgroup v2
 * mount found in /proc/mounts) and in a network namespace of its own stands in for a container: --container
 * with a prefix of its id keeps its packets and only them; proc.container_id is the full id.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exited, procSkipReason, ProcNs, PY, rows, sleep, UDP_ECHO, UDP_SENDER, waitForStdout } from "./helpers.js";

function cgroup2Root(): string | undefined {
  try {
    for (const l of fs.readFileSync("/proc/mounts", "utf8").split("\n")) {
      const f = l.split(" ");
      if (f[2] === "cgroup2") return f[1];
    }
  } catch {
    /* no /proc/mounts */
  }
  return undefined;
}

const root = cgroup2Root();
const skip = procSkipReason() ?? (root ? undefined : "no cgroup v2 mount");
if (skip) console.log(`test/proc/container: skipped: ${skip}`);

const ID = Array.from({ length: 64 }, (_, i) => "0123456789abcdef"[(i * 7 + process.pid) % 16]).join("");
const parent = root ? path.join(root, `ts-proc-${process.pid}`) : "";
const scope = path.join(parent, `docker-${ID}.scope`);
let ns: ProcNs | undefined;
const kids: ChildProcess[] = [];

afterAll(() => {
  for (const k of kids) if (k.exitCode === null) k.kill("SIGKILL");
  ns?.destroy();
  for (let k = 0; k < 20; k++) {
    try {
      fs.rmdirSync(scope);
    } catch {
      /* gone, or its processes not yet */
    }
    try {
      fs.rmdirSync(parent);
      break;
    } catch {
      /* wait for the killed processes to leave */
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
});

describe.skipIf(!!skip)("--container", () => {
  it("keeps the packets of the process in the container's cgroup, with its id", async () => {
    fs.mkdirSync(scope, { recursive: true });
    ns = new ProcNs("ct");
    const echo = ns.run(PY, ["-c", UDP_ECHO, "18090"]);
    await waitForStdout(echo, "ready");
    // the "container": a UDP sender moved into the cgroup before it execs python (so every socket it makes is in it)
    // (moved outside the namespace: `ip netns exec` mounts a /sys of its own, without the cgroup file systems)
    const inside = spawn("sh", ["-c", `echo $$ > ${scope}/cgroup.procs && exec ip netns exec ${ns.name} ${PY} -c "$0" 18090`, UDP_SENDER], { stdio: ["pipe", "pipe", "pipe"] });
    kids.push(inside);
    const outside = ns.run(PY, ["-c", UDP_SENDER, "18090"], { stdin: true });
    await sleep(300);
    expect(fs.readFileSync(`/proc/${inside.pid}/cgroup`, "utf8")).toContain(ID);
    const t = await ns.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--container", ID.slice(0, 12), "-T", "fields", "-e", "udp.dstport", "-e", "proc.pid", "-e", "proc.container_id"]);
    inside.stdin!.write("go\n");
    outside.stdin!.write("go\n");
    await Promise.all([waitForStdout(inside, "done"), waitForStdout(outside, "done")]);
    await Promise.all([exited(inside), exited(outside)]);
    await sleep(300);
    t.p.kill("SIGINT");
    const r = await t.done;
    const got = rows(r.stdout);
    expect(got).toEqual([0, 1, 2].map(() => ["18090", String(inside.pid), ID]));
  });

  it("an id no running container has is one line and exit 1", async () => {
    ns ??= new ProcNs("ct");
    const r = ns.runSync(process.execPath, [path.resolve("bin/tsniff"), "-i", "lo", "--container", "feedfacefeedface"]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe("tsniff: --container feedfacefeedface: no running container has this id\n");
  });
});
