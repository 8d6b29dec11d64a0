#!/usr/bin/env node
/**
 * The TUI at scale: `tsniff --tui -r FILE` (default: the 1M-packet capture made by bench/make-bench-pcap.sh,
 * $BENCH_PCAP or $TMPDIR/tsniff-bench/bench-1m.pcap, made first when missing) in a 160x45 tmux session.
 *
 *   first screen   from spawning the program to the first packet row on the screen (node start included)
 *   indexed        until the status bar shows every packet (the index pass over the whole file)
 *   keys           latency of scrolling keys (j, PgDn, G, g, k, PgUp) anywhere in the file: from send-keys to
 *                  the screen changing, as tmux shows it (includes tmux's own round trip: an upper bound)
 *   first key      a key sent as soon as the first screen shows: until the screen changes
 *   RSS            resident memory of the tsniff process after indexing and after scrolling, and its highest
 *                  sample (every 5 ms poll) through each later step
 *   dns filter     `/dns` Enter: until the pass is done, with keys (j, k) sent during it and timed; the CLI's
 *                  `tsniff -r FILE -Y dns` on the same file before and after, for comparison
 *   conversations  `c`: until the statistics pass over every packet is done
 *   follow         `s` on the first DNS packet: until the stream pass is done
 *   RSS target     the peak of each phase next to issue #17's target (< 200 MB at every moment), and where it
 *                  goes at each phase's highest sample in the program (main thread's heap, array buffers, the
 *                  worker's heap, the rest)
 *
 *   tmux floor     the same key timing on a program that redraws one line per key (bench/tui-floor.mjs): what
 *                  tmux, send-keys and capture-pane add to any program here, at this load
 *   frames         per frame, bytes and write calls to the terminal, and from the key to the last write's end
 *                  (TSNIFF_TUI_TRACE): "in the program" up to the terminal, without tmux's round trip
 *
 * Usage: node bench/tui.mjs [FILE]      (needs tmux and a built tree: npm run build)
 *   BENCH_TUI_CLI=0        without the CLI's `-Y dns` runs (the TUI's figures only)
 *   BENCH_TUI_TRACE=FILE   keeps the program's trace (TSNIFF_TUI_TRACE: frames, and a memory sample every 100 ms)
 *        BENCH_TUI_QUICK=1 node bench/tui.mjs   start, first key and scrolling keys only (no filter, CLI, stats)
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchPcap } from "./bench-pcap.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FILE = benchPcap("bench/tui", process.argv[2]);
const S = `ts-tui-bench-${process.pid}`;
const tmux = (...a) => spawnSync("tmux", ["-L", S, ...a], { encoding: "utf8" }).stdout;
const screen = () => tmux("capture-pane", "-p", "-t", S);
const now = () => performance.now();

const pause = new Int32Array(new SharedArrayBuffer(4));
/** send-keys k, then the time until the screen differs (ms) */
function pressTimed(k) {
  const before = screen();
  const t = now();
  tmux("send-keys", "-t", S, k);
  waitFor((s) => s !== before, 10_000);
  return now() - t;
}
/** issue #17: the TUI's RSS stays under this at every moment */
const TARGET_MB = 200;
let tsniffPid = "";
/** the highest RSS sampled since the last peakReset() (KiB) */
let peak = 0;
const peakReset = () => (peak = tsniffPid ? rssKiB(tsniffPid) : 0);
/** where each phase's lines begin and end in the program's trace (its `mem` lines: the memory's breakdown) */
const phaseTrace = {};
const traceSize = () => (fs.existsSync(TRACE) ? fs.statSync(TRACE).size : 0);
/** Polls the screen every 5 ms (polling without a pause would take a core from the program measured), and the RSS. */
function waitFor(pred, ms = 30_000) {
  const end = now() + ms;
  for (;;) {
    const s = screen();
    if (tsniffPid) peak = Math.max(peak, rssKiB(tsniffPid));
    if (pred(s)) return s;
    if (now() > end) throw new Error(`timed out; screen:\n${s}`);
    Atomics.wait(pause, 0, 0, 5);
  }
}

function rssKiB(pid) {
  let t = "";
  try {
    t = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return 0; // exited
  }
  const m = /VmRSS:\s+(\d+)/.exec(t);
  return m ? Number(m[1]) : 0;
}

