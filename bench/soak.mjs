#!/usr/bin/env node
/**
 * Soak test (issue #6; bounded, not in CI, needs root): mixed traffic at a steady rate through a veth pair
 * for a long time while tsniff captures it with rotation; then checks that
 *   - tsniff's resident memory stays flat (the curve is reported),
 *   - no file is corrupt (capinfos and a strict pcap parser read every file; their counts agree),
 *   - every packet the kernel delivered is in exactly one file: the files' packets add up to tsniff's
 *     "packets captured", which is the kernel's count of packets on the veth (tx + rx between the start and
 *     the end of traffic) less the kernel's drops, and no packet (timestamp + bytes digest) is in two files.
 *
 *   node bench/soak.mjs --minutes 60 --rate 3000 [--tsniff PATH] [--out DIR] [--size-mb 5] [--keep]
 *
 * Options:
 *   --minutes M     traffic duration (default 60)
 *   --rate R        target packets per second on the veth, both directions (default 3000)
 *   --tsniff PATH   the tsniff to run (default: this repository's bin/tsniff). Run a frozen copy of a built
 *                   tree when others rebuild dist/ while the soak runs.
 *   --out DIR       files, samples and the report (default $TMPDIR/tsniff-soak-<time>)
 *   --size-mb N     -C N (default 5)
 *   --sample S      RSS sample period in seconds (default 5)
 *   --keep          keep the capture files (default: each is deleted once checked and counted)
 *   --tag NAME      names the namespaces and interfaces (default "soak"), for two soaks at once
 *
 * Layout: namespaces tsn_soak_a and tsn_soak_b joined by the veth soakva (10.203.90.1) <-> soakvb
 * (10.203.90.2; the addresses exist only inside these namespaces), IPv6 off on both so the kernel sends nothing on its own. A responder in soak_b answers
 * HTTP-like requests on TCP port 80 and DNS-like queries on UDP port 53 (the kernel answers pings). The
 * generator in soak_a (node sockets, plus `ping` for ICMP) sends to 10.203.90.2 only; it keeps the veth at
 * the target rate by reading the interface's own counters every 10 ms (closed loop), with these shares of
 * packets: short TCP connections ~35%, requests on 16 kept-alive TCP connections ~35%, UDP ~20%, ICMP up to
 * ~10% (ping aims at 5% of the rate in echo requests; the loop makes up what it does not send).
 * tsniff runs in soak_a on soakva: `-w OUT/soak.pcap -C N` (files soak.pcap, soak.pcap1, soak.pcap2 ...).
 *
 * Why no -W: a ring (-W) overwrites its oldest file, so "each packet in exactly one file" could only be
 * counted by catching every file between its close and its overwrite. Instead the soak rotates without -W
 * and checks each file as soon as it is closed (tsniff closes file k before it creates file k+1), then
 * deletes it (unless --keep): disk use stays bounded as with a ring, and every file is counted.
 *
 * Bounded: the generator stops after --minutes, tsniff has a --duration backstop, the responder exits when
 * this script's pipe to it closes. Ctrl-C once: stop the traffic now and check what was captured (the report
 * says so); twice: stop everything and clean up. The namespaces and every process started are removed on
 * every exit path.
 */
