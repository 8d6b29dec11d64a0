/**
 * Bounds on a record's size (issue 11, item 4) and a pcapng file without interfaces (item 6): a record
 * header or block length that claims more than libpcap allows is damage at its offset, reported after every
 * packet before it, without buffering the claimed bytes (memory stays small even when the bytes are there,
 * from a file or a pipe). Compared with tcpdump on the same files: the same packets, the same exit status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has, TSNIFF, tsniff } from "../helpers/run.js";
import { makePcapHeader } from "../../src/capture/pcap-format.js";
import { epb, idb, shb } from "../../src/capture/pcapng-writer-format.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bounds-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An Ethernet/IPv4/UDP packet 10.0.0.1:1000 > 10.0.0.2:<port> with `extra` payload bytes. */
function udpPacket(port: number, extra = 0): Uint8Array {
  const b = new Uint8Array(42 + extra);
  const dv = new DataView(b.buffer);
  b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  b.set([0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  dv.setUint16(16, 28 + extra);
  dv.setUint16(34, 1000);
  dv.setUint16(36, port);
  dv.setUint16(38, 8 + extra);
  return b;
}

function recordHeader(sec: number, caplen: number, wirelen: number): Uint8Array {
  const h = new Uint8Array(16);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, sec, true);
  dv.setUint32(8, caplen >>> 0, true);
  dv.setUint32(12, wirelen >>> 0, true);
  return h;
}

function record(sec: number, p: Uint8Array): Uint8Array {
  return Buffer.concat([recordHeader(sec, p.length, p.length), p]);
}

/** Writes `head` and makes the file `total` bytes long (sparse: the claimed bytes cost no disk). */
function writeSparse(name: string, head: Uint8Array, total: number): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, head);
  if (total > head.length) fs.truncateSync(f, total);
  return f;
}

/** Lines that start with a timestamp: one per packet printed. */
const packetLines = (s: string) => s.split("\n").filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l));

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  /** peak RSS in KiB (from /usr/bin/time), or -1 when unavailable */
  rssKiB: number;
}

const hasTime = fs.existsSync("/usr/bin/time");

/**
 * Runs `prog args` with `feed` (a shell command) piped to its stdin, or with no stdin when feed is null,
 * measuring its peak RSS with /usr/bin/time. The status is the program's own (not the feeding side's EPIPE).
 */
function run(prog: string[], feed: string | null): Run {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const rss = path.join(dir, "rss");
  const st = path.join(dir, "status");
  fs.rmSync(rss, { force: true });
  const timed = hasTime ? `/usr/bin/time -o ${q(rss)} -f %M ` : "";
  const inner = `{ ${timed}${prog.map(q).join(" ")}${feed ? "" : " </dev/null"}; echo $? > ${q(st)}; }`;
  const r = spawnSync("bash", ["-c", feed ? `${feed} | ${inner}` : inner], {
    env: { ...process.env, TZ: "UTC" },
    timeout: 120_000,
    maxBuffer: 1 << 26,
  });
  const rssKiB = hasTime ? Number(fs.readFileSync(rss, "utf8").trim().split("\n").pop()) : -1;
  return { status: Number(fs.readFileSync(st, "utf8")), stdout: r.stdout.toString(), stderr: r.stderr.toString(), rssKiB };
}

const ours = (file: string) => [process.execPath, TSNIFF, "-nn", "-r", file];
const theirs = (file: string) => ["tcpdump", "-nn", "-r", file];
const RSS_BOUND_KIB = 300 * 1024;

/** Compares tsniff with tcpdump on one input (a file, or `feed` on stdin) and returns tsniff's run. */
function compare(file: string, feed: string | null, packets: number): Run {
  const a = run(ours(feed ? "-" : file), feed);
  expect(packetLines(a.stdout), a.stderr).toHaveLength(packets);
  expect(a.stderr).not.toMatch(/internal error|\n\s+at /);
  if (has("tcpdump")) {
    const b = run(theirs(feed ? "-" : file), feed);
    expect(packetLines(b.stdout)).toHaveLength(packets);
    expect(a.status, `tsniff: ${a.stderr}\ntcpdump: ${b.stderr}`).toBe(b.status);
  }
  if (a.rssKiB >= 0) expect(a.rssKiB, "peak RSS (KiB)").toBeLessThan(RSS_BOUND_KIB);
  return a;
}

