/**
 * Flow -> owner lookup shared by the engines. Sockets are entered under their network namespace (the inode
 * number /proc/PID/ns/net shows) and their full 4-tuple (connected ones) or their local address and port
 * (listening and unconnected ones, the wildcard address too). Two namespaces may use the same addresses and
 * ports at once (every container has its 127.0.0.1): a packet is looked up in the namespace the capture runs
 * in first, the namespace of every interface it can see (`-i any` too); only when no socket there has the
 * flow, in the others (the far end of a veth pair), and then only if just one namespace has it.
 * Within a namespace, a packet is looked up as sent by a local socket first (its source is the socket's
 * local end: on loopback both ends are local and the sender is the packet's process), then as received.
 */
import os from "node:os";
import { isAny } from "./procfs.js";
import type { Tuple } from "./types.js";

export function exactKey(proto: number, laddr: string, lport: number, raddr: string, rport: number): string {
  return `${proto} ${laddr} ${lport} ${raddr} ${rport}`;
}
export function localKey(proto: number, laddr: string, lport: number): string {
  return `${proto} ${laddr} ${lport}`;
}
/** The key of a local end bound to every address (0.0.0.0 and :: share it: a dual-stack socket takes both). */
export function anyKey(proto: number, lport: number): string {
  return `${proto} * ${lport}`;
}

/** A key's owner in any namespace: `ns` -1 when several namespaces have the key (then nobody's, there). */
interface Slot<T> {
  v: T;
  ns: number;
}

const LOOP6 = "0".repeat(31) + "1";
/** entries kept before a table starts over (the eBPF engine adds for ever; /proc's tables are re-read) */
const MAX_ENTRIES = 1 << 18;

export class SocketIndex<T> {
  /** `${ns}|${key}` -> owner, in each namespace */
  private exact = new Map<string, T>();
  private local = new Map<string, T>();
  /** key -> owner, over all namespaces */
  private exactAll = new Map<string, Slot<T>>();
  private localAll = new Map<string, Slot<T>>();
  /** addresses seen as some socket's local end, per namespace (0: over all of them) */
  private localAddrs = new Map<number, Set<string>>();
  /** local ports some socket has, in any namespace, by protocol (portFree) */
  private lports = new Map<number, Uint8Array>();

  /** `home`: the capture's network namespace (its inode; 0 when unknown: every namespace is looked at alike) */
  constructor(public home = 0) {}

  get size(): number {
    return this.exact.size + this.local.size;
  }

  clear(): void {
    this.exact.clear();
    this.local.clear();
    this.exactAll.clear();
    this.localAll.clear();
    this.localAddrs.clear();
    for (const a of this.lports.values()) a.fill(0);
  }

  add(ns: number, proto: number, laddr: string, lport: number, raddr: string, rport: number, v: T): void {
    if (this.exact.size + this.local.size > MAX_ENTRIES) this.clear();
    let key: string;
    let map: Map<string, T>;
    let all: Map<string, Slot<T>>;
    if (rport !== 0 && !isAny(raddr)) {
      key = exactKey(proto, laddr, lport, raddr, rport);
      map = this.exact;
      all = this.exactAll;
    } else {
      key = isAny(laddr) ? anyKey(proto, lport) : localKey(proto, laddr, lport);
      map = this.local;
      all = this.localAll;
    }
    map.set(`${ns}|${key}`, v);
    let ports = this.lports.get(proto);
    if (!ports) this.lports.set(proto, (ports = new Uint8Array(65536)));
    ports[lport] = 1;
    const s = all.get(key);
    if (!s || s.ns === ns) all.set(key, { v, ns });
    else s.ns = -1;
    if (!isAny(laddr)) {
      for (const n of [ns, 0]) {
        let set = this.localAddrs.get(n);
        if (!set) this.localAddrs.set(n, (set = new Set()));
        set.add(laddr);
      }
    }
  }

  /**
   * Whether a socket of this machine could have the flow at all: one of its addresses is loopback, a local
   * end some socket has, one of this namespace's interface addresses (or their broadcast), or multicast.
   * A flood between addresses nobody here has (traffic a bridge or a veth carries past) is never looked up.
   */
  maybeLocal(t: Tuple): boolean {
    const { src, dst } = t;
    if (isLoopback(src) || isLoopback(dst) || isMulticast(dst)) return true;
    const all = this.localAddrs.get(0);
    if (all && (all.has(src) || all.has(dst))) return true;
    const here = interfaceAddrs();
    return here.has(src) || here.has(dst);
  }

