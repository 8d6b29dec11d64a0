/**
 * EAPOL (802.1X, ethertype 0x888e), from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import { corpusSuite } from "./corpus-suite.js";

corpusSuite({
  id: "eapol",
  label: "EAPOL",
  files: /^eap/,
  minPackets: 400,
  cut: { files: ["eapon1.pcap"], snaps: [14, 16, 18, 20, 22, 24, 30, 40, 50, 60] },
  tshark: { files: ["eapon1.pcap"], names: ["eapol.version", "eapol.type", "eapol.len", "eap.code", "eap.id", "eap.len", "eap.type", "eap.identity"], minCompared: 150 },
  robust: { files: ["eapon1.pcap", "eap_extract_read2_asan.pcap"], take: 12, seed: 0xea9, keep: (q) => q.data[12] === 0x88 && q.data[13] === 0x8e },
});
