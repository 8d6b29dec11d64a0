/**
 * Follow stream, conversations and protocol hierarchy: the TUI's numbers and bytes against tshark's
 * (`-z follow,tcp,raw,N`, `-z conv,tcp`, `-z conv,udp`, `-z io,phs`) over the fixtures, the views rendered
 * with ink-testing-library, escaping of what the wire sends, retransmissions, progress and cancel, mouse.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import React from "react";
import { render } from "ink-testing-library";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { App } from "../../src/tui/app.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { parseMouse } from "../../src/tui/mouse.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { CaptureStats, convCells } from "../../src/tui/stats.js";
import { StreamData, StreamReader, StreamScan, textLineText, type StreamKey } from "../../src/tui/stream.js";
import { has, ROOT } from "../helpers/run.js";
import { until } from "../helpers/until.js";

const FIX = path.join(ROOT, "fixtures");
const HTTP = path.join(FIX, "http", "http.pcap");
const TSHARK = has("tshark");
/** Ink (and so ink-testing-library) draws at most 30 frames a second: wait longer than a frame. */
const tick = (ms = 80) => new Promise((r) => setTimeout(r, ms));


/** Waits for a stream or statistics pass to end, and for the frame after it. */
async function scanDone(m: Model): Promise<void> {
  await until(() => m.scanProgress < 0, "the pass ended");
  await tick();
}

function tshark(args: string[]): string {
  const r = spawnSync("tshark", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 });
  return r.stdout;
}

/** tshark starts slowly: one run per file gives the conversations and the hierarchy (cached). */
const statsRuns = new Map<string, string>();
function tsharkStats(file: string): string {
  let s = statsRuns.get(file);
  if (s === undefined) statsRuns.set(file, (s = tshark(["-q", "-z", "conv,tcp", "-z", "conv,udp", "-z", "io,phs", "-r", file])));
  return s;
}

/** The section of a tshark -q report that starts with `title`. */
function section(out: string, title: string): string {
  const i = out.indexOf(title);
  if (i < 0) return "";
  const j = out.indexOf("\n====", i);
  return out.slice(i, j < 0 ? undefined : j);
}