  /**
   * Whether no socket here can have the flow whatever its source port: no socket (any namespace) has its
   * destination port as its local port, and its source is no local address (not loopback, no socket's local
   * end, no interface's): a packet that came in to a port nobody has.
   */
  portFree(t: Tuple): boolean {
    if (this.lports.get(t.proto)?.[t.dport]) return false;
    const src = t.src;
    return !isLoopback(src) && !this.localAddrs.get(0)?.has(src) && !interfaceAddrs().has(src);
  }

  isLocal(addr: string, ns = 0): boolean {
    return isLoopback(addr) || !!this.localAddrs.get(ns)?.has(addr);
  }

  /**
   * Whether the last find() matched a connected socket's whole tuple (sure) rather than a listening or
   * unconnected socket's local end: a TCP packet that only matches a listener may well be a new connection's
   * client whose socket the tables do not show yet.
   */
  sure = false;

  /**
   * The owner of a packet's socket in the capture's namespace, or undefined. A packet from one of the namespace's addresses was sent by a local socket (on loopback
   * and between namespaces both ends are local, and the sender is the packet's process): only the sender's
   * side is looked at. Otherwise the packet came in: its receiver's socket.
   */
  find(t: Tuple): T | undefined {
    const p = `${this.home}|`;
    return this.findWith(
      t,
      this.home,
      (k) => this.exact.get(p + k),
      (k) => this.local.get(p + k),
    );
  }

  /**
   * The owner of a flow the capture's namespace has no socket for, in the one other namespace that has it
   * (the far end of a veth pair), or undefined. Asked only after the engine's home answers (and their
   * refreshes) failed. Never for loopback addresses (they never cross namespaces) and never by port alone
   * (a socket bound to every address in another namespace says nothing about a packet seen here).
   */
  findElsewhere(t: Tuple): T | undefined {
    const home = this.home;
    if (home === 0 || isLoopback(t.src) || isLoopback(t.dst)) return undefined;
    const one = (s: Slot<T> | undefined) => (s && s.ns !== -1 && s.ns !== home ? s.v : undefined);
    return this.findWith(
      t,
      0,
      (k) => one(this.exactAll.get(k)),
      (k) => (k.includes("*") ? undefined : one(this.localAll.get(k))),
    );
  }

  private findWith(t: Tuple, ns: number, exact: (k: string) => T | undefined, local: (k: string) => T | undefined): T | undefined {
    const { proto, src, sport, dst, dport } = t;
    this.sure = true;
    if (this.isLocal(src, ns)) {
      const sent = exact(exactKey(proto, src, sport, dst, dport));
      if (sent !== undefined) return sent;
      // an unconnected datagram socket is as sure as it gets; a TCP listener sends only its handshakes'
      // answers, and a new connection's socket may not be in the tables yet
      this.sure = proto !== 6;
      return local(localKey(proto, src, sport)) ?? local(anyKey(proto, sport));
    }
    const recv = exact(exactKey(proto, dst, dport, src, sport));
    if (recv !== undefined) return recv;
    this.sure = proto !== 6;
    return local(localKey(proto, dst, dport)) ?? local(anyKey(proto, dport));
  }
}

function isMulticast(addr: string): boolean {
  if (addr.length === 32) return addr.startsWith("ff");
  const a = Number(addr.slice(0, addr.indexOf(".")));
  return (a >= 224 && a <= 239) || addr === "255.255.255.255";
}

/** An IPv6 address's text (os.networkInterfaces) as 32 hex digits (procfs.ts canonical6's form). */
export function hex6(text: string): string {
  const [head, tail] = text.split("::");
  const words = (s: string | undefined) => (s ? s.split(":") : []);
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill("0");
  return [...h, ...zeros, ...t].map((w) => w.padStart(4, "0")).join("").toLowerCase();
}

let ifAddrs = new Set<string>();
let ifAt = -Infinity;
/** The addresses (and IPv4 broadcast addresses) of this network namespace's interfaces, read again after a second. */
export function interfaceAddrs(now = performance.now()): Set<string> {
  if (now - ifAt < 1000) return ifAddrs;
  ifAt = now;
  const s = new Set<string>();
  try {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) {
        if (a.family !== "IPv4") {
          s.add(hex6(a.address));
          continue;
        }
        s.add(a.address);
        const ip = a.address.split(".").map(Number);
        const mask = a.netmask.split(".").map(Number);
        s.add(ip.map((b, k) => (b | (~mask[k] & 255)) & 255).join("."));
      }
    }
  } catch {
    /* no interfaces to see */
  }
  ifAddrs = s;
  return s;
}

function isLoopback(addr: string): boolean {
  return addr.startsWith("127.") || addr === LOOP6;
}

/** The inode number of a network namespace's link text ("net:[4026531840]"), or 0. */
export function netnsInode(link: string | undefined): number {
  const m = link && /\[(\d+)\]/.exec(link);
  return m ? Number(m[1]) : 0;
}
