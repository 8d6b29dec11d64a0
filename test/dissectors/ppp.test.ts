/** PPP (link type PPP): MPLS and IPv4 payloads, the -e header "MPLS (0x0281), length 48: ". */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "ppp",
  fixtures: ["ppp/ppp.pcap"],
  modes: ["t", "e"],
  truncVerbose: [0],
  tshark: [{ pcap: "ppp/ppp.pcap", file: "ppp/ppp.tshark.txt", names: ["ppp.address", "ppp.control", "ppp.protocol"] }],
  corpus: /ppp/i,
  // the misses are fuzzed IPv4/ICMP, OSI (Q.933) and HDLC-escaped frames in those files
  minCorpusRate: 0.6,
});