async function load(file: string): Promise<{ index: PacketIndex; pf: PacketFile }> {
  const index = new PacketIndex();
  await indexFile(await FileSource.open(file), index);
  return { index, pf: new PacketFile(file, index) };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tui-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Ethernet + IPv4 + TCP (or UDP) frame carrying `payload`; checksums are not computed (nothing checks them). */
function frame(proto: 6 | 17, src: number[], dst: number[], sport: number, dport: number, payload: Uint8Array, seq = 0, flags = 0x18): Uint8Array {
  const th = proto === 6 ? 20 : 8;
  const b = new Uint8Array(14 + 20 + th + payload.length);
  const dv = new DataView(b.buffer);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  dv.setUint16(12, 0x0800);
  b[14] = 0x45;
  dv.setUint16(16, 20 + th + payload.length);
  b[22] = 64;
  b[23] = proto;
  b.set(src, 26);
  b.set(dst, 30);
  const t = 34;
  dv.setUint16(t, sport);
  dv.setUint16(t + 2, dport);
  if (proto === 6) {
    dv.setUint32(t + 4, seq);
    dv.setUint32(t + 8, 1);
    b[t + 12] = 5 << 4;
    b[t + 13] = flags;
    dv.setUint16(t + 14, 65535);
  } else dv.setUint16(t + 4, 8 + payload.length);
  b.set(payload, t + th);
  return b;
}

function writePcap(name: string, frames: Uint8Array[]): string {
  const file = path.join(tmp, name);
  const w = new PcapWriter(file, { linktype: 1, snaplen: 262144, nano: false });
  frames.forEach((f, i) => w.writeRecord(1_700_000_000, i * 1000, f.length, f.length, f, 0));
  w.close();
  return file;
}

/** Runs a stream scan over every packet of a file (as the Model does in slices). */
async function follow(file: string, key: StreamKey): Promise<{ data: StreamData; reader: StreamReader }> {
  const { index, pf } = await load(file);
  cleanups.push(() => pf.close());
  const data = new StreamData(key);
  const scan = new StreamScan(data, (i) => index.linktype[i]);
  for (let i = 0; i < index.count; i++) scan.visit(i, pf.readSeq(i), index.wirelen[i]);
  data.finish();
  return { data, reader: new StreamReader(data, (p) => pf.read(p)) };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The stream as direction runs: [dir, hex of the run's bytes] (consecutive same-direction chunks merged). */
function runsOf(data: StreamData, reader: StreamReader): [number, string][] {
  const out: [number, string][] = [];
  for (let r = 0; r < data.runs; r++) out.push([data.segDir[data.runSeg[r]], hex(reader.bytes(data.runPos[r], data.runLen[r]))]);
  return out;
}

describe.skipIf(!TSHARK)("follow stream against tshark -z follow,raw", { timeout: 120_000 }, () => {
  const cases: [string, "tcp" | "udp"][] = [
    ["http/http.pcap", "tcp"],
    ["tls/tls.pcap", "tcp"],
    ["dns/dns-tcp.pcap", "tcp"],
    ["ssh/ssh.pcap", "tcp"],
    ["dns/dns-udp.pcap", "udp"],
    ["quic/quic.pcap", "udp"],
  ];
  for (const [rel, proto] of cases) {
    it(`${rel}: every ${proto} stream has tshark's bytes, in tshark's order, each way`, async () => {
      const file = path.join(FIX, rel);
      let streams = 0;
      const count = tsharkConv(file, proto).length;
      expect(count).toBeGreaterThan(0);
      // one tshark run for all the streams of the file: a report per stream, in the order asked
      const all = tshark(["-q", ...Array.from({ length: count }, (_, n) => ["-z", `follow,${proto},raw,${n}`]).flat(), "-r", file]);
      const reports = all.split(/^Follow: /m).slice(1);
      expect(reports.length).toBe(count);
      for (let n = 0; n < count; n++) {
        const out = reports.find((r) => new RegExp(`^Filter: ${proto}\\.stream eq ${n}$`, "m").test(r))!;
        const nodes = [...out.matchAll(/^Node (\d): (.+):(\d+)$/gm)];
        if (nodes.length < 2 || nodes[0][2] === "") break;
        const key: StreamKey = { proto: proto === "tcp" ? 6 : 17, aAddr: nodes[0][2], aPort: Number(nodes[0][3]), bAddr: nodes[1][2], bPort: Number(nodes[1][3]) };
        // tshark: one line per chunk, B's indented with a tab; merge runs of one direction
        const theirs: [number, string][] = [];
        const body = out.split(/^Node 1: .*$/m)[1];
        for (const line of body.split("\n")) {
          if (!/^\t?[0-9a-f]+$/.test(line)) continue;
          const dir = line.startsWith("\t") ? 1 : 0;
          const last = theirs[theirs.length - 1];
          if (last && last[0] === dir) last[1] += line.trim();
          else theirs.push([dir, line.trim()]);
        }
        const { data, reader } = await follow(file, key);
        expect(runsOf(data, reader), `${rel} stream ${n}`).toEqual(theirs);
        // the filter the view sets when it ends: tshark's number for this conversation
        expect(data.streamIndex, `${rel} stream ${n}`).toBe(n);
        streams++;
      }
      expect(streams).toBeGreaterThan(0);
    });
  }
});

describe("follow stream", () => {
  const A = [10, 0, 0, 1],
    B = [10, 0, 0, 2];
  const enc = (s: string) => new TextEncoder().encode(s);

  it("drops retransmitted bytes, keeps new ones, and splits lines at newlines and direction changes", async () => {
    const file = writePcap("retrans.pcap", [
      frame(6, A, B, 5000, 80, new Uint8Array(0), 99, 0x02), // SYN: data starts at 100
      frame(6, A, B, 5000, 80, enc("hello "), 100),
      frame(6, A, B, 5000, 80, enc("hello "), 100), // retransmission
      frame(6, A, B, 5000, 80, enc("lo world\n"), 103), // overlaps "lo "
      frame(6, B, A, 80, 5000, enc("ok\r\nbye\n"), 7000),
      frame(6, A, B, 5001, 80, enc("other connection\n"), 1), // not this stream
    ]);
    const { data, reader } = await follow(file, { proto: 6, aAddr: "10.0.0.1", aPort: 5000, bAddr: "10.0.0.2", bPort: 80 });
    expect(data.packets).toEqual([4, 1]);
    expect(data.bytes).toEqual([12, 8]);
    const lines: string[] = [];
    for (let l = 0; l < data.lineCount(false); l++) {
      const t = data.textLine(l);
      lines.push(`${t.dir}:${textLineText(reader.bytes(t.start, t.len))}`);
    }
    expect(lines).toEqual(["0:hello world", "1:ok", "1:bye"]);
    // hex lines: offsets count within each direction
    expect(data.lineCount(true)).toBe(2);
    expect(data.hexLine(1)).toMatchObject({ dir: 1, dirOff: 0, len: 8 });
  });

  it("shows control characters and escape sequences from the wire escaped, never raw", async () => {
    const evil = "title\x1b]0;pwned\x07 red\x1b[31mRED\x1b[0m bell\x07 nul\x00 del\x7f c1\u009b2J tab\tend\n";
    const file = writePcap("evil.pcap", [frame(17, A, B, 4000, 9999, enc(evil)), frame(17, B, A, 9999, 4000, enc("\x1b[2Jreply\n"))]);
    const { index, pf } = await load(file);
    cleanups.push(() => pf.close());
    const m = new Model(new CaptureRows(index, pf));
    cleanups.push(() => m.dispose()); // (before the file closes: a filter pass left running reads no closed file)
    m.indexDone();
    m.moveTo(0, false);
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 160, height: 30 }));
    cleanups.push(unmount);
    await tick();
    stdin.write("s");
    await scanDone(m);
    const f = lastFrame()!;
    expect(f).toContain("Follow UDP 10.0.0.1:4000 ⇄ 10.0.0.2:9999");
    expect(f).toContain("10.0.0.1:4000 → 10.0.0.2:9999: 1 packet, 63 bytes");
    expect(f).toContain("title\\x1b]0;pwned\\x07 red\\x1b[31mRED\\x1b[0m bell\\x07 nul\\x00 del\\x7f c1\\x9b2J tab    end");
    expect(f).toContain("\\x1b[2Jreply");
    expect(f).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/); // no raw control character reached the screen
    stdin.write("x");
    await tick();
    expect(lastFrame()).toContain("00000000  74 69 74 6c 65 1b 5d 30  3b 70 77 6e 65 64 07 20  title.]0;pwned.");
  });

  it("renders the conversation of the selected packet, toggles hex with x, and goes back with Esc", async () => {
    const { index, pf } = await load(HTTP);
    cleanups.push(() => pf.close());
    const m = new Model(new CaptureRows(index, pf));
    cleanups.push(() => m.dispose()); // (before the file closes: a filter pass left running reads no closed file)
    m.indexDone();
    m.moveTo(0, false);
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 140, height: 40 }));
    cleanups.push(unmount);
    await tick();
    stdin.write("j");
    stdin.write("j");
    stdin.write("j");
    await tick();
    stdin.write("s");
    await scanDone(m);
    let f = lastFrame()!;
    expect(m.view).toBe("stream");
    expect(f).toContain("Follow TCP 10.202.0.1:50206 ⇄ 10.202.0.2:80  [text]");
    expect(f).toContain("10.202.0.1:50206 → 10.202.0.2:80: 11 packets, 631 bytes");
    expect(f).toContain("10.202.0.2:80 → 10.202.0.1:50206: 10 packets, 4,946 bytes");
    const lines = f.split("\n");
    const get = lines.findIndex((l) => l === "GET / HTTP/1.1");
    const ok = lines.findIndex((l) => l === "HTTP/1.1 200 OK");
    expect(get).toBeGreaterThan(1);
    expect(ok).toBeGreaterThan(get);
    // directions: the request lines are A's, the response B's
    const shown = m.streamLines(m.viewHeight);
    expect(shown.find((l) => l.text === "GET / HTTP/1.1")!.dir).toBe(0);
    expect(shown.find((l) => l.text === "HTTP/1.1 200 OK")!.dir).toBe(1);
    stdin.write("x");
    await tick();
    f = lastFrame()!;
    expect(f).toContain("[hex]");
    expect(f).toMatch(/^00000000 {2}47 45 54 20 2f 20 48 54 {2}54 50 2f 31 2e 31 0d 0a {2}GET \/ HTTP\/1\.1\.\.$/m);
    expect(f).toMatch(/^00000000 {2}48 54 54 50 2f 31 2e 31 {2}20 32 30 30 20 4f 4b 0d {2}HTTP\/1\.1 200 OK\.$/m);
    stdin.write("G");
    await tick();
    expect(m.streamTop).toBe(Math.max(0, m.stream!.lineCount(true) - m.viewHeight));
    stdin.write("\x1b");
    await tick();
    expect(m.view).toBe("packets");
    for (let i = 0; i < 50 && !lastFrame()!.includes("▸ Frame 4:"); i++) await tick(); // (a loaded machine draws late)
    expect(lastFrame()).toContain("▸ Frame 4:");
  });

  it("takes the side that sent the first packet as A, whichever packet was selected", async () => {
    const { index, pf } = await load(HTTP);
    cleanups.push(() => pf.close());
    const m = new Model(new CaptureRows(index, pf));
    cleanups.push(() => m.dispose()); // (before the file closes: a filter pass left running reads no closed file)
    m.indexDone();
    m.moveTo(5, false); // packet 6: the server's "HTTP/1.1 200 OK"
    m.key("s", {});
    await scanDone(m);
    expect(m.stream!.key).toEqual({ proto: 6, aAddr: "10.202.0.1", aPort: 50206, bAddr: "10.202.0.2", bPort: 80 });
    expect(m.stream!.packets).toEqual([11, 10]);
    expect(m.streamLines(1)[0]).toEqual({ text: "GET / HTTP/1.1", dir: 0 });
  });

  it("says so when the selected packet is not TCP or UDP", async () => {
    const { index, pf } = await load(path.join(FIX, "arp", "arp.pcap"));
    cleanups.push(() => pf.close());
    const m = new Model(new CaptureRows(index, pf));
    cleanups.push(() => m.dispose()); // (before the file closes: a filter pass left running reads no closed file)
    m.indexDone();
    m.moveTo(0, false);
    m.key("s", {});
    expect(m.view).toBe("packets");
    expect(m.status.message).toMatch(/not TCP or UDP/);
  });
});

