/**
 * The live flood harness shared by bench/run.mjs and bench/proc.mjs: two network namespaces joined by a veth
 * pair, 1000 distinct 64-byte UDP frames between addresses of the namespaces only, replayed with tcpreplay
 * as fast as it goes into one end while a capture program runs on the other. Measures the capture's CPU time
 * (from /proc/PID/stat while it runs) and reads its packet counts from its stderr (tcpdump's and tsniff's
 * summary lines). Nothing leaves the two namespaces, which are removed afterwards.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** The 1000-frame pcap file the flood replays. */
export function floodPcap(file) {
  const frames = [];
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20);
  frames.push(hdr);
  for (let i = 0; i < 1000; i++) {
    const f = Buffer.alloc(60);
    Buffer.from("02000000aa0102000000bb010800", "hex").copy(f, 0);
    f[14] = 0x45;
    f.writeUInt16BE(46, 16);
    f[22] = 64;
    f[23] = 17;
    Buffer.from([10, 204, 0, 2, 10, 204, 0, 1]).copy(f, 26);
    f.writeUInt16BE(10000 + i, 34);
    f.writeUInt16BE(9, 36);
    f.writeUInt16BE(26, 38);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(60, 8);
    rec.writeUInt32LE(60, 12);
    frames.push(rec, f);
  }
  fs.writeFileSync(file, Buffer.concat(frames));
  return file;
}

/** CPU seconds (user + system) of a process, and of its descendants too when `tree` (an ssh client's). */
export function cpuOf(pid, tree = false) {
  let total = 0;
  const walk = (p) => {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      total += (Number(st[11]) + Number(st[12])) / 100;
      if (!tree) return;
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

/**
 * Sets the pair up (namespaces `${prefix}a`/`${prefix}b`, interfaces `${ifPrefix}a0`/`${ifPrefix}b0`, with
 * `address` (e.g. "10.204.0.1/24") on the capturing one when given), runs `body(run, iface, pair)` and
 * removes everything (the namespaces' processes too), whatever happens. `run(who, argv, loops, opts)` starts
 * argv inside the capturing namespace (or `opts.ns`), waits for "listening on" (or `opts.ready`) then
 * `opts.settleMs`, floods loops x 1000 frames, waits `opts.afterMs` (500), stops it (SIGINT, or a line on
 * its standard input with `opts.stdinStop`) and returns { who, captured, received, dropped, cpu, cpuFlood,
 * sendSecs, stderr } (cpu: the process's whole CPU time; cpuFlood: from the flood's start to the end, what
 * the flood cost; both with its descendants' with `opts.tree`, an ssh client's). `pair` is { a, b, ifA, ifB }
 * (a captures, b floods).
 */
export async function withFlood({ prefix, ifPrefix, dir, address }, body) {
  const A = `${prefix}a`,
    B = `${prefix}b`,
    IA = `${ifPrefix}a0`,
    IB = `${ifPrefix}b0`;
  const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  const cleanup = () => {
    for (const ns of [A, B]) {
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
  const small = floodPcap(path.join(dir, "flood.pcap"));
  try {
    sh("ip", "netns", "add", A);
    sh("ip", "netns", "add", B);
    sh("ip", "link", "add", IA, "type", "veth", "peer", "name", IB);
    sh("ip", "link", "set", IA, "netns", A);
    sh("ip", "link", "set", IB, "netns", B);
    sh("ip", "-n", A, "link", "set", IA, "up");
    // (optional) an address on the capturing end: the flood's destination is then this namespace's
    if (address) sh("ip", "-n", A, "addr", "add", address, "dev", IA);
    sh("ip", "-n", B, "link", "set", IB, "up");
    const run = async (who, argv, loops, opts = {}) => {
      const p = spawn("ip", ["netns", "exec", opts.ns ?? A, ...argv], { stdio: [opts.stdinStop ? "pipe" : "ignore", "ignore", "pipe"] });
      let err = "";
      p.stderr.on("data", (d) => (err += d));
      const exited = new Promise((r) => p.on("close", r));
      const until = Date.now() + 60000;
      while (!err.includes(opts.ready ?? "listening on")) {
        if (p.exitCode !== null || Date.now() > until) {
          p.kill("SIGKILL");
          throw new Error(`${who}: ${err}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (opts.settleMs) await new Promise((r) => setTimeout(r, opts.settleMs));
      let cpu = 0;
      const sample = () => (cpu = Math.max(cpu, cpuOf(p.pid, opts.tree)));
      // the CPU time spent before the flood (start-up, loading an eBPF program) is not the capture's
      sample();
      const cpu0 = cpu;
      const tick = setInterval(sample, 50);
      const t0 = Date.now();
      spawnSync("ip", ["netns", "exec", B, "tcpreplay", "-q", "-i", IB, "--topspeed", `--loop=${loops}`, small], { stdio: "ignore" });
      const sendSecs = (Date.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, opts.afterMs ?? 500));
      cpu = Math.max(cpu, cpuOf(p.pid, opts.tree));
      if (opts.stdinStop) p.stdin.end("stop\n");
      else p.kill("SIGINT");
      await exited;
      clearInterval(tick);
      const num = (re) => Number((re.exec(err) ?? [0, 0])[1]);
      return { who, captured: num(/(\d+) packets? captured/), received: num(/(\d+) packets? received by filter/), dropped: num(/(\d+) packets? dropped by kernel/), cpu, cpuFlood: cpu - cpu0, sendSecs, stderr: err };
    };
    return await body(run, IA, { a: A, b: B, ifA: IA, ifB: IB });
  } finally {
    cleanup();
  }
}
