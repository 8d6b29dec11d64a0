/** IGMP: v3 and v2 reports and a leave from the kernel; queries and mtrace from the corpus. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "igmp",
  fixtures: ["igmp/igmp.pcap"],
  tshark: [{ pcap: "igmp/igmp.pcap", file: "igmp/igmp.tshark.txt", names: ["igmp.version", "igmp.type", "igmp.maddr", "igmp.num_grp_recs"] }],
  corpus: /igmp|mtrace/i,
  minCorpusRate: 0.95,
});