describe("a pass over many packets shows progress and stops on Esc", () => {
  it("follow stream and statistics over 160k packets", async () => {
    // http.pcap's 41 packets, 4000 times over (about 160k packets), times kept increasing
    const src = await load(HTTP);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < src.index.count; i++) frames.push(src.pf.read(i).slice());
    src.pf.close();
    const file = path.join(tmp, "big.pcap");
    const w = new PcapWriter(file, { linktype: 1, snaplen: 262144, nano: false });
    for (let r = 0; r < 4000; r++) frames.forEach((f, i) => w.writeRecord(1_700_000_000 + r, i * 1000, f.length, f.length, f, 0));
    w.close();
    const { index, pf } = await load(file);
    cleanups.push(() => pf.close());
    expect(index.count).toBe(164_000);
    const m = new Model(new CaptureRows(index, pf));
    cleanups.push(() => m.dispose()); // (before the file closes: a filter pass left running reads no closed file)
    m.indexDone();
    m.moveTo(3, false);
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 140, height: 40 }));
    cleanups.push(unmount);
    await tick();
    stdin.write("s");
    await until(() => m.scanProgress > 0, "progress");
    expect(m.scanProgress).toBeLessThan(1);
    await until(() => /following stream \d+% \(Esc stops\)/.test(lastFrame()!), "progress in the status bar");
    stdin.write("\x1b");
    await until(() => m.scanProgress === -1, "Esc stopped the pass");
    expect(m.view).toBe("stream"); // the first Esc stops the pass, what was found stays
    await until(() => /follow stream stopped at packet \d+/.test(lastFrame()!), "the message");
    const found = m.stream!.packets[0] + m.stream!.packets[1];
    expect(found).toBeGreaterThan(0);
    await tick(100);
    expect(m.stream!.packets[0] + m.stream!.packets[1]).toBe(found); // and nothing more is scanned
    stdin.write("\x1b");
    await tick();
    expect(m.view).toBe("packets");
    stdin.write("c");
    await until(() => m.scanProgress > 0 || m.stats?.packets === 164_000, "the statistics pass started");
    if (m.scanProgress >= 0) await until(() => /statistics \d+% \(Esc stops\)/.test(lastFrame()!) || m.scanProgress < 0, "progress in the status bar");
    await scanDone(m);
    expect(m.stats!.packets).toBe(164_000);
    expect(m.stats!.phs.children.get("eth")!.frames).toBe(164_000);
  });
});