/** CPU time (user + sys) of a process so far, ms (its /proc stat; 0 once it has exited). */
function cpuMs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const v = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return ((Number(v[11]) + Number(v[12])) * 1000) / 100; // utime, stime in clock ticks (100 a second here)
  } catch {
    return 0;
  }
}

/** The CLI's CPU times (ms), for the summary. */
const cliCpu = [];
/** `tsniff -r FILE -Y dns` to /dev/null: wall ms (and its CPU, user + sys, through /usr/bin/time, in cliCpu). */
function cliDns() {
  const t = now();
  const time = fs.existsSync("/usr/bin/time");
  const args = [process.execPath, path.join(ROOT, "bin", "tsniff"), "-r", FILE, "-Y", "dns"];
  const r = time ? spawnSync("/usr/bin/time", ["-f", "tsniff-cpu %U %S", ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" }) : spawnSync(args[0], args.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`tsniff -Y dns exited with ${r.status}`);
  const m = /tsniff-cpu ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
  if (m) cliCpu.push((Number(m[1]) + Number(m[2])) * 1000);
  return now() - t;
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

/**
 * Keys timed through a tmux control-mode client (`tmux -C attach`): send-keys written to it, the answer the
 * first %output of the pane after it that `done` accepts. No process is spawned per key and nothing is polled:
 * the time tmux has the program's answer, without send-keys' and capture-pane's own start-ups (which, spawned
 * every 5 ms, also take CPU from the program measured on a loaded machine).
 */
class Control {
  constructor(target) {
    this.target = target;
    this.out = "";
    this.wake = null;
    this.p = spawn("tmux", ["-L", S, "-C", "attach", "-t", target], { stdio: ["pipe", "pipe", "ignore"] });
    let buf = "";
    this.p.stdout.setEncoding("latin1");
    this.p.stdout.on("data", (d) => {
      buf += d;
      for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) {
        const l = buf.slice(0, i);
        if (!l.startsWith("%output ")) continue;
        // %output %PANE bytes (below 32 and backslash as \ooo), UTF-8
        const raw = l.slice(l.indexOf(" ", 8) + 1).replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
        this.out += Buffer.from(raw, "latin1").toString("utf8");
        this.wake?.();
      }
    });
  }
  /** send-keys k; ms until an answer `done` accepts (the pane's output since the key), or null after 10 s */
  async key(k, done = (o) => o.length > 0) {
    this.out = "";
    const t = now();
    this.p.stdin.write(`send-keys -t ${this.target} ${k}\n`);
    return await new Promise((resolve) => {
      const timer = setTimeout(() => ((this.wake = null), resolve(null)), 10_000);
      this.wake = () => {
        if (!done(this.out)) return;
        clearTimeout(timer);
        this.wake = null;
        resolve(now() - t);
      };
    });
  }
  /** waits until the pane has been quiet for `ms` */
  async quiet(ms = 300) {
    for (let n = -1; n !== this.out.length; ) {
      n = this.out.length;
      await new Promise((r) => setTimeout(r, ms));
    }
  }
  close() {
    this.p.stdin.end("detach-client\n");
    setTimeout(() => this.p.kill(), 2000).unref();
  }
}

const QUICK = !!process.env.BENCH_TUI_QUICK;
// The floor: send-keys to capture-pane on a program that only rewrites one line per key, same sizes and polling.
const floorCtl = [];
const floor = await (async () => {
  const F = `${S}-floor`;
  spawnSync("tmux", ["-L", S, "new-session", "-d", "-s", F, "-x", "160", "-y", "45", `${process.execPath} ${path.join(ROOT, "bench", "tui-floor.mjs")}`]);
  const shot = () => tmux("capture-pane", "-p", "-t", F);
  const t = [];
  try {
    const end = now() + 10_000;
    while (!/keys answered: 0/.test(shot()) && now() < end) Atomics.wait(pause, 0, 0, 5);
    for (let i = 0; i < 40; i++) {
      const before = shot();
      const s = now();
      tmux("send-keys", "-t", F, i % 2 ? "k" : "j");
      for (;;) {
        if (shot() !== before || now() - s > 10_000) break;
        Atomics.wait(pause, 0, 0, 5);
      }
      t.push(now() - s);
    }
    const c = new Control(F);
    for (let i = 0; i < 40; i++) {
      const ms = await c.key(i % 2 ? "k" : "j", (o) => o.includes("keys answered"));
      if (ms !== null) floorCtl.push(ms);
    }
    c.close();
  } finally {
    tmux("kill-session", "-t", F);
  }
  floorCtl.sort((a, b) => a - b);
  return t.sort((a, b) => a - b);
})();
const pctOf = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))].toFixed(1) : "-");
/** the trace's "sinceKey" figures (key to frame drawn, in the program), sorted */
const sinceKeys = (text) =>
  text
    .split("\n")
    .map((l) => /sinceKey (\S+)/.exec(l))
    .filter((m) => m && Number(m[1]) >= 0)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
