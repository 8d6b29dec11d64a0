/**
 * Flow -> owner lookup shared by the engines. Sockets are entered under their full 4-tuple (connected ones)
 * and under their local address and port (listening and unconnected ones, the wildcard address too). A packet
 * is looked up as sent by a local socket first (its source is the socket's local end: on loopback both ends
 * are local and the sender is the packet's process), then as received (its destination is the local end).
 */
import { isAny } from "./procfs.js";
import type { Tuple } from "./types.js";

export interface Owner<T> {
  exact: Map<string, T>;
  local: Map<string, T>;
}

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

export class SocketIndex<T> {
  exact = new Map<string, T>();
  local = new Map<string, T>();
  /** addresses seen as some socket's local end: a packet from one of them was sent from this machine */
  localAddrs = new Set<string>(["127.0.0.1", "0".repeat(31) + "1"]);

  clear(): void {
    this.exact.clear();
    this.local.clear();
  }

  add(proto: number, laddr: string, lport: number, raddr: string, rport: number, v: T): void {
    if (rport !== 0 && !isAny(raddr)) this.exact.set(exactKey(proto, laddr, lport, raddr, rport), v);
    else if (isAny(laddr)) this.local.set(anyKey(proto, lport), v);
    else this.local.set(localKey(proto, laddr, lport), v);
    if (!isAny(laddr)) this.localAddrs.add(laddr);
  }

  isLocal(addr: string): boolean {
    return this.localAddrs.has(addr) || addr.startsWith("127.");
  }

  /**
   * Whether the last find() matched a connected socket's whole tuple (sure) rather than a listening or
   * unconnected socket's local end: a TCP packet that only matches a listener may well be a new connection's
   * client whose socket the tables do not show yet.
   */
  sure = false;

  /**
   * The owner of a packet's socket, or undefined. A packet from one of this machine's addresses was sent by a
   * local socket (on loopback and between namespaces both ends are local, and the sender is the packet's
   * process): only the sender's side is looked at. Otherwise the packet came in: its receiver's socket.
   */
  find(t: Tuple): T | undefined {
    const { proto, src, sport, dst, dport } = t;
    this.sure = true;
    if (this.isLocal(src)) {
      const sent = this.exact.get(exactKey(proto, src, sport, dst, dport));
      if (sent !== undefined) return sent;
      // an unconnected datagram socket is as sure as it gets; a TCP listener sends only its handshakes'
      // answers, and a new connection's socket may not be in the tables yet
      this.sure = proto !== 6;
      return this.local.get(localKey(proto, src, sport)) ?? this.local.get(anyKey(proto, sport));
    }
    const recv = this.exact.get(exactKey(proto, dst, dport, src, sport));
    if (recv !== undefined) return recv;
    this.sure = proto !== 6;
    return this.local.get(localKey(proto, dst, dport)) ?? this.local.get(anyKey(proto, dport));
  }

}
