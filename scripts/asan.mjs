#!/usr/bin/env node
// The libpcap addon under AddressSanitizer (issue #11): builds native/tsniff_pcap.c with -fsanitize=address into
// build-asan/ (git-ignored, rebuilt only when the source, flags, compiler or node change), then runs tsniff's file
// and live workloads with libasan preloaded into node and TSNIFF_ADDON pointing at that build. Any ASan or LSan
// report, a crash, or a workload that did not do what it should fails the run (exit 1).
//
//   node scripts/asan.mjs [--list] [--build-only] [--keep-going] [--quick] [name-substring...]
//   (--quick: the smaller corpus sample and fewer SIGINT runs of the test suite; TSNIFF_ASAN_ADDON=file.node runs
//   the workloads on an ASan build made elsewhere, e.g. of an older commit, instead of building one)
//
// Live workloads need root and `ip netns` (namespaces h6as<pid>a/b joined by a veth pair, traffic only between
// them and on their loopback); without them they are skipped, with a note. test/native/asan.test.ts runs the same
// workloads one test each. Leak detection stays on: tsniff ends by returning from its event loop, and node frees
// its own memory on that path, so what LSan reports at exit is the addon's (or libpcap's through it).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ASAN_DIR = path.join(ROOT, "build-asan");
/** TSNIFF_ASAN_ADDON: an ASan build made elsewhere to run the workloads on instead (no build then). */
export const ASAN_ADDON = process.env.TSNIFF_ASAN_ADDON ? path.resolve(process.env.TSNIFF_ASAN_ADDON) : path.join(ASAN_DIR, "tsniff_pcap.node");
const SOURCE = path.join(ROOT, "native", "tsniff_pcap.c");
/** every C file of the addon (binding.gyp's sources): tsniff_pcap.c's init registers tsniff_craft.c's functions */
const SOURCES = [SOURCE, path.join(ROOT, "native", "tsniff_craft.c")];
const TSNIFF = path.join(ROOT, "bin", "tsniff");
const CORPUS = path.join(ROOT, "fixtures", "corpus", "tcpdump");
/** ASan exits with this code after a report (LSan too), so a report is told apart from tsniff's own 1 and 2. */
export const ASAN_EXIT = 86;

const CFLAGS = [
  "-shared", "-fPIC", "-pthread", "-std=gnu11",
  "-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer", "-fno-common",
  // UndefinedBehaviorSanitizer too (its runtime is linked in, nothing to preload), fatal like ASan, with every
  // check including "alignment" (on_packet writes the record header with memcpy at any offset of the batch).
  "-fsanitize=undefined", "-fno-sanitize-recover=undefined",
  "-Wall", "-Wno-unused-parameter",
  "-DNODE_GYP_MODULE_NAME=tsniff_pcap", "-DBUILDING_NODE_EXTENSION", "-D_FILE_OFFSET_BITS=64", "-D_LARGEFILE_SOURCE",
];

class Fail extends Error {}

/** libasan's path as gcc knows it; the one to preload (it must come first in node's link map). */
export function libasanPath() {
  let p = "";
  try {
    p = execFileSync("gcc", ["-print-file-name=libasan.so"], { encoding: "utf8" }).trim();
  } catch {
    throw new Fail("asan: gcc not found (Debian: apt-get install gcc)");
  }
  if (!path.isAbsolute(p) || !fs.existsSync(p)) throw new Fail("asan: gcc has no libasan.so (Debian: apt-get install gcc, which brings libasan)");
  return fs.realpathSync(p);
}

/** Node's headers (node_api.h): beside node, node-gyp's cache, or the nodedir the regular build used. */
export function nodeIncludeDir() {
  const v = process.versions.node;
  const dirs = [
    process.env.TSNIFF_NODE_INCLUDE,
    path.join(path.dirname(process.execPath), "..", "include", "node"),
    path.join(os.homedir(), ".cache", "node-gyp", v, "include", "node"),
    path.join(os.homedir(), ".node-gyp", v, "include", "node"),
  ];
  try {
    const gypi = fs.readFileSync(path.join(ROOT, "build", "config.gypi"), "utf8");
    const m = /"nodedir":\s*"([^"]+)"/.exec(gypi);
    if (m) dirs.push(path.join(m[1], "include", "node"));
  } catch {}
  for (const d of dirs) if (d && fs.existsSync(path.join(d, "node_api.h"))) return path.resolve(d);
  throw new Fail("asan: node's headers (node_api.h) not found; run `npm run build:native` once (node-gyp fetches them) or set TSNIFF_NODE_INCLUDE");
}

