/**
 * The socket index both engines share (src/proc/table.ts): sockets of two namespaces with the same tuple stay
 * apart; the capture's namespace is asked first; another namespace answers only when it alone has the flow.
 */
import { describe, expect, it } from "vitest";
import { SocketIndex, netnsInode } from "../../src/proc/table.js";

const udp = (src: string, sport: number, dst: string, dport: number) => ({ proto: 17, src, sport, dst, dport });
const tcp = (src: string, sport: number, dst: string, dport: number) => ({ proto: 6, src, sport, dst, dport });

describe("SocketIndex", () => {
  it("keeps two namespaces' sockets with the same tuple apart and answers from the capture's", () => {
    for (const home of [1, 2]) {
      const x = new SocketIndex<string>(home);
      x.add(1, 6, "127.0.0.1", 40000, "127.0.0.1", 18080, "client-1");
      x.add(2, 6, "127.0.0.1", 40000, "127.0.0.1", 18080, "client-2");
      x.add(1, 6, "127.0.0.1", 18080, "0.0.0.0", 0, "server-1");
      x.add(2, 6, "0.0.0.0", 18080, "0.0.0.0", 0, "server-2");
      expect(x.find(tcp("127.0.0.1", 40000, "127.0.0.1", 18080))).toBe(`client-${home}`);
      expect(x.sure).toBe(true);
      expect(x.find(tcp("127.0.0.1", 18080, "127.0.0.1", 40000))).toBe(`server-${home}`);
      expect(x.sure).toBe(false);
    }
  });

  it("asks the other namespaces only when the capture's has no socket for the flow, and only one has it", () => {
    const x = new SocketIndex<string>(1);
    x.add(2, 17, "10.1.0.2", 5000, "10.1.0.1", 53, "peer");
    // the capture's namespace has no socket for it
    expect(x.find(udp("10.1.0.2", 5000, "10.1.0.1", 53))).toBeUndefined();
    // from the far end of a veth pair: the socket is in namespace 2 alone
    expect(x.findElsewhere(udp("10.1.0.2", 5000, "10.1.0.1", 53))).toBe("peer");
    // two other namespaces have it: nobody's
    x.add(3, 17, "10.1.0.2", 5000, "10.1.0.1", 53, "other");
    expect(x.findElsewhere(udp("10.1.0.2", 5000, "10.1.0.1", 53))).toBeUndefined();
    // the capture's own namespace has it: that one
    x.add(1, 17, "10.1.0.2", 5000, "10.1.0.1", 53, "mine");
    expect(x.find(udp("10.1.0.2", 5000, "10.1.0.1", 53))).toBe("mine");
  });

  it("never answers from another namespace for loopback addresses or by port alone", () => {
    const x = new SocketIndex<string>(1);
    x.add(2, 17, "127.0.0.1", 18053, "0.0.0.0", 0, "their dnsmasq");
    x.add(2, 17, "0.0.0.0", 9999, "0.0.0.0", 0, "their wildcard");
    expect(x.findElsewhere(udp("127.0.0.1", 18053, "127.0.0.1", 40000))).toBeUndefined();
    expect(x.findElsewhere(udp("10.3.0.2", 7000, "10.3.0.1", 9999))).toBeUndefined();
  });

  it("a packet from a local address is its sender's; an incoming one its receiver's", () => {
    const x = new SocketIndex<string>(1);
    x.add(1, 17, "10.2.0.1", 53, "0.0.0.0", 0, "dns");
    x.add(1, 17, "10.2.0.1", 6000, "10.2.0.9", 53, "resolver");
    expect(x.find(udp("10.2.0.9", 7000, "10.2.0.1", 53))).toBe("dns");
    expect(x.find(udp("10.2.0.1", 6000, "10.2.0.9", 53))).toBe("resolver");
    expect(x.find(udp("10.2.0.9", 53, "10.2.0.1", 6000))).toBe("resolver");
  });

  it("reads a namespace link's inode", () => {
    expect(netnsInode("net:[4026531840]")).toBe(4026531840);
    expect(netnsInode(undefined)).toBe(0);
  });
});
