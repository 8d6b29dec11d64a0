/**
 * pcapng reading (PcapngParser through FileSource) and writing (pcapng-writer-format), checked against
 * tshark/editcap/mergecap/capinfos on the tcpdump corpus and on files made here.
 *
 * Known differences from tshark 4.0 (asserted below, not hidden):
 * - frame.interface_id is per section in tshark 4.0; our `iface` is global across sections.
 * - tshark computes (ts % units) * 1e9 in 64 bits, which overflows for resolutions finer than about
 *   2^-34 / 10^-10 s (and saturates above 2^64 units per second); we are exact (checked against BigInt).
 * - An SPB whose block holds less than min(original length, snaplen) is damage to tshark; we keep the
 *   bytes the block has (caplen = min(original length, snaplen, block space)).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBatch } from "../../src/capture/batch.js";
import { FileSource } from "../../src/capture/file-source.js";
import { FileDamage, parsePcapHeader } from "../../src/capture/pcap-format.js";
import { PcapngParser } from "../../src/capture/pcapng-format.js";
import { epb, epbSize, idb, shb, utf8Length, writeEpb } from "../../src/capture/pcapng-writer-format.js";
import type { SourceEnd } from "../../src/capture/source.js";

import { CORPUS } from "../helpers/paths.js";
/** Tests that run tshark and friends: generous, as other test files may be running beside them. */
const TOOL_TIMEOUT = 180000;
const corpusFiles = fs
  .readdirSync(CORPUS)
  .filter((f) => f.endsWith(".pcapng"))
  .sort();

let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-pcapng-"));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------
// helpers

interface Pkt {
  sec: number;
  nsec: number;
  caplen: number;
  wirelen: number;
  linktype: number;
  iface: number;
  bytes: Uint8Array;
}

interface Read {
  pkts: Pkt[];
  end: SourceEnd;
  info: FileSource["info"];
}

async function readOurs(file: string): Promise<Read> {
  const s = await FileSource.open(file);
  const pkts: Pkt[] = [];
  const end = await s.run((b) => {
    for (let i = 0; i < b.count; i++) {
      pkts.push({
        sec: b.tsSec[i],
        nsec: b.tsNsec[i],
        caplen: b.caplen[i],
        wirelen: b.wirelen[i],
        linktype: b.linktype[i],
        iface: b.iface[i],
        bytes: b.data.slice(b.offset[i], b.offset[i] + b.caplen[i]),
      });
    }
    return Infinity;
  });
  return { pkts, end, info: s.info };
}

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

async function runOk(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

interface TsharkPkt {
  sec: number;
  nsec: number;
  caplen: number;
  wirelen: number;
  rest: string[];
}

/** tshark's view of a file: one row per packet it printed, and the error it stopped with (if any). */
async function tshark(file: string, extra: string[] = []): Promise<{ pkts: TsharkPkt[]; error: string }> {
  const fields = ["frame.time_epoch", "frame.cap_len", "frame.len", ...extra];
  const r = await run("tshark", ["-r", file, "-T", "fields", ...fields.flatMap((f) => ["-e", f])]);
  const pkts = r.stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      const [t, cap, len, ...rest] = l.split("\t");
      const [s, frac = ""] = t.split(".");
      return { sec: Number(s), nsec: Number(frac.padEnd(9, "0").slice(0, 9)), caplen: Number(cap), wirelen: Number(len), rest };
    });
  const error = r.stderr
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("Running as user"))
    .join("\n");
  return { pkts, error };
}

/** Each frame's bytes (hex) from `tshark -x`; for frames with several data sources, the "Frame" one. */
async function tsharkBytes(file: string): Promise<string[]> {
  const out = await run("tshark", ["-r", file, "-x"]);
  const frames: string[] = [];
  for (const group of out.stdout.split(/\n\s*\n/)) {
    let hex = "";
    let take = true;
    let any = false;
    for (const line of group.split("\n")) {
      const label = /^(\S.*) \(\d+ bytes\):$/.exec(line);
      if (label) {
        take = label[1] === "Frame";
        continue;
      }
      const m = /^[0-9a-f]{4,}  ((?:[0-9a-f]{2} ){0,15}[0-9a-f]{2})/.exec(line);
      if (m && take) {
        hex += m[1].replace(/ /g, "");
        any = true;
      }
    }
    if (any) frames.push(hex);
  }
  return frames;
}

/** Packet-by-packet equality of our reading and tshark's (time to the nanosecond, both lengths). */
function expectSameAsTshark(ours: Read, t: { pkts: TsharkPkt[]; error: string }, file: string): void {
  expect(ours.pkts.length, `${file}: packet count (tshark: ${t.error || "no error"})`).toBe(t.pkts.length);
  for (let i = 0; i < t.pkts.length; i++) {
    const a = ours.pkts[i];
    const b = t.pkts[i];
    expect([a.sec, a.nsec, a.caplen, a.wirelen], `${file} packet ${i + 1}`).toEqual([b.sec, b.nsec, b.caplen, b.wirelen]);
  }
  if (t.error) {
    expect(ours.end.reason, `${file}: tshark stopped with ${t.error}`).toBe("error");
    expect(ours.end.error).toBeInstanceOf(FileDamage);
  } else {
    expect(ours.end.reason, `${file}: ${ours.end.error?.message}`).toBe("eof");
  }
}

