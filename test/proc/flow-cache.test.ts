/**
 * The attribution path's data structures, in-process: the IPv4 flow table (typed arrays, no allocation), the
 * flow cache's peers (a reply finds its request's flow) and its asking again only when the engine learnt
 * something for the flow's ports, and the index's test for flows no local socket can have.
 */
import { describe, expect, it } from "vitest";
import { Attributor } from "../../src/proc/attribution.js";
import type { Engine } from "../../src/proc/engine.js";
import { hex6, interfaceAddrs, SocketIndex } from "../../src/proc/table.js";
import { V4Table } from "../../src/proc/tuple.js";
import type { ProcInfo, Tuple } from "../../src/proc/types.js";

/** An Ethernet frame with an IPv4 UDP header. */
function udpFrame(src: number[], sport: number, dst: number[], dport: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]);
  f[14] = 0x45;
  f[23] = 17;
  f.set(src, 26);
  f.set(dst, 30);
  f[34] = sport >> 8;
  f[35] = sport & 255;
  f[36] = dport >> 8;
  f[37] = dport & 255;
  return f;
}

/** An engine over a fixed table of sockets (by source port), counting its lookups. */
class TableEngine implements Engine {
  readonly name = "proc" as const;
  sure = false;
  generation = 0;
  lookups = 0;
  private portGen = new Map<number, number>();
  constructor(private owners: Map<number, ProcInfo>) {}
  lookup(t: Tuple): ProcInfo | undefined {
    this.lookups++;
    const o = this.owners.get(t.sport) ?? this.owners.get(t.dport);
    this.sure = !!o;
    return o;
  }
  changedSince(t: Tuple, gen: number): boolean {
    return (this.portGen.get(t.sport) ?? 0) > gen || (this.portGen.get(t.dport) ?? 0) > gen;
  }
  learn(port: number, info: ProcInfo): void {
    this.owners.set(port, info);
    this.portGen.set(port, ++this.generation);
  }
  close(): void {}
}

describe("V4Table", () => {
  it("finds what was set by all four numbers, and starts over when half full", () => {
    const t = new V4Table<string>(64);
    const k = new Uint32Array(4);
    for (let i = 0; i < 31; i++) {
      k.set([0x7f000001, 0x0a000001 + i, (1000 + i) * 65536 + 53, 17]);
      t.set(k, `f${i}`);
    }
    for (let i = 0; i < 31; i++) {
      k.set([0x7f000001, 0x0a000001 + i, (1000 + i) * 65536 + 53, 17]);
      expect(t.get(k)).toBe(`f${i}`);
      k[3] = 6;
      expect(t.get(k)).toBeUndefined();
    }
    k.set([0x7f000001, 0x0a000001, 1000 * 65536 + 53, 17]);
    t.set(k, "again");
    expect(t.get(k)).toBe("again");
    expect(t.size).toBe(31);
    k.set([1, 2, 3, 17]);
    t.set(k, "32nd");
    // (the 33rd entry clears the table first)
    k.set([1, 2, 4, 17]);
    t.set(k, "33rd");
    expect(t.size).toBe(1);
    expect(t.get(k)).toBe("33rd");
  });
});

describe("the flow cache", () => {
  it("links a flow to its reply's and asks the engine again only when it learnt something for the flow's ports", () => {
    const e = new TableEngine(new Map());
    const a = new Attributor(e, "", 0);
    const req = udpFrame([127, 0, 0, 1], 40000, [127, 0, 0, 1], 53);
    const rep = udpFrame([127, 0, 0, 1], 53, [127, 0, 0, 1], 40000);
    const f = a.flowOf(req, 0, 60, 1, 0)!;
    expect(f.info).toBeUndefined();
    const g = a.flowOf(rep, 0, 60, 1, 0)!;
    expect(g.peer).toBe(f);
    expect(f.peer).toBe(g);
    expect(e.lookups).toBe(2);
    // window 0: an unknown flow may be asked at every packet, but nothing changed for its ports
    for (let k = 1; k <= 100; k++) a.flowOf(req, 0, 60, 1, k);
    expect(e.lookups).toBe(2);
    // an event for another port changes nothing here
    e.learn(9999, { pid: 1, comm: "other" });
    a.flowOf(req, 0, 60, 1, 200);
    expect(e.lookups).toBe(2);
    // one for its port does
    e.learn(40000, { pid: 42, comm: "dig" });
    expect(a.flowOf(req, 0, 60, 1, 300)?.info?.pid).toBe(42);
    expect(e.lookups).toBe(3);
  });
});

/** An engine that says when flows nobody owned may be owned now, and when a port is nobody's (portFree). */
class WatchingEngine implements Engine {
  readonly name = "ebpf" as const;
  sure = false;
  portFree = false;
  generation = 0;
  lookups = 0;
  private ports = new Uint8Array(65536);
  private changed = () => {};
  constructor(private owners = new Map<number, ProcInfo>()) {}
  lookup(t: Tuple): ProcInfo | undefined {
    this.lookups++;
    const o = this.owners.get(t.dport);
    this.sure = !!o;
    this.portFree = !o;
    return o;
  }
  changedSince(): boolean {
    return true;
  }
  watchNegatives(ports: Uint8Array, changed: () => void): void {
    this.ports = ports;
    this.changed = changed;
  }
  learn(port: number, info: ProcInfo): void {
    this.owners.set(port, info);
    this.generation++;
    if (this.ports[port]) this.changed();
  }
  close(): void {}
}

