/**
 * The /proc engine, for where eBPF cannot load: the kernel's socket tables (/proc/PID/net/tcp, udp, icmp and
 * their IPv6 twins, read once per network namespace, so sockets in containers' namespaces are found too, each
 * under its namespace) give tuple -> socket inode and uid; /proc/PID/fd gives inode -> pid.
 *
 * Both are read again when a flow nobody owns appears, and then off the capture's path: the read is done in
 * slices of a few milliseconds from the event loop (setImmediate between them), so the capture keeps draining
 * the kernel's ring while /proc is read, and lookups meanwhile answer from the tables as read before. The new
 * tables replace the old ones when the read is complete; the read before stays one more round (a socket closed
 * since, a short-lived connection whose packets the capture reads late, still answers). Refreshes are
 * rate-limited: one per window at most (not per flow), never sooner than 5 times the CPU time the last one
 * took (at most ~20% of a CPU however busy the machine), and, while refreshes answer nothing (a flood of flows
 * no local socket owns), one per 8 windows. The file descriptors of every process (the costly part) are read
 * again only when the tables show a socket not seen before, and the facts of the new sockets' owners are read
 * then, while they live. A connection that opened and closed between two reads is not seen: it is counted as
 * unattributed, never given to another process.
 * (NETLINK_SOCK_DIAG would give the same rows; the text tables need no native code and no netlink socket.)
 */
import { listPids, netnsOf, processInfo, readSocketTable, SOCKET_TABLES, socketOwnersOf, type SocketRow } from "./procfs.js";
import { netnsInode, SocketIndex } from "./table.js";
import type { Engine } from "./engine.js";
import { FREE_MS } from "./attribution.js";
import type { ProcInfo, Tuple } from "./types.js";
import { trace, traceStart } from "./debug.js";

/** refreshes in a row that answered nothing before the engine waits this many windows between them */
const IDLE_BACKOFF = 8;

/** One read of /proc, done in steps (each returns when its time slice is used up). */
class Refresh {
  readonly started = performance.now();
  cpu = 0;
  steps = 0;
  private pids: number[] = [];
  /** pid -> its network namespace's inode */
  private nsOf = new Map<number, number>();
  private rows: SocketRow[] = [];
  private seenNs = new Set<number>();
  private phase = 0;
  private at = 0;
  /** the namespaces whose tables are to be read (a pid in each, "self" for ours), one file at a time */
  private tableQueue: [number | "self", number][] = [];
  private tableFile = 0;
  /** the processes whose file descriptors are read first (those in the namespaces of the new sockets), then the rest */
  private first: number[] = [];
  private rest: number[] = [];
  /** socket inodes whose owner is looked for */
  private need = new Set<number>();
  /** whether the file descriptors were read (some socket was new) */
  fresh = false;
  owners: Map<number, number> | undefined;
  /** pids of the sockets not seen before (their facts are read while they live) */
  newPids: number[] = [];

  constructor(
    readonly index: SocketIndex<number>,
    /** the socket inodes the tables showed at the last read of the file descriptors (owned or not) */
    private scanned: Set<number>,
    private oldOwners: Map<number, number>,
    private readInfo: (pid: number) => void,
  ) {}

  /** Works until done (true) or until `sliceMs` have passed (false). */
  step(sliceMs: number): boolean {
    this.steps++;
    const c0 = process.cpuUsage();
    const until = performance.now() + sliceMs;
    try {
      return this.work(until);
    } finally {
      const c = process.cpuUsage(c0);
      this.cpu += (c.user + c.system) / 1000;
    }
  }