/** tshark's `-z conv` rows as our cells: A, B, frames/bytes B→A, A→B, total, rel start, duration. */
function tsharkConv(file: string, proto: "tcp" | "udp"): string[][] {
  return section(tsharkStats(file), `${proto.toUpperCase()} Conversations`)
    .split("\n")
    .filter((l) => l.includes("<->"))
    .map((l) => l.replace(/ bytes/g, "").replace("<->", "").trim().split(/\s+/));
}

async function statsOf(file: string): Promise<CaptureStats> {
  const { index, pf } = await load(file);
  const st = new CaptureStats();
  for (let i = 0; i < index.count; i++) st.visit(pf.readSeq(i), index.linktype[i], index.wirelen[i], index.tsSec[i], index.tsNsec[i], i);
  pf.close();
  return st;
}

/** tshark's -z io,phs as "path frames bytes" lines. */
function tsharkPhs(file: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack: string[] = [];
  for (const l of section(tsharkStats(file), "Protocol Hierarchy Statistics").split("\n")) {
    const m = /^( *)(\S+)\s+frames:(\d+) bytes:(\d+)/.exec(l);
    if (!m) continue;
    const depth = m[1].length / 2;
    stack.length = depth;
    stack.push(m[2]);
    out.set(stack.join("/"), `${m[3]} ${m[4]}`);
  }
  return out;
}

