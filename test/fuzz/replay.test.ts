/**
 * Every input the fuzzer ever failed on (fixtures/fuzz/, kept by `npm run fuzz`), and the crafted inputs of
 * issue 11's bugs, replayed in-process through the reader and every output mode with the fuzzer's checks
 * (scripts/fuzz-core.mjs): fixed bugs stay fixed.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
// @ts-expect-error: a plain ES module without type declarations
import { checkFile } from "../../scripts/fuzz-core.mjs";
import { ROOT } from "../helpers/paths.js";
import { FileSource } from "../../src/capture/file-source.js";
import { FileDamage } from "../../src/capture/pcap-format.js";
import { createPrinter } from "../../src/output/printer.js";
import { Line } from "../../src/dissectors/line.js";

const DIR = path.join(ROOT, "fixtures", "fuzz");
const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort() : [];
const lib = { FileSource, FileDamage, createPrinter, Line };

describe("fixtures/fuzz: inputs that once failed", () => {
  it("the directory holds the kept inputs", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const f of files) {
    it(f, async () => {
      const r: { packets: number } = await checkFile(lib, path.join(DIR, f));
      expect(r.packets).toBeGreaterThanOrEqual(0);
    }, 60_000);
  }
});
