/** ARP: fixtures/arp (kernel ARP between two namespaces), VLAN-tagged and SNAP-carried ARP, the corpus. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "arp",
  fixtures: ["arp/arp.pcap"],
  tshark: [
    {
      pcap: "arp/arp.pcap",
      file: "arp/arp.tshark.txt",
      names: ["arp.hw.type", "arp.proto.type", "arp.hw.size", "arp.proto.size", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4"],
    },
  ],
  corpus: /arp/i,
  minCorpusRate: 0.95,
});
