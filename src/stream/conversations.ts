/**
 * Conversation numbering: `tcp.stream` and `udp.stream` as Wireshark numbers them. Each transport has its own
 * counter from 0, in order of first appearance of a conversation (the two address/port pairs, either
 * direction). TCP also starts a new conversation when a SYN without ACK reuses the ports with an initial
 * sequence number other than the one that direction started with (Wireshark's "ports reused").
 *
 * The table lives in the dissection state of one capture (ctx.state, owned by the Dissector): it knows nothing
 * of dissectors. IPv4 conversations are keyed by numbers (address and port, the lower endpoint first), the others
 * by ids of their address texts (class Index). Lookups are cached for runs of one conversation.
 */

/**
 * One TCP conversation: its number and the state TCP keeps for it, in int32 fields of one object (sequence
 * numbers stored as `seq | 0`, which compare and subtract mod 2^32 as the raw numbers do): about 190 bytes a
 * connection where an object with two more objects, two arrays and six heap numbers took about 450 (issue #19:
 * the 1M-packet benchmark capture has ~20k TCP and ~32k UDP conversations). UDP conversations are only their
 * numbers (Conversations.udpOf).
 */
export class Conversation {
  /**
   * The first sequence number seen in each direction (direction 0: from the lower endpoint, 1: from the higher
   * one), `| 0`; bit d of `based` set when direction d has one. The reuse test's.
   */
  base0 = 0;
  base1 = 0;
  based = 0;
  /** what TCP reassembly learnt of the conversation (its protocol found by heuristics; null: not looked yet) */
  reasm: unknown = null;
  /**
   * AccECN negotiation as Wireshark follows it: 1 after a SYN with AE, CWR and ECE set, 2 after a SYN-ACK
   * answering it with AccECN: its later segments' tcp.flags.str spells the ACE counter ("-5-").
   */
  accecn = 0;
  /**
   * Wireshark's relative numbers (src/dissectors/transport/tcp.ts relativeNumbers, set in capture order,
   * whatever the pass): each direction's base (`| 0`), bit d of relSet when direction d has one, the frame
   * they were last worked out for and its two numbers.
   */
  relBase0 = 0;
  relBase1 = 0;
  relSet = 0;
  relFrame = -1;
  relSeq = 0;
  relAck = 0;
  /**
   * What belongs to the two address/port pairs whatever the stream number (tcpdump's table knows nothing of
   * streams): a conversation that replaces another (ports reused) takes it over. `tuple` says whether it was
   * made; tcpdump's base numbers (`| 0`) as tcpdump keys them, the frame that set them, and where the line's
   * address text for each direction is in tcp.ts's text arena (len -1: not made yet).
   */
  tuple = false;
  tseq = 0;
  tack = 0;
  tframe = -1;
  at0 = 0;
  len0 = -1;
  at1 = 0;
  len1 = -1;
  constructor(
    /** tcp.stream */
    readonly stream: number,
  ) {}

  /** Takes over what belongs to the address/port pairs from the conversation this one replaces. */
  takeTuple(o: Conversation): void {
    this.tuple = o.tuple;
    this.tseq = o.tseq;
    this.tack = o.tack;
    this.tframe = o.tframe;
    this.at0 = o.at0;
    this.len0 = o.len0;
    this.at1 = o.at1;
    this.len1 = o.len1;
  }
}

/**
 * Conversations by their two endpoints, the lower one first: an open-addressing hash table (linear probing, at
 * most 3/4 full) over four int32 columns (IPv4: address and port of each side; text addresses: an interned id instead of the address), so a
 * lookup allocates nothing (a Map keyed by address * 65536 + port made two heap numbers per packet and a Map per
 * lower endpoint: 18% of `-nn -r` time and 30 MB on the benchmark capture).
 */