describe("flows nobody owns", () => {
  /** The reorder window's way through the cache (hold.ts batch()): the fast path, else the flow, settled. */
  const seen = (a: Attributor, frame: Uint8Array, now: number) => {
    const id = a.pass(frame, 0, 60, 1, now);
    if (id >= 0) return a.answers[id];
    const f = a.flowOf(frame, 0, 60, 1, now)!;
    a.settle(f);
    return f.info;
  };

  it("a flood from one host to a port nobody has costs one lookup, until a socket takes that port", () => {
    const e = new WatchingEngine();
    const a = new Attributor(e, "", 0);
    const flood = Array.from({ length: 200 }, (_, i) => udpFrame([192, 0, 2, 7], 10000 + i, [127, 0, 0, 1], 9));
    for (const f of flood) expect(seen(a, f, 10)).toBeUndefined();
    // one lookup: the others were answered as the first (same source, same free port, nothing learnt since)
    expect(e.lookups).toBe(1);
    // the flood goes on (windows pass): nobody's still, not asked again within a second...
    for (let t = 20; t < 1000; t += 100) for (const f of flood) expect(seen(a, f, t)).toBeUndefined();
    expect(e.lookups).toBe(1);
    // ...and once a second after that (the port nobody has is confirmed)
    for (let t = 1020; t < 2000; t += 100) for (const f of flood) expect(seen(a, f, t)).toBeUndefined();
    expect(e.lookups).toBe(2);
    // another source to the same port is asked (its own answer)
    expect(seen(a, udpFrame([192, 0, 2, 8], 10000, [127, 0, 0, 1], 9), 1950)).toBeUndefined();
    expect(e.lookups).toBe(3);
    // a socket on a port no flow of the flood has changes nothing for them
    e.learn(7777, { pid: 1, comm: "other" });
    for (const f of flood) seen(a, f, 1960);
    expect(e.lookups).toBe(3);
    // one on the flood's port: its flows are asked again at once (their answers' time is not up), and found
    e.learn(9, { pid: 42, comm: "server" });
    expect(seen(a, flood[5], 1970)?.pid).toBe(42);
    expect(seen(a, flood[150], 1970)?.pid).toBe(42);
    expect(e.lookups).toBe(5);
  });

  it("without an engine that says when that changes, a flow nobody owns is asked again after its window", () => {
    const e = new TableEngine(new Map());
    const a = new Attributor(e, "", 100);
    const f = udpFrame([192, 0, 2, 7], 10000, [127, 0, 0, 1], 9);
    a.flowOf(f, 0, 60, 1, 0);
    a.flowOf(f, 0, 60, 1, 50);
    expect(e.lookups).toBe(1);
    e.learn(9, { pid: 7, comm: "late" });
    expect(a.flowOf(f, 0, 60, 1, 150)?.info?.pid).toBe(7);
  });
});

describe("SocketIndex.maybeLocal", () => {
  it("says no for flows between addresses nobody here has, yes for loopback, sockets' and interfaces' addresses, multicast", () => {
    const x = new SocketIndex<number>(1);
    const t = (src: string, dst: string) => ({ proto: 17, src, sport: 1000, dst, dport: 9 });
    expect(x.maybeLocal(t("10.204.0.2", "10.204.0.1"))).toBe(false);
    expect(x.maybeLocal(t("127.0.0.1", "127.0.0.1"))).toBe(true);
    expect(x.maybeLocal(t("192.0.2.7", "239.255.255.250"))).toBe(true);
    expect(x.maybeLocal(t("192.0.2.7", "255.255.255.255"))).toBe(true);
    // a socket's local address, in any namespace
    x.add(2, 17, "10.204.0.1", 9, "0.0.0.0", 0, 5);
    expect(x.maybeLocal(t("10.204.0.2", "10.204.0.1"))).toBe(true);
    // an address of this namespace's interfaces
    for (const a of interfaceAddrs()) if (/^\d+\./.test(a)) expect(x.maybeLocal(t("192.0.2.7", a))).toBe(true);
  });

  it("portFree: a packet from elsewhere to a port no socket has (any address, any namespace), by protocol", () => {
    const x = new SocketIndex<number>(1);
    const t = (proto: number, src: string, dport: number) => ({ proto, src, sport: 40000, dst: "10.204.0.1", dport });
    expect(x.portFree(t(17, "10.204.0.2", 9))).toBe(true);
    x.add(2, 17, "0.0.0.0", 9, "0.0.0.0", 0, 5);
    expect(x.portFree(t(17, "10.204.0.2", 9))).toBe(false);
    expect(x.portFree(t(6, "10.204.0.2", 9))).toBe(true);
    // a connected socket's local port too
    x.add(1, 6, "10.204.0.1", 443, "10.204.0.2", 50000, 6);
    expect(x.portFree(t(6, "10.204.0.2", 443))).toBe(false);
    // a source that is this machine's (loopback, a socket's local address) may be a local sender's
    expect(x.portFree(t(6, "127.0.0.1", 9))).toBe(false);
    expect(x.portFree(t(17, "10.204.0.1", 53))).toBe(false);
    x.clear();
    expect(x.portFree(t(17, "10.204.0.2", 9))).toBe(true);
  });

  it("writes IPv6 interface addresses as the socket tables do (32 hex digits)", () => {
    expect(hex6("::1")).toBe("0".repeat(31) + "1");
    expect(hex6("fe80::a:b")).toBe("fe80" + "0".repeat(20) + "000a000b");
    expect(hex6("2001:db8:0:0:1:2:3:4")).toBe("20010db8000000000001000200030004");
  });
});
