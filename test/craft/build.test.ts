/**
 * Built packets, read back two ways: by tsniff's own dissector (Packet.get with Wireshark's field names) and
 * by tshark on a capture of them (the same fields, and no malformed or bad-checksum expert info with checksum
 * validation on). The expected values are the fields set (or the defaults scapy documents), never our output.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ARP, CraftError, DNS, Dot1Q, Ether, ICMP, ICMPv6, IP, IPv6, Raw, stack, TCP, UDP, type Stack } from "../../src/index.js";
import { has } from "../helpers/run.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-craft-build-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A pcap file of these frames (one link type). */
function pcap(file: string, frames: Uint8Array[], linktype: number): void {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(linktype, 20);
  const recs = frames.map((b, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000 + i, 0);
    r.writeUInt32LE(b.length, 8);
    r.writeUInt32LE(b.length, 12);
    return Buffer.concat([r, b]);
  });
  fs.writeFileSync(file, Buffer.concat([h, ...recs]));
}

const MAC_A = "02:00:00:00:0a:01",
  MAC_B = "02:00:00:00:0b:02";
type Want = Record<string, string | number | boolean>;
interface Case {
  name: string;
  pkt: Stack;
  want: Want;
  /** fields only tshark has (tsniff does not declare them) */
  tshark?: Want;
  layers: string[];
}

