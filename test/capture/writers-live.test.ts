/**
 * Writing live captures in network namespaces: pcapng with the interface's name, -C rotation against tcpdump
 * capturing the same traffic, -Z, the flight recorder on SIGUSR1, and faults (SIGHUP mid-write, the
 * interface going down): each reported clearly, every finished file valid.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { canUseNetns, createNsPair, sendTraffic, type NsPair } from "../helpers/netns.js";
import { collect, has, sh, sleep, tsniffBg, waitForStderr } from "../helpers/run.js";
import { FileSource } from "../../src/capture/file-source.js";

const enabled = canUseNetns() && has("tcpdump") && has("capinfos") && has("tshark");
const d = enabled ? describe : describe.skip;

async function count(file: string): Promise<number> {
  const src = await FileSource.open(file);
  let n = 0;
  const end = await src.run((b) => {
    n += b.count;
    return Infinity;
  });
  expect(end.reason, file).toBe("eof");
  return n;
}

function capinfosCount(file: string): number {
  const ci = sh("capinfos", ["-c", file]);
  expect(ci.status, ci.stderr.toString()).toBe(0);
  return Number(/Number of packets:\s+(\d+)/.exec(ci.stdout.toString())![1]);
}

const captured = (stderr: string) => Number(/(\d+) packets? captured/.exec(stderr)![1]);

d("live writing in network namespaces", () => {
  let net: NsPair;
  let dir: string;
  beforeAll(() => {
    net = createNsPair("rot", 61);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-wlive-"));
    fs.chmodSync(dir, 0o777);
  });
  afterAll(() => {
    net?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("-w x.pcapng: the interface's name in its IDB; tshark reads every packet", async () => {
    const f = path.join(dir, "live.pcapng");
    const p = tsniffBg(["-i", net.ifA, "-w", f, "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    sendTraffic(net.b, net.ipA, [7300, 7301], { udpPerPort: 5, size: 200 });
    await sleep(300);
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    const n = captured(r.stderr);
    expect(n).toBe(10);
    expect(capinfosCount(f)).toBe(n);
    expect(await count(f)).toBe(n);
    const names = sh("tshark", ["-r", f, "-T", "fields", "-e", "frame.interface_name"]).stdout.toString().trim().split("\n");
    expect(new Set(names)).toEqual(new Set([net.ifA]));
  }, 30_000);

  it("-C 1 splits live traffic into the same files as tcpdump capturing beside it", async () => {
    const td = fs.mkdtempSync(path.join(dir, "td-"));
    const ts = fs.mkdtempSync(path.join(dir, "ts-"));
    const filter = `udp and src host ${net.ipB}`;
    const t = spawn("ip", ["netns", "exec", net.a, "tcpdump", "--immediate-mode", "-Z", "root", "-i", net.ifA, "-C", "1", "-w", path.join(td, "cap"), filter], { stdio: ["ignore", "pipe", "pipe"] });
    const tres = collect(t);
    const tready = waitForStderr(t, "listening on");
    const p = tsniffBg(["-i", net.ifA, "-C", "1", "-w", path.join(ts, "cap"), filter], { ns: net.a });
    const res = collect(p);
    await Promise.all([waitForStderr(p, "listening on"), tready]);
    sendTraffic(net.b, net.ipA, [7310, 7311, 7312, 7313], { udpPerPort: 300, size: 1000 });
    await sleep(1500); // both have delivered everything (tcpdump drops what libpcap still holds at SIGINT)
    p.kill("SIGINT");
    t.kill("SIGINT");
    const [r, tr] = await Promise.all([res, tres]);
    expect(r.code, r.stderr).toBe(0);
    expect(tr.code, tr.stderr).toBe(0);
    const names = fs.readdirSync(td).sort();
    expect(names).toEqual(["cap", "cap1"]);
    expect(fs.readdirSync(ts).sort()).toEqual(names);
    let total = 0;
    for (const n of names) {
      const ours = await count(path.join(ts, n));
      expect(ours, n).toBe(await count(path.join(td, n)));
      expect(capinfosCount(path.join(ts, n))).toBe(ours);
      total += ours;
    }
    expect(total).toBe(captured(r.stderr));
    expect(total).toBe(1200);
  }, 60_000);

  it("-G 1 makes a new strftime-named file each second; with -W 2 it stops after two files, as tcpdump", async () => {
    const out = fs.mkdtempSync(path.join(dir, "g-"));
    const p = tsniffBg(["-i", net.ifA, "-G", "1", "-W", "2", "-w", path.join(out, "g-%s.pcap"), "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    const sender = spawn("ip", ["netns", "exec", net.b, process.execPath, "-e",
      `const s=require("dgram").createSocket("udp4");let i=0;const t=setInterval(()=>{s.send(Buffer.alloc(100,1),7360,${JSON.stringify(net.ipA)});if(++i>=40){clearInterval(t);s.close();}},100);`]);
    const r = await Promise.race([res, sleep(8000).then(() => null)]);
    sender.kill();
    if (!r) p.kill("SIGINT");
    const done = r ?? (await res);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/^Maximum file limit reached: 2$/m);
    const names = fs.readdirSync(out).sort();
    expect(names.length).toBe(2);
    for (const n of names) expect(n).toMatch(/^g-\d{10}\.pcap$/);
    expect(Number(names[1].slice(2, 12)) - Number(names[0].slice(2, 12))).toBeGreaterThanOrEqual(1);
    let total = 0;
    for (const n of names) total += await count(path.join(out, n));
    // The packet that would have opened a third file (and its batch) is not written: tcpdump exits there too.
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(captured(done.stderr));
  }, 30_000);

  it("-Z nobody: the capture goes on after the drop and the rotated files belong to nobody", async () => {
    const out = fs.mkdtempSync(path.join(dir, "z-"));
    fs.chmodSync(out, 0o777);
    const p = tsniffBg(["-i", net.ifA, "-Z", "nobody", "-C", "1", "-w", path.join(out, "cap"), "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    sendTraffic(net.b, net.ipA, [7320, 7321], { udpPerPort: 600, size: 1000 });
    await sleep(500);
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    const nobody = Number(sh("id", ["-u", "nobody"]).stdout.toString().trim());
    const names = fs.readdirSync(out).sort();
    expect(names).toEqual(["cap", "cap1"]);
    let total = 0;
    for (const n of names) {
      expect(fs.statSync(path.join(out, n)).uid).toBe(nobody);
      total += await count(path.join(out, n));
    }
    expect(total).toBe(1200);
  }, 60_000);

  it("SIGHUP in the middle of a rotated write: exit 0, every file valid, every packet in exactly one file", async () => {
    const out = fs.mkdtempSync(path.join(dir, "hup-"));
    const p = tsniffBg(["-i", net.ifA, "-C", "1", "-w", path.join(out, "cap.pcapng"), "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    const sender = spawn("ip", ["netns", "exec", net.b, process.execPath, "-e",
      `const s=require("dgram").createSocket("udp4");let i=0;const t=setInterval(()=>{for(let k=0;k<50;k++)s.send(Buffer.alloc(1200,7),7330,${JSON.stringify(net.ipA)});if(++i>100){clearInterval(t);s.close();}},5);`]);
    const sent = new Promise((r) => sender.on("exit", r));
    // Mid-write: once packets reach the file (the sender's node may take a while to start on a busy machine).
    for (let t = 0; t < 100 && (fs.statSync(path.join(out, "cap.pcapng"), { throwIfNoEntry: false })?.size ?? 0) < 4096; t++) await sleep(50);
    await sleep(100);
    p.kill("SIGHUP");
    const r = await res;
    await sent;
    expect(r.code, r.stderr).toBe(0);
    let total = 0;
    for (const n of fs.readdirSync(out)) {
      const c = await count(path.join(out, n));
      expect(capinfosCount(path.join(out, n))).toBe(c);
      total += c;
    }
    expect(total).toBe(captured(r.stderr));
    expect(total).toBeGreaterThan(0);
  }, 60_000);

  it("the flight recorder saves the last seconds on SIGUSR1, and --trigger on a matching packet", async () => {
    const out = fs.mkdtempSync(path.join(dir, "rec-"));
    const p = tsniffBg(["-i", net.ifA, "--ring-seconds", "30", "--after", "1", "--trigger", "udp.dstport == 7399", "-w", path.join(out, "rec.pcapng"), "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    sendTraffic(net.b, net.ipA, [7340, 7341], { udpPerPort: 5 });
    await sleep(300);
    p.kill("SIGUSR1");
    await waitForStderr(p, "rec-1.pcapng");
    sendTraffic(net.b, net.ipA, [7399], { udpPerPort: 1 });
    await waitForStderr(p, "rec-2.pcapng");
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/saved 10 packets to .*rec-1\.pcapng \(SIGUSR1\)/);
    expect(r.stderr).toMatch(/saved 11 packets to .*rec-2\.pcapng \(trigger: udp\.dstport == 7399 \(frame 11\)\)/);
    expect(capinfosCount(path.join(out, "rec-1.pcapng"))).toBe(10);
    expect(sh("capinfos", [path.join(out, "rec-1.pcapng")]).stdout.toString()).toMatch(/Capture comment:\s+tsniff flight recorder: SIGUSR1/);
    expect(capinfosCount(path.join(out, "rec-2.pcapng"))).toBe(11);
  }, 60_000);

  it("--stop-on-down: the interface going down mid-capture is reported clearly; the file keeps what came before", async () => {
    const f = path.join(dir, "down.pcap");
    const p = tsniffBg(["-i", net.ifA, "--stop-on-down", "-w", f, "udp"], { ns: net.a });
    const res = collect(p);
    await waitForStderr(p, "listening on");
    sendTraffic(net.b, net.ipA, [7350], { udpPerPort: 6 });
    await sleep(300);
    sh("ip", ["-n", net.a, "link", "set", net.ifA, "down"]);
    const r = await Promise.race([res, sleep(5000).then(() => null)]);
    sh("ip", ["-n", net.a, "link", "set", net.ifA, "up"]);
    if (!r) p.kill("SIGINT");
    const done = r ?? (await res);
    expect(done.stderr).toMatch(new RegExp(`^tsniff: ${net.ifA}: the interface went down`, "m"));
    expect(done.code).toBe(1);
    expect(capinfosCount(f)).toBe(6);
    expect(captured(done.stderr)).toBe(6);
  }, 30_000);
});
