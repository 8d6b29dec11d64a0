/**
 * The /proc engine (--proc-engine proc) on real programs in a namespace of their own: each packet of the
 * long-lived TCP and UDP flows carries the pid of the process whose socket sent it (client and server on the
 * same machine, both directions); a connection shorter than the engine's refresh is counted as unattributed,
 * never given to a wrong process; --pid and --pname select, -Y filters on proc.comm.
 */
import { afterAll, describe, expect, it } from "vitest";
import { has } from "../helpers/run.js";
import { exited, PY, procSkipReason, ProcNs, rows, sleep, TCP_CLIENT, TCP_SERVER, waitForStdout } from "./helpers.js";
import { DNS_PORT, expectLongLivedRight, runScenario, TCP_PORT } from "./scenario.js";

const skip = procSkipReason();
if (skip) console.log(`test/proc/proc-engine: skipped: ${skip}`);
const made: ProcNs[] = [];
const ns = (tag: string) => {
  const n = new ProcNs(tag);
  made.push(n);
  return n;
};
afterAll(() => made.forEach((n) => n.destroy()));

describe.skipIf(!!skip)("/proc engine", () => {
  it("attributes each packet of long-lived TCP and UDP flows to the process that sent it", async () => {
    const s = await runScenario(ns("a"), ["--proc-engine", "proc"]);
    expectLongLivedRight(s, { firstMayMiss: true });
    expect(s.stderr).toContain("process attribution: /proc engine (forced by --proc-engine proc)");
    expect(s.stderr).toMatch(/\d+ packets? attributed to a process, \d+ not/);
    if (has("dnsmasq")) {
      // dnsmasq lives long: its answers are attributed
      const answers = s.pkts.filter((k) => k.sport === DNS_PORT);
      expect(answers.length).toBeGreaterThan(0);
      for (const k of answers) expect(k.pid).toBe(s.pids.dnsmasq);
    }
  });

  it("counts a connection that lived shorter than the refresh as unattributed", async () => {
    const n = ns("b");
    const srv = n.run(PY, ["-c", TCP_SERVER, String(TCP_PORT)]);
    await waitForStdout(srv, "ready");
    // refresh at most every 10 s: the tables are read at start, before this connection exists
    const { p, done } = await n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--proc-window", "10000", "-T", "fields", "-e", "tcp.srcport", "-e", "proc.pid"]);
    const r0 = n.runSync(PY, ["-c", `import socket; c = socket.create_connection(("127.0.0.1", ${TCP_PORT})); c.sendall(b"x\\n"); c.recv(5000); c.close()`]);
    expect(r0.status).toBe(0);
    await sleep(300);
    p.kill("SIGINT");
    const r = await done;
    const client = rows(r.stdout).filter((f) => Number(f[0]) !== TCP_PORT);
    expect(client.length).toBeGreaterThan(0);
    for (const f of client) expect(f[1] ?? "").toBe("");
    const m = /(\d+) packets? attributed to a process, (\d+) not/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThanOrEqual(client.length);
  });

  it("--pid keeps one process's packets; --pname and -Y proc.comm select by name", async () => {
    const n = ns("c");
    const srv = n.run(PY, ["-c", TCP_SERVER, String(TCP_PORT)]);
    await waitForStdout(srv, "ready");
    const cli = n.run(PY, ["-c", TCP_CLIENT, String(TCP_PORT)], { stdin: true });
    await sleep(200);
    const byPid = await n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--pid", String(cli.pid), "-T", "fields", "-e", "tcp.srcport", "-e", "proc.pid"]);
    const byName = await n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "-Y", 'proc.comm == "python3" && tcp.srcport == 18080', "-T", "fields", "-e", "tcp.srcport", "-e", "proc.pid"]);
    const none = await n.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "--pname", "no-such-program", "-T", "fields", "-e", "tcp.srcport"]);
    cli.stdin!.write("go\n");
    await waitForStdout(cli, "done");
    await exited(cli);
    await sleep(300);
    for (const t of [byPid, byName, none]) t.p.kill("SIGINT");
    const [a, b, c] = await Promise.all([byPid.done, byName.done, none.done]);
    const ra = rows(a.stdout);
    expect(ra.length, a.stderr).toBeGreaterThanOrEqual(4);
    for (const f of ra) expect(f).toEqual([expect.not.stringMatching(`^${TCP_PORT}$`), String(cli.pid)]);
    const rb = rows(b.stdout);
    expect(rb.length, b.stderr).toBeGreaterThanOrEqual(4);
    for (const f of rb) expect(f).toEqual([String(TCP_PORT), String(srv.pid)]);
    expect(c.stdout.toString()).toBe("");
    expect(c.stderr).toMatch(/0 packets captured/);
  });
});
