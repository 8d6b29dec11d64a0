/**
 * The eBPF engine: native/bpf/proc.bpf.c in the kernel (cgroup socket hooks on the cgroup v2 root, BTF
 * tracepoints) tells which process owns each socket and tuple; its events come through a BPF ring buffer,
 * read by the tsniff_bpf addon (native/tsniff_bpf.c, loaded only here) from the event loop: when the ring
 * buffer's fd is readable (a socket's event wakes it; exec, fork and exit events do not), every 250 ms, and
 * whenever a packet's flow is not known yet (so a connection's first SYN finds the event its connect made).
 * exe, args and the cgroup path are read from /proc while the process lives.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { containerIdOf, podUidOf } from "./container.js";
import type { Engine } from "./engine.js";
import { canonical6, isAny, netnsOf, parentOf, processInfo, v4text } from "./procfs.js";
import { ProcEngine } from "./proc-engine.js";
import { netnsInode, SocketIndex } from "./table.js";
import type { ProcInfo, Tuple } from "./types.js";
import { cpuUs, debugCounts, procDebug, trace, traceStart } from "./debug.js";

const COUNT = procDebug("counters");
const NOWATCH = procDebug("nowatch");

interface BpfAddon {
  open(object: string, cgroup: string): object;
  consume(h: object): Buffer;
  ringFd(h: object): number;
  /** fn() from the event loop whenever events wait (a uv poll on the ring buffer's fd); older builds lack it */
  watch?(h: object, fn: () => void): void;
  close(h: object): void;
}

const EVENT = 88;
const EV_FLOW = 1,
  EV_LOCAL = 2,
  EV_EXEC = 3,
  EV_FORK = 4,
  EV_EXIT = 5;