const cases: Case[] = [
  {
    name: "Ether/IP/UDP/DNS query",
    pkt: Ether({ src: MAC_A, dst: MAC_B }).over(IP({ src: "10.1.0.1", dst: "10.1.0.2", ttl: 33, id: 4242 })).over(UDP({ sport: 40001 })).over(DNS({ id: 0x1234, qd: [{ name: "a.test", type: "A" }] })),
    want: { "eth.src": MAC_A, "eth.dst": MAC_B, "eth.type": 0x0800, "ip.ttl": 33, "ip.id": 4242, "ip.proto": 17, "ip.len": 20 + 8 + 12 + 12, "udp.srcport": 40001, "udp.dstport": 53, "udp.length": 8 + 24, "dns.id": 0x1234, "dns.qry.name": "a.test", "dns.qry.type": 1, "dns.flags.response": false, "dns.flags.recdesired": true },
    layers: ["eth", "ip", "udp", "dns"],
  },
  {
    name: "DNS response with compressed names (A, CNAME, AAAA, TXT, MX)",
    pkt: stack(
      Ether({ src: MAC_B, dst: MAC_A }),
      IP({ src: "10.1.0.2", dst: "10.1.0.1" }),
      UDP({ sport: 53, dport: 40001 }),
      DNS({
        id: 0x1235,
        qr: 1,
        ra: 1,
        qd: [{ name: "www.a.test", type: "A" }],
        an: [
          { name: "www.a.test", type: "CNAME", ttl: 300, rdata: "web.a.test" },
          { name: "web.a.test", type: "A", ttl: 60, rdata: "10.9.8.7" },
        ],
        ar: [
          { name: "web.a.test", type: "AAAA", rdata: "fd00::7" },
          { name: "a.test", type: "TXT", rdata: ["hello", "world"] },
          { name: "a.test", type: "MX", rdata: { preference: 10, exchange: "mx.a.test" } },
        ],
      }),
    ),
    want: { "dns.id": 0x1235, "dns.flags.response": true, "dns.count.answers": 2, "dns.count.add_rr": 3, "dns.cname": "web.a.test", "dns.a": "10.9.8.7", "dns.aaaa": "fd00::7", "dns.resp.ttl": 300, "dns.mx.preference": 10, "dns.mx.mail_exchange": "mx.a.test" },
    layers: ["eth", "ip", "udp", "dns"],
  },
  {
    name: "802.1Q/IPv4 with options/TCP SYN with options/payload",
    pkt: stack(
      Ether({ src: MAC_A, dst: MAC_B }),
      Dot1Q({ vlan: 42, prio: 5 }),
      IP({ src: "10.1.0.1", dst: "10.1.0.2", flags: "DF", options: [["RR", 2], ["NOP"]] }),
      TCP({ sport: 40002, dport: 7777, seq: 123456789, window: 29200, options: [["MSS", 1460], ["SAckOK"], ["Timestamp", [1000, 0]], ["NOP"], ["WScale", 7]] }),
      Raw("payload!"),
    ),
    want: { "vlan.id": 42, "vlan.priority": 5, "vlan.etype": 0x0800, "ip.hdr_len": 32, "ip.flags.df": true, "tcp.srcport": 40002, "tcp.dstport": 7777, "tcp.seq_raw": 123456789, "tcp.window_size_value": 29200, "tcp.flags": 0x002, "tcp.hdr_len": 40, "tcp.options.mss_val": 1460, "tcp.options.wscale.shift": 7, "tcp.options.timestamp.tsval": 1000, "tcp.len": 8 },
    layers: ["eth", "vlan", "ip", "tcp", "data"],
  },
  {
    name: "TCP SYN/ACK with SACK blocks and EOL",
    pkt: stack(Ether({ src: MAC_B, dst: MAC_A }), IP({ src: "10.1.0.2", dst: "10.1.0.1" }), TCP({ sport: 7777, dport: 40002, flags: "SA", seq: 7, ack: 123456790, options: [["SAck", [100, 200]], ["EOL"]] })),
    want: { "tcp.flags": 0x012, "tcp.ack_raw": 123456790, "tcp.options.sack_le": 100, "tcp.options.sack_re": 200 },
    layers: ["eth", "ip", "tcp"],
  },
  {
    name: "ARP who-has",
    pkt: Ether({ src: MAC_A }).over(ARP({ hwsrc: MAC_A, psrc: "10.1.0.1", pdst: "10.1.0.2" })),
    want: { "eth.dst": "ff:ff:ff:ff:ff:ff", "eth.type": 0x0806, "arp.opcode": 1, "arp.src.hw_mac": MAC_A, "arp.src.proto_ipv4": "10.1.0.1", "arp.dst.proto_ipv4": "10.1.0.2", "arp.dst.hw_mac": "00:00:00:00:00:00" },
    layers: ["eth", "arp"],
  },
  {
    name: "ICMP echo request with payload",
    pkt: stack(Ether({ src: MAC_A, dst: MAC_B }), IP({ src: "10.1.0.1", dst: "10.1.0.2" }), ICMP({ id: 0x4321, seq: 9 }), Raw("abcdefgh")),
    want: { "ip.proto": 1, "icmp.type": 8, "icmp.code": 0, "icmp.ident": 0x4321, "icmp.seq": 9 },
    layers: ["eth", "ip", "icmp"],
  },
  {
    name: "ICMP port unreachable quoting a UDP datagram",
    pkt: stack(Ether({ src: MAC_B, dst: MAC_A }), IP({ src: "10.1.0.2", dst: "10.1.0.1" }), ICMP({ type: "dest-unreach", code: 3 }), IP({ src: "10.1.0.1", dst: "10.1.0.2" }), UDP({ sport: 5000, dport: 9 }), Raw("x")),
    want: { "icmp.type": 3, "icmp.code": 3 },
    layers: ["eth", "ip", "icmp"],
  },
  {
    name: "IPv6/ICMPv6 echo request",
    pkt: stack(Ether({ src: MAC_A, dst: MAC_B }), IPv6({ src: "fd00::1", dst: "fd00::2", hlim: 7 }), ICMPv6({ type: "echo-request", id: 77, seq: 3 }), Raw("ping6")),
    want: { "eth.type": 0x86dd, "ipv6.nxt": 58, "ipv6.hlim": 7, "ipv6.plen": 8 + 5, "icmpv6.type": 128, "icmpv6.echo.identifier": 77, "icmpv6.echo.sequence_number": 3 },
    layers: ["eth", "ipv6", "icmpv6"],
  },
  {
    name: "ICMPv6 neighbour solicitation to the solicited-node group",
    pkt: stack(Ether({ src: MAC_A }), IPv6({ src: "fd00::1" }), ICMPv6({ type: "nd-ns", target: "fd00::2:abcd", options: [{ type: "src-lladdr", addr: MAC_A }] })),
    want: { "eth.dst": "33:33:ff:02:ab:cd", "ipv6.dst": "ff02::1:ff02:abcd", "ipv6.hlim": 255, "icmpv6.type": 135, "icmpv6.nd.ns.target_address": "fd00::2:abcd", "icmpv6.opt.linkaddr": MAC_A },
    layers: ["eth", "ipv6", "icmpv6"],
  },
  {
    name: "ICMPv6 neighbour advertisement",
    pkt: stack(Ether({ src: MAC_B, dst: MAC_A }), IPv6({ src: "fd00::2", dst: "fd00::1" }), ICMPv6({ type: "nd-na", target: "fd00::2", solicited: true, options: [{ type: "tgt-lladdr", addr: MAC_B }] })),
    want: { "icmpv6.type": 136, "icmpv6.nd.na.flag.s": true, "icmpv6.nd.na.flag.o": true, "icmpv6.nd.na.flag.r": false, "icmpv6.nd.na.target_address": "fd00::2" },
    layers: ["eth", "ipv6", "icmpv6"],
  },
  {
    name: "ICMPv6 router solicitation and advertisement",
    pkt: stack(Ether({ src: MAC_B }), IPv6({ src: "fe80::2" }), ICMPv6({ type: "nd-ra", chlim: 64, managed: true, routerLifetime: 600, options: [{ type: "mtu", mtu: 1500 }, { type: "prefix", prefix: "fd00:1::", len: 64 }] })),
    want: { "ipv6.dst": "ff02::1", "icmpv6.type": 134, "icmpv6.nd.ra.cur_hop_limit": 64, "icmpv6.nd.ra.router_lifetime": 600, "icmpv6.opt.mtu": 1500, "icmpv6.opt.prefix": "fd00:1::", "icmpv6.opt.prefix.length": 64 },
    tshark: { "icmpv6.nd.ra.flag.m": true, "icmpv6.nd.ra.flag.o": false },
    layers: ["eth", "ipv6", "icmpv6"],
  },
  {
    name: "IPv6/UDP/DNS AAAA query",
    pkt: stack(Ether({ src: MAC_A, dst: MAC_B }), IPv6({ src: "fd00::1", dst: "fd00::2" }), UDP({ sport: 40003 }), DNS({ id: 9, qd: [{ name: "v6.a.test", type: "AAAA" }] })),
    want: { "ipv6.nxt": 17, "udp.dstport": 53, "dns.qry.name": "v6.a.test", "dns.qry.type": 28 },
    layers: ["eth", "ipv6", "udp", "dns"],
  },
  {
    name: "DNS over TCP (length prefix)",
    pkt: stack(Ether({ src: MAC_A, dst: MAC_B }), IP({ src: "10.1.0.1", dst: "10.1.0.2" }), TCP({ sport: 40005, flags: "PA", seq: 1, ack: 1 }), DNS({ id: 0x2020, qd: [{ name: "tcp.a.test", type: "TXT" }] })),
    want: { "tcp.dstport": 53, "tcp.len": 2 + 12 + 16, "dns.id": 0x2020, "dns.qry.name": "tcp.a.test", "dns.qry.type": 16 },
    layers: ["eth", "ip", "tcp", "dns"],
  },
  {
    name: "IPv6/TCP with payload",
    pkt: stack(Ether({ src: MAC_A, dst: MAC_B }), IPv6({ src: "fd00::1", dst: "fd00::2" }), TCP({ sport: 40004, dport: 9999, flags: "PA", seq: 1, ack: 1 }), Raw("data over v6")),
    want: { "ipv6.nxt": 6, "tcp.flags": 0x018, "tcp.len": 12 },
    layers: ["eth", "ipv6", "tcp", "data"],
  },
];

