/**
 * A packet's flow (protocol, addresses, ports; an ICMP echo's identifier as both ports, as the kernel's ping
 * sockets use it) read straight from the captured bytes for the link types live captures give (Ethernet with
 * VLAN tags, Linux cooked v1/v2, raw IP, BSD loopback). Bounds-checked; anything else is no tuple. This is
 * not a dissector: it runs once per packet before any dissection, to find the packet's process.
 */
import { canonical6, v4text } from "./procfs.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, type Tuple } from "./types.js";

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/** The offset of the IP header and its version (4 or 6), or -1. */
function ipStart(d: Uint8Array, off: number, end: number, linktype: number): number {
  let et = 0;
  let at = off;
  switch (linktype) {
    case 1: // Ethernet
      if (end - off < 14) return -1;
      et = (d[off + 12] << 8) | d[off + 13];
      at = off + 14;
      while ((et === 0x8100 || et === 0x88a8) && end - at >= 4) {
        et = (d[at + 2] << 8) | d[at + 3];
        at += 4;
      }
      break;
    case 113: // Linux cooked v1
      if (end - off < 16) return -1;
      et = (d[off + 14] << 8) | d[off + 15];
      at = off + 16;
      break;
    case 276: // Linux cooked v2
      if (end - off < 20) return -1;
      et = (d[off] << 8) | d[off + 1];
      at = off + 20;
      break;
    case 0: // BSD loopback: family in host order
    case 108:
      if (end - off < 4) return -1;
      at = off + 4;
      return at;
    case 12: // raw IP
    case 14:
    case 101:
    case 228:
    case 229:
      return off;
    default:
      return -1;
  }
  return et === 0x0800 || et === 0x86dd ? at : -1;
}

/** Fills `t` with the packet's flow and returns true, or returns false when it has none (not IP, cut short). */
export function readTuple(d: Uint8Array, off: number, caplen: number, linktype: number, t: Tuple): boolean {
  const end = off + caplen;
  const ip = ipStart(d, off, end, linktype);
  if (ip < 0 || ip >= end) return false;
  const v = d[ip] >> 4;
  let l4: number;
  let proto: number;
  if (v === 4) {
    if (end - ip < 20) return false;
    const ihl = (d[ip] & 15) * 4;
    // a later fragment has no ports
    if (((d[ip + 6] & 0x1f) | d[ip + 7]) !== 0) return false;
    proto = d[ip + 9];
    t.src = v4text(d[ip + 12], d[ip + 13], d[ip + 14], d[ip + 15]);
    t.dst = v4text(d[ip + 16], d[ip + 17], d[ip + 18], d[ip + 19]);
    l4 = ip + ihl;
  } else if (v === 6) {
    if (end - ip < 40) return false;
    proto = d[ip + 6];
    let s = "";
    for (let i = 8; i < 24; i++) s += HEX[d[ip + i]];
    t.src = canonical6(s);
    s = "";
    for (let i = 24; i < 40; i++) s += HEX[d[ip + i]];
    t.dst = canonical6(s);
    l4 = ip + 40;
    // hop-by-hop, routing, destination options: skip to the transport header
    for (let k = 0; k < 4 && (proto === 0 || proto === 43 || proto === 60) && end - l4 >= 2; k++) {
      proto = d[l4];
      l4 += (d[l4 + 1] + 1) * 8;
    }
  } else return false;
  t.proto = proto;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    if (end - l4 < 4) return false;
    t.sport = (d[l4] << 8) | d[l4 + 1];
    t.dport = (d[l4 + 2] << 8) | d[l4 + 3];
    return true;
  }
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    if (end - l4 < 6) return false;
    const type = d[l4];
    // echo request/reply: the identifier is the ping socket's "port" on both sides
    const echo = proto === IPPROTO_ICMP ? type === 8 || type === 0 : type === 128 || type === 129;
    if (!echo) return false;
    t.sport = t.dport = (d[l4 + 4] << 8) | d[l4 + 5];
    return true;
  }
  return false;
}

/**
 * The flow cache's numeric key of an IPv4 TCP or UDP packet, written into `k` (nothing allocated: typed array
 * stores): k[0] the source address, k[1] the destination address, k[2] source port << 16 | destination port,
 * k[3] the protocol. False for anything else (IPv6, ICMP, a fragment, a short packet): those are keyed by
 * readTuple's text.
 */
