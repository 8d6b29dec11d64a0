#!/usr/bin/env node
/**
 * What fraction of a short-lived curl run's packets each attribution engine attributes (docs/PROCESS.md):
 * in a namespace of its own, python3's http.server on 127.0.0.1, tsniff --proc on lo with each engine, one
 * `curl -s http://127.0.0.1:PORT/` at a time (curl lives a few milliseconds), RUNS times per engine. Counts
 * the packets of the curl connections, those attributed to the right process (the one whose socket sent
 * them: curl's or the server's) and those attributed to a wrong one. Not a test: numbers go to the docs.
 *   sudo node bench/proc-curl.mjs      (RUNS=N, default 20)
 */
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSNIFF = path.join(ROOT, "bin", "tsniff");
const PY = "/usr/bin/python3";
const NS = `ts-proc-curlbench-${process.pid % 100000}`;
const PORT = 18480;
const RUNS = Number(process.env.RUNS ?? 20);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
if (process.getuid?.() !== 0) {
  console.log("bench/proc-curl: skipped (needs root)");
  process.exit(0);
}
const SERVER = `
import http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H); print("ready", flush=True); s.serve_forever()
`;

function waitFor(stream, text) {
  return new Promise((resolve) => {
    let acc = "";
    stream.on("data", (d) => {
      acc += d;
      if (acc.includes(text)) resolve();
    });
  });
}

spawnSync("ip", ["netns", "del", NS]);
spawnSync("ip", ["netns", "add", NS]);
spawnSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
const srv = spawn("ip", ["netns", "exec", NS, PY, "-c", SERVER, String(PORT)], { stdio: ["ignore", "pipe", "ignore"] });
const results = [];
try {
  await waitFor(srv.stdout, "ready");
  for (const engine of ["ebpf", "proc"]) {
    const t = spawn("ip", ["netns", "exec", NS, process.execPath, TSNIFF, "-i", "lo", "-n", "--proc-engine", engine, "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "proc.pid"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    t.stdout.on("data", (d) => (out += d));
    t.stderr.on("data", (d) => (err += d));
    await waitFor(t.stderr, "listening on");
    const curls = new Map();
    for (let k = 0; k < RUNS; k++) {
      const c = spawn("ip", ["netns", "exec", NS, "curl", "-s", "-o", "/dev/null", `http://127.0.0.1:${PORT}/`], { stdio: "ignore" });
      await new Promise((r) => c.on("exit", r));
      curls.set(c.pid, true);
      await sleep(200);
    }
    // time for tsniff to read what the kernel holds, and for the reorder window to let go
    await sleep(3000);
    const done = new Promise((r) => t.on("close", r));
    t.kill("SIGINT");
    await done;
    let total = 0,
      right = 0,
      wrong = 0;
    for (const line of out.split("\n").filter(Boolean)) {
      const [sp, dp, pid] = line.split("\t");
      if (sp !== String(PORT) && dp !== String(PORT)) continue;
      total++;
      if (!pid) continue;
      const ok = sp === String(PORT) ? Number(pid) === srv.pid : curls.has(Number(pid));
      if (ok) right++;
      else wrong++;
    }
    results.push({ engine, total, right, wrong });
    const work = err.split("\n").find((l) => /^(\/proc read|eBPF:)/.test(l)) ?? "";
    console.log(`${engine}: ${RUNS} curl runs, ${total} packets: ${right} attributed right (${((100 * right) / Math.max(total, 1)).toFixed(1)}%), ${wrong} wrong, ${total - right - wrong} not${work ? `; ${work}` : ""}`);
  }
} finally {
  srv.kill("SIGKILL");
  spawnSync("ip", ["netns", "del", NS]);
}
