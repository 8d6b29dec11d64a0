/**
 * Live capture with real traffic in network namespaces joined by a veth pair (and on a namespace's loopback).
 * tsniff and tcpdump capture the same interface with the same filter at the same time: they must capture the
 * same packets, byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { canUseNetns, createNsPair, sendTraffic, type NsPair } from "../helpers/netns.js";
import { collect, has, sh, sleep, tsniff, tsniffBg, waitForStderr } from "../helpers/run.js";
import { readRecords } from "../helpers/records.js";

const enabled = canUseNetns() && has("tcpdump");
const d = enabled ? describe : describe.skip;

interface Pkt {
  caplen: number;
  wirelen: number;
  hex: string;
}
async function readPackets(file: string): Promise<Pkt[]> {
  const { records, reason } = await readRecords(file);
  expect(reason).toBe("eof");
  return records.map((r) => ({ caplen: r.caplen, wirelen: r.wirelen, hex: Buffer.from(r.data).toString("hex") }));
}

function tcpdumpBg(ns: string, args: string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", ns, "tcpdump", ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

/** Ignore IPv6 multicast chatter (MLD, router solicitations) that the kernel sends on its own schedule. */
function isNoise(hex: string): boolean {
  return hex.startsWith("3333");
}

d("live capture in network namespaces", () => {
  let net: NsPair;
  let dir: string;
  beforeAll(() => {
    net = createNsPair("lv", 1);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-live-"));
  });
  afterAll(() => {
    net?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const filters = (n: NsPair) => [
    `src host ${n.ipB} && dst port 7001`,
    `udp and dst port 7002`,
    `tcp`,
    `tcp[tcpflags] & tcp-syn != 0`,
    `ip6 and udp`,
    `not port 7003`,
    `portrange 7002-7003 and src host ${n.ipA}`,
  ];

  it("captures exactly what tcpdump captures, for several filters at once", async () => {
    // A TCP listener in A so that connections complete (data, FIN), not only SYN/RST.
    const listener = spawn(
      "ip",
      ["netns", "exec", net.a, process.execPath, "-e", `const s=require("net").createServer(c=>{c.on("data",()=>{});c.on("end",()=>c.end("bye"))});s.listen({port:7001,host:"::"});setTimeout(()=>process.exit(0),15000)`],
      { stdio: "ignore" },
    );
    const runs: { filter: string; t: ChildProcess; d: ChildProcess; tf: string; df: string }[] = [];
    for (const [k, filter] of filters(net).entries()) {
      const tf = path.join(dir, `t${k}.pcap`),
        df = path.join(dir, `d${k}.pcap`);
      const t = tsniffBg(["-i", net.ifA, "--immediate-mode", "-w", tf, filter], { ns: net.a });
      const dd = tcpdumpBg(net.a, ["-i", net.ifA, "--immediate-mode", "-w", df, filter]);
      runs.push({ filter, t, d: dd, tf, df });
    }
    await Promise.all(runs.flatMap((r) => [waitForStderr(r.t, "listening on"), waitForStderr(r.d, "listening on")]));
    await sleep(300);
    sendTraffic(net.b, net.ipA, [7001, 7002, 7003], { udpPerPort: 3, tcp: true });
    sendTraffic(net.a, net.ipB, [7002, 7003], { udpPerPort: 2 });
    sendTraffic(net.b, net.ip6A, [7001, 7002], { udpPerPort: 2 });
    await sleep(500);
    const done = runs.map((r) => Promise.all([collect(r.t), collect(r.d)]));
    for (const r of runs) {
      r.t.kill("SIGINT");
      r.d.kill("SIGINT");
    }
    const results = await Promise.all(done);
    listener.kill();
    for (const [k, r] of runs.entries()) {
      const [tr, dr] = results[k];
      expect(tr.code, `tsniff exit for ${r.filter}: ${tr.stderr}`).toBe(0);
      const tp = (await readPackets(r.tf)).filter((p) => !isNoise(p.hex));
      const dp = (await readPackets(r.df)).filter((p) => !isNoise(p.hex));
      expect(tp.length, `packets for filter ${r.filter}`).toBeGreaterThan(0);
      expect(tp, `packets for filter ${r.filter}`).toEqual(dp);
      // The summary says how many were captured.
      const m = /(\d+) packets? captured/.exec(tr.stderr);
      expect(m, tr.stderr).not.toBeNull();
      expect(Number(m![1])).toBe((await readPackets(r.tf)).length);
      expect(tr.stderr).toMatch(/\d+ packets? received by filter/);
      expect(tr.stderr).toMatch(/\d+ packets? dropped by kernel/);
    }
  }, 60_000);

  it("-c stops at exactly N packets, with the right summary", async () => {
    const f = path.join(dir, "count.pcap");
    const p = tsniffBg(["-i", net.ifA, "-c", "5", "--immediate-mode", "-w", f, "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    sendTraffic(net.b, net.ipA, [7100, 7101, 7102, 7103], { udpPerPort: 5 });
    const r = await res;
    expect(r.code).toBe(0);
    expect((await readPackets(f)).length).toBe(5);
    expect(r.stderr).toMatch(/^5 packets captured$/m);
    const recv = Number(/(\d+) packets? received by filter/.exec(r.stderr)![1]);
    expect(recv).toBeGreaterThanOrEqual(5);
  }, 30_000);

  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    it(`${sig} leaves a complete file that tcpdump and tshark read`, async () => {
      const f = path.join(dir, `${sig}.pcap`);
      const p = tsniffBg(["-i", net.ifA, "-w", f], { ns: net.a });
      const res = collect(p);
      await waitForStderr(p, "listening on");
      sendTraffic(net.b, net.ipA, [7200, 7201], { udpPerPort: 4, size: 900 });
      await sleep(300);
      p.kill(sig);
      const r = await res;
      expect(r.code).toBe(0);
      const n = Number(/(\d+) packets? captured/.exec(r.stderr)![1]);
      const pk = await readPackets(f);
      expect(pk.length).toBe(n);
      expect(n).toBeGreaterThanOrEqual(8);
      const td = sh("tcpdump", ["-nn", "-r", f]);
      expect(td.status).toBe(0);
      expect(td.stdout.toString().trim().split("\n").length).toBe(n);
      if (has("capinfos")) {
        const ci = sh("capinfos", ["-c", "-M", f]);
        expect(ci.status, ci.stderr.toString()).toBe(0);
        expect(ci.stdout.toString()).toMatch(new RegExp(`Number of packets:\\s+${n}\\b`));
      }
    }, 30_000);
  }

  it("-w - piped into tsniff -r - and tcpdump -r - gives the same packets", async () => {
    const p = tsniffBg(["-i", net.ifA, "-c", "12", "--immediate-mode", "-w", "-", "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    sendTraffic(net.b, net.ipA, [7301, 7302, 7303], { udpPerPort: 4 });
    const r = await res;
    expect(r.code).toBe(0);
    const ours = tsniff(["-nn", "-r", "-"], { input: r.stdout });
    const theirs = sh("tcpdump", ["-nn", "-r", "-"], r.stdout);
    expect(ours.status).toBe(0);
    expect(theirs.status).toBe(0);
    const lines = ours.stdout.toString().trim().split("\n");
    expect(lines.length).toBe(12);
    expect(lines).toEqual(theirs.stdout.toString().trim().split("\n"));
  }, 30_000);

  it("captures on a loopback interface too", async () => {
    const f = path.join(dir, "lo.pcap"),
      g = path.join(dir, "lo-td.pcap");
    const t = tsniffBg(["-i", "lo", "--immediate-mode", "-w", f, "udp port 7400"], { ns: net.a });
    const dd = tcpdumpBg(net.a, ["-i", "lo", "--immediate-mode", "-w", g, "udp port 7400"]);
    const rt = collect(t),
      rd = collect(dd);
    await Promise.all([waitForStderr(t, "listening on"), waitForStderr(dd, "listening on")]);
    sendTraffic(net.a, "127.0.0.1", [7400, 7401], { udpPerPort: 3 });
    await sleep(300);
    t.kill("SIGINT");
    dd.kill("SIGINT");
    await Promise.all([rt, rd]);
    const a = await readPackets(f);
    expect(a.length).toBe(3);
    expect(a).toEqual(await readPackets(g));
  }, 30_000);

  it("-Q in / -Q out capture one direction, like tcpdump", async () => {
    const files = { in: path.join(dir, "qin.pcap"), out: path.join(dir, "qout.pcap") };
    const pin = tsniffBg(["-i", net.ifA, "-Q", "in", "--immediate-mode", "-w", files.in, "udp"], { ns: net.a });
    const pout = tsniffBg(["-i", net.ifA, "-Q", "out", "--immediate-mode", "-w", files.out, "udp"], { ns: net.a });
    const rs = [collect(pin), collect(pout)];
    await Promise.all([waitForStderr(pin, "listening on"), waitForStderr(pout, "listening on")]);
    sendTraffic(net.b, net.ipA, [7501], { udpPerPort: 3 }); // B -> A: in
    sendTraffic(net.a, net.ipB, [7502], { udpPerPort: 2 }); // A -> B: out
    await sleep(300);
    pin.kill("SIGINT");
    pout.kill("SIGINT");
    await Promise.all(rs);
    const inPk = await readPackets(files.in),
      outPk = await readPackets(files.out);
    expect(inPk.length).toBe(3);
    expect(outPk.length).toBe(2);
  }, 30_000);

  it("-s cuts packets at the snapshot length, as tcpdump does", async () => {
    const f = path.join(dir, "snap.pcap"),
      g = path.join(dir, "snap-td.pcap");
    const t = tsniffBg(["-i", net.ifA, "-s", "60", "--immediate-mode", "-w", f, "udp port 7600"], { ns: net.a });
    const dd = tcpdumpBg(net.a, ["-i", net.ifA, "-s", "60", "--immediate-mode", "-w", g, "udp port 7600"]);
    const rs = [collect(t), collect(dd)];
    await Promise.all([waitForStderr(t, "listening on"), waitForStderr(dd, "listening on")]);
    sendTraffic(net.b, net.ipA, [7600], { udpPerPort: 2, size: 500 });
    await sleep(300);
    t.kill("SIGINT");
    dd.kill("SIGINT");
    await Promise.all(rs);
    const a = await readPackets(f);
    expect(a.length).toBe(2);
    expect(a.every((p) => p.caplen <= 60 && p.caplen >= 54 && p.wirelen === 542)).toBe(true);
    expect(a).toEqual(await readPackets(g));
    expect(fs.readFileSync(f).readUInt32LE(16)).toBe(60);
  }, 30_000);

  it("-U writes each packet to the file as it arrives", async () => {
    const f = path.join(dir, "unbuf.pcap");
    const p = tsniffBg(["-i", net.ifA, "-U", "-w", f, "udp port 7700"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    sendTraffic(net.b, net.ipA, [7700], { udpPerPort: 3 });
    await sleep(500);
    // Still running: the packets are already in the file.
    expect((await readPackets(f)).length).toBe(3);
    p.kill("SIGINT");
    await res;
  }, 30_000);

  it("-i any captures with the Linux cooked link type", async () => {
    const f = path.join(dir, "any.pcap");
    const p = tsniffBg(["-i", "any", "-c", "2", "--immediate-mode", "-w", f, "udp port 7800"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on any, link-type LINUX_SLL");
    sendTraffic(net.b, net.ipA, [7800], { udpPerPort: 2 });
    const r = await res;
    expect(r.code).toBe(0);
    expect(fs.readFileSync(f).readUInt32LE(20)).toBe(113);
    const lines = sh("tcpdump", ["-nn", "-r", f]).stdout.toString().trim().split("\n");
    expect(lines.length).toBe(2);
    expect(tsniff(["-nn", "-r", f]).stdout.toString().trim().split("\n")).toEqual(lines);
  }, 30_000);

  it("inject sends a frame that the peer captures", async () => {
    const f = path.join(dir, "inject.pcap");
    const p = tsniffBg(["-i", net.ifB, "-c", "1", "--immediate-mode", "-w", f, "udp port 7900"], { ns: net.b });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    // A UDP frame built by hand, sent from A through pcap_inject on A's side of the veth.
    const script = `
      const { LiveSource } = await import(${JSON.stringify(path.resolve("dist/capture/live-source.js"))});
      const f = Buffer.alloc(14 + 20 + 8 + 4);
      Buffer.from("ffffffffffff020000000a010800", "hex").copy(f, 0);
      f[14] = 0x45; f.writeUInt16BE(32, 16); f[22] = 64; f[23] = 17;
      Buffer.from([${net.ipA.split(".").join(",")}, ${net.ipB.split(".").join(",")}]).copy(f, 26);
      f.writeUInt16BE(5555, 34); f.writeUInt16BE(7900, 36); f.writeUInt16BE(12, 38); f.write("ping", 42);
      const live = new LiveSource(${JSON.stringify(net.ifA)}, {});
      console.log(live.inject(f));
      live.stop();`;
    const out = sh("ip", ["netns", "exec", net.a, process.execPath, "--input-type=module", "-e", script]);
    expect(out.stdout.toString().trim(), out.stderr.toString()).toBe("46");
    const r = await res;
    expect(r.code).toBe(0);
    const pk = await readPackets(f);
    expect(pk.length).toBe(1);
    expect(pk[0].hex.endsWith(Buffer.from("ping").toString("hex"))).toBe(true);
  }, 30_000);

  it("promiscuous mode by default, not with -p; -B sets the buffer", async () => {
    for (const [args, want] of [
      [["-B", "4096"], 1],
      [["-p"], 0],
    ] as const) {
      const p = tsniffBg(["-i", net.ifA, ...args, "-w", path.join(dir, "p.pcap")], { ns: net.a });
      const res = collect(p);
      await waitForStderr(p, "listening on");
      const link = sh("ip", ["-n", net.a, "-d", "link", "show", net.ifA]).stdout.toString();
      p.kill("SIGINT");
      expect((await res).code).toBe(0);
      expect(link, args.join(" ")).toMatch(new RegExp(`promiscuity ${want}\\b`));
    }
  }, 30_000);

  it("an unknown interface is one clear line and exit 1", () => {
    const r = tsniff(["-i", "nosuchif0", "-c", "1"], { ns: net.a });
    expect(r.status).toBe(1);
    const err = r.stderr.toString().trim();
    expect(err.split("\n").length).toBe(1);
    expect(err).toMatch(/^tsniff: nosuchif0: .*(No such device|doesn't exist)/);
  });

  it("no permission: explains CAP_NET_RAW", () => {
    if (!has("setpriv")) return;
    const r = sh("ip", ["netns", "exec", net.a, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", process.execPath, path.resolve("bin/tsniff"), "-i", net.ifA, "-c", "1"]);
    expect(r.status).toBe(1);
    const err = r.stderr.toString().trim();
    expect(err.split("\n").length).toBe(1);
    expect(err).toMatch(/CAP_NET_RAW/);
    expect(err).toMatch(/setcap|root/);
  });
});
