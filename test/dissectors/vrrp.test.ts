/**
 * VRRP (IP protocol 112) over tcpdump's corpus captures: -nn and -v lines against a live tcpdump, cut
 * captures, tshark's field values, every truncation and byte flips (routing-common.ts).
 * vrrp-vrrp_print-oobr.pcap is a Frame Relay capture: tsniff has no Frame Relay dissector yet, so it is
 * left out here (its lines are the link layer's business).
 */
import { routingSuite } from "./routing-common.js";

routingSuite({
  id: "vrrp",
  corpus: /^(vrrp\.pcap|vrrp-vrrp_print-oobr-2|icmp-icmp_print-oobr-1)/,
  shows: /VRRPv\d/,
  verbose: [0, 1],
  minPackets: 170,
  cut: { files: ["vrrp.pcap"], snaps: [34, 35, 36, 37, 38, 40, 42, 44, 46, 50, 54, 58, 62, 70, 80, 100] },
  tshark: {
    files: ["vrrp.pcap"],
    names: ["vrrp.version", "vrrp.type", "vrrp.virt_rtr_id", "vrrp.prio", "vrrp.addr_count", "vrrp.auth_type", "vrrp.adver_int", "vrrp.checksum", "vrrp.ip_addr"],
    min: 1000,
  },
  robust: { files: ["vrrp.pcap", "vrrp-vrrp_print-oobr-2.pcap"], first: 10 },
});