function ourPhs(st: CaptureStats): Map<string, string> {
  const out = new Map<string, string>();
  const stack: string[] = [];
  for (const l of st.phsLines()) {
    stack.length = l.depth;
    stack.push(l.node.name);
    out.set(stack.join("/"), `${l.node.frames} ${l.node.bytes}`);
  }
  return out;
}

/**
 * Where tshark's hierarchy differs by design: it reassembles (IP fragments, HTTP bodies over several segments)
 * and counts the reassembled protocol in the last frame; it dissects payloads tsniff shows as data (STP,
 * data-text-lines, json, the ICMP error's quoted data) and marks malformed frames as _ws.malformed. These
 * paths (and everything under them) are not compared.
 */
const PHS_DIFFERENT: Record<string, string[]> = {
  "http.pcap": ["eth/ip/tcp/http"],
  "frag.pcap": ["eth/ip/data", "eth/ip/icmp", "eth/ipv6/data", "eth/ipv6/icmpv6"],
  "llc.pcap": ["eth/llc", "eth/_ws.malformed"],
  "ssh.pcap": ["eth/ip/tcp/ssh/_ws.malformed"],
  "unreach.pcap": ["eth/ip/icmp/data", "eth/ipv6/icmpv6/data"],
  "exthdr.pcap": ["eth/ipv6/icmpv6/data"],
};

