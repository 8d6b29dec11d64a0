/**
 * Readers of /proc: a process's facts (comm, exe, args, uid, cgroup, parent), the kernel's socket tables
 * (/proc/PID/net/{tcp,tcp6,udp,udp6,icmp,icmp6}: tuple, state, uid, inode; read once per network namespace)
 * and the socket inode -> pid map (/proc/PID/fd). Every read tolerates a process that exits meanwhile.
 */
import fs from "node:fs";
import { containerIdOf, podUidOf } from "./container.js";
import type { ProcInfo } from "./types.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "./types.js";

/** The root of the proc file system (tests and sandboxes may point elsewhere with TSNIFF_PROC_ROOT). */
export const PROC = process.env.TSNIFF_PROC_ROOT || "/proc";

function read(path: string): string | undefined {
  try {
    return fs.readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

/** The pids of the running processes. */
export function listPids(): number[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(PROC);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(n));
  }
  return out;
}

export function processExists(pid: number): boolean {
  try {
    fs.statSync(`${PROC}/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The cgroup v2 path of a process (the "0::" line), or undefined. */
export function cgroupOf(pid: number): string | undefined {
  const t = read(`${PROC}/${pid}/cgroup`);
  if (!t) return undefined;
  for (const line of t.split("\n")) if (line.startsWith("0::")) return line.slice(3);
  return undefined;
}

/** Parent pid (field 4 of /proc/PID/stat; the name in parentheses may hold spaces and parentheses). */
export function parentOf(pid: number): number | undefined {
  const t = read(`${PROC}/${pid}/stat`);
  if (!t) return undefined;
  const r = t.lastIndexOf(")");
  const f = t.slice(r + 2).split(" ");
  const pp = Number(f[1]);
  return Number.isInteger(pp) ? pp : undefined;
}

/** A process's facts from /proc, or undefined when it is gone. */
export function processInfo(pid: number, tid?: number): ProcInfo | undefined {
  const comm = read(`${PROC}/${pid}/comm`);
  if (comm === undefined) return undefined;
  const info: ProcInfo = { pid, comm: comm.replace(/\n$/, "") };
  if (tid !== undefined) info.tid = tid;
  try {
    info.exe = fs.readlinkSync(`${PROC}/${pid}/exe`);
  } catch {
    /* kernel thread, gone, or not ours to see */
  }
  const cmd = read(`${PROC}/${pid}/cmdline`);
  if (cmd) info.args = cmd.replace(/\0+$/, "").split("\0").join(" ");
  const status = read(`${PROC}/${pid}/status`);
  const uid = status && /\nUid:\s+(\d+)/.exec(status);
  if (uid) info.uid = Number(uid[1]);
  const cg = cgroupOf(pid);
  if (cg !== undefined) {
    info.cgroup = cg;
    const id = containerIdOf(cg);
    if (id) info.containerId = id;
    const pod = podUidOf(cg);
    if (pod) info.podUid = pod;
  }
  return info;
}

/** One row of a socket table. Addresses are canonical text (see canonical6); remote "" port 0 is unconnected. */
export interface SocketRow {
  proto: number;
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
  /** TCP state (0x0A listen), as the kernel prints it */
  state: number;
  uid: number;
  inode: number;
  /** the network namespace's inode (/proc/PID/ns/net), 0 when unknown */
  ns: number;
}

function hex4(h: string, at: number): string {
  // /proc/net prints each 32-bit word of an address in host byte order (little-endian here)
  const w = parseInt(h.slice(at, at + 8), 16);
  return [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An IPv4 address in dotted form from four bytes. */
export function v4text(a: number, b: number, c: number, d: number): string {
  return `${a}.${b}.${c}.${d}`;
}

/**
 * The canonical text of an IPv6 address given as 32 hex digits: an IPv4-mapped one (::ffff:a.b.c.d) is its
 * IPv4 text, so that a dual-stack socket matches the IPv4 packets it really exchanges; others stay 32 hex digits.
 */
export function canonical6(hex: string): string {
  if (hex.startsWith("00000000000000000000ffff")) {
    const n = parseInt(hex.slice(24), 16);
    return v4text(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  return hex;
}

const ANY4 = "0.0.0.0";
export const ANY6 = "0".repeat(32);

function parseAddr(s: string): [string, number] {
  const [h, p] = s.split(":");
  const port = parseInt(p, 16);
  if (h.length === 8) {
    const w = parseInt(h, 16);
    return [v4text(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24), port];
  }
  return [canonical6(hex4(h, 0) + hex4(h, 8) + hex4(h, 16) + hex4(h, 24)), port];
}

export function isAny(addr: string): boolean {
  return addr === ANY4 || addr === ANY6;
}

const TABLES: [string, number][] = [
  ["tcp", IPPROTO_TCP],
  ["tcp6", IPPROTO_TCP],
  ["udp", IPPROTO_UDP],
  ["udp6", IPPROTO_UDP],
  ["icmp", IPPROTO_ICMP],
  ["icmp6", IPPROTO_ICMPV6],
];

/** The socket tables of the network namespace that process `pid` ("self" for ours) is in. */
export function readSocketTables(pid: number | "self", out: SocketRow[] = [], ns = 0): SocketRow[] {
  for (let k = 0; k < SOCKET_TABLES; k++) readSocketTable(pid, k, out, ns);
  return out;
}

/** how many socket tables a namespace has (readSocketTable's `k`: tcp, tcp6, udp, udp6, icmp, icmp6) */
export const SOCKET_TABLES = TABLES.length;

/**
 * Socket table `k` (0 to SOCKET_TABLES - 1) of the network namespace process `pid` is in: one file, so that a
 * reader in time slices can stop between them (the kernel walks its whole socket hash table for each:
 * milliseconds).
 */
export function readSocketTable(pid: number | "self", k: number, out: SocketRow[], ns = 0): void {
  const [name, proto] = TABLES[k];
  const t = read(`${PROC}/${pid}/net/${name}`);
  if (!t) return;
  const lines = t.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].trim().split(/\s+/);
    if (f.length < 10) continue;
    const [laddr, lport] = parseAddr(f[1]);
    const [raddr, rport] = parseAddr(f[2]);
    out.push({ proto, laddr, lport, raddr, rport, state: parseInt(f[3], 16), uid: Number(f[7]), inode: Number(f[9]), ns });
  }
}

/** The network namespace (its inode text, "net:[4026531840]") of a process, or undefined. */
export function netnsOf(pid: number | "self"): string | undefined {
  try {
    return fs.readlinkSync(`${PROC}/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/**
 * Socket inode -> pid over every process's open files. A socket shared by several processes (a forked server)
 * goes to the one seen last (pids in increasing order: the youngest, usually the worker that uses it).
 */
export function socketOwners(pids: number[] = listPids()): Map<number, number> {
  const owners = new Map<number, number>();
  for (const pid of pids) socketOwnersOf(pid, owners);
  return owners;
}

/** Adds the sockets process `pid` has open to `owners` (inode -> pid). */
export function socketOwnersOf(pid: number, owners: Map<number, number>): void {
  let fds: string[];
  try {
    fds = fs.readdirSync(`${PROC}/${pid}/fd`);
  } catch {
    return;
  }
  const dir = `${PROC}/${pid}/fd/`;
  for (const fd of fds) {
    let link: string;
    try {
      link = fs.readlinkSync(dir + fd);
    } catch {
      continue;
    }
    // "socket:[12345]"
    if (link.charCodeAt(0) !== 115 || !link.startsWith("socket:[")) continue;
    owners.set(Number(link.slice(8, -1)), pid);
  }
}