/** Compiles one C file into a Node-API module with the ASan flags (the test suite's canary uses it). */
export function compileAsan(source, out) {
  const r = spawnSync("gcc", [...CFLAGS, `-I${nodeIncludeDir()}`, source, "-o", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Fail(`asan: building ${source} failed:\n${r.stderr || r.error}`);
  return out;
}

/**
 * Builds build-asan/tsniff_pcap.node unless the one there was made from the same source, flags, gcc and node.
 * Returns its path. The file is written under a temporary name and renamed, so a concurrent run never loads half.
 */
export function buildAsan({ force = false, log = () => {} } = {}) {
  if (process.env.TSNIFF_ASAN_ADDON) return ASAN_ADDON;
  const inc = nodeIncludeDir();
  const args = [...CFLAGS, `-I${inc}`, ...SOURCES, "-lpcap", "-o"];
  const gccVersion = execFileSync("gcc", ["-dumpfullversion"], { encoding: "utf8" }).trim();
  const key = crypto
    .createHash("sha256")
    .update(Buffer.concat(SOURCES.map((f) => fs.readFileSync(f))))
    .update(JSON.stringify([args, gccVersion, process.versions.node, process.versions.napi]))
    .digest("hex");
  const stamp = path.join(ASAN_DIR, "stamp");
  if (!force && fs.existsSync(ASAN_ADDON) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === key) return ASAN_ADDON;
  fs.mkdirSync(ASAN_DIR, { recursive: true });
  const tmp = `${ASAN_ADDON}.${process.pid}.tmp`;
  log(`asan: gcc ${CFLAGS.join(" ")} -I${inc} ${SOURCES.map((f) => path.relative(ROOT, f)).join(" ")} -lpcap`);
  const r = spawnSync("gcc", [...args, tmp], { encoding: "utf8" });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Fail(`asan: building the addon failed:\n${r.stderr || r.error}`);
  }
  fs.renameSync(tmp, ASAN_ADDON);
  fs.writeFileSync(stamp, key);
  return ASAN_ADDON;
}

/**
 * The environment for a process that runs the ASan addon. halt_on_error: the first report ends the process with
 * ASAN_EXIT; leaks are checked at exit. Reports go to stderr (and are looked for there: findReports).
 */
export function asanEnv(extra = {}) {
  const env = { ...process.env, TZ: "UTC", ...extra };
  env.LD_PRELOAD = libasanPath();
  env.TSNIFF_ADDON = ASAN_ADDON;
  env.ASAN_OPTIONS = [
    "detect_leaks=1",
    "halt_on_error=1",
    `exitcode=${ASAN_EXIT}`,
    "abort_on_error=0",
    "strict_string_checks=1",
    "check_initialization_order=1",
    "detect_stack_use_after_return=0",
    "allocator_may_return_null=0",
    "print_summary=1",
    // node installs its own SIGSEGV handler (WebAssembly traps); keep ASan's, so a crash comes with its stack.
    "allow_user_segv_handler=0",
    // By hand, more (slower) checks: TSNIFF_ASAN_OPTIONS=detect_stack_use_after_return=1 npm run asan
    ...(process.env.TSNIFF_ASAN_OPTIONS ? [process.env.TSNIFF_ASAN_OPTIONS] : []),
  ].join(":");
  env.LSAN_OPTIONS = `exitcode=${ASAN_EXIT}:report_objects=1`;
  env.UBSAN_OPTIONS = `print_stacktrace=1:halt_on_error=1:exitcode=${ASAN_EXIT}`;
  return env;
}

const REPORT = /^.*(?:ERROR: (?:AddressSanitizer|LeakSanitizer)|SUMMARY: (?:AddressSanitizer|LeakSanitizer)|AddressSanitizer:DEADLYSIGNAL|runtime error:).*$/gm;

/** The sanitizer report lines in a process's stderr (empty when there is none). */
export function findReports(stderr) {
  return stderr.match(REPORT) ?? [];
}

// ---------------------------------------------------------------------------------------------------------------
// Running things

function run(cmd, args, { env, input, timeout = 60_000, ns } = {}) {
  const argv = ns ? ["netns", "exec", ns, cmd, ...args] : args;
  const r = spawnSync(ns ? "ip" : cmd, argv, { env, input, timeout, maxBuffer: 1 << 28 });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? Buffer.alloc(0), stderr: (r.stderr ?? "").toString(), error: r.error };
}

/** tsniff (from dist/, as bin/tsniff runs it) under ASan, to completion. */
function tsniffAsan(args, opts = {}) {
  return run(process.execPath, [TSNIFF, ...args], { ...opts, env: asanEnv(opts.env) });
}

/** Background tsniff processes still running; killStarted() ends them (a workload that failed half-way). */
const started = new Set();
export function killStarted() {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  started.clear();
}

function startAsan(args, { ns, stdio = ["ignore", "pipe", "pipe"] } = {}) {
  const argv = [TSNIFF, ...args];
  const p = spawn(ns ? "ip" : process.execPath, ns ? ["netns", "exec", ns, process.execPath, ...argv] : argv, { env: asanEnv(), stdio });
  started.add(p);
  p.on("close", () => started.delete(p));
  p.stderrText = "";
  p.stdoutBytes = 0;
  p.stdoutChunks = [];
  p.stderr?.on("data", (d) => (p.stderrText += d.toString()));
  p.stdout?.on("data", (d) => {
    p.stdoutBytes += d.length;
    p.stdoutChunks.push(d);
  });
  p.done = new Promise((resolve) => p.on("close", (code, signal) => resolve({ code, signal })));
  return p;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(p, text, ms = 20_000) {
  const t0 = Date.now();
  while (!p.stderrText.includes(text)) {
    if (p.exitCode !== null || p.signalCode !== null) throw new Fail(`exited before "${text}": ${p.stderrText.trim()}`);
    if (Date.now() - t0 > ms) throw new Fail(`no "${text}" within ${ms / 1000} s: ${p.stderrText.trim()}`);
    await sleep(50);
  }
}

/** Ends `p` if it is still running after `ms` (a hang is a failure of its own, reported by the caller). */
async function within(p, ms) {
  const timer = setTimeout(() => p.kill("SIGKILL"), ms);
  const r = await p.done;
  clearTimeout(timer);
  return r;
}

/** The library modules under dist/ that a workload script imports (npm run build makes them). */
function distUrl(rel) {
  const f = path.join(ROOT, "dist", rel);
  if (!fs.existsSync(f)) throw new Fail(`asan: ${path.relative(ROOT, f)} is missing; run npm run build`);
  return new URL(`file://${f}`).href;
}

/** Runs a node -e script under ASan; it prints one JSON line that the workload checks. */
function nodeScriptAsan(script, opts = {}) {
  const r = run(process.execPath, ["--input-type=module", "-e", script], { ...opts, env: asanEnv(opts.env) });
  let out = null;
  try {
    out = JSON.parse(r.stdout.toString().trim().split("\n").pop());
  } catch {}
  return { ...r, out };
}

function lines(buf) {
  const s = buf.toString();
  return s ? s.replace(/\n$/, "").split("\n").length : 0;
}

function pcapRecords(file) {
  // Counts records of a classic pcap file (the header's byte order), enough to see that -w wrote packets.
  const b = fs.readFileSync(file);
  if (b.length < 24) return 0;
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  let off = 24,
    n = 0;
  while (off + 16 <= b.length) {
    const cap = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 8);
    off += 16 + cap;
    if (off > b.length) break;
    n++;
  }
  return n;
}

/**
 * Counts the UDP/IPv4 packets per destination port in a pcap stream on `p`'s stdout (tsniff -w -): what reached
 * the file, whatever the dissectors print. counts.get(port) is read while it runs.
 */
