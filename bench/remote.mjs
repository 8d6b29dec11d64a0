#!/usr/bin/env node
/**
 * Remote capture's cost: a flood of 64-byte UDP frames (1000 flows, tcpreplay --topspeed) on a veth pair into
 * a "host" namespace running a real sshd, captured
 *   - remotely: tsniff -i ssh://HOST/IFACE -w x.pcapng in a control namespace (the remote side runs tcpdump),
 *   - locally on that host: tsniff -i IFACE -w x.pcapng, and tcpdump -w for reference,
 * alternating (two rounds). Prints packets/s captured during the flood and the local side's CPU per packet
 * (tsniff plus its ssh client for the remote run). Not a test: numbers go to docs/BENCHMARKS.md.
 *   sudo node bench/remote.mjs        (BENCH_LOOPS=N: N x 1000 packets per run, default 300)
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { floodPcap } from "./flood.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSNIFF = [process.execPath, path.join(ROOT, "bin", "tsniff")];
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-remote-"));
const have = (c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0;
if (process.getuid?.() !== 0 || !have("tcpreplay") || !fs.existsSync("/usr/sbin/sshd") || !have("ssh")) {
  console.log("bench/remote: skipped (needs root, tcpreplay, ssh and /usr/sbin/sshd)");
  process.exit(0);
}
const C = "ts-remote-bench-c",
  H = "ts-remote-bench-h",
  F = "ts-remote-bench-f";
const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
let sshd;
const cleanup = () => {
  try {
    sshd?.kill("SIGKILL");
  } catch {
    /* gone */
  }
  for (const ns of [C, H, F]) {
    for (const p of (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(p), "SIGKILL");
      } catch {
        /* gone */
      }
    }
    spawnSync("ip", ["netns", "del", ns]);
  }
};
cleanup();
for (const ns of [C, H, F]) {
  sh("ip", "netns", "add", ns);
  sh("ip", "-n", ns, "link", "set", "lo", "up");
}
// control <-> host: the ssh link; flood namespace -> host: the captured interface
sh("ip", "link", "add", "tsrbc0", "type", "veth", "peer", "name", "tsrbh0");
sh("ip", "link", "set", "tsrbc0", "netns", C);
sh("ip", "link", "set", "tsrbh0", "netns", H);
sh("ip", "-n", C, "addr", "add", "10.203.90.1/24", "dev", "tsrbc0");
sh("ip", "-n", H, "addr", "add", "10.203.90.2/24", "dev", "tsrbh0");
sh("ip", "-n", C, "link", "set", "tsrbc0", "up");
sh("ip", "-n", H, "link", "set", "tsrbh0", "up");
sh("ip", "link", "add", "tsrbf0", "type", "veth", "peer", "name", "tsrbh1");
sh("ip", "link", "set", "tsrbf0", "netns", F);
sh("ip", "link", "set", "tsrbh1", "netns", H);
sh("ip", "-n", F, "link", "set", "tsrbf0", "up");
sh("ip", "-n", H, "link", "set", "tsrbh1", "up");

// sshd on the host: generated keys, its own config, root by key only
fs.mkdirSync("/run/sshd", { recursive: true });
for (const k of ["id", "hostkey"]) sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path.join(OUT, k));
fs.copyFileSync(path.join(OUT, "id.pub"), path.join(OUT, "authorized_keys"));
fs.writeFileSync(
  path.join(OUT, "sshd_config"),
  `ListenAddress 10.203.90.2\nHostKey ${path.join(OUT, "hostkey")}\nPidFile ${path.join(OUT, "sshd.pid")}\nAuthorizedKeysFile ${path.join(OUT, "authorized_keys")}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n`,
);
fs.writeFileSync(path.join(OUT, "known_hosts"), `10.203.90.2 ${fs.readFileSync(path.join(OUT, "hostkey.pub"), "utf8").split(" ").slice(0, 2).join(" ")}\n`);
fs.writeFileSync(
  path.join(OUT, "ssh_config"),
  `Host h\n  HostName 10.203.90.2\n  User root\n  IdentityFile ${path.join(OUT, "id")}\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile ${path.join(OUT, "known_hosts")}\n  StrictHostKeyChecking yes\n`,
);
sshd = spawn("ip", ["netns", "exec", H, "/usr/sbin/sshd", "-D", "-e", "-f", path.join(OUT, "sshd_config")], { stdio: "ignore" });
for (let k = 0; ; k++) {
  if (spawnSync("ip", ["netns", "exec", C, "ssh", "-F", path.join(OUT, "ssh_config"), "-o", "BatchMode=yes", "h", "true"]).status === 0) break;
  if (k > 100) throw new Error("sshd does not answer");
  await new Promise((r) => setTimeout(r, 100));
}

