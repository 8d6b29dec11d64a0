/**
 * -Y display filters (src/filter/display.ts): the language, Wireshark 4's any/all semantics, errors with
 * positions, and a differential check against tshark -Y on corpus files.
 */
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Dissector } from "../../src/dissectors/index.js";
import { compileDisplayFilter, DisplayFilterError } from "../../src/filter/display.js";
import { FrameBuilder } from "../../src/output/frame.js";
import { createPrinter } from "../../src/output/printer.js";
import type { PacketView } from "../../src/output/view.js";
import { INFO, packet, readAll } from "./helpers.js";
import { BASE } from "./options.js";
import { saveTshark, tshark } from "./tshark.js";
import { CORPUS } from "../helpers/paths.js";

function view(bytes: Uint8Array): PacketView {
  const dis = new Dissector();
  const { ctx, tree } = dis.dissectBytes(bytes, 1, { tree: true, tsSec: 1700000000, tsNsec: 5000 });
  const f = new FrameBuilder().build(ctx, 0, tree!.roots);
  return { roots: [f, ...tree!.roots], data: bytes, start: 0, end: bytes.length, ctx };
}

const syn = view(packet({ src: "10.1.2.3", dst: "192.168.1.2", sport: 40000, dport: 80, flags: 0x02, payload: "GET /index.html HTTP/1.1\r\n" }));
const dns = view(packet({ proto: "udp", src: "172.16.0.1", dst: "8.8.8.8", sport: 40001, dport: 9999, payload: [1, 2, 3, 4] }));
const same = view(packet({ src: "10.0.0.9", dst: "10.0.0.9", sport: 7, dport: 7, flags: 0x10 }));

function m(expr: string, v: PacketView): boolean {
  return compileDisplayFilter(expr)(v);
}

describe("matching", () => {
  const cases: Array<[string, boolean, boolean]> = [
    // expr, on the TCP SYN, on the UDP packet
    ["tcp", true, false],
    ["udp", false, true],
    ["ip && eth", true, true],
    ["frame", true, true],
    ["!tcp", false, true],
    ["not tcp", false, true],
    ["tcp || udp", true, true],
    ["tcp or udp", true, true],
    ["tcp and udp", false, false],
    ["tcp xor ip", false, true],
    ["tcp ^^ udp", true, true],
    ["(tcp || udp) && !(ip.src == 10.1.2.3)", false, true],
    ["ip.src == 10.1.2.3", true, false],
    ["ip.src eq 10.1.2.3", true, false],
    ["ip.addr == 192.168.1.2", true, false],
    ["ip.addr == 10.0.0.0/8", true, false],
    ["ip.addr == 172.16.0.0/12", false, true],
    ["ip.dst == 8.8.8.0/24", false, true],
    ["ip.addr != 10.1.2.3", false, true],
    ["ip.addr ne 10.1.2.3", false, true],
    ["ip.addr !== 10.1.2.3", true, true],
    ["ip.addr === 10.1.2.3", false, false],
    ["ip.src > 10.0.0.0", true, true],
    ["ip.src < 11.0.0.0", true, false],
    ["tcp.port == 80", true, false],
    ["tcp.port == 0x50", true, false],
    ["tcp.port == 0120", true, false],
    ["tcp.port != 80", false, false],
    ["udp.port != 80", false, true],
    ["tcp.port in {80 443}", true, false],
    ["tcp.port in {81, 443}", false, false],
    ["tcp.dstport in {1..100}", true, false],
    ["udp.port in {9990..10000 1000}", false, true],
    ["tcp.srcport > 1024 && tcp.dstport <= 80", true, false],
    ["tcp.srcport gt 1024 and tcp.dstport le 80", true, false],
    ["tcp.srcport >= 40000 && tcp.srcport < 40001", true, false],
    ["tcp.flags.syn", true, false],
    ["tcp.flags.ack", true, false],
    ["tcp.flags.syn == 1", true, false],
    ["tcp.flags.syn == true", true, false],
    ["tcp.flags.ack == 0", true, false],
    ["tcp.flags.ack == False", true, false],
    ["tcp.flags & 0x02", true, false],
    ["tcp.flags & 0x10", false, false],
    ["tcp.flags == 0x002", true, false],
    ["eth.type == 0x0800", true, true],
    ["eth.type == 2048", true, true],
    ["ip.proto == 6", true, false],
    ["ip.proto == TCP", true, false],
    ["ip.proto == udp", false, true],
    ["eth.src == 66:77:88:99:aa:bb", true, true],
    ["eth.addr == 00-11-22-33-44-55", true, true],
    ["eth.dst == 0011.2233.4455", true, true],
    ["eth.dst != ff:ff:ff:ff:ff:ff", true, true],
    ["frame.len > 60", true, false],
    ["frame.number == 1", true, true],
    ["frame.time_epoch >= 1700000000", true, true],
    ['frame.protocols contains "tcp"', true, false],
    ['frame.protocols == "eth:ethertype:ip:udp:data"', false, true],
    ['tcp contains "GET"', true, false],
    ["tcp contains 47:45:54", true, false],
    ['frame contains "HTTP/1.1\\r\\n"', true, false],
    ['frame contains "\\x47ET"', true, false],
    ['udp contains 01:02:03', false, true],
    ['frame matches "(?i)get /INDEX"', true, false],
    ['frame matches "^GET"', false, false],
    ["frame ~ \"index\\\\.html\"", true, false],
    ["data.data contains 02:03", false, true],
    ["ip.ttl == 64 && ip.flags.df", true, true],
    ["ip.flags.df == 1", true, true],
    ["ip.id == 1", true, true],
    ["ip.src == ip.dst", false, false],
    ["tcp.srcport > tcp.dstport", true, false],
  ];
  for (const [expr, onSyn, onDns] of cases) {
    it(expr, () => {
      expect(m(expr, syn), "TCP SYN").toBe(onSyn);
      expect(m(expr, dns), "UDP").toBe(onDns);
    });
  }
  it("field against field, any pair", () => {
    expect(m("ip.src == ip.dst", same)).toBe(true);
    expect(m("tcp.srcport == tcp.dstport", same)).toBe(true);
    expect(m("ip.src != ip.dst", same)).toBe(false);
  });
  it("an empty filter matches everything", () => {
    expect(m("", syn)).toBe(true);
    expect(m("   ", dns)).toBe(true);
  });
});