/** the trace's "frame" lines: bytes and writes per frame, and key to the frame's last write (sorted) */
function frameStats(text) {
  const bytes = [];
  const writes = [];
  const key = [];
  for (const m of text.matchAll(/^frame bytes (\d+) writes (\d+)(?: keyToWritten (\S+))?/gm)) {
    bytes.push(Number(m[1]));
    writes.push(Number(m[2]));
    if (m[3] !== undefined) key.push(Number(m[3]));
  }
  for (const a of [bytes, writes, key]) a.sort((x, y) => x - y);
  return { bytes, writes, key };
}

/** The start and scrolling figures (and, from the trace up to the filter, the program's own). */
function printStart(firstScreen, firstKey, firstKeyFromLaunch, indexed, lat, total, traced, latCtl, ctlLost) {
  lat.sort((a, b) => a - b);
  latCtl.sort((a, b) => a - b);
  console.log(`tsniff --tui -r ${FILE} (${total} packets, ${(fs.statSync(FILE).size / 1e6).toFixed(0)} MB), tmux 160x45, node ${process.version}`);
  console.log(`  machine:           \`node -e 0\` takes ${nodeStart.toFixed(0)} ms now, load average ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log(`  first screen:      ${firstScreen.toFixed(0)} ms (from spawn, node start and module load included; target < 500), ${(firstScreen - nodeStart).toFixed(0)} ms over \`node -e 0\``);
  console.log(`  first key:         answered ${firstKey.toFixed(0)} ms after it was sent (at the first screen; target < 500), ${firstKeyFromLaunch.toFixed(0)} ms after launch (${(firstKeyFromLaunch - nodeStart).toFixed(0)} over \`node -e 0\`)`);
  console.log(`  indexed:           ${indexed.toFixed(0)} ms`);
  console.log(`  key latency (${lat.length} keys: j k PgUp PgDn g G): median ${pctOf(lat, 50)} ms, p95 ${pctOf(lat, 95)} ms (target < 100), max ${pctOf(lat, 100)} ms (as tmux shows it)`);
  console.log(`  tmux floor:        median ${pctOf(floor, 50)} ms, p95 ${pctOf(floor, 95)} ms: the same timing of a program that redraws one line per key (bench/tui-floor.mjs)`);
  console.log(`  key latency, control client (${latCtl.length} keys, the same; to tmux's first output of the pane): median ${pctOf(latCtl, 50)} ms, p95 ${pctOf(latCtl, 95)} ms (target < 100), max ${pctOf(latCtl, 100)} ms${ctlLost ? `; ${ctlLost} unanswered in 10 s` : ""}`);
  console.log(`  tmux floor, control client: median ${pctOf(floorCtl, 50)} ms, p95 ${pctOf(floorCtl, 95)} ms`);
  for (const re of [/first screen \(plain ANSI\).*/, /TUI modules loaded.*/, /first rows .*/]) {
    const line = re.exec(traced);
    if (line) console.log(`  in the program:    ${line[0]}`);
  }
  // In the program: from reading a key to the frame built (TSNIFF_TUI_TRACE), and to its last write's end
  const inner = sinceKeys(traced);
  console.log(`  key to frame drawn, in the program (${inner.length} frames): median ${pctOf(inner, 50)} ms, p95 ${pctOf(inner, 95)} ms, max ${pctOf(inner, 100)} ms`);
  const f = frameStats(traced);
  console.log(`  key to frame written to the terminal (${f.key.length}): median ${pctOf(f.key, 50)} ms, p95 ${pctOf(f.key, 95)} ms, max ${pctOf(f.key, 100)} ms`);
  console.log(`  frames (${f.bytes.length}): bytes median ${pctOf(f.bytes, 50)}, p95 ${pctOf(f.bytes, 95)}, max ${pctOf(f.bytes, 100)}; write calls median ${pctOf(f.writes, 50)}, max ${pctOf(f.writes, 100)}`);
}
// BENCH_TUI_CLI=0: the TUI alone (no `-Y dns` runs: memory work); BENCH_TUI_QUICK: no filter either
const withCli = process.env.BENCH_TUI_CLI !== "0" && !QUICK;
const cliBefore = withCli ? cliDns() : NaN;
const TRACE = path.join(os.tmpdir(), `tsniff-bench-tui-${process.pid}.trace`);
const cmd = `TSNIFF_TUI_TRACE=${TRACE} ${process.execPath} ${path.join(ROOT, "bin", "tsniff")} --tui -r '${FILE}'`;
const t0 = now();
tmux("new-session", "-d", "-s", S, "-x", "160", "-y", "45", cmd);
try {
 bench: {
  waitFor((s) => /^\s+1 0\.000000 /m.test(s));
  const firstScreen = now() - t0;
  // the first key, as soon as the first screen shows (Ink may still be loading: the key waits for it)
  const tk = now();
  tmux("send-keys", "-t", S, "j");
  waitFor((s) => /▸ Frame 2:/.test(s));
  const firstKey = now() - tk;
  const firstKeyFromLaunch = now() - t0;
  tsniffPid = nodePid();
  peakReset();
  phaseTrace.opening = [traceSize()];
  const done = waitFor((s) => /shown [\d,]+ \/ [\d,]+/.test(s) && !/indexing/.test(s), 120_000);
  const indexed = now() - t0;
  const total = /shown ([\d,]+) \//.exec(done)[1];
  const pid = tsniffPid;
  const rssIndexed = rssKiB(pid);
  const peakIndexing = peak;
  phaseTrace.opening.push(traceSize());
  phaseTrace["scrolling/End"] = [traceSize()];

  const lat = [];
  const press = (k) => lat.push(pressTimed(k));
  press("G");
  for (let i = 0; i < 20; i++) press("k");
  for (let i = 0; i < 10; i++) press("PPage");
  press("g");
  for (let i = 0; i < 20; i++) press("j");
  for (let i = 0; i < 30; i++) press("NPage");
  press("G");
  press("g");
  const rssAfter = rssKiB(pid);
  const peakScroll = peak;
  // (End started the stream numbering catch-up: let it finish, so the filter below runs alone)
  waitFor((s) => /\| shown [\d,]+ \/ [\d,]+ *$/m.test(s), 120_000);
  // the same keys timed through a control client
  const ctl = new Control(S);
  await ctl.quiet();
  const latCtl = [];
  let ctlLost = 0;
  for (const [k, n] of [["G", 1], ["k", 20], ["PPage", 10], ["g", 1], ["j", 20], ["NPage", 30], ["G", 1], ["g", 1]]) {
    for (let i = 0; i < n; i++) {
      const ms = await ctl.key(k);
      if (ms === null) ctlLost++;
      else latCtl.push(ms);
      await ctl.quiet(30);
    }
  }
  waitFor((s) => /\| shown [\d,]+ \/ [\d,]+ *$/m.test(s), 120_000);
  const traceAtCtl = fs.statSync(TRACE).size;
  if (QUICK) {
    printStart(firstScreen, firstKey, firstKeyFromLaunch, indexed, lat, total, fs.readFileSync(TRACE, "utf8"), latCtl, ctlLost);
    ctl.close();
    break bench;
  }
  const peakNumbering = peak;
  const rssNumbered = rssKiB(pid);
  phaseTrace["scrolling/End"].push(traceSize());

  // the dns display filter, with keys during it
  peakReset();
  tmux("send-keys", "-t", S, "/");
  waitFor((s) => /^\//m.test(s) || /filter/.test(s));
  tmux("send-keys", "-t", S, "-l", "dns");
  const cpuBeforeFilter = cpuMs(pid);
  const tf = now();
  tmux("send-keys", "-t", S, "Enter");
  waitFor((s) => /filtering \d+%/.test(s) || /filter: dns \|/.test(s));
  const during = [];
  const duringCtl = [];
  let unanswered = 0;
  let unansweredCtl = 0;
  const traceAtFilter = fs.statSync(TRACE).size;
  let filtered = "";
  for (let n = 0; ; n++) {
    const s = screen();
    if (/filter: dns \| shown [\d,]+ \/ [\d,]+ *$/m.test(s)) {
      filtered = s;
      break;
    }
    if (now() - tf > 600_000) throw new Error(`filter timed out:\n${s}`);
    // answered: the detail pane shows another frame (the pass's progress changes the status line by itself)
    const frame = (x) => /▸ Frame (\d+):/.exec(x)?.[1] ?? "";
    const before = frame(s);
    if (!before) {
      Atomics.wait(pause, 0, 0, 50);
      continue; // no match yet
    }
    if (n % 4 >= 2) {
      // every other pair of keys through the control client: answered when its output names another frame
      await ctl.quiet(20); // (what came while this loop did not read it is not an answer)
      const ms = await ctl.key(n % 2 ? "k" : "j", (o) => [...o.matchAll(/▸ Frame (\d+):/g)].some((m) => m[1] !== before));
      if (ms === null) unansweredCtl++;
      else duringCtl.push(ms);
      await new Promise((r) => setTimeout(r, 150));
      continue;
    }
    const t = now();
    tmux("send-keys", "-t", S, n % 2 ? "k" : "j");
    try {
      waitFor((x) => frame(x) !== before, 10_000);
      during.push(now() - t);
    } catch {
      unanswered++;
    }
    Atomics.wait(pause, 0, 0, 150);
  }
  const traceAfterFilter = fs.statSync(TRACE).size;
  ctl.close();
  const tuiDns = now() - tf;
  const tuiDnsCpu = cpuMs(pid) - cpuBeforeFilter; // the TUI's process, worker thread included (keys answered during it too)
  const dnsShown = /shown ([\d,]+) \//.exec(filtered)?.[1] ?? "?";
  const peakFilter = peak;
  phaseTrace["dns filter"] = [traceAtFilter, traceSize()];

  // conversations: the statistics pass over every packet
  peakReset();
  phaseTrace.conversations = [traceSize()];
  const tc = now();
  tmux("send-keys", "-t", S, "c");
  // done: the status line ends at the counts (no "statistics N%" after them); a positive test, since a screen
  // read while Ink redraws may lack the status line
  waitFor((s) => /^ Ethernet {2}IPv4 {2}IPv6 {2}TCP conversations/m.test(s) && /\| shown [\d,]+ \/ [\d,]+ *$/m.test(s), 600_000);
  const conv = now() - tc;
  const peakConv = peak;
  phaseTrace.conversations.push(traceSize());
  tmux("send-keys", "-t", S, "q");
  waitFor((s) => /filter: dns \|/.test(s) && /q quit/.test(s));

  // follow the first DNS packet's UDP stream
  peakReset();
  phaseTrace.follow = [traceSize()];
  tmux("send-keys", "-t", S, "g");
  const ts = now();
  tmux("send-keys", "-t", S, "s");
  waitFor((s) => /^Follow UDP /m.test(s) && /\| shown [\d,]+ \/ [\d,]+ *$/m.test(s), 600_000);
  const follow = now() - ts;
  const peakFollow = peak;
  const rssEnd = rssKiB(pid);
  Atomics.wait(pause, 0, 0, 300); // (a few more samples: after the pass)
  phaseTrace.follow.push(traceSize());
  const cliAfter = withCli ? cliDns() : NaN;

  during.sort((a, b) => a - b);
  const pct = (p, a = lat) => a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))].toFixed(1);
  const mb = (k) => (k / 1024).toFixed(0);
  const traced = fs.readFileSync(TRACE, "utf8");
  printStart(firstScreen, firstKey, firstKeyFromLaunch, indexed, lat, total, traced.slice(0, traceAtCtl), latCtl, ctlLost);
  const innerDuring = sinceKeys(traced.slice(traceAtFilter, traceAfterFilter));
  if (innerDuring.length) console.log(`  keys during the filter, key to frame drawn in the program (${innerDuring.length}): median ${pct(50, innerDuring)} ms, p95 ${pct(95, innerDuring)} ms, max ${pct(100, innerDuring)} ms`);
  const wDuring = frameStats(traced.slice(traceAtFilter, traceAfterFilter));
  if (wDuring.key.length) console.log(`  keys during the filter, key to frame written to the terminal (${wDuring.key.length}): median ${pct(50, wDuring.key)} ms, p95 ${pct(95, wDuring.key)} ms`);
  console.log(`  RSS:               ${mb(rssIndexed)} MB after indexing (peak ${mb(peakIndexing)}), ${mb(rssAfter)} MB after scrolling (peak ${mb(peakScroll)}), ${mb(rssNumbered)} MB after End's stream numbering (peak ${mb(peakNumbering)})`);
  console.log(`  dns filter:        TUI ${(tuiDns / 1000).toFixed(1)} s (${dnsShown} shown), CLI -Y dns ${(cliBefore / 1000).toFixed(1)} s before / ${(cliAfter / 1000).toFixed(1)} s after: TUI / CLI ${(tuiDns / ((cliBefore + cliAfter) / 2)).toFixed(2)} wall (target <= 1)`);
  if (cliCpu.length !== 2) console.log(`  dns filter CPU:    TUI ${(tuiDnsCpu / 1000).toFixed(1)} s (both threads, keys during it included)`);
  if (cliCpu.length === 2) console.log(`  dns filter CPU:    TUI ${(tuiDnsCpu / 1000).toFixed(1)} s (both threads, keys during it included), CLI ${(cliCpu[0] / 1000).toFixed(1)} s / ${(cliCpu[1] / 1000).toFixed(1)} s: TUI / CLI ${(tuiDnsCpu / ((cliCpu[0] + cliCpu[1]) / 2)).toFixed(2)} CPU`);
  if (unanswered) console.log(`  keys during the filter not answered within 10 s: ${unanswered}`);
  duringCtl.sort((a, b) => a - b);
  console.log(`  keys during it, control client (${duringCtl.length}): median ${pctOf(duringCtl, 50)} ms, p95 ${pctOf(duringCtl, 95)} ms (target < 100), max ${pctOf(duringCtl, 100)} ms${unansweredCtl ? `; ${unansweredCtl} unanswered in 10 s` : ""}`);
  console.log(`  keys during it (${during.length}): median ${pct(50, during)} ms, p95 ${pct(95, during)} ms (target < 100), max ${pct(100, during)} ms (as tmux shows it); RSS peak ${mb(peakFilter)} MB`);
  console.log(`  conversations:     ${(conv / 1000).toFixed(1)} s over every packet, RSS peak ${mb(peakConv)} MB`);
  console.log(`  follow (DNS/UDP):  ${(follow / 1000).toFixed(1)} s, RSS peak ${mb(peakFollow)} MB, ${mb(rssEnd)} MB at the end`);
  // issue #17's target: RSS < 200 MB at every moment
  const phases = [
    ["opening", peakIndexing],
    ["scrolling/End", Math.max(peakScroll, peakNumbering)],
    ["dns filter", peakFilter],
    ["conversations", peakConv],
    ["follow", Math.max(peakFollow, rssEnd)],
  ];
  const over = phases.filter(([, k]) => k >= TARGET_MB * 1024).map(([n]) => n);
  // where it goes: the program's own sample (every 100 ms) with the highest RSS in each phase
  for (const [n] of phases) {
    const [from, to] = phaseTrace[n] ?? [0, 0];
    let top = null;
    for (const l of traced.slice(from, to).split("\n")) {
      const m = /^mem rss (\S+) heap (\S+) used (\S+) buffers (\S+) worker (\S+)/.exec(l);
      if (m && (!top || Number(m[1]) > Number(top[1]))) top = m;
    }
    if (!top) continue;
    const [rss, heap, used, buffers, worker] = top.slice(1).map(Number);
    console.log(`  ${`${n}:`.padEnd(18)} highest sample in the program ${rss.toFixed(0)} MB = main thread's heap ${heap.toFixed(0)} (${used.toFixed(0)} used) + array buffers ${buffers.toFixed(0)} + worker's heap ${worker.toFixed(0)} + the rest ${(rss - heap - buffers - worker).toFixed(0)} (code, stacks, native)`);
  }
  console.log(`  RSS peak per phase (target < ${TARGET_MB} MB at every moment): ${phases.map(([n, k]) => `${n} ${mb(k)}`).join(", ")} MB: ${over.length ? `over in ${over.join(", ")}` : "met"} (load ${fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0]})`);
 }
} finally {
  const socket = tmux("display-message", "-p", "#{socket_path}").trim();
  tmux("kill-server");
  if (socket.endsWith(`/${S}`)) fs.rmSync(socket, { force: true }); // tmux leaves it behind
  if (process.env.BENCH_TUI_TRACE) fs.copyFileSync(TRACE, process.env.BENCH_TUI_TRACE); // (the program's trace kept: memory lines)
  fs.rmSync(TRACE, { force: true });
}
