/**
 * IS-IS (OSI NLPID 0x83 over LLC, Cisco HDLC and GRE) and its OSI siblings, from tcpdump's corpus captures,
 * against a live tcpdump (-nn, -e and -v lines of every capture tcpdump names IS-IS in, and captures cut by
 * editcap), a live tshark (the header fields), every truncation and seeded byte flips.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, diffLines, groupLines, hasEditcap, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpLines, truncatedDifferential } from "./net-common.js";

/** The corpus captures tcpdump prints IS-IS in whose link layer tsniff decodes (Ethernet, Linux cooked, Cisco HDLC). */
const NAMES = [
  "ISIS_external_lsp.pcap",
  "ISIS_level1_adjacency.pcap",
  "ISIS_level2_adjacency.pcap",
  "ISIS_p2p_adjacency.pcap",
  "fletcher-checksum-negative-shift.pcap",
  "isis-areaaddr-oobr-1.pcap",
  "isis-areaaddr-oobr-2.pcap",
  "isis-extd-ipreach-oobr.pcap",
  "isis-extd-isreach-oobr.pcap",
  "isis-infinite-loop.pcap",
  "isis-seg-fault-1.pcapng",
  "isis-seg-fault-2.pcapng",
  "isis-seg-fault-3.pcapng",
  "isis_cap_tlv.pcap",
  "isis_iid_tlv.pcap",
  "isis_sid.pcap",
  "isis_sr.pcapng",
  "spb.pcap",
];
const FILES = NAMES.map((n) => path.join(CORPUS, n)).filter((f) => fs.existsSync(f));
const pick = (name: string) => FILES.find((f) => path.basename(f) === name);
const LAN = pick("ISIS_level2_adjacency.pcap");
const P2P = pick("ISIS_p2p_adjacency.pcap");
const SPB = pick("spb.pcap");

/** Packets whose tcpdump line names IS-IS, and how many of them are equal in a mode. */
async function compare(files: string[], flags: string[]): Promise<{ isis: number; equal: number; diffs: string[]; bugs: string[] }> {
  let isis = 0;
  let equal = 0;
  const diffs: string[] = [];
  const bugs: string[] = [];
  for (const f of files) {
    const { infos, bugs: b } = await readCapture(f, { verbose: flags.includes("-v") ? 1 : 0, linkHeader: flags.includes("-e") });
    bugs.push(...b);
    const theirs = groupLines(tcpdumpLines(f, flags));
    const ours = groupLines(infos.join("\n").split("\n"));
    for (let i = 0; i < theirs.length; i++) {
      if (!/IS-IS/.test(theirs[i])) continue;
      isis++;
      if (theirs[i] === ours[i]) equal++;
      else diffs.push(`${path.basename(f)} ${flags.join(" ")} #${i + 1}\n  tcpdump: ${JSON.stringify(theirs[i])}\n  tsniff:  ${JSON.stringify(ours[i])}`);
    }
  }
  return { isis, equal, diffs, bugs };
}