describe("errors", () => {
  const err = (expr: string): DisplayFilterError => {
    try {
      compileDisplayFilter(expr);
    } catch (e) {
      expect(e).toBeInstanceOf(DisplayFilterError);
      return e as DisplayFilterError;
    }
    throw new Error(`'${expr}' compiled`);
  };
  const cases: Array<[string, number, RegExp]> = [
    ["foo.bar", 1, /'foo\.bar' is neither a field nor a protocol name/],
    ["tcp && foo", 8, /'foo' is neither a field nor a protocol name/],
    ["tcp.port ==", 12, /expected a value after '=='/],
    ["tcp.port == 80 &&", 18, /expected an expression after '&&'/],
    ["(tcp", 5, /expected '\)'/],
    ["tcp)", 4, /unbalanced parenthesis/],
    ["tcp.port == 80 80", 16, /unexpected '80'/],
    ["ip.src == 1.2.3", 11, /'1\.2\.3' is not a valid IPv4 address/],
    ["ip.src == 1.2.3.256", 11, /not a valid IPv4 address/],
    ["ip.src < 10.0.0.0/8", 10, /CIDR/],
    ["tcp.port == abc", 13, /'abc' is not a valid integer/],
    ["tcp.flags.syn == 2", 18, /not a valid boolean/],
    ["eth.src == 00:11:22", 12, /not a valid MAC address/],
    ['frame contains "abc', 16, /unterminated string/],
    ["tcp.port in 80", 13, /expected '\{' after 'in'/],
    ["tcp.port in {}", 14, /empty set/],
    ['frame matches "("', 15, /invalid regular expression/],
    ["tcp.port & ip", 12, /not a valid integer mask/],
    ["eth.src[0:3] == 00:11:22", 8, /slices/],
    ["len(tcp.payload) > 3", 1, /functions/],
    ["tcp.port == 80 || #", 19, /'#' is neither a field nor a protocol name/],
    ["tcp.port == 80 || ip.src == 1.2.3.4 @", 37, /unexpected '@'/],
    ["== 80", 1, /expected a field/],
    ["ip.src == ip.len", 11, /different types/],
    ["tcp.options.sack_perm == 1", 26, /no value to compare/],
  ];
  for (const [expr, pos, re] of cases) {
    it(expr, () => {
      const e = err(expr);
      expect(e.message).toMatch(re);
      expect(e.pos).toBe(pos);
      expect(e.message.startsWith(`display filter error at ${pos}: `)).toBe(true);
      expect((e as unknown as { code: string }).code).toBe("EDISPLAYFILTER");
    });
  }
});