/** Fixtures with TCP, UDP, tunnels, VLANs, IPv6, fragments, ICMP errors (tshark is slow to start: not all). */
const STATS_FIXTURES = ["http/http.pcap", "tls/tls.pcap", "dns/dns-tcp.pcap", "dns/dns-udp.pcap", "dns/mdns-llmnr.pcap", "examples/syn-scan.pcap", "vxlan/vxlan.pcap", "gre/gre.pcap", "vlan/vlan.pcap", "icmp/unreach.pcap", "icmp/frag.pcap", "ipv6/exthdr.pcap", "dhcpv6/dhcpv6.pcap", "llc/llc.pcap"].map((f) => path.join(FIX, f));

describe.skipIf(!TSHARK)("statistics against tshark", { timeout: 180_000 }, () => {
  it("conversations: every fixture's TCP and UDP table equals tshark -z conv,tcp / conv,udp", async () => {
    let rows = 0;
    for (const f of STATS_FIXTURES) {
      const st = await statsOf(f);
      for (const [p, name] of [
        [6, "tcp"],
        [17, "udp"],
      ] as const) {
        const ours = st.table(p).map(convCells);
        expect(ours, `${path.basename(f)} conv,${name}`).toEqual(tsharkConv(f, name));
        rows += ours.length;
      }
    }
    expect(rows).toBeGreaterThan(200); // syn-scan alone has 190
  });

  it("protocol hierarchy: every fixture's tree equals tshark -z io,phs (but for the documented differences)", async () => {
    let compared = 0;
    for (const f of STATS_FIXTURES) {
      const skip = PHS_DIFFERENT[path.basename(f)] ?? [];
      const skipped = (p: string) => skip.some((s) => p === s || p.startsWith(s + "/"));
      const theirs = tsharkPhs(f);
      const ours = ourPhs(await statsOf(f));
      for (const [p, v] of theirs) {
        if (skipped(p)) continue;
        expect(ours.get(p), `${path.basename(f)} ${p}`).toBe(v);
        compared++;
      }
      for (const p of ours.keys()) if (!skipped(p) && !/\/data$/.test(p)) expect(theirs.has(p), `${path.basename(f)}: ${p} is not in tshark's tree`).toBe(true);
    }
    expect(compared).toBeGreaterThan(50);
  });
});