/** The package's root: the nearest directory above this module with tsniff's package.json. */
function packageRoot(): string {
  let d = path.dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++) {
    try {
      if ((JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8")) as { name?: string }).name === "tsniff") return d;
    } catch {
      /* not here */
    }
    d = path.dirname(d);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/**
 * The cgroup v2 mount point, from /proc/mounts (unified hierarchy, or hybrid's "unified"); when this mount
 * namespace has none (`ip netns exec` mounts a /sys of its own), init's, through /proc/1/root.
 */
export function cgroup2Root(): string | undefined {
  // this process's mounts, then its ancestors' and init's (their root is reachable where ours lacks the mount)
  const places: [string, string][] = [["/proc/self/mounts", ""]];
  for (let pid: number | undefined = process.ppid, k = 0; pid && pid > 1 && k < 8; k++) {
    places.push([`/proc/${pid}/mounts`, `/proc/${pid}/root`]);
    pid = parentOf(pid);
  }
  places.push(["/proc/1/mounts", "/proc/1/root"]);
  for (const [mounts, prefix] of places) {
    try {
      for (const l of fs.readFileSync(mounts, "utf8").split("\n")) {
        const f = l.split(" ");
        if (f[2] === "cgroup2" && fs.existsSync(prefix + f[1])) return prefix + f[1];
      }
    } catch {
      /* no /proc, or init's not ours to see */
    }
  }
  return undefined;
}

/** The eBPF engine, or the one-line reason it cannot run here. */
export function openEbpfEngine(): Engine | string {
  const btf = process.env.TSNIFF_BTF ?? "/sys/kernel/btf/vmlinux";
  if (!fs.existsSync(btf)) return `no BTF (${btf} is missing)`;
  const cg = cgroup2Root();
  if (!cg) return "no cgroup v2 file system mounted";
  const root = packageRoot();
  const object = process.env.TSNIFF_BPF_OBJ ?? path.join(root, "build", "bpf", "proc.bpf.o");
  const addonPath = path.join(root, "build", "Release", "tsniff_bpf.node");
  if (!fs.existsSync(addonPath) || !fs.existsSync(object)) return "not built (node scripts/build-bpf.mjs builds it where clang and libbpf-dev are installed)";
  let addon: BpfAddon;
  try {
    addon = createRequire(import.meta.url)(addonPath) as BpfAddon;
  } catch (e) {
    return `its addon does not load (${(e as Error).message.split("\n")[0]})`;
  }
  try {
    return new EbpfEngine(addon, addon.open(object, cg));
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    if (/Operation not permitted|Permission denied/.test(msg) && process.geteuid?.() !== 0) return `${msg}: needs root (CAP_BPF and CAP_SYS_ADMIN)`;
    return msg;
  }
}

interface Owner {
  pid: number;
  tid: number;
  uid: number;
  comm: string;
  cgroupId: bigint;
}

export class EbpfEngine implements Engine {
  readonly name = "ebpf" as const;
  sure = false;
  /** sockets by network namespace and tuple: the capture's namespace is looked at first (table.ts) */
  private index = new SocketIndex<Owner>(netnsInode(netnsOf("self")));
  private infos = new Map<number, ProcInfo>();
  /** pid -> the name it exec'd under (exec events), for processes gone before /proc was read */
  private execComm = new Map<number, string>();
  /** pid -> parent, from fork events (children of --follow-forks that came and went) */
  readonly parents = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  events = 0;

  private before: ProcEngine;

  constructor(
    private addon: BpfAddon,
    private h: object,
  ) {
    // The sockets made before the programs were attached, read once (after attaching: every later socket
    // makes events). Never read again: an old listener's connections match its port, an old socket that
    // connects or sends later makes an event; re-reading for every unknown flow is what a flood paid for.
    this.before = new ProcEngine(Infinity);
    this.before.refresh();
    this.drain();
    // events are read as soon as the ring buffer has them (its fd polled by the event loop); an addon built
    // before watch() existed is drained on a timer
    // (a socket's event wakes the process at once; exec, fork and exit events do not, and wait for the next
    // read: this timer's, or a lookup's: native/bpf/proc.bpf.c submit(); a timer is a wakeup too: seldom)
    if (NOWATCH) return;
    addon.watch?.(h, () => this.drain());
    this.timer = setInterval(() => this.drain(), addon.watch ? 250 : 25);
    this.timer.unref();
  }

  /** Reads the ring buffer's waiting events into the tables. */
  drain(): void {
    if (this.closed || NOWATCH) return;
    const t0 = traceStart();
    const c0 = COUNT ? cpuUs() : 0;
    const b = this.addon.consume(this.h);
    if (COUNT) {
      debugCounts.drains++;
      if (b.length) debugCounts.drainsWithEvents++;
    }
    for (let o = 0; o + EVENT <= b.length; o += EVENT) this.event(b, o);
    if (COUNT) debugCounts.drainUs += cpuUs() - c0;
    trace(`drain(${b.length / EVENT})`, t0);
  }

  private event(b: Buffer, o: number): void {
    this.events++;
    const type = b.readUInt32LE(o);
    const pid = b.readUInt32LE(o + 4);
    if (type === EV_EXEC || type === EV_EXIT) {
      if (type === EV_EXEC) {
        // a process already attributed changed its name and arguments: its flows are asked again
        if (this.infos.delete(pid)) this.globalGen = ++this.generation;
        // the process's own name (a socket's event carries its thread's, "isc-net-0000" for dig's worker)
        this.execComm.set(pid, cstr(b, o + 24));
        if (this.execComm.size > 65536) this.execComm.clear();
      }
      return;
    }
    if (type === EV_FORK) {
      this.parents.set(pid, b.readUInt32LE(o + 80));
      if (this.parents.size > 65536) this.parents.clear();
      return;
    }
    if (type !== EV_FLOW && type !== EV_LOCAL) return;
    const comm = cstr(b, o + 24);
    const owner: Owner = { pid, tid: b.readUInt32LE(o + 8), uid: b.readUInt32LE(o + 12), comm, cgroupId: b.readBigUInt64LE(o + 16) };
    const family = b[o + 40];
    const proto = b[o + 41];
    const lport = b.readUInt16LE(o + 42);
    const rport = b.readUInt16LE(o + 44);
    const addr = (at: number) => (family === 2 ? v4text(b[at], b[at + 1], b[at + 2], b[at + 3]) : canonical6(b.toString("hex", at, at + 16)));
    const laddr = addr(o + 48);
    const fresh = !isAny(laddr) && !this.index.isLocal(laddr);
    this.index.add(b.readUInt32LE(o + 84), proto, laddr, lport, type === EV_FLOW ? addr(o + 64) : family === 2 ? "0.0.0.0" : "0".repeat(32), type === EV_FLOW ? rport : 0, owner);
    const g = ++this.generation;
    this.portGen[lport] = g;
    if (type === EV_FLOW) this.portGen[rport] = g;
    // a socket on a port of a flow nobody owned, or on an address no socket had (a packet from it may be
    // its): such flows are asked again
    const neg = this.negPorts;
    if (neg && (neg[lport] || (type === EV_FLOW && neg[rport]) || fresh)) this.negChanged!();
    // exe, args and cgroup while the process is (most likely) still there
    if (!this.infos.has(pid)) this.info(owner);
  }

  private info(o: Owner): ProcInfo {
    let i = this.infos.get(o.pid);
    if (!i) {
      this.infoReads++;
      i = processInfo(o.pid) ?? { pid: o.pid, comm: this.execComm.get(o.pid) ?? o.comm, uid: o.uid };
      if (i.cgroup === undefined) {
        const cg = cgroupPath(o.cgroupId);
        if (cg !== undefined) {
          i.cgroup = cg;
          const id = containerIdOf(cg);
          if (id) i.containerId = id;
          const pod = podUidOf(cg);
          if (pod) i.podUid = pod;
        }
      }
      if (this.infos.size > 65536) this.infos.clear();
      this.infos.set(o.pid, i);
    }
    if (i.tid === o.tid) return i;
    return { ...i, tid: o.tid };
  }

  foreign = false;
  private drainedAt = -Infinity;

  /** Drains the ring buffer unless it was drained less than a millisecond ago; true when it was. */
  private drainSoon(): boolean {
    const now = performance.now();
    if (now - this.drainedAt < 1) return false;
    this.drainedAt = now;
    this.drain();
    return true;
  }

  /** grows with every socket event (portGen: the generation of each port's last event) */
  generation = 0;
  private globalGen = 0;
  private portGen = new Uint32Array(65536);

  changedSince(t: Tuple, gen: number): boolean {
    this.drainSoon();
    return this.globalGen > gen || this.portGen[t.sport] > gen || this.portGen[t.dport] > gen;
  }

  poke(): void {
    this.drainSoon();
  }

  private negPorts: Uint8Array | undefined;
  private negChanged: (() => void) | undefined;

  watchNegatives(ports: Uint8Array, changed: () => void): void {
    this.negPorts = ports;
    this.negChanged = changed;
  }

  /** processes whose facts were read from /proc when their first event came */
  private infoReads = 0;

  stats(): string {
    return `eBPF: ${this.events} event${this.events === 1 ? "" : "s"} from the kernel, ${this.infoReads} process${this.infoReads === 1 ? "" : "es"} read from /proc`;
  }

  portFree = false;

  lookup(t: Tuple): ProcInfo | undefined {
    const found = this.find(t);
    this.portFree = !found && !this.foreign && this.index.portFree(t) && this.before.isPortFree(t);
    return found;
  }

  private find(t: Tuple): ProcInfo | undefined {
    let o = this.index.find(t);
    // the events waiting (a connection's first SYN finds its connect's), at most once a millisecond: a
    // batch of a thousand unknown flows drains once
    if ((!o || !this.index.sure) && this.drainSoon()) o = this.index.find(t);
    this.foreign = !o && !this.index.maybeLocal(t) && !this.before.maybeLocal(t);
    if (this.foreign) {
      this.sure = false;
      return undefined;
    }
    this.sure = !!o && this.index.sure;
    if (o) return this.info(o);
    // Sockets made before the program was attached (a server started earlier) are in no event: the kernel's
    // socket tables know them (the /proc engine's rate-limited refresh).
    const p = this.before.lookup(t);
    this.sure = this.before.sure;
    if (p) return p;
    // only then another namespace's socket (the far end of a veth pair), the events' first
    o = this.index.findElsewhere(t);
    this.sure = !!o && this.index.sure;
    return o ? this.info(o) : undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.addon.close(this.h);
  }
}

function cstr(b: Buffer, at: number): string {
  const s = b.toString("latin1", at, at + 16);
  const z = s.indexOf("\0");
  return z >= 0 ? s.slice(0, z) : s;
}

const cgroupPaths = new Map<bigint, string | undefined>();
/** A cgroup v2 id (its directory's inode) -> its path, for processes gone before /proc was read. */
function cgroupPath(id: bigint): string | undefined {
  if (cgroupPaths.has(id)) return cgroupPaths.get(id);
  const root = cgroup2Root();
  let found: string | undefined;
  if (root) {
    const walk = (dir: string, rel: string, depth: number): boolean => {
      let st: fs.BigIntStats;
      try {
        st = fs.statSync(dir, { bigint: true });
      } catch {
        return false;
      }
      if (st.ino === id) {
        found = rel || "/";
        return true;
      }
      if (depth > 8) return false;
      let kids: fs.Dirent[] = [];
      try {
        kids = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return false;
      }
      for (const k of kids) if (k.isDirectory() && walk(path.join(dir, k.name), `${rel}/${k.name}`, depth + 1)) return true;
      return false;
    };
    walk(root, "", 0);
  }
  cgroupPaths.set(id, found);
  return found;
}
