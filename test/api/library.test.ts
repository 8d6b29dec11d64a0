/**
 * The library half of issue 14: packets kept past their callback stay valid (defect 2), stored packets keep
 * no detail trees and read tcp.flags from the cheap pass (defect 5), a string prn returns is printed (defect
 * 6), rdpcap/wrpcap/openWriter (pcap and pcapng, read back by tcpdump and tshark), payload bytes (tshark's
 * tcp.payload), sniff() on several interfaces.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capture, openWriter, Packet, rdpcap, readPcap, sniff, wrpcap } from "../../src/index.js";
import { collect, has, ROOT, TSNIFF, waitForStderr } from "../helpers/run.js";
import { canUseNetns, createNsPair } from "../helpers/netns.js";
import { createFloodPair, flooder, startFlood } from "../helpers/flood.js";

const fx = (f: string) => path.join(ROOT, "fixtures", f);
const ROOTED = process.getuid?.() === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-library-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const lines = (s: string) => s.trimEnd().split("\n").filter(Boolean);
const tcpdump = (file: string) => spawnSync("tcpdump", ["-nn", "-tt", "-r", file], { encoding: "utf8", maxBuffer: 1 << 28 });

/** dns-udp.pcap's 26 packets repeated to BIG packets (several of the file reader's 8192-packet batches). */
const BIG = 26 * 1000;
let big = "";
let src: Packet[] = [];
beforeAll(async () => {
  src = await readPcap(fx("dns/dns-udp.pcap"));
  big = path.join(dir, "big-dns.pcap");
  const w = openWriter(big);
  for (let i = 0; i < BIG; i++) {
    const p = src[i % src.length];
    w.write(Packet.fromBytes(p.data, { linktype: p.linktype, len: p.len, tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1000 }));
  }
  w.close();
});

describe("packets kept past their callback", () => {
  it("stay valid across batches (the buffer is reused): bytes, dns, layers and summary as packets read alone", async () => {
    const kept: Packet[] = [];
    const r = await sniff({ offline: big, store: false, prn: (p) => void kept.push(p) });
    expect(r).toEqual([]);
    expect(kept).toHaveLength(BIG);
    for (const i of [0, 1, 25, 8191, 8192, 8193, 16400, BIG - 1]) {
      const k = kept[i];
      const s = src[i % src.length];
      expect(k.borrowed).toBe(false);
      expect(Buffer.from(k.data).equals(Buffer.from(s.data))).toBe(true);
      expect(k.layers).toEqual(s.layers);
      expect(k.dns).toEqual(s.dns);
      expect(k.info()).toBe(s.info());
    }
    // summary() is the CLI's line for that packet (tsniff -r)
    const cli = spawnSync(process.execPath, [TSNIFF, "-r", big, "-c", "9000"], { encoding: "utf8", env: { ...process.env, TZ: "UTC" }, maxBuffer: 1 << 28 });
    const cl = lines(cli.stdout);
    expect(kept[8500].summary()).toBe(cl[8500]);
    expect(kept[3].summary()).toBe(cl[3]);
  });

  it("a plugin keeping packets in ctx.state reads them right at onStop", () => {
    const p = path.join(dir, "keeper.ts");
    fs.writeFileSync(
      p,
      `import type { Packet, PluginContext } from "tsniff";
const kept: Packet[] = [];
export function onPacket(pkt: Packet): boolean { kept.push(pkt); return false; }
export function onStop(ctx: PluginContext): void {
  ctx.log("names", kept.filter((_, i) => i % 8000 === 0).map((k) => k.dns?.qryName + "/" + k.frame).join(","));
}\n`,
    );
    const r = spawnSync(process.execPath, [TSNIFF, "-r", big, "--script", p], { encoding: "utf8", maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const want = [0, 8000, 16000, 24000].map((i) => `${src[i % 26].dns?.qryName}/${i + 1}`).join(",");
    expect(r.stderr).toContain(`[keeper] names ${want}`);
  });
});

describe("stored packets", () => {
  it("tcp.flags and ports come from the cheap pass (no detail pass) and equal tshark's", async () => {
    const file = fx("http/http.pcap");
    const pk = await readPcap(file);
    const ts = spawnSync("tshark", ["-r", file, "-T", "fields", "-e", "tcp.flags", "-e", "tcp.srcport"], { encoding: "utf8" });
    const want = lines(ts.stdout).map((l) => l.split("\t"));
    const passes = () => (pk[0] as unknown as { context: { dissector: { passes: number } } }).context.dissector.passes;
    const before = passes();
    pk.forEach((p, i) => {
      expect(p.tcp!.flags).toBe(Number(want[i][0]));
      expect(p.tcp!.srcport).toBe(Number(want[i][1]));
    });
    // the summary passes ran while the file was read (in capture order); reading flags and ports runs none
    expect(passes() - before).toBe(0);
    // and the tree's value agrees
    expect(pk.map((p) => p.get("tcp.flags"))).toEqual(pk.map((p) => p.tcp!.flags));
  });

  it("p.dns on 26k stored packets keeps no detail trees (heap growth bounded; a tree costs kilobytes)", () => {
    // In a child with --expose-gc: heap after reading p.dns of every stored packet, against before.
    const lib = path.join(ROOT, "dist", "index.js");
    const code = `
const { readPcap } = await import(${JSON.stringify(lib)});
const pk = await readPcap(${JSON.stringify(big)});
for (const p of pk) p.layers; // the summary pass (kept: small)
gc(); gc();
const h0 = process.memoryUsage().heapUsed;
let names = 0;
for (const p of pk) if (p.dns?.qryName) names++;
gc(); gc();
const h1 = process.memoryUsage().heapUsed;
console.log(JSON.stringify({ n: pk.length, names, perPacket: (h1 - h0) / pk.length }));`;
    const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { n: number; names: number; perPacket: number };
    expect(m.n).toBe(BIG);
    expect(m.names).toBe(BIG);
    // the DnsInfo kept per packet is a few hundred bytes; a retained tree is several kilobytes
    expect(m.perPacket).toBeLessThan(1500);
  }, 60_000);
});

describe("prn's return value", () => {
  it("a string is printed, one line per packet, escaped; other values are not", () => {
    const lib = path.join(ROOT, "dist", "index.js");
    const code = `
const { sniff } = await import(${JSON.stringify(lib)});
await sniff({ offline: ${JSON.stringify(fx("http/http.pcap"))}, store: false, prn: (p) => { const s = p.summary(); return p.frame === 2 ? "bad\\x1b[31m\\nline" : p.frame === 3 ? 42 : p.frame === 4 ? undefined : s; } });`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
    expect(r.status, r.stderr).toBe(0);
    const cli = lines(spawnSync(process.execPath, [TSNIFF, "-r", fx("http/http.pcap")], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } }).stdout);
    const want = cli.flatMap((l, i) => (i === 1 ? ["bad\\x1b[31m\\nline"] : i === 2 || i === 3 ? [] : [l]));
    expect(lines(r.stdout)).toEqual(want);
  });
});

