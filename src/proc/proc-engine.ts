/**
 * The /proc engine, for where eBPF cannot load: the kernel's socket tables (/proc/PID/net/tcp, udp, icmp and
 * their IPv6 twins, read once per network namespace, so sockets in containers' namespaces are found too, each
 * under its namespace) give tuple -> socket inode and uid; /proc/PID/fd gives inode -> pid. Both are read
 * again when a flow nobody owns appears, at most once per window (and never more than ~20% of the CPU: a
 * refresh that cost c ms of CPU waits 5c ms before the next); the file descriptors of every process (the
 * costly part) are read again only when the tables show a socket not seen before. Never per packet. A
 * connection that opened and closed between two refreshes is not seen: it is counted as unattributed.
 * (NETLINK_SOCK_DIAG would give the same rows; the text tables need no native code and no netlink socket.)
 */
import { listPids, netnsOf, processInfo, readSocketTables, socketOwners, type SocketRow } from "./procfs.js";
import { netnsInode, SocketIndex } from "./table.js";
import type { Engine } from "./engine.js";
import type { ProcInfo, Tuple } from "./types.js";

export class ProcEngine implements Engine {
  readonly name = "proc" as const;
  private index: SocketIndex<number>;
  private owners = new Map<number, number>();
  /** the socket inodes the tables showed at the last read of the file descriptors (owned or not) */
  private scanned = new Set<number>();
  private infos = new Map<number, ProcInfo | null>();
  private last = -Infinity;
  /** the earliest time of the next refresh */
  private next = -Infinity;
  refreshes = 0;
  /** refreshes that read every process's file descriptors */
  fdScans = 0;

  constructor(private minInterval = 100) {
    this.index = new SocketIndex<number>(netnsInode(netnsOf("self")));
  }

  /** Reads the socket tables, and the sockets' owners when a socket appeared that has none yet. */
  refresh(): void {
    const c0 = process.cpuUsage();
    this.last = performance.now();
    this.refreshes++;
    const pids = listPids();
    const rows: SocketRow[] = [];
    const seen = new Set<number>();
    const self = this.index.home;
    if (self) seen.add(self);
    readSocketTables("self", rows, self);
    for (const pid of pids) {
      const ns = netnsInode(netnsOf(pid));
      if (!ns || seen.has(ns)) continue;
      seen.add(ns);
      readSocketTables(pid, rows, ns);
    }
    this.index.clear();
    let fresh = this.refreshes === 1;
    for (const r of rows) {
      if (r.inode === 0) continue;
      this.index.add(r.ns, r.proto, r.laddr, r.lport, r.raddr, r.rport, r.inode);
      if (!this.scanned.has(r.inode)) fresh = true;
    }
    if (fresh) {
      this.fdScans++;
      this.owners = socketOwners(pids);
      this.infos.clear();
      this.scanned = new Set(rows.map((r) => r.inode));
    }
    const c = process.cpuUsage(c0);
    this.next = this.last + Math.max(this.minInterval, ((c.user + c.system) / 1000) * 5);
  }

  private info(pid: number): ProcInfo | undefined {
    let i = this.infos.get(pid);
    if (i === undefined) this.infos.set(pid, (i = processInfo(pid) ?? null));
    return i ?? undefined;
  }

  private find(t: Tuple, elsewhere = false): ProcInfo | undefined {
    const inode = elsewhere ? this.index.findElsewhere(t) : this.index.find(t);
    if (inode === undefined) return undefined;
    const pid = this.owners.get(inode);
    return pid === undefined ? undefined : this.info(pid);
  }

  /** whether the last lookup matched a connected socket (or a datagram socket), not a TCP listener's port */
  sure = false;

  lookup(t: Tuple): ProcInfo | undefined {
    let found = this.find(t);
    this.sure = !!found && this.index.sure;
    if (!this.sure && performance.now() >= this.next) {
      this.refresh();
      found = this.find(t);
      this.sure = !!found && this.index.sure;
    }
    return found ?? this.lookupElsewhere(t);
  }

  /** The flow's owner in the one other namespace that has it (table.ts findElsewhere), from the tables as read. */
  lookupElsewhere(t: Tuple): ProcInfo | undefined {
    const found = this.find(t, true);
    this.sure = !!found && this.index.sure;
    return found;
  }

  close(): void {}
}
