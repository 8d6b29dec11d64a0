/**
 * The library's capture() and sniff() over ssh:// sources (issue #18): two real OpenSSH servers in network
 * namespaces (hosts.ts; web1 with tsniff on its PATH, web2 with only tcpdump). The library runs in the lab's
 * control namespace, in a small ES module consumer of dist/index.js written by the test (a namespace is
 * entered by a process, not by a module). Each host's own tcpdump is the oracle for the per-source counts;
 * a third source with a wrong key fails alone (the others go on), or stops everything with stopOnDown, as a
 * host whose ssh session is killed mid-capture does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { collect, has, ROOT, sleep } from "../helpers/run.js";
import { sendTraffic } from "../helpers/netns.js";
import { canRunLab, createLab, hostTcpdump, leftovers, stopAndCount, type Lab } from "./hosts.js";

const enabled = canRunLab() && has("tcpdump") && has("ssh");
const d = enabled ? describe : describe.skip;

/** What the consumer prints: one JSON object. */
interface Result {
  opened: { name: string; remote: boolean }[] | null;
  /** packets: [iface, ifaceName, frame.interface_name, ts, ip.src, ip.dst] */
  packets: [number, string, string, number, string, string][];
  failures: { name: string; cause: string; message: string; atOpen: boolean }[];
  stats: {
    captured: number;
    sources?: { name: string; remote: boolean; captured: number | null; tool?: string; exclusion?: string; clock?: { offsetMs: number; rttMs: number } | null; down: string | null }[];
    hostFailures?: { name: string }[];
  } | null;
  sniffed: [number, string][] | null;
  error: string | null;
}

/**
 * The consumer: capture() (or sniff() with `count`) with the options in argv; prints "open" on stderr once
 * onOpen is called, stops at a line on stdin, then prints its Result on stdout.
 */
const CONSUMER = (dist: string) => `
import * as t from ${JSON.stringify(dist)};
const [opts, mode] = [JSON.parse(process.argv[2]), process.argv[3]];
const out = { opened: null, packets: [], failures: [], stats: null, sniffed: null, error: null };
const ac = new AbortController();
process.stdin.on("data", () => ac.abort());
process.stdin.on("end", () => ac.abort());
const common = {
  ...opts,
  signal: ac.signal,
  onOpen: (s) => { out.opened = s.map((x) => ({ name: x.name, remote: x.remote })); process.stderr.write("open\\n"); },
  onHostFailure: (f) => { out.failures.push(f); process.stderr.write("failure " + f.message + "\\n"); },
};
try {
  if (mode === "sniff") {
    const kept = await t.sniff({ ...common, onStats: (s) => (out.stats = s) });
    out.sniffed = kept.map((p) => [p.iface, p.ifaceName]);
  } else {
    const stream = t.capture(common);
    for await (const p of stream) out.packets.push([p.iface, p.ifaceName, p.get("frame.interface_name"), p.ts, p.get("ip.src"), p.get("ip.dst")]);
    out.stats = stream.stats();
  }
} catch (e) {
  out.error = e.message;
}
// (stdin, the stop channel, would keep the process alive after a capture that failed to open)
process.stdout.write(JSON.stringify(out), () => process.exit(0));
`;

