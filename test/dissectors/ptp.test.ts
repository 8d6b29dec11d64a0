/**
 * PTP (IEEE 1588) over Ethernet (0x88f7) and UDP 319/320, from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import { corpusSuite } from "./corpus-suite.js";

corpusSuite({
  id: "ptp",
  label: "PTP",
  files: /^ptp/,
  flagSets: [[], ["-v"], ["-e"]],
  minPackets: 600,
  cut: { files: ["ptp_ethernet.pcap", "ptp.pcap", "ptp_management.pcap"], snaps: [14, 20, 30, 48, 50, 60, 66, 78, 88], verbosities: [0] },
  tshark: { files: ["ptp_ethernet.pcap", "ptp.pcap"], names: ["ptp.v2.messagetype", "ptp.v2.messagelength", "ptp.v2.domainnumber", "ptp.v2.flags", "ptp.v2.correction.ns", "ptp.v2.sourceportid", "ptp.v2.sequenceid", "ptp.v2.controlfield", "ptp.v2.logmessageperiod"], minCompared: 1000 },
  robust: { files: ["ptp_ethernet.pcap", "ptp.pcap", "ptp_management.pcap"], take: 8, seed: 0x1588 },
});
