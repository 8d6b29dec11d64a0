/**
 * The /proc engine, for where eBPF cannot load: the kernel's socket tables (/proc/PID/net/tcp, udp, icmp and
 * their IPv6 twins, read once per network namespace, so sockets in containers' namespaces are found too) give
 * tuple -> socket inode and uid; /proc/PID/fd gives inode -> pid. Both are read again when a flow nobody
 * owns appears, at most once per `minInterval` ms: never per packet. (NETLINK_SOCK_DIAG would give the same
 * rows; the text tables need no native code and no netlink socket, so they are what this engine reads.)
 * A connection that opened and closed between two refreshes is not seen: it is counted as unattributed.
 */
import { listPids, netnsOf, processInfo, readSocketTables, socketOwners, type SocketRow } from "./procfs.js";
import { SocketIndex } from "./table.js";
import type { Engine } from "./engine.js";
import type { ProcInfo, Tuple } from "./types.js";

export class ProcEngine implements Engine {
  readonly name = "proc" as const;
  private index = new SocketIndex<number>();
  private owners = new Map<number, number>();
  private infos = new Map<number, ProcInfo | null>();
  private last = -Infinity;
  refreshes = 0;

  constructor(private minInterval = 100) {}

  /** Reads the socket tables and the sockets' owners again. */
  refresh(): void {
    this.last = performance.now();
    this.refreshes++;
    const pids = listPids();
    const rows: SocketRow[] = [];
    const seen = new Set<string>();
    const self = netnsOf("self");
    if (self) seen.add(self);
    readSocketTables("self", rows);
    for (const pid of pids) {
      const ns = netnsOf(pid);
      if (!ns || seen.has(ns)) continue;
      seen.add(ns);
      readSocketTables(pid, rows);
    }
    this.index.clear();
    for (const r of rows) if (r.inode !== 0) this.index.add(r.proto, r.laddr, r.lport, r.raddr, r.rport, r.inode);
    this.owners = socketOwners(pids);
    this.infos.clear();
  }

  private info(pid: number): ProcInfo | undefined {
    let i = this.infos.get(pid);
    if (i === undefined) this.infos.set(pid, (i = processInfo(pid) ?? null));
    return i ?? undefined;
  }

  private find(t: Tuple): ProcInfo | undefined {
    const inode = this.index.find(t);
    if (inode === undefined) return undefined;
    const pid = this.owners.get(inode);
    return pid === undefined ? undefined : this.info(pid);
  }

  /** whether the last lookup matched a connected socket (or a datagram socket), not a TCP listener's port */
  sure = false;

  lookup(t: Tuple): ProcInfo | undefined {
    let found = this.find(t);
    this.sure = !!found && this.index.sure;
    if (this.sure || performance.now() - this.last < this.minInterval) return found;
    this.refresh();
    found = this.find(t);
    this.sure = !!found && this.index.sure;
    return found;
  }

  close(): void {}
}
