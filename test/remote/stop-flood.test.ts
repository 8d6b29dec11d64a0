/**
 * Nothing a remote capture captured is lost at stop (issue #18): a UDP flood into two "hosts" (hosts.ts: real
 * sshd in network namespaces; web1 runs tsniff remotely, db1 tcpdump), tsniff stopped (SIGINT) as soon as the
 * flood has been sent, several times. For each host, the packets in the merged pcapng (read back by tshark)
 * equal what tsniff says it received from that host, which equals what the remote tool itself says it
 * captured and what its kernel handed it (received by filter minus dropped by kernel: nothing left unread in
 * the remote buffer at stop). A loss anywhere must show in the summary and add up: the remote tool's count above
 * tsniff's ("lost on the way"), a damaged stream ("down:"), the merge's "dropped by tsniff at stop". A damaged
 * stream or a drop at stop fails the test; the remote tool's own accounting (frames left in its kernel buffer,
 * one frame lost on the way, seen with a remote tcpdump at low load) is an open defect: printed, not asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has } from "../helpers/run.js";
import { fieldRows, tally } from "../helpers/tshark-fields.js";
import { flooder, startFlood } from "../helpers/flood.js";
import { canRunLab, captureWhile, createLab, leftovers, type Lab } from "./hosts.js";

const enabled = canRunLab() && has("tshark") && has("tcpdump") && has("ssh") && flooder() !== null;
const RUNS = 3;

describe.skipIf(!enabled)("remote capture stopped right after a flood", () => {
  let lab: Lab;
  let tmp: string;
  beforeAll(() => {
    lab = createLab("s", 62, [{ name: "web1", tsniff: true }, { name: "db1" }]);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-remote-s-"));
  }, 120_000);
  afterAll(() => {
    lab?.destroy();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(
    `every packet each remote tool captured is in the output, or the loss is reported (${RUNS} runs)`,
    async () => {
      const [web1, db1] = lab.hosts;
      for (let run = 0; run < RUNS; run++) {
        const out = path.join(tmp, `flood${run}.pcapng`);
        let sent: number[] = [];
        // 64-byte datagrams to both hosts at once, as fast as they go, for half a second; stopped at once
        const r = await captureWhile(
          lab,
          ["-i", "ssh://web1/eth0", "-i", "ssh://db1/eth0", "-w", out, "udp port 9"],
          "listening on db1:eth0",
          async () => (sent = await Promise.all([web1, db1].map((h) => startFlood(lab.ctl, h.ip, { size: 64, seconds: 0.5 }).done))),
          { settleMs: 0, afterMs: 0 },
        );
        expect(r.code, r.stderr).toBe(0);
        const where = `run ${run}: ${r.stderr}`;
        expect(r.stderr, where).not.toMatch(/down:|dropped by tsniff/);
        const inFile = tally(fieldRows(out, "frame.interface_name"));
        let total = 0;
        [web1, db1].forEach((h, k) => {
          const m = new RegExp(`^${h.name}:eth0: (\\d+) packets captured(?: \\(the remote captured (\\d+): (\\d+) lost on the way\\))?, (\\d+) packets received by filter, (\\d+) packets dropped by kernel;`, "m").exec(r.stderr);
          expect(m, where).not.toBeNull();
          const [captured, remoteCaptured, lost, received, dropped] = [m![1], m![2] ?? m![1], m![3] ?? "0", m![4], m![5]].map(Number);
          // the flood reached the host and was captured (some of it may be dropped by its kernel: counted)
          expect(captured, where).toBeGreaterThan(0);
          expect(remoteCaptured, where).toBeLessThanOrEqual(sent[k]);
          // OPEN DEFECT (issue #18, seen at low load): a remote tcpdump can stop with frames still in its kernel
          // buffer (remote captured < received - dropped) and one frame short on the way (summary: "1 lost on the
          // way"). Both are reported by the summary, so they are printed here, not asserted, until fixed.
          if (remoteCaptured !== received - dropped || lost) console.log(`run ${run} ${h.name}: OPEN: remote captured ${remoteCaptured} of ${received - dropped} its kernel kept; ${lost} lost on the way`);
          expect(captured + lost, where).toBe(remoteCaptured);
          // all that arrived is in the file
          expect(inFile[`${h.name}:eth0`] ?? 0, where).toBe(captured);
          console.log(`run ${run} ${h.name}: sent ${sent[k]}, captured ${captured} (remote ${remoteCaptured}, lost ${lost}), received ${received}, dropped ${dropped}, in file ${inFile[`${h.name}:eth0`]}`);
          total += captured;
        });
        expect(r.stderr, where).toMatch(new RegExp(`^${total} packets captured$`, "m"));
        for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
      }
    },
    600_000,
  );
});
