/**
 * --uid and --follow-forks on real processes (the /proc engine): two senders, one as root and one as the
 * user nobody, each sending datagrams from its own socket: `--uid 65534` and `--uid nobody` keep only the
 * second's, each with proc.uid 65534. A parent that forks a child, both sending: `--pid PARENT` keeps the
 * parent's datagrams only, `--pid PARENT --follow-forks` the child's too (proc.pid the child's).
 */
import { afterAll, describe, expect, it } from "vitest";
import { exited, procSkipReason, ProcNs, PY, rows, settle, waitForStdout } from "./helpers.js";

const skip = procSkipReason();
if (skip) console.log(`test/proc/uid-forks: skipped: ${skip}`);
const made: ProcNs[] = [];
afterAll(() => made.forEach((n) => n.destroy()));

const SINK = `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); print("ready", flush=True)
while True: s.recvfrom(4000)`;

/** After a line on stdin, as uid argv[2] (0: stays root), 5 datagrams 50 ms apart from one socket. */
const AS_UID = `import os, socket, sys, time
sys.stdin.readline()
uid = int(sys.argv[2])
if uid: os.setgroups([]); os.setgid(uid); os.setuid(uid)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5): s.sendto(b"uid %d %d" % (uid, i), ("127.0.0.1", int(sys.argv[1]))); time.sleep(0.05)
time.sleep(1.5); print("done", flush=True)`;

/** After a line on stdin, forks: parent and child each send 5 datagrams ("parent|child PID N") from a socket of their own. */
const FORKS = `import os, socket, sys, time
sys.stdin.readline()
pid = os.fork()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5): s.sendto(b"%s %d %d" % (b"child" if pid == 0 else b"parent", os.getpid(), i), ("127.0.0.1", int(sys.argv[1]))); time.sleep(0.05)
time.sleep(1.5)
if pid: os.waitpid(pid, 0); print("done", flush=True)`;

describe.skipIf(!!skip)("--uid and --follow-forks", () => {
  it("--uid (a number or a user name) keeps the packets of that user's processes", async () => {
    const n = new ProcNs("uid");
    made.push(n);
    const port = 19930;
    const sink = n.run(PY, ["-c", SINK, String(port)]);
    await waitForStdout(sink, "ready");
    const root = n.run(PY, ["-c", AS_UID, String(port), "0"], { stdin: true });
    const nobody = n.run(PY, ["-c", AS_UID, String(port), "65534"], { stdin: true });
    const fields = ["-T", "fields", "-e", "udp.srcport", "-e", "proc.pid", "-e", "proc.uid", `udp dst port ${port}`];
    const [byNum, byName] = await Promise.all([n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--uid", "65534", ...fields]), n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--uid", "nobody", ...fields])]);
    root.stdin!.write("go\n");
    nobody.stdin!.write("go\n");
    await Promise.all([waitForStdout(root, "done", 30_000), waitForStdout(nobody, "done", 30_000)]);
    await Promise.all([exited(root), exited(nobody)]);
    await settle();
    byNum.p.kill("SIGINT");
    byName.p.kill("SIGINT");
    const rs = await Promise.all([byNum.done, byName.done]);
    sink.kill("SIGKILL");
    for (const r of rs) {
      const got = rows(r.stdout);
      // the first datagram may go unattributed (read before its socket existed): never the root sender's
      expect(got.length, r.stderr).toBeGreaterThanOrEqual(4);
      for (const f of got) expect(f.slice(1), r.stderr).toEqual([String(nobody.pid), "65534"]);
    }
  }, 90_000);

  it("--follow-forks adds the children of a --pid", async () => {
    const n = new ProcNs("forks");
    made.push(n);
    const port = 19931;
    const sink = n.run(PY, ["-c", SINK, String(port)]);
    await waitForStdout(sink, "ready");
    const parent = n.run(PY, ["-c", FORKS, String(port)], { stdin: true });
    const fields = ["-T", "fields", "-e", "proc.pid", "-e", "data.data", `udp dst port ${port}`];
    const [only, follow] = await Promise.all([n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--pid", String(parent.pid), ...fields]), n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--pid", String(parent.pid), "--follow-forks", ...fields])]);
    parent.stdin!.write("go\n");
    await waitForStdout(parent, "done", 30_000);
    await exited(parent);
    await settle();
    only.p.kill("SIGINT");
    follow.p.kill("SIGINT");
    const [ro, rf] = await Promise.all([only.done, follow.done]);
    sink.kill("SIGKILL");
    const text = (hex: string) => Buffer.from(hex, "hex").toString();
    const o = rows(ro.stdout);
    expect(o.length, ro.stderr).toBeGreaterThanOrEqual(4);
    for (const f of o) expect(text(f[1])).toMatch(new RegExp(`^parent ${parent.pid} `));
    for (const f of o) expect(f[0]).toBe(String(parent.pid));
    const f = rows(rf.stdout);
    const kids = f.filter((x) => text(x[1]).startsWith("child"));
    expect(kids.length, rf.stderr).toBeGreaterThanOrEqual(4);
    // (the child says its pid in its datagrams)
    const childPid = text(kids[0][1]).split(" ")[1];
    expect(childPid).not.toBe(String(parent.pid));
    for (const x of kids) expect([x[0], text(x[1]).split(" ")[1]]).toEqual([childPid, childPid]);
    for (const x of f.filter((y) => text(y[1]).startsWith("parent"))) expect(x[0]).toBe(String(parent.pid));
  }, 90_000);
});
