/**
 * The slow protocols (LACP, Marker, OAM; ethertype 0x8809), from tcpdump's corpus captures, against a live
 * tcpdump (-nn, -v and -e lines, and captures cut by editcap), a live tshark (the header fields), every
 * truncation and seeded byte flips.
 */
import { corpusSuite } from "./corpus-suite.js";

corpusSuite({
  id: "slow protocols",
  label: "slow protocol (LACP and OAM)",
  files: /^LACP|^slow-/,
  minPackets: 80,
  cut: { files: ["LACP.pcap"], snaps: [14, 15, 16, 18, 20, 30, 38, 40, 60, 80, 100, 124] },
  tshark: { files: ["LACP.pcap"], names: ["slow.subtype", "lacp.version", "lacp.actor.sysid", "lacp.actor.key", "lacp.actor.port", "lacp.actor.state", "lacp.partner.sysid", "lacp.partner.key", "lacp.collector.max_delay"], minCompared: 100 },
  robust: { files: ["LACP.pcap", "slow-ossp.pcap"], take: 6, seed: 0x8809 },
});
