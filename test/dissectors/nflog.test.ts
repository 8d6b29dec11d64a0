/** Linux NFLOG (link type 239): the logged IPv4 packets as tcpdump prints them, and its -e header. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "nflog",
  fixtures: ["nflog/nflog.pcap"],
  tshark: [{ pcap: "nflog/nflog.pcap", file: "nflog/nflog.tshark.txt", names: ["nflog.family", "nflog.version", "nflog.res_id", "nflog.tlv_length", "nflog.tlv_type"] }],
  corpus: /nflog/i,
  minCorpusRate: 0.95,
});
