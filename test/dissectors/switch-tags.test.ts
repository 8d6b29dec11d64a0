/**
 * Link types of switch CPU ports and InfiniBand: Marvell DSA/EDSA (284/285), Broadcom tags (281, and 282
 * prepended) and IP over InfiniBand (242). Oracles: a live tcpdump on the corpus captures and on variants made
 * from them (every value of every tag byte, every cut inside the link header), and tshark's ipoib.* fields (tshark
 * reads no switch-tag link type). Also tcpdump's "[Invalid header: ...]" lines for records whose caplen is 0 or
 * above their length, printed by the CLI without time or dissection.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writePcap } from "./app-common.js";
import { CORPUS, ROOT, exactTcpdumpDiffs, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpFlagDiffs } from "./net-common.js";

const FILES = ["ipoib.pcap", "dsa.pcap", "dsa-high-vid.pcap", "edsa.pcap", "edsa-high-vid.pcap", "brcm-tag.pcap", "brcm-tag-prepend.pcap"].map((f) => path.join(CORPUS, f));
const have = FILES.every((f) => fs.existsSync(f));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-switch-tags-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The first packet of a corpus capture and the capture's link type. */
async function firstPacket(name: string): Promise<{ data: Uint8Array; linktype: number }> {
  const { packets } = await readCapture(path.join(CORPUS, name));
  return { data: packets[0].data, linktype: packets[0].linktype };
}

/** A capture of `base` with every value of each byte at `offsets` (after `set` is applied to the base). */
function variants(file: string, base: Uint8Array, linktype: number, offsets: number[], set: Record<number, number> = {}): string {
  const b0 = Uint8Array.from(base);
  for (const [o, v] of Object.entries(set)) b0[Number(o)] = v;
  const frames: Uint8Array[] = [];
  for (const o of offsets)
    for (let v = 0; v < 256; v++) {
      const f = Uint8Array.from(b0);
      f[o] = v;
      frames.push(f);
    }
  writePcap(file, frames, undefined, linktype);
  return file;
}

/** A capture of `base` cut at every length from 1 to `upTo` (its wire length kept). */
function cuts(file: string, base: Uint8Array, linktype: number, upTo: number): string {
  const frames = Array.from({ length: upTo }, (_, k) => base.subarray(0, k + 1));
  writePcap(file, frames, () => base.length, linktype);
  return file;
}