describe("isis dissector", () => {
  it.skipIf(FILES.length === 0 || !hasTcpdump())(`prints every IS-IS line of the corpus captures (${FILES.length} files) as tcpdump -nn and -e do`, async () => {
    for (const flags of [[], ["-e"]]) {
      const r = await compare(FILES, flags);
      expect(r.bugs).toEqual([]);
      expect(r.diffs).toEqual([]);
      console.log(`isis ${flags.join(" ") || "-nn"}: ${r.equal}/${r.isis} IS-IS lines identical`);
      expect(r.isis).toBeGreaterThan(200);
    }
  }, 300_000);

  it.skipIf(FILES.length === 0 || !hasTcpdump())("prints the -v detail (headers and TLVs) as tcpdump -v does", async () => {
    const r = await compare(FILES, ["-v"]);
    expect(r.bugs).toEqual([]);
    console.log(`isis -v: ${r.equal}/${r.isis} IS-IS packets identical`);
    expect(r.diffs).toEqual([]);
  }, 300_000);

  it.skipIf(!LAN || !P2P || !hasTcpdump() || !hasEditcap())("prints cut captures as tcpdump does (-nn and -v)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-isis-"));
    try {
      const diffs: string[] = [];
      const snaps = [14, 17, 18, 20, 24, 30, 36, 40, 44, 48, 52, 60, 70, 80, 90, 100, 120, 160];
      diffs.push(...(await truncatedDifferential(LAN!, snaps, dir, [0, 1])));
      diffs.push(...(await truncatedDifferential(P2P!, snaps, dir, [0, 1])));
      expect(diffs).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it.skipIf(!LAN || !SPB || !hasTshark())("has tshark's header field values", async () => {
    const names = ["isis.irpd", "isis.len", "isis.version", "isis.sysid_len", "isis.type", "isis.max_area_adr", "isis.hello.circuit_type", "isis.hello.source_id", "isis.hello.holding_timer", "isis.hello.pdu_length", "isis.hello.priority", "isis.hello.lan_id", "isis.lsp.pdu_length", "isis.lsp.remaining_life", "isis.lsp.lsp_id", "isis.lsp.sequence_number", "isis.lsp.checksum", "isis.lsp.hostname", "isis.csnp.pdu_length", "isis.psnp.pdu_length"];
    const { diffs, compared } = await liveTsharkFields([LAN!, SPB!, pick("ISIS_external_lsp.pcap")!], names);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(500);
  }, 120_000);

  it.skipIf(FILES.length === 0)("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of [LAN, P2P, SPB, pick("isis_cap_tlv.pcap"), pick("isis_sr.pcapng"), pick("ISIS_external_lsp.pcap")]) {
      if (!f) continue;
      const { packets } = await readCapture(f);
      problems.push(...robustness(packets.slice(0, 6), { seed: 0x1515, flips: 48 }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);

  it.skipIf(FILES.length === 0 || !hasTcpdump())("prints the corpus's Cisco HDLC captures (IPv4, SLARP, CDP, OSI) as tcpdump -nn, -e and -v do", async () => {
    const files = ["HDLC.pcap", "chdlc-slarp.pcap", "chdlc-slarp-short.pcap", "hoobr_chdlc_print.pcap", "hdlc_slarp.pcapng", "ISIS_p2p_adjacency.pcap", "isis-extd-isreach-oobr.pcap"]
      .map((n) => path.join(CORPUS, n))
      .filter((f) => fs.existsSync(f));
    const diffs: string[] = [];
    let packets = 0;
    for (const f of files) {
      for (const flags of [[], ["-e"], ["-v"]]) {
        const { infos, bugs } = await readCapture(f, { verbose: flags.includes("-v") ? 1 : 0, linkHeader: flags.includes("-e") });
        diffs.push(...bugs);
        packets += infos.length;
        for (const d of diffLines(infos, tcpdumpLines(f, flags))) diffs.push(`${path.basename(f)} ${flags.join(" ")} #${d.packet}\n  tcpdump: ${JSON.stringify(d.tcpdump)}\n  tsniff:  ${JSON.stringify(d.ours)}`);
      }
    }
    expect(diffs).toEqual([]);
    expect(packets).toBeGreaterThan(200);
  }, 120_000);

  it.skipIf(FILES.length === 0 || !hasTcpdump())("keeps the lines of tcpdump that are not IS-IS in these captures", async () => {
    // the other packets of these captures (C-HDLC SLARP/CDP, GRE) are not made worse: no dissector bug
    const diffs: string[] = [];
    for (const f of FILES) {
      const { bugs, infos } = await readCapture(f);
      diffs.push(...bugs);
      expect(infos.length).toBe(groupLines(tcpdumpLines(f, [])).length);
    }
    expect(diffs).toEqual([]);
  }, 120_000);
});
