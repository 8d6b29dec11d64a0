/**
 * AoE (ATA over Ethernet, ethertype 0x88a2), from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles, hasEditcap, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpFlagDiffs, truncatedDifferential } from "./net-common.js";

const FILES = corpusFiles(/^aoe|^AoE/i);
const pick = (name: string) => FILES.find((f) => path.basename(f) === name);
const ETH = pick("AoE_Linux.pcap");
const OOBR = pick("aoe-oobr-1.pcap");

describe("aoe dissector", () => {
  it.skipIf(FILES.length === 0 || !hasTcpdump())(`prints the corpus's AoE captures (${FILES.length} files) as tcpdump -nn, -v, -vv and -e do`, async () => {
    const { diffs, packets } = await tcpdumpFlagDiffs(FILES, [[], ["-v"], ["-e"], ["-vv"]]);
    expect(diffs).toEqual([]);
    console.log(`aoe: ${packets / 4} packets, every line equal at -nn, -v, -vv and -e`);
    expect(packets).toBeGreaterThan(700);
  }, 120_000);

  it.skipIf(!ETH || !hasTcpdump() || !hasEditcap())("prints cut captures as tcpdump does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-aoe-"));
    try {
      const diffs: string[] = [];
      const snaps = [14, 15, 20, 24, 26, 28, 30, 32, 40, 60];
      diffs.push(...(await truncatedDifferential(ETH!, snaps, dir, [0, 1])));
      expect(diffs).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!ETH || !hasTshark())("has tshark's header field values", async () => {
    const names = ["aoe.version", "aoe.response", "aoe.flags_error", "aoe.major", "aoe.minor", "aoe.cmd", "aoe.tag"];
    const { diffs, compared } = await liveTsharkFields([ETH!], names);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  }, 120_000);

  it.skipIf(!ETH)("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of [ETH!, OOBR!].filter(Boolean)) {
      const { packets } = await readCapture(f);
      problems.push(...robustness(packets.slice(0, 8), { seed: 0xa0e }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
