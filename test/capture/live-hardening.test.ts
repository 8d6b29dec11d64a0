/**
 * Live captures under a real flood (issue #11): a capture that stops inside a batch (-c, a closed pipe, a
 * second interface, --duration) must not crash, and SIGINT must end a capture promptly even while the
 * flood outpaces dissection (-Y, -V), with the summary printed and -w files whole. The crash was a race,
 * so each case runs several times. Measured times are printed (a generous bound is asserted, not a timing).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNetns } from "../helpers/netns.js";
import { createFloodPair, flooder, startFlood, type Flood, type FloodPair } from "../helpers/flood.js";
import { TSNIFF, has, waitForStderr } from "../helpers/run.js";

const RUNS = 3;
/*
 * Stop latency is printed (note()), never asserted: a test's timing on a shared, loaded machine is not a
 * verdict. A stop that hangs is still caught: finished() kills the process after 60 s, and a killed
 * process fails expectCleanExit (its signal is not null).
 */

const enabled = canUseNetns() && flooder() !== null;

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** ms from `t0` (spawn, or the moment a signal was sent) to exit */
  ms: number;
}

function start(ns: string, args: string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", ns, process.execPath, TSNIFF, ...args], { env: { ...process.env, TZ: "UTC" }, stdio: ["ignore", "pipe", "pipe"] });
}

function finished(p: ChildProcess, limitMs = 60_000): Promise<Done> {
  const out: Buffer[] = [];
  let err = "";
  let t0 = Date.now();
  (p as ChildProcess & { markT0?: () => void }).markT0 = () => (t0 = Date.now());
  p.stdout?.on("data", (d: Buffer) => out.push(d));
  p.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => {
    const kill = setTimeout(() => p.kill("SIGKILL"), limitMs);
    p.on("close", (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, ms: Date.now() - t0 });
    });
  });
}

function markT0(p: ChildProcess): void {
  (p as ChildProcess & { markT0?: () => void }).markT0?.();
}

/** Runs tsniff in namespace `ns` to its end. */
async function run(ns: string, args: string[]): Promise<Done> {
  const p = start(ns, args);
  return finished(p);
}

/**
 * The records of a pcap file: time in ms and the bytes as a key. Two captures of one outgoing packet may
 * carry different stamps (the kernel stamps it per packet socket), so packets are matched by their bytes
 * (the senders number their datagrams).
 */
function pcapKeys(file: string): { t: number; key: string }[] {
  const b = fs.readFileSync(file);
  const out: { t: number; key: string }[] = [];
  let pos = 24;
  while (pos + 16 <= b.length) {
    const sec = b.readUInt32LE(pos);
    const usec = b.readUInt32LE(pos + 4);
    const cap = b.readUInt32LE(pos + 8);
    if (pos + 16 + cap > b.length) break;
    out.push({ t: sec * 1000 + usec / 1000, key: b.subarray(pos + 16, pos + 16 + cap).toString("hex") });
    pos += 16 + cap;
  }
  return out;
}

/** Walks a pcap file record by record: the number of records, or an error if one is cut. */
function pcapRecords(file: string): number {
  const b = fs.readFileSync(file);
  expect(b.length).toBeGreaterThanOrEqual(24);
  const magic = b.readUInt32LE(0);
  expect([0xa1b2c3d4, 0xa1b23c4d]).toContain(magic);
  let pos = 24;
  let n = 0;
  while (pos < b.length) {
    if (pos + 16 > b.length) throw new Error(`record ${n + 1} header cut at byte ${pos} of ${b.length}`);
    const cap = b.readUInt32LE(pos + 8);
    if (pos + 16 + cap > b.length) throw new Error(`record ${n + 1} cut: ${cap} bytes at ${pos + 16} of ${b.length}`);
    pos += 16 + cap;
    n++;
  }
  return n;
}

function captured(stderr: string): number {
  const m = /(\d+) packets? captured/.exec(stderr);
  if (!m) throw new Error(`no summary in stderr: ${stderr}`);
  return Number(m[1]);
}