export function v4Key(d: Uint8Array, off: number, caplen: number, linktype: number, k: Uint32Array): boolean {
  const end = off + caplen;
  const ip = ipStart(d, off, end, linktype);
  if (ip < 0 || end - ip < 20 || d[ip] >> 4 !== 4) return false;
  const proto = d[ip + 9];
  if ((proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || ((d[ip + 6] & 0x1f) | d[ip + 7]) !== 0) return false;
  const l4 = ip + (d[ip] & 15) * 4;
  if (end - l4 < 4) return false;
  k[0] = (d[ip + 12] << 24) | (d[ip + 13] << 16) | (d[ip + 14] << 8) | d[ip + 15];
  k[1] = (d[ip + 16] << 24) | (d[ip + 17] << 16) | (d[ip + 18] << 8) | d[ip + 19];
  k[2] = (d[l4] << 24) | (d[l4 + 1] << 16) | (d[l4 + 2] << 8) | d[l4 + 3];
  k[3] = proto;
  return true;
}

/**
 * IPv4 flows by v4Key's numbers: an open-addressing hash table in one typed array (a lookup allocates nothing
 * and hashes small integers). Each slot is 8 words, two slots to a cache line: the key's four, then what the
 * reorder window's fast path needs (pass() answers from the slot alone, the Flow object is not touched):
 * until when the flow's packets pass (ms), the epoch that was current then, the id of the flow's answer, and
 * whether the slot is used. The table starts small and doubles when half full (a flood's thousand flows fit
 * in the processor's cache, not spread over megabytes), up to `slots`, where it starts over instead.
 */
export class V4Table<T> {
  private mask: number;
  private cap: number;
  private t: Uint32Array;
  private vals: (T | undefined)[];
  size = 0;
  /** the slot the last get() found or set() filled (-1: get() found nothing) */
  lastSlot = -1;

  constructor(
    /** the most slots (a power of two) */
    private slots = 1 << 17,
    initial = 1 << 10,
  ) {
    this.cap = Math.min(slots, initial);
    this.mask = this.cap - 1;
    this.t = new Uint32Array(this.cap * 8);
    this.vals = new Array<T | undefined>(this.cap).fill(undefined);
  }

  private slot(k: Uint32Array): number {
    let h = Math.imul(k[0] ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ k[1] ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ k[2] ^ (h >>> 16), 0x27d4eb2f);
    return (h ^ k[3] ^ (h >>> 15)) & this.mask;
  }

  /** The used slot with key k, or -1. */
  find(k: Uint32Array): number {
    const t = this.t;
    const k0 = k[0],
      k1 = k[1],
      k2 = k[2],
      k3 = k[3];
    for (let s = this.slot(k); ; s = (s + 1) & this.mask) {
      const o = s * 8;
      if (t[o + 7] === 0) return -1;
      if (t[o] === k0 && t[o + 1] === k1 && t[o + 2] === k2 && t[o + 3] === k3) return s;
    }
  }

  get(k: Uint32Array): T | undefined {
    const s = (this.lastSlot = this.find(k));
    return s < 0 ? undefined : this.vals[s];
  }

  /**
   * The fast path: the answer id (>= 0) stored by setPass() when the flow with key k passes at `nowMs` in
   * `epoch`, else -1 (not in the table, its time is up, or the epoch moved on: ask the Flow).
   */
  pass(k: Uint32Array, nowMs: number, epoch: number): number {
    const s = this.find(k);
    if (s < 0) return -1;
    const t = this.t;
    const o = s * 8;
    return nowMs < t[o + 4] && t[o + 5] === epoch ? t[o + 6] : -1;
  }

  /** Lets the flow in `slot` pass the fast path until `untilMs` while the epoch is `epoch`, with answer `id`. */
  setPass(slot: number, untilMs: number, epoch: number, id: number): void {
    const o = slot * 8;
    const t = this.t;
    t[o + 4] = untilMs;
    t[o + 5] = epoch;
    t[o + 6] = id;
  }

  set(k: Uint32Array, v: T): void {
    if (this.size * 2 >= this.cap) {
      if (this.cap < this.slots) this.grow();
      else this.clear();
    }
    const t = this.t;
    for (let s = this.slot(k); ; s = (s + 1) & this.mask) {
      const o = s * 8;
      if (t[o + 7] === 0) {
        this.size++;
      } else if (!(t[o] === k[0] && t[o + 1] === k[1] && t[o + 2] === k[2] && t[o + 3] === k[3])) continue;
      t[o] = k[0];
      t[o + 1] = k[1];
      t[o + 2] = k[2];
      t[o + 3] = k[3];
      t[o + 4] = 0;
      t[o + 7] = 1;
      this.vals[s] = v;
      this.lastSlot = s;
      return;
    }
  }

  /** Twice the slots, every flow moved over (its fast-path answer dropped: asked again once). */
  private grow(): void {
    const old = this.t;
    const oldVals = this.vals;
    this.cap *= 2;
    this.mask = this.cap - 1;
    this.t = new Uint32Array(this.cap * 8);
    this.vals = new Array<T | undefined>(this.cap).fill(undefined);
    this.size = 0;
    const k = new Uint32Array(4);
    for (let s = 0; s < oldVals.length; s++) {
      const o = s * 8;
      if (old[o + 7] === 0) continue;
      k[0] = old[o];
      k[1] = old[o + 1];
      k[2] = old[o + 2];
      k[3] = old[o + 3];
      this.set(k, oldVals[s] as T);
    }
  }

  clear(): void {
    this.lastSlot = -1;
    if (this.size === 0) return;
    this.t.fill(0);
    this.vals.fill(undefined);
    this.size = 0;
  }
}
