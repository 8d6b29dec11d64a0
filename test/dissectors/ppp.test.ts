/**
 * PPP (link type PPP): MPLS and IPv4 payloads, the -e header "MPLS (0x0281), length 48: " (ppp.pcap, from the
 * corpus); LCP with options, IPCP, CHAP and PAP at -nn, -v and -e (ppp-control.pcap, written by the fixture script).
 */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "ppp",
  fixtures: ["ppp/ppp.pcap"],
  // ppp.pcap's ICMP time-exceeded carries an MPLS extension that icmp.ts does not print at -v
  modes: ["t", "e"],
  truncVerbose: [0],
  tshark: [{ pcap: "ppp/ppp.pcap", file: "ppp/ppp.tshark.txt", names: ["ppp.address", "ppp.control", "ppp.protocol"] }],
  corpus: /ppp/i,
  // the misses are fuzzed IPv4/ICMP, OSI (Q.933) and HDLC-escaped frames in those files
  minCorpusRate: 0.6,
});

await defineNetSuite({
  id: "ppp-control",
  fixtures: ["ppp/ppp-control.pcap"],
  tshark: [{ pcap: "ppp/ppp-control.pcap", file: "ppp/ppp-control.tshark.txt", names: ["ppp.address", "ppp.control", "ppp.protocol", "ppp.code", "ppp.identifier", "ppp.length"] }],
});