describe("rdpcap, wrpcap, openWriter", () => {
  it("pcap: wrpcap of rdpcap's packets is the same capture for tcpdump", async () => {
    const file = fx("http/http.pcap");
    const pk = await rdpcap(file);
    const out = path.join(dir, "copy.pcap");
    expect(await wrpcap(out, pk)).toBe(41);
    expect(tcpdump(out).stdout).toBe(tcpdump(file).stdout);
    // a filtered subset, written from inside prn with borrowed packets
    const w = openWriter(path.join(dir, "syn.pcap"));
    await sniff({ offline: file, store: false, prn: (p) => void ((p.tcp!.flags & 0x02) !== 0 && w.write(p)) });
    w.close();
    const want = lines(spawnSync("tcpdump", ["-nn", "-tt", "-r", file, "tcp[tcpflags] & tcp-syn != 0"], { encoding: "utf8" }).stdout);
    expect(lines(tcpdump(w.path).stdout)).toEqual(want);
    expect(w.count).toBe(want.length);
  });

  it("pcapng with comments: tshark reads it back, frame.comment included; mixed link types refused by pcap", async () => {
    const a = await rdpcap(fx("http/http.pcap"));
    const out = path.join(dir, "copy.pcapng");
    const w = openWriter(out, { nano: true });
    expect(w.format).toBe("pcapng");
    a.forEach((p, i) => w.write(p, i === 1 ? "second packet" : undefined));
    w.close();
    expect(tcpdump(out).stdout).toBe(tcpdump(fx("http/http.pcap")).stdout);
    const ts = spawnSync("tshark", ["-r", out, "-T", "fields", "-e", "frame.comment"], { encoding: "utf8" });
    expect(ts.status, ts.stderr).toBe(0);
    expect(ts.stdout.split("\n")[1]).toBe("second packet");
    const raw = Packet.fromBytes(Buffer.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]), { linktype: 101 });
    const p = openWriter(path.join(dir, "mixed.pcap"));
    p.write(a[0]);
    expect(() => p.write(raw)).toThrow(/one link type \(1\); this packet's is 101: write pcapng/);
    p.close();
    const ng = path.join(dir, "mixed.pcapng");
    await wrpcap(ng, [a[0], raw]);
    expect(lines(spawnSync("tshark", ["-r", ng, "-T", "fields", "-e", "frame.protocols"], { encoding: "utf8" }).stdout)).toEqual([expect.stringMatching(/^eth:ethertype:ip:tcp/), "raw:ip"]);
  });
});

