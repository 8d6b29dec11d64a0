/**
 * The four checks a link-layer dissector's corpus captures get (AoE, EAPOL, UDLD, slow protocols, PTP):
 * every line equal to a live tcpdump's at several flag sets; captures cut by editcap printed as tcpdump
 * prints them; header fields equal to a live tshark's; every truncation and seeded byte flips survived.
 * One spec per protocol instead of four copied test blocks.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles, type Packet, hasEditcap, hasTcpdump, hasTshark, liveTsharkFields, readCapture, robustness, tcpdumpFlagDiffs, truncatedDifferential } from "./net-common.js";

export interface CorpusSuiteSpec {
  /** the describe() name's first word and the temporary folder's name: "aoe" */
  id: string;
  /** what the captures hold, in the test's title: "AoE" */
  label: string;
  /** which corpus files are this protocol's */
  files: RegExp;
  /** tcpdump flag sets compared; the default is -nn, -v, -e and -vv */
  flagSets?: string[][];
  /** the fewest packets (summed over the flag sets) the sweep must compare */
  minPackets: number;
  /** captures cut by editcap at these snap lengths, printed at these verbosities (default 0 and 1) */
  cut: { files: string[]; snaps: number[]; verbosities?: number[] };
  /** tshark fields compared on these captures */
  tshark: { files: string[]; names: string[]; minCompared: number };
  /** robustness: the first `take` packets of each file (after `keep`), flipped with this seed */
  robust: { files: string[]; take: number; seed: number; keep?: (p: Packet) => boolean };
}

const FLAG_NAMES: Record<string, string> = { "": "-nn", "-v": "-v", "-e": "-e", "-vv": "-vv" };

export function corpusSuite(spec: CorpusSuiteSpec): void {
  const files = corpusFiles(spec.files);
  const pick = (names: string[]) => names.map((n) => files.find((f) => path.basename(f) === n));
  const has = (names: string[]) => pick(names).every(Boolean);
  const flagSets = spec.flagSets ?? [[], ["-v"], ["-e"], ["-vv"]];
  const flagText = flagSets.map((f) => FLAG_NAMES[f.join(" ")] ?? f.join(" "));
  const joined = `${flagText.slice(0, -1).join(", ")} and ${flagText[flagText.length - 1]}`;

  describe(`${spec.id} dissector`, () => {
    it.skipIf(files.length === 0 || !hasTcpdump())(`prints the corpus's ${spec.label} captures (${files.length} files) as tcpdump ${joined} do`, async () => {
      const { diffs, packets } = await tcpdumpFlagDiffs(files, flagSets);
      expect(diffs).toEqual([]);
      console.log(`${spec.id}: ${packets / flagSets.length} packets, every line equal at ${joined}`);
      expect(packets).toBeGreaterThan(spec.minPackets);
    }, 120_000);

    it.skipIf(!has(spec.cut.files) || !hasTcpdump() || !hasEditcap())("prints cut captures as tcpdump does", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsniff-${spec.id}-`));
      try {
        const diffs: string[] = [];
        for (const f of pick(spec.cut.files)) diffs.push(...(await truncatedDifferential(f!, spec.cut.snaps, dir, spec.cut.verbosities ?? [0, 1])));
        expect(diffs).toEqual([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it.skipIf(!has(spec.tshark.files) || !hasTshark())("has tshark's header field values", async () => {
      const { diffs, compared } = await liveTsharkFields(pick(spec.tshark.files) as string[], spec.tshark.names);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThan(spec.tshark.minCompared);
    }, 120_000);

    it.skipIf(!has(spec.robust.files.slice(0, 1)))("survives every truncation and seeded byte flips", async () => {
      const problems: string[] = [];
      for (const f of pick(spec.robust.files).filter((x): x is string => Boolean(x))) {
        const { packets } = await readCapture(f);
        const chosen = spec.robust.keep ? packets.filter(spec.robust.keep) : packets;
        problems.push(...robustness(chosen.slice(0, spec.robust.take), { seed: spec.robust.seed }).map((p) => `${path.basename(f)}: ${p}`));
      }
      expect(problems.slice(0, 20)).toEqual([]);
    }, 300_000);
  });
}
