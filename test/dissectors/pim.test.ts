/**
 * PIM (IP protocol 103, and PIMv1 in IGMP): tcpdump's corpus captures against a live tcpdump (-nn, -v, and
 * captures cut by editcap at -v), a live tshark (pim.* field values), every truncation and seeded byte flips.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles, corpusRun, diffLines, hasEditcap, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpLines, truncatedDifferential } from "./net-common.js";

// every corpus capture whose tcpdump output has PIM (heapoverflow-in_checksum.pcap is a PIM Hello)
const FILES = corpusFiles(/pim|heapoverflow-in_checksum/i);
const pick = (name: string) => FILES.find((f) => path.basename(f) === name);
// IPv4 and IPv6: Hello, Register (inner IPv4/IPv6, Null-Register), Register-Stop, Join/Prune, Graft,
// Bootstrap, Assert, C-RP-Adv, DF Election
const ASSORTMENT = pick("pim-packet-assortment.pcap");
const SM = pick("PIM-SM_join_prune.pcap"); // PIMv2 Hello, Join/Prune and PIMv1 RP-reachable
const REGISTER = pick("PIM_register_register-stop.pcap");
/** a packet line of ours or tcpdump's that PIM printed (not the link layer's hex dumps of other frames) */
const isPim = (d: string) => /PIMv\d|pimv1/.test(d);

async function verboseDiffs(files: string[], verbose: number): Promise<{ diffs: string[]; packets: number; equal: number }> {
  const diffs: string[] = [];
  let packets = 0;
  let equal = 0;
  for (const f of files) {
    const { infos, bugs } = await readCapture(f, { verbose });
    diffs.push(...bugs);
    const theirs = tcpdumpLines(f, ["-" + "v".repeat(verbose)]);
    const d = diffLines(infos, theirs).filter((x) => isPim(x.tcpdump) || isPim(x.ours));
    const pimPackets = infos.filter((i) => isPim(i)).length;
    packets += pimPackets;
    equal += pimPackets - d.length;
    for (const x of d) diffs.push(`${path.basename(f)} #${x.packet}\n  tcpdump: ${JSON.stringify(x.tcpdump)}\n  tsniff:  ${JSON.stringify(x.ours)}`);
  }
  return { diffs, packets, equal };
}

describe("pim dissector", () => {
  it.skipIf(FILES.length === 0 || !hasTcpdump())(`prints the corpus's PIM captures (${FILES.length} files) as tcpdump -nn does`, async () => {
    const r = await corpusRun(FILES);
    expect(r.bugs).toEqual([]);
    // the other differences are link-layer hex dumps of non-PIM frames in the fuzzed captures
    expect(r.diffs.filter((d) => isPim(d.slice(d.indexOf("\n"))))).toEqual([]);
    console.log(`pim: corpus match ${r.equal}/${r.packets}`);
    expect(r.equal).toBeGreaterThan(340);
  }, 300_000);

  it.skipIf(FILES.length === 0 || !hasTcpdump())("prints every message type's -v detail as tcpdump -v does", async () => {
    const r = await verboseDiffs(FILES, 1);
    expect(r.diffs).toEqual([]);
    console.log(`pim: -v corpus match ${r.equal}/${r.packets}`);
    expect(r.packets).toBeGreaterThan(340);
  }, 300_000);

  it.skipIf(!ASSORTMENT || !hasTcpdump())("prints -vv (address lists, option hex dumps) as tcpdump -vv does", async () => {
    const r = await verboseDiffs([ASSORTMENT!, SM!].filter(Boolean), 2);
    expect(r.diffs).toEqual([]);
    expect(r.packets).toBeGreaterThan(240);
  }, 120_000);

  it.skipIf(!ASSORTMENT || !REGISTER || !hasTcpdump() || !hasEditcap())("prints cut captures (snapshot lengths 34..120) as tcpdump does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-pim-"));
    try {
      const diffs: string[] = [];
      const snaps = [34, 35, 36, 37, 38, 40, 42, 44, 46, 48, 50, 54, 58, 62, 66, 70, 74, 78, 82, 90, 100, 120];
      for (const f of [ASSORTMENT!, REGISTER!]) diffs.push(...(await truncatedDifferential(f, snaps, dir, [0, 1])));
      expect(diffs.slice(0, 20)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it.skipIf(!ASSORTMENT || !SM || !hasTshark())("has tshark's field values", async () => {
    const names = [
      "pim.version",
      "pim.type",
      "pim.cksum",
      "pim.holdtime",
      "pim.dr_priority",
      "pim.generation_id",
      "pim.upstream_neighbor",
      "pim.upstream_neighbor_ip6",
      "pim.numgroups",
      "pim.numjoins",
      "pim.numprunes",
      "pim.bsr",
      "pim.metric_pref",
      "pim.metric",
      "pim.register_flag",
      "pim.fragment_tag",
      "pim.hash_mask_len",
      "pim.bsr_priority",
      "pim.prefix_count",
      "pim.priority",
      "pim.optiontype",
    ];
    const { diffs, compared } = await liveTsharkFields([ASSORTMENT!, SM!], names);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(500);
  }, 120_000);

  it.skipIf(!ASSORTMENT || !SM)("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of [ASSORTMENT!, SM!]) {
      const { packets } = await readCapture(f);
      // one packet of each kind is enough: every cut of each and 64 flips
      const seen = new Set<string>();
      const some = packets.filter((p) => {
        const key = `${p.data[12]}:${p.data.length > 40 ? p.data[p.data[12] === 0x86 ? 54 : 34] : 0}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      problems.push(...robustness(some, { seed: 0x0103 }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
