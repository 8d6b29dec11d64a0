/**
 * Real TLS traffic for the decryption tests: a server (openssl s_server, or Node's https/http2 servers in a
 * child process) on 127.0.0.1, clients (curl, nghttp) with SSLKEYLOGFILE, captured by tcpdump on loopback.
 */
import { spawn, spawnSync, execFile, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll } from "vitest";

const run = promisify(execFile);

export function makeCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  if (!fs.existsSync(cert)) {
    const r = spawnSyncQuiet("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"]);
    if (r !== 0) throw new Error("openssl req failed");
  }
  return { cert, key };
}

function spawnSyncQuiet(cmd: string, args: string[]): number {
  return spawnSync(cmd, args, { stdio: "ignore" }).status ?? 1;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let nextPort = 40000 + Math.floor(Math.random() * 15000);
export const freePort = () => nextPort++;

/** Waits until something listens on 127.0.0.1:port (or the time is up). */
async function listening(port: number, ms = 20000): Promise<void> {
  const net = await import("node:net");
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        res(true);
      });
      s.on("error", () => res(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** Waits until something listens on 127.0.0.1:port inside namespace `ns`. */
async function listeningIn(ns: string, port: number, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (spawnSync("ip", ["netns", "exec", ns, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" }).status === 0) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on port ${port} in ${ns}`);
}

/** A network namespace with only its loopback up; `destroy()` removes it. */
export function loopbackNs(tag: string): { name: string; destroy(): void } {
  const name = `ts-tls-${tag}-${process.pid % 100000}`;
  const destroy = () => void spawnSync("ip", ["netns", "del", name], { stdio: "ignore" });
  destroy();
  if (spawnSync("ip", ["netns", "add", name], { stdio: "ignore" }).status !== 0) throw new Error(`cannot create namespace ${name}`);
  spawnSync("ip", ["-n", name, "link", "set", "lo", "up"], { stdio: "ignore" });
  return { name, destroy };
}

function stop(p: ChildProcess, sig: NodeJS.Signals = "SIGTERM"): Promise<void> {
  return new Promise((res) => {
    if (p.exitCode !== null || p.signalCode !== null) return res();
    p.once("exit", () => res());
    p.kill(sig);
  });
}

/**
 * Starts `server` (argv), captures port `port` on lo into `pcap` while `clients` run one after the other
 * (each argv run with SSLKEYLOGFILE=keylog), then stops both.
 */
export async function captureTls(pcap: string, keylog: string, port: number, server: string[], clients: string[][], opts: { ns?: string } = {}): Promise<void> {
  // inside network namespace `ns` (its own loopback): every program through `ip netns exec`
  const inNs = (argv: string[]) => (opts.ns ? ["ip", "netns", "exec", opts.ns, ...argv] : argv);
  server = inNs(server);
  clients = clients.map(inNs);
  const td0 = inNs(["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-w", pcap, "tcp", "port", String(port)]);
  const srv = spawn(server[0], server.slice(1), { stdio: ["pipe", "ignore", "ignore"] });
  const td = spawn(td0[0], td0.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  try {
    await new Promise<void>((res, rej) => {
      let err = "";
      const t = setTimeout(() => rej(new Error("tcpdump did not start: " + err)), 30000);
      td.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("listening on")) {
          clearTimeout(t);
          res();
        }
      });
    });
    if (opts.ns) await listeningIn(opts.ns, port);
    else await listening(port);
    for (const c of clients) await run(c[0], c.slice(1), { env: { ...process.env, SSLKEYLOGFILE: keylog }, timeout: 20000 }).catch(() => undefined);
    await sleep(800);
  } finally {
    await stop(td, "SIGINT");
    await stop(srv);
  }
}

/**
 * A test file's work directory (removed after the file's tests) with a certificate made on first use, and
 * captureTls wrapped: `capture(name, server, clients)` runs `server(cert, key, port)` on a free port while the
 * `clients(port)` run, and gives the capture and its key log.
 */
export function tlsWork(tag: string, cleanup?: () => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ts-tls-${tag}-`));
  afterAll(() => {
    cleanup?.();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async capture(name: string, server: (cert: string, key: string, port: number) => string[], clients: (port: number) => string[][]): Promise<{ pcap: string; keys: string; port: number }> {
      const { cert, key } = makeCert(dir);
      const port = freePort();
      const pcap = path.join(dir, `${name}.pcap`);
      const keys = path.join(dir, `${name}.keys`);
      await captureTls(pcap, keys, port, server(cert, key, port), clients(port));
      return { pcap, keys, port };
    },
  };
}

/** The "Decrypted TLS (N bytes):" blocks of a -x/-X dump (tshark's or tsniff's), in order, each as its lines. */
export function decryptedBlocks(text: string): string[] {
  const out: string[] = [];
  let cur: string[] | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("Decrypted TLS (")) out.push((cur = [line]).join("\n"));
    else if (cur && /^[0-9a-f]{4,}  /.test(line)) {
      cur.push(line);
      out[out.length - 1] = cur.join("\n");
    } else cur = null;
  }
  return out;
}

/** tshark -x's Decrypted TLS blocks of a capture with its key log (the port decoded as TLS). */
export function tsharkDecryptedBlocks(pcap: string, keys: string, port: number): string[] {
  const out = execFileSync("tshark", ["-r", pcap, "-o", `tls.keylog_file:${keys}`, "-d", `tcp.port==${port},tls`, "-x"], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 });
  return decryptedBlocks(out.toString());
}
