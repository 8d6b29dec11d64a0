/**
 * tsniff's text for every packet of a capture against tcpdump's (the oracle), as scripts/fidelity.mjs compares
 * them: tcpdump runs with -# so that its packets are told apart by their numbers (a -v packet's continuation
 * lines and a tunnel's inner packet on a line of its own are part of the packet, as in tsniff's text); tsniff
 * dissects in-process through the library.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector } from "../../src/dissectors/index.js";
import { termSafe } from "../../src/output/escape.js";
import { CORPUS } from "./paths.js";

export type Mode = "-nn" | "-v" | "-e";
const FLAGS: Record<Mode, string[]> = { "-nn": [], "-v": ["-v"], "-e": ["-e"] };

/** tcpdump's packets for a file (-# cut, numbers taken off). */
function tcpdumpPackets(file: string, mode: Mode): string[] {
  const r = spawnSync("tcpdump", ["-#", "-nn", "-t", ...FLAGS[mode], "-r", file], { maxBuffer: 1 << 28 });
  const out: string[] = [];
  for (const l of r.stdout.toString("latin1").split("\n")) {
    const tag = String(out.length + 1).padStart(5) + "  ";
    if (l.startsWith(tag)) out.push(l.slice(tag.length));
    else if (out.length && l !== "") out[out.length - 1] += "\n" + l;
  }
  return out;
}

/** tsniff's text for each packet of a file, in-process. */
async function ours(file: string, mode: Mode): Promise<string[]> {
  const src = await FileSource.open(file);
  const dis = new Dissector({ verbose: mode === "-v" ? 1 : 0, linkHeader: mode === "-e" });
  const out: string[] = [];
  let frame = 0;
  await src.run((b) => {
    for (let i = 0; i < b.count; i++) out.push(termSafe(dis.summary(b, i, ++frame).info));
    return Infinity;
  });
  return out;
}

/** The packets (of those whose tcpdump text matches `shows`, or all) that differ, as readable lines. */
export async function differing(file: string, mode: Mode, shows?: RegExp): Promise<{ diffs: string[]; compared: number }> {
  const f = path.isAbsolute(file) ? file : path.join(CORPUS, file);
  const theirs = tcpdumpPackets(f, mode);
  const mine = await ours(f, mode);
  const diffs: string[] = [];
  let compared = 0;
  for (let i = 0; i < Math.max(theirs.length, mine.length); i++) {
    if (shows && !shows.test(theirs[i] ?? "")) continue;
    compared++;
    if (theirs[i] !== mine[i]) diffs.push(`${path.basename(file)} ${mode} #${i + 1}\n  tcpdump: ${JSON.stringify(theirs[i])}\n  tsniff:  ${JSON.stringify(mine[i])}`);
  }
  return { diffs, compared };
}


/** A corpus capture and the report's modes in which every packet (of those tcpdump's text `shows`) must equal tcpdump's. */
export interface FidelityCase {
  file: string;
  modes: Mode[];
  /** only the packets whose tcpdump text matches (other protocols in the capture speak for their own tests) */
  shows?: RegExp;
}
export const ALL_MODES: Mode[] = ["-nn", "-v", "-e"];

/**
 * A describe block of one test per capture: tsniff's text for each packet equals tcpdump's in each mode
 * (skipped where tcpdump or the corpus is missing). Call it inside a vitest test file.
 */
export function fidelitySuite(title: string, cases: FidelityCase[]): void {
  const have = spawnSync("tcpdump", ["--version"]).status === 0 && fs.existsSync(CORPUS);
  describe.skipIf(!have)(title, () => {
    it.each(cases.map((c) => [c.file, c] as const))("%s", async (_f, c) => {
      const diffs: string[] = [];
      let compared = 0;
      for (const m of c.modes) {
        const r = await differing(c.file, m, c.shows);
        diffs.push(...r.diffs);
        compared += r.compared;
      }
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThan(0);
    }, 120_000);
  });
}