class Index {
  /** a, aPort, b, bPort of each slot */
  private keys = new Int32Array(4 * 256);
  /** 1 + the conversation's stream number (0: empty slot) */
  private vals = new Int32Array(256);
  private mask = 255;
  private size = 0;
  /** the slot of the conversation found last (segments come in runs of one connection), -1 when none */
  private lastSlot = -1;

  private static hash(a: number, ap: number, b: number, bp: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ 0x7f4a7c15, 0x85ebca77) ^ Math.imul((ap << 16) | bp, 0xc2b2ae3d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 13);
  }

  /** The slot holding the key, or the empty slot where it would go. */
  private slot(a: number, ap: number, b: number, bp: number): number {
    const k = this.keys,
      v = this.vals,
      m = this.mask;
    for (let i = Index.hash(a, ap, b, bp) & m; ; i = (i + 1) & m) {
      if (v[i] === 0) return i;
      const o = i * 4;
      if (k[o] === a && k[o + 1] === ap && k[o + 2] === b && k[o + 3] === bp) return i;
    }
  }

  /** The stream number under the key, or -1. */
  get(a: number, ap: number, b: number, bp: number): number {
    const l = this.lastSlot;
    if (l >= 0) {
      const k = this.keys,
        o = l * 4;
      if (k[o] === a && k[o + 1] === ap && k[o + 2] === b && k[o + 3] === bp) return this.vals[l] - 1;
    }
    const i = this.slot(a, ap, b, bp);
    const v = this.vals[i];
    if (v === 0) return -1;
    this.lastSlot = i;
    return v - 1;
  }

  /** Puts stream `c` under the key; returns the stream it replaces there, or -1. */
  set(a: number, ap: number, b: number, bp: number, c: number): number {
    let i = this.slot(a, ap, b, bp);
    if (this.vals[i] !== 0) {
      const old = this.vals[i] - 1;
      this.vals[i] = c + 1;
      this.lastSlot = i;
      return old;
    }
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) {
      this.grow();
      i = this.slot(a, ap, b, bp);
    }
    this.size++;
    const o = i * 4;
    this.keys[o] = a;
    this.keys[o + 1] = ap;
    this.keys[o + 2] = b;
    this.keys[o + 3] = bp;
    this.vals[i] = c + 1;
    this.lastSlot = i;
    return -1;
  }

  private grow(): void {
    const ok = this.keys,
      ov = this.vals;
    const n = ov.length * 2;
    this.keys = new Int32Array(4 * n);
    this.vals = new Int32Array(n);
    this.mask = n - 1;
    this.lastSlot = -1;
    for (let j = 0; j < ov.length; j++) {
      if (ov[j] === 0) continue;
      const o = j * 4;
      const i = this.slot(ok[o], ok[o + 1], ok[o + 2], ok[o + 3]);
      const k = this.keys,
        q = i * 4;
      k[q] = ok[o];
      k[q + 1] = ok[o + 1];
      k[q + 2] = ok[o + 2];
      k[q + 3] = ok[o + 3];
      this.vals[i] = ov[j];
    }
  }
}

interface Table {
  /** IPv4 conversations: addresses as int32 */
  v4: Index;
  /** the others: addresses as ids from `ids` */
  text: Index;
  ids: Map<string, number>;
  next: number;
}

function table(): Table {
  return { v4: new Index(), text: new Index(), ids: new Map(), next: 0 };
}

/** The endpoints of a packet: IPv4 as numbers (src4 >= 0), else text addresses. */
export interface Endpoints {
  src4: number;
  dst4: number;
  src: string;
  dst: string;
}

/**
 * Whether the text endpoint src/sport sorts after dst/dport, comparing the texts `${address}/${port}` (the
 * order the stream numbering has always used) without making them unless one address is a prefix of the other.
 */
function textAfter(src: string, sport: number, dst: string, dport: number): boolean {
  if (src !== dst && !src.startsWith(dst) && !dst.startsWith(src)) return src > dst;
  return `${src}/${sport}` > `${dst}/${dport}`;
}

