/** VXLAN: a kernel tunnel between two namespaces (inner ARP and ICMP on their own lines, as tcpdump). */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "vxlan",
  fixtures: ["vxlan/vxlan.pcap"],
  tshark: [{ pcap: "vxlan/vxlan.pcap", file: "vxlan/vxlan.tshark.txt", names: ["vxlan.flags", "vxlan.vni"] }],
  corpus: /vxlan/i,
  minCorpusRate: 0.9,
});
