/**
 * Issue #13, part C: ICMP, ICMPv6 and plain UDP lines identical to tcpdump's. tcpdump runs here on the corpus
 * captures behind the icmp, icmpv6 and udp rows of docs/FIDELITY.md, and tsniff's output must equal its output.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { CORPUS, has, sh, tsniff } from "../helpers/run.js";

const TCPDUMP = has("tcpdump") && fs.existsSync(CORPUS);

function lines(b: Buffer): string[] {
  const s = b.toString("utf8");
  return s === "" ? [] : s.replace(/\n$/, "").split("\n");
}

/** tsniff's stdout lines, which must equal tcpdump's for the same file and flags. */
function same(file: string, flags: string[]): string[] {
  const t = sh("tcpdump", [...flags, "-r", file]);
  const o = tsniff([...flags, "-r", file]);
  expect(o.status, o.stderr.toString()).toBe(0);
  const theirs = lines(t.stdout);
  expect(theirs.length).toBeGreaterThan(0);
  expect(lines(o.stdout)).toEqual(theirs);
  return theirs;
}

const corpus = (f: string) => path.join(CORPUS, f);

describe.skipIf(!TCPDUMP)("ICMPv6 node information (RFC 4620) as tcpdump prints it", () => {
  const files = [
    "icmpv6-ni-flags.pcap",
    "icmpv6_nodeinfo_queryipv4.pcap",
    "icmpv6_nodeinfo_queryipv6.pcap",
    "icmpv6_nodeinfo_replyipv4.pcap",
    "icmpv6_nodeinfo_replyipv6.pcap",
  ];
  it.each(files)("%s: queries (qtype, flags, IPv6/IPv4 subject) and replies (addresses, TTLs, flags), -nn and -v", (f) => {
    const plain = same(corpus(f), ["-nn", "-t"]);
    expect(plain.some((l) => / node information (query|reply) \(/.test(l))).toBe(true);
    const v = same(corpus(f), ["-nn", "-t", "-v"]);
    expect(v.some((l) => / node information (query|reply) \(/.test(l))).toBe(true);
  });
});

describe.skipIf(!TCPDUMP)("ICMPv6 router renumbering (RFC 2894) as tcpdump prints it", () => {
  it("commands with their match and use parts, at -nn, -v and -vv (one line per part)", () => {
    const f = corpus("icmpv6-RFC2894-RR.pcap");
    const plain = same(f, ["-nn", "-t"]);
    expect(plain.every((l) => / router renumbering, command, seq=\d+ match\(/.test(l))).toBe(true);
    const v = same(f, ["-nn", "-t", "-v"]);
    expect(v.some((l) => /maxdelay=\d+\] match\(\w+,ord=/.test(l))).toBe(true);
    const vv = same(f, ["-nn", "-t", "-vv"]);
    expect(vv.some((l) => /^\tuse\(mask=/.test(l))).toBe(true);
  });
});

describe.skipIf(!TCPDUMP)("ICMPv6 neighbour discovery options as tcpdump prints them", () => {
  it("a router advertisement with prefix, RDNSS, DNSSL, MTU, interval and home agent information options (-v, -vv)", () => {
    const f = corpus("icmpv6.pcap");
    same(f, ["-nn", "-t"]);
    const v = same(f, ["-nn", "-t", "-v"]);
    expect(v.some((l) => /^\t  homeagent information option \(8\), length 8 \(1\):  preference \d+, lifetime \d+$/.test(l))).toBe(true);
    same(f, ["-nn", "-t", "-vv"]);
  });
});

describe.skipIf(!TCPDUMP)("ICMP multi-part extensions (RFC 4884, 4950) as tcpdump prints them", () => {
  const files = [
    "mpls-traceroute.pcap",
    "icmp-rfc5837.pcap",
    "icmp-cksum-oobr-1.pcap",
    "icmp-cksum-oobr-2.pcap",
    "icmp-cksum-oobr-4.pcapng",
    "icmp_inft_name_length_zero.pcap",
  ];
  it.each(files)("%s: after the quoted packet, at -nn, -v and -vv", (f) => {
    same(corpus(f), ["-nn", "-t"]);
    const v = same(corpus(f), ["-nn", "-t", "-v"]);
    expect(v.some((l) => /^\tICMP Multi-Part extension v\d/.test(l))).toBe(true);
    same(corpus(f), ["-nn", "-t", "-vv"]);
  });
  it("an MPLS label stack entry is decoded (label, tc, bottom of stack, ttl)", () => {
    const v = same(corpus("mpls-traceroute.pcap"), ["-nn", "-t", "-v"]);
    expect(v.some((l) => /^\t    label \d+, tc \d, \[S\], ttl \d+$/.test(l))).toBe(true);
  });
});

describe.skipIf(!TCPDUMP)("ICMP messages cut short, -v, as tcpdump prints them", () => {
  it("an error whose quoted packet is missing: the line for it ends at once in [|icmp]", () => {
    const f = corpus("extract_read2_asan.pcap");
    same(f, ["-nn", "-t"]);
    const v = same(f, ["-nn", "-t", "-v"]);
    expect(v).toContain("\t [|icmp]");
  });
  it("a message shorter than its checksum field: [|icmp] where tcpdump reads the checksum", () => {
    const f = corpus("icmp-icmp_print-oobr-1.pcap");
    for (const flags of [["-nn", "-t", "-c", "1"], ["-nn", "-t", "-v", "-c", "1"]]) same(f, flags);
    expect(same(f, ["-nn", "-t", "-v", "-c", "1"]).some((l) => / length 3 \[\|icmp\]$/.test(l))).toBe(true);
  });
});

describe.skipIf(!TCPDUMP)("UDP whose length field exceeds the IP payload, as tcpdump prints it", () => {
  it("the IP payload still goes to the port's decoder (DHCPv6 here), -nn and -v", () => {
    const f = corpus("dhcp6_reconf_asan.pcap");
    expect(same(f, ["-nn", "-t"]).some((l) => /: dhcp6 /.test(l))).toBe(true);
    same(f, ["-nn", "-t", "-v"]);
  });
  it("no decoder for the port: \"UDP, bad length\" with both lengths net of the UDP header", () => {
    const f = corpus("l2tp-avp-overflow.pcap");
    const theirs = lines(sh("tcpdump", ["-nn", "-t", "-r", f]).stdout);
    const o = tsniff(["-nn", "-t", "-r", f]);
    expect(o.status, o.stderr.toString()).toBe(0);
    const ours = lines(o.stdout);
    const bad = theirs.map((l, i) => [l, i] as const).filter(([l]) => l.includes("UDP, bad length"));
    expect(bad.length).toBeGreaterThan(0);
    for (const [l, i] of bad) expect(ours[i]).toBe(l);
  });
});