/** A minimal independent pcapng block builder (either byte order) for files the writer cannot make. */
class Blocks {
  private parts: number[] = [];
  constructor(private le: boolean) {}
  static u32(le: boolean, v: number): number[] {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    return le ? b : b.reverse();
  }
  static u16(le: boolean, v: number): number[] {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    return le ? b : b.reverse();
  }
  private pad(b: number[]): number[] {
    while (b.length % 4) b.push(0);
    return b;
  }
  opt(code: number, value: number[]): number[] {
    return this.pad([...Blocks.u16(this.le, code), ...Blocks.u16(this.le, value.length), ...value]);
  }
  block(type: number, body: number[], le = this.le): this {
    const len = 12 + body.length;
    this.parts.push(...Blocks.u32(le, type), ...Blocks.u32(le, len), ...body, ...Blocks.u32(le, len));
    return this;
  }
  shb(major = 1, minor = 0): this {
    const le = this.le;
    return this.block(0x0a0d0d0a, [...Blocks.u32(le, 0x1a2b3c4d), ...Blocks.u16(le, major), ...Blocks.u16(le, minor), ...Array(8).fill(0xff)]);
  }
  idb(linktype: number, snaplen: number, opts: number[] = []): this {
    const le = this.le;
    const o = opts.length ? [...opts, 0, 0, 0, 0] : [];
    return this.block(1, [...Blocks.u16(le, linktype), 0, 0, ...Blocks.u32(le, snaplen), ...o]);
  }
  tsresol(v: number): number[] {
    return this.opt(9, [v]);
  }
  tsoffset(sec: bigint): number[] {
    const v = BigInt.asUintN(64, sec);
    const hi = Number(v >> 32n);
    const lo = Number(v & 0xffffffffn);
    return this.opt(14, this.le ? [...Blocks.u32(true, lo), ...Blocks.u32(true, hi)] : [...Blocks.u32(false, hi), ...Blocks.u32(false, lo)]);
  }
  epb(iface: number, ts: bigint, data: number[], cap = data.length, orig = data.length): this {
    const le = this.le;
    return this.block(6, [
      ...Blocks.u32(le, iface),
      ...Blocks.u32(le, Number(ts >> 32n)),
      ...Blocks.u32(le, Number(ts & 0xffffffffn)),
      ...Blocks.u32(le, cap),
      ...Blocks.u32(le, orig),
      ...this.pad([...data]),
    ]);
  }
  pb(iface: number, ts: bigint, data: number[]): this {
    const le = this.le;
    return this.block(2, [
      ...Blocks.u16(le, iface),
      ...Blocks.u16(le, 0),
      ...Blocks.u32(le, Number(ts >> 32n)),
      ...Blocks.u32(le, Number(ts & 0xffffffffn)),
      ...Blocks.u32(le, data.length),
      ...Blocks.u32(le, data.length),
      ...this.pad([...data]),
    ]);
  }
  spb(orig: number, data: number[]): this {
    return this.block(3, [...Blocks.u32(this.le, orig), ...this.pad([...data])]);
  }
  /** Switches the byte order for the blocks that follow (call before shb()). */
  order(le: boolean): this {
    this.le = le;
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const PAYLOAD = Array.from({ length: 60 }, (_, i) => i);

/** Parses a whole in-memory file the way FileSource does (a max-0 look at the head, then from 0). */
function parseAll(data: Uint8Array, max = Infinity): { parser: PcapngParser; pkts: Pkt[]; pos: number; damage?: FileDamage } {
  const parser = new PcapngParser();
  const batch = createBatch(4);
  batch.data = data;
  const pkts: Pkt[] = [];
  let pos = 0;
  let damage: FileDamage | undefined;
  try {
    parser.parse(data, 0, Math.min(data.length, 65536), batch, 0, 0, data.length <= 65536);
  } catch (e) {
    if (!(e instanceof FileDamage)) throw e;
    return { parser, pkts, pos, damage: e }; // FileSource.open refuses the file
  }
  expect(batch.count).toBe(0);
  for (;;) {
    batch.count = 0;
    let next = pos;
    try {
      next = parser.parse(data, pos, data.length, batch, max, 0, true);
    } catch (e) {
      if (!(e instanceof FileDamage)) throw e;
      damage = e;
    }
    for (let i = 0; i < batch.count; i++) {
      pkts.push({
        sec: batch.tsSec[i],
        nsec: batch.tsNsec[i],
        caplen: batch.caplen[i],
        wirelen: batch.wirelen[i],
        linktype: batch.linktype[i],
        iface: batch.iface[i],
        bytes: data.slice(batch.offset[i], batch.offset[i] + batch.caplen[i]),
      });
    }
    if (damage || batch.count === 0) return { parser, pkts, pos: next, damage };
    pos = next;
  }
}

function write(name: string, data: Uint8Array): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, data);
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// (a) the corpus

/** Corpus files whose packet bytes are compared with tshark's hex dump: several link types, 100+ packets. */
const BYTES_CHECKED = new Set(["OSPFv2_Capture_FINAL.pcapng", "of13_ericsson.pcapng", "vsock-1.pcapng", "hdlc_slarp.pcapng", "bgp-role.pcapng", "msnlb2.pcapng"]);

describe("tcpdump corpus pcapng files against tshark", { timeout: TOOL_TIMEOUT }, () => {
  it("has the 45 files", () => {
    expect(corpusFiles.length).toBe(45);
  });
  for (const f of corpusFiles) {
    it.concurrent(f, async () => {
      const file = path.join(CORPUS, f);
      const [ours, t] = await Promise.all([readOurs(file), tshark(file)]);
      expect(ours.info.kind).toBe("pcapng");
      expectSameAsTshark(ours, t, f);
      expect(ours.pkts.every((p) => p.iface === 0 && p.linktype === ours.info.linktype)).toBe(true);
      // The bytes the batch points at are the frame's bytes (checked on a few files, to spare the CPU).
      if (!BYTES_CHECKED.has(f)) return;
      const frames = await tsharkBytes(file);
      expect(frames.length).toBe(ours.pkts.length);
      frames.forEach((bytes, i) => expect(Buffer.from(ours.pkts[i].bytes).toString("hex"), `packet ${i + 1}`).toBe(bytes));
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// (b) files converted and merged by editcap/mergecap

describe("editcap/mergecap pcapng files against tshark", { timeout: TOOL_TIMEOUT }, () => {
  const sources = ["tcp-handshake-nano.pcap", "isup.pcap", "afs.pcap", "ieee802.11_exthdr.pcap", "babel_rtt.pcap", "dns-badcookie.pcap"];

  for (const src of sources) {
    it.concurrent(`editcap -F pcapng ${src}`, async () => {
      const out = path.join(tmp, `${src}.pcapng`);
      await runOk("editcap", ["-F", "pcapng", path.join(CORPUS, src), out]);
      const [ours, t] = await Promise.all([readOurs(out), tshark(out)]);
      expectSameAsTshark(ours, t, out);
      const h = parsePcapHeader(fs.readFileSync(path.join(CORPUS, src)).subarray(0, 24));
      expect(ours.info.linktype).toBe(h.linktype);
      expect(ours.info.nano).toBe(h.nano);
      expect(ours.pkts.every((p) => p.linktype === h.linktype)).toBe(true);
      // Same packets as the original pcap, read through the pcap path.
      const orig = await readOurs(path.join(CORPUS, src));
      expect(ours.pkts.map((p) => [p.sec, p.nsec, p.caplen, p.wirelen])).toEqual(orig.pkts.map((p) => [p.sec, p.nsec, p.caplen, p.wirelen]));
      expect(ours.pkts.map((p) => Buffer.from(p.bytes).toString("hex"))).toEqual(orig.pkts.map((p) => Buffer.from(p.bytes).toString("hex")));
    });
  }

  it.concurrent("mergecap of three link types and two resolutions gives one packet stream with the right interfaces", async () => {
    const inputs = ["tcp-handshake-nano.pcap", "isup.pcap", "ieee802.11_exthdr.pcap"].map((f) => path.join(CORPUS, f));
    const out = path.join(tmp, "merged.pcapng");
    await runOk("mergecap", ["-F", "pcapng", "-w", out, ...inputs]);
    const [ours, t] = await Promise.all([readOurs(out), tshark(out, ["frame.interface_id"])]);
    expectSameAsTshark(ours, t, out);
    ours.pkts.forEach((p, i) => expect(p.iface, `packet ${i + 1}`).toBe(Number(t.pkts[i].rest[0])));
    const wantTypes = inputs.map((f) => parsePcapHeader(fs.readFileSync(f).subarray(0, 24)).linktype);
    const types = new Set(ours.pkts.map((p) => p.linktype));
    expect([...types].sort()).toEqual([...new Set(wantTypes)].sort());
    // Each packet's link type is the one of the interface it names.
    const parsed = parseAll(fs.readFileSync(out));
    expect(parsed.parser.interfaces.length).toBe(3);
    for (const p of ours.pkts) expect(p.linktype).toBe(parsed.parser.interfaces[p.iface].linktype);
    expect(parsed.parser.interfaces.map((i) => i.nano).sort()).toEqual([false, false, true]);
  });

  it.concurrent("two files concatenated are two sections; interfaces are numbered across the file", async () => {
    const a = path.join(CORPUS, "bgp-role.pcapng"); // Linux cooked (113)
    const b = path.join(CORPUS, "vsock-1.pcapng"); // vsock (271), nanosecond
    const out = write("two-sections.pcapng", Buffer.concat([fs.readFileSync(a), fs.readFileSync(b)]));
    const [ours, t] = await Promise.all([readOurs(out), tshark(out, ["frame.interface_id"])]);
    expectSameAsTshark(ours, t, out);
    const na = (await readOurs(a)).pkts.length;
    ours.pkts.forEach((p, i) => {
      // tshark 4.0 shows the in-section interface id; ours is global (section 2's interface 0 is 1).
      expect(Number(t.pkts[i].rest[0])).toBe(0);
      expect(p.iface).toBe(i < na ? 0 : 1);
      expect(p.linktype).toBe(i < na ? 113 : 271);
    });
  });

  it.concurrent("a big file (several read chunks) written by our writer reads back whole", async () => {
    // 25000 packets of 300..1200 bytes: about 19 MB, so blocks cross FileSource's 4 MiB chunk ends.
    const parts: Uint8Array[] = [shb(), idb(1, 65535, { tsresolNano: true })];
    const bytes = new Uint8Array(1500).map((_, i) => i & 0xff);
    const out = new Uint8Array(26000 * 1300);
    let pos = 0;
    const n = 25000;
    for (let i = 0; i < n; i++) {
      const cap = 300 + ((i * 37) % 900);
      pos = writeEpb(out, pos, 0, true, 1700000000 + i, (i * 7919) % 1e9, cap, cap + (i % 3), bytes);
    }
    parts.push(out.subarray(0, pos));
    const file = write("big.pcapng", Buffer.concat(parts));
    const [ours, t] = await Promise.all([readOurs(file), tshark(file)]);
    expect(ours.pkts.length).toBe(n);
    expectSameAsTshark(ours, t, file);
    ours.pkts.forEach((p, i) => {
      if (p.sec !== 1700000000 + i || p.nsec !== (i * 7919) % 1e9 || p.bytes[299] !== 299 % 256) throw new Error(`packet ${i}`);
    });
  }, TOOL_TIMEOUT);
});

// ---------------------------------------------------------------------------------------------------------
// (c) the writer

describe("pcapng writer", { timeout: TOOL_TIMEOUT }, () => {
  it.concurrent("writes a file tshark and capinfos read, and our parser reads it back identically", async () => {
    const eth = await readOurs(path.join(CORPUS, "isup.pcap"));
    const sll = await readOurs(path.join(CORPUS, "tcp-handshake-nano.pcap"));
    const packets = [
      { iface: 0, nano: false, p: eth.pkts[0], comment: "first packet" },
      { iface: 1, nano: true, p: sll.pkts[0], comment: undefined },
      { iface: 0, nano: false, p: eth.pkts[1], comment: "ünïcödé ☃ 🐟" },
      { iface: 1, nano: true, p: sll.pkts[1], comment: "x" },
      // Seconds past 2^32 and a nanosecond count whose 64-bit timestamp is above 2^53.
      { iface: 1, nano: true, p: { ...sll.pkts[2], sec: 4294967296 + 12345, nsec: 999999999 }, comment: undefined },
      { iface: 0, nano: false, p: { ...eth.pkts[2], caplen: 10 }, comment: undefined },
    ];
    const parts: Uint8Array[] = [
      shb({ comment: "made by the tsniff tests" }),
      idb(eth.info.linktype, 262144, { name: "eth0", description: "wired" }),
      idb(sll.info.linktype, 65535, { name: "any", tsresolNano: true }),
    ];
    for (const { iface, nano, p, comment } of packets) parts.push(epb(iface, nano, p.sec, p.nsec, p.caplen, p.wirelen, p.bytes, comment));
    const file = write("written.pcapng", Buffer.concat(parts));

    const t = await tshark(file, ["frame.interface_id", "frame.comment", "frame.interface_name", "frame.encap_type"]);
    expect(t.error).toBe("");
    expect(t.pkts.length).toBe(packets.length);
    packets.forEach(({ iface, nano, p, comment }, i) => {
      const row = t.pkts[i];
      expect([row.sec, row.nsec, row.caplen, row.wirelen]).toEqual([p.sec, nano ? p.nsec : Math.floor(p.nsec / 1000) * 1000, p.caplen, p.wirelen]);
      expect(row.rest[0]).toBe(String(iface));
      expect(row.rest[1]).toBe(comment ?? "");
      expect(row.rest[2]).toBe(iface === 0 ? "eth0" : "any");
      expect(row.rest[3]).toBe(iface === 0 ? "1" : "25"); // Wireshark's encapsulation numbers: Ethernet, Linux SLL
    });

    const info = await runOk("capinfos", [file]);
    expect(info).toMatch(/Number of packets:\s+6\b/);
    expect(info).toMatch(/Number of interfaces in file: 2/);
    expect(info).toMatch(/Encapsulation = Ethernet \(1 - ether\)/);
    expect(info).toMatch(/Encapsulation = Linux cooked-mode capture v1 \(25 - linux-sll\)/);
    expect(info).toMatch(/Capture comment:\s+made by the tsniff tests/);
    expect(info).toMatch(/Capture application:\s+tsniff/);
    expect(info).toMatch(/Time precision = nanoseconds \(9\)/);

    const ours = await readOurs(file);
    expect(ours.end.reason).toBe("eof");
    expect(ours.info).toMatchObject({ kind: "pcapng", linktype: 1, snaplen: 262144, nano: false });
    expect(ours.pkts.length).toBe(packets.length);
    packets.forEach(({ iface, nano, p }, i) => {
      const q = ours.pkts[i];
      expect([q.sec, q.nsec, q.caplen, q.wirelen, q.iface, q.linktype]).toEqual([
        p.sec,
        nano ? p.nsec : Math.floor(p.nsec / 1000) * 1000,
        p.caplen,
        p.wirelen,
        iface,
        iface === 0 ? eth.info.linktype : sll.info.linktype,
      ]);
      expect(Array.from(q.bytes)).toEqual(Array.from(p.bytes.subarray(0, p.caplen)));
    });
    const parsed = parseAll(fs.readFileSync(file));
    expect(parsed.parser.sections).toHaveLength(1);
    expect(parsed.parser.sections[0]).toMatchObject({ userappl: "tsniff", comment: "made by the tsniff tests", littleEndian: true });
    expect(parsed.parser.interfaces.map((i) => [i.name, i.description, i.linktype, i.snaplen, i.tsresol])).toEqual([
      ["eth0", "wired", 1, 262144, 6],
      ["any", "", 113, 65535, 9],
    ]);
  });

  it("writeEpb writes exactly epbSize bytes, padded with zeros", () => {
    const bytes = new Uint8Array(64).fill(0xab);
    for (const cap of [0, 1, 2, 3, 4, 5, 63, 64]) {
      for (const comment of [undefined, "", "a", "ab", "abc", "abcd", "é", "🐟🐟"]) {
        const size = epbSize(cap, comment);
        const out = new Uint8Array(size + 8).fill(0xee);
        const end = writeEpb(out, 4, 3, false, 1, 2000, cap, 100, bytes, comment);
        expect(end).toBe(4 + size);
        expect(size % 4).toBe(0);
        expect(out[3]).toBe(0xee);
        expect(out[end]).toBe(0xee);
        // Packet padding is zero.
        for (let i = 4 + 28 + cap; i < 4 + 28 + ((cap + 3) & ~3); i++) expect(out[i]).toBe(0);
      }
    }
    // A comment longer than an option can hold is cut at a character boundary below 65536 bytes.
    const long = "é".repeat(40000);
    expect(utf8Length(long, 0xffff)).toBe(65534);
    const rec = epb(0, false, 0, 0, 0, 0, bytes, long);
    expect(rec.length).toBe(epbSize(0, long));
    const f = new Blocks(true).shb().idb(1, 0).bytes();
    const parsed = parseAll(Buffer.concat([f, rec]));
    expect(parsed.damage).toBeUndefined();
    expect(parsed.pkts).toHaveLength(1);
  });

  it("timestamps near the limits round-trip exactly (microseconds and nanoseconds)", () => {
    const bytes = new Uint8Array(4);
    const cases: [number, number][] = [
      [0, 0],
      [0, 999999999],
      [1, 1],
      [4294967295, 999999999],
      [4294967296, 0],
      [18446744073, 709551615], // 2^64 - 1 ns
      [1700000000, 123456789],
      [9007199254, 740991999],
    ];
    for (const nano of [false, true]) {
      const parts: Uint8Array[] = [shb(), idb(1, 0, { tsresolNano: nano })];
      for (const [s, ns] of cases) parts.push(epb(0, nano, s, ns, 4, 4, bytes));
      const r = parseAll(Buffer.concat(parts));
      expect(r.damage).toBeUndefined();
      expect(r.pkts.map((p) => [p.sec, p.nsec])).toEqual(cases.map(([s, ns]) => [s, nano ? ns : Math.floor(ns / 1000) * 1000]));
      // And the raw 64-bit value written is sec * units + frac.
      const units = nano ? 1000000000n : 1000000n;
      const all = Buffer.concat(parts);
      let p = parts[0].length + parts[1].length;
      for (const [s, ns] of cases) {
        const v = (BigInt(all.readUInt32LE(p + 12)) << 32n) | BigInt(all.readUInt32LE(p + 16));
        expect(v).toBe(BigInt(s) * units + BigInt(nano ? ns : Math.floor(ns / 1000)));
        p += all.readUInt32LE(p + 4);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Crafted files: byte orders, block kinds, options, damage

describe("crafted pcapng files", { timeout: TOOL_TIMEOUT }, () => {
  it.concurrent("big-endian section with EPB and obsolete PB, then a little-endian section, agree with tshark", async () => {
    const f = new Blocks(false)
      .shb()
      .idb(1, 0)
      .idb(101, 0, new Blocks(false).tsresol(9))
      .epb(0, 1700000000123456n, PAYLOAD)
      .pb(1, 1700000000123456789n, PAYLOAD.slice(0, 21))
      .order(true)
      .shb()
      .idb(113, 0, new Blocks(true).tsresol(3))
      .epb(0, 1700000000123n, PAYLOAD.slice(0, 3), 3, 90)
      .bytes();
    const file = write("be-then-le.pcapng", f);
    const [ours, t] = await Promise.all([readOurs(file), tshark(file)]);
    expectSameAsTshark(ours, t, file);
    expect(ours.pkts.map((p) => [p.iface, p.linktype, p.caplen, p.wirelen])).toEqual([
      [0, 1, 60, 60],
      [1, 101, 21, 21],
      [2, 113, 3, 90],
    ]);
    expect(Array.from(ours.pkts[1].bytes)).toEqual(PAYLOAD.slice(0, 21));
    const parsed = parseAll(f);
    expect(parsed.parser.sections.map((s) => s.littleEndian)).toEqual([false, true]);
    expect(parsed.parser.interfaces.map((i) => [i.section, i.localId])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it.concurrent("if_tsoffset (positive and negative) and power-of-2 resolutions agree with tshark", async () => {
    const b = new Blocks(true);
    const f = b
      .shb()
      .idb(1, 0, b.tsoffset(1000n))
      .idb(1, 0, [...b.tsoffset(-1000n), ...b.tsresol(0x8a)])
      .idb(1, 0, b.tsresol(0x80 | 20))
      .idb(1, 0, b.tsresol(0x80 | 32))
      .idb(1, 0, b.tsresol(0))
      .epb(0, 5000007n, PAYLOAD)
      .epb(1, 5000n * 1024n + 1023n, PAYLOAD)
      .epb(2, (1700000000n << 20n) + 12345n, PAYLOAD)
      .epb(3, (1700000000n << 32n) + 0xffffffffn, PAYLOAD)
      .epb(4, 1700000000n, PAYLOAD)
      .bytes();
    const file = write("tsoffset.pcapng", f);
    const [ours, t] = await Promise.all([readOurs(file), tshark(file)]);
    expectSameAsTshark(ours, t, file);
    expect(ours.pkts.map((p) => [p.sec, p.nsec])).toEqual([
      [1005, 7000],
      [4000, 999023437],
      [1700000000, 11773109], // floor(12345e9 / 2^20)
      [1700000000, 999999999],
      [1700000000, 0],
    ]);
  });

  it("converts every resolution exactly (against BigInt), including ones tshark 4.0 gets wrong", async () => {
    const rnd = mulberry32(7);
    const resolutions = [...Array.from({ length: 32 }, (_, k) => k), 40, 64, 127, ...[0, 1, 9, 10, 20, 30, 31, 32, 33, 40, 52, 63, 64, 65, 100, 127].map((p) => 0x80 | p)];
    for (const r of resolutions) {
      const b = new Blocks(true).shb().idb(1, 0, new Blocks(true).tsresol(r));
      const tss: bigint[] = [0n, 1n, 0xffffffffn, 0x100000000n, (1n << 64n) - 1n, (1n << 53n) - 1n, 1n << 53n];
      for (let i = 0; i < 200; i++) {
        const hi = BigInt(Math.floor(rnd() * 2 ** 32)) >> BigInt(Math.floor(rnd() * 33));
        tss.push((hi << 32n) | BigInt(Math.floor(rnd() * 2 ** 32)));
      }
      for (const ts of tss) b.epb(0, ts, [1, 2, 3, 4]);
      const { pkts, damage } = parseAll(b.bytes());
      expect(damage).toBeUndefined();
      const units = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
      tss.forEach((ts, i) => {
        const want = [Number(ts / units), Number(((ts % units) * 1000000000n) / units)];
        if (pkts[i].sec !== want[0] || pkts[i].nsec !== want[1]) {
          throw new Error(`tsresol 0x${r.toString(16)} ts ${ts}: got ${pkts[i].sec}.${pkts[i].nsec}, want ${want[0]}.${want[1]}`);
        }
      });
    }
    // tshark 4.0 overflows on fine resolutions; document one case of each kind.
    const b = new Blocks(true);
    const file = write(
      "fine.pcapng",
      b
        .shb()
        .idb(1, 0, b.tsresol(0x80 | 40))
        .idb(1, 0, b.tsresol(12))
        .epb(0, (3n << 40n) + (1n << 40n) - 1n, PAYLOAD)
        .epb(1, 17000000n * 10n ** 12n + 999999999999n, PAYLOAD)
        .bytes(),
    );
    const [ours, t] = await Promise.all([readOurs(file), tshark(file)]);
    expect(ours.pkts.map((p) => [p.sec, p.nsec])).toEqual([
      [3, 999999999],
      [17000000, 999999999],
    ]);
    expect(t.pkts.map((p) => [p.sec, p.nsec])).toEqual([
      [3, 10144255],
      [17000000, 3875820],
    ]);
  });

  it.concurrent("simple packet blocks: caplen is min(original length, snaplen, block)", async () => {
    const b = new Blocks(true);
    const good = b
      .shb()
      .idb(1, 40)
      .spb(60, PAYLOAD.slice(0, 40))
      .spb(30, PAYLOAD.slice(0, 30))
      .bytes();
    const file = write("spb.pcapng", good);
    const [ours, t] = await Promise.all([readOurs(file), tshark(file)]);
    expectSameAsTshark(ours, t, file); // no timestamps: both give 0
    expect(ours.pkts.map((p) => [p.caplen, p.wirelen, p.sec, p.nsec])).toEqual([
      [40, 60, 0, 0],
      [30, 30, 0, 0],
    ]);
    // A block shorter than min(original length, snaplen): tshark calls it damage, we keep what is there.
    const short = new Blocks(true).shb().idb(1, 0).spb(100, PAYLOAD).bytes();
    const r = parseAll(short);
    expect(r.damage).toBeUndefined();
    expect(r.pkts.map((p) => [p.caplen, p.wirelen])).toEqual([[60, 100]]);
    const ts = await tshark(write("spb-short.pcapng", short));
    expect(ts.error).toMatch(/too small for 100 bytes/);
  });

  it("skips NRB, ISB, DSB, custom and unknown blocks, keeping ISB counters and NRB names", () => {
    const b = new Blocks(true);
    const u32 = (v: number) => Blocks.u32(true, v);
    const u64 = (v: number) => [...u32(v), ...u32(0)];
    const nrb = [
      ...Blocks.u16(true, 1),
      ...Blocks.u16(true, 4 + 12),
      192, 0, 2, 1,
      ...Buffer.from("a.example\0b\0"),
      ...Blocks.u16(true, 2),
      ...Blocks.u16(true, 16 + 6),
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
      ...Buffer.from("six\0\0\0"),
      0, 0, // padding to 4
      0, 0, 0, 0, // nrb_record_end
    ];
    const f = b
      .shb()
      .idb(1, 0)
      .block(4, nrb)
      .epb(0, 1n, PAYLOAD)
      .block(5, [...u32(0), ...u32(0), ...u32(5), ...b.opt(4, u64(1234)), ...b.opt(5, u64(7)), 0, 0, 0, 0])
      .block(10, [...u32(0x544c534b), ...u32(4), 1, 2, 3, 4]) // DSB
      .block(0xbad, [...u32(32473), 9, 9, 9, 9])
      .block(0x40000bad, [...u32(32473)])
      .block(0x12345678, [1, 2, 3, 4, 5, 6, 7, 8])
      .epb(0, 2n, PAYLOAD)
      .bytes();
    const r = parseAll(f);
    expect(r.damage).toBeUndefined();
    expect(r.pkts).toHaveLength(2);
    expect(r.parser.interfaces[0].stats).toEqual({ ifRecv: 1234, ifDrop: 7 });
    expect(r.parser.names).toEqual([
      { address: "192.0.2.1", names: ["a.example", "b"] },
      { address: "2001:db8:0:0:0:0:0:1", names: ["six"] },
    ]);
  });

  it("with max 0 reads the section and interfaces and stops before the first packet; re-parsing from 0 restarts", () => {
    const f = new Blocks(true).shb().idb(113, 1234, new Blocks(true).tsresol(9)).idb(1, 0).epb(1, 5n, PAYLOAD).idb(105, 0).bytes();
    const p = new PcapngParser();
    const batch = createBatch(1);
    const stopAt = p.parse(f, 0, f.length, batch, 0, 0, true);
    expect(batch.count).toBe(0);
    expect(new DataView(f.buffer).getUint32(stopAt, true)).toBe(6); // the EPB
    expect([p.linktype, p.snaplen, p.nano, p.interfaces.length]).toEqual([113, 1234, true, 2]);
    expect(p.parse(f, 0, f.length, batch, 10, 0, true)).toBe(f.length);
    expect(batch.count).toBe(1);
    expect([batch.iface[0], batch.linktype[0]]).toEqual([1, 1]);
    expect(p.interfaces.length).toBe(3);
    expect(p.sections.length).toBe(1);
    // max 1 stops right after one packet, before the next packet block.
    batch.count = 0;
    const two = new Blocks(true).shb().idb(1, 0).epb(0, 1n, PAYLOAD).epb(0, 2n, PAYLOAD).bytes();
    const at = p.parse(two, 0, two.length, batch, 1, 0, true);
    expect(batch.count).toBe(1);
    expect(p.parse(two, at, two.length, batch, 1, 0, true)).toBe(two.length);
    expect(batch.count).toBe(2);
    expect(p.interfaces.length).toBe(1);
  });

  describe("damage is a FileDamage at the bad block, after the good packets", () => {
    const le = (ok: (b: Blocks) => Blocks) => ok(new Blocks(true).shb().idb(1, 0).epb(0, 1n, PAYLOAD));
    const epbLen = 12 + 20 + 60;
    const badOffset = 28 + 20 + epbLen; // SHB, IDB, good EPB
    const cases: [string, Uint8Array, RegExp, boolean][] = [
      ["length not a multiple of 4", le((b) => b.block(6, [0, 0, 0])).bytes(), /multiple of 4/, true],
      ["trailer differs", withTrailer(le((b) => b.epb(0, 2n, PAYLOAD)).bytes(), 44), /differs from the trailer/, true],
      ["caplen past the block", le((b) => b.epb(0, 2n, PAYLOAD, 100)).bytes(), /captured length 100/, true],
      ["undeclared interface", le((b) => b.epb(1, 2n, PAYLOAD)).bytes(), /interface 1 is not declared/, true],
      ["option past the block", le((b) => b.block(1, [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 100, 0])).bytes(), /runs past the block/, true],
      ["SHB major version 2", le((b) => b.shb(2, 0)).bytes(), /unsupported version 2\.0/, true],
      ["EPB below its minimum length", le((b) => b.block(6, [0, 0, 0, 0])).bytes(), /below its minimum/, true],
      ["block length above 128 MiB", withLength(le((b) => b.epb(0, 2n, PAYLOAD)).bytes(), badOffset, 0x10000000), /above/, false],
      ["block length below 12", withLength(le((b) => b.epb(0, 2n, PAYLOAD)).bytes(), badOffset, 8), /below 12/, false],
    ];
    for (const [name, f, msg, tsharkErrors] of cases) {
      it.concurrent(name, async () => {
        const file = write(`damage-${name.replace(/\W+/g, "-")}.pcapng`, f);
        const [ours, t] = await Promise.all([readOurs(file), tshark(file)]);
        expect(ours.pkts).toHaveLength(1);
        expect(ours.end.reason).toBe("error");
        expect(ours.end.error).toBeInstanceOf(FileDamage);
        expect(ours.end.error!.message).toMatch(msg);
        expect((ours.end.error as FileDamage).byteOffset).toBe(badOffset);
        // tshark keeps the same good packet and stops with an error (for a huge length it reports a short read).
        expect(t.pkts).toHaveLength(1);
        if (tsharkErrors) expect(t.error).not.toBe("");
      });
    }

    it("a first block that is not a section header", () => {
      const f = new Blocks(true).idb(1, 0).epb(0, 1n, PAYLOAD).bytes();
      expect(() => new PcapngParser().parse(f, 0, f.length, createBatch(), 10, 0, true)).toThrow(FileDamage);
    });

    it("a bad byte-order magic", () => {
      const f = new Blocks(true).shb().idb(1, 0).bytes();
      f[8] = 0x55;
      expect(() => new PcapngParser().parse(f, 0, f.length, createBatch(), 10, 0, true)).toThrow(/byte-order magic/);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// (d) truncations and byte flips

/** File offsets where blocks end (a little-endian, single-section file). */
function blockEnds(f: Uint8Array): { ends: number[]; packetEnds: number[] } {
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const ends: number[] = [];
  const packetEnds: number[] = [];
  for (let p = 0; p + 8 <= f.length; ) {
    const type = dv.getUint32(p, true);
    p += dv.getUint32(p + 4, true);
    ends.push(p);
    if (type === 6 || type === 3 || type === 2) packetEnds.push(p);
  }
  return { ends, packetEnds };
}

describe("truncated and corrupted files", { timeout: TOOL_TIMEOUT }, () => {
  it("every prefix of a corpus file through FileSource: packets then FileDamage, or a clean end", async () => {
    const f = fs.readFileSync(path.join(CORPUS, "msnlb2.pcapng")); // 188 bytes, 2 packets
    const { ends, packetEnds } = blockEnds(f);
    for (let len = 0; len <= f.length; len++) {
      const file = write("prefix.pcapng", f.subarray(0, len));
      let r: Read;
      try {
        r = await readOurs(file);
      } catch (e) {
        // Too short to be recognised as pcapng at all, or (as libpcap says) whole blocks but no interface.
        if (len >= 4) expect(ends.indexOf(len), `prefix ${len}: ${(e as Error).message}`).toBe(0);
        expect((e as { code?: string }).code).toBe("EFORMAT");
        continue;
      }
      expect(r.pkts.length, `prefix ${len}`).toBe(packetEnds.filter((e) => e <= len).length);
      if (ends.includes(len)) expect(r.end.reason, `prefix ${len}`).toBe("eof");
      else {
        expect(r.end.reason, `prefix ${len}`).toBe("error");
        expect(r.end.error).toBeInstanceOf(FileDamage);
      }
    }
  }, TOOL_TIMEOUT);

  it("every prefix of the first 2 KB of a bigger file, parsed in memory with every split point", () => {
    const whole = fs.readFileSync(path.join(CORPUS, "nhrp.pcapng"));
    const f = whole.subarray(0, 2048);
    const { packetEnds } = blockEnds(whole);
    for (let len = 0; len <= f.length; len++) {
      const data = f.subarray(0, len);
      const r = parseAll(data);
      expect(r.damage, `prefix ${len}`).toBeUndefined();
      expect(r.pkts.length).toBe(packetEnds.filter((e) => e <= len).length);
      expect(r.pos).toBeLessThanOrEqual(len);
    }
    // Feeding the file in two pieces (as the chunked reader does) gives the same packets.
    const all = parseAll(f).pkts;
    for (let split = 0; split <= f.length; split += 3) {
      const p = new PcapngParser();
      const b = createBatch(2);
      const at = p.parse(f, 0, split, b, Infinity, 0, false);
      p.parse(f, at, f.length, b, Infinity, 0, true);
      expect(b.count).toBe(all.length);
      expect(Array.from(b.tsNsec.subarray(0, b.count))).toEqual(all.map((x) => x.nsec));
    }
  });

  it("byte flips anywhere in the first 1 KB give packets then at most a FileDamage, never a hang or another error", () => {
    const files = ["nhrp.pcapng", "dhcp-option-108.pcapng", "vsock-1.pcapng"].map((f) => fs.readFileSync(path.join(CORPUS, f)));
    files.push(Buffer.from(new Blocks(false).shb().idb(1, 0).epb(0, 1n, PAYLOAD).pb(0, 2n, PAYLOAD).spb(60, PAYLOAD).bytes()));
    let damaged = 0;
    for (const f of files) {
      for (let i = 0; i < Math.min(f.length, 1024); i++) {
        for (const x of [0x01, 0x80, 0xff, 0x10]) {
          const g = Uint8Array.from(f);
          g[i] ^= x;
          const r = parseAll(g, 3);
          if (r.damage) damaged++;
          for (const p of r.pkts) {
            expect(Number.isFinite(p.sec) && p.nsec < 1e9).toBe(true);
            expect(p.bytes.length).toBe(p.caplen);
          }
        }
      }
    }
    expect(damaged).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Hot paths: no allocation per packet

/** Bytes allocated while fn runs (sampled every 512 bytes, garbage included). */
async function allocatedBy(fn: () => void): Promise<number> {
  const s = new Session();
  s.connect();
  try {
    await s.post("HeapProfiler.enable");
    await s.post("HeapProfiler.startSampling", {
      samplingInterval: 512,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    });
    fn();
    const { profile } = await s.post("HeapProfiler.stopSampling");
    let total = 0;
    const walk = (n: { selfSize: number; children: (typeof n)[] }): void => {
      total += n.selfSize;
      n.children.forEach(walk);
    };
    walk(profile.head);
    return total;
  } finally {
    s.disconnect();
  }
}

describe("allocation", () => {
  it("parsing packets and writing them allocate nothing per packet", async () => {
    // Four interfaces covering the timestamp paths (10^-6, 10^-9, 2^-20, 10^-12) and all three packet blocks.
    const n = 200000;
    const b = new Blocks(true);
    b.shb().idb(1, 0).idb(1, 0, b.tsresol(9)).idb(1, 0, b.tsresol(0x80 | 20)).idb(1, 0, b.tsresol(12));
    const head = b.bytes();
    const pkts = [
      new Blocks(true).epb(0, 1700000000123456n, PAYLOAD.slice(0, 16)).bytes(),
      new Blocks(true).epb(1, 1700000000123456789n, PAYLOAD.slice(0, 16)).bytes(),
      new Blocks(true).epb(2, 1700000000n << 20n, PAYLOAD.slice(0, 16)).bytes(),
      new Blocks(true).epb(3, 17000000123456789012n, PAYLOAD.slice(0, 16)).bytes(),
      new Blocks(true).pb(0, 1700000000123456n, PAYLOAD.slice(0, 16)).bytes(),
      new Blocks(true).spb(16, PAYLOAD.slice(0, 16)).bytes(),
    ];
    const chunks: Uint8Array[] = [head];
    for (let i = 0; i < n; i++) chunks.push(pkts[i % pkts.length]);
    const file = Buffer.concat(chunks);
    const parser = new PcapngParser();
    const batch = createBatch(8192);
    batch.data = file;
    let total = 0;
    const parseAllOnce = () => {
      let at = 0;
      total = 0;
      for (;;) {
        batch.count = 0;
        at = parser.parse(file, at, file.length, batch, 8192, 0, true);
        if (batch.count === 0) break;
        total += batch.count;
      }
    };
    for (let i = 0; i < 8; i++) parseAllOnce(); // let the JIT settle
    const parsing = await allocatedBy(parseAllOnce);
    expect(total).toBe(n);
    // One heap number or view per packet would be 2.4 MB or more.
    expect(parsing).toBeLessThan(200000);

    const out = new Uint8Array(n * epbSize(16));
    const bytes = new Uint8Array(16);
    const writeAll = () => {
      let pos = 0;
      for (let i = 0; i < n; i++) pos = writeEpb(out, pos, i & 1, (i & 2) !== 0, 1700000000 + i, i * 997, 16, 20, bytes);
    };
    for (let i = 0; i < 8; i++) writeAll();
    expect(await allocatedBy(writeAll)).toBeLessThan(200000);
  }, TOOL_TIMEOUT);
});

function withTrailer(f: Uint8Array, v: number): Uint8Array {
  const g = Uint8Array.from(f);
  new DataView(g.buffer).setUint32(g.length - 4, v, true);
  return g;
}

function withLength(f: Uint8Array, at: number, v: number): Uint8Array {
  const g = Uint8Array.from(f);
  new DataView(g.buffer).setUint32(at + 4, v, true);
  return g;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
