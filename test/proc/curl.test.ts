/**
 * A short-lived curl against python3's http.server (curl lives a few milliseconds): with the eBPF engine every
 * packet of its connection carries the pid of the process that sent it, curl's from its first SYN on; with
 * the /proc engine none is given to a wrong process (most are unattributed: the connection is over before
 * the socket tables are read; docs/PROCESS.md has the fractions).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { has, ROOT } from "../helpers/run.js";
import { exited, HTTP_SERVER, procSkipReason, ProcNs, PY, rows, sleep, waitForStdout } from "./helpers.js";

const built = fs.existsSync(path.join(ROOT, "build", "Release", "tsniff_bpf.node")) && fs.existsSync(path.join(ROOT, "build", "bpf", "proc.bpf.o")) && fs.existsSync("/sys/kernel/btf/vmlinux");
const skip = procSkipReason() ?? (has("curl") ? undefined : "no curl");
if (skip) console.log(`test/proc/curl: skipped: ${skip}`);
const made: ProcNs[] = [];
afterAll(() => made.forEach((n) => n.destroy()));
const PORT = 18380;

async function curlRun(tag: string, engine: string) {
  const n = new ProcNs(tag);
  made.push(n);
  const srv = n.run(PY, ["-c", HTTP_SERVER, String(PORT)]);
  await waitForStdout(srv, "ready");
  const t = await n.tsniff(["-i", "lo", "-n", "--proc-engine", engine, "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags.syn", "-e", "proc.pid", "-e", "proc.comm"]);
  const c = n.run("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${PORT}/`]);
  expect(await exited(c)).toBe(0);
  await sleep(500);
  t.p.kill("SIGINT");
  const r = await t.done;
  return { srv: srv.pid!, curl: c.pid!, pkts: rows(r.stdout).filter((f) => f[0] === String(PORT) || f[1] === String(PORT)), err: r.stderr };
}

describe.skipIf(!!skip)("a short-lived curl", () => {
  it.skipIf(!built)("eBPF engine: every packet of its connection, from its first SYN, to the process that sent it", async () => {
    const r = await curlRun("curl-e", "ebpf");
    expect(r.pkts.length, r.err).toBeGreaterThanOrEqual(8);
    expect(r.pkts[0].slice(2), r.err).toEqual(["1", String(r.curl), "curl"]);
    for (const f of r.pkts) expect(f[3], `${f.join(" ")}\n${r.err}`).toBe(String(f[0] === String(PORT) ? r.srv : r.curl));
  });

  it("/proc engine: never a wrong process", async () => {
    const r = await curlRun("curl-p", "proc");
    expect(r.pkts.length, r.err).toBeGreaterThanOrEqual(8);
    for (const f of r.pkts) if (f[3]) expect(f[3], `${f.join(" ")}\n${r.err}`).toBe(String(f[0] === String(PORT) ? r.srv : r.curl));
  });
});
