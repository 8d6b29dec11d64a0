/**
 * Cisco UDLD (SNAP OUI 0x00000c, PID 0x0111), from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import { corpusSuite } from "./corpus-suite.js";

corpusSuite({
  id: "udld",
  label: "UDLD",
  files: /^udld|^UDLD/i,
  minPackets: 110,
  cut: { files: ["UDLD.pcap"], snaps: [22, 24, 26, 30, 36, 40, 50, 60, 70, 80] },
  tshark: { files: ["UDLD.pcap"], names: ["udld.version", "udld.opcode", "udld.flags", "udld.checksum", "udld.tlv.type", "udld.tlv.len"], minCompared: 100 },
  robust: { files: ["UDLD.pcap", "udld-inf-loop-1.pcapng"], take: 6, seed: 0x0111 },
});
