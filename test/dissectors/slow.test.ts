/**
 * The slow protocols (LACP, Marker, OAM; ethertype 0x8809), from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles, hasEditcap, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpFlagDiffs, truncatedDifferential } from "./net-common.js";

const FILES = corpusFiles(/^LACP|^slow-/);
const pick = (name: string) => FILES.find((f) => path.basename(f) === name);
const ETH = pick("LACP.pcap");
const OOBR = pick("slow-ossp.pcap");

describe("slow protocols dissector", () => {
  it.skipIf(FILES.length === 0 || !hasTcpdump())(`prints the corpus's slow protocol captures (${FILES.length} files) as tcpdump -nn, -v, -vv and -e do`, async () => {
    const { diffs, packets } = await tcpdumpFlagDiffs(FILES, [[], ["-v"], ["-e"], ["-vv"]]);
    expect(diffs).toEqual([]);
    console.log(`slow protocols: ${packets / 4} packets (LACP and OAM), every line equal at -nn, -v, -vv and -e`);
    expect(packets).toBeGreaterThan(80);
  }, 120_000);

  it.skipIf(!ETH || !hasTcpdump() || !hasEditcap())("prints cut captures as tcpdump does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-slow-"));
    try {
      const diffs: string[] = [];
      const snaps = [14, 15, 16, 18, 20, 30, 38, 40, 60, 80, 100, 124];
      diffs.push(...(await truncatedDifferential(ETH!, snaps, dir, [0, 1])));
      expect(diffs).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!ETH || !hasTshark())("has tshark's header field values", async () => {
    const names = ["slow.subtype", "lacp.version", "lacp.actor.sysid", "lacp.actor.key", "lacp.actor.port", "lacp.actor.state", "lacp.partner.sysid", "lacp.partner.key", "lacp.collector.max_delay"];
    const { diffs, compared } = await liveTsharkFields([ETH!], names);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(100);
  }, 120_000);

  it.skipIf(!ETH)("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of [ETH!, OOBR!].filter(Boolean)) {
      const { packets } = await readCapture(f);
      problems.push(...robustness(packets.slice(0, 6), { seed: 0x8809 }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
