/**
 * Babel (UDP 6696/6697) over tcpdump's corpus captures: -nn and -v lines against a live tcpdump, cut
 * captures, tshark's field values, every truncation and byte flips (routing-common.ts).
 */
import { routingSuite } from "./routing-common.js";

routingSuite({
  id: "babel",
  corpus: /babel|hncp_prefix-oobr/i,
  shows: /babel \d/,
  verbose: [0, 1, 2],
  minPackets: 150,
  cut: { files: ["babel.pcap", "babel_rfc6126bis.pcap"], snaps: [60, 62, 64, 66, 70, 74, 80, 90, 100, 120, 150, 200] },
  tshark: { files: ["babel.pcap", "babel_rfc6126bis.pcap", "babel_pad1.pcap"], names: ["babel.magic", "babel.version", "babel.bodylen", "babel.message.type", "babel.message.length"], min: 500 },
  robust: { files: ["babel.pcap", "babel_rfc6126bis.pcap", "babel_pad1.pcap", "babel_auth.pcap"], first: 6 },
});