  private work(until: number): boolean {
    const index = this.index;
    for (;;) {
      switch (this.phase) {
        case 0: {
          this.pids = listPids();
          const self = index.home;
          if (self) this.seenNs.add(self);
          this.tableQueue.push(["self", self]);
          this.phase = 1;
          if (performance.now() >= until) return false;
          break;
        }
        case 1: {
          // the namespaces' tables, each read once (a pid's namespace link tells which it is in), one file
          // at a time and the links 16 at a time between looks at the clock: a step stays near its slice
          const pids = this.pids;
          const queue = this.tableQueue;
          for (;;) {
            if (queue.length) {
              const [pid, ns] = queue[0];
              readSocketTable(pid, this.tableFile, this.rows, ns);
              if (++this.tableFile === SOCKET_TABLES) {
                this.tableFile = 0;
                queue.shift();
              }
              if (performance.now() >= until) return false;
              continue;
            }
            if (this.at >= pids.length) break;
            const pid = pids[this.at++];
            const ns = netnsInode(netnsOf(pid));
            this.nsOf.set(pid, ns);
            if (ns && !this.seenNs.has(ns)) {
              this.seenNs.add(ns);
              queue.push([pid, ns]);
            }
            if ((this.at & 15) === 0 && performance.now() >= until) return false;
          }
          this.tables();
          if (!this.fresh) return true;
          this.at = 0;
          this.phase = 2;
          if (performance.now() >= until) return false;
          break;
        }
        case 2: {
          // file descriptors: socket inode -> pid, the new sockets' namespaces' processes first; the others'
          // only when some new socket's owner is not among them
          const owners = this.owners!;
          const list = this.first.length ? this.first : this.rest;
          while (this.at < list.length) {
            socketOwnersOf(list[this.at++], owners);
            if ((this.at & 7) === 0 && performance.now() >= until) return false;
          }
          if (list === this.first) {
            this.first = [];
            this.at = 0;
            let all = true;
            for (const inode of this.need) if (!owners.has(inode)) all = false;
            if (!all && this.rest.length) break;
          }
          const pidsOfNew = new Set<number>();
          for (const inode of this.need) {
            const pid = owners.get(inode);
            if (pid !== undefined) pidsOfNew.add(pid);
          }
          this.newPids = [...pidsOfNew];
          this.at = 0;
          this.phase = 3;
          break;
        }
        case 3: {
          // the new sockets' owners' facts, now, while they live
          const pids = this.newPids;
          while (this.at < pids.length) {
            this.readInfo(pids[this.at++]);
            if (performance.now() >= until) return false;
          }
          return true;
        }
      }
    }
  }

  /** The rows into the index; which sockets need their owner found, and whose file descriptors to read. */
  private tables(): void {
    const alive = new Set(this.pids);
    const needNs = new Set<number>();
    const owners = new Map<number, number>();
    for (const r of this.rows) {
      if (r.inode === 0) continue;
      this.index.add(r.ns, r.proto, r.laddr, r.lport, r.raddr, r.rport, r.inode);
      const old = this.oldOwners.get(r.inode);
      // a socket seen before keeps its owner while the owner lives (and one nobody owned stays so)
      if (this.scanned.has(r.inode) && (old === undefined || alive.has(old))) {
        if (old !== undefined) owners.set(r.inode, old);
        continue;
      }
      this.need.add(r.inode);
      needNs.add(r.ns);
    }
    this.fresh = this.need.size > 0;
    if (!this.fresh) return;
    this.owners = owners;
    for (const pid of this.pids) (needNs.has(this.nsOf.get(pid) ?? this.index.home) ? this.first : this.rest).push(pid);
  }

  /** The socket inodes the tables showed (the next refresh reads the file descriptors only for others). */
  inodes(): Set<number> {
    return new Set(this.rows.map((r) => r.inode));
  }
}

export class ProcEngine implements Engine {
  readonly name = "proc" as const;
  /** the tables as last read, and as read the time before (a socket gone since still answers) */
  private index: SocketIndex<number>;
  private prev: SocketIndex<number>;
  /** the third index: the one a refresh in progress fills */
  private spare: SocketIndex<number>;
  private owners = new Map<number, number>();
  private prevOwners = new Map<number, number>();
  /** the socket inodes the tables showed at the last read of the file descriptors (owned or not) */
  private scanned = new Set<number>();
  private infos = new Map<number, ProcInfo | null>();
  /** the earliest start of the next refresh */
  private next = -Infinity;
  /** the same without the idle backoff (the refreshes of keepFresh) */
  private nextTimed = -Infinity;
  /** when the tables in use were read (the start of the refresh that read them) */
  private readAt = -Infinity;
  private job: Refresh | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** refreshes in a row that answered no lookup (a flood nobody owns): the interval grows */
  private idle = 0;
  private answered = false;
  private closed = false;
  refreshes = 0;
  /** grows with every read of /proc (Engine.changedSince) */
  generation = 0;
  /** refreshes that read every process's file descriptors */
  fdScans = 0;
  /** the CPU time of the refreshes, in ms */
  cpuMs = 0;