import { spawn, spawnSync, execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// ---------------------------------------------------------------------------------------------------------
// options

function parseArgs(argv) {
  const o = { minutes: 60, rate: 3000, tsniff: path.join(ROOT, "bin", "tsniff"), out: "", sizeMb: 5, sample: 5, keep: false, tag: "soak" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--minutes") o.minutes = Number(val());
    else if (a === "--rate") o.rate = Number(val());
    else if (a === "--tsniff") o.tsniff = path.resolve(val());
    else if (a === "--out") o.out = path.resolve(val());
    else if (a === "--size-mb") o.sizeMb = Number(val());
    else if (a === "--sample") o.sample = Number(val());
    else if (a === "--keep") o.keep = true;
    else if (a === "--tag") o.tag = val();
    else if (a === "-h" || a === "--help") {
      process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0].replace(/^#!.*\n\/\*\*\n/, "").replace(/^ \* ?/gm, ""));
      process.exit(0);
    } else die(`unknown option ${a} (see --help)`);
  }
  if (!/^[a-z][a-z0-9]{0,8}$/.test(o.tag)) die("--tag: a lower-case letter, then up to 8 letters or digits");
  if (!(o.minutes > 0) || !(o.rate >= 100) || !(o.sizeMb > 0) || !(o.sample >= 1)) die("bad --minutes / --rate (>= 100) / --size-mb / --sample");
  if (!o.out) o.out = path.join(os.tmpdir(), `tsniff-soak-${new Date().toISOString().replace(/[:.]/g, "").slice(0, 15)}`);
  return o;
}

function die(msg) {
  process.stderr.write(`soak: ${msg}\n`);
  process.exit(1);
}

const O = parseArgs(process.argv.slice(2));
const NS_A = `tsn_${O.tag}_a`,
  NS_B = `tsn_${O.tag}_b`,
  IF_A = `${O.tag}va`,
  IF_B = `${O.tag}vb`,
  IP_A = "10.203.90.1",
  IP_B = "10.203.90.2";
const BASE = path.join(O.out, "soak.pcap");

// ---------------------------------------------------------------------------------------------------------
// processes and cleanup

const children = new Set();
let cleaned = false;

function sh(...a) {
  const r = spawnSync(a[0], a.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${a.join(" ")}: ${(r.stderr || "").trim() || `exit ${r.status}`}`);
  return r.stdout;
}

function start(argv, opts = {}) {
  // Own process group: a Ctrl-C in the terminal reaches this script only, which stops the others in order.
  const p = spawn(argv[0], argv.slice(1), { stdio: opts.stdio ?? ["ignore", "pipe", "pipe"], detached: true });
  children.add(p);
  p.on("exit", () => children.delete(p));
  return p;
}

function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const p of children) {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  spawnSync("ip", ["netns", "del", NS_A]);
  spawnSync("ip", ["netns", "del", NS_B]);
}
process.on("exit", cleanup);

let stopEarly = null; // set by the first Ctrl-C
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (!interrupted) {
      interrupted = true;
      process.stderr.write(`\nsoak: ${sig}: stopping the traffic now and checking what was captured (again to abort)\n`);
      stopEarly?.();
      return;
    }
    process.stderr.write(`soak: ${sig} again: aborting\n`);
    cleanup();
    process.exit(130);
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------------------
// the network

function setupNet() {
  const existing = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n").map((l) => l.split(" ")[0]);
  if (existing.includes(NS_A) || existing.includes(NS_B)) {
    die(`namespace ${NS_A} or ${NS_B} exists (another soak running, or one killed hard): ip netns del ${NS_A}; ip netns del ${NS_B}`);
  }
  sh("ip", "netns", "add", NS_A);
  sh("ip", "netns", "add", NS_B);
  sh("ip", "-n", NS_A, "link", "add", IF_A, "type", "veth", "peer", "name", IF_B, "netns", NS_B);
  for (const [ns, dev, addr] of [
    [NS_A, IF_A, IP_A],
    [NS_B, IF_B, IP_B],
  ]) {
    // No IPv6 (router solicitations, MLD): the kernel then sends nothing the generator did not cause.
    sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
    sh("ip", "-n", ns, "addr", "add", `${addr}/24`, "dev", dev);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
    sh("ip", "-n", ns, "link", "set", dev, "up");
    // Real, unsegmented frames with final checksums, as on a wire.
    spawnSync("ip", ["netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "gso", "off", "gro", "off", "tso", "off"], { stdio: "ignore" });
  }
}

/** The veth's kernel counters in soak_a. */
function linkStats() {
  const j = JSON.parse(sh("ip", "-n", NS_A, "-s", "-j", "link", "show", "dev", IF_A))[0].stats64;
  return { rx: j.rx.packets, tx: j.tx.packets, rxDropped: j.rx.dropped, txDropped: j.tx.dropped };
}

// ---------------------------------------------------------------------------------------------------------
// responder (in soak_b) and generator (in soak_a): plain CommonJS scripts run by the same node

const RESPONDER = String.raw`
const net = require("net"), dgram = require("dgram");
const st = { tcpConns: 0, httpRequests: 0, dnsQueries: 0 };
const body = Buffer.alloc(4000, "x");
const srv = net.createServer((c) => {
  st.tcpConns++;
  let buf = "";
  c.on("data", (d) => {
    buf += d.toString("latin1");
    let i;
    while ((i = buf.indexOf("\r\n\r\n")) >= 0) {
      const req = buf.slice(0, i);
      buf = buf.slice(i + 4);
      st.httpRequests++;
      const m = /GET \/item\/(\d+)/.exec(req);
      const len = 60 + ((m ? Number(m[1]) : 0) * 7919) % 2900;
      const close = /Connection: close/i.test(req);
      const head = "HTTP/1.1 200 OK\r\nServer: soak\r\nContent-Type: text/plain\r\nContent-Length: " + len + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
      c.write(Buffer.concat([Buffer.from(head, "latin1"), body.subarray(0, len)]));
      if (close) c.end();
    }
  });
  c.on("error", () => {});
});
srv.listen(80, ${JSON.stringify(IP_B)});
const u = dgram.createSocket("udp4");
u.on("message", (q, r) => {
  if (q.length < 12) return;
  st.dnsQueries++;
  // A DNS answer: the question echoed, one A record (name pointer to the question).
  const a = Buffer.alloc(q.length + 16);
  q.copy(a);
  a.writeUInt16BE(0x8180, 2);
  a.writeUInt16BE(1, 6);
  Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 203, 91, q[1]]).copy(a, q.length);
  u.send(a, r.port, r.address);
});
u.bind(53, ${JSON.stringify(IP_B)});
process.stdin.on("data", () => {});
process.stdin.on("end", () => { process.stdout.write(JSON.stringify(st) + "\n"); process.exit(0); });
process.stdout.write("ready\n");
`;

const GENERATOR = String.raw`
const net = require("net"), dgram = require("dgram"), fs = require("fs");
const [dst, ifname, rateS, secondsS] = process.argv.slice(2);
const rate = Number(rateS), seconds = Number(secondsS);
const stat = (n) => Number(fs.readFileSync("/sys/class/net/" + ifname + "/statistics/" + n, "utf8"));
const wire = () => stat("tx_packets") + stat("rx_packets");
const st = { shortConns: 0, shortDone: 0, keepRequests: 0, keepResponses: 0, dnsQueries: 0, dnsAnswers: 0, errors: 0, wirePackets: 0, seconds: 0 };
// Estimated packets per operation (the loop corrects errors in these: it steers on the real counters).
const EST = { short: 10, keep: 3, dns: 2 };
// Shares of the non-ICMP packets: short TCP 35, kept-alive TCP 35, UDP 20 (ICMP's 10 is ping's).
const MIX = [["short", 35 / 90], ["keep", 35 / 90], ["dns", 20 / 90]];
let pending = 0, inflight = 0, seq = 0, stopping = false;

function finish(est, t) { clearTimeout(t); pending -= est; inflight--; }
function guard(est) { pending += est; inflight++; let done = false; const t = setTimeout(() => end(), 3000); const end = () => { if (!done) { done = true; finish(est, t); } }; return end; }

function readResponse(sock, onDone) {
  let buf = Buffer.alloc(0), need = -1;
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    if (need < 0) {
      const i = buf.indexOf("\r\n\r\n");
      if (i < 0) return;
      const m = /Content-Length: (\d+)/i.exec(buf.subarray(0, i).toString("latin1"));
      need = i + 4 + (m ? Number(m[1]) : 0);
    }
    if (buf.length >= need) { sock.off("data", onData); onDone(); }
  };
  sock.on("data", onData);
}