describe("pcap: a record above libpcap's maximum is damage at its offset", { timeout: 240_000 }, () => {
  const good = [record(1, udpPacket(53)), record(2, udpPacket(54))];
  const head = (snaplen: number, claim: number) => Buffer.concat([makePcapHeader(1, snaplen, false), ...good, recordHeader(3, claim, claim)]);
  const damageAt = 24 + good[0].length + good[1].length;

  it("snaplen 2^31 and a 300 MB record (bytes present, file): two packets, one damage line with the offset, exit 1", () => {
    const f = writeSparse("claim300.pcap", head(2 ** 31, 300 << 20), damageAt + 16 + (300 << 20));
    const r = compare(f, null, 2);
    const lines = r.stderr.trim().split("\n").filter((l) => !/^reading from/.test(l));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`byte offset ${damageAt}\\b.*314572800.*262144`))]);
    // tcpdump's header line: a snapshot length of 2^31 means the link type's maximum.
    expect(r.stderr).toMatch(/snapshot length 262144/);
    expect(r.status).toBe(1);
  });

  it("snaplen 2^31 and a 4 GB claim (file): two packets, damage, exit 1", () => {
    const f = writeSparse("claim4g.pcap", head(2 ** 31, 0xfffffff0), damageAt + 16 + 64);
    const r = compare(f, null, 2);
    expect(r.stderr).toMatch(new RegExp(`byte offset ${damageAt}\\b.*4294967280`));
  });

  it("over stdin, a 300 MB and a 4 GB claim followed by 300 MB of bytes: the packets before, damage, small memory", () => {
    for (const [snaplen, claim] of [
      [2 ** 31, 300 << 20],
      [0xffffffff, 0xfffffff0],
    ]) {
      const f = writeSparse(`stdin-${claim}.pcap`, head(snaplen, claim), 0);
      const r = compare(f, `{ cat '${f}'; head -c 314572800 /dev/zero; } 2>/dev/null`, 2);
      expect(r.stderr).toMatch(new RegExp(`byte offset ${damageAt}\\b.*${claim >>> 0}`));
      expect(r.status).toBe(1);
    }
  });

  it("a record within the header's large snaplen but above 262144 on Ethernet is damage (as in libpcap)", () => {
    const big = record(3, udpPacket(55, 270000));
    const f = path.join(dir, "s300k.pcap");
    fs.writeFileSync(f, Buffer.concat([makePcapHeader(1, 300000, false), ...good, big, record(4, udpPacket(56))]));
    const r = compare(f, null, 2);
    expect(r.stderr).toMatch(new RegExp(`byte offset ${damageAt}\\b.*270042.*262144`));
  });

  it("D-Bus (231) allows records up to 128 MiB: a 2 MB record is read whole", () => {
    const p = new Uint8Array(2 << 20).fill(7);
    const f = path.join(dir, "dbus.pcap");
    fs.writeFileSync(f, Buffer.concat([makePcapHeader(231, 0, false), record(1, p), record(2, p.subarray(0, 100))]));
    const r = tsniff(["-r", f, "-c", "5", "-q"]);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stderr.toString()).toMatch(/snapshot length 134217728/);
    expect(r.stdout.toString().trim().split("\n")).toHaveLength(2);
  });
});

