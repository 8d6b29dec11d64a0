#!/usr/bin/env node
/**
 * Remote capture's cost: bench/flood.mjs's flood of 64-byte UDP frames (1000 flows, tcpreplay --topspeed) on
 * its veth pair into a "host" namespace running a real sshd, captured
 *   - remotely: tsniff -i ssh://HOST/IFACE -w x.pcapng in a control namespace (the remote side runs tcpdump),
 *   - through a plain pipe: ssh HOST tcpdump -U -w - >/dev/null (the transport alone),
 *   - locally on that host: tsniff -i IFACE -w x.pcapng, and tcpdump -w for reference,
 * alternating (two rounds, the second in reverse order). Prints packets/s captured during the flood and the
 * local side's CPU per packet (tsniff or ssh plus their children, from the flood's start to their exit: start-up
 * not counted), each with its ratio to the local tsniff of the same round. Not a test: numbers go to docs/BENCHMARKS.md.
 *   sudo node bench/remote.mjs        (BENCH_LOOPS=N: N x 1000 packets per run, default 300;
 *                                      BENCH_ONLY=REGEX: those runs and the local tsniff; BENCH_DEBUG=1: summaries)
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withFlood } from "./flood.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSNIFF = [process.execPath, path.join(ROOT, "bin", "tsniff")];
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bench-remote-"));
const have = (c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0;
if (process.getuid?.() !== 0 || !have("tcpreplay") || !fs.existsSync("/usr/sbin/sshd") || !have("ssh")) {
  console.log("bench/remote: skipped (needs root, tcpreplay, ssh and /usr/sbin/sshd)");
  process.exit(0);
}
const LOOPS = Number(process.env.BENCH_LOOPS ?? 300);
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
const res = {};
let sshd;
// bench/flood.mjs's pair: namespace a is the "host" (it captures), b floods it; a control namespace C, joined
// to the host by a second veth pair, runs the ssh client.
const C = "ts-remote-bench-c";
const dropC = () => {
  for (const p of (spawnSync("ip", ["netns", "pids", C], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), "SIGKILL");
    } catch {
      /* gone */
    }
  }
  spawnSync("ip", ["netns", "del", C]);
};
try {
  await withFlood({ prefix: "ts-remote-bench-", ifPrefix: "tsrb", dir: OUT }, async (run, iface, pair) => {
    const H = pair.a;
    dropC();
    sh("ip", "netns", "add", C);
    sh("ip", "-n", C, "link", "set", "lo", "up");
    sh("ip", "-n", H, "link", "set", "lo", "up");
    sh("ip", "link", "add", "tsrbc0", "type", "veth", "peer", "name", "tsrbh0");
    sh("ip", "link", "set", "tsrbc0", "netns", C);
    sh("ip", "link", "set", "tsrbh0", "netns", H);
    sh("ip", "-n", C, "addr", "add", "10.203.90.1/24", "dev", "tsrbc0");
    sh("ip", "-n", H, "addr", "add", "10.203.90.2/24", "dev", "tsrbh0");
    sh("ip", "-n", C, "link", "set", "tsrbc0", "up");
    sh("ip", "-n", H, "link", "set", "tsrbh0", "up");

    // sshd on the host: generated keys, its own config, root by key only
    fs.mkdirSync("/run/sshd", { recursive: true });
    for (const k of ["id", "hostkey"]) sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path.join(OUT, k));
    fs.copyFileSync(path.join(OUT, "id.pub"), path.join(OUT, "authorized_keys"));
    fs.writeFileSync(
      path.join(OUT, "sshd_config"),
      `ListenAddress 10.203.90.2\nHostKey ${path.join(OUT, "hostkey")}\nPidFile ${path.join(OUT, "sshd.pid")}\nAuthorizedKeysFile ${path.join(OUT, "authorized_keys")}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n`,
    );
    fs.writeFileSync(path.join(OUT, "known_hosts"), `10.203.90.2 ${fs.readFileSync(path.join(OUT, "hostkey.pub"), "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    const sshConfig = path.join(OUT, "ssh_config");
    fs.writeFileSync(
      sshConfig,
      `Host h\n  HostName 10.203.90.2\n  User root\n  IdentityFile ${path.join(OUT, "id")}\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile ${path.join(OUT, "known_hosts")}\n  StrictHostKeyChecking yes\n`,
    );
    sshd = spawn("ip", ["netns", "exec", H, "/usr/sbin/sshd", "-D", "-e", "-f", path.join(OUT, "sshd_config")], { stdio: "ignore" });
    for (let k = 0; ; k++) {
      if (spawnSync("ip", ["netns", "exec", C, "ssh", "-F", sshConfig, "-o", "BatchMode=yes", "h", "true"]).status === 0) break;
      if (k > 100) throw new Error("sshd does not answer");
      await new Promise((r) => setTimeout(r, 100));
    }

    const runs = [
      // the remote side waits 1 s after the stop before it signals tcpdump (src/remote/transport.ts)
      ["tsniff -i ssh://h/IF (remote tcpdump)", [...TSNIFF, "--ssh-option", `-F ${sshConfig}`, "--remote-tool", "tcpdump", "-i", `ssh://h/${iface}`, "-w", path.join(OUT, "r.pcapng")], { ns: C, ready: `listening on h:${iface}`, tree: true }],
      // the transport alone: ssh h tcpdump -U -w - into /dev/null, stopped by a line on its standard input
      ["ssh h tcpdump -U -w - >/dev/null (a plain pipe)", ["ssh", "-F", sshConfig, "h", `tcpdump -i ${iface} -U -w - & c=$!; read _; kill -INT $c; wait $c`], { ns: C, ready: "listening on", tree: true, stdinStop: true }],
      ["tsniff -i IF (on the host)", [...TSNIFF, "-i", iface, "-w", path.join(OUT, "l.pcapng")], {}],
      ["tcpdump -i IF (on the host)", ["tcpdump", "-i", iface, "-w", path.join(OUT, "d.pcap")], {}],
    ].filter(([who]) => !only || only.test(who) || who === "tsniff -i IF (on the host)");
    for (let round = 0; round < 2; round++) {
      for (const [who, argv, opts] of round ? runs.slice().reverse() : runs) {
        const r = await run(who, argv, LOOPS, { settleMs: 300, afterMs: 1500, ...opts });
        r.pps = r.captured / r.sendSecs;
        r.cpu = r.cpuFlood; // from the flood's start: start-up (node, the ssh handshake) not counted
        r.usPerPkt = (r.cpu / Math.max(r.captured, 1)) * 1e6;
        if (process.env.BENCH_DEBUG) console.log(r.stderr.split("\n").filter((l) => l && !/^listening/.test(l)).join("\n"));
        console.log(`${who}: captured ${r.captured} of ${LOOPS * 1000} in ${r.sendSecs.toFixed(2)} s (${Math.round(r.pps)} packets/s), dropped ${r.dropped}, local CPU ${r.cpu.toFixed(2)} s = ${r.usPerPkt.toFixed(3)} us/packet`);
        (res[who] ??= []).push(r);
      }
    }
  });
} finally {
  try {
    sshd?.kill("SIGKILL");
  } catch {
    /* gone */
  }
  dropC();
  fs.rmSync(OUT, { recursive: true, force: true });
}
const local = res["tsniff -i IF (on the host)"];
console.log(`\n| run (${LOOPS * 1000} frames of 64 bytes) | round | captured | dropped by kernel | packets/s | vs local tsniff | local CPU us/packet | vs local tsniff |\n|---|---:|---:|---:|---:|---:|---:|---:|`);
for (const [who, rounds] of Object.entries(res)) {
  rounds.forEach((r, k) => {
    const l = local[k];
    console.log(`| ${who} | ${k + 1} | ${r.captured} | ${r.dropped} | ${Math.round(r.pps)} | ${(r.pps / l.pps).toFixed(2)}x | ${r.usPerPkt.toFixed(2)} | ${(r.usPerPkt / l.usPerPkt).toFixed(2)}x |`);
  });
}
