/**
 * Live captures under a real flood (issue #11): a capture that stops inside a batch (-c, a closed pipe, a
 * second interface, --duration) must not crash, and SIGINT must end a capture promptly even while the
 * flood outpaces dissection (-Y, -V), with the summary printed and -w files whole. The crash was a race,
 * so each case runs several times. Measured times are printed (a generous bound is asserted, not a timing).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNetns } from "../helpers/netns.js";
import { createFloodPair, flooder, startFlood, type Flood, type FloodPair } from "../helpers/flood.js";
import { TSNIFF, waitForStderr } from "../helpers/run.js";

const RUNS = 3;
/** Ctrl-C must end a capture within 0.5 s (issue #11); asserted with room for a loaded 2-core machine. */
const STOP_BOUND_MS = 2000;

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

  it("the flood is a flood: over 50k packets/s reach the capture interface", async () => {
    const r = await run(net.b, ["-i", net.ifB, "--duration", "1", "-w", path.join(dir, "rate.pcap")]);
    expectCleanExit(r);
    const st = /(\d+) packets? received by filter/.exec(r.stderr)!;
    expect(Number(st[1])).toBeGreaterThan(50_000);
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
      expect(r.ms).toBeLessThan(STOP_BOUND_MS);
      expect(r.stderr).toMatch(/\d+ packets? captured/);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    }
  });

  it("--duration 1 with -w: ends on time, the file is whole and holds what the summary says", async () => {
    for (let i = 0; i < RUNS; i++) {
      const file = path.join(dir, `dur${i}.pcap`);
      const p = start(net.b, ["-i", net.ifB, "-w", file, "--duration", "1"]);
      const done = finished(p);
      await waitForStderr(p, "listening on");
      markT0(p);
      const r = await done;
      note("--duration 1: listening -> exit", r.ms);
      expectCleanExit(r);
      expect(r.ms).toBeLessThan(1000 + STOP_BOUND_MS);
      const n = captured(r.stderr);
      expect(n).toBeGreaterThan(0);
      expect(pcapRecords(file)).toBe(n);
    }
  });

  for (const [label, args, exact] of [
    // -Y selects what -w writes too: the file holds the ICMP packets only, fewer than captured.
    ["-Y icmp -w", ["-Y", "icmp", "-nn"], false],
    ["-V -w", ["-V", "-nn"], true],
  ] as const) {
    it(`SIGINT ends ${label} within ${STOP_BOUND_MS} ms while the flood outpaces dissection`, async () => {
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
        expect(r.ms).toBeLessThan(STOP_BOUND_MS);
        const n = captured(r.stderr);
        expect(n).toBeGreaterThan(0);
        const written = pcapRecords(file);
        if (exact) expect(written).toBe(n);
        else expect(written).toBeLessThanOrEqual(n);
      }
    });
  }
});
