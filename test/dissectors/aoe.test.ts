/**
 * AoE (ATA over Ethernet, ethertype 0x88a2), from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import { corpusSuite } from "./corpus-suite.js";

corpusSuite({
  id: "aoe",
  label: "AoE",
  files: /^aoe|^AoE/i,
  minPackets: 700,
  cut: { files: ["AoE_Linux.pcap"], snaps: [14, 15, 20, 24, 26, 28, 30, 32, 40, 60] },
  tshark: { files: ["AoE_Linux.pcap"], names: ["aoe.version", "aoe.response", "aoe.flags_error", "aoe.major", "aoe.minor", "aoe.cmd", "aoe.tag"], minCompared: 1000 },
  robust: { files: ["AoE_Linux.pcap", "aoe-oobr-1.pcap"], take: 8, seed: 0xa0e },
});
