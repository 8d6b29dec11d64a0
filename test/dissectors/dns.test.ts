/**
 * DNS (UDP, TCP), mDNS and LLMNR: tcpdump's lines, tshark's field values, robustness, compression loops, and the
 * tcpdump corpus.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Dissector, walkFields, type TreeNode } from "../../src/dissectors/index.js";
import { compareFields, CORPUS, corpusReport, corpusRun, craftedDiff, fixture, HAVE_TCPDUMP, HAVE_TSHARK, ipFrame, readCapture, robustness, tcpdumpLines, verboseDiff } from "./app-common.js";

const FILES = ["dns/dns-udp.pcap", "dns/dns-tcp.pcap", "dns/mdns-llmnr.pcap"];
const FIELDS = [
  "dns.id",
  "dns.flags.response",
  "dns.flags.opcode",
  "dns.flags.rcode",
  "dns.flags.authoritative",
  "dns.flags.recdesired",
  "dns.count.queries",
  "dns.count.answers",
  "dns.count.auth_rr",
  "dns.count.add_rr",
  "dns.qry.name",
  "dns.qry.type",
  "dns.qry.class",
  "dns.qry.qu",
  "dns.resp.name",
  "dns.resp.type",
  "dns.resp.ttl",
  "dns.resp.len",
  "dns.resp.cache_flush",
  "dns.a",
  "dns.aaaa",
  "dns.cname",
  "dns.ns",
  "dns.ptr.domain_name",
  "dns.mx.preference",
  "dns.mx.mail_exchange",
  "dns.txt",
  "dns.soa.mname",
  "dns.soa.rname",
  "dns.soa.serial_number",
  "dns.soa.minimum_ttl",
  "dns.srv.priority",
  "dns.srv.weight",
  "dns.srv.port",
  "dns.srv.target",
  "dns.rr.udp_payload_size",
  "dns.svcb.svcpriority",
  "dns.svcb.targetname",
  "dns.length",
];

describe("dns: tcpdump lines", () => {
  for (const f of FILES) {
    it.skipIf(!HAVE_TCPDUMP)(f, async () => {
      const { lines } = await readCapture(fixture(f));
      const golden = tcpdumpLines(fixture(f));
      expect(lines.length).toBe(golden.length);
      expect(lines).toEqual(golden);
    });
  }
  it("golden files beside the captures match tcpdump's text", async () => {
    for (const f of FILES) {
      const { lines } = await readCapture(fixture(f));
      const golden = fs.readFileSync(fixture(f.replace(/\.pcap$/, ".tcpdump.txt")), "latin1").split("\n").filter(Boolean);
      expect(lines).toEqual(golden);
    }
  });
});

describe("dns: fields equal tshark's", () => {
  for (const f of FILES) {
    it.skipIf(!HAVE_TSHARK)(f, async () => {
      const { packets } = await readCapture(fixture(f));
      const { diffs, compared } = compareFields(fixture(f), packets, FIELDS);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThan(packets.length);
    });
  }
});

describe("dns: robustness", () => {
  for (const f of FILES) {
    it(`${f}: every truncation and byte flips`, async () => {
      const { packets } = await readCapture(fixture(f));
      expect(robustness(packets)).toEqual([]);
    });
  }
});

/** Ethernet + IPv4 + UDP 1234 -> 53 around a DNS message. */
function udpFrame(dns: number[]): Uint8Array {
  const udpLen = 8 + dns.length;
  const ipLen = 20 + udpLen;
  const b = [
    ...[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00],
    0x45, 0, ipLen >> 8, ipLen & 255, 0, 1, 0, 0, 64, 17, 0, 0, 10, 202, 0, 1, 10, 202, 0, 2,
    0x04, 0xd2, 0, 53, udpLen >> 8, udpLen & 255, 0, 0,
    ...dns,
  ];
  return Uint8Array.from(b);
}

