/**
 * PTP (IEEE 1588) over Ethernet (0x88f7) and UDP 319/320, from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles, hasEditcap, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpFlagDiffs, truncatedDifferential } from "./net-common.js";

const FILES = corpusFiles(/^ptp/);
const pick = (name: string) => FILES.find((f) => path.basename(f) === name);
const ETH = pick("ptp_ethernet.pcap");
const UDP = pick("ptp.pcap");
const MGMT = pick("ptp_management.pcap");

describe("ptp dissector", () => {
  it.skipIf(FILES.length === 0 || !hasTcpdump())(`prints the corpus's PTP captures (${FILES.length} files) as tcpdump -nn, -v and -e do`, async () => {
    const { diffs, packets } = await tcpdumpFlagDiffs(FILES, [[], ["-v"], ["-e"]]);
    expect(diffs).toEqual([]);
    console.log(`ptp: ${packets / 3} packets, every line equal at -nn, -v and -e`);
    expect(packets).toBeGreaterThan(600);
  }, 120_000);

  it.skipIf(!ETH || !UDP || !MGMT || !hasTcpdump() || !hasEditcap())("prints cut captures as tcpdump does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-ptp-"));
    try {
      const diffs: string[] = [];
      const snaps = [14, 20, 30, 48, 50, 60, 66, 78, 88];
      for (const f of [ETH!, UDP!, MGMT!]) diffs.push(...(await truncatedDifferential(f, snaps, dir, [0])));
      expect(diffs).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!ETH || !UDP || !hasTshark())("has tshark's header field values", async () => {
    const names = ["ptp.v2.messagetype", "ptp.v2.messagelength", "ptp.v2.domainnumber", "ptp.v2.flags", "ptp.v2.correction.ns", "ptp.v2.sourceportid", "ptp.v2.sequenceid", "ptp.v2.controlfield", "ptp.v2.logmessageperiod"];
    const { diffs, compared } = await liveTsharkFields([ETH!, UDP!], names);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  }, 120_000);

  it.skipIf(!ETH || !UDP || !MGMT)("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of [ETH!, UDP!, MGMT!]) {
      const { packets } = await readCapture(f);
      problems.push(...robustness(packets.slice(0, 8), { seed: 0x1588 }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
