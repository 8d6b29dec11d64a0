/**
 * The checks of the routing-protocol dissectors of issue #13 (babel, bfd, eigrp, rip, vrrp, hsrp), over
 * tcpdump's corpus captures: a live tcpdump at -nn and -v (only the packets whose lines show the protocol,
 * so that other protocols' differences in the same captures speak for their own tests), captures cut by
 * editcap, a live tshark's field values, every truncation and seeded byte flips.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles, liveTsharkFields, diffLines, hasEditcap, hasTcpdump, hasTshark, readCapture, robustness, tcpdumpLines, truncatedDifferential } from "./net-common.js";

export { hasTshark };

/** Packets (tcpdump's and ours, grouped with their -v lines) where either side shows the protocol: their count, equal ones and differences. */
export async function protoDiffs(files: string[], verbose: number, shows: RegExp): Promise<{ diffs: string[]; packets: number; equal: number }> {
  const diffs: string[] = [];
  let packets = 0;
  let equal = 0;
  for (const f of files) {
    const { infos, bugs } = await readCapture(f, { verbose });
    diffs.push(...bugs);
    const theirs = tcpdumpLines(f, verbose ? ["-" + "v".repeat(verbose)] : []);
    // -nn: one line per packet on both sides (a link layer's hex dump of another frame would shift them)
    const all = diffLines(infos, theirs);
    const d = all.filter((x) => shows.test(x.tcpdump) || shows.test(x.ours));
    const n = infos.filter((i) => shows.test(i)).length;
    packets += n;
    equal += Math.max(0, n - d.length);
    for (const x of d) diffs.push(`${path.basename(f)} -v${verbose} #${x.packet}\n  tcpdump: ${JSON.stringify(x.tcpdump)}\n  tsniff:  ${JSON.stringify(x.ours)}`);
  }
  return { diffs, packets, equal };
}

export interface RoutingSpec {
  id: string;
  /** corpus file names (matched against the corpus's file names) */
  corpus: RegExp;
  /** what tcpdump's line shows for a packet of this protocol */
  shows: RegExp;
  /** -v levels compared with tcpdump (0 is -nn) */
  verbose: number[];
  /** the fewest protocol packets expected over the corpus (a guard that the files are there and decoded) */
  minPackets: number;
  /** captures cut at these snapshot lengths, compared at -nn and -v */
  cut?: { files: string[]; snaps: number[]; verbose?: number[] };
  /** tshark's field values on these files */
  tshark?: { files: string[]; names: string[]; min: number };
  /** packets known to differ at -v and above (file, packet number), with the reason: left out of the -v comparison */
  knownVerbose?: Array<{ file: string; packet: number; why: string }>;
  /** every truncation and flips of the first packets of these files */
  robust: { files: string[]; first?: number };
}

export function routingSuite(spec: RoutingSpec): void {
  const files = corpusFiles(spec.corpus);
  const pick = (names: string[]) => names.map((n) => files.find((f) => path.basename(f) === n)).filter((f): f is string => !!f);
  describe(`${spec.id} dissector`, () => {
    for (const v of spec.verbose) {
      it.skipIf(files.length === 0 || !hasTcpdump())(`prints the corpus's ${spec.id} captures (${files.length} files) as tcpdump ${v ? "-" + "v".repeat(v) : "-nn"} does`, async () => {
        const r = await protoDiffs(files, v, spec.shows);
        const known = v ? (spec.knownVerbose ?? []).map((k) => `${k.file} -v${v} #${k.packet}\n`) : [];
        expect(r.diffs.filter((d) => !known.some((k) => d.startsWith(k)))).toEqual([]);
        console.log(`${spec.id}: corpus ${v ? "-" + "v".repeat(v) : "-nn"} match ${r.equal}/${r.packets}`);
        expect(r.packets).toBeGreaterThanOrEqual(spec.minPackets);
      }, 300_000);
    }
    if (spec.cut) {
      const cut = spec.cut;
      it.skipIf(pick(cut.files).length === 0 || !hasTcpdump() || !hasEditcap())(`prints cut captures as tcpdump does`, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsniff-${spec.id}-`));
        try {
          const diffs: string[] = [];
          for (const f of pick(cut.files)) {
            // only the packets that show this protocol (other protocols' cut lines speak for their own tests)
            const d = await truncatedDifferential(f, cut.snaps, dir, cut.verbose ?? [0, 1]);
            diffs.push(...d.filter((x) => spec.shows.test(x.slice(x.indexOf("\n")))));
          }
          expect(diffs.slice(0, 20)).toEqual([]);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }, 300_000);
    }
    if (spec.tshark) {
      const ts = spec.tshark;
      it.skipIf(pick(ts.files).length === 0 || !hasTshark())("has tshark's field values", async () => {
        const { diffs, compared } = await liveTsharkFields(pick(ts.files), ts.names);
        expect(diffs).toEqual([]);
        expect(compared).toBeGreaterThanOrEqual(ts.min);
      }, 120_000);
    }
    it.skipIf(pick(spec.robust.files).length === 0)("survives every truncation and seeded byte flips", async () => {
      const problems: string[] = [];
      for (const f of pick(spec.robust.files)) {
        const { packets } = await readCapture(f);
        problems.push(...robustness(packets.slice(0, spec.robust.first ?? 12), { seed: 0x0d13 }).map((p) => `${path.basename(f)}: ${p}`));
      }
      expect(problems.slice(0, 20)).toEqual([]);
    }, 300_000);
  });
}
