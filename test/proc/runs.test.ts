/**
 * -w with process attribution writes runs of packets whole (session.ts) and the processes' comments per
 * packet: one python3 process sends datagrams alternately from a UDP socket (its own: attributed) and a raw
 * socket (no socket table has it: not attributed). `--proc -w` keeps every packet, a comment on exactly the
 * attributed ones (tshark's frame.comment); `--pname python3 -w` keeps only those, each with its comment.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { has } from "../helpers/run.js";
import { exited, procSkipReason, ProcNs, PY, settle, waitForStdout } from "./helpers.js";

const skip = procSkipReason() ?? (has("tshark") ? undefined : "no tshark");
if (skip) console.log(`test/proc/runs: skipped: ${skip}`);
let ns: ProcNs | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-proc-runs-"));
afterAll(() => {
  ns?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SINK = `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); print("ready", flush=True)
while True: s.recvfrom(4000)`;

// "sock N" from a UDP socket, "raw N" from a raw socket (UDP header by hand, checksum 0), alternately, in
// pairs back to back (so a batch holds runs of both)
const SENDER = `import socket, struct, sys, time
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
time.sleep(0.3)
for i in range(20):
    u.sendto(b"sock %d" % i, ("127.0.0.1", port))
    body = b"raw %d" % i
    r.sendto(struct.pack("!HHHH", 40001, port, 8 + len(body), 0) + body, ("127.0.0.1", 0))
    if i % 5 == 4: time.sleep(0.05)
time.sleep(1.5); print("done", flush=True)`;

function tsharkRows(file: string): [string, string][] {
  const r = spawnSync("tshark", ["-r", file, "-T", "fields", "-E", "separator=/t", "-e", "data.data", "-e", "frame.comment"], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [hex, comment = ""] = l.split("\t");
      return [Buffer.from(hex, "hex").toString(), comment];
    });
}

describe.skipIf(!!skip)("-w with process attribution", () => {
  it("writes every packet, the process as a comment on exactly the attributed ones; a selection keeps only those", async () => {
    ns = new ProcNs("runs");
    const port = 19940;
    const sink = ns.run(PY, ["-c", SINK, String(port)]);
    await waitForStdout(sink, "ready");
    const all = path.join(dir, "all.pcapng");
    const sel = path.join(dir, "sel.pcapng");
    const filter = `udp dst port ${port}`;
    const [a, b] = await Promise.all([ns.tsniff(["-i", "lo", "--proc-engine", "proc", "--proc", "-w", all, filter]), ns.tsniff(["-i", "lo", "--proc-engine", "proc", "--pname", "python3", "-w", sel, filter])]);
    const sender = ns.run(PY, ["-c", SENDER, String(port)]);
    await waitForStdout(sender, "done", 30_000);
    expect(await exited(sender)).toBe(0);
    await settle();
    a.p.kill("SIGINT");
    b.p.kill("SIGINT");
    const [ra, rb] = await Promise.all([a.done, b.done]);
    sink.kill("SIGKILL");
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const want = new RegExp(`^PID: ${sender.pid}\\\\nCmd: `);
    const got = tsharkRows(all);
    expect(got.map((g) => g[0]).sort()).toEqual([...Array(20).keys()].flatMap((i) => [`sock ${i}`, `raw ${i}`]).sort());
    for (const [payload, comment] of got) {
      if (payload.startsWith("raw")) expect(comment, payload).toBe("");
      else expect(comment, payload).toMatch(want);
    }
    const kept = tsharkRows(sel);
    expect(kept.map((g) => g[0])).toEqual([...Array(20).keys()].map((i) => `sock ${i}`));
    for (const [payload, comment] of kept) expect(comment, payload).toMatch(want);
  }, 90_000);
});