function udpPortCounter(p) {
  const counts = new Map();
  let buf = Buffer.alloc(0),
    header = false,
    le = true;
  p.stdout.on("data", (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    let off = 0;
    if (!header) {
      if (buf.length < 24) return;
      le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
      header = true;
      off = 24;
    }
    while (off + 16 <= buf.length) {
      const cap = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
      if (off + 16 + cap > buf.length) break;
      const f = buf.subarray(off + 16, off + 16 + cap);
      if (f.length >= 42 && f.readUInt16BE(12) === 0x0800 && f[23] === 17) {
        const port = f.readUInt16BE(14 + (f[14] & 15) * 4 + 2);
        counts.set(port, (counts.get(port) ?? 0) + 1);
      }
      off += 16 + cap;
    }
    buf = buf.subarray(off);
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------------------------
// Namespaces for the live workloads: h6as<pid>a and h6as<pid>b, veth h6a<pid> / h6b<pid>.

export function canUseNetns() {
  return process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"]).status === 0;
}

export function makeNet() {
  const id = String(process.pid % 100000);
  const a = `h6as${id}a`,
    b = `h6as${id}b`,
    ifA = `h6a${id}`,
    ifB = `h6b${id}`;
  const ipA = "10.206.0.1",
    ipB = "10.206.0.2";
  const ip = (...args) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
  const procs = new Set();
  const destroy = () => {
    killStarted();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    spawnSync("ip", ["netns", "del", a]);
    spawnSync("ip", ["netns", "del", b]);
  };
  destroy();
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b);
    ip("-n", a, "addr", "add", `${ipA}/24`, "dev", ifA);
    ip("-n", b, "addr", "add", `${ipB}/24`, "dev", ifB);
    for (const [ns, dev] of [[a, ifA], [b, ifB]]) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", dev, "up");
    }
  } catch (e) {
    destroy();
    throw new Fail(`asan: cannot make the namespaces: ${e.stderr?.toString().trim() || e.message}`);
  }
  /**
   * UDP datagrams from namespace `ns` to dst:port as fast as the loop goes (a flood), for at most `seconds`,
   * sizes varying 1..1400 bytes. Not under ASan: it is only traffic. Returns the process; net.destroy() ends it.
   */
  const flood = (ns, dst, port, seconds = 30) => {
    const script = `const s=require("dgram").createSocket("udp4");s.on("error",()=>{});const end=Date.now()+${seconds * 1000};let i=0;
function go(){if(Date.now()>end){s.close();return}for(let k=0;k<64;k++){i++;s.send(Buffer.alloc(1+(i*37)%1400,i&255),${port},${JSON.stringify(dst)})}setImmediate(go)}go();`;
    const p = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], { stdio: "ignore" });
    procs.add(p);
    return p;
  };
  return { a, b, ifA, ifB, ipA, ipB, flood, destroy };
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads. Each returns { stderr, code, signal, problem }: problem is null when it did what it should.

function corpusFiles() {
  return fs
    .readdirSync(CORPUS)
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .sort()
    .map((f) => path.join(CORPUS, f));
}

/**
 * Every tenth corpus file plus damaged ones (names saying so), for the CLI runs that start node each time;
 * quick (the test suite): every 200th and five damaged ones.
 */
function corpusSample(quick) {
  const all = corpusFiles();
  const bad = all.filter((f) => /(oobr|overflow|invalid|malformed|bad|trunc|crash|fuzz|-ov-|bof|cve)/i.test(path.basename(f)));
  const pick = all.filter((_, i) => i % (quick ? 200 : 10) === 0);
  return [...new Set([...pick, ...bad.filter((_, i) => i % Math.ceil(bad.length / (quick ? 5 : 60)) === 0)])];
}

function result(r, problem) {
  return { stderr: r.stderr, code: r.code, signal: r.signal, problem };
}