describe("pcapng: blocks above 16 MiB and packets above the link type's maximum", { timeout: 240_000 }, () => {
  const pkt = udpPacket(53);
  const blocks = [shb(), idb(1, 0), epb(0, false, 1, 0, pkt.length, pkt.length, pkt), epb(0, false, 2, 0, pkt.length, pkt.length, pkt)];
  const damageAt = blocks.reduce((n, b) => n + b.length, 0);
  const claimHead = (len: number) => {
    const h = new Uint8Array(8);
    new DataView(h.buffer).setUint32(0, 6, true);
    new DataView(h.buffer).setUint32(4, len >>> 0, true);
    return Buffer.concat([...blocks, h]);
  };

  it("a 20 MB block (bytes present) is refused like libpcap does (16 MiB), after the packets before it", () => {
    const big = udpPacket(54, 20 << 20);
    const f = path.join(dir, "big20m.pcapng");
    fs.writeFileSync(f, Buffer.concat([...blocks, epb(0, false, 3, 0, big.length, big.length, big), blocks[2]]));
    const r = compare(f, null, 2);
    expect(r.stderr).toMatch(new RegExp(`byte offset ${damageAt}\\b.*above the maximum of 16777216`));
  });

  it("a 300 MB and a 4 GB block claim, from a file and over stdin with the bytes following: damage, small memory", () => {
    for (const claim of [300 << 20, 0xfffffff0]) {
      const f = writeSparse(`claim-${claim}.pcapng`, claimHead(claim), damageAt + 64);
      compare(f, null, 2);
      const r = compare(f, `{ cat '${f}'; head -c 314572800 /dev/zero; } 2>/dev/null`, 2);
      expect(r.stderr).toMatch(new RegExp(`byte offset ${damageAt}\\b.*${claim >>> 0}`));
      expect(r.status).toBe(1);
    }
  });

  it("an EPB whose packet is above 262144 on Ethernet (block within 16 MiB) is damage", () => {
    const big = udpPacket(54, 1 << 20);
    const f = path.join(dir, "big1m.pcapng");
    fs.writeFileSync(f, Buffer.concat([...blocks, epb(0, false, 3, 0, big.length, big.length, big)]));
    const r = compare(f, null, 2);
    expect(r.stderr).toMatch(new RegExp(`byte offset ${damageAt}\\b.*captured length ${big.length}.*262144`));
  });

  it("a section header and no interface: tcpdump's message and exit status", () => {
    for (const [name, body] of [
      ["shb-only.pcapng", shb()],
      ["shb-only-comment.pcapng", shb({ comment: "nothing else" })],
    ] as const) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, body);
      const a = run(ours(f), null);
      expect(a.stdout).toBe("");
      expect(a.stderr.trim().split("\n")[0]).toMatch(/^tsniff: .*: the capture file has no Interface Description Blocks$/);
      expect(a.stderr).not.toMatch(/link-type/);
      expect(a.status).toBe(1);
      if (has("tcpdump")) {
        const b = run(theirs(f), null);
        expect(b.stderr).toMatch(/no Interface Description Blocks/);
        expect(a.status).toBe(b.status);
      }
    }
  });

  it("the first interface after 200 KB of other blocks: found at open (the header line's link type), or its absence reported", () => {
    const filler = () => {
      // a custom block (0xbad: private enterprise number, then data) of 100 KB
      const body = new Uint8Array(100_004).fill(0x78);
      const len = 12 + body.length;
      const b = new Uint8Array(len);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, 0xbad, true);
      dv.setUint32(4, len, true);
      b.set(body, 8);
      dv.setUint32(len - 4, len, true);
      return b;
    };
    const late = path.join(dir, "late-idb.pcapng");
    fs.writeFileSync(late, Buffer.concat([shb(), filler(), filler(), blocks[1], blocks[2]]));
    for (const feed of [null, `cat '${late}'`]) {
      const a = run(ours(feed ? "-" : late), feed);
      expect(a.stderr).toMatch(/link-type EN10MB \(Ethernet\)/);
      expect(packetLines(a.stdout)).toHaveLength(1);
      expect(a.status).toBe(0);
    }
    const none = path.join(dir, "no-idb-big.pcapng");
    fs.writeFileSync(none, Buffer.concat([shb(), filler(), filler()]));
    const b = run(ours(none), null);
    expect(b.stderr).toMatch(/has no Interface Description Blocks/);
    expect(b.status).toBe(1);
    if (has("tcpdump")) expect(run(theirs(none), null).status).toBe(1);
  });

  it("a packet block before any interface: libpcap's message at open, exit 1", () => {
    const f = path.join(dir, "packet-first.pcapng");
    fs.writeFileSync(f, Buffer.concat([shb(), blocks[2], blocks[1]]));
    const a = run(ours(f), null);
    expect(a.stderr).toMatch(/packet block before any Interface Description Blocks/);
    expect(a.status).toBe(1);
    if (has("tcpdump")) expect(run(theirs(f), null).status).toBe(a.status);
  });
});
