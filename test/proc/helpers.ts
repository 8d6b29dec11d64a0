/**
 * Process-aware capture tests: a network namespace of their own (ts-proc-<pid>-<tag>, loopback up) where real
 * servers and clients run and tsniff captures on lo; every process started here is killed and the namespace
 * removed afterwards. Skips (with the reason printed) where not root or without network namespaces.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { collect, sleep, TSNIFF, waitForStderr } from "../helpers/run.js";

/** Debian's python3 (a version manager's shim on PATH can take seconds to start and is not the pid it runs as). */
export const PY = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

export function procSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: process attribution and network namespaces need root";
  if (spawnSync("ip", ["netns", "list"]).status !== 0) return "no network namespaces (ip netns)";
  return undefined;
}

export class ProcNs {
  readonly name: string;
  private kids: ChildProcess[] = [];
  constructor(tag: string) {
    this.name = `ts-proc-${process.pid % 100000}-${tag}`;
    spawnSync("ip", ["netns", "del", this.name]);
    const r = spawnSync("ip", ["netns", "add", this.name]);
    if (r.status !== 0) throw new Error(`ip netns add: ${r.stderr}`);
    spawnSync("ip", ["-n", this.name, "link", "set", "lo", "up"]);
  }
  /** Starts a program inside the namespace; its pid is the program's own (ip netns exec execs it). */
  run(cmd: string, args: string[], o: { stdin?: boolean } = {}): ChildProcess {
    const p = spawn("ip", ["netns", "exec", this.name, cmd, ...args], { stdio: [o.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    this.kids.push(p);
    return p;
  }
  /** Runs a program inside the namespace to completion. */
  runSync(cmd: string, args: string[]) {
    return spawnSync("ip", ["netns", "exec", this.name, cmd, ...args], { timeout: 30_000 });
  }
  /** tsniff inside the namespace, once it listens. */
  async tsniff(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ p: ChildProcess; done: ReturnType<typeof collect> }> {
    const p = spawn("ip", ["netns", "exec", this.name, process.execPath, TSNIFF, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TZ: "UTC", ...env } });
    this.kids.push(p);
    const done = collect(p);
    // (generous: 14 files at once on a loaded machine start tsniff and load eBPF programs together)
    await waitForStderr(p, "listening on", 30_000);
    return { p, done };
  }
  destroy(): void {
    for (const k of this.kids) if (k.exitCode === null && k.signalCode === null) k.kill("SIGKILL");
    spawnSync("ip", ["netns", "del", this.name]);
  }
}

/** Waits until a child has printed `text` on stdout (a server saying it is ready). */
export function waitForStdout(p: ChildProcess, text: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let acc = "";
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${text}: ${acc}`)), ms);
    p.stdout?.on("data", (d: Buffer) => {
      acc += d.toString();
      if (acc.includes(text)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

export function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((r) => (p.exitCode !== null ? r(p.exitCode) : p.on("exit", (c) => r(c))));
}

/** A TCP server (python3) on 127.0.0.1:port answering each connection's request line with 2000 bytes. */
export const TCP_SERVER = `
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); print("ready", flush=True)
def serve(c):
    c.recv(1000); c.sendall(b"x" * 2000); c.recv(1000); c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

/** A TCP client (python3) that waits for a line on stdin, then talks slowly (a long-lived connection). */
export const TCP_CLIENT = `
import socket, sys, time
sys.stdin.readline()
c = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); time.sleep(0.5)
c.sendall(b"GET\\n"); n = 0
while n < 2000: n += len(c.recv(4000))
time.sleep(1); c.close(); time.sleep(0.5); print("done", flush=True)
`;

/** A UDP echo server (python3) on 127.0.0.1:port. */
export const UDP_ECHO = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); print("ready", flush=True)
while True:
    d, a = s.recvfrom(2000); s.sendto(d, a)
`;

/** A UDP sender (python3): after a line on stdin, three datagrams 100 ms apart, each answer read. */
export const UDP_SENDER = `
import socket, sys, time
sys.stdin.readline()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(b"hello %d" % i, ("127.0.0.1", int(sys.argv[1]))); s.recvfrom(2000); time.sleep(0.3)
time.sleep(1); print("done", flush=True)
`;

/** The tab-separated rows of -T fields output. */
export function rows(out: Buffer): string[][] {
  return out
    .toString()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"));
}

export { sleep };

/** An HTTP server (python3's http.server) on 127.0.0.1:port serving the current directory. */
export const HTTP_SERVER = `
import http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H); print("ready", flush=True); s.serve_forever()
`;

/**
 * Before a capture is stopped: time for tsniff to read what the kernel holds (libpcap hands a batch over up
 * to its 100 ms timeout after its first packet; on a loaded machine tsniff may be a second behind the traffic).
 */
export const settle = () => sleep(1500);
