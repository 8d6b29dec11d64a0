/**
 * --pid and --pname among look-alikes: two python3 TCP servers (different ports) in one namespace, a client
 * talking to both, and a twin namespace running the same programs on the same addresses and ports at the same
 * time. --pid of one server keeps exactly that server's packets (its answers), -Y on proc.pid the other's;
 * with both engines. (The wrong one of two python3 servers was the twin namespace's: sockets were keyed by
 * tuple alone.)
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/run.js";
import { exited, procSkipReason, ProcNs, PY, rows, sleep, TCP_SERVER, waitForStdout } from "./helpers.js";

const built = fs.existsSync(path.join(ROOT, "build", "Release", "tsniff_bpf.node")) && fs.existsSync(path.join(ROOT, "build", "bpf", "proc.bpf.o")) && fs.existsSync("/sys/kernel/btf/vmlinux");
const skip = procSkipReason();
if (skip) console.log(`test/proc/select: skipped: ${skip}`);
const made: ProcNs[] = [];
afterAll(() => made.forEach((n) => n.destroy()));

const A = 18281,
  B = 18282;
/** a client (python3) that, after a line on stdin, talks to both servers, slowly */
const CLIENT = `
import socket, sys, time
sys.stdin.readline()
cs = [socket.create_connection(("127.0.0.1", p)) for p in (${A}, ${B})]
time.sleep(0.3)
for c in cs:
    c.sendall(b"GET\\n"); n = 0
    while n < 2000: n += len(c.recv(4000))
time.sleep(0.5)
for c in cs: c.close()
time.sleep(0.5); print("done", flush=True)
`;

async function twoServers(tag: string, engine: string) {
  const n = new ProcNs(tag);
  made.push(n);
  const a = n.run(PY, ["-c", TCP_SERVER, String(A)]);
  const b = n.run(PY, ["-c", TCP_SERVER, String(B)]);
  await Promise.all([waitForStdout(a, "ready"), waitForStdout(b, "ready")]);
  const cli = n.run(PY, ["-c", CLIENT], { stdin: true });
  const f = ["-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "proc.pid"];
  const byPid = await n.tsniff(["-i", "lo", "-n", "--proc-engine", engine, "--pid", String(a.pid), ...f]);
  const byName = await n.tsniff(["-i", "lo", "-n", "--proc-engine", engine, "--pname", "python3", "-Y", `proc.pid == ${b.pid}`, ...f]);
  cli.stdin!.write("go\n");
  await waitForStdout(cli, "done", 30_000);
  await exited(cli);
  await sleep(400);
  byPid.p.kill("SIGINT");
  byName.p.kill("SIGINT");
  const [ra, rb] = await Promise.all([byPid.done, byName.done]);
  return { a: a.pid!, b: b.pid!, cli: cli.pid!, byPid: rows(ra.stdout), byName: rows(rb.stdout), err: ra.stderr + rb.stderr };
}

function check(r: Awaited<ReturnType<typeof twoServers>>): void {
  // the server answers (handshake, 2000 bytes, teardown): at least 3 packets from each
  expect(r.byPid.length, r.err).toBeGreaterThanOrEqual(3);
  for (const f of r.byPid) expect(f, r.err).toEqual([String(A), expect.any(String), String(r.a)]);
  expect(r.byName.length, r.err).toBeGreaterThanOrEqual(3);
  for (const f of r.byName) expect(f, r.err).toEqual([String(B), expect.any(String), String(r.b)]);
}

describe.skipIf(!!skip)("--pid and --pname between two python3 servers, with a twin namespace", () => {
  it.skipIf(!built)("eBPF engine", async () => {
    const [x, y] = await Promise.all([twoServers("sel-ea", "ebpf"), twoServers("sel-eb", "ebpf")]);
    check(x);
    check(y);
  });

  it("/proc engine", async () => {
    const [x, y] = await Promise.all([twoServers("sel-pa", "proc"), twoServers("sel-pb", "proc")]);
    check(x);
    check(y);
  });
});
