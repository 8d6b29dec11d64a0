/**
 * Nothing a remote capture captured is lost at stop (issue #18): a UDP flood into two "hosts" (hosts.ts: real
 * sshd in network namespaces; web1 runs tsniff remotely, db1 tcpdump), tsniff stopped (SIGINT) as soon as the
 * flood has been sent, several times. For each host, the packets in the merged pcapng (read back by tshark)
 * equal what tsniff says it received from that host, which equals what the remote tool itself says it
 * captured and what its kernel handed it (received by filter minus dropped by kernel: nothing left unread in
 * the remote buffer at stop). A remote tcpdump signalled while blocked writing a flood's backlog to the ssh
 * pipe loses the record it was writing and leaves its kernel ring unread (both seen before tsniff waited for
 * the backlog to drain before signalling it: src/remote/remote-source.ts, DRAIN_*): either fails this test, as
 * do a damaged stream ("down:") and the merge's "dropped by tsniff at stop".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has } from "../helpers/run.js";
import { fieldRows, tally } from "../helpers/tshark-fields.js";
import { flooder, startFlood } from "../helpers/flood.js";
import { canRunLab, captureWhile, createLab, leftovers, type Lab } from "./hosts.js";

const enabled = canRunLab() && has("tshark") && has("tcpdump") && has("ssh") && has("tc") && has("sysctl") && flooder() !== null;
const RUNS = 3;

describe.skipIf(!enabled)("remote capture stopped right after a flood", () => {
  let lab: Lab;
  let tmp: string;
  beforeAll(() => {
    lab = createLab("s", 62, [{ name: "web1", tsniff: true }, { name: "db1" }]);
    // The hosts' links back to tsniff are slower than the flood (4 Mbit/s: about 0.5 MB/s of pcap records; a
    // flood of 10-40k packets is 1.2-5 MB) and their TCP send buffers small (64 KB, where Linux grows them to
    // 4 MB), so whatever the machine's load the backlog is in the remote tool's kernel ring, and the tool is
    // still blocked writing to the ssh pipe when the stop comes: the case where a remote tcpdump signalled at
    // once lost the record it was writing and left its ring unread (and a remote tsniff left its ring unread).
    for (const h of lab.hosts) {
      for (const cmd of [
        ["tc", "qdisc", "add", "dev", h.iface, "root", "tbf", "rate", "4mbit", "burst", "32kb", "latency", "200ms"],
        ["sysctl", "-q", "-w", "net.ipv4.tcp_wmem=4096 16384 65536"],
      ]) {
        const r = lab.exec(h.ns, cmd);
        if (r.status !== 0) throw new Error(`${cmd.join(" ")} in ${h.ns}: ${r.stderr}`);
      }
    }
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
          const m = new RegExp(`^${h.name}:eth0: (\\d+) packets captured(?: \\(the remote captured (\\d+): (\\d+) [^)]*\\))?, (\\d+) packets received by filter, (\\d+) packets dropped by kernel(?:, (\\d+) counted but not read[^;]*)?;`, "m").exec(r.stderr);
          expect(m, where).not.toBeNull();
          const [captured, remoteCaptured, lost, received, dropped, unread] = [m![1], m![2] ?? m![1], m![3] ?? "0", m![4], m![5], m![6] ?? "0"].map(Number);
          // the flood reached the host and was captured (some of it may be dropped by its kernel: counted)
          expect(captured, where).toBeGreaterThan(0);
          expect(remoteCaptured, where).toBeLessThanOrEqual(sent[k]);
          console.log(`run ${run} ${h.name}: sent ${sent[k]}, captured ${captured} (remote ${remoteCaptured}, missing ${lost}), received ${received}, dropped ${dropped}, left unread ${unread}, in file ${inFile[`${h.name}:eth0`]}`);
          // nothing the remote tool counted is missing, nothing its kernel kept for it is left unread
          expect(lost, where).toBe(0);
          expect(captured, where).toBe(remoteCaptured);
          expect(unread, where).toBe(0);
          expect(remoteCaptured, where).toBe(received - dropped);
          // all that arrived is in the file
          expect(inFile[`${h.name}:eth0`] ?? 0, where).toBe(captured);
          total += captured;
        });
        expect(r.stderr, where).toMatch(new RegExp(`^${total} packets captured$`, "m"));
        for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
      }
    },
    600_000,
  );
});
