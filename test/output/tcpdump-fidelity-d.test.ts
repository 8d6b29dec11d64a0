/**
 * Issue #13, part D: the per-protocol rows of docs/FIDELITY.md that were below 95% (ICMP, IPv6, OSPF, BGP,
 * LLDP, ...). Each case is a corpus capture and the modes of the report (-nn, -nn -v, -nn -e): tsniff's text
 * for every packet, dissected in-process through the library, must equal tcpdump's for that packet. tcpdump
 * runs with -# so that its packets are told apart by their numbers (a -v packet's continuation lines and a
 * tunnel's inner packet on a line of its own are part of the packet, as in tsniff's text), as
 * scripts/fidelity.mjs compares them. Nothing of tcpdump's output is written down here.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS } from "../helpers/paths.js";
import { ALL_MODES, fidelitySuite, type Mode } from "../helpers/tcpdump-packets.js";
import { readCapture, robustness } from "../dissectors/net-common.js";

const ALL = ALL_MODES;
const suite = fidelitySuite;

suite("IPv6 Mobility Header (next header 135 and 62), as tcpdump prints it", [
  { file: "ipv6_mobility_1.pcap", modes: ALL },
  { file: "ipv6-mobility-header-oobr.pcap", modes: ALL },
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ file: n === 1 ? "mobility_opt_asan.pcap" : `mobility_opt_asan_${n}.pcap`, modes: ALL })),
]);

suite("IPv6 extension headers: a routing header cut inside its first bytes, Jumbo Payload options", [
  { file: "hoobr_rt6_print.pcap", modes: ALL, shows: /RT6/ },
  { file: "ipv6-too-long-jumbo.pcap", modes: ALL },
]);

describe.skipIf(!fs.existsSync(CORPUS))("the Mobility Header's and DVMRP's printers", () => {
  it("survive every truncation and seeded byte flips of the corpus's mobility and DVMRP captures", async () => {
    const problems: string[] = [];
    for (const f of ["ipv6_mobility_1.pcap", "mobility_opt_asan_4.pcap", "ipv6-mobility-header-oobr.pcap", "mrinfo_query.pcap", "relts-0x80000000.pcap"]) {
      const { packets } = await readCapture(path.join(CORPUS, f));
      problems.push(...robustness(packets, { seed: 0x0135 }).map((p) => `${f}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});

suite("BGP UPDATE at -v: AS4 Path, MP_REACH / MP_UNREACH (IPv4/IPv6 unicast, labeled, labeled VPN; ADD-PATH), extended communities", [
  ...["bgp-4byte-asn.pcap", "bgp-addpath.pcap", "bgp-lu-multiple-labels.pcap", "bgp-link-bw-extcommunity.pcapng", "bgp-ovs.pcapng", "mpbgp-linklocal-nexthop.pcap"].map((file) => ({ file, modes: ALL, shows: /BGP/ })),
]);

suite("TCP MD5 signature option (RFC 2385): tcpdump cannot check it without -M, and says so", [
  ...["bgp-as-path-oobr.pcap", "bgp-aigp-oobr.pcap"].map((file) => ({ file, modes: ["-nn", "-e"] as Mode[], shows: /md5/ })),
]);

suite("LLDP at -v: text TLVs with control characters as tcpdump's ^J / M-x", [
  ...["LLDP_and_CDP.pcap", "erspan-type-i-4.pcap", "lldp_asan.pcap", "lldp_mudurl.pcap", "lldp_8021_linkagg.pcap"].map((file) => ({ file, modes: ["-v"] as Mode[], shows: /LLDP/ })),
]);

suite("syslog at -v: the message with control characters as tcpdump's ^@", [{ file: "syslog_udp.pcap", modes: ALL }]);

suite("DVMRP in IGMP: Ask-neighbors2, Neighbors2 with the version and each neighbour's flags, Prune's lifetime", [
  { file: "mrinfo_query.pcap", modes: ALL },
  { file: "relts-0x80000000.pcap", modes: ALL },
]);
