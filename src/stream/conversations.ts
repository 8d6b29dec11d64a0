/**
 * Conversation numbering: `tcp.stream` and `udp.stream` as Wireshark numbers them. Each transport has its own
 * counter from 0, in order of first appearance of a conversation (the two address/port pairs, either
 * direction). TCP also starts a new conversation when a SYN without ACK reuses the ports with an initial
 * sequence number other than the one that direction started with (Wireshark's "ports reused").
 *
 * The table lives in the dissection state of one capture (ctx.state, owned by the Dissector): it knows nothing
 * of dissectors. IPv4 conversations are keyed by numbers (address * 65536 + port, the lower endpoint first), IPv6
 * ones by text. Lookups are cached for runs of one conversation.
 */

/** One conversation: its number and what the reuse test needs. */
export interface Conversation {
  /** tcp.stream / udp.stream */
  readonly stream: number;
  /**
   * The first sequence number seen in each direction (direction 0: from the lower endpoint, 1: from the higher
   * one); -1 when none was seen yet. TCP only.
   */
  base0: number;
  base1: number;
  /** the last frame that used this conversation (idle eviction of reassembly state uses frame times elsewhere) */
  lastFrame: number;
  /** what TCP reassembly learnt of the conversation (its protocol found by heuristics; null: not looked yet) */
  reasm: unknown;
  /** what TCP keeps for Wireshark's relative sequence numbers (set in capture order, whatever the pass) */
  rel: unknown;
  /**
   * AccECN negotiation as Wireshark follows it (TCP only): 1 after a SYN with AE, CWR and ECE set, 2 after a
   * SYN-ACK answering it with AccECN: its later segments' tcp.flags.str spells the ACE counter ("-5-").
   */
  accecn?: number;
}

interface Table {
  v4: Map<number, Map<number, Conversation>>;
  text: Map<string, Conversation>;
  next: number;
  /** the last conversation found (segments come in runs of one connection) */
  lastA: number;
  lastB: number;
  lastKey: string;
  last: Conversation | null;
}

function table(): Table {
  return { v4: new Map(), text: new Map(), next: 0, lastA: -1, lastB: -1, lastKey: "", last: null };
}

/** The endpoints of a packet: IPv4 as numbers (src4 >= 0), else text addresses. */
export interface Endpoints {
  src4: number;
  dst4: number;
  src: string;
  dst: string;
}

export class Conversations {
  private tcp = table();
  private udp = table();
  /** the direction of the conversation found last: 0 from the lower endpoint, 1 from the higher */
  dir = 0;

  /**
   * The TCP conversation of a segment, made (numbered) when new. `syn` is a SYN without ACK: with a sequence
   * number other than the one its direction started with, the ports are reused and a new stream begins.
   */
  tcpOf(e: Endpoints, sport: number, dport: number, seq: number, synOnly: boolean, frame: number): Conversation {
    const t = this.tcp;
    let c = this.find(t, e, sport, dport);
    const dir = this.dir;
    if (c && synOnly) {
      const base = dir === 0 ? c.base0 : c.base1;
      if (base >= 0 && base !== seq) c = this.add(t, e, sport, dport, true);
    }
    if (!c) c = this.add(t, e, sport, dport, false);
    if (dir === 0) {
      if (c.base0 < 0) c.base0 = seq;
    } else if (c.base1 < 0) c.base1 = seq;
    c.lastFrame = frame;
    return c;
  }

  /** The UDP conversation of a datagram, made (numbered) when new. */
  udpOf(e: Endpoints, sport: number, dport: number, frame: number): Conversation {
    const t = this.udp;
    const c = this.find(t, e, sport, dport) ?? this.add(t, e, sport, dport, false);
    c.lastFrame = frame;
    return c;
  }

  /** Streams numbered so far (the next numbers). */
  get tcpCount(): number {
    return this.tcp.next;
  }
  get udpCount(): number {
    return this.udp.next;
  }

  private find(t: Table, e: Endpoints, sport: number, dport: number): Conversation | undefined {
    if (e.src4 >= 0 && e.dst4 >= 0) {
      const s = e.src4 * 65536 + sport;
      const d = e.dst4 * 65536 + dport;
      const rev = s > d;
      this.dir = rev ? 1 : 0;
      const a = rev ? d : s;
      const b = rev ? s : d;
      if (t.last && t.lastA === a && t.lastB === b) return t.last;
      const c = t.v4.get(a)?.get(b);
      if (c) {
        t.lastA = a;
        t.lastB = b;
        t.lastKey = "";
        t.last = c;
      }
      return c;
    }
    const s = `${e.src}/${sport}`;
    const d = `${e.dst}/${dport}`;
    const rev = s > d;
    this.dir = rev ? 1 : 0;
    const key = rev ? `${d} ${s}` : `${s} ${d}`;
    if (t.last && t.lastKey === key) return t.last;
    const c = t.text.get(key);
    if (c) {
      t.lastA = t.lastB = -1;
      t.lastKey = key;
      t.last = c;
    }
    return c;
  }

  /** A new conversation replacing any with the same endpoints (find() set this.dir). */
  private add(t: Table, e: Endpoints, sport: number, dport: number, _reused: boolean): Conversation {
    const c: Conversation = { stream: t.next++, base0: -1, base1: -1, lastFrame: 0, reasm: null, rel: null };
    if (e.src4 >= 0 && e.dst4 >= 0) {
      const s = e.src4 * 65536 + sport;
      const d = e.dst4 * 65536 + dport;
      const a = s > d ? d : s;
      const b = s > d ? s : d;
      let inner = t.v4.get(a);
      if (!inner) t.v4.set(a, (inner = new Map()));
      inner.set(b, c);
      t.lastA = a;
      t.lastB = b;
      t.lastKey = "";
    } else {
      const s = `${e.src}/${sport}`;
      const d = `${e.dst}/${dport}`;
      const key = s > d ? `${d} ${s}` : `${s} ${d}`;
      t.text.set(key, c);
      t.lastA = t.lastB = -1;
      t.lastKey = key;
    }
    t.last = c;
    return c;
  }
}

/** The capture's conversation table, kept in the dissection state (made on first use). */
export function conversationsOf(state: Map<string, unknown>): Conversations {
  let c = state.get("stream.conversations") as Conversations | undefined;
  if (!c) state.set("stream.conversations", (c = new Conversations()));
  return c;
}
