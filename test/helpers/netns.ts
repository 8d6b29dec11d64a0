/**
 * Two network namespaces joined by a veth pair, for capture tests with real traffic. Addresses are in
 * 10.203.0.0/16 and fd03:203::/64 and exist only inside these namespaces; traffic never leaves them.
 * Names carry the test process id so parallel test files do not collide; destroy() removes everything.
 */
import { execFileSync, spawnSync } from "node:child_process";

export interface NsPair {
  a: string;
  b: string;
  ifA: string;
  ifB: string;
  ipA: string;
  ipB: string;
  ip6A: string;
  ip6B: string;
  destroy(): void;
}

/** Runs `ip ARGS` (throws with its message when it fails). */
export function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Turns a device's offloads off: real, unsegmented frames with final checksums, as on a wire. */
export function offloadsOff(ns: string, dev: string): void {
  spawnSync("ip", ["netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "gso", "off", "gro", "off", "tso", "off"]);
}

/** Kills every process still in namespace `ns` (a test's sshd, a capture left behind), then deletes it. */
export function removeNetns(ns: string): void {
  for (const p of (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), "SIGKILL");
    } catch {
      /* gone */
    }
  }
  spawnSync("ip", ["netns", "del", ns]);
}

export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"]).status === 0;
}

export function createNsPair(tag: string, subnet: number): NsPair {
  const id = `${tag}${process.pid % 100000}`;
  const a = `tsn_${id}_a`,
    b = `tsn_${id}_b`;
  const ifA = `va${id}`.slice(0, 15),
    ifB = `vb${id}`.slice(0, 15);
  const ipA = `10.203.${subnet}.1`,
    ipB = `10.203.${subnet}.2`;
  const ip6A = `fd03:203:${subnet.toString(16)}::1`,
    ip6B = `fd03:203:${subnet.toString(16)}::2`;
  const destroy = () => {
    spawnSync("ip", ["netns", "del", a]);
    spawnSync("ip", ["netns", "del", b]);
    spawnSync("ip", ["link", "del", ifA]);
  };
  destroy();
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", ifA, "type", "veth", "peer", "name", ifB);
    ip("link", "set", ifA, "netns", a);
    ip("link", "set", ifB, "netns", b);
    ip("-n", a, "addr", "add", `${ipA}/24`, "dev", ifA);
    ip("-n", b, "addr", "add", `${ipB}/24`, "dev", ifB);
    ip("-n", a, "addr", "add", `${ip6A}/64`, "dev", ifA, "nodad");
    ip("-n", b, "addr", "add", `${ip6B}/64`, "dev", ifB, "nodad");
    for (const [ns, dev] of [
      [a, ifA],
      [b, ifB],
    ]) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", dev, "up");
      offloadsOff(ns, dev);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  return { a, b, ifA, ifB, ipA, ipB, ip6A, ip6B, destroy };
}

/**
 * Sends real traffic from inside namespace `ns` with node: UDP datagrams to each port and TCP connections
 * (to a listener in the peer when one runs, otherwise SYN/RST). All bounded; returns when done.
 */
export function sendTraffic(ns: string, dst: string, ports: number[], opts: { udpPerPort?: number; tcp?: boolean; size?: number } = {}): void {
  const script = `
const dgram = require("dgram"), net = require("net");
const dst = ${JSON.stringify(dst)}, ports = ${JSON.stringify(ports)}, n = ${opts.udpPerPort ?? 3}, size = ${opts.size ?? 32};
const fam = dst.includes(":") ? "udp6" : "udp4";
(async () => {
  const s = dgram.createSocket(fam);
  for (const p of ports) for (let i = 0; i < n; i++) await new Promise(r => s.send(Buffer.alloc(size, 0x41 + i), p, dst, r));
  s.close();
  if (${opts.tcp ? "true" : "false"}) for (const p of ports) await new Promise(r => { const c = net.connect({ host: dst, port: p }); c.on("connect", () => { c.end("hello " + p); }); c.on("error", r); c.on("close", r); setTimeout(r, 2000); });
})();`;
  execFileSync("ip", ["netns", "exec", ns, process.execPath, "-e", script], { timeout: 20_000 });
}
