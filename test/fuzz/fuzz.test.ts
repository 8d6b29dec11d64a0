/**
 * The mutation fuzzer (scripts/fuzz.mjs, scripts/fuzz-core.mjs) in the suite: a few hundred seeded cases of
 * mutated pcap/pcapng files from fixtures/ (tcpdump's corpus included), each read and printed in-process in
 * every output mode; none may throw, hang, run out of memory, print a raw control byte or forge a packet line.
 * `npm run fuzz` runs the same for longer and keeps failing cases under fixtures/fuzz/ (replay.test.ts).
 * Uses the built library (dist/, made by npm test's build step), as the CLI does.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error: a plain ES module without type declarations
import { runFuzz } from "../../scripts/fuzz.mjs";
// @ts-expect-error: a plain ES module without type declarations
import { caseSeed, checkFile, findSeedFiles, loadSeeds, makeCase, MODES } from "../../scripts/fuzz-core.mjs";
import { ROOT } from "../helpers/paths.js";
import { FileSource } from "../../src/capture/file-source.js";
import { FileDamage } from "../../src/capture/pcap-format.js";
import { createPrinter } from "../../src/output/printer.js";
import { Line } from "../../src/dissectors/line.js";

type Failure = { index: number; kind: string; message: string };

describe("mutation fuzzer", () => {
  it("cases are deterministic: the same seed and index give the same file, another index another", () => {
    const seeds = loadSeeds(findSeedFiles([path.join(ROOT, "fixtures", "dns"), path.join(ROOT, "fixtures", "http")]));
    expect(seeds.length).toBeGreaterThan(0);
    const a = makeCase(seeds, 5, 17).bytes as Uint8Array;
    const b = makeCase(seeds, 5, 17).bytes as Uint8Array;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const differ = [18, 19, 20, 21].some((i) => !Buffer.from(makeCase(seeds, 5, i).bytes).equals(Buffer.from(a)));
    expect(differ).toBe(true);
    expect(caseSeed(5, 17)).not.toBe(caseSeed(6, 17));
  });

  it("its checks catch what they promise to: a forged packet line, a raw control byte, an exception", async () => {
    // The checks run on a printer that misbehaves on purpose: each broken promise must be reported.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-fuzzcheck-"));
    try {
      const file = path.join(ROOT, "fixtures", "dns", fs.readdirSync(path.join(ROOT, "fixtures", "dns")).find((f) => f.endsWith(".pcap"))!);
      const lib = { FileSource, FileDamage, createPrinter, Line };
      expect((await checkFile(lib, file)).packets).toBeGreaterThan(0);
      const bad = (tweak: (s: string) => string) => ({
        ...lib,
        createPrinter: (o: never, info: never) => {
          const p = createPrinter(o, info);
          return Object.assign((b: never, i: number, f: number) => tweak(p(b, i, f)), { ctx: p.ctx });
        },
      });
      await expect(checkFile(bad((s) => s.replace(": ", ": x\n12:34:56.000000 IP forged\n")), file)).rejects.toMatchObject({ kind: "output" });
      await expect(checkFile(bad((s) => s + "\x1b[2J"), file)).rejects.toMatchObject({ kind: "control" });
      await expect(
        checkFile(
          bad(() => {
            throw new TypeError("boom");
          }),
          file,
        ),
      ).rejects.toMatchObject({ kind: "exception" });
      expect(MODES.length).toBeGreaterThanOrEqual(10);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the runner survives a case that hangs and one that runs out of memory: both reported, the other cases run", async () => {
    const r: { cases: number; failures: Failure[] } = await runFuzz({ seed: 3, cases: 6, hangMs: 3000, memMb: 64, stallAt: 1, bloatAt: 4 });
    expect(r.failures.map((f) => [f.index, f.kind])).toEqual([
      [1, "hang"],
      [4, "memory"],
    ]);
    expect(r.cases).toBe(6);
  }, 60_000);

  it("300 seeded cases over every output mode: no exception, hang, memory blow-up, raw control byte or forged line", async () => {
    const r: { cases: number; packets: number; failures: Failure[] } = await runFuzz({ seed: 20261207, cases: 300, seconds: 50, hangMs: 20000 });
    expect(r.failures.map((f) => `case ${f.index}: ${f.kind}: ${f.message.split("\n")[0]}`)).toEqual([]);
    expect(r.cases).toBeGreaterThanOrEqual(100); // a slow machine may not finish all 300 in the time given
    expect(r.packets).toBeGreaterThan(r.cases); // the cases reach the dissectors, not only the readers
  }, 90_000);
});
