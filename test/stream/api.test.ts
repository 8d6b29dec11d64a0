/**
 * The stream API (TcpTracker, tcpStreams) and the reassembly memory cap.
 *  - Each stream's bytes each way equal tshark's `-z follow,tcp,raw,N` on the original capture, whether the
 *    segments came split, reordered, duplicated or overlapped (captures rewritten by test/stream/rewrite.ts).
 *  - A segment never captured is reported as a gap of its length, and its bytes are not made up.
 *  - Many connections each holding an unfinished PDU: past --reassembly-mem the oldest are evicted, counted
 *    in the stats and the CLI's summary.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector } from "../../src/dissectors/index.js";
import { TcpTracker, tcpStreams } from "../../src/index.js";
import { FIXTURES } from "../helpers/paths.js";
import { has, tsniff } from "../helpers/run.js";
import { rewriteTcp } from "./rewrite.js";

const TSHARK = has("tshark");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-stream-api-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** tshark's bytes of each TCP stream: [a→b hex, b→a hex] by stream number. */
function tsharkFollow(file: string): string[][] {
  const n = Number(execFileSync("tshark", ["-r", file, "-T", "fields", "-e", "tcp.stream"], { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n").filter(Boolean).map(Number).reduce((a, b) => Math.max(a, b), -1)) + 1;
  const out = execFileSync("tshark", ["-q", ...Array.from({ length: n }, (_, i) => ["-z", `follow,tcp,raw,${i}`]).flat(), "-r", file], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString();
  const res: string[][] = [];
  for (const rep of out.split(/^Follow: /m).slice(1)) {
    const k = Number(/^Filter: tcp\.stream eq (\d+)$/m.exec(rep)![1]);
    const body = rep.split(/^Node 1: .*$/m)[1] ?? "";
    const ab = ["", ""];
    for (const l of body.split("\n")) if (/^\t?[0-9a-f]+$/.test(l)) ab[l.startsWith("\t") ? 1 : 0] += l.trim();
    res[k] = ab;
  }
  return res;
}

async function ours(file: string): Promise<{ bytes: string[][]; missing: number[] }> {
  const bytes: string[][] = [];
  const missing: number[] = [];
  for await (const c of tcpStreams(file)) {
    (bytes[c.stream.stream] ??= ["", ""])[c.dir] += hex(c.data);
    missing[c.stream.stream] = c.stream.missing[0] + c.stream.missing[1];
  }
  return { bytes, missing };
}

describe.skipIf(!TSHARK)("stream API against tshark's follow", { timeout: 300_000 }, () => {
  for (const rel of ["http/http.pcap", "dns/dns-tcp.pcap", "tls/tls.pcap"]) {
    it(`${rel}: every stream's bytes, as the original's, however the segments come`, async () => {
      const orig = path.join(FIXTURES, rel);
      const want = tsharkFollow(orig);
      expect(want.length).toBeGreaterThan(0);
      expect((await ours(orig)).bytes).toEqual(want);
      const file = path.join(tmp, path.basename(rel, ".pcap") + "-all.pcap");
      await rewriteTcp(orig, file, { piece: 9, reorder: true, duplicate: true, overlap: true });
      expect((await ours(file)).bytes).toEqual(want);
    });
  }
});

describe("stream API", () => {
  it("a segment never captured is a gap of its length, not made up", async () => {
    const orig = path.join(FIXTURES, "http/http.pcap");
    const split = path.join(tmp, "http-split.pcap");
    await rewriteTcp(orig, split, { piece: 100 });
    // drop the 20th data segment
    const cut = path.join(tmp, "http-lost.pcap");
    const src = await FileSource.open(split);
    const w = new PcapWriter(cut, { linktype: 1, snaplen: 262144, nano: false });
    let n = 0;
    let lost = 0;
    const dis = new Dissector();
    await src.run((b) => {
      for (let i = 0; i < b.count; i++) {
        const { tree } = dis.detail(b, i, ++n);
        const tcp = tree!.roots.find((r) => r.name === "tcp");
        const len = Number(tcp?.children?.find((c) => c.name === "tcp.len")?.value ?? 0);
        if (len > 0 && lost === 0 && n > 40) {
          lost = len;
          continue;
        }
        w.writeRecord(b.tsSec[i], b.tsNsec[i], b.caplen[i], b.wirelen[i], b.data, b.offset[i]);
      }
      return Infinity;
    });
    w.close();
    expect(lost).toBeGreaterThan(0);
    const full = await ours(split);
    const got = await ours(cut);
    const total = (o: { bytes: string[][] }) => o.bytes.reduce((a, s) => a + s[0].length / 2 + s[1].length / 2, 0);
    const gaps: number[] = [];
    const t = new TcpTracker().onGap((_s, _d, len) => gaps.push(len));
    const s2 = await FileSource.open(cut);
    let f = 0;
    await s2.run((b) => {
      for (let i = 0; i < b.count; i++) t.batch(b, i, ++f);
      return Infinity;
    });
    t.end();
    expect(gaps).toEqual([lost]);
    expect(total(got)).toBe(total(full) - lost);
    expect(got.missing.reduce((a, b) => a + (b ?? 0), 0)).toBe(lost);
  });
});

/** Ethernet + IPv4 + TCP frame (checksums left 0: nothing here checks them). */
function frame(src: number, sport: number, dport: number, seq: number, flags: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(14 + 20 + 20 + payload.length);
  const dv = new DataView(b.buffer);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
  b[14] = 0x45;
  dv.setUint16(16, 40 + payload.length);
  b[22] = 64;
  b[23] = 6;
  dv.setUint32(26, 0x0a000000 + src);
  dv.setUint32(30, 0x0a0000fe);
  dv.setUint16(34, sport);
  dv.setUint16(36, dport);
  dv.setUint32(38, seq);
  dv.setUint32(42, 1);
  b[46] = 0x50;
  b[47] = flags;
  dv.setUint16(48, 65535);
  b.set(payload, 54);
  return b;
}

describe("reassembly memory cap", () => {
  // 20 clients each send the first 1000 bytes of a 3000-byte DNS-over-TCP message, all before any finishes
  const file = path.join(tmp, "many-pending.pcap");
  const w = new PcapWriter(file, { linktype: 1, snaplen: 262144, nano: false });
  let t = 0;
  const put = (f: Uint8Array) => w.writeRecord(1_700_000_000, (t++ % 1e6) * 1000, f.length, f.length, f, 0);
  const msg = new Uint8Array(3002);
  msg[0] = 3000 >> 8;
  msg[1] = 3000 & 255;
  for (let c = 1; c <= 20; c++) put(frame(c, 40000 + c, 53, 100, 0x02, new Uint8Array(0)));
  for (let c = 1; c <= 20; c++) put(frame(c, 40000 + c, 53, 101, 0x18, msg.subarray(0, 1000)));
  for (let c = 1; c <= 20; c++) put(frame(c, 40000 + c, 53, 1101, 0x18, msg.subarray(1000)));
  w.close();

  it("past the cap the connections used longest ago are evicted, and counted", async () => {
    const count = async (maxBytes: number) => {
      const dis = new Dissector({ reassembly: { maxBytes } });
      const s = await FileSource.open(file);
      let n = 0;
      let reassembled = 0;
      await s.run((b) => {
        for (let i = 0; i < b.count; i++) {
          const { tree } = dis.detail(b, i, ++n);
          if (tree!.roots.some((r) => r.children?.some((c) => c.name === "tcp.segments"))) reassembled++;
        }
        return Infinity;
      });
      return { reassembled, stats: dis.reassembly!.stats };
    };
    const roomy = await count(1 << 20);
    expect(roomy.reassembled).toBe(20);
    expect(roomy.stats.evicted).toBe(0);
    expect(roomy.stats.peak).toBeGreaterThanOrEqual(20 * 1000);
    const tight = await count(10_000);
    expect(tight.stats.evicted).toBeGreaterThan(0);
    expect(tight.stats.peak).toBeLessThanOrEqual(10_000 + 3002);
    // an evicted connection's message is not reassembled (its later bytes alone are no whole message)
    expect(tight.reassembled).toBeLessThan(20);
  });

  it("the CLI's --reassembly-mem and its summary line", () => {
    const r = tsniff(["-r", file, "-T", "fields", "-e", "dns.length", "--reassembly-mem", "0.01"]);
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).toMatch(/TCP reassembly: \d+ connections evicted at the memory cap \(--reassembly-mem 0\.01 MB\)/);
    // on by default, --no-reassembly turns it off; the one-line output is the same either way
    const http = path.join(FIXTURES, "http/http.pcap");
    const on = tsniff(["-r", http, "-T", "fields", "-e", "tcp.segment.count", "--reassembly"]).stdout.toString().split("\n");
    const off = tsniff(["-r", http, "-T", "fields", "-e", "tcp.segment.count", "--no-reassembly"]).stdout.toString().split("\n");
    expect(on[11]).toBe("3");
    expect(off[11]).toBe("");
    expect(tsniff(["-nn", "-r", http, "--reassembly", "-Y", "tcp"]).stdout.toString()).toBe(tsniff(["-nn", "-r", http, "-Y", "tcp"]).stdout.toString());
    const bad = tsniff(["-r", file, "--reassembly-mem", "x"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.toString()).toMatch(/--reassembly-mem takes a positive number of megabytes/);
    expect(bad.stderr.toString()).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe.skipIf(!TSHARK)("examples/tcp-streams.ts", { timeout: 120_000 }, () => {
  it("reports each stream's byte counts each way as tshark's follow has them", () => {
    const file = path.join(FIXTURES, "http/http.pcap");
    const r = tsniff(["-r", file, "--script", path.join(FIXTURES, "..", "examples", "tcp-streams.ts")]);
    expect(r.status).toBe(0);
    const got = [...r.stdout.toString().matchAll(/^\[tcp-streams\] stream (\d+) .*: (\d+) bytes >, (\d+) bytes <, 0 missing \(fin\)$/gm)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
    const want = tsharkFollow(file).map((ab, i) => [i, ab[0].length / 2, ab[1].length / 2]);
    expect(got).toEqual(want);
  });
});