export const fileWorkloads = [
  {
    name: "file: whole corpus through libpcap's compile and bpf_filter (one process)",
    run: async () => {
      // Every corpus file read with the library's FileSource; for each link type a set of filters compiled by the
      // addon (some fail to compile for some link types: that error path runs too) and every batch through
      // filterBatch, checked against the library's own BPF interpreter packet by packet.
      const script = `
import fs from "node:fs";
const { FileSource } = await import(${JSON.stringify(distUrl("capture/file-source.js"))});
const { native } = await import(${JSON.stringify(distUrl("capture/native.js"))});
const { runBpf } = await import(${JSON.stringify(distUrl("filter/bpf.js"))});
const { linktypeToDlt } = await import(${JSON.stringify(distUrl("filter/compile.js"))});
const files = ${JSON.stringify(corpusFiles())};
const exprs = ["tcp or udp", "ip[0] & 0xf != 5", "len > 100 and not broadcast", "ip6 and tcp[13] & 2 != 0", "vlan and ip", "ether[12:2] = 0x0800 or ppp", "udp port 53 and udp[10] & 0x80 = 0", "icmp or icmp6 or arp", "greater 1000", "host 10.0.0.1 or net 192.168.0.0/16"];
const b = native();
const s = { files: 0, opened: 0, damaged: 0, packets: 0, matched: 0, compiled: 0, compileErrors: 0, mismatches: 0 };
const progs = new Map();
for (const f of files) {
  s.files++;
  let src;
  try { src = await FileSource.open(f); } catch { s.damaged++; continue; }
  s.opened++;
  const dlt = linktypeToDlt(src.info.linktype);
  let list = progs.get(dlt);
  if (!list) {
    list = [];
    for (const e of exprs) {
      try { list.push(b.compile(e, dlt, 262144, 1, 0xffffff00)); s.compiled++; } catch (err) { if (err.code !== "EFILTER") throw err; s.compileErrors++; }
    }
    progs.set(dlt, list);
  }
  try {
    await src.run((batch) => {
      s.packets += batch.count;
      for (const p of list) {
        const v = b.filterBatch(p, batch.data, batch.offset, batch.caplen, batch.wirelen, batch.count);
        for (let i = 0; i < batch.count; i++) {
          if (v[i]) s.matched++;
          const o = batch.offset[i], c = batch.caplen[i];
          const js = o + c > batch.data.length ? 0 : runBpf(p, batch.data, o, c, batch.wirelen[i]);
          if ((js !== 0) !== (v[i] !== 0)) s.mismatches++;
        }
      }
      return Infinity;
    });
  } catch { s.damaged++; }
}
console.log(JSON.stringify(s));
`;
      const r = nodeScriptAsan(script, { timeout: 240_000 });
      const s = r.out;
      let problem = null;
      if (!s) problem = `no summary (exit ${r.code}${r.signal ? " " + r.signal : ""}): ${r.stderr.slice(-400)}`;
      else if (s.files < 800 || s.opened < 700 || s.packets < 10000 || s.matched === 0 || s.compiled === 0)
        problem = `did less than it should: ${JSON.stringify(s)}`;
      else if (s.mismatches) problem = `libpcap and the library's BPF disagree on ${s.mismatches} verdicts: ${JSON.stringify(s)}`;
      return { ...result(r, problem), note: s ? JSON.stringify(s) : "" };
    },
  },
  {
    name: "file: filterBatch and compile given bad arguments",
    run: async () => {
      // The binding's own checks: arrays shorter than count, offsets past the buffer, programs libpcap would
      // run off the end of, wrong array types. Each call must throw or return verdicts, never touch memory it
      // does not own.
      const script = `
const { native } = await import(${JSON.stringify(distUrl("capture/native.js"))});
const b = native();
const good = b.compile("udp", 1, 262144, 1, 0);
// Arrays of more than 64 bytes: V8 keeps smaller typed arrays inside its own heap, where ASan sees nothing.
const buf = Buffer.alloc(256, 0x45);
const one = (v) => new Uint32Array(32).fill(v);
// [what must happen: "throws", "returns" or "either", the call]
const calls = [
  ["throws", () => b.filterBatch(good, buf, new Uint32Array(32), one(64), one(64), 33)],
  ["throws", () => b.filterBatch(good, buf, new Uint32Array(32), one(64), one(64), 100000)],
  ["returns", () => b.filterBatch(good, buf.subarray(0, 100), one(90), one(64), one(64), 32)],
  ["returns", () => b.filterBatch(good, buf, one(0xffffffff), one(0xffffffff), one(64), 32)],
  ["throws", () => b.filterBatch(good, buf, new Uint8Array(128), new Uint8Array(128), new Uint8Array(128), 32)],
  ["throws", () => b.filterBatch(good, new Uint32Array(64), one(0), one(64), one(64), 32)],
  ["throws", () => b.filterBatch(new Uint32Array([0x15, 200, 200, 0, 6, 0, 0, 1]), buf, one(0), one(64), one(64), 1)],
  ["throws", () => b.filterBatch(new Uint32Array([0x60, 0, 0, 1000, 6, 0, 0, 1]), buf, one(0), one(64), one(64), 1)],
  ["either", () => b.filterBatch(new Uint32Array(0), buf, one(0), one(64), one(64), 1)],
  ["throws", () => b.filterBatch(new Uint32Array(3), buf, one(0), one(64), one(64), 1)],
  ["throws", () => b.filterBatch(good, buf, one(0), one(64), one(64), -1)],
  ["throws", () => b.filterBatch(good, "x", one(0), one(64), one(64), 1)],
  ["throws", () => b.compile("tcp and (", 1, 262144, 1, 0)],
  ["either", () => b.compile("x".repeat(100000), 1, 262144, 1, 0)],
  ["either", () => b.compile("udp", 123456, 262144, 1, 0)],
  ["either", () => b.datalinkName(-5)],
  ["either", () => b.datalinkValue("y".repeat(10000))],
  ["either", () => b.lookupNet("z".repeat(5000))],
];
const wrong = [];
for (const [k, [want, c]] of calls.entries()) {
  let got;
  try { c(); got = "returns"; } catch { got = "throws"; }
  if (want !== "either" && want !== got) wrong.push(\`call \${k} \${got}, should have \${want === "throws" ? "thrown" : "returned"}\`);
}
console.log(JSON.stringify({ calls: calls.length, wrong }));
`;
      const r = nodeScriptAsan(script);
      const problem = !r.out ? `no summary (exit ${r.code}${r.signal ? " " + r.signal : ""}): ${r.stderr.slice(-400)}` : r.out.wrong.length ? r.out.wrong.join("; ") : null;
      return { ...result(r, problem), note: r.out ? JSON.stringify(r.out) : "" };
    },
  },
  {
    name: "file: tsniff -r over a corpus sample (filters, -v, -x, -T json), damaged files included",
    run: async ({ quick = false } = {}) => {
      const files = corpusSample(quick);
      const variants = [["-n"], ["-n", "-v", "tcp or udp"], ["-x", "ip or ip6"], ["-T", "json", "not arp"], ["-c", "5", "-e", "greater 60"]];
      let stderr = "", problem = null, printed = 0, errored = 0;
      for (const [i, f] of files.entries()) {
        const r = tsniffAsan(["-r", f, ...variants[i % variants.length]], { timeout: 60_000 });
        stderr += r.stderr;
        if (findReports(r.stderr).length || r.signal || r.code === ASAN_EXIT) return { ...result(r, `on ${path.basename(f)}`), stderr };
        if (r.code !== 0) errored++;
        if (r.code !== 0 && !/^tsniff: /m.test(r.stderr)) problem = `${path.basename(f)}: exit ${r.code} without a tsniff: message: ${r.stderr.slice(-300)}`;
        printed += lines(r.stdout);
      }
      if (printed < (quick ? 20 : 500)) problem ??= `only ${printed} lines printed over ${files.length} files`;
      return { stderr, code: 0, signal: null, problem, note: `${files.length} files, ${printed} lines, ${errored} refused` };
    },
  },
  {
    name: "file: -w pcap and pcapng with a filter, read back, stdin, -d, a bad filter",
    run: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-asan-"));
      try {
        const src = path.join(CORPUS, "afs.pcap");
        const all = [];
        const step = (args, opts) => {
          const r = tsniffAsan(args, opts);
          all.push(r);
          return r;
        };
        const w1 = path.join(dir, "o.pcap"), w2 = path.join(dir, "o.pcapng");
        const a = step(["-r", src, "-w", w1, "tcp or udp"]);
        const b = step(["-r", w1, "-w", w2, "--pcapng", "udp and greater 200"]);
        const c = step(["-r", w2, "-n"]);
        const d = step(["-r", "-", "-n", "udp or tcp"], { input: fs.readFileSync(w1) });
        const e = step(["-d", "-r", src, "udp port 7001 and (ip[2:2] > 40)"]);
        const f = step(["-r", src, "tcp and ("]);
        const stderr = all.map((r) => r.stderr).join("");
        const bad = all.find((r) => r.signal || r.code === ASAN_EXIT);
        let problem = bad ? `exit ${bad.code} ${bad.signal ?? ""}` : null;
        const n1 = pcapRecords(w1);
        if (!problem && (a.code !== 0 || n1 === 0)) problem = `-w wrote ${n1} packets (exit ${a.code}: ${a.stderr.trim()})`;
        if (!problem && (b.code !== 0 || !fs.existsSync(w2) || fs.statSync(w2).size < 100)) problem = `-w pcapng: exit ${b.code} ${b.stderr.trim()}`;
        if (!problem && (c.code !== 0 || lines(c.stdout) === 0)) problem = `reading the pcapng back printed nothing (exit ${c.code})`;
        if (!problem && (d.code !== 0 || lines(d.stdout) !== n1)) problem = `-r - printed ${lines(d.stdout)} lines for ${n1} packets`;
        if (!problem && (e.code !== 0 || !/ret/.test(e.stdout.toString()))) problem = `-d printed no program (exit ${e.code})`;
        if (!problem && (f.code === 0 || !/^tsniff: /m.test(f.stderr))) problem = `a bad filter: exit ${f.code}, ${f.stderr.trim()}`;
        return { stderr, code: 0, signal: null, problem, note: `${src ? path.basename(src) : "?"}: ${n1} packets written` };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];

/** Live workloads: each gets the namespaces from makeNet(); tsniff captures in namespace a. */
export const liveWorkloads = [
  {
    name: "live: -c stops a capture under a flood",
    run: async (net) => {
      const fl = net.flood(net.b, net.ipA, 9001, 30);
      try {
        const r = tsniffAsan(["-i", net.ifA, "-n", "-c", "300", "udp"], { ns: net.a, timeout: 60_000 });
        return { ...result(r, r.code === 0 && lines(r.stdout) === 300 ? null : `exit ${r.code} ${r.signal ?? ""}, ${lines(r.stdout)} lines`), note: "" };
      } finally {
        fl.kill("SIGKILL");
      }
    },
  },
  {
    name: "live: SIGINT stops a capture writing -w under a flood (3-4 runs)",
    run: async (net, { quick = false } = {}) => {
      const fl = net.flood(net.b, net.ipA, 9002, 60);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-asan-"));
      let stderr = "", problem = null;
      const notes = [];
      try {
        for (let k = 0; k < (quick ? 3 : 4) && !problem; k++) {
          const out = path.join(dir, `i${k}.pcap`);
          const p = startAsan(["-i", net.ifA, "--immediate-mode", "-w", out, "-B", "1024"], { ns: net.a });
          try {
            await waitFor(p, "listening on");
          } catch (e) {
            p.kill("SIGKILL");
            await p.done;
            return { stderr: stderr + p.stderrText, code: p.exitCode, signal: null, problem: e.message };
          }
          if (k === 0) {
            // That this process really runs the ASan build: libasan and build-asan's addon in its memory map.
            const maps = fs.readFileSync(`/proc/${p.pid}/maps`, "utf8");
            if (!maps.includes(ASAN_ADDON) || !/libasan\.so/.test(maps)) problem = `run 0: the ASan addon or libasan is not loaded`;
          }
          await sleep(300 + 400 * k);
          p.kill("SIGINT");
          const r = await within(p, 20_000);
          stderr += p.stderrText;
          const n = fs.existsSync(out) ? pcapRecords(out) : 0;
          notes.push(n);
          if (r.signal || r.code !== 0) problem = `run ${k}: exit ${r.code} ${r.signal ?? ""}: ${p.stderrText.slice(-300)}`;
          else if (n === 0) problem = `run ${k}: nothing written`;
        }
      } finally {
        fl.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
      }
      return { stderr, code: 0, signal: null, problem, note: `packets written: ${notes.join(", ")}` };
    },
  },
  {
    name: "live: --duration ends a capture printing -v",
    run: async (net) => {
      const fl = net.flood(net.b, net.ipA, 9003, 30);
      try {
        const r = tsniffAsan(["-i", net.ifA, "-n", "-v", "--duration", "2", "udp port 9003"], { ns: net.a, timeout: 60_000 });
        return result(r, r.code === 0 && lines(r.stdout) > 0 ? null : `exit ${r.code} ${r.signal ?? ""}, ${lines(r.stdout)} lines: ${r.stderr.slice(-300)}`);
      } finally {
        fl.kill("SIGKILL");
      }
    },
  },
  {
    name: "live: the reader of stdout goes away (closed pipe) under a flood",
    run: async (net) => {
      const fl = net.flood(net.b, net.ipA, 9004, 30);
      try {
        const p = startAsan(["-i", net.ifA, "-n", "-l", "udp"], { ns: net.a });
        const t0 = Date.now();
        while (p.stdoutBytes < 4096 && Date.now() - t0 < 20_000 && p.exitCode === null) await sleep(20);
        const got = p.stdoutBytes;
        p.stdout.destroy();
        const r = await within(p, 20_000);
        const problem = got < 4096 ? `only ${got} bytes printed` : r.signal ? `ended by ${r.signal} (hung after the pipe closed?)` : r.code === ASAN_EXIT ? `exit ${r.code}` : null;
        return { stderr: p.stderrText, code: r.code, signal: r.signal, problem, note: `exit ${r.code} after ${got} bytes` };
      } finally {
        fl.kill("SIGKILL");
      }
    },
  },
  {
    name: "live: two -i (veth and loopback) merged, stopped by -c and by SIGTERM",
    run: async (net) => {
      const fl = net.flood(net.b, net.ipA, 9005, 40);
      const lo = net.flood(net.a, "127.0.0.1", 9006, 40);
      try {
        const r = tsniffAsan(["-i", net.ifA, "-i", "lo", "-n", "-c", "400", "udp"], { ns: net.a, timeout: 60_000 });
        let problem = r.code === 0 && lines(r.stdout) === 400 ? null : `-c: exit ${r.code} ${r.signal ?? ""}, ${lines(r.stdout)} lines: ${r.stderr.slice(-300)}`;
        if (findReports(r.stderr).length) return result(r, problem);
        const p = startAsan(["-i", net.ifA, "-i", "lo", "-w", "-", "udp"], { ns: net.a });
        const counts = udpPortCounter(p);
        await waitFor(p, "listening on");
        await sleep(1500);
        p.kill("SIGTERM");
        const t = await within(p, 20_000);
        if (!problem && (t.signal === "SIGKILL" || t.code === ASAN_EXIT)) problem = `SIGTERM: exit ${t.code} ${t.signal ?? ""}`;
        if (!problem && !(counts.get(9005) > 0 && counts.get(9006) > 0)) problem = `not both interfaces' packets written: ${JSON.stringify([...counts])}`;
        return { stderr: r.stderr + p.stderrText, code: t.code, signal: t.signal, problem };
      } finally {
        fl.kill("SIGKILL");
        lo.kill("SIGKILL");
      }
    },
  },
  {
    name: "live: loopback with a small snaplen, -Q in, -x, pcapng -w",
    run: async (net) => {
      const lo = net.flood(net.a, "127.0.0.1", 9007, 30);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-asan-"));
      try {
        const r1 = tsniffAsan(["-i", "lo", "-n", "-x", "-s", "60", "-Q", "in", "-c", "100", "udp port 9007"], { ns: net.a, timeout: 60_000 });
        const out = path.join(dir, "lo.pcapng");
        const r2 = tsniffAsan(["-i", "lo", "-w", out, "-c", "200", "--time-stamp-precision=nano", "udp"], { ns: net.a, timeout: 60_000 });
        const r = { ...r2, stderr: r1.stderr + r2.stderr, code: r1.code || r2.code, signal: r1.signal || r2.signal };
        let problem = null;
        if (r1.code !== 0 || !/0x0000/.test(r1.stdout.toString())) problem = `-x -s 60: exit ${r1.code}: ${r1.stderr.slice(-300)}`;
        else if (r2.code !== 0 || !fs.existsSync(out) || fs.statSync(out).size < 200 * 60) problem = `pcapng -w: exit ${r2.code}: ${r2.stderr.slice(-300)}`;
        return result(r, problem);
      } finally {
        lo.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: "live: -D, -L, a missing interface, an interface that goes away mid-capture",
    run: async (net) => {
      const D = tsniffAsan(["-D"], { ns: net.a });
      const L = tsniffAsan(["-L", "-i", net.ifA], { ns: net.a });
      const M = tsniffAsan(["-i", "h6nosuchif", "-c", "1"], { ns: net.a });
      let stderr = D.stderr + L.stderr + M.stderr, problem = null;
      if (D.code !== 0 || !D.stdout.toString().includes(net.ifA)) problem = `-D: exit ${D.code}: ${D.stderr.trim()}`;
      else if (L.code !== 0 || !/EN10MB/.test(L.stdout.toString() + L.stderr)) problem = `-L: exit ${L.code}: ${L.stderr.trim()}`;
      else if (M.code === 0 || M.signal || M.code === ASAN_EXIT || !/^tsniff: /m.test(M.stderr)) problem = `missing interface: exit ${M.code} ${M.signal ?? ""}: ${M.stderr.trim()}`;
      if (problem || findReports(stderr).length) return { stderr, code: 0, signal: null, problem };
      // The veth goes down and is deleted under a flood while tsniff (--stop-on-down) captures on it.
      const fl = net.flood(net.a, net.ipB, 9008, 30);
      const p = startAsan(["-i", net.ifA, "-n", "--stop-on-down", "udp"], { ns: net.a });
      try {
        await waitFor(p, "listening on");
        await sleep(800);
        spawnSync("ip", ["-n", net.a, "link", "set", net.ifA, "down"]);
        const r = await within(p, 20_000);
        stderr += p.stderrText;
        if (r.signal || r.code === ASAN_EXIT) problem = `interface down: exit ${r.code} ${r.signal ?? ""}: ${p.stderrText.slice(-300)}`;
        return { stderr, code: r.code, signal: r.signal, problem, note: `after the interface went down: exit ${r.code}` };
      } finally {
        fl.kill("SIGKILL");
        if (p.exitCode === null) p.kill("SIGKILL");
        spawnSync("ip", ["-n", net.a, "link", "set", net.ifA, "up"]);
      }
    },
  },
  {
    name: "live: the binding's Live handles in every state (closed inside a batch, twice, used after close)",
    run: async (net) => {
      // The addon's own contract, below the CLI: odd options, bad programs and frames, pause/resume/drain and
      // close() called from inside a batch callback, every method after close, handles never closed (their
      // finalizers run at exit, where LSan looks), a count limit, a link watcher opened and closed twice.
      const fl = net.flood(net.b, net.ipA, 9011, 60);
      const script = `
const { native } = await import(${JSON.stringify(distUrl("capture/native.js"))});
const b = native();
const dev = ${JSON.stringify(net.ifA)};
const wrong = [];
const check = (want, what, f) => { let got; try { f(); got = "returns"; } catch { got = "throws"; } if (want !== "either" && got !== want) wrong.push(what + " " + got); };
const good = b.compile("udp", 1, 262144, 1, 0);
for (let i = 0; i < 20; i++) new b.Live(dev, { snaplen: 64 + i, immediate: true });
check("throws", "Live(no such device)", () => new b.Live("h6nosuchif", {}));
check("throws", "Live()", () => new b.Live());
check("either", "Live(odd options)", () => new b.Live(dev, { snaplen: -1, bufferSize: 1, timeoutMs: -5, direction: 7, datalink: 9999 }));
const L = new b.Live(dev, { snaplen: 200, immediate: true, bufferSize: 1 << 20 });
for (const m of ["datalink", "datalinks", "snaplen", "isNano", "stats"]) check("returns", m, () => L[m]());
check("returns", "setFilter(udp)", () => L.setFilter(good));
check("throws", "setFilter(a jump past the end)", () => L.setFilter(new Uint32Array([0x15, 200, 200, 0, 6, 0, 0, 1])));
check("throws", "setFilter(a string)", () => L.setFilter("udp"));
check("either", "inject(empty)", () => L.inject(Buffer.alloc(0)));
check("either", "inject(70000 bytes)", () => L.inject(Buffer.alloc(70000)));
check("throws", "inject(a string)", () => L.inject("x"));
const frame = Buffer.alloc(60); frame.fill(0xff, 0, 6); frame.writeUInt16BE(0x88b5, 12);
check("returns", "inject(frame)", () => L.inject(frame));
check("throws", "start(no function)", () => L.start(1));
let batches = 0, packets = 0;
await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error("no batches within 20 s")), 20000);
  L.start((err, buf, count) => {
    if (err) { clearTimeout(t); reject(err); return; }
    batches++; packets += count;
    L.drain(); L.stats();
    if (batches === 1) { L.pause(); setTimeout(() => L.resume(), 50); }
    if (batches === 3) { L.close(); L.close(); clearTimeout(t); resolve(); }
  }, 0);
  check("throws", "start twice", () => L.start(() => {}, 0));
});
for (const m of ["datalink", "datalinks", "snaplen", "isNano", "stats", "drain", "pause", "resume", "close"]) check("either", m + " after close", () => L[m]());
check("either", "setFilter after close", () => L.setFilter(good));
check("either", "inject after close", () => L.inject(frame));
check("throws", "start after close", () => L.start(() => {}, 0));
const M = new b.Live(dev, { immediate: true });
let mBatches = 0;
M.start(() => { mBatches++; }, 0);
await new Promise((r) => setTimeout(r, 500));
M.close();
await new Promise((r) => setTimeout(r, 200));
const N = new b.Live(dev, { immediate: true });
let nPackets = 0, nDone = false;
await new Promise((resolve) => { const t = setTimeout(resolve, 10000); N.start((e, buf, count, done) => { nPackets += count; if (done) { nDone = true; clearTimeout(t); resolve(); } }, 7); });
N.close();
const W = new b.LinkWatch(() => {}); W.close(); W.close();
console.log(JSON.stringify({ wrong, batches, packets, mBatches, nPackets, nDone }));
`;
      try {
        const r = nodeScriptAsan(script, { ns: net.a, timeout: 90_000 });
        const o = r.out;
        let problem = null;
        if (!o) problem = `no summary (exit ${r.code}${r.signal ? " " + r.signal : ""}): ${r.stderr.slice(-600)}`;
        else if (o.wrong.length) problem = o.wrong.join("; ");
        else if (o.batches < 3 || o.packets === 0 || o.mBatches === 0) problem = `too few batches: ${JSON.stringify(o)}`;
        else if (!o.nDone || o.nPackets !== 7) problem = `start(cb, 7): ${o.nPackets} packets, done ${o.nDone}`;
        return { ...result(r, problem), note: o ? JSON.stringify(o) : "" };
      } finally {
        fl.kill("SIGKILL");
      }
    },
  },
  {
    name: "live: the binding's Sender (link and raw IPv4/IPv6) given bad arguments, used after close, never closed",
    run: async (net) => {
      // native/tsniff_craft.c: frames laid end to end with lengths that lie (past the buffer, a count longer than
      // the lengths), wrong array types, sends after close, senders left to their finalizers; routeSource given
      // odd text. Each call must throw or return, never touch memory it does not own.
      const script = `
const { native } = await import(${JSON.stringify(distUrl("capture/native.js"))});
const b = native();
const dev = ${JSON.stringify(net.ifA)};
const wrong = [];
const check = (want, what, f) => { let got; try { f(); got = "returns"; } catch { got = "throws"; } if (want !== "either" && got !== want) wrong.push(what + " " + got); };
const frame = Buffer.alloc(600); frame.fill(0xff, 0, 6); frame.writeUInt16BE(0x88b5, 12);
const ip4 = Buffer.alloc(300); ip4[0] = 0x45; ip4.writeUInt16BE(300, 2); ip4[8] = 1; ip4[9] = 253; Buffer.from(${JSON.stringify(net.ipB.split(".").map(Number))}).copy(ip4, 16);
const ip6 = Buffer.alloc(300); ip6[0] = 0x60; ip6.writeUInt16BE(260, 4); ip6[6] = 253; ip6[7] = 1; ip6[39] = 1;
const lens = (...v) => { const a = new Uint32Array(32); a.set(v); return a; };
for (let i = 0; i < 10; i++) new b.Sender("link", dev);
check("throws", "Sender()", () => new b.Sender());
check("throws", "Sender(odd kind)", () => new b.Sender("ip5"));
check("throws", "Sender(link, no device)", () => new b.Sender("link"));
check("throws", "Sender(link, missing device)", () => new b.Sender("link", "h6nosuchif"));
check("throws", "Sender(link, long name)", () => new b.Sender("link", "d".repeat(5000)));
const L = new b.Sender("link", dev), S4 = new b.Sender("ip4"), S6 = new b.Sender("ip6");
check("returns", "send(3 frames)", () => L.send(frame, lens(200, 200, 200), 3));
check("returns", "send(0 frames)", () => L.send(frame, lens(), 0));
check("throws", "send(lengths past the buffer)", () => L.send(frame, lens(400, 400), 2));
check("throws", "send(count past the lengths)", () => L.send(frame, lens(60), 33));
check("throws", "send(negative count)", () => L.send(frame, lens(60), -1));
check("throws", "send(a string)", () => L.send("x", lens(1), 1));
check("throws", "send(lengths as bytes)", () => L.send(frame, new Uint8Array(128), 1));
check("throws", "send(no arguments)", () => L.send());
check("either", "send(a huge frame)", () => L.send(Buffer.alloc(70000), lens(70000), 1));
check("returns", "ip4 send", () => S4.send(ip4, lens(300), 1));
check("throws", "ip4 send(shorter than a header)", () => S4.send(ip4, lens(10), 1));
check("either", "ip6 send", () => S6.send(ip6, lens(300), 1));
check("throws", "ip6 send(shorter than a header)", () => S6.send(ip6, lens(30), 1));
for (const x of [L, S4, S6]) { x.close(); x.close(); check("throws", "send after close", () => x.send(frame, lens(60), 1)); }
for (const a of ["127.0.0.1", "::1", ${JSON.stringify(net.ipB)}, "", "x".repeat(3000), "1.2.3.4.5", "fe80::1%999"]) check("either", "routeSource " + a.slice(0, 20), () => b.routeSource(a));
check("throws", "routeSource()", () => b.routeSource());
new b.Sender("ip4"); new b.Sender("ip6");
console.log(JSON.stringify({ wrong }));
`;
      const r = nodeScriptAsan(script, { ns: net.a, timeout: 60_000 });
      const problem = !r.out ? `no summary (exit ${r.code}${r.signal ? " " + r.signal : ""}): ${r.stderr.slice(-600)}` : r.out.wrong.length ? r.out.wrong.join("; ") : null;
      return { ...result(r, problem), note: r.out ? JSON.stringify(r.out) : "" };
    },
  },
  {
    name: "live: interfaces going down and up, deleted and made again mid-capture (waits, resumes)",
    run: async (net) => {
      // A second veth pair (h6c<pid> in namespace a, h6e<pid> in b) beside the first; tsniff captures h6a<pid> and
      // h6c<pid>, waits while each is away (down; deleted) and goes on when it is back (the addon's link events),
      // then SIGINT.
      const id = process.pid % 100000;
      const dummy = `h6c${id}`, peer = `h6e${id}`;
      const ipn = (...args) => spawnSync("ip", args, { stdio: "ignore" }).status;
      const mkDummy = () =>
        ipn("link", "add", dummy, "netns", net.a, "type", "veth", "peer", "name", peer, "netns", net.b) === 0 &&
        ipn("-n", net.a, "addr", "add", "10.207.0.1/24", "dev", dummy) === 0 &&
        ipn("-n", net.b, "addr", "add", "10.207.0.2/24", "dev", peer) === 0 &&
        ipn("-n", net.a, "link", "set", dummy, "up") === 0 &&
        ipn("-n", net.b, "link", "set", peer, "up") === 0;
      ipn("-n", net.a, "link", "del", dummy);
      if (!mkDummy()) return { stderr: "", code: 0, signal: null, problem: "cannot make a second veth pair" };
      const fl = net.flood(net.b, net.ipA, 9009, 60);
      const fd = net.flood(net.b, "10.207.0.1", 9010, 60);
      const p = startAsan(["-i", net.ifA, "-i", dummy, "-w", "-", "udp"], { ns: net.a });
      const counts = udpPortCounter(p);
      /** Whether packets to `port` are written within `ms` (counted from now). */
      const grows = async (port, ms) => {
        const n0 = counts.get(port) ?? 0,
          t0 = Date.now();
        while (Date.now() - t0 < ms) {
          if ((counts.get(port) ?? 0) > n0 + 10) return true;
          if (p.exitCode !== null || p.signalCode !== null) return false;
          await sleep(100);
        }
        return false;
      };
      let problem = null;
      try {
        await waitFor(p, "listening on");
        // [what, the port whose packets must be printed before it, the action, the notice it brings]
        const steps = [
          ["veth down", 9009, () => ipn("-n", net.a, "link", "set", net.ifA, "down"), "went down"],
          ["veth up", 9010, () => ipn("-n", net.a, "link", "set", net.ifA, "up"), null],
          ["second veth deleted", 9009, () => ipn("-n", net.a, "link", "del", dummy), "disappeared"],
          ["second veth made again", 9009, () => mkDummy(), null],
        ];
        for (const [what, port, act, notice] of steps) {
          if (!(await grows(port, 15_000))) {
            problem = `no packets to port ${port} written before "${what}" (exit ${p.exitCode} ${p.signalCode ?? ""}): ${p.stderrText.slice(-400)}`;
            break;
          }
          act();
          if (notice) await waitFor(p, notice, 10_000).catch((e) => (problem ??= `${what}: ${e.message}`));
          if (problem) break;
        }
        if (!problem && !(await grows(9010, 15_000))) problem = `no packets on the second veth after it came back: ${p.stderrText.slice(-400)}`;
        p.kill("SIGINT");
        const r = await within(p, 20_000);
        if (!problem && (r.signal || r.code !== 0)) problem = `SIGINT: exit ${r.code} ${r.signal ?? ""}: ${p.stderrText.slice(-400)}`;
        return { stderr: p.stderrText, code: r.code, signal: r.signal, problem };
      } finally {
        fl.kill("SIGKILL");
        fd.kill("SIGKILL");
        if (p.exitCode === null) p.kill("SIGKILL");
        ipn("-n", net.a, "link", "set", net.ifA, "up");
        ipn("-n", net.a, "link", "del", dummy);
      }
    },
  },
];

/**
 * LeakSanitizer's leak records ("Direct leak of ..." with their stacks) that have a frame in the addon or in
 * libpcap. Node leaks by design when it ends through process.exit() or an uncaught exception (not tsniff's normal
 * way out); those records have neither and are not the addon's.
 */
export function addonLeaks(stderr) {
  const blocks = stderr.split(/\n(?=(?:Direct|Indirect) leak of )/).slice(1);
  return blocks.map((b) => b.split(/\n\s*\n/)[0]).filter((b) => /tsniff_pcap|libpcap|asan-canary/.test(b));
}

/** Whether a workload result counts as passed, and why not. */
export function verdict(r) {
  const stderr = r.stderr ?? "";
  const reports = findReports(stderr);
  const onlyLeaks = reports.length > 0 && reports.every((l) => /LeakSanitizer|leaked in/.test(l));
  if (onlyLeaks && addonLeaks(stderr).length === 0) {
    // Node's own leaks at an abrupt exit: not a finding, but the exit code is LSan's then, so only r.problem counts.
    return r.problem ? { ok: false, why: r.problem } : { ok: true, why: "", note: "node's own leaks at exit ignored" };
  }
  if (reports.length) return { ok: false, why: `sanitizer report:\n${asanExcerpt(stderr)}` };
  if (r.code === ASAN_EXIT) return { ok: false, why: `exit ${ASAN_EXIT} (a sanitizer's): ${(r.stderr ?? "").slice(-600)}` };
  if (r.signal === "SIGSEGV" || r.signal === "SIGABRT" || r.signal === "SIGBUS" || r.signal === "SIGILL") return { ok: false, why: `crashed (${r.signal})` };
  if (r.problem) return { ok: false, why: r.problem };
  return { ok: true, why: "" };
}

/** The report from its ==pid==ERROR line to its SUMMARY line (or 60 lines), for a readable failure. */
export function asanExcerpt(stderr) {
  const ls = stderr.split("\n");
  const i = ls.findIndex((l) => /ERROR: (AddressSanitizer|LeakSanitizer)|AddressSanitizer:DEADLYSIGNAL|runtime error:/.test(l));
  if (i < 0) return stderr.slice(-2000);
  const j = ls.findIndex((l, k) => k > i && /^SUMMARY: /.test(l));
  return ls.slice(Math.max(0, i - 2), j > 0 ? Math.min(j + 1, i + 80) : i + 60).join("\n");
}

// ---------------------------------------------------------------------------------------------------------------

async function main(argv) {
  const list = argv.includes("--list");
  const buildOnly = argv.includes("--build-only");
  const keepGoing = argv.includes("--keep-going");
  const opts = { quick: argv.includes("--quick") };
  const pick = argv.filter((a) => !a.startsWith("--"));
  const chosen = (ws) => ws.filter((w) => pick.length === 0 || pick.some((p) => w.name.includes(p)));
  if (list) {
    for (const w of [...fileWorkloads, ...liveWorkloads]) console.log(w.name);
    return 0;
  }
  buildAsan({ log: (m) => console.error(m) });
  libasanPath();
  console.error(`asan: ${path.relative(ROOT, ASAN_ADDON)} built; preloading ${libasanPath()}`);
  if (buildOnly) return 0;
  let failed = 0,
    ran = 0;
  const report = (w, r, t0) => {
    ran++;
    const v = verdict(r);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (v.ok) console.log(`ok    ${w.name} (${secs} s)${r.note ? ` - ${r.note}` : ""}`);
    else {
      failed++;
      console.log(`FAIL  ${w.name} (${secs} s)\n${v.why.replace(/^/gm, "      ")}`);
    }
    return v.ok;
  };
  for (const w of chosen(fileWorkloads)) {
    const t0 = Date.now();
    if (!report(w, await w.run(opts).catch((e) => ({ stderr: "", problem: String(e.message ?? e) })), t0) && !keepGoing) return 1;
  }
  const lw = chosen(liveWorkloads);
  if (lw.length && !canUseNetns()) console.log(`skip  ${lw.length} live workloads: they need root and ip netns`);
  else if (lw.length) {
    const net = makeNet();
    const cleanup = () => net.destroy();
    process.on("SIGINT", () => {
      cleanup();
      process.exit(130);
    });
    try {
      for (const w of lw) {
        const t0 = Date.now();
        if (!report(w, await w.run(net, opts).catch((e) => ({ stderr: "", problem: String(e.message ?? e) })), t0) && !keepGoing) return 1;
      }
    } finally {
      cleanup();
    }
  }
  console.log(failed ? `asan: ${failed} of ${ran} workloads failed` : `asan: ${ran} workloads, no sanitizer report`);
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Fail ? e.message : `asan: ${e?.stack ?? e}`);
      process.exit(1);
    },
  );
}
