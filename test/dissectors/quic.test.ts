/** QUIC on udp 443: tcpdump 4.99 prints "UDP, length N"; the long header's fields in the tree. */
import { standardSuite } from "./app-common.js";

await standardSuite({
  id: "quic",
  files: ["quic/quic.pcap"],
  fields: ["quic.header_form", "quic.long.packet_type", "quic.version", "quic.dcil", "quic.dcid", "quic.scil", "quic.scid"],
  ids: ["quic"],
  corpus: /^quic/,
  minCompared: 20,
  minCorpusRate: 0,
});
