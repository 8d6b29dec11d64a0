/**
 * A burst with the /proc engine: a real UDP sender process sends datagrams back to back; the first is of a
 * flow no table shows yet, so /proc is read while the rest arrive. Every datagram must reach the output
 * (none dropped by the kernel: the capture keeps libpcap's batches, and /proc is read off its path) and each
 * carries the sender's pid (its socket lives on after the burst, so the read finds it). Several runs, and
 * two captures at once (two readers of /proc loading the machine).
 */
import { afterAll, describe, expect, it } from "vitest";
import { exited, procSkipReason, ProcNs, PY, rows, settle, waitForStdout } from "./helpers.js";

const skip = procSkipReason();
if (skip) console.log(`test/proc/burst: skipped: ${skip}`);
let ns: ProcNs | undefined;
afterAll(() => ns?.destroy());

/** A UDP sink on 127.0.0.1:port (no ICMP port unreachable for the burst). */
const SINK = `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); print("ready", flush=True)
while True: s.recvfrom(4000)`;

/** N datagrams back to back from one socket, which then stays open a while. */
const BURST = `import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])): s.sendto(b"burst %d " % i + b"x" * 200, ("127.0.0.1", int(sys.argv[1])))
time.sleep(2); print("done", flush=True)`;

const N = 40;

describe.skipIf(!!skip)("a burst with the /proc engine", () => {
  it.each([1, 2, 3])("every datagram is captured and attributed to the sender (run %i)", async (run) => {
    ns ??= new ProcNs("burst");
    const port = 19960 + run;
    const sink = ns.run(PY, ["-c", SINK, String(port)]);
    await waitForStdout(sink, "ready");
    const args = ["-i", "lo", "-n", "--proc-engine", "proc", "-T", "fields", "-e", "udp.srcport", "-e", "proc.pid", "-e", "proc.comm", `udp dst port ${port}`];
    // two captures at once: each reads /proc when the burst's flow appears
    const [a, b] = await Promise.all([ns.tsniff(args), ns.tsniff(args)]);
    const sender = ns.run(PY, ["-c", BURST, String(port), String(N)]);
    await waitForStdout(sender, "done", 30_000);
    expect(await exited(sender)).toBe(0);
    await settle();
    a.p.kill("SIGINT");
    b.p.kill("SIGINT");
    const rs = await Promise.all([a.done, b.done]);
    sink.kill("SIGKILL");
    for (const r of rs) {
      expect(r.code).toBe(0);
      const got = rows(r.stdout);
      const why = `${JSON.stringify(got)}\n${r.stderr}`;
      expect(r.stderr, why).toMatch(new RegExp(`^${N} packets captured$`, "m"));
      expect(r.stderr, why).toMatch(/^0 packets dropped by kernel$/m);
      expect(got, why).toHaveLength(N);
      expect(new Set(got.map((f) => f[0])).size).toBe(1);
      for (const f of got) expect(f[1], why).toBe(String(sender.pid));
    }
  }, 90_000);
});