describe.skipIf(!have || !hasTcpdump())("switch tags and IPoIB against tcpdump", () => {
  it("the corpus captures: every line equal at -nn, -v and -e", async () => {
    const { diffs, packets } = await tcpdumpFlagDiffs(FILES, [[], ["-v"], ["-e"]]);
    expect(diffs.slice(0, 10)).toEqual([]);
    expect(packets).toBeGreaterThan(3 * 60);
  }, 120_000);

  it("DSA and EDSA: every value of every tag byte, in each of the four modes", async () => {
    const dsa = await firstPacket("dsa.pcap");
    const edsa = await firstPacket("edsa.pcap");
    const files: string[] = [];
    for (const mode of [0x00, 0x40, 0x80, 0xc0]) {
      files.push(variants(path.join(dir, `dsa-${mode}.pcap`), dsa.data, dsa.linktype, [13, 14, 15], { 12: mode }));
      files.push(variants(path.join(dir, `edsa-${mode}.pcap`), edsa.data, edsa.linktype, [12, 13, 14, 15, 17, 18, 19], { 16: mode }));
    }
    files.push(variants(path.join(dir, "dsa-b0.pcap"), dsa.data, dsa.linktype, [12]));
    // the To-CPU code's high bit is in the third byte
    files.push(variants(path.join(dir, "dsa-code.pcap"), dsa.data, dsa.linktype, [13], { 12: 0, 14: 0x10 }));
    const { diffs, packets } = await tcpdumpFlagDiffs(files, [[], ["-e"]]);
    expect(diffs.slice(0, 10)).toEqual([]);
    expect(packets).toBe(2 * 256 * (4 * (3 + 7) + 2));
  }, 300_000);

  it("Broadcom tags: every value of every tag byte, after the addresses and prepended", async () => {
    const tag = await firstPacket("brcm-tag.pcap");
    const pre = await firstPacket("brcm-tag-prepend.pcap");
    const files = [
      variants(path.join(dir, "brcm-ig.pcap"), tag.data, tag.linktype, [12, 13, 14, 15], { 12: 0x20 }),
      variants(path.join(dir, "brcm-eg.pcap"), tag.data, tag.linktype, [12, 13, 14, 15], { 12: 0 }),
      variants(path.join(dir, "brcm-pre.pcap"), pre.data, pre.linktype, [0, 1, 2, 3]),
    ];
    const { diffs, packets } = await tcpdumpFlagDiffs(files, [[], ["-e"]]);
    expect(diffs.slice(0, 10)).toEqual([]);
    expect(packets).toBe(2 * 3 * 4 * 256);
  }, 300_000);

  it("frames cut in the link header, the IPv4 header or the UDP header print tcpdump's truncation marks", async () => {
    const files: string[] = [];
    let n = 0;
    // each link header's length, and 28 bytes more: IPv4 and UDP headers cut everywhere (Ethernet's too)
    for (const [name, hdr] of [
      ["dsa.pcap", 18],
      ["edsa.pcap", 22],
      ["brcm-tag.pcap", 18],
      ["brcm-tag-prepend.pcap", 18],
      ["ipoib.pcap", 44],
      ["dhcp-rfc3004.pcap", 14],
    ] as const) {
      const p = await firstPacket(name);
      files.push(cuts(path.join(dir, `cut-${name}`), p.data, p.linktype, hdr + 27));
      n += hdr + 27;
    }
    // compared exactly (tcpdumpFlagDiffs forgives a cut LLC header's hex line)
    const { diffs, packets } = await exactTcpdumpDiffs(files, [[], ["-e"], ["-v"]]);
    expect(diffs.slice(0, 10)).toEqual([]);
    expect(packets).toBe(3 * n);
  }, 120_000);

  it("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of FILES) {
      const { packets } = await readCapture(f);
      problems.push(...robustness(packets.slice(0, 4), { seed: 242 }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});

describe.skipIf(!have || !hasTshark())("IPoIB against tshark", () => {
  it("has tshark's ipoib.* values", async () => {
    const { diffs, compared } = await liveTsharkFields([path.join(CORPUS, "ipoib.pcap")], ["ipoib.daddr.qpn", "ipoib.dgid", "ipoib.type", "ipoib.reserved", "ip.src"]);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(30);
  }, 120_000);
});

describe.skipIf(!hasTcpdump() || !fs.existsSync(path.join(ROOT, "bin", "tsniff")))("records with an impossible header", () => {
  it("print tcpdump's [Invalid header: ...] line, without time, dump or dissection", () => {
    // caplen 0 (with and without a length), a length below caplen, a length of 0, then two sound records
    const frame = Uint8Array.from(Buffer.from("ffffffffffff000c291f740608004510014800000000801139960000000000ffffffff00440043013481", "hex"));
    const records: Array<[number, number]> = [
      [0, 0],
      [0, 60],
      [40, 30],
      [40, 0],
      [40, 40],
      [20, 342],
    ];
    const file = path.join(dir, "invalid.pcap");
    const frames = records.map(([cap]) => frame.subarray(0, cap));
    let k = 0;
    writePcap(file, frames, () => records[k++][1]);
    for (const flags of [["-nn"], ["-nn", "-#"], ["-nn", "-e"], ["-nn", "-x"], ["-nn", "-v"]]) {
      const want = execFileSync("tcpdump", [...flags, "-r", file], { stdio: ["ignore", "pipe", "ignore"] }).toString("latin1");
      const got = spawnSync(process.execPath, [path.join(ROOT, "bin", "tsniff"), ...flags, "-r", file], { encoding: "latin1" });
      expect(got.status).toBe(0);
      const lines = got.stdout.split("\n");
      const theirs = want.split("\n");
      // the four impossible headers: the same lines as tcpdump
      expect(lines.slice(0, 4)).toEqual(theirs.slice(0, 4));
      expect(lines[0]).toMatch(/^( +1 {2})?\[Invalid header: caplen==0, len==0\]$/);
    }
  }, 120_000);
});
