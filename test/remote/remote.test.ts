/**
 * Remote capture over ssh (-i ssh://host/IFACE), with real OpenSSH servers in network namespaces
 * (hosts.ts): web1 has tsniff on its PATH, db1 only tcpdump. tsniff runs in the control namespace with a
 * temporary ssh_config. Each host's own tcpdump, running beside, is the oracle for the per-source counts;
 * tshark reads the merged pcapng back (frame.interface_name). Faults: a wrong key, an unreachable host, a
 * missing interface, sshd killed mid-capture: the other hosts go on, the message names the host, nothing
 * captured is lost, no remote process is left (checked with the processes of each namespace).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { collect, has, sh, sleep, TSNIFF, tsniffBg, waitForStderr } from "../helpers/run.js";
import { sendTraffic } from "../helpers/netns.js";
import { fieldRows as fields, tally } from "../helpers/tshark-fields.js";
import { canRunLab, captureWhile, createLab, hostTcpdump, leftovers, stopAndCount, type Lab } from "./hosts.js";

const enabled = canRunLab() && has("tcpdump") && has("tshark") && has("ssh");
const d = enabled ? describe : describe.skip;

d("remote capture over ssh", () => {
  let lab: Lab;
  let tmp: string;
  beforeAll(() => {
    lab = createLab("a", 61, [{ name: "web1", tsniff: true }, { name: "db1" }]);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-remote-t-"));
  }, 120_000);
  afterAll(() => {
    lab?.destroy();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });
  const ssh = () => ["--ssh-option", `-F ${lab.sshConfig}`];

  it(
    "merges two hosts by time into one pcapng (one IDB per host:iface), counts equal each host's own tcpdump, no remote process left",
    async () => {
      const [web1, db1] = lab.hosts;
      const out = path.join(tmp, "all.pcapng");
      const filter = "icmp or udp port 9999";
      const td1 = hostTcpdump(lab, web1.ns, path.join(tmp, "web1.pcap"), filter);
      const td2 = hostTcpdump(lab, db1.ns, path.join(tmp, "db1.pcap"), filter);
      const r = await captureWhile(
        lab,
        ["-v", "-i", "ssh://web1/eth0", "-i", "ssh://db1/eth0", "-w", out, filter],
        "listening on db1:eth0",
        async () => {
          // traffic between the hosts: ICMP both ways, UDP web1 -> db1
          lab.exec(web1.ns, ["ping", "-c", "10", "-i", "0.05", db1.ip]);
          sendTraffic(web1.ns, db1.ip, [9999], { udpPerPort: 8 });
        },
        { afterMs: 2500 },
      );
      const n1 = await stopAndCount(td1, path.join(tmp, "web1.pcap"));
      const n2 = await stopAndCount(td2, path.join(tmp, "db1.pcap"));
      expect(r.code, r.stderr).toBe(0);
      expect(n1).toBeGreaterThanOrEqual(28);
      expect(n2).toBeGreaterThanOrEqual(28);
      // -v: the remote tool, the ssh exclusion, the clock
      expect(r.stderr).toMatch(/web1:eth0: capturing with tsniff over ssh; ssh connection excluded: not \(host 10\.203\.61\.1 and host 10\.203\.61\.2 and tcp port \d+ and tcp port 22\); clock offset [+-]\d/);
      expect(r.stderr).toMatch(/db1:eth0: capturing with tcpdump over ssh; ssh connection excluded: not \(host 10\.203\.61\.1 and host 10\.203\.61\.3 /);
      // per-host summary lines
      // (the remote kernel may also count a packet that reached the socket before its filter was set, e.g. the
      // ssh session's own: then "received" is higher by exactly the count said to be not read)
      for (const [host, n] of [["web1", n1], ["db1", n2]] as const) {
        const m = new RegExp(`^${host}:eth0: ${n} packets captured, (\\d+) packets received by filter, 0 packets dropped by kernel(?:, (\\d+) counted but not read by the remote tool \\([^)]*\\))?; clock offset`, "m").exec(r.stderr);
        expect(m, r.stderr).not.toBeNull();
        expect(Number(m![1]) - Number(m![2] ?? 0), r.stderr).toBe(n);
      }
      // read back by tshark: one interface per source, named host:iface, with each host's own count
      const rows = fields(out, "frame.interface_name", "frame.time_epoch", "ip.src", "ip.dst");
      expect(tally(rows)).toEqual({ "web1:eth0": n1, "db1:eth0": n2 });
      // merged in time order across hosts (one kernel clock here: the order is exact)
      const times = rows.map((x) => Number(x[1]));
      for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThanOrEqual(times[k - 1]);
      // every ping request appears on web1 before db1 (same packet, sent by web1)
      const idb = sh("tshark", ["-r", out, "-T", "fields", "-e", "frame.interface_id", "-e", "frame.interface_name"]).stdout.toString();
      expect(new Set(idb.trim().split("\n"))).toEqual(new Set(["0\tweb1:eth0", "1\tdb1:eth0"]));
      // no capture left on either host
      for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
    },
    180_000,
  );

  it(
    "mixes a local interface with a remote one; the remote side excludes its own ssh connection",
    async () => {
      const db1 = lab.hosts[1];
      const out = path.join(tmp, "mixed.pcapng");
      const r = await captureWhile(
        lab,
        ["-i", "br0", "-i", `ssh://${db1.ip}/eth0`, "-w", out],
        `listening on ${db1.ip}:eth0`,
        async () => {
          lab.exec(lab.ctl, ["ping", "-c", "6", "-i", "0.05", db1.ip]);
        },
        { afterMs: 2500 },
      );
      expect(r.code, r.stderr).toBe(0);
      const rows = fields(out, "frame.interface_name", "icmp.type", "tcp.port");
      const on = (name: string, pred: (x: string[]) => boolean) => rows.filter((x) => x[0] === name && pred(x)).length;
      // the pings on both: 6 requests and 6 replies
      expect(on("br0", (x) => x[1] !== "")).toBe(12);
      expect(on(`${db1.ip}:eth0`, (x) => x[1] !== "")).toBe(12);
      // the ssh connection is seen locally on br0, never in the remote capture
      expect(on("br0", (x) => /\b22\b/.test(x[2]))).toBeGreaterThan(0);
      expect(on(`${db1.ip}:eth0`, (x) => /\b22\b/.test(x[2]))).toBe(0);
      expect(r.stderr).toMatch(/^br0: \d+ packets received by filter, \d+ packets dropped by kernel$/m);
    },
    180_000,
  );

  it(
    "a wrong key, an unreachable host and missing interfaces: one line each naming the host, the others go on",
    async () => {
      const db1 = lab.hosts[1];
      const r = await captureWhile(
        lab,
        ["-i", "ssh://wrongkey/eth0", "-i", "ssh://10.203.99.9/eth0", "-i", "ssh://web1/nosuch0", "-i", "ssh://db1/nosuch1", "-i", "ssh://db1/eth0", "-n", "icmp"],
        "listening on db1:eth0",
        async () => {
          lab.exec(lab.ctl, ["ping", "-c", "4", "-i", "0.05", db1.ip]);
        },
        { afterMs: 2000 },
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^tsniff: wrongkey:eth0: .*Permission denied \(publickey\)/m);
      expect(r.stderr).toMatch(/^tsniff: 10\.203\.99\.9:eth0: .*(Network is unreachable|No route to host)/m);
      expect(r.stderr).toMatch(/^tsniff: web1:nosuch0: tsniff: nosuch0: No such device exists/m);
      expect(r.stderr).toMatch(/^tsniff: db1:nosuch1: tcpdump: nosuch1: No such device exists/m);
      expect(r.stderr).not.toMatch(/^\s+at |debug1|OpenSSH/m);
      // db1:eth0 went on: the 4 requests and 4 replies, printed with their source
      const lines = r.stdout.toString().trim().split("\n");
      expect(lines.filter((l) => / IP 10\.203\.61\.1 > 10\.203\.61\.3: ICMP echo request/.test(l))).toHaveLength(4);
      expect(lines.filter((l) => /ICMP echo reply/.test(l))).toHaveLength(4);
      expect(r.stderr).toMatch(/^db1:eth0: 8 packets captured, \d+ packets received by filter/m);
      for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
    },
    180_000,
  );

  it(
    "-T fields and plugins name each packet's source (frame.interface_name, packet.ifaceName)",
    async () => {
      const [web1, db1] = lab.hosts;
      const plugin = path.join(tmp, "names.mjs");
      fs.writeFileSync(plugin, `export function onPacket(p) { process.stderr.write("PLUGIN " + p.iface + " " + p.ifaceName + " " + p.get("frame.interface_name") + "\\n"); }\n`, { mode: 0o644 });
      const r = await captureWhile(
        lab,
        ["-i", "ssh://web1/eth0", "-i", "ssh://db1/eth0", "-T", "fields", "-e", "frame.interface_name", "-e", "icmp.type", "--script", plugin, "icmp"],
        "listening on db1:eth0",
        async () => {
          lab.exec(web1.ns, ["ping", "-c", "3", "-i", "0.05", db1.ip]);
        },
        { afterMs: 2000 },
      );
      expect(r.code, r.stderr).toBe(0);
      const rows = r.stdout.toString().trim().split("\n").map((l) => l.split("\t"));
      expect(tally(rows)).toEqual({ "web1:eth0": 6, "db1:eth0": 6 });
      const plug = r.stderr.split("\n").filter((l) => l.startsWith("PLUGIN "));
      // packet.iface: the source's index in the order of -i
      expect(plug.sort()).toEqual([...Array(6).fill("PLUGIN 0 web1:eth0 web1:eth0"), ...Array(6).fill("PLUGIN 1 db1:eth0 db1:eth0")]);
    },
    180_000,
  );

  it(
    "--stop-on-down: a host that cannot be opened stops everything",
    () => {
      const r = spawnSyncIn(lab.ctl, [...ssh(), "--stop-on-down", "-i", "ssh://web1/nosuch0", "-i", "ssh://db1/eth0", "-c", "1"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^tsniff: web1:nosuch0: tsniff: nosuch0: No such device exists/m);
      expect(r.stderr).toMatch(/^tsniff: a remote source could not be opened \(--stop-on-down\)$/m);
    },
    120_000,
  );

  it(
    "--remote-tool tsniff on a host without tsniff: one line naming the host and the missing tool; exit 1",
    () => {
      const r = spawnSyncIn(lab.ctl, [...ssh(), "--remote-tool", "tsniff", "-i", "ssh://db1/eth0", "--duration", "1"]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^tsniff: db1:eth0: tsniff is not installed \(or not on the PATH\) on the remote host \(--remote-tool tsniff\)$/m);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    },
    120_000,
  );

  it(
    "--sudo as root on the remote host: no sudo (the capture runs as is)",
    () => {
      const r = spawnSyncIn(lab.ctl, [...ssh(), "-v", "--sudo", "-i", "ssh://db1/eth0", "--duration", "1"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^tsniff: db1:eth0: capturing with tcpdump over ssh; /m);
      expect(r.stderr).toMatch(/^db1:eth0: \d+ packets? captured, \d+ packets? received by filter/m);
    },
    120_000,
  );

  it(
    "--stop-on-down: the remote capture killed mid-capture stops everything at once; every packet before is in the file",
    async () => {
      const [web1, db1] = lab.hosts;
      const out = path.join(tmp, "stopdown.pcapng");
      const td1 = hostTcpdump(lab, web1.ns, path.join(tmp, "sd-web1.pcap"), "icmp");
      const td2 = hostTcpdump(lab, db1.ns, path.join(tmp, "sd-db1.pcap"), "icmp");
      const p = tsniffBg(["--ssh-option", `-F ${lab.sshConfig}`, "--stop-on-down", "-i", "ssh://web1/eth0", "-i", "ssh://db1/eth0", "-w", out, "icmp"], { ns: lab.ctl });
      const res = collect(p);
      await waitForStderr(p, "listening on db1:eth0", 60_000);
      await sleep(500);
      lab.exec(web1.ns, ["ping", "-c", "5", "-i", "0.05", db1.ip]);
      // the remote tcpdump writes them within its 1 s timeout; they are still in the merge's 2 s window when
      // the host goes down
      await sleep(1500);
      const capture = lab.procs(db1.ns).filter((x) => x.comm === "tcpdump" && x.args.includes("-w -"));
      expect(capture).toHaveLength(1);
      process.kill(capture[0].pid, "SIGKILL");
      const r = await res; // ends by itself: no SIGINT
      await sleep(1500); // the oracles' last packets reach them (libpcap's 1 s timeout)
      const n1 = await stopAndCount(td1, path.join(tmp, "sd-web1.pcap"));
      const n2 = await stopAndCount(td2, path.join(tmp, "sd-db1.pcap"));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^tsniff: db1:eth0: .*\(--stop-on-down: stopping\)$/m);
      expect(n1).toBe(10);
      expect(n2).toBe(10);
      expect(tally(fields(out, "frame.interface_name"))).toEqual({ "web1:eth0": n1, "db1:eth0": n2 });
      expect(r.stderr).not.toMatch(/dropped by tsniff/);
      for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
    },
    180_000,
  );

  it(
    "sshd killed mid-capture: the host is reported, the others go on, nothing it captured is lost, no remote process left",
    async () => {
      const [web1, db1] = lab.hosts;
      const out = path.join(tmp, "killed.pcapng");
      const td1 = hostTcpdump(lab, web1.ns, path.join(tmp, "k-web1.pcap"), "icmp");
      const td2 = hostTcpdump(lab, db1.ns, path.join(tmp, "k-db1.pcap"), "icmp");
      const r = await captureWhile(lab, ["-i", "ssh://web1/eth0", "-i", "ssh://db1/eth0", "-w", out, "icmp"], "listening on db1:eth0", async (p) => {
        lab.exec(web1.ns, ["ping", "-c", "5", "-i", "0.05", db1.ip]);
        await sleep(1500);
        // every sshd of db1: the listener and the session's
        const down = waitForStderr(p, "tsniff: db1:eth0: ", 60_000);
        for (const x of lab.procs(db1.ns)) if (x.comm === "sshd") process.kill(x.pid, "SIGKILL");
        await down;
        // web1 goes on: pings to the control namespace (db1 sees none of them)
        lab.exec(web1.ns, ["ping", "-c", "5", "-i", "0.05", lab.ctlIp]);
      });
      const n1 = await stopAndCount(td1, path.join(tmp, "k-web1.pcap"));
      const n2 = await stopAndCount(td2, path.join(tmp, "k-db1.pcap"));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("tsniff: db1:eth0: "))).toHaveLength(1);
      expect(n1).toBe(20);
      expect(n2).toBe(10);
      expect(tally(fields(out, "frame.interface_name"))).toEqual({ "web1:eth0": n1, "db1:eth0": n2 });
      expect(r.stderr).toMatch(/^db1:eth0: 10 packets captured, .*; down: /m);
      expect(await leftovers(lab, db1.ns, undefined)).toEqual([]);
      expect(await leftovers(lab, web1.ns, web1.sshd.pid)).toEqual([]);
    },
    180_000,
  );
});

function spawnSyncIn(ns: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, TSNIFF, ...args], { encoding: "utf8", timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