describe("payload", () => {
  it("p.layer('tcp').payload and p.payload are tshark's tcp.payload bytes", async () => {
    const file = fx("http/http.pcap");
    const pk = await readPcap(file);
    const ts = lines(spawnSync("tshark", ["-r", file, "-T", "fields", "-e", "tcp.payload"], { encoding: "utf8" }).stdout + "\n");
    const all = spawnSync("tshark", ["-r", file, "-T", "fields", "-e", "tcp.payload"], { encoding: "utf8" }).stdout.split("\n");
    expect(ts.length).toBeGreaterThan(5);
    pk.forEach((p, i) => {
      expect(Buffer.from(p.layer("tcp")!.payload).toString("hex")).toBe(all[i].replace(/:/g, ""));
      expect(Buffer.from(p.payload).toString("hex")).toBe(all[i].replace(/:/g, ""));
      expect(p.layer("tcp")!.header.length).toBe(Number(p.get("tcp.hdr_len")));
    });
    expect(pk[0].layer("udp")).toBeUndefined();
  });
});

describe("sniff() on several interfaces", () => {
  it.skipIf(!ROOTED || !canUseNetns() || !has("ping"))("iface: [\"lo\", veth] captures both, Packet.iface says which", () => {
    const pair = createNsPair("lib", 142);
    try {
      const lib = path.join(ROOT, "dist", "index.js");
      const code = `
const { sniff } = await import(${JSON.stringify(lib)});
const { spawn } = await import("node:child_process");
setTimeout(() => { spawn("ping", ["-c", "3", "-i", "0.2", "127.0.0.1"]); spawn("ping", ["-c", "2", "-i", "0.2", ${JSON.stringify(pair.ipA)}]); }, 300);
const pk = await sniff({ iface: ["lo", ${JSON.stringify(pair.ifB)}], filter: "icmp", timeout: 2.5, immediate: true });
console.log(JSON.stringify(pk.map((p) => [p.iface, p.ip?.dst, p.get("icmp.type")])));`;
      const r = spawnSync("ip", ["netns", "exec", pair.b, process.execPath, "--input-type=module", "-e", code], { encoding: "utf8", timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as [number, string, number][];
      expect(got, r.stdout).toBeDefined();
      expect(got.filter(([i]) => i === 0)).toHaveLength(6); // 3 echo requests and 3 replies on lo
      expect(got.filter(([i, dst]) => i === 1 && dst === pair.ipA)).toHaveLength(2); // requests out of the veth
      expect(got.filter(([i, dst]) => i === 1 && dst === pair.ipB)).toHaveLength(2); // replies in
    } finally {
      pair.destroy();
    }
  }, 30_000);
});

it("capture() still hands out clones", async () => {
  for await (const p of capture({ offline: fx("http/http.pcap"), count: 2 })) expect(p.borrowed).toBe(false);
});

describe("which queue lost packets (a CPU-bound capture() consumer)", () => {
  it.skipIf(!ROOTED || !canUseNetns() || !flooder())("a flood and a busy consumer: the kernel's drops, named as such, with what to do", async () => {
    const pair = createFloodPair("libq", 143);
    try {
      const lib = path.join(ROOT, "dist", "index.js");
      const code = `
const { capture } = await import(${JSON.stringify(lib)});
const s = capture({ iface: ${JSON.stringify(pair.ifB)}, filter: "udp", timeout: 4 });
await new Promise((r) => setTimeout(r, 200));
process.stderr.write("ready\\n");
for await (const p of s) { const t = Date.now(); while (Date.now() - t < 2) {} }
console.log(JSON.stringify(s.stats()));`;
      const child = spawn("ip", ["netns", "exec", pair.b, process.execPath, "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
      const done = collect(child);
      await waitForStderr(child, "ready", 20_000);
      const flood = startFlood(pair.a, pair.ipB, { seconds: 2, size: 200 });
      await flood.done;
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      const st = JSON.parse(r.stdout.toString()) as { kernel: { dropped: number }; droppedByTsniff: number; lossNote: string };
      expect(st.kernel.dropped, r.stdout.toString()).toBeGreaterThan(0);
      expect(st.lossNote).toMatch(new RegExp(`^${st.kernel.dropped} packets dropped by the kernel: .*event loop.*bufferSize`));
      if (st.droppedByTsniff) expect(st.lossNote).toMatch(/packets dropped by tsniff: its queue \(10000 packets\) was full/);
    } finally {
      pair.destroy();
    }
  }, 30_000);
});
