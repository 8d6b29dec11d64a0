/** PPPoE discovery (PADI tags) and session (LCP echo requests in PPP): tcpdump's -nn, -v and -e lines. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "pppoe",
  fixtures: ["pppoe/pppoe.pcap"],
  tshark: [{ pcap: "pppoe/pppoe.pcap", file: "pppoe/pppoe.tshark.txt", names: ["pppoe.version", "pppoe.type", "pppoe.code", "pppoe.session_id", "pppoe.payload_length", "pppoed.tag", "pppoed.tag_length", "ppp.protocol", "ppp.code", "ppp.identifier"] }],
  corpus: /pppoe/i,
  minCorpusRate: 0.95,
});
