/**
 * The fuzzer's worker thread (started by scripts/fuzz.mjs): generates cases (or takes files to replay),
 * runs each through the library in-process (scripts/fuzz-core.mjs checkFile) and reports to the runner,
 * which watches it for hangs and memory. Uses the built library (dist/).
 */
import fs from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { CheckFailure, checkFile, findSeedFiles, loadSeeds, makeCase } from "./fuzz-core.mjs";

const dist = new URL("../dist/", import.meta.url);
const { FileSource } = await import(new URL("capture/file-source.js", dist).href);
const { FileDamage } = await import(new URL("capture/pcap-format.js", dist).href);
const { createPrinter } = await import(new URL("output/printer.js", dist).href);
const { Line } = await import(new URL("dissectors/line.js", dist).href);
const lib = { FileSource, FileDamage, createPrinter, Line };

const { seed, from, to, deadline, seedDirs, tmpDir, files, stallAt, bloatAt } = workerData;
const tmp = path.join(tmpDir, `case-${process.pid}-${from}.bin`);

async function one(index, file) {
  parentPort.postMessage({ t: "start", index });
  // Test hooks (test/fuzz/fuzz.test.ts): a case that never returns, one that eats the heap.
  if (index === stallAt) for (;;);
  if (index === bloatAt) for (const keep = []; ; ) keep.push(new Array(1 << 16).fill(index));
  try {
    const r = await checkFile(lib, file);
    parentPort.postMessage({ t: "done", index, packets: r.packets });
  } catch (e) {
    const kind = e instanceof CheckFailure ? e.kind : "exception";
    parentPort.postMessage({ t: "fail", index, kind, message: String(e && e.message ? e.message : e) });
  }
}

if (files) {
  for (let i = from; i < Math.min(to, files.length); i++) await one(i, files[i]);
} else {
  const seeds = loadSeeds(findSeedFiles(seedDirs));
  for (let i = from; i < to && Date.now() < deadline; i++) {
    const c = makeCase(seeds, seed, i);
    fs.writeFileSync(tmp, c.bytes);
    await one(i, tmp);
  }
  fs.rmSync(tmp, { force: true });
}
parentPort.postMessage({ t: "end" });