function shortConn() {
  const end = guard(EST.short);
  st.shortConns++;
  const n = ++seq;
  const c = net.connect({ host: dst, port: 80 });
  c.on("connect", () => c.write("GET /item/" + n + " HTTP/1.1\r\nHost: soak.test\r\nUser-Agent: tsniff-soak\r\nConnection: close\r\n\r\n"));
  readResponse(c, () => st.shortDone++);
  c.on("error", () => { st.errors++; end(); });
  c.on("close", end);
}

const pool = [];
function keepConn() {
  const k = { sock: null, busy: false, done: null };
  const open = () => {
    k.sock = net.connect({ host: dst, port: 80 });
    k.sock.setNoDelay(true);
    k.sock.on("error", () => { st.errors++; });
    k.sock.on("close", () => { if (k.done) { const d = k.done; k.done = null; d(); } k.busy = false; if (!stopping) setTimeout(open, 100); });
    k.sock.on("data", (d) => k.onData && k.onData(d));
  };
  open();
  return k;
}
function keepRequest() {
  const k = pool.find((x) => !x.busy && x.sock && !x.sock.connecting && !x.sock.destroyed);
  if (!k) return false;
  const end = guard(EST.keep);
  k.busy = true;
  k.done = end;
  st.keepRequests++;
  const n = ++seq;
  let buf = Buffer.alloc(0), need = -1;
  k.onData = (d) => {
    buf = Buffer.concat([buf, d]);
    if (need < 0) {
      const i = buf.indexOf("\r\n\r\n");
      if (i < 0) return;
      const m = /Content-Length: (\d+)/i.exec(buf.subarray(0, i).toString("latin1"));
      need = i + 4 + (m ? Number(m[1]) : 0);
    }
    if (buf.length >= need) { k.onData = null; k.busy = false; k.done = null; st.keepResponses++; end(); }
  };
  k.sock.write("GET /item/" + n + " HTTP/1.1\r\nHost: soak.test\r\nAccept: */*\r\n\r\n");
  return true;
}

const udp = [];
const waiting = new Map();
for (let i = 0; i < 8; i++) {
  const s = dgram.createSocket("udp4");
  s.on("message", (m) => { const id = m.readUInt16BE(0); const e = waiting.get(id); if (e) { waiting.delete(id); st.dnsAnswers++; e(); } });
  s.on("error", () => { st.errors++; });
  udp.push(s);
}
let dnsId = 0;
function dnsQuery() {
  const end = guard(EST.dns);
  const id = (dnsId = (dnsId + 1) & 0xffff);
  const name = "host" + (seq++ % 997) + ".soak.test";
  const parts = name.split(".");
  const q = Buffer.alloc(12 + name.length + 2 + 4);
  q.writeUInt16BE(id, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4);
  let o = 12;
  for (const p of parts) { q[o++] = p.length; q.write(p, o, "latin1"); o += p.length; }
  q[o++] = 0; q.writeUInt16BE(1, o); q.writeUInt16BE(1, o + 2);
  const old = waiting.get(id);
  if (old) old();
  waiting.set(id, end);
  st.dnsQueries++;
  udp[id & 7].send(q, 53, dst);
}

