/**
 * RIP (UDP 520) and RIPng (UDP 521) over tcpdump's corpus captures: -nn, -v and -vv lines against a live
 * tcpdump, cut captures, tshark's field values, every truncation and byte flips (routing-common.ts).
 */
import { routingSuite } from "./routing-common.js";

routingSuite({
  id: "rip",
  corpus: /^(rip|hoobr_ripng)/i,
  shows: /RIPv\d|ripng| \[vers \d+\]/,
  verbose: [0, 1, 2],
  minPackets: 19,
  // tcpdump dumps an entry of an unknown family from bytes past the UDP length (the IP payload has 4 more);
  // tsniff reads no further than the UDP length says
  knownVerbose: [{ file: "ripv2-invalid-length.pcap", packet: 1, why: "hex dump past the UDP length" }],
  cut: { files: ["ripv2_auth.pcap", "ripv1v2.pcap"], snaps: [42, 44, 46, 50, 54, 58, 62, 66, 70, 74, 78, 82, 90, 100] },
  tshark: {
    files: ["ripv1v2.pcap", "ripv2_auth.pcap"],
    names: ["rip.command", "rip.version", "rip.family", "rip.route_tag", "rip.ip", "rip.netmask", "rip.next_hop", "rip.metric"],
    min: 40,
  },
  robust: { files: ["ripv1v2.pcap", "ripv2_auth.pcap", "rip_error_hexdump.pcap", "ripv2-invalid-length.pcap", "hoobr_ripng_print.pcap"], first: 4 },
});
