/** MPLS label stacks over UDP (port 6635) and over PPP, with IPv4 payloads: tcpdump's line at -nn, -v and -e. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "mpls",
  fixtures: ["mpls/mpls-udp.pcap", "mpls/mpls-ppp.pcap"],
  tshark: [
    { pcap: "mpls/mpls-udp.pcap", file: "mpls/mpls-udp.tshark.txt", names: ["mpls.label", "mpls.exp", "mpls.bottom", "mpls.ttl"] },
    { pcap: "mpls/mpls-ppp.pcap", file: "mpls/mpls-ppp.tshark.txt", names: ["mpls.label", "mpls.exp", "mpls.bottom", "mpls.ttl"] },
  ],
  corpus: /mpls/i,
  // the misses are the LSP-ping, LDP and BGP payloads and fuzzed IPv4 in those files (other dissectors)
  minCorpusRate: 0.8,
});
