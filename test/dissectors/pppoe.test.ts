/** PPPoE discovery (PADI tags) and session (LCP in PPP): tcpdump's -nn and -e lines; LCP options (-v) are not decoded. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "pppoe",
  fixtures: ["pppoe/pppoe.pcap"],
  modes: ["t", "e"],
  truncVerbose: [0],
  tshark: [{ pcap: "pppoe/pppoe.pcap", file: "pppoe/pppoe.tshark.txt", names: ["pppoe.version", "pppoe.type", "pppoe.code", "pppoe.session_id", "pppoe.payload_length", "pppoed.tag", "pppoed.tag_length", "ppp.protocol", "ppp.code", "ppp.identifier"] }],
  corpus: /pppoe/i,
  minCorpusRate: 0.95,
});
