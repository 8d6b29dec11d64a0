/**
 * The process options at the command line: `-- cmd` (started once the capture is ready: its first SYN is
 * caught; tsniff exits with its status), and bad input (a pid that does not exist, --pid without privileges,
 * bad values): one clear line each and exit 1, never a stack.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, TSNIFF, tsniff } from "../helpers/run.js";
import { procSkipReason, ProcNs, PY, rows, TCP_SERVER, waitForStdout } from "./helpers.js";

const skip = procSkipReason();
if (skip) console.log(`test/proc/cli: skipped: ${skip}`);
let ns: ProcNs | undefined;
afterAll(() => ns?.destroy());

/** A pid no process has. */
function freePid(): number {
  for (let p = 4_000_000; ; p--) if (!fs.existsSync(`/proc/${p}`)) return p;
}

describe("process options: bad input", () => {
  it.each([
    [["--pid", "x"], "tsniff: invalid --pid value 'x': expected a process id"],
    [["--proc-engine", "kprobe"], "tsniff: --proc-engine takes ebpf or proc, not 'kprobe'"],
    [["--container", "zz"], "tsniff: invalid --container value 'zz': expected a container id (4 to 64 hex digits) or a pod uid"],
    [["--proc-window", "-1"], "tsniff: invalid --proc-window value '-1': expected milliseconds, 0 to 10000"],
  ])("%j", (args, line) => {
    const r = tsniff(["-i", "lo", ...args]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString().split("\n")[0]).toBe(line);
  });

  it.skipIf(!!skip)("a pid that does not exist", () => {
    const pid = freePid();
    const r = tsniff(["-i", "lo", "--pid", String(pid)]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe(`tsniff: --pid ${pid}: no such process\n`);
  });

  it.skipIf(!!skip)("--pid without the privileges to see the process's sockets", () => {
    // as nobody, another user's process (pid 1)
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, TSNIFF, "-i", "lo", "--pid", "1"], { cwd: ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe("tsniff: --pid 1: permission denied reading its sockets (/proc/1/fd): run as root or with CAP_SYS_PTRACE\n");
  });

  it.skipIf(!!skip)("--proc-engine ebpf where eBPF cannot load is one line", () => {
    const r = tsniff(["-i", "lo", "--proc-engine", "ebpf", "-c", "1"], { env: { TSNIFF_BPF_OBJ: path.join(ROOT, "package.json") } });
    expect(r.status).toBe(1);
    const lines = r.stderr.toString().split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tsniff: --proc-engine ebpf: eBPF unavailable: .+/);
  });
});

describe.skipIf(!!skip)("-- cmd", () => {
  it("captures the command's traffic from its first SYN and exits with its status", async () => {
    ns = new ProcNs("cmd");
    const srv = ns.run(PY, ["-c", TCP_SERVER, "18080"]);
    await waitForStdout(srv, "ready");
    const client = `import socket, sys, time
c = socket.create_connection(("127.0.0.1", 18080)); c.sendall(b"x\\n"); n = 0
while n < 2000: n += len(c.recv(4000))
time.sleep(1); c.close(); time.sleep(0.5); sys.exit(3)`;
    const r = ns.runSync(process.execPath, [TSNIFF, "-i", "lo", "-n", "--proc-engine", "proc", "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.flags.syn", "-e", "proc.pid", "-e", "proc.comm", "--", PY, "-c", client]);
    expect(r.status).toBe(3);
    const got = rows(r.stdout);
    expect(got.length).toBeGreaterThanOrEqual(4);
    // only the command's packets (the server's are not), the first its SYN, all one pid, python3's
    for (const f of got) expect(f[0]).not.toBe("18080");
    expect(got[0][1]).toBe("1");
    expect(new Set(got.map((f) => f[2])).size).toBe(1);
    expect(got[0][3]).toBe("python3");
    expect(Number(got[0][2])).not.toBe(srv.pid);
  });
});
