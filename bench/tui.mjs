#!/usr/bin/env node
/**
 * The TUI at scale: `tsniff --tui -r FILE` (default: the 1M-packet capture made by bench/make-bench-pcap.sh,
 * $BENCH_PCAP or $TMPDIR/tsniff-bench/bench-1m.pcap, made first when missing) in a 160x45 tmux session.
 *
 *   first screen   from spawning the program to the first packet row on the screen (node start included)
 *   indexed        until the status bar shows every packet (the index pass over the whole file)
 *   keys           latency of scrolling keys (j, PgDn, G, g, k, PgUp) anywhere in the file: from send-keys to
 *                  the screen changing, as tmux shows it (includes tmux's own round trip: an upper bound)
 *   RSS            resident memory of the tsniff process after indexing and after scrolling
 *
 * Usage: node bench/tui.mjs [FILE]      (needs tmux and a built tree: npm run build)
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchPcap } from "./bench-pcap.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FILE = benchPcap("bench/tui", process.argv[2]);
const S = `tsniff-bench-tui-${process.pid}`;
const tmux = (...a) => spawnSync("tmux", ["-L", S, ...a], { encoding: "utf8" }).stdout;
const screen = () => tmux("capture-pane", "-p", "-t", S);
const now = () => performance.now();

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Polls the screen every 5 ms (polling without a pause would take a core from the program measured). */
function waitFor(pred, ms = 30_000) {
  const end = now() + ms;
  for (;;) {
    const s = screen();
    if (pred(s)) return s;
    if (now() > end) throw new Error(`timed out; screen:\n${s}`);
    Atomics.wait(pause, 0, 0, 5);
  }
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

function nodePid() {
  const pane = tmux("list-panes", "-t", S, "-F", "#{pane_pid}").trim();
  const isNode = (p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("tsniff");
    } catch {
      return false;
    }
  };
  if (isNode(pane)) return pane;
  const kids = spawnSync("pgrep", ["-P", pane], { encoding: "utf8" }).stdout.trim().split("\n");
  return kids.find(isNode);
}

// How busy the machine is: the wall time of an empty node process, now (about 0.1 s on an idle machine here).
const nodeStart = (() => {
  const t = [];
  for (let i = 0; i < 3; i++) {
    const s = now();
    spawnSync(process.execPath, ["-e", "0"]);
    t.push(now() - s);
  }
  return Math.min(...t);
})();

const TRACE = path.join(os.tmpdir(), `tsniff-bench-tui-${process.pid}.trace`);
const cmd = `TSNIFF_TUI_TRACE=${TRACE} ${process.execPath} ${path.join(ROOT, "bin", "tsniff")} --tui -r '${FILE}'`;
const t0 = now();
tmux("new-session", "-d", "-s", S, "-x", "160", "-y", "45", cmd);
try {
  waitFor((s) => /^\s+1 0\.000000 /m.test(s));
  const firstScreen = now() - t0;
  const done = waitFor((s) => /shown [\d,]+ \/ [\d,]+/.test(s) && !/indexing/.test(s), 120_000);
  const indexed = now() - t0;
  const total = /shown ([\d,]+) \//.exec(done)[1];
  const pid = nodePid();
  const rssIndexed = rssKiB(pid);

  const lat = [];
  const press = (k) => {
    const before = screen();
    const t = now();
    tmux("send-keys", "-t", S, k);
    waitFor((s) => s !== before, 10_000);
    lat.push(now() - t);
  };
  press("G");
  for (let i = 0; i < 20; i++) press("k");
  for (let i = 0; i < 10; i++) press("PPage");
  press("g");
  for (let i = 0; i < 20; i++) press("j");
  for (let i = 0; i < 30; i++) press("NPage");
  press("G");
  press("g");
  const rssAfter = rssKiB(pid);
  lat.sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))].toFixed(1);
  const mb = (k) => (k / 1024).toFixed(0);
  console.log(`tsniff --tui -r ${FILE} (${total} packets, ${(fs.statSync(FILE).size / 1e6).toFixed(0)} MB), tmux 160x45, node ${process.version}`);
  console.log(`  machine:           \`node -e 0\` takes ${nodeStart.toFixed(0)} ms now, load average ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log(`  first screen:      ${firstScreen.toFixed(0)} ms (from spawn, node start and module load included)`);
  console.log(`  indexed:           ${indexed.toFixed(0)} ms`);
  console.log(`  key latency (${lat.length} keys: j k PgUp PgDn g G): median ${pct(50)} ms, p95 ${pct(95)} ms, max ${pct(100)} ms`);
  const traced = fs.readFileSync(TRACE, "utf8");
  for (const re of [/first screen \(plain ANSI\).*/, /TUI modules loaded.*/, /first rows .*/]) {
    const line = re.exec(traced);
    if (line) console.log(`  in the program:    ${line[0]}`);
  }
  // In the program: from reading a key to the frame written (TSNIFF_TUI_TRACE), without tmux's round trip.
  const inner = fs
    .readFileSync(TRACE, "utf8")
    .split("\n")
    .map((l) => /sinceKey (\S+)/.exec(l))
    .filter((m) => m && Number(m[1]) >= 0)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const ip = (p) => inner[Math.min(inner.length - 1, Math.floor((p / 100) * inner.length))].toFixed(1);
  console.log(`  key to frame drawn, in the program (${inner.length} frames): median ${ip(50)} ms, p95 ${ip(95)} ms, max ${ip(100)} ms`);
  console.log(`  RSS:               ${mb(rssIndexed)} MB after indexing, ${mb(rssAfter)} MB after scrolling`);
} finally {
  tmux("kill-server");
  fs.rmSync(TRACE, { force: true });
}
