/** IPv6: fragments, hop-by-hop, destination options, routing header, no next header; the corpus. */
import { defineNetSuite } from "./net-common.js";

const names = ["ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt", "ipv6.hlim", "ipv6.flow", "icmpv6.type", "icmpv6.code", "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address"];
await defineNetSuite({
  id: "ipv6",
  fixtures: ["ipv6/frag.pcap", "ipv6/exthdr.pcap"],
  tshark: ["frag", "exthdr"].map((n) => ({ pcap: `ipv6/${n}.pcap`, file: `ipv6/${n}.tshark.txt`, names })),
  corpus: /ipv6|ip6|jumbo/i,
  minCorpusRate: 0.5,
});
