/**
 * OSPF (IP protocol 89): OSPFv2 over IPv4 and OSPFv3 over IPv6, from tcpdump's corpus captures, against a live
 * tcpdump (-nn lines, OSPFv3's -v lines, and captures cut by editcap), a live tshark (the common header's fields), every truncation
 * and seeded byte flips.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { differing } from "../helpers/tcpdump-packets.js";
import { compareTshark, corpusFiles, corpusRun, diffLines, hasEditcap, hasTcpdump, hasTshark, readCapture, robustness, tcpdumpLines, truncatedDifferential } from "./net-common.js";

const FILES = corpusFiles(/ospf/i);
const pick = (name: string) => FILES.find((f) => path.basename(f) === name);
// Ethernet/IPv4 OSPFv2 (Hello, DD, LS-Request, LS-Update, LS-Ack, MD5 authentication) and Ethernet/IPv6 OSPFv3
const V2 = pick("OSPFv2_Capture_FINAL.pcapng");
const V3 = pick("OSPFv3_broadcast_adjacency.pcap");

describe("ospf dissector", () => {
  it.skipIf(FILES.length === 0 || !hasTcpdump())(`prints the corpus's OSPF captures (${FILES.length} files) as tcpdump -nn does`, async () => {
    const r = await corpusRun(FILES);
    expect(r.bugs).toEqual([]);
    // Only the lines tsniff can reach: the Frame Relay captures (no dissector for that link type) and
    // OSPFv3 behind an IPv6 AH header (none for AH) print no OSPF of ours yet.
    const ospfDiffs = r.diffs.filter((d) => /OSPFv\d/.test(d) && !/AH\(|\n {2}tsniff: {2}"(link-type \d+ not decoded, length \d+)?"/.test(d));
    expect(ospfDiffs).toEqual([]);
    console.log(`ospf: corpus match ${r.equal}/${r.packets}`);
    expect(r.equal).toBeGreaterThan(0);
  }, 300_000);

  it.skipIf(!V3 || !hasTcpdump())("prints OSPFv3's -v detail as tcpdump -v does (Hello, Database Description, the others' header)", async () => {
    const diffs: string[] = [];
    let packets = 0;
    for (const f of [V3!, pick("ospf6_print_lshdr-oobr.pcap"), pick("ospf6_decode_v3_asan.pcap")]) {
      if (!f) continue;
      const { infos, bugs } = await readCapture(f, { verbose: 1 });
      diffs.push(...bugs);
      packets += infos.length;
      for (const d of diffLines(infos, tcpdumpLines(f, ["-v"]))) diffs.push(`${path.basename(f)} #${d.packet}\n  tcpdump: ${JSON.stringify(d.tcpdump)}\n  tsniff:  ${JSON.stringify(d.ours)}`);
    }
    expect(diffs).toEqual([]);
    expect(packets).toBeGreaterThan(40);
  }, 120_000);

  it.skipIf(FILES.length === 0 || !hasTcpdump())("prints OSPFv2's -v detail as tcpdump -v does (Hello, DD, LS-Request, LS-Update's LSAs, LS-Ack, MD5, LLS, Grace and Router Information LSAs)", async () => {
    // Not yet: the Traffic Engineering LSA's TLVs (ospf-gmpls, ospf2-seg-fault-1) and OSPFv3's authentication trailer (ospf3_auth).
    const known = /^(ospf-gmpls|ospf2-seg-fault-1|ospf3_auth)\./;
    const diffs: string[] = [];
    let packets = 0;
    // and OSPF inside ERSPAN / GRE (erspan-type-i-4)
    for (const f of [...FILES.filter((x) => !known.test(path.basename(x))), "erspan-type-i-4.pcap"]) {
      // the packets whose tcpdump text shows OSPFv2 (OSPFv3 behind AH and over Frame Relay are not reached yet)
      const r = await differing(f, "-v", /OSPFv2/);
      diffs.push(...r.diffs);
      packets += r.compared;
    }
    expect(diffs).toEqual([]);
    expect(packets).toBeGreaterThan(50);
  }, 300_000);

  it.skipIf(!V2 || !V3 || !hasTcpdump() || !hasEditcap())("prints cut captures (snapshot lengths 20..80, around the MD5 trailer and the OSPFv3 header) as tcpdump does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-ospf-"));
    try {
      const diffs: string[] = [];
      const snaps = [20, 30, 40, 49, 50, 51, 52, 54, 55, 56, 60, 62, 66, 70, 74, 78, 80, 82, 86];
      // OSPFv2 at -v too, also cut inside the LLS block after the MD5 digest (snapshot lengths 90..130)
      diffs.push(...(await truncatedDifferential(V2!, [...snaps, 90, 100, 104, 110, 114, 118, 130, 200, 300], dir, [0, 1])));
      // OSPFv3 also at -v: each part of the detail prints once its bytes are captured
      diffs.push(...(await truncatedDifferential(V3!, snaps, dir, [0, 1])));
      expect(diffs).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!V2 || !V3 || !hasTshark())("has tshark's header field values", async () => {
    const names = ["ospf.version", "ospf.msg", "ospf.packet_length", "ospf.srcrouter", "ospf.area_id", "ospf.checksum", "ospf.auth.type"];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-ospf-"));
    try {
      let compared = 0;
      const diffs: string[] = [];
      for (const f of [V2!, V3!]) {
        const out = execFileSync("tshark", ["-n", "-r", f, "-T", "fields", "-E", "separator=|", ...names.flatMap((n) => ["-e", n])], { stdio: ["ignore", "pipe", "ignore"] }).toString("latin1");
        const file = path.join(dir, path.basename(f) + ".txt");
        fs.writeFileSync(file, out);
        const { packets } = await readCapture(f);
        const c = compareTshark(packets, file, names);
        compared += c.compared;
        diffs.push(...c.diffs);
      }
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThan(100);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!V2 || !V3)("survives every truncation and seeded byte flips", async () => {
    const problems: string[] = [];
    for (const f of [V2!, V3!]) {
      const { packets } = await readCapture(f);
      // the first packets of each type are enough: every cut of each and 64 flips
      problems.push(...robustness(packets.slice(0, 24), { seed: 0x05bf }).map((p) => `${path.basename(f)}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