/** Values as both tools print them: numbers from hex or decimal, booleans from True/1. */
function norm(v: unknown): string {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number") return String(v);
  const s = String(v);
  if (s === "True") return "1";
  if (s === "False") return "0";
  if (/^0x[0-9a-f]+$/i.test(s)) return String(parseInt(s, 16));
  return s;
}

describe("built packets read back by tsniff", () => {
  for (const c of cases) {
    it(c.name, () => {
      const p = c.pkt.dissect();
      expect(p.layers.slice(0, c.layers.length)).toEqual(c.layers);
      for (const [f, v] of Object.entries(c.want)) expect(norm(p.get(f as never)), f).toBe(norm(v));
      expect(p.summary()).not.toMatch(/malformed|\[\|/i);
    });
  }

  it("a layer's fields are typed and the stack finds its layers", () => {
    const s = stack(Ether(), IP({ dst: "10.1.0.2" }), UDP({ dport: 7 }));
    expect(s.layer("udp").fields.dport).toBe(7);
    expect(s.layer("ip").dst).toBe("10.1.0.2");
    expect(s.toString()).toBe("eth/ip/udp");
    // @ts-expect-error: this stack has no tcp layer, so the kind does not type-check
    expect(() => s.layer("tcp")).toThrow(CraftError);
  });

  it("lengths and checksums are computed unless set", () => {
    const b = stack(IP({ src: "10.1.0.1", dst: "10.1.0.2", len: 99, chksum: 0xbeef }), UDP({ len: 77, chksum: 0 })).bytes();
    expect(b.readUInt16BE(2)).toBe(99);
    expect(b.readUInt16BE(10)).toBe(0xbeef);
    expect(b.readUInt16BE(24)).toBe(77);
    expect(b.readUInt16BE(26)).toBe(0);
    const d = stack(IP({ src: "10.1.0.1", dst: "10.1.0.2" }), UDP()).bytes();
    expect(d.readUInt16BE(2)).toBe(28);
    expect(d.readUInt16BE(24)).toBe(8);
  });

  it("bad input is a clear CraftError, not a wrong packet", () => {
    expect(() => IP({ dst: "10.1.0.300" }).bytes()).toThrow(/IP dst "10.1.0.300" is not an IPv4 address/);
    expect(() => UDP({ dport: 70000 }).bytes()).toThrow(/UDP dport 70000 is out of range \(0-65535\)/);
    expect(() => TCP({ flags: "SX" })).not.toThrow();
    expect(() => TCP({ flags: "SX" }).bytes()).toThrow(/"X" is not one of F S R P A U E C N/);
    expect(() => Ether({ dst: "nope" }).bytes()).toThrow(/Ether dst "nope" is not a MAC address/);
    expect(() => DNS({ qd: [{ name: "a..b" }] })).toThrow(/label is empty/);
    expect(() => IPv6({ dst: "fd00::1::2" }).bytes()).toThrow(/not an IPv6 address/);
    expect(() => TCP({ options: new Array(11).fill(["MSS", 1]) })).toThrow(/at most 40 fit/);
  });
});

describe.skipIf(!has("tshark"))("built packets read by tshark", () => {
  const eth = cases.map((c) => c.pkt.bytes());
  const file = path.join(dir, "built.pcap");
  pcap(file, eth, 1);
  const raw = [stack(IP({ src: "10.1.0.1", dst: "10.1.0.2" }), UDP({ sport: 9, dport: 9 }), Raw("raw ip")), stack(IPv6({ src: "fd00::1", dst: "fd00::2" }), TCP({ sport: 1, dport: 2 }))];
  const rawFile = path.join(dir, "raw.pcap");
  pcap(rawFile, raw.map((p) => p.bytes()), 101);
  const CHECKS = ["-o", "tcp.relative_sequence_numbers:FALSE", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"];
  const tshark = (args: string[]) => {
    const r = spawnSync("tshark", [...CHECKS, ...args], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };

  it("has every field set, with tsniff's value", () => {
    const want = (c: Case) => ({ ...c.want, ...c.tshark });
    const fields = [...new Set(cases.flatMap((c) => Object.keys(want(c))))];
    const out = tshark(["-r", file, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f", ...fields.flatMap((f) => ["-e", f])]).split("\n");
    cases.forEach((c, i) => {
      const row = out[i].split("\t");
      for (const [f, v] of Object.entries(want(c))) expect(norm(row[fields.indexOf(f)]), `${c.name}: ${f}`).toBe(norm(v));
    });
  });

  it("finds nothing malformed and no bad checksum (checksum validation on)", () => {
    for (const f of [file, rawFile]) {
      const expert = tshark(["-r", f, "-q", "-z", "expert"]);
      expect(expert).not.toMatch(/Malformed|Bad checksum|incorrect|Errors \(/i);
      const v = tshark(["-r", f, "-V"]);
      expect(v).not.toMatch(/\[Malformed|Bad checksum|\[Expert Info \(Error/);
    }
  });

  it("does find a checksum that was set wrong (the oracle can fail)", () => {
    const bad = path.join(dir, "bad.pcap");
    pcap(bad, [stack(Ether(), IP({ src: "10.1.0.1", dst: "10.1.0.2" }), UDP({ chksum: 0x1234 }), Raw("x")).bytes()], 1);
    expect(tshark(["-r", bad, "-q", "-z", "expert"])).toMatch(/Bad checksum/);
  });
});