/** Exited by itself (not a signal, no crash), summary printed, no stack trace. */
function expectCleanExit(r: Done): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/\d+ packets? captured/);
  expect(r.stderr).toMatch(/\d+ packets? received by filter/);
  expect(r.stderr).toMatch(/\d+ packets? dropped by kernel/);
  expect(r.stderr).not.toMatch(/\n\s+at |Segmentation|internal error/);
}

describe.skipIf(!enabled)("live captures under a flood", () => {
  let net: FloodPair;
  let flood: Flood;
  let dir: string;
  const times: Record<string, number[]> = {};
  const note = (what: string, ms: number) => (times[what] ??= []).push(ms);

  beforeAll(async () => {
    net = createFloodPair("h", 251);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-h5-"));
    fs.writeFileSync(path.join(dir, "noop.mjs"), "export function onPacket() {}\n");
    flood = startFlood(net.a, net.ipB, { size: 1400, seconds: 600 });
    // The flood is on before the captures start.
    await new Promise((r) => setTimeout(r, 300));
  });

  afterAll(async () => {
    const sent = flood ? await flood.stop() : 0;
    net?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    console.log(`flood: ${sent} datagrams sent; times (ms): ${JSON.stringify(times)}`);
  });

  it("the flood is a flood: the capture gets tens of thousands of packets a second", async () => {
    // ~240k/s on an idle 2-core machine; the bound leaves room for a loaded one (other tests in parallel).
    const r = await run(net.b, ["-i", net.ifB, "--duration", "1", "-w", path.join(dir, "rate.pcap")]);
    expectCleanExit(r);
    const st = /(\d+) packets? received by filter/.exec(r.stderr)!;
    expect(Number(st[1])).toBeGreaterThan(20_000);
  });

  it("-c 100 -Y udp stops inside a batch without crashing", async () => {
    for (let i = 0; i < RUNS; i++) {
      const r = await run(net.b, ["-i", net.ifB, "-c", "100", "-Y", "udp", "-nn"]);
      expectCleanExit(r);
      const lines = r.stdout.toString().trim().split("\n");
      expect(lines).toHaveLength(100);
      for (const l of lines) expect(l).toMatch(/ UDP, length 1400$/);
    }
  });

  it("-c 100 --script noop.mjs", async () => {
    for (let i = 0; i < RUNS; i++) {
      const r = await run(net.b, ["-i", net.ifB, "-c", "100", "--script", path.join(dir, "noop.mjs"), "-nn"]);
      expectCleanExit(r);
      expect(r.stdout.toString().trim().split("\n")).toHaveLength(100);
    }
  });

  it("two -i with -c 100", async () => {
    for (let i = 0; i < RUNS; i++) {
      const r = await run(net.b, ["-i", net.ifB, "-i", "lo", "-c", "100", "-nn"]);
      expectCleanExit(r);
      const lines = r.stdout.toString().trim().split("\n");
      expect(lines).toHaveLength(100);
      expect(lines.filter((l) => l.includes(net.ifB)).length).toBeGreaterThan(0);
    }
  });

  it("-T json -Y udp -c 100", async () => {
    for (let i = 0; i < RUNS; i++) {
      const r = await run(net.b, ["-i", net.ifB, "-T", "json", "-Y", "udp", "-c", "100"]);
      expectCleanExit(r);
      const lines = r.stdout.toString().trim().split("\n");
      expect(lines).toHaveLength(100);
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    }
  });

  it("-B 65536 -x into a pipe closed after 100 bytes (head -c 100)", async () => {
    for (let i = 0; i < RUNS; i++) {
      const p = start(net.b, ["-i", net.ifB, "-B", "65536", "-x"]);
      const done = finished(p);
      // Read 100 bytes, then close our end of the pipe, as head -c 100 does.
      await new Promise<void>((resolve) => {
        let got = 0;
        p.stdout!.on("data", (d: Buffer) => {
          got += d.length;
          if (got >= 100) {
            markT0(p);
            p.stdout!.destroy();
            resolve();
          }
        });
      });
      const r = await done;
      note("closed pipe -> exit", r.ms);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.stderr).toMatch(/\d+ packets? captured/);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    }
  });

  it("--duration 1 with -w: ends by itself, the file is whole and holds what the summary says", async () => {
    for (let i = 0; i < RUNS; i++) {
      const file = path.join(dir, `dur${i}.pcap`);
      const p = start(net.b, ["-i", net.ifB, "-w", file, "--duration", "1"]);
      const done = finished(p);
      await waitForStderr(p, "listening on");
      markT0(p);
      const r = await done;
      note("--duration 1: listening -> exit", r.ms);
      expectCleanExit(r);
      const n = captured(r.stderr);
      expect(n).toBeGreaterThan(0);
      expect(pcapRecords(file)).toBe(n);
    }
  });

  for (const [label, args, exact] of [
    // -Y selects what -w writes too: the file holds the ICMP packets only, fewer than captured.
    ["-Y icmp -w", ["-Y", "icmp", "-nn"], false],
    ["-V -w", ["-V", "-nn"], true],
    // Two interfaces: the merge's releases are bounded too.
    ["-i lo -V -w (two interfaces)", ["-i", "lo", "-V", "-nn"], true],
  ] as const) {
    it(`SIGINT ends ${label} cleanly while the flood outpaces dissection`, async () => {
      for (let i = 0; i < RUNS; i++) {
        const file = path.join(dir, `int${i}.pcap`);
        const p = start(net.b, ["-i", net.ifB, ...args, "--print", "-w", file]);
        const done = finished(p);
        await waitForStderr(p, "listening on");
        await new Promise((r) => setTimeout(r, 1000));
        markT0(p);
        p.kill("SIGINT");
        const r = await done;
        note(`SIGINT ${label}`, r.ms);
        expectCleanExit(r);
          const n = captured(r.stderr);
        expect(n).toBeGreaterThan(0);
        const written = pcapRecords(file);
        if (exact) expect(written).toBe(n);
        else expect(written).toBeLessThanOrEqual(n);
      }
    });
  }
});

