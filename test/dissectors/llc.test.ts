/** 802.2 LLC and SNAP: SNAP-carried IPv4 and ARP, and the LLC header under -e. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "llc",
  fixtures: ["llc/llc.pcap"],
  tshark: [{ pcap: "llc/llc.pcap", file: "llc/llc.tshark.txt", names: ["llc.dsap", "llc.ssap", "llc.control", "llc.oui", "llc.pid"] }],
  corpus: /llc|snap|stp/i,
  // The corpus files named for LLC carry STP and IPX, which have no dissector yet: only "never crashes" holds.
  minCorpusRate: 0,
});