describe("dns: compression pointers", () => {
  it("a pointer to itself stops with a malformed mark, no hang", () => {
    // response, 1 question, 1 answer whose name is a pointer to itself (offset 29)
    const q = [3, 0x61, 0x62, 0x63, 0, 0, 1, 0, 1];
    const ans = [0xc0, 29, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4];
    const msg = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...q, ...ans];
    const dis = new Dissector({ verbose: 1 });
    const r = dis.dissectBytes(udpFrame(msg), 1, { tree: true });
    expect(r.ctx.bug).toBeNull();
    expect(r.ctx.malformed).toBe(true);
    expect(r.ctx.info).toContain("<BAD PTR>");
    expect(r.ctx.info).toContain("[|domain]");
  });

  it("a loop between two pointers (forward then back): tcpdump's <BAD PTR>, Wireshark's name that loops", () => {
    // question name at 12 points forward to 20, which points back to 12 (tshark 4.0 on these bytes:
    // dns.qry.name "<Name contains a pointer that loops>", dns.qry.type 1)
    const msg = [0x00, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 20, 0, 1, 0, 1, 0, 0, 0xc0, 12];
    for (const v of [0, 1, 2, 3]) {
      const dis = new Dissector({ verbose: v });
      const r = dis.dissectBytes(udpFrame(msg), 1, { tree: true });
      expect(r.ctx.bug).toBeNull();
      expect(r.ctx.info).toContain("<BAD PTR>");
      const names: unknown[] = [];
      walkFields((r.tree?.roots ?? []) as TreeNode[], (n) => {
        if (n.name === "dns.qry.name") names.push(n.value);
      });
      expect(names).toEqual(["<Name contains a pointer that loops>"]);
    }
  });

  it("a long backward chain is followed, each hop strictly earlier", () => {
    // question "a." at 12; answer 1 (type NULL) carries in its data 200 names, each "b" + a pointer to the
    // previous one; answer 2's name points at the last of them.
    const msg: number[] = [0, 2, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
    msg.push(1, 0x61, 0, 0, 1, 0, 1); // 12: a. A IN
    const chain: number[] = [];
    let prev = 12;
    const rdataAt = msg.length + 12; // after answer 1's name pointer (2), type, class, ttl, rdlength (10)
    for (let i = 0; i < 200; i++) {
      const at = rdataAt + chain.length;
      chain.push(1, 0x62, 0xc0 | (prev >> 8), prev & 255);
      prev = at;
    }
    msg.push(0xc0, 12, 0, 10, 0, 1, 0, 0, 0, 60, chain.length >> 8, chain.length & 255, ...chain);
    msg.push(0xc0 | (prev >> 8), prev & 255, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 202, 0, 9);
    const dis = new Dissector({ verbose: 0 });
    const r = dis.dissectBytes(udpFrame(msg), 1, { tree: true });
    expect(r.ctx.bug).toBeNull();
    expect(r.ctx.malformed).toBe(false);
    expect(r.ctx.info).toContain("2/0/0 NULL, A 10.202.0.9 (847)");
    const names: string[] = [];
    walkFields((r.tree?.roots ?? []) as TreeNode[], (n) => {
      if (n.name === "dns.resp.name") names.push(String(n.value));
    });
    expect(names.length).toBe(2);
    // the chain is followed to its end (the A record after it is read), and the 401-character name is
    // Wireshark's "<Name too long>" (more than 255 characters)
    expect(names[1]).toBe("<Name too long>");
  });
});

describe("dns: tcpdump corpus", () => {
  it.skipIf(!HAVE_TCPDUMP)("dns*, mdns*, edns*, ppp_ip_udp_dns", async () => {
    const r = await corpusRun(/^(dns|mdns|edns|ppp_ip_udp_dns|dnssec)/, ["dns", "mdns", "llmnr"]);
    console.log(corpusReport("dns", r));
    if (r.mismatches.length) console.log(r.mismatches.join("\n"));
    expect(r.bugs).toBe(0);
    expect(r.matched).toBe(r.reached);
  });
});