export class Conversations {
  private tcp = table();
  private udp = table();
  /** the TCP conversations by stream number */
  private tcpConvs: Conversation[] = [];
  /** the direction of the conversation found last: 0 from the lower endpoint, 1 from the higher */
  dir = 0;
  /** the key find() computed, for add() */
  private kA = 0;
  private kAp = 0;
  private kB = 0;
  private kBp = 0;
  private kV4 = true;

  /**
   * The TCP conversation of a segment, made (numbered) when new. `syn` is a SYN without ACK: with a sequence
   * number other than the one its direction started with, the ports are reused and a new stream begins.
   */
  tcpOf(e: Endpoints, sport: number, dport: number, seq: number, synOnly: boolean): Conversation {
    const t = this.tcp;
    const s = this.find(t, e, sport, dport);
    const dir = this.dir;
    const bit = 1 << dir;
    let c = s >= 0 ? this.tcpConvs[s] : this.addTcp(null);
    if (s >= 0 && synOnly && c.based & bit && (dir === 0 ? c.base0 : c.base1) !== (seq | 0)) c = this.addTcp(c);
    if ((c.based & bit) === 0) {
      c.based |= bit;
      if (dir === 0) c.base0 = seq | 0;
      else c.base1 = seq | 0;
    }
    return c;
  }

  /** The UDP conversation of a datagram (its udp.stream), numbered when new. */
  udpOf(e: Endpoints, sport: number, dport: number): number {
    const t = this.udp;
    const s = this.find(t, e, sport, dport);
    return s >= 0 ? s : this.add(t);
  }

  /** Streams numbered so far (the next numbers). */
  get tcpCount(): number {
    return this.tcp.next;
  }
  get udpCount(): number {
    return this.udp.next;
  }

  /** Finds the stream of the endpoints (-1: none); sets this.dir and the key add() uses. */
  private find(t: Table, e: Endpoints, sport: number, dport: number): number {
    let a: number, b: number, rev: boolean;
    if (e.src4 >= 0 && e.dst4 >= 0) {
      // the order of address * 65536 + port, unsigned
      rev = e.src4 > e.dst4 || (e.src4 === e.dst4 && sport > dport);
      a = e.src4 | 0;
      b = e.dst4 | 0;
      this.kV4 = true;
    } else {
      rev = textAfter(e.src, sport, e.dst, dport);
      a = this.idOf(t, e.src);
      b = this.idOf(t, e.dst);
      this.kV4 = false;
    }
    this.dir = rev ? 1 : 0;
    if (rev) {
      this.kA = b;
      this.kAp = dport;
      this.kB = a;
      this.kBp = sport;
    } else {
      this.kA = a;
      this.kAp = sport;
      this.kB = b;
      this.kBp = dport;
    }
    return (this.kV4 ? t.v4 : t.text).get(this.kA, this.kAp, this.kB, this.kBp);
  }

  private idOf(t: Table, addr: string): number {
    let id = t.ids.get(addr);
    if (id === undefined) t.ids.set(addr, (id = t.ids.size));
    return id;
  }

  /** A new stream number, put under the key find() computed (replacing any there). */
  private add(t: Table): number {
    const s = t.next++;
    (this.kV4 ? t.v4 : t.text).set(this.kA, this.kAp, this.kB, this.kBp, s);
    return s;
  }

  /** A new TCP conversation under the key find() computed, taking over the tuple of the one it replaces. */
  private addTcp(old: Conversation | null): Conversation {
    const c = new Conversation(this.add(this.tcp));
    this.tcpConvs.push(c);
    if (old) c.takeTuple(old);
    return c;
  }
}

/** The capture's conversation table, kept in the dissection state (made on first use). */
export function conversationsOf(state: Map<string, unknown>): Conversations {
  let c = state.get("stream.conversations") as Conversations | undefined;
  if (!c) state.set("stream.conversations", (c = new Conversations()));
  return c;
}