for (let i = 0; i < 16; i++) pool.push(keepConn());

const w0 = wire();
const t0 = Date.now();
const cap = Math.max(200, rate / 5);
function tick() {
  if (stopping) return;
  const t = (Date.now() - t0) / 1000;
  if (t >= seconds) return stop();
  let budget = rate * t - (wire() - w0) - pending;
  // At most 30 ms of the rate per tick, so that a late timer does not make a burst.
  let ops = 0;
  while (budget > 0 && inflight < cap && ops < rate * 0.03) {
    let r = Math.random(), kind = "dns";
    for (const [k, p] of MIX) { if ((r -= p) < 0) { kind = k; break; } }
    if (kind === "keep" && !keepRequest()) kind = "short";
    if (kind === "short") shortConn();
    else if (kind === "dns") dnsQuery();
    budget -= EST[kind];
    ops++;
  }
  setTimeout(tick, 10);
}

function stop() {
  if (stopping) return;
  stopping = true;
  const t1 = Date.now();
  const wait = () => {
    if (inflight > 0 && Date.now() - t1 < 5000) return void setTimeout(wait, 50);
    for (const k of pool) k.sock && k.sock.end();
    for (const s of udp) s.close();
    setTimeout(() => {
      st.wirePackets = wire() - w0;
      st.seconds = (Date.now() - t0) / 1000;
      process.stdout.write(JSON.stringify(st) + "\n");
      process.exit(0);
    }, 1000);
  };
  wait();
}
process.on("SIGUSR1", () => stop());
// Let the kept-alive connections open before steering on the counters.
setTimeout(() => {
  process.stdout.write("started\n");
  tick();
}, 300);
`;

// ---------------------------------------------------------------------------------------------------------
// checking files

/** tsniff writes F, F1, F2, ... with -C: file k's name. */
const fileName = (k) => (k === 0 ? BASE : `${BASE}${k}`);

const files = []; // { name, k, packets, bytes, first, last, capinfos, error }
let checkedUpTo = 0; // files [0, checkedUpTo) are checked
let keys = new Float64Array(1 << 20);
let nkeys = 0;
let keyBase = 0; // µs: keys are (ts - keyBase) * 2^hashBits + hash
let hashBits = 16;

function addKey(k) {
  if (nkeys === keys.length) {
    const n = new Float64Array(keys.length * 2);
    n.set(keys);
    keys = n;
  }
  keys[nkeys++] = k;
}

/** Reads one pcap file strictly (tsniff's pcap: little-endian, 2.4): packets, first/last timestamps, keys. */
function parsePcap(name) {
  const d = fs.readFileSync(name);
  const r = { packets: 0, bytes: d.length, first: null, last: null, disorder: 0, error: null };
  if (d.length < 24) return { ...r, error: `short file (${d.length} bytes)` };
  const magic = d.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) return { ...r, error: `bad magic ${magic.toString(16)}` };
  const nano = magic === 0xa1b23c4d;
  if (d.readUInt16LE(4) !== 2 || d.readUInt16LE(6) !== 4) return { ...r, error: "bad version" };
  const snaplen = d.readUInt32LE(16);
  let pos = 24;
  let prev = -Infinity;
  const mask = 2 ** hashBits;
  while (pos < d.length) {
    if (pos + 16 > d.length) return { ...r, error: `record header cut at offset ${pos}` };
    const sec = d.readUInt32LE(pos),
      frac = d.readUInt32LE(pos + 4),
      caplen = d.readUInt32LE(pos + 8),
      len = d.readUInt32LE(pos + 12);
    if (frac >= (nano ? 1e9 : 1e6)) return { ...r, error: `bad timestamp fraction at offset ${pos}` };
    if (caplen > len || caplen > snaplen || caplen === 0) return { ...r, error: `bad lengths caplen ${caplen} len ${len} at offset ${pos}` };
    if (pos + 16 + caplen > d.length) return { ...r, error: `record at offset ${pos} cut short` };
    const us = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
    if (us < prev) r.disorder++;
    prev = us;
    if (r.first === null) r.first = us;
    r.last = us;
    // FNV-1a over the original length and the bytes (the headers differ between any two packets).
    let h = 0x811c9dc5 ^ len;
    for (let i = pos + 16, e = pos + 16 + caplen; i < e; i++) h = Math.imul(h ^ d[i], 0x01000193);
    addKey((us - keyBase) * mask + ((h >>> 0) % mask));
    r.packets++;
    pos += 16 + caplen;
  }
  return r;
}

function capinfos(name) {
  return new Promise((resolve) => {
    execFile("capinfos", ["-c", "-M", name], { encoding: "utf8" }, (err, stdout, stderr) => {
      const m = /Number of packets:\s+(\d+)/.exec(stdout ?? "");
      resolve({ ok: !err && !(stderr ?? "").trim() && !!m, packets: m ? Number(m[1]) : -1, message: ((stderr ?? "") + (err ? ` (${err.message})` : "")).trim() });
    });
  });
}

async function checkFile(k) {
  const name = fileName(k);
  const r = parsePcap(name);
  const ci = await capinfos(name);
  const f = { name: path.basename(name), k, ...r, capinfos: ci };
  if (!ci.ok) f.error = (f.error ? f.error + "; " : "") + `capinfos: ${ci.message || "failed"}`;
  else if (ci.packets !== r.packets) f.error = (f.error ? f.error + "; " : "") + `capinfos counts ${ci.packets}, the parser ${r.packets}`;
  files.push(f);
  if (!O.keep && !f.error) fs.rmSync(name, { force: true });
  return f;
}

/** Checks every file tsniff has closed: file k is closed once file k+1 exists. */
let checking = false;
async function harvest(all) {
  if (checking) return;
  checking = true;
  try {
    while (fs.existsSync(fileName(checkedUpTo)) && (all || fs.existsSync(fileName(checkedUpTo + 1)))) {
      await checkFile(checkedUpTo);
      checkedUpTo++;
    }
  } finally {
    checking = false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// memory

function procStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s) ?? [0, NaN])[1]);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024, cpu: (Number(stat[11]) + Number(stat[12])) / 100, name: s.match(/^Name:\s+(.*)$/m)?.[1] };
  } catch {
    return null;
  }
}

/** `ip netns exec` execs its command in place; if a wrapper forked instead, follow to the node process. */
function nodePid(pid) {
  for (let i = 0; i < 3; i++) {
    const st = procStatus(pid);
    if (!st || st.name === "node" || st.name?.startsWith("node")) return pid;
    try {
      const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      if (!kids.length) return pid;
      pid = Number(kids[0]);
    } catch {
      return pid;
    }
  }
  return pid;
}

// ---------------------------------------------------------------------------------------------------------
// report helpers

const median = (a) => {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "-");
const num = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-");

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n,
    my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxy / sxx;
}

// ---------------------------------------------------------------------------------------------------------
// main

async function main() {
  if (process.getuid?.() !== 0) die("needs root (network namespaces and capture)");
  for (const c of ["ip", "capinfos", "ping", "ethtool"]) if (spawnSync("sh", ["-c", `command -v ${c}`]).status !== 0) die(`${c} is missing`);
  if (!fs.existsSync(O.tsniff)) die(`${O.tsniff}: not found (npm run build, or --tsniff PATH)`);
  fs.mkdirSync(O.out, { recursive: true });
  if (fs.existsSync(BASE)) die(`${BASE} exists: use a new --out`);
  const seconds = Math.round(O.minutes * 60);
  // Keys: µs since the start in the high bits, a digest of the bytes in the low ones, exact in a double.
  keyBase = Date.now() * 1000 - 60e6;
  hashBits = Math.max(8, 53 - Math.ceil(Math.log2((seconds + 1800) * 1e6)));

  const machine = {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    memMB: Math.round(os.totalmem() / 2 ** 20),
    freeM: spawnSync("free", ["-m"], { encoding: "utf8" }).stdout.trim(),
    kernel: os.release(),
    node: process.version,
    tsniff: O.tsniff,
    tsniffVersion: spawnSync(process.execPath, [O.tsniff, "--version"], { encoding: "utf8" }).stdout.trim().replace(/\n/g, "; "),
    commit: fs.existsSync(path.join(path.dirname(path.dirname(O.tsniff)), "COMMIT")) ? fs.readFileSync(path.join(path.dirname(path.dirname(O.tsniff)), "COMMIT"), "utf8").trim() : "",
  };
  console.log(`soak: ${O.minutes} min at ${O.rate} packets/s, -C ${O.sizeMb}, output ${O.out}`);
  console.log(`soak: tsniff ${O.tsniff}; node ${machine.node}; kernel ${machine.kernel}; ${machine.nproc} cores`);

  setupNet();
  fs.writeFileSync(path.join(O.out, "responder.cjs"), RESPONDER);
  fs.writeFileSync(path.join(O.out, "generator.cjs"), GENERATOR);

  // responder in B
  const resp = start(["ip", "netns", "exec", NS_B, process.execPath, path.join(O.out, "responder.cjs")], { stdio: ["pipe", "pipe", "pipe"] });
  let respOut = "";
  resp.stdout.on("data", (d) => (respOut += d));
  resp.stderr.on("data", (d) => process.stderr.write(`responder: ${d}`));
  for (let i = 0; !respOut.includes("ready"); i++) {
    if (i > 200 || resp.exitCode !== null) throw new Error("the responder did not start");
    await sleep(50);
  }

  // tsniff in A
  const tsArgs = ["-i", IF_A, "-w", BASE, "-C", String(O.sizeMb), "--duration", String(seconds + 900)];
  const ts = start(["ip", "netns", "exec", NS_A, process.execPath, O.tsniff, ...tsArgs]);
  let tsErr = "";
  ts.stderr.on("data", (d) => (tsErr += d));
  ts.stdout.on("data", () => {});
  const tsExit = new Promise((r) => ts.on("exit", (code, sig) => r({ code, sig })));
  for (let i = 0; !tsErr.includes("listening on"); i++) {
    if (i > 400 || ts.exitCode !== null) throw new Error(`tsniff did not start: ${tsErr.trim()}`);
    await sleep(25);
  }
  const tsPid = nodePid(ts.pid);
  console.log(`soak: tsniff ${tsArgs.join(" ")} (pid ${tsPid}): ${tsErr.trim().split("\n").pop()}`);
  const k0 = linkStats();

  // RSS samples and file checks
  const samples = []; // { t, rss, hwm, cpu, wire }
  const t0 = Date.now();
  const sampleNow = () => {
    const s = procStatus(tsPid);
    if (!s) return;
    let wire = NaN;
    try {
      const k = linkStats();
      wire = k.rx + k.tx - k0.rx - k0.tx;
    } catch {
      /* namespace gone */
    }
    samples.push({ t: (Date.now() - t0) / 1000, rss: s.rss, hwm: s.hwm, cpu: s.cpu, wire });
  };
  sampleNow();
  const sampler = setInterval(() => {
    sampleNow();
    void harvest(false);
  }, O.sample * 1000);
  let lastProgress = Date.now();
  const progress = setInterval(() => {
    const s = samples[samples.length - 1];
    const prev = samples.find((x) => x.t >= s.t - 60) ?? samples[0];
    const pps = (s.wire - prev.wire) / Math.max(1, s.t - prev.t);
    console.log(
      `soak: ${fmt(s.t / 60, 1)} min: ${fmt(pps, 0)} packets/s on the veth, ${num(s.wire)} so far; tsniff RSS ${fmt(s.rss)} MB (peak ${fmt(s.hwm)}), CPU ${fmt(s.cpu, 1)} s; ${files.length} files checked${files.some((f) => f.error) ? " (ERRORS)" : ""}`,
    );
    lastProgress = Date.now();
  }, 60_000);
  void lastProgress;

  // traffic
  const pingInterval = 1 / (0.05 * O.rate); // echo requests + replies = 10% of the packets
  const gen = start(["ip", "netns", "exec", NS_A, process.execPath, path.join(O.out, "generator.cjs"), IP_B, IF_A, String(O.rate), String(seconds)]);
  const ping = start(["ip", "netns", "exec", NS_A, "ping", "-q", "-n", "-w", String(seconds), "-i", pingInterval.toFixed(4), "-s", "56", IP_B]);
  let genOut = "",
    pingOut = "";
  gen.stdout.on("data", (d) => (genOut += d));
  gen.stderr.on("data", (d) => process.stderr.write(`generator: ${d}`));
  ping.stdout.on("data", (d) => (pingOut += d));
  ping.stderr.on("data", (d) => process.stderr.write(`ping: ${d}`));
  const genExit = new Promise((r) => gen.on("exit", r));
  const pingExit = new Promise((r) => ping.on("exit", r));
  stopEarly = () => {
    try {
      process.kill(gen.pid, "SIGUSR1");
    } catch {
      /* done */
    }
    try {
      process.kill(ping.pid, "SIGINT");
    } catch {
      /* done */
    }
  };
  if (interrupted) stopEarly();
  // A bound on the wait, whatever happens to the generator.
  const hardStop = setTimeout(() => stopEarly(), (seconds + 120) * 1000);
  await Promise.all([genExit, pingExit]);
  clearTimeout(hardStop);
  const trafficSecs = (Date.now() - t0) / 1000;

  // quiet, then the kernel's counters, then stop tsniff
  await sleep(3000);
  const k1 = linkStats();
  sampleNow();
  clearInterval(sampler);
  clearInterval(progress);
  process.kill(tsPid, "SIGINT");
  const tsEnd = await Promise.race([tsExit, sleep(60_000).then(() => null)]);
  if (!tsEnd) {
    process.kill(tsPid, "SIGKILL");
    throw new Error("tsniff did not exit within 60 s of SIGINT");
  }
  resp.stdin.end();
  await Promise.race([new Promise((r) => resp.on("exit", r)), sleep(5000)]);
  while (checking) await sleep(50);
  await harvest(true);

  // ---- the numbers
  const grab = (re) => Number((re.exec(tsErr) ?? [0, NaN])[1]);
  const tsn = { captured: grab(/(\d+) packets? captured/), received: grab(/(\d+) packets? received by filter/), dropped: grab(/(\d+) packets? dropped by kernel/), ifDropped: grab(/(\d+) packets? dropped by interface/) };
  const kernel = { tx: k1.tx - k0.tx, rx: k1.rx - k0.rx, rxDropped: k1.rxDropped - k0.rxDropped, txDropped: k1.txDropped - k0.txDropped };
  kernel.total = kernel.tx + kernel.rx;
  let genStats = {},
    respStats = {};
  try {
    genStats = JSON.parse(genOut.trim().split("\n").pop());
  } catch {
    /* none */
  }
  try {
    respStats = JSON.parse(respOut.trim().split("\n").pop());
  } catch {
    /* none */
  }
  const pm = /(\d+) packets transmitted, (\d+) received/.exec(pingOut);
  const pingStats = { sent: pm ? Number(pm[1]) : NaN, received: pm ? Number(pm[2]) : NaN };

  const filePackets = files.reduce((a, f) => a + f.packets, 0);
  const bad = files.filter((f) => f.error);
  // duplicates: equal keys (same µs and digest) anywhere across the files
  const sorted = keys.subarray(0, nkeys).sort();
  let dups = 0;
  for (let i = 1; i < nkeys; i++) if (sorted[i] === sorted[i - 1]) dups++;
  let overlaps = 0;
  for (let i = 1; i < files.length; i++) if (files[i].first !== null && files[i - 1].last !== null && files[i].first < files[i - 1].last) overlaps++;
  const disorder = files.reduce((a, f) => a + f.disorder, 0);
  const maxSize = Math.max(0, ...files.slice(0, -1).map((f) => f.bytes));

  // RSS analysis: after a warm-up (10% of the run, 5 min at most: the heap and the writer's buffers reach
  // their working size), first vs last window (10 min, or 20% of the run)
  const runS = samples.length ? samples[samples.length - 1].t : 0;
  const warm = Math.min(300, runS * 0.1);
  const win = Math.min(600, runS * 0.2);
  const post = samples.filter((s) => s.t >= warm);
  const firstW = post.filter((s) => s.t < warm + win).map((s) => s.rss);
  const lastW = post.filter((s) => s.t >= runS - win).map((s) => s.rss);
  const rssFirst = median(firstW),
    rssLast = median(lastW);
  const growth = rssLast - rssFirst;
  const slopeMBh = slope(
    post.map((s) => s.t / 3600),
    post.map((s) => s.rss),
  );
  const rssAll = samples.map((s) => s.rss);
  const tol = Math.max(8, rssFirst * 0.1);
  const flat = Number.isFinite(growth) && growth <= tol;

  const checks = [
    [`no file corrupt (capinfos and the strict parser read all ${files.length}; their counts agree)`, files.length > 0 && bad.length === 0],
    [`packets in the files (${num(filePackets)}) = tsniff's "captured" (${num(tsn.captured)})`, filePackets === tsn.captured],
    [`tsniff's "received by filter" (${num(tsn.received)}) = the veth's tx + rx in the kernel (${num(kernel.total)})`, tsn.received === kernel.total],
    [`captured = received - dropped by kernel (${num(tsn.received)} - ${num(tsn.dropped)})`, tsn.captured === tsn.received - tsn.dropped],
    [`no packet in two files (duplicate timestamp+digest keys: ${dups})`, dups === 0],
    [`resident memory flat: median of the last window - first window = ${fmt(growth)} MB (allowed ${fmt(tol)} MB)`, flat],
    [`tsniff exited cleanly on SIGINT (code ${tsEnd.code}${tsEnd.sig ? ", signal " + tsEnd.sig : ""})`, tsEnd.code === 0],
    [
      `steady traffic: ${fmt(kernel.total / trafficSecs, 0)} packets/s on average (target ${O.rate}, within 5%); the generator and ping reported their counts`,
      Math.abs(kernel.total / trafficSecs - O.rate) <= O.rate * 0.05 && Number.isFinite(genStats.wirePackets) && Number.isFinite(pingStats.sent),
    ],
  ];
  const pass = checks.every(([, ok]) => ok);

  // ---- report
  const L = [];
  L.push(`# tsniff soak ${machine.date}`);
  L.push("");
  L.push(`Machine: ${machine.nproc} cores, ${machine.memMB} MB, kernel ${machine.kernel}, Node.js ${machine.node}; ${machine.tsniffVersion}${machine.commit ? `; commit ${machine.commit}` : ""}`);
  L.push("");
  L.push("```");
  L.push(machine.freeM);
  L.push("```");
  L.push("");
  L.push(
    `Run: ${fmt(trafficSecs / 60, 1)} min of traffic${interrupted ? " (stopped early by a signal)" : ""}, target ${O.rate} packets/s, tsniff \`${tsArgs.join(" ")}\` (${path.basename(O.tsniff)} at ${O.tsniff})`,
  );
  L.push("");
  L.push("## Packets");
  L.push("");
  L.push(`| what | packets |`);
  L.push(`|---|---|`);
  L.push(`| kernel: veth ${IF_A} tx + rx (between tsniff ready and 3 s after the traffic) | ${num(kernel.total)} (tx ${num(kernel.tx)}, rx ${num(kernel.rx)}; drops rx ${kernel.rxDropped} tx ${kernel.txDropped}) |`);
  L.push(`| average rate | ${fmt(kernel.total / trafficSecs, 0)} packets/s |`);
  L.push(`| tsniff: received by filter | ${num(tsn.received)} |`);
  L.push(`| tsniff: dropped by kernel | ${num(tsn.dropped)}${Number.isFinite(tsn.ifDropped) ? `, by interface ${num(tsn.ifDropped)}` : ""} |`);
  L.push(`| tsniff: captured | ${num(tsn.captured)} |`);
  L.push(`| in the files (sum over ${files.length} files) | ${num(filePackets)} |`);
  L.push(
    `| generator | ${num(genStats.shortConns)} short TCP connections (${num(genStats.shortDone)} answered), ${num(genStats.keepRequests)} requests on kept-alive connections (${num(genStats.keepResponses)} answered), ${num(genStats.dnsQueries)} DNS queries (${num(genStats.dnsAnswers)} answered), ${num(genStats.errors)} socket errors; the veth counted ${num(genStats.wirePackets)} packets in its ${fmt(genStats.seconds, 0)} s |`,
  );
  L.push(`| ping | ${num(pingStats.sent)} echo requests, ${num(pingStats.received)} replies |`);
  L.push(`| responder | ${num(respStats.tcpConns)} TCP connections, ${num(respStats.httpRequests)} HTTP requests, ${num(respStats.dnsQueries)} DNS queries |`);
  L.push("");
  L.push("## Files");
  L.push("");
  L.push(
    `${files.length} files (-C ${O.sizeMb}: ${files.length > 1 ? `the largest closed before the end ${num(maxSize)} bytes` : "one file"}), ${num(files.reduce((a, f) => a + f.bytes, 0))} bytes in all; ${bad.length} with errors; consecutive files whose time ranges overlap: ${overlaps}; records out of time order inside files: ${disorder}. ${O.keep ? `Kept in ${O.out}.` : "Each file was deleted once checked."}`,
  );
  for (const f of bad.slice(0, 20)) L.push(`- ${f.name}: ${f.error}`);
  L.push("");
  L.push("## Resident memory of tsniff (VmRSS, MB)");
  L.push("");
  L.push(
    `${samples.length} samples every ${O.sample} s: min ${fmt(Math.min(...rssAll))}, max ${fmt(Math.max(...rssAll))}, peak (VmHWM) ${fmt(samples.length ? samples[samples.length - 1].hwm : NaN)}; median of minutes ${fmt(warm / 60, 1)}-${fmt((warm + win) / 60, 1)}: ${fmt(rssFirst)}, of the last ${fmt(win / 60, 1)} min: ${fmt(rssLast)} (change ${growth >= 0 ? "+" : ""}${fmt(growth)}); least-squares slope after the warm-up ${fmt(slopeMBh, 2)} MB/hour. CPU ${fmt(samples.length ? samples[samples.length - 1].cpu : NaN, 1)} s in all (${fmt(((samples.length ? samples[samples.length - 1].cpu : 0) / Math.max(1, tsn.captured)) * 1e6, 2)} s per million packets).`,
  );
  L.push("");
  const step = runS > 1800 ? 300 : runS > 600 ? 60 : 30;
  L.push(`| minute | RSS min | RSS max | RSS median | packets/s |`);
  L.push(`|---|---|---|---|---|`);
  for (let a = 0; a < runS; a += step) {
    const w = samples.filter((s) => s.t >= a && s.t < a + step);
    if (!w.length) continue;
    const rate = (w[w.length - 1].wire - w[0].wire) / Math.max(1, w[w.length - 1].t - w[0].t);
    L.push(`| ${fmt(a / 60, a % 60 ? 1 : 0)}-${fmt(Math.min(a + step, runS) / 60, 1)} | ${fmt(Math.min(...w.map((s) => s.rss)))} | ${fmt(Math.max(...w.map((s) => s.rss)))} | ${fmt(median(w.map((s) => s.rss)))} | ${fmt(rate, 0)} |`);
  }
  L.push("");
  L.push("## Verdict");
  L.push("");
  for (const [what, ok] of checks) L.push(`- ${ok ? "PASS" : "FAIL"}: ${what}`);
  L.push("");
  L.push(`**${pass ? "PASS" : "FAIL"}**`);
  L.push("");
  L.push("tsniff's stderr:");
  L.push("");
  L.push("```");
  L.push(tsErr.trim());
  L.push("```");
  const report = L.join("\n") + "\n";
  fs.writeFileSync(path.join(O.out, "report.md"), report);
  fs.writeFileSync(path.join(O.out, "rss.csv"), "seconds,rss_mb,hwm_mb,cpu_s,veth_packets\n" + samples.map((s) => `${s.t.toFixed(1)},${s.rss.toFixed(2)},${s.hwm.toFixed(2)},${s.cpu.toFixed(2)},${s.wire}`).join("\n") + "\n");
  fs.writeFileSync(path.join(O.out, "files.json"), JSON.stringify(files, null, 1));
  process.stdout.write("\n" + report);
  console.log(`soak: report in ${path.join(O.out, "report.md")}, samples in rss.csv`);
  return pass ? 0 : 1;
}

main().then(
  (code) => {
    cleanup();
    process.exit(code);
  },
  (e) => {
    process.stderr.write(`soak: ${e && e.stack ? e.stack : e}\n`);
    cleanup();
    process.exit(2);
  },
);