  constructor(
    private minInterval = 100,
    /** the time slice of an incremental refresh, in ms (the kernel's ring holds far more than that) */
    private sliceMs = 8,
  ) {
    const home = netnsInode(netnsOf("self"));
    this.index = new SocketIndex<number>(home);
    this.prev = new SocketIndex<number>(home);
    this.spare = new SocketIndex<number>(home);
  }

  /** Reads /proc now, whole (at start; a refresh in progress is abandoned). */
  refresh(): void {
    this.job = undefined;
    const job = this.begin();
    job.step(Infinity);
    this.commit(job);
  }

  /**
   * Reads the tables every `ms` while a process of interest runs (`-- cmd`): its sockets are seen while they
   * exist even when the capture gets to their packets late (a loaded machine), and answer for a round after.
   */
  keepFresh(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.want(true), Math.max(ms, 20));
    this.timer.unref();
  }

  private begin(): Refresh {
    this.spare.clear();
    return new Refresh(this.spare, this.scanned, this.owners, (pid) => this.info(pid, true));
  }

  /** Starts an incremental refresh when one may start (rate limit) and none runs. */
  private want(timed = false): void {
    if (this.job || this.closed) return;
    const now = performance.now();
    if (now < (timed ? this.nextTimed : this.next)) return;
    const job = (this.job = this.begin());
    const go = () => {
      if (this.job !== job || this.closed) return;
      const t0 = traceStart();
      const done = job.step(this.sliceMs);
      trace(`refresh-step${done ? "-last" : ""}`, t0);
      if (done) {
        this.job = undefined;
        this.commit(job);
      } else setImmediate(go);
    };
    setImmediate(go);
  }

  private commit(job: Refresh): void {
    this.refreshes++;
    // the new tables in use, the old ones kept one more round
    const older = this.prev;
    this.prev = this.index;
    this.index = job.index;
    this.spare = older;
    if (job.fresh && job.owners) {
      this.fdScans++;
      this.prevOwners = this.owners;
      this.owners = job.owners;
      this.scanned = job.inodes();
      // facts of processes that still own sockets are read again when asked (an exec changes them); the
      // new sockets' owners were read just now; a gone process's stay
      const keep = new Set(job.newPids);
      const alive = new Set(this.owners.values());
      for (const pid of this.infos.keys()) if (!keep.has(pid) && alive.has(pid)) this.infos.delete(pid);
      if (this.infos.size > 4096) this.infos.clear();
    }
    this.readAt = job.started;
    this.cpuMs += job.cpu;
    this.generation++;
    // (any socket may be new, or connected since: flows nobody owned are asked again)
    this.negChanged?.();
    if (process.env.TSNIFF_PROC_DEBUG) process.stderr.write(`proc refresh ${this.refreshes}: ${job.steps} steps, ${(performance.now() - job.started).toFixed(1)} ms wall, ${job.cpu.toFixed(1)} ms cpu, fresh ${job.fresh}\n`);
    // one window at least, 5x its CPU time, and longer while refreshes answer nothing
    if (this.answered) this.idle = 0;
    else if (this.refreshes > 1) this.idle++;
    const every = this.idle >= 2 ? this.minInterval * IDLE_BACKOFF : this.minInterval;
    this.nextTimed = job.started + (this.refreshes === 1 ? this.minInterval : Math.max(this.minInterval, job.cpu * 5));
    this.next = job.started + (this.refreshes === 1 ? this.minInterval : Math.max(every, job.cpu * 5));
    this.answered = false;
  }

  private info(pid: number, force = false): ProcInfo | undefined {
    let i = this.infos.get(pid);
    if (i === undefined || (force && i === null)) this.infos.set(pid, (i = processInfo(pid) ?? null));
    return i ?? undefined;
  }

  private lastSure = false;

  private find(t: Tuple, elsewhere = false): ProcInfo | undefined {
    const x = this.index;
    let inode = elsewhere ? x.findElsewhere(t) : x.find(t);
    let sure = x.sure;
    let fromPrev = false;
    if (inode === undefined || !sure) {
      // a socket the last read no longer showed (closed since), if the one before saw it
      const p = this.prev;
      const q = elsewhere ? p.findElsewhere(t) : p.find(t);
      if (q !== undefined && (inode === undefined || p.sure)) {
        inode = q;
        sure = p.sure;
        fromPrev = true;
      }
    }
    this.lastSure = sure;
    // a socket the read before did not show answered: the last refresh was of use (no idle backoff)
    if (inode !== undefined && !fromPrev && sure && !this.answered && (elsewhere ? this.prev.findElsewhere(t) : this.prev.find(t)) === undefined) this.answered = true;
    if (inode === undefined) return undefined;
    const pid = fromPrev ? (this.prevOwners.get(inode) ?? this.owners.get(inode)) : (this.owners.get(inode) ?? this.prevOwners.get(inode));
    return pid === undefined ? undefined : this.info(pid);
  }

  /** whether the last lookup matched a connected socket (or a datagram socket), not a TCP listener's port */
  sure = false;

  foreign = false;

  /** Whether a local socket could have the flow (table.ts maybeLocal), in the tables as read or the read before. */
  maybeLocal(t: Tuple): boolean {
    return this.index.maybeLocal(t) || this.prev.maybeLocal(t);
  }

  /** Whether no socket in the tables as read, or the read before, has the flow's destination port (table.ts portFree). */
  isPortFree(t: Tuple): boolean {
    return this.index.portFree(t) && this.prev.portFree(t);
  }

  portFree = false;

  lookup(t: Tuple, since = Infinity): ProcInfo | undefined {
    this.foreign = !this.maybeLocal(t);
    this.portFree = false;
    if (this.foreign) {
      this.sure = false;
      return undefined;
    }
    const found = this.find(t);
    if (!found) this.portFree = this.isPortFree(t);
    this.sure = !!found && this.lastSure;
    if (this.sure) return found;
    // (not for a flow the tables in use were read after: they had it, or it has no socket here; nor for one
    // that came in to a port no socket had at a read begun less than FREE_MS before: nobody's, as any new
    // flow to that port is taken to be for that long, attribution.ts)
    if (since >= this.readAt && !(this.portFree && since - this.readAt < FREE_MS)) this.want();
    if (found) return found;
    // another namespace's socket only when this one's tables are as fresh as they get
    if (this.job || performance.now() >= this.next) return undefined;
    return this.lookupElsewhere(t);
  }

  /** The flow's owner in the one other namespace that has it (table.ts findElsewhere), from the tables as read. */
  lookupElsewhere(t: Tuple): ProcInfo | undefined {
    const found = this.find(t, true);
    this.sure = !!found && this.lastSure;
    return found;
  }

  changedSince(_t: Tuple, gen: number): boolean {
    return this.generation > gen;
  }

  poke(): void {
    this.want();
  }

  private negChanged: (() => void) | undefined;

  watchNegatives(_ports: Uint8Array, changed: () => void): void {
    this.negChanged = changed;
  }

  stats(): string {
    return `/proc read ${this.refreshes} time${this.refreshes === 1 ? "" : "s"} (${this.fdScans} with processes' file descriptors), ${Math.round(this.cpuMs)} ms of CPU`;
  }

  /** When the tables in use were read: a flow first seen after that waits for the next read (hold.ts). */
  freshAt(): number {
    return this.readAt;
  }

  close(): void {
    this.closed = true;
    this.job = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