describe("the printer", () => {
  it("prints nothing for packets that do not match, the line for those that do", async () => {
    const { batchOf } = await import("./helpers.js");
    const b = batchOf([packet({ dport: 80 }), packet({ dport: 22 })]);
    const p = createPrinter({ ...BASE, displayFilter: "tcp.dstport == 22" }, INFO);
    expect(p(b, 0, 1)).toBe("");
    expect(p(b, 1, 2)).toMatch(/ > 192\.168\.1\.2\.22: Flags \[S\]/);
  });
  it("a bad filter fails when the printer is made", () => {
    expect(() => createPrinter({ ...BASE, displayFilter: "tcp.port ==" }, INFO)).toThrow(/display filter error at 12/);
  });
});

// ------------------------------------------------------------------------------------------ vs tshark

/** Files whose protocols (for these filters) tsniff dissects: Ethernet, IPv4, TCP, UDP. */
const FILES = ["RADIUS.pcap", "dns_tcp.pcap", "tftp.pcap", "whois.pcap", "IGMP_V2.pcap", "ipv4_tcp_http_xml.pcap", "arp-oobr.pcap"];
// Not afs.pcap: tshark reassembles its IP fragments (udp shows on the last fragment, not the first) and reads
// the inner headers in ICMP errors (a second ip.ttl); both belong to the IP and ICMP dissectors.
const FILTERS = [
  "tcp",
  "udp",
  "ip && !tcp",
  "tcp.flags.syn == 1",
  "tcp.flags.ack == 1 && tcp.flags.push == 1",
  "tcp.flags & 0x11",
  "tcp.port == 53",
  "tcp.port != 53",
  "udp.port in {53, 69, 1812}",
  "udp.length > 100",
  "ip.addr == 192.168.1.0/24",
  "ip.addr != 10.0.0.1",
  "ip.src == 10.0.0.100",
  "ip.ttl < 64",
  "ip.flags.df == 0",
  "ip.proto == 2",
  "ip.id > 0x4000",
  "frame.len >= 100",
  "frame.cap_len < 70",
  'frame contains "www"',
  'frame matches "(?i)whois|john"',
  "eth.type == 0x0806",
  "eth.addr == ff:ff:ff:ff:ff:ff",
  "ip.dsfield.dscp > 0",
  "tcp.window_size_value > 60000",
  "!(tcp.srcport > 1024)",
];

/** IPv6 addresses and prefixes (the ipv6 dissector's fields), on captures of IPv6 traffic. */
const V6_FILES = ["dhcpv6-ia-na.pcap", "EIGRP_ipv6.pcap", "dhcpv6-domain-list.pcap"];
const V6_FILTERS = ["ipv6", "ipv6.addr == fe80::/10", "ipv6.dst == ff02::1:2", "ipv6.src != fe80::20c:29ff:fe9d:b6d6", "ipv6.addr == ::/0", "ipv6 && udp.port == 547", "!ipv6.addr == ff00::/8"];

describe.skipIf(!fs.existsSync(CORPUS))("the same packets as tshark -Y", () => {
  afterAll(saveTshark);
  const cases: Array<[string, string[]]> = [...FILES.map((f): [string, string[]] => [f, FILTERS]), ...V6_FILES.map((f): [string, string[]] => [f, V6_FILTERS])];
  for (const [f, filters] of cases) {
    it(f, async () => {
      const file = `${CORPUS}/${f}`;
      if (!fs.existsSync(file)) return;
      const { batch, info } = await readAll(file);
      const failures: string[] = [];
      for (const expr of filters) {
        const out = tshark(["-r", file, "-Y", expr, "-T", "fields", "-e", "frame.number"]);
        if (out === null) return;
        const want = out.split("\n").filter(Boolean).map(Number);
        const p = createPrinter({ ...BASE, format: "fields", fields: ["frame.number"], displayFilter: expr }, info);
        const got: number[] = [];
        for (let i = 0; i < batch.count; i++) if (p(batch, i, i + 1)) got.push(i + 1);
        if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${expr}: tsniff ${got.join(",")} / tshark ${want.join(",")}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