describe.skipIf(!canUseNetns() || !has("tcpdump"))("resuming after the interface comes back up", () => {
  let net: FloodPair;
  let dir: string;
  const procs: ChildProcess[] = [];

  beforeAll(() => {
    net = createFloodPair("n", 252);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-h5n-"));
  });
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    net?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("packets right after `ip link set up` are captured, as tcpdump running alongside captures them (the handle is kept)", async () => {
    const ts = path.join(dir, "tsniff.pcap");
    const td = path.join(dir, "tcpdump.pcap");
    const tsn = start(net.b, ["-i", net.ifB, "-w", ts]);
    const tcd = spawn("ip", ["netns", "exec", net.b, "tcpdump", "-i", net.ifB, "-U", "-w", td], { stdio: ["ignore", "ignore", "pipe"] });
    procs.push(tsn, tcd);
    const tsDone = finished(tsn);
    const tdDone = finished(tcd);
    await Promise.all([waitForStderr(tsn, "listening on"), waitForStderr(tcd, "listening on")]);
    // Traffic from the capturing side every millisecond, to the subnet's broadcast address (no ARP to wait
    // for): after the up it flows at once.
    const bcast = net.ipB.replace(/\.\d+$/, ".255");
    const sender = spawn(
      "ip",
      ["netns", "exec", net.b, process.execPath, "-e", `const s = require("dgram").createSocket("udp4"); s.on("error", () => {}); let i = 0; s.bind(() => { s.setBroadcast(true); setInterval(() => { const b = Buffer.alloc(64); b.writeUInt32BE(i++); s.send(b, 9, ${JSON.stringify(bcast)}, () => {}); }, 1); }); setTimeout(() => process.exit(0), 20000);`],
      { stdio: "ignore" },
    );
    procs.push(sender);
    let stderr = "";
    tsn.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise((r) => setTimeout(r, 500));
    const ups: number[] = [];
    for (let i = 0; i < 3; i++) {
      execFileSync("ip", ["-n", net.b, "link", "set", net.ifB, "down"]);
      await new Promise((r) => setTimeout(r, 600));
      ups.push(Date.now());
      execFileSync("ip", ["-n", net.b, "link", "set", net.ifB, "up"]);
      await new Promise((r) => setTimeout(r, 800));
    }
    sender.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    tsn.kill("SIGINT");
    tcd.kill("SIGINT");
    const [r, rd] = await Promise.all([tsDone, tdDone]);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code).toBe(0);
    expect(stderr.match(/interface is back up; capture resumed/g)).toHaveLength(3);
    const mine = new Set(pcapKeys(ts).map((p) => p.key));
    const theirs = pcapKeys(td);
    for (const up of ups) {
      // What tcpdump saw in the first 300 ms after the interface came up (its first packet after the up): the
      // old 300 ms polling and reopening missed ~0.2 s of it. Like tcpdump, tsniff now keeps its handle over
      // a down and up, so it misses nothing.
      const first = theirs.find((p) => p.t >= up - 5);
      expect(first, `tcpdump saw packets after the up at ${up} (tcpdump: ${rd.stderr})`).toBeDefined();
      const early = theirs.filter((p) => p.t >= first!.t && p.t < first!.t + 300);
      expect(early.length, `tcpdump saw packets right after the up at ${up}`).toBeGreaterThan(30);
      const missed = early.filter((p) => !mine.has(p.key));
      // eslint-disable-next-line no-console
      console.log(`up at ${up}: tcpdump ${early.length} packets in 300 ms, tsniff missed ${missed.length} (${missed.map((p) => `${(p.t - first!.t).toFixed(1)} ms`).join(", ")})`);
      expect(missed.length, `tsniff missed ${missed.length} of the ${early.length} packets tcpdump saw in the 300 ms after the up`).toBe(0);
    }
  });

  it("an interface deleted while down and made again is captured again (a new handle for the new interface)", async () => {
    const f = path.join(dir, "recreated.pcap");
    const tsn = start(net.b, ["-i", net.ifB, "-w", f]);
    procs.push(tsn);
    const done = finished(tsn);
    let stderr = "";
    tsn.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await waitForStderr(tsn, "listening on");
    const wentDown = waitForStderr(tsn, "interface went down; waiting");
    execFileSync("ip", ["-n", net.b, "link", "set", net.ifB, "down"]);
    await wentDown;
    const gone = waitForStderr(tsn, "interface disappeared; waiting");
    execFileSync("ip", ["-n", net.b, "link", "del", net.ifB]); // the kernel unbinds the socket without an error
    await gone;
    const back = waitForStderr(tsn, "interface is back up; capture resumed");
    execFileSync("ip", ["-n", net.b, "link", "add", net.ifB, "type", "veth", "peer", "name", net.ifA, "netns", net.a]);
    execFileSync("ip", ["-n", net.b, "addr", "add", `${net.ipB}/24`, "dev", net.ifB]);
    execFileSync("ip", ["-n", net.a, "addr", "add", `${net.ipA}/24`, "dev", net.ifA]);
    execFileSync("ip", ["-n", net.a, "link", "set", net.ifA, "up"]);
    execFileSync("ip", ["-n", net.b, "link", "set", net.ifB, "up"]);
    await back;
    // 20 numbered datagrams to the broadcast address from the capturing side, after the resume
    const bcast = net.ipB.replace(/\.\d+$/, ".255");
    execFileSync("ip", [
      "netns", "exec", net.b, process.execPath, "-e",
      `const s = require("dgram").createSocket("udp4"); s.bind(async () => { s.setBroadcast(true); for (let i = 0; i < 20; i++) await new Promise((r) => s.send(Buffer.from("AFTER" + i), 9, ${JSON.stringify(bcast)}, r)); s.close(); });`,
    ]);
    await new Promise((r) => setTimeout(r, 500));
    tsn.kill("SIGINT");
    const r = await done;
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, stderr).toBe(0);
    const after = pcapKeys(f).filter((p) => Buffer.from(p.key, "hex").includes("AFTER")).length;
    expect(after, stderr).toBe(20);
  });
});
