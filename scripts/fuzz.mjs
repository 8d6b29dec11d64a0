#!/usr/bin/env node
/**
 * npm run fuzz [-- --seed N] [--cases N | --seconds S] [--no-save]
 *
 * Mutation fuzzing of the file readers, the dissectors and every output mode, in-process (scripts/fuzz-core.mjs
 * for what is mutated and checked). Seeded and deterministic: case i of seed s is always the same file. A
 * worker thread runs the cases; this process watches it: a case that takes longer than --hang-ms (default
 * 20000) or makes the worker run out of memory is a failure too. The first case of each distinct failure (its
 * kind and message, numbers aside) is kept under fixtures/fuzz/ (test/fuzz/replay.test.ts replays them all)
 * unless --no-save; the run stops after 50 failures, or at once when the library fails to set up a printer
 * (not an input's doing). Exit status 1 when a case failed.
 * Needs the built library (npm run build).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { findSeedFiles, loadSeeds, makeCase } from "./fuzz-core.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SEED_DIRS = [path.join(ROOT, "fixtures")].filter((d) => fs.existsSync(d));
export const FUZZ_DIR = path.join(ROOT, "fixtures", "fuzz");

/** The seed directories minus fixtures/fuzz (its files are replayed, not mutated: they would change the seeds). */
function seedDirs() {
  return [path.join(ROOT, "fixtures")];
}

function extOf(bytes) {
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a ? "pcapng" : "pcap";
}

/**
 * Runs cases [0, cases) of `seed` (or until `seconds` pass), or replays `files`. Returns the failures:
 * { index, kind, message, file? }. `save`: keep failing cases under fixtures/fuzz/.
 */
export async function runFuzz({ seed = 1, cases = Infinity, seconds = Infinity, files = null, save = false, hangMs = 20000, memMb = 1024, maxFailures = 50, log = () => {}, stallAt = -1, bloatAt = -1 } = {}) {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-fuzz-"));
  const deadline = Number.isFinite(seconds) ? Date.now() + seconds * 1000 : Number.MAX_SAFE_INTEGER;
  const total = files ? files.length : cases;
  const failures = [];
  let seeds = null;
  const regenerate = (index) => {
    if (files) return fs.readFileSync(files[index]);
    seeds ??= loadSeeds(findSeedFiles(seedDirs()).filter((f) => !f.startsWith(FUZZ_DIR + path.sep)));
    return makeCase(seeds, seed, index).bytes;
  };
  // One kept input per distinct failure (kind and first message line, numbers left out), and a limit.
  const signatures = new Set();
  let stopped = "";
  const keep = (f) => {
    if (f.kind === "setup") stopped = `the library fails to set up, not an input: ${f.message.split("\n")[0]}`;
    const sig = `${f.kind}:${f.message.split("\n")[0].replace(/\d+/g, "#")}`;
    const fresh = !signatures.has(sig);
    signatures.add(sig);
    failures.push(f);
    if (failures.length >= maxFailures) stopped ||= `${maxFailures} failures`;
    if (!fresh || f.kind === "setup") return; // the same failure again: counted, not kept or printed again
    if (save && !files) {
      fs.mkdirSync(FUZZ_DIR, { recursive: true });
      const bytes = regenerate(f.index);
      const name = `${f.kind}-s${seed}-c${f.index}.${extOf(bytes)}`;
      fs.writeFileSync(path.join(FUZZ_DIR, name), bytes);
      f.file = path.relative(ROOT, path.join(FUZZ_DIR, name));
    }
    log(`FAIL case ${f.index}${files ? ` (${files[f.index]})` : ""}: ${f.kind}: ${f.message.split("\n").slice(0, 6).join("\n  ")}${f.file ? `\n  kept as ${f.file}` : ""}`);
  };
  let next = 0;
  let done = 0;
  let packets = 0;
  const started = Date.now();
  try {
    while (next < total && Date.now() < deadline && !stopped) {
      const from = next;
      const outcome = await new Promise((resolve) => {
        let current = -1;
        let since = Date.now();
        let settled = false;
        const w = new Worker(new URL("./fuzz-worker.mjs", import.meta.url), {
          workerData: { seed, from, to: total, deadline, seedDirs: seedDirs(), tmpDir, files, stallAt, bloatAt },
          resourceLimits: { maxOldGenerationSizeMb: memMb },
        });
        const finish = (v) => {
          if (settled) return;
          settled = true;
          clearInterval(timer);
          resolve(v);
        };
        const timer = setInterval(() => {
          if (current >= 0 && Date.now() - since > hangMs) {
            w.terminate();
            finish({ fail: { index: current, kind: "hang", message: `no answer in ${hangMs} ms` }, resumeAt: current + 1 });
          }
        }, 250);
        w.on("message", (m) => {
          if (m.t === "start") {
            current = m.index;
            since = Date.now();
          } else if (m.t === "done") {
            done++;
            packets += m.packets;
            next = m.index + 1;
            current = -1;
            if (done % 500 === 0) log(`${done} cases, ${packets} packets, ${((Date.now() - started) / 1000).toFixed(0)} s, ${failures.length} failures`);
          } else if (m.t === "fail") {
            done++;
            next = m.index + 1;
            current = -1;
            keep({ index: m.index, kind: m.kind, message: m.message });
            if (stopped) {
              w.terminate();
              finish({ resumeAt: next });
            }
          } else if (m.t === "end") finish({ resumeAt: Math.max(next, total) });
        });
        w.on("error", (e) => {
          // Out of memory (ERR_WORKER_OUT_OF_MEMORY) or an error outside a case.
          const idx = current >= 0 ? current : next;
          finish({ fail: { index: idx, kind: e && e.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "exception", message: String(e && e.stack ? e.stack : e) }, resumeAt: idx + 1 });
        });
        w.on("exit", () => finish({ resumeAt: current >= 0 ? current + 1 : next }));
      });
      if (outcome.fail) {
        done++;
        keep(outcome.fail);
      }
      next = Math.max(next, outcome.resumeAt);
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  if (stopped) log(`fuzz: stopped: ${stopped}`);
  return { cases: done, packets, failures, stopped };
}

function parseArgs(argv) {
  const o = { seed: 1, cases: Infinity, seconds: Infinity, save: true, hangMs: 20000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === "--seed") o.seed = val() >>> 0;
    else if (a === "--cases") o.cases = Math.floor(val());
    else if (a === "--seconds") o.seconds = val();
    else if (a === "--hang-ms") o.hangMs = val();
    else if (a === "--no-save") o.save = false;
    else throw new Error(`unknown argument ${a} (use --seed N, --cases N, --seconds S, --hang-ms MS, --no-save)`);
  }
  if (!Number.isFinite(o.cases) && !Number.isFinite(o.seconds)) o.seconds = 60;
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`fuzz: ${e.message}`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOT, "dist", "output", "printer.js"))) {
    console.error("fuzz: the library is not built (npm run build)");
    process.exit(2);
  }
  const log = (s) => console.log(s);
  log(`fuzz: seed ${o.seed}, ${Number.isFinite(o.cases) ? `${o.cases} cases` : `${o.seconds} s`}`);
  const r = await runFuzz({ ...o, log });
  log(`fuzz: ${r.cases} cases, ${r.packets} packets, ${r.failures.length} failures`);
  process.exit(r.failures.length ? 1 : 0);
}
