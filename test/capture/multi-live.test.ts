/**
 * Live capture from several interfaces (-i A -i B), interfaces that go down and come back, and packet
 * comments, with real traffic in network namespaces: namespace a holds two veths (10.203.71.1 and
 * 10.203.72.1) whose peers are in namespace b (.2); tsniff captures in a, b sends. Files are checked with
 * capinfos, tshark and tcpdump.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { canUseNetns, createNsPair, ip, sendTraffic, type NsPair } from "../helpers/netns.js";
import { collect, has, sh, sleep, tsniff, tsniffBg, waitForStderr } from "../helpers/run.js";
import { fieldRows as fields, tally } from "../helpers/tshark-fields.js";

const enabled = canUseNetns() && has("tcpdump") && has("capinfos") && has("tshark") && has("mergecap");
const d = enabled ? describe : describe.skip;

function capinfos(...file: string[]): string {
  const ci = sh("capinfos", file);
  expect(ci.status, ci.stderr.toString()).toBe(0);
  return ci.stdout.toString();
}
const packetsIn = (info: string) => Number(/Number of packets:\s+(\d+)/.exec(info)![1]);
const captured = (stderr: string) => Number(/(\d+) packets? captured/.exec(stderr)![1]);

d("several interfaces, interfaces going down, comments (namespaces)", () => {
  let net: NsPair;
  let dir: string;
  // The second pair between the same namespaces.
  let if2A: string;
  let if2B: string;
  const ip2A = "10.203.72.1";
  const ip2B = "10.203.72.2";
  const addSecondPair = () => {
    ip("-n", net.a, "link", "add", if2A, "type", "veth", "peer", "name", if2B, "netns", net.b);
    ip("-n", net.a, "addr", "add", `${ip2A}/24`, "dev", if2A);
    ip("-n", net.b, "addr", "add", `${ip2B}/24`, "dev", if2B);
    ip("-n", net.a, "link", "set", if2A, "up");
    ip("-n", net.b, "link", "set", if2B, "up");
  };
  beforeAll(() => {
    net = createNsPair("mi", 71);
    if2A = net.ifA.replace(/^va/, "vc").slice(0, 15);
    if2B = net.ifB.replace(/^vb/, "vd").slice(0, 15);
    addSecondPair();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-multi-"));
  });
  // Every tsniff started here, killed at the end if a failed test left it running (it would wait for its
  // deleted interfaces for ever).
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    net?.destroy(); // deleting the namespaces deletes both veth pairs
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts tsniff in namespace a and waits until every interface listens. */
  async function start(args: string[], listening = 1) {
    const p = tsniffBg(args, { ns: net.a });
    children.push(p);
    const res = collect(p);
    let seen = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening: ${seen}`)), 10_000);
      p.stderr!.on("data", (b: Buffer) => {
        seen += b.toString();
        if (seen.split("listening on").length - 1 >= listening) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return { p, res };
  }

  it("-i A -i B -w x.pcapng: one IDB per interface (name, link type, snaplen), every packet on its own, in time order", async () => {
    const f = path.join(dir, "two.pcapng");
    const { p, res } = await start(["-i", net.ifA, "-i", if2A, "-s", "1000", "-w", f, "udp"], 2);
    // Interleaved: a datagram to each side in turn, so ordering across interfaces matters.
    for (let k = 0; k < 3; k++) {
      sendTraffic(net.b, net.ipA, [7711], { udpPerPort: 2 });
      sendTraffic(net.b, ip2A, [7712], { udpPerPort: 3 });
    }
    await sleep(600);
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    expect(captured(r.stderr)).toBe(15);
    const info = capinfos(f);
    expect(packetsIn(info)).toBe(15);
    expect(info).toMatch(/Number of interfaces in file: 2/);
    expect(info).toMatch(new RegExp(`Interface #0 info:\\s+Name = ${net.ifA}\\s+Encapsulation = Ethernet \\(1 - ether\\)\\s+Capture length = 1000`));
    expect(info).toMatch(new RegExp(`Interface #1 info:\\s+Name = ${if2A}\\s+Encapsulation = Ethernet \\(1 - ether\\)\\s+Capture length = 1000`));
    expect(info).toMatch(/Strict time order:\s+True/);
    const rows = fields(f, "frame.interface_name", "udp.dstport");
    expect(tally(rows)).toEqual({ [net.ifA]: 6, [if2A]: 9 });
    for (const [name, port] of rows) expect(port).toBe(name === net.ifA ? "7711" : "7712");
    // tcpdump reads it too (one link type) and sees the same packets.
    const td = sh("tcpdump", ["-nn", "-r", f]);
    expect(td.status, td.stderr.toString()).toBe(0);
    expect(td.stdout.toString().trim().split("\n").length).toBe(15);
  }, 60_000);

  it("-i A -i B -w x.pcap (same link type): one pcap with every packet", async () => {
    const f = path.join(dir, "two.pcap");
    const { p, res } = await start(["-i", net.ifA, "-i", if2A, "-w", f, "udp"], 2);
    sendTraffic(net.b, net.ipA, [7713], { udpPerPort: 4 });
    sendTraffic(net.b, ip2A, [7714], { udpPerPort: 2 });
    await sleep(600);
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(f).readUInt32LE(20)).toBe(1);
    const td = sh("tcpdump", ["-nn", "-r", f]).stdout.toString().trim().split("\n");
    expect(td.length).toBe(6);
    expect(td.filter((l) => l.includes(".7713:")).length).toBe(4);
    expect(tsniff(["-r", f]).stdout.toString().trim().split("\n")).toEqual(td);
  }, 60_000);

  it("-i A -i any (two link types): pcap is refused in one line; pcapng keeps each link type; the filter is compiled for each", async () => {
    const bad = tsniff(["-i", net.ifA, "-i", "any", "-w", path.join(dir, "mixed.pcap"), "udp"], { ns: net.a });
    expect(bad.status).toBe(1);
    const err = bad.stderr.toString().trim().split("\n");
    expect(err).toEqual([
      `tsniff: -w ${path.join(dir, "mixed.pcap")}: ${net.ifA} (EN10MB) and any (LINUX_SLL) differ in link type, and a pcap file holds one; write pcapng instead (--pcapng, or a name ending in .pcapng)`,
    ]);
    expect(fs.existsSync(path.join(dir, "mixed.pcap"))).toBe(false);

    const f = path.join(dir, "mixed.pcapng");
    // A filter that reads link-layer bytes of each link type (udp, then a port behind the headers).
    const { p, res } = await start(["-i", net.ifA, "-i", "any", "-w", f, "udp dst port 7715"], 2);
    sendTraffic(net.b, net.ipA, [7715, 7716], { udpPerPort: 3 });
    await sleep(600);
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    const info = capinfos(f);
    expect(info).toMatch(/Interface #0 info:\s+Name = \S+\s+Encapsulation = Ethernet \(1 - ether\)/);
    expect(info).toMatch(/Interface #1 info:\s+Name = any\s+Encapsulation = Linux cooked-mode capture v1 \(25 - linux-sll\)/);
    const rows = fields(f, "frame.interface_name", "udp.dstport", "frame.encap_type");
    expect(tally(rows)).toEqual({ [net.ifA]: 3, any: 3 });
    expect(new Set(rows.map((x) => x[1]))).toEqual(new Set(["7715"]));
    // The same file read back by tsniff: both link types dissected.
    const back = tsniff(["-r", f]).stdout.toString().trim().split("\n");
    expect(back.length).toBe(6);
    for (const l of back) expect(l).toMatch(/IP 10\.203\.71\.2\.\d+ > 10\.203\.71\.1\.7715: UDP, length 32$/);
  }, 60_000);

  it("printing: each line names its interface after the time (as tcpdump -i any); -c is exact across interfaces", async () => {
    const { p, res } = await start(["-i", net.ifA, "-i", if2A, "-c", "5", "-l", "udp"], 2);
    sendTraffic(net.b, net.ipA, [7717], { udpPerPort: 3 });
    sendTraffic(net.b, ip2A, [7718], { udpPerPort: 3 });
    const r = await Promise.race([res, sleep(8000).then(() => null)]);
    if (!r) p.kill("SIGINT");
    const done = r ?? (await res);
    expect(done.code, done.stderr).toBe(0);
    const lines = done.stdout.toString().trim().split("\n");
    expect(lines.length).toBe(5);
    expect(captured(done.stderr)).toBe(5);
    const pad = (n: string) => n.padEnd(5);
    for (const l of lines.slice(0, 3)) expect(l).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} ${pad(net.ifA)} IP 10\\.203\\.71\\.2\\.\\d+ > 10\\.203\\.71\\.1\\.7717: UDP, length 32$`));
    for (const l of lines.slice(3)) expect(l).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} ${pad(if2A)} IP 10\\.203\\.72\\.2\\.\\d+ > 10\\.203\\.72\\.1\\.7718: UDP, length 32$`));
  }, 60_000);

  it("-i X -i X is refused; an unknown second interface fails in one line", () => {
    const twice = tsniff(["-i", net.ifA, "-i", net.ifA], { ns: net.a });
    expect(twice.status).toBe(1);
    expect(twice.stderr.toString()).toBe(`tsniff: -i ${net.ifA} is given twice\n`);
    const unknown = tsniff(["-i", net.ifA, "-i", "nosuchmi0", "-c", "1"], { ns: net.a });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.toString().trim().split("\n")).toEqual(["tsniff: nosuchmi0: No such device exists (see `tsniff -D` for the interfaces)"]);
  });

  it("an interface that goes down is waited for; once up, the capture goes on into the same file", async () => {
    const f = path.join(dir, "down-up.pcapng");
    const { p, res } = await start(["-i", net.ifA, "-w", f, "udp"]);
    sendTraffic(net.b, net.ipA, [7720], { udpPerPort: 5 });
    await sleep(300);
    const waiting = waitForStderr(p, `tsniff: ${net.ifA}: interface went down; waiting for it to come back`);
    ip("-n", net.a, "link", "set", net.ifA, "down");
    await waiting;
    await sleep(400); // still running, still waiting
    expect(p.exitCode).toBe(null);
    const back = waitForStderr(p, `tsniff: ${net.ifA}: interface is back up; capture resumed`);
    ip("-n", net.a, "link", "set", net.ifA, "up");
    await back;
    await sleep(200);
    sendTraffic(net.b, net.ipA, [7721], { udpPerPort: 4 });
    await sleep(500);
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    expect(captured(r.stderr)).toBe(9);
    expect(r.stderr).toMatch(/^9 packets received by filter$/m);
    expect(packetsIn(capinfos(f))).toBe(9);
    expect(tally(fields(f, "udp.dstport"))).toEqual({ "7720": 5, "7721": 4 });
    // tcpdump reads the whole file, both periods.
    expect(sh("tcpdump", ["-nn", "-r", f]).stdout.toString().trim().split("\n").length).toBe(9);
  }, 60_000);

  it("several -i: one interface deleted and created again resumes while the other goes on; rotation continues its sequence", async () => {
    const base = path.join(dir, "rot.pcapng");
    const { p, res } = await start(["-i", net.ifA, "-i", if2A, "-C", "1k", "-w", base, "udp"], 2);
    sendTraffic(net.b, ip2A, [7722], { udpPerPort: 3, size: 600 });
    const gone = waitForStderr(p, `tsniff: ${if2A}: interface disappeared; waiting for it to come back`);
    ip("-n", net.a, "link", "del", if2A);
    await gone;
    sendTraffic(net.b, net.ipA, [7723], { udpPerPort: 3, size: 600 }); // the other interface still captures
    const back = waitForStderr(p, `tsniff: ${if2A}: interface is back up; capture resumed`);
    addSecondPair();
    await back;
    await sleep(200);
    sendTraffic(net.b, ip2A, [7724], { udpPerPort: 3, size: 600 });
    await sleep(600);
    p.kill("SIGTERM");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    expect(captured(r.stderr)).toBe(9);
    // -C 1k: a new file once one holds more than 1 KiB, the names going on across the outage.
    const files = fs.readdirSync(dir).filter((n) => n.startsWith("rot.pcapng")).sort((x, y) => x.length - y.length || x.localeCompare(y));
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files.slice(0, 3)).toEqual(["rot.pcapng", "rot.pcapng1", "rot.pcapng2"]);
    // Every file is whole and declares both interfaces (capinfos takes them all at once; tshark is slow to start).
    const info = capinfos(...files.map((n) => path.join(dir, n)));
    expect(info.match(/Number of interfaces in file: 2/g)!.length).toBe(files.length);
    const all = path.join(dir, "rot-all.pcapng");
    const mc = sh("mergecap", ["-w", all, ...files.map((n) => path.join(dir, n))]);
    expect(mc.status, mc.stderr.toString()).toBe(0);
    const ports = fields(all, "udp.dstport", "frame.interface_name");
    expect(tally(ports)).toEqual({ "7722": 3, "7723": 3, "7724": 3 });
    for (const [port, name] of ports) expect(name).toBe(port === "7723" ? net.ifA : if2A);
  }, 60_000);

  it("SIGTERM while waiting for an interface ends cleanly: summary, exit 0, a valid file", async () => {
    const f = path.join(dir, "wait-term.pcap");
    const { p, res } = await start(["-i", net.ifA, "-w", f, "udp"]);
    sendTraffic(net.b, net.ipA, [7725], { udpPerPort: 3 });
    await sleep(300);
    const waiting = waitForStderr(p, "waiting for it to come back");
    ip("-n", net.a, "link", "set", net.ifA, "down");
    await waiting;
    p.kill("SIGTERM");
    const r = await res;
    ip("-n", net.a, "link", "set", net.ifA, "up");
    expect(r.code, r.stderr).toBe(0);
    expect(captured(r.stderr)).toBe(3);
    expect(r.stderr).toMatch(/^3 packets received by filter$/m);
    expect(packetsIn(capinfos(f))).toBe(3);
  }, 30_000);

  it("--stop-on-down with several -i: one interface going down ends the capture, naming it; the file keeps every packet before", async () => {
    const f = path.join(dir, "stop.pcapng");
    const { p, res } = await start(["-i", net.ifA, "-i", if2A, "--stop-on-down", "-w", f, "udp"], 2);
    sendTraffic(net.b, net.ipA, [7728], { udpPerPort: 2 });
    sendTraffic(net.b, ip2A, [7728], { udpPerPort: 3 });
    await sleep(400);
    ip("-n", net.a, "link", "set", if2A, "down");
    const r = await Promise.race([res, sleep(5000).then(() => null)]);
    ip("-n", net.a, "link", "set", if2A, "up");
    if (!r) p.kill("SIGINT");
    const done = r ?? (await res);
    expect(done.code, done.stderr).toBe(1);
    expect(done.stderr).toMatch(new RegExp(`^tsniff: ${if2A}: the interface went down during the capture; stopped`, "m"));
    expect(done.stderr).not.toMatch(/waiting for it/);
    expect(captured(done.stderr)).toBe(5);
    expect(tally(fields(f, "frame.interface_name"))).toEqual({ [net.ifA]: 2, [if2A]: 3 });
  }, 30_000);

  it("ctx.comment: pcapng -w writes the comment on its packet (tshark frame.comment); pcap -w says once that they need pcapng", async () => {
    const plugin = path.join(dir, "note.mjs");
    fs.writeFileSync(
      plugin,
      `export function onPacket(p, ctx) { if (p.udp?.dstport === 7727) ctx.comment(p, "to 7727 #" + p.frame); if (p.frame === 2) ctx.comment(p, "second"); }\n`,
    );
    const f = path.join(dir, "notes.pcapng");
    const { p, res } = await start(["-i", net.ifA, "-i", if2A, "--script", plugin, "-w", f, "udp"], 2);
    sendTraffic(net.b, net.ipA, [7726, 7727], { udpPerPort: 2 });
    sendTraffic(net.b, ip2A, [7727], { udpPerPort: 1 });
    await sleep(600);
    p.kill("SIGINT");
    const r = await res;
    expect(r.code, r.stderr).toBe(0);
    const rows = fields(f, "frame.number", "frame.comment", "frame.interface_name", "udp.dstport");
    expect(rows.length).toBe(5);
    const expected = rows.map(([n, , name, port]) => {
      const notes = [port === "7727" ? `to 7727 #${n}` : "", n === "2" ? "second" : ""].filter(Boolean);
      return [n, notes.join("; "), name, port];
    });
    expect(rows).toEqual(expected);
    expect(rows.filter((x) => x[1]).length).toBe(4);
    expect(rows[4][2]).toBe(if2A); // the packet from the second interface keeps its interface

    const g = path.join(dir, "notes.pcap");
    const q = await start(["-i", net.ifA, "--script", plugin, "-w", g, "udp"]);
    sendTraffic(net.b, net.ipA, [7727], { udpPerPort: 3 });
    await sleep(400);
    q.p.kill("SIGINT");
    const s = await q.res;
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr.split("\n").filter((l) => l.includes("comments need pcapng"))).toEqual([
      `tsniff: packet comments need pcapng output (--pcapng or a .pcapng name); ${g} is pcap and gets the packets without them`,
    ]);
    expect(packetsIn(capinfos(g))).toBe(3);
  }, 60_000);
});
