/** 802.1Q and 802.1ad: tagged ARP, ICMP, UDP and IPv6, QinQ; nothing printed without -e, as tcpdump. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "vlan",
  fixtures: ["vlan/vlan.pcap"],
  tshark: [{ pcap: "vlan/vlan.pcap", file: "vlan/vlan.tshark.txt", names: ["vlan.id", "vlan.priority", "vlan.etype"] }],
  corpus: /vlan|qinq|802\.1ad|8021q/i,
  minCorpusRate: 0.95,
});