// the 1000 distinct 64-byte UDP frames of bench/flood.mjs
const small = floodPcap(path.join(OUT, "flood.pcap"));
const LOOPS = Number(process.env.BENCH_LOOPS ?? 300);

/** CPU seconds of a process and its descendants (the ssh client of a remote run). */
function cpuOf(pid) {
  let total = 0;
  const walk = (p) => {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      total += (Number(st[11]) + Number(st[12])) / 100;
      for (const t of fs.readdirSync(`/proc/${p}/task`)) {
        for (const c of fs.readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) walk(c);
      }
    } catch {
      /* exited */
    }
  };
  walk(pid);
  return total;
}

async function one(who, ns, argv, ready) {
  const p = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  p.stderr.on("data", (d) => (err += d));
  // registered at once: a run that ends by itself (the plain ssh pipe's timeout) must not hang the bench
  const done = new Promise((r) => p.on("close", r));
  const until = Date.now() + 60000;
  while (!err.includes(ready)) {
    if (p.exitCode !== null || Date.now() > until) {
      p.kill("SIGKILL");
      throw new Error(`${who} did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  let cpu = 0;
  const tick = setInterval(() => (cpu = Math.max(cpu, cpuOf(p.pid))), 50);
  const t0 = performance.now();
  spawnSync("ip", ["netns", "exec", F, "tcpreplay", "-q", "-i", "tsrbf0", "--topspeed", `--loop=${LOOPS}`, small], { stdio: "ignore" });
  const floodS = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 1500));
  cpu = Math.max(cpu, cpuOf(p.pid));
  p.kill("SIGINT");
  await done;
  clearInterval(tick);
  const num = (re) => Number((re.exec(err) ?? [0, 0])[1]);
  const r = { who, captured: num(/^(\d+) packets? captured/m), dropped: num(/^(\d+) packets? dropped by kernel/m), cpu, floodS };
  r.pps = r.captured / floodS;
  r.usPerPkt = (cpu / Math.max(r.captured, 1)) * 1e6;
  console.log(`${who}: captured ${r.captured} of ${LOOPS * 1000} in ${floodS.toFixed(2)} s (${Math.round(r.pps)} packets/s), dropped ${r.dropped}, local CPU ${cpu.toFixed(2)} s = ${r.usPerPkt.toFixed(3)} us/packet`);
  return r;
}

const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const runs = [
  ["tsniff -i ssh://h/IF (remote tcpdump)", C, [...TSNIFF, "--ssh-option", `-F ${path.join(OUT, "ssh_config")}`, "--remote-tool", "tcpdump", "-i", "ssh://h/tsrbh1", "-w", path.join(OUT, "r.pcapng")], "listening on h:tsrbh1"],
  ["ssh h tcpdump -w - >/dev/null (a plain pipe)", C, ["ssh", "-F", path.join(OUT, "ssh_config"), "h", "timeout -s INT 12 tcpdump -i tsrbh1 -w -"], "listening on"],
  ["tsniff -i IF (on the host)", H, [...TSNIFF, "-i", "tsrbh1", "-w", path.join(OUT, "l.pcapng")], "listening on"],
  ["tcpdump -i IF (on the host)", H, ["tcpdump", "-i", "tsrbh1", "-w", path.join(OUT, "d.pcap")], "listening on"],
];
const res = {};
if (only) runs.splice(0, runs.length, ...runs.filter((r) => only.test(r[0]) || /on the host/.test(r[0]) && r[0].startsWith("tsniff")));
try {
  for (let round = 0; round < 2; round++) {
    for (const [who, ns, argv, ready] of round ? runs.slice().reverse() : runs) {
      const r = await one(who, ns, argv, ready);
      (res[who] ??= []).push(r);
    }
  }
} finally {
  cleanup();
  fs.rmSync(OUT, { recursive: true, force: true });
}
const best = (who) => res[who].reduce((a, b) => (a.pps >= b.pps ? a : b));
const local = best("tsniff -i IF (on the host)");
console.log(`\n| run (${LOOPS * 1000} packets of 64 bytes, best of 2) | captured | packets/s | vs local tsniff | local CPU us/packet | dropped by kernel |\n|---|---|---|---|---|---|`);
for (const who of Object.keys(res)) {
  const b = best(who);
  console.log(`| ${who} | ${b.captured} | ${Math.round(b.pps)} | ${(b.pps / local.pps).toFixed(2)}x | ${b.usPerPkt.toFixed(3)} | ${b.dropped} |`);
}
