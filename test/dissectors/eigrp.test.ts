/**
 * EIGRP (IP protocol 88) over tcpdump's corpus captures: -nn, -v and -vv lines against a live tcpdump, cut
 * captures, tshark's field values, every truncation and byte flips (routing-common.ts).
 */
import { routingSuite } from "./routing-common.js";

routingSuite({
  id: "eigrp",
  corpus: /eigrp/i,
  shows: /EIGRP /,
  verbose: [0, 1, 2],
  minPackets: 106,
  cut: { files: ["EIGRP_adjacency.pcap", "EIGRP_subnet_down.pcap"], snaps: [34, 36, 40, 50, 54, 58, 62, 66, 70, 74, 80, 90, 100, 120, 140] },
  tshark: {
    files: ["EIGRP_adjacency.pcap", "EIGRP_subnet_down.pcap", "EIGRP_ipv6.pcap"],
    names: ["eigrp.version", "eigrp.opcode", "eigrp.flags", "eigrp.seq", "eigrp.ack", "eigrp.vrid", "eigrp.as", "eigrp.tlv_type"],
    min: 500,
  },
  robust: { files: ["EIGRP_adjacency.pcap", "EIGRP_subnet_down.pcap", "EIGRP_ipv6.pcap"], first: 10 },
});
