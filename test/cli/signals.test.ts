/**
 * Signals under a real flood (issue #11, item 6): tcpdump's terminating signals (SIGINT, SIGTERM, SIGHUP) end
 * the capture with the summary and a whole -w file; SIGUSR2 flushes -w and does not end it (it used to kill
 * tsniff mid-record); SIGUSR1 prints the counters (and never opens Node's inspector). Each signal is sent
 * several times while a flood of UDP on lo is written. The traffic stays inside a namespace of this test
 * (h3s...), removed afterwards with every process started here.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, has, ROOT, sleep, TSNIFF, tsniff, waitForStderr } from "../helpers/run.js";

const NS = `h3s${process.pid % 100000}`;
const canNs = process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"]).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-h3-signals-"));
const children: ChildProcess[] = [];

/** UDP to 127.0.0.1:9 as fast as node sends, inside the namespace, for at most 120 s. */
function flood(): ChildProcess {
  const script = `
const s = require("dgram").createSocket("udp4");
const buf = Buffer.alloc(200, 0x41);
setTimeout(() => process.exit(0), 120000);
const burst = () => { for (let i = 0; i < 64; i++) s.send(buf, 9, "127.0.0.1"); setImmediate(burst); };
burst();`;
  const p = spawn("ip", ["netns", "exec", NS, process.execPath, "-e", script], { stdio: "ignore" });
  children.push(p);
  return p;
}

function start(args: string[]): ChildProcess {
  const p = spawn("ip", ["netns", "exec", NS, process.execPath, TSNIFF, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TZ: "UTC" } });
  children.push(p);
  return p;
}

/** Packets in a capture file as tcpdump reads it, and whether it complained (a cut record, a bad header). */
function readBack(file: string): { packets: number; complaint: string } {
  const r = spawnSync("tcpdump", ["-n", "-q", "-r", file], { maxBuffer: 1 << 28, timeout: 120_000 });
  const err = r.stderr.toString();
  const complaint = err
    .split("\n")
    .filter((l) => l && !l.startsWith("reading from file"))
    .join("\n");
  return { packets: r.stdout.toString().split("\n").filter(Boolean).length, complaint: r.status === 0 ? complaint : `exit ${r.status}: ${complaint}` };
}

beforeAll(() => {
  if (!canNs) return;
  spawnSync("ip", ["netns", "del", NS]);
  execFileSync("ip", ["netns", "add", NS]);
  execFileSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  if (canNs) spawnSync("ip", ["netns", "del", NS]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canNs || !has("tcpdump"))("signals while -w is written under a flood", () => {
  let run = 0;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    for (let k = 0; k < 2; k++) {
      it(`SIGUSR2 (flush) and SIGUSR1 (counters) leave it running; ${sig} ends it: summary, exit 0, a whole file holding every packet counted (run ${k + 1})`, async () => {
        const f = flood();
        const file = path.join(dir, `sig-${run++}.pcap`);
        const p = start(["-i", "lo", "-w", file, "udp port 9"]);
        const done = collect(p);
        await waitForStderr(p, "listening on", 30_000);
        await sleep(700);
        // SIGUSR2 writes what is buffered: the file grows and the capture goes on.
        p.kill("SIGUSR2");
        await sleep(300);
        expect(p.exitCode).toBe(null);
        expect(p.signalCode).toBe(null);
        expect(fs.statSync(file).size).toBeGreaterThan(24);
        p.kill("SIGUSR2");
        // SIGUSR1 prints tcpdump's counters on one line, the capture goes on.
        const counters = waitForStderr(p, "packets captured, ", 15_000);
        p.kill("SIGUSR1");
        await counters;
        await sleep(200);
        expect(p.exitCode).toBe(null);
        p.kill(sig);
        const r = await done;
        f.kill("SIGKILL");
        expect(r.signal, r.stderr).toBe(null);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toContain("Debugger");
        expect(r.stderr).toMatch(/^tsniff: \d+ packets? captured, \d+ packets? received by filter, \d+ packets? dropped by kernel$/m);
        const m = /^(\d+) packets? captured$/m.exec(r.stderr);
        expect(m, r.stderr).not.toBe(null);
        const captured = Number(m![1]);
        expect(captured).toBeGreaterThan(0);
        const back = readBack(file);
        expect(back.complaint).toBe("");
        expect(back.packets).toBe(captured);
      });
    }
  }

  it("SIGUSR2 with -w - (a pipe) flushes the stream and the capture goes on; SIGTERM then ends it with whole records", async () => {
    const f = flood();
    const p = start(["-i", "lo", "-w", "-", "udp port 9"]);
    const done = collect(p);
    await waitForStderr(p, "listening on", 30_000);
    for (let k = 0; k < 3; k++) {
      await sleep(300);
      p.kill("SIGUSR2");
    }
    await sleep(300);
    expect(p.exitCode).toBe(null);
    p.kill("SIGTERM");
    const r = await done;
    f.kill("SIGKILL");
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, "pipe.pcap");
    fs.writeFileSync(file, r.stdout);
    const back = readBack(file);
    expect(back.complaint).toBe("");
    expect(back.packets).toBe(Number(/^(\d+) packets? captured$/m.exec(r.stderr)![1]));
  });
});

describe("user signals while reading a file from a pipe", () => {
  it("SIGUSR1 prints the counters (no inspector opens), SIGUSR2 does nothing harmful; the output is the same as without them", async () => {
    const data = fs.readFileSync(path.join(ROOT, "fixtures", "http", "http.pcap"));
    const plain = tsniff(["-r", "-"], { input: data });
    expect(plain.status).toBe(0);
    const p = spawn(process.execPath, [TSNIFF, "-r", "-"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, TZ: "UTC" } });
    children.push(p);
    const done = collect(p);
    const half = 24 + 2000;
    p.stdin!.write(data.subarray(0, half));
    await waitForStderr(p, "reading from file", 30_000);
    const counters = waitForStderr(p, "packets captured", 15_000);
    p.kill("SIGUSR1");
    await counters;
    p.kill("SIGUSR2");
    await sleep(200);
    expect(p.exitCode).toBe(null);
    p.stdin!.end(data.subarray(half));
    const r = await done;
    expect(r.signal).toBe(null);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("Debugger");
    expect(r.stderr).toMatch(/^tsniff: \d+ packets? captured$/m);
    expect(r.stdout.toString()).toBe(plain.stdout.toString());
  });
});