d("the library API over ssh:// sources", () => {
  let lab: Lab;
  let tmp: string;
  let consumer: string;
  beforeAll(() => {
    lab = createLab("a", 71, [{ name: "web1", tsniff: true }, { name: "web2" }], "ts-rtui-");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-rtui-api-"));
    consumer = path.join(tmp, "consumer.mjs");
    fs.writeFileSync(consumer, CONSUMER(path.join(ROOT, "dist", "index.js")));
  }, 120_000);
  afterAll(() => {
    lab?.destroy();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs the consumer in the control namespace; `during` runs once it is open (or failed), then it is stopped. */
  async function run(opts: object, mode: string, during: (exited: Promise<void>) => unknown, afterMs = 2500): Promise<{ res: Result; stderr: string; code: number | null }> {
    const p = spawn("ip", ["netns", "exec", lab.ctl, process.execPath, consumer, JSON.stringify(opts), mode], { stdio: ["pipe", "pipe", "pipe"] });
    p.stdin!.on("error", () => {}); // a consumer that ended by itself
    const done = collect(p);
    const exited = new Promise<void>((resolve) => p.on("exit", () => resolve()));
    let err = "";
    const opened = new Promise<void>((resolve) => {
      p.stderr!.on("data", (b: Buffer) => {
        err += b.toString();
        if (/^open$/m.test(err)) resolve();
      });
      p.on("exit", () => resolve());
    });
    await Promise.race([opened, sleep(60_000)]);
    await sleep(500);
    await during(exited);
    await sleep(afterMs);
    p.stdin!.end("stop\n");
    const r = await done;
    let res: Result;
    try {
      res = JSON.parse(r.stdout.toString()) as Result;
    } catch {
      throw new Error(`the consumer printed no result (exit ${r.code}): ${r.stdout.toString().slice(0, 500)} ${r.stderr}`);
    }
    return { res, stderr: r.stderr, code: r.code };
  }

  it(
    "capture() merges two hosts in time order with packet.iface/ifaceName/frame.interface_name; counts equal each host's tcpdump; a host with a wrong key fails alone; per-source stats; no remote process left",
    async () => {
      const [web1, web2] = lab.hosts;
      const filter = "icmp or udp port 9999";
      const td1 = hostTcpdump(lab, web1.ns, path.join(tmp, "web1.pcap"), filter);
      const td2 = hostTcpdump(lab, web2.ns, path.join(tmp, "web2.pcap"), filter);
      const ssh = [`-F ${lab.sshConfig}`];
      const { res, stderr } = await run({ iface: ["ssh://web1/eth0", "ssh://wrongkey/eth0", "ssh://web2/eth0"], filter, remote: { sshOptions: ssh } }, "capture", () => {
        lab.exec(web1.ns, ["ping", "-c", "10", "-i", "0.05", web2.ip]);
        sendTraffic(web1.ns, web2.ip, [9999], { udpPerPort: 8 });
      });
      const n1 = await stopAndCount(td1, path.join(tmp, "web1.pcap"));
      const n2 = await stopAndCount(td2, path.join(tmp, "web2.pcap"));
      expect(res.error, stderr).toBeNull();
      expect(n1).toBeGreaterThanOrEqual(28);
      expect(n2).toBeGreaterThanOrEqual(28);
      // the wrong key: one failure, at open, naming the host with ssh's own cause; the two others opened
      expect(res.failures.map((f) => [f.name, f.atOpen])).toEqual([["wrongkey:eth0", true]]);
      expect(res.failures[0].message).toMatch(/^wrongkey:eth0: .*Permission denied \(publickey/);
      expect(res.opened).toEqual([
        { name: "web1:eth0", remote: true },
        { name: "web2:eth0", remote: true },
      ]);
      // every packet names its source, three ways that agree; per source, the host's own count
      const by: Record<string, number> = {};
      for (const [iface, name, fin] of res.packets) {
        expect([iface, name, fin]).toEqual(iface === 0 ? [0, "web1:eth0", "web1:eth0"] : [1, "web2:eth0", "web2:eth0"]);
        by[name] = (by[name] ?? 0) + 1;
      }
      expect(by).toEqual({ "web1:eth0": n1, "web2:eth0": n2 });
      // merged in time order (one kernel clock here: the order is exact)
      for (let k = 1; k < res.packets.length; k++) expect(res.packets[k][3]).toBeGreaterThanOrEqual(res.packets[k - 1][3]);
      // stats(): the per-source numbers, the remote tool, the exclusion, the clock; the failure
      const st = res.stats!;
      expect(st.captured).toBe(n1 + n2);
      expect(st.sources!.map((s) => [s.name, s.remote, s.captured, s.tool, s.down])).toEqual([
        ["web1:eth0", true, n1, "tsniff", null],
        ["web2:eth0", true, n2, "tcpdump", null],
      ]);
      for (const s of st.sources!) {
        expect(s.exclusion).toMatch(/^not \(host 10\.203\.71\.1 and host 10\.203\.71\.\d and tcp port \d+ and tcp port 22\)$/);
        expect(Math.abs(s.clock!.offsetMs)).toBeLessThan(s.clock!.rttMs + 50); // one machine: offset within the round trip
      }
      expect(st.hostFailures!.map((f) => f.name)).toEqual(["wrongkey:eth0"]);
      for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
    },
    180_000,
  );

  it(
    "sniff() mixes a local interface with a remote host (iface by position, every source named), a stop delivers what the merge holds; stopOnDown with a host that cannot be opened rejects, naming it",
    async () => {
      const web2 = lab.hosts[1];
      const ssh = [`-F ${lab.sshConfig}`];
      // stopped 0.3 s after the pings: they are still in the merge's 2 s window (and in the remote tcpdump's
      // buffer), and the stop delivers them all
      const { res } = await run({ iface: ["br0", "ssh://web2/eth0"], filter: "icmp", remote: { sshOptions: ssh, tool: "tcpdump" } }, "sniff", () => {
        lab.exec(lab.ctl, ["ping", "-c", "5", "-i", "0.05", web2.ip]);
      }, 300);
      expect(res.error).toBeNull();
      const tally: Record<string, number> = {};
      for (const [iface, name] of res.sniffed!) {
        expect(name).toBe(iface === 0 ? "br0" : "web2:eth0");
        tally[name] = (tally[name] ?? 0) + 1;
      }
      // 5 requests and 5 replies, seen on the bridge and on web2
      expect(tally).toEqual({ br0: 10, "web2:eth0": 10 });
      expect(res.stats!.sources!.map((s) => [s.name, s.remote, s.tool ?? ""])).toEqual([
        ["br0", false, ""],
        ["web2:eth0", true, "tcpdump"],
      ]);

      const bad = await run({ iface: ["ssh://web2/eth0", "ssh://wrongkey/eth0"], remote: { sshOptions: ssh, stopOnDown: true } }, "capture", () => {}, 0);
      expect(bad.res.error).toBe("a remote source could not be opened (--stop-on-down)");
      expect(bad.res.failures.map((f) => f.name)).toEqual(["wrongkey:eth0"]);
      expect(bad.res.opened).toBeNull();
      for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
    },
    180_000,
  );

  it(
    "stopOnDown: a host whose ssh session is killed mid-capture ends the capture by itself; every packet before is delivered, no remote process left",
    async () => {
      const [web1, web2] = lab.hosts;
      const ssh = [`-F ${lab.sshConfig}`];
      let ended = false;
      const { res } = await run({ iface: ["ssh://web1/eth0", "ssh://web2/eth0"], filter: "icmp", remote: { sshOptions: ssh, stopOnDown: true } }, "capture", async (exited) => {
        lab.exec(web1.ns, ["ping", "-c", "4", "-i", "0.1", web2.ip]);
        await sleep(3000); // past the merge's window: the packets are delivered before the stop
        for (const x of lab.procs(web2.ns)) if (x.comm === "sshd" && x.pid !== web2.sshd.pid) process.kill(x.pid, "SIGKILL");
        // the consumer's iteration ends without being stopped
        ended = await Promise.race([exited.then(() => true), sleep(60_000).then(() => false)]);
      }, 0);
      expect(ended).toBe(true);
      expect(res.error).toBeNull();
      expect(res.failures.map((f) => [f.name, f.atOpen])).toEqual([["web2:eth0", false]]);
      expect(res.failures[0].message).toMatch(/^web2:eth0: \S/);
      // 4 requests and 4 replies on each host, all delivered before the stop
      const by: Record<string, number> = {};
      for (const [, name] of res.packets) by[name] = (by[name] ?? 0) + 1;
      expect(by).toEqual({ "web1:eth0": 8, "web2:eth0": 8 });
      expect(res.stats!.sources!.map((s) => [s.name, s.down !== null])).toEqual([
        ["web1:eth0", false],
        ["web2:eth0", true],
      ]);
      for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
    },
    180_000,
  );
});
