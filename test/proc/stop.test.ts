/**
 * A signal while the reorder window holds packets: the first SIGINT stops the capture, not the outputs, so the
 * packets held for flows no engine knew yet are written (with -w) and counted, as tcpdump writes every packet it
 * read. Here the datagrams come from a raw socket (no UDP socket owns their tuple), so no engine ever knows
 * their flow and they wait for the whole window; the signal comes inside it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tsniff } from "../helpers/run.js";
import { procSkipReason, ProcNs, PY, sleep } from "./helpers.js";

const skip = procSkipReason();
if (skip) console.log(`test/proc/stop: skipped: ${skip}`);
let ns: ProcNs | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-proc-stop-"));
afterAll(() => {
  ns?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

// UDP headers written by hand on a raw socket (checksum 0: none), 10 ms apart
const SENDER = `import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
for i in range(int(sys.argv[2])):
    body = b"held %d" % i
    s.sendto(struct.pack("!HHHH", 40000, int(sys.argv[1]), 8 + len(body), 0) + body, ("127.0.0.1", 0)); time.sleep(0.01)`;

describe.skipIf(!!skip)("a signal while packets wait in the reorder window", () => {
  it.each([1, 2, 3])("writes every held packet and counts it (run %i)", async (run) => {
    ns ??= new ProcNs("stop");
    const port = 19990 + run;
    const out = path.join(dir, `held-${run}.pcapng`);
    const { p, done } = await ns.tsniff(["-i", "lo", "--proc-engine", "proc", "--proc-window", "8000", "-w", out, `udp dst port ${port}`]);
    const sent = ns.runSync(PY, ["-c", SENDER, String(port), "40"]);
    expect(sent.status).toBe(0);
    await sleep(700);
    p.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^40 packets captured$/m);
    const back = tsniff(["-nn", "-r", out]);
    expect(back.status).toBe(0);
    const lines = back.stdout.toString().split("\n").filter(Boolean);
    expect(lines).toHaveLength(40);
    expect(lines.every((l) => l.includes(`> 127.0.0.1.${port}: UDP`))).toBe(true);
  }, 60_000);
});