describe("dns, ntp, dhcp, dhcpv6: crafted edge cases match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("short, odd and damaged messages", async () => {
    const hdr = (id: number, flags: number, qd: number, an: number, ns: number, ar: number): number[] => [id >> 8, id & 255, flags >> 8, flags & 255, 0, qd, 0, an, 0, ns, 0, ar];
    const qname = [3, 0x77, 0x77, 0x77, 7, ...Buffer.from("example"), 3, 0x63, 0x6f, 0x6d, 0];
    const q = [...qname, 0, 1, 0, 1];
    const msgs: number[][] = [
      hdr(1, 0x0100, 1, 0, 0, 0).concat(q),
      hdr(2, 0x0900, 1, 1, 0, 0).concat(q), // IQUERY with an answer count
      hdr(3, 0x01ff, 2, 0, 1, 1).concat(q, q), // odd bits, two questions
      hdr(4, 0x8180, 0, 0, 0, 0), // response, no question
      hdr(5, 0x8583, 1, 0, 0, 0).concat(q), // NXDomain, AA, TC
      hdr(6, 0x8180, 1, 1, 0, 0).concat(q, [0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 0xc0, 16]), // CNAME by pointer
      hdr(7, 0x8180, 1, 1, 0, 0).concat(q, [0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 1, 0, 9, 3, 0x61, 0x62, 0x63, 4, 0x64, 0x65, 0x66]), // TXT, a string too long
      hdr(8, 0x8180, 1, 1, 0, 0).concat(q, [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2]), // A cut short
      hdr(9, 0x8180, 1, 1, 0, 0).concat(q, [0xc0, 12, 0, 99, 0, 3, 0, 0, 0, 1, 0, 0]), // unknown type, CHAOS
      hdr(10, 0x0100, 1, 0, 0, 0).concat([0x80, 1, 0, 0, 1, 0, 1]), // reserved label type
      hdr(11, 0x0100, 1, 0, 0, 0).concat([0x41, 1, 0, 0, 1, 0, 1]), // extended label type
      hdr(12, 0x0100, 1, 0, 0, 0).concat([63, ...Array(63).fill(0x61), 63, ...Array(63).fill(0x62), 63, ...Array(63).fill(0x63), 63, ...Array(63).fill(0x64), 63, ...Array(63).fill(0x65), 0, 0, 1, 0, 1]), // too long
      hdr(13, 0x0100, 1, 0, 0, 1).concat(q, [0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 12, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]), // OPT with DO and a cookie
      hdr(14, 0x8180, 1, 0, 0, 1).concat(q, [0, 0, 41, 0x10, 0, 1, 0, 0, 0, 0, 0]), // extended rcode in OPT -> BadVers
      hdr(15, 0x0100, 1, 0, 0, 0).concat([3, 0x61]), // question cut
      [0, 16, 1],
    ];
    const frames: Uint8Array[] = [];
    msgs.forEach((m, i) => frames.push(ipFrame("udp", 30000 + i, 53, Uint8Array.from(m))));
    msgs.forEach((m, i) => frames.push(ipFrame("udp", 30000 + i, 5353, Uint8Array.from(m))));
    // DNS over TCP: right prefix, wrong prefix, too short, two messages in one segment
    const m0 = msgs[0];
    frames.push(ipFrame("tcp", 31000, 53, Uint8Array.from([0, m0.length, ...m0])));
    frames.push(ipFrame("tcp", 31001, 53, Uint8Array.from([0, m0.length + 5, ...m0])));
    frames.push(ipFrame("tcp", 31002, 53, Uint8Array.from([7])));
    frames.push(ipFrame("tcp", 31003, 53, Uint8Array.from([0, m0.length, ...m0, 0, m0.length, ...m0])));
    // NTP, DHCP, DHCPv6 short or odd
    frames.push(ipFrame("udp", 123, 123, Uint8Array.from([0x1b])));
    frames.push(ipFrame("udp", 40123, 123, Uint8Array.from([0xd6, 0, 0, 0])));
    frames.push(ipFrame("udp", 40124, 123, Uint8Array.from([0x17, 0, 3, 0x2a])));
    for (const b0 of [0x20, 0x21, 0x22, 0x25]) frames.push(ipFrame("udp", 40125, 123, Uint8Array.from([b0, ...Array(47).fill(1)])));
    frames.push(ipFrame("udp", 68, 67, Uint8Array.from([1])));
    frames.push(ipFrame("udp", 68, 67, Uint8Array.from([1, 1, 6, 0, 0, 0, 0, 0])));
    frames.push(ipFrame("udp", 68, 67, Uint8Array.from([3, 6, 6, 0])));
    frames.push(ipFrame("udp", 546, 547, Uint8Array.from([1, 0, 0])));
    frames.push(ipFrame("udp", 546, 547, Uint8Array.from([99, 0, 0, 1])));
    frames.push(ipFrame("udp", 546, 547, Uint8Array.from([12, 0, 0, 1, 5])));
    const { ours, tcpdump } = await craftedDiff(frames);
    expect(tcpdump.length).toBe(frames.length);
    expect(ours).toEqual(tcpdump);
  });
});

describe("dns: -v, -vv, -vvv output matches tcpdump", () => {
  const files = [...FILES.map(fixture), ...["dns_udp.pcap", "dns_tcp.pcap", "dns-badcookie.pcap", "dns-badvers.pcap", "dns-uri.pcap", "dnssec.pcap", "edns-opts.pcap", "dns_fwdptr.pcap"].map((f) => `${CORPUS}/${f}`)];
  for (const f of files) {
    it.skipIf(!HAVE_TCPDUMP || !fs.existsSync(f))(path.basename(f), async () => {
      for (const v of [1, 2, 3]) {
        const { compared, diffs } = await verboseDiff(f, v, ["dns", "mdns", "llmnr"]);
        expect(diffs).toEqual([]);
        expect(compared).toBeGreaterThan(0);
      }
    });
  }
});
