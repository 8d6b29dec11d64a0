/** GRE: plain, key and sequence, checksum, IPv6 and bridged Ethernet payloads; the peer's ICMP answers. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "gre",
  fixtures: ["gre/gre.pcap"],
  tshark: [
    { pcap: "gre/gre.pcap", file: "gre/gre.tshark-gre.txt", names: ["gre.flags_and_version", "gre.proto", "gre.key", "gre.sequence_number"] },
    { pcap: "gre/gre.pcap", file: "gre/gre.tshark.txt", names: ["icmp.type", "icmp.code", "icmp.checksum", "icmp.ident", "icmp.seq"] },
  ],
  corpus: /gre/i,
  minCorpusRate: 0.25,
});