describe("statistics view", () => {
  it("shows the conversations table, switches to UDP and the hierarchy with Tab, follows a conversation with Enter", async () => {
    const { index, pf } = await load(HTTP);
    cleanups.push(() => pf.close());
    const m = new Model(new CaptureRows(index, pf));
    cleanups.push(() => m.dispose()); // (before the file closes: a filter pass left running reads no closed file)
    m.indexDone();
    m.moveTo(0, false);
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 160, height: 30 }));
    cleanups.push(unmount);
    await tick();
    stdin.write("c");
    await scanDone(m);
    let f = lastFrame()!;
    expect(f).toMatch(/Address A:Port\s+Address B:Port\s+A←B Frames\s+Bytes\s+A→B Frames\s+Bytes\s+Frames\s+Bytes\s+Rel Start\s+Duration/);
    // tshark -z conv,tcp: 10.202.0.1:50206 <-> 10.202.0.2:80  10 5614 bytes  11 1365 bytes  21 6979 bytes  0.000000000  0.1251
    expect(f).toMatch(/10\.202\.0\.1:50206\s+10\.202\.0\.2:80\s+10\s+5614\s+11\s+1365\s+21\s+6979\s+0\.000000000\s+0\.1251/);
    expect(f).toMatch(/10\.202\.0\.1:46466\s+10\.202\.0\.2:8080\s+4\s+521\s+6\s+514\s+10\s+1035\s+0\.123078000\s+0\.0387/);
    stdin.write("\t");
    await tick();
    expect(m.statsTab).toBe("udp");
    expect(lastFrame()).not.toMatch(/10\.202\.0\.1:50206/);
    stdin.write("\t");
    await tick();
    f = lastFrame()!;
    expect(f).toMatch(/^eth\s+41\s+9049$/m);
    expect(f).toMatch(/^ {2}ip\s+41\s+9049$/m);
    expect(f).toMatch(/^ {4}tcp\s+41\s+9049$/m);
    for (const _ of ["eth", "ip", "ipv6", "tcp"]) stdin.write("\t"); // round to TCP
    await tick();
    expect(m.statsTab).toBe("tcp");
    stdin.write("j");
    await tick();
    stdin.write("\r"); // follow the second conversation
    await scanDone(m);
    expect(m.view).toBe("stream");
    expect(lastFrame()).toContain("Follow TCP 10.202.0.1:46466 ⇄ 10.202.0.2:8080");
    stdin.write("q"); // back to the table it was opened from
    await tick();
    expect(m.view).toBe("stats");
    stdin.write("q");
    await tick();
    expect(m.view).toBe("packets");
    stdin.write("H");
    await tick();
    expect(m.view).toBe("stats");
    expect(m.statsTab).toBe("phs");
  });
});

describe("mouse", () => {
  it("parses SGR wheel and click reports, and nothing else", () => {
    expect(parseMouse("[<65;10;5M")).toMatchObject({ kind: "wheel", wheel: 1, x: 9, y: 4 });
    expect(parseMouse("\x1b[<64;1;1M")).toMatchObject({ kind: "wheel", wheel: -1 });
    expect(parseMouse("[<69;1;1M")).toMatchObject({ kind: "wheel", wheel: 1 }); // with Shift
    expect(parseMouse("[<0;3;7M")).toMatchObject({ kind: "press", button: 0, x: 2, y: 6 });
    expect(parseMouse("[<0;3;7m")).toMatchObject({ kind: "release" });
    expect(parseMouse("j")).toBeNull();
    expect(parseMouse("[A")).toBeNull();
  });

  it("the wheel scrolls the list and the stream; a click selects the row under it", async () => {
    const { index, pf } = await load(HTTP);
    cleanups.push(() => pf.close());
    const m = new Model(new CaptureRows(index, pf));
    cleanups.push(() => m.dispose()); // (before the file closes: a filter pass left running reads no closed file)
    m.indexDone();
    m.moveTo(0, false);
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 140, height: 40 }));
    cleanups.push(unmount);
    await tick();
    stdin.write("\x1b[<65;20;10M");
    await tick();
    stdin.write("\x1b[<65;20;10M");
    await tick();
    expect(m.selected).toBe(6);
    expect(lastFrame()).toContain("▸ Frame 7:");
    stdin.write("\x1b[<64;20;10M");
    await tick();
    expect(m.selected).toBe(3);
    stdin.write("\x1b[<0;20;3M"); // row 3 of the screen: the list's second packet
    await tick();
    expect(m.selected).toBe(1);
    expect(lastFrame()).toContain("▸ Frame 2:");
    expect(m.prompt).toBeNull(); // none of the report's characters was taken as a key
    expect(m.help).toBe(false);
    stdin.write("s");
    await scanDone(m);
    const before = m.streamTop;
    stdin.write("\x1b[<65;20;10M");
    await tick();
    expect(m.streamTop).toBe(before + 3);
  });
});
