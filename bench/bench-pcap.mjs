/**
 * The benchmarks' input capture: $BENCH_PCAP when set, else $TMPDIR/tsniff-bench/bench-1m.pcap, made with
 * bench/make-bench-pcap.sh (as root, a few minutes) the first time it is missing. Never committed.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_BENCH_PCAP = path.join(os.tmpdir(), "tsniff-bench", "bench-1m.pcap");

/**
 * The capture to use: `given` (a command-line argument) or $BENCH_PCAP must exist; the default one is made
 * when missing. Exits with a one-line message when there is no capture.
 */
export function benchPcap(tag, given = "") {
  const named = given || process.env.BENCH_PCAP || "";
  const file = named || DEFAULT_BENCH_PCAP;
  if (fs.existsSync(file)) return file;
  if (named) {
    console.error(`${tag}: ${file} not found`);
    process.exit(1);
  }
  console.error(`${tag}: making ${file} with bench/make-bench-pcap.sh (a few minutes)`);
  const r = spawnSync("bash", [path.join(HERE, "make-bench-pcap.sh")], { stdio: "inherit", env: { ...process.env, OUT: file } });
  if (r.status !== 0 || !fs.existsSync(file)) {
    console.error(`${tag}: could not make ${file} (bench/make-bench-pcap.sh ${r.signal ? `killed by ${r.signal}` : `exited with ${r.status}`})`);
    process.exit(1);
  }
  return file;
}
