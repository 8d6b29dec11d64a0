/**
 * EAPOL (802.1X, ethertype 0x888e), from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles, hasEditcap, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpFlagDiffs, truncatedDifferential } from "./net-common.js";

const FILES = corpusFiles(/^eap/);
const pick = (name: string) => FILES.find((f) => path.basename(f) === name);
const ETH = pick("eapon1.pcap");
const OOBR = pick("eap_extract_read2_asan.pcap");

describe("eapol dissector", () => {
  it.skipIf(FILES.length === 0 || !hasTcpdump())(`prints the corpus's EAPOL captures (${FILES.length} files) as tcpdump -nn, -v, -vv and -e do`, async () => {
    const { diffs, packets } = await tcpdumpFlagDiffs(FILES, [[], ["-v"], ["-e"], ["-vv"]]);
    expect(diffs).toEqual([]);
    console.log(`eapol captures: ${packets / 4} packets, every line equal at -nn, -v, -vv and -e`);
    expect(packets).toBeGreaterThan(400);
  }, 120_000);

  it.skipIf(!ETH || !hasTcpdump() || !hasEditcap())("prints cut captures as tcpdump does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-eapol-"));
    try {
      const diffs: string[] = [];
      const snaps = [14, 16, 18, 20, 22, 24, 30, 40, 50, 60];
      diffs.push(...(await truncatedDifferential(ETH!, snaps, dir, [0, 1])));
      expect(diffs).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!ETH || !hasTshark())("has tshark's header field values", async () => {
    const names = ["eapol.version", "eapol.type", "eapol.len", "eap.code", "eap.id", "eap.len", "eap.type", "eap.identity"];
    const { diffs, compared } = await liveTsharkFields([ETH!], names);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(150);
  }, 120_000);

  it.skipIf(!ETH)("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of [ETH!, OOBR!].filter(Boolean)) {
      const { packets } = await readCapture(f);
      const eapol = packets.filter((q) => q.data[12] === 0x88 && q.data[13] === 0x8e);
      problems.push(...robustness(eapol.slice(0, 12), { seed: 0xea9 }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
