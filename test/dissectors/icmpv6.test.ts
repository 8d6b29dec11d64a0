/** ICMPv6: echo, neighbor discovery, router solicitation/advertisement, MLDv2, unreachable; the corpus. */
import { defineNetSuite } from "./net-common.js";

const names = ["ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt", "ipv6.hlim", "ipv6.flow", "icmpv6.type", "icmpv6.code", "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address"];
await defineNetSuite({
  id: "icmpv6",
  fixtures: ["icmp6/echo.pcap", "icmp6/nd.pcap", "icmp6/unreach.pcap"],
  tshark: ["echo", "nd", "unreach"].map((n) => ({ pcap: `icmp6/${n}.pcap`, file: `icmp6/${n}.tshark.txt`, names })),
  corpus: /icmp6|icmpv6|^rpl-/i,
  minCorpusRate: 0.45,
});
