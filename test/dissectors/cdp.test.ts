/** CDP (SNAP, Cisco pid 0x2000): tcpdump 4.99's -nn line with its hex dumps, the -v TLV lines, -e. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "cdp",
  fixtures: ["cdp/cdp.pcap"],
  tshark: [{ pcap: "cdp/cdp.pcap", file: "cdp/cdp.tshark.txt", names: ["cdp.version", "cdp.ttl", "cdp.checksum", "cdp.tlv.type", "cdp.tlv.len", "cdp.deviceid", "cdp.platform", "cdp.portid", "cdp.capabilities", "cdp.vtp_management_domain", "cdp.native_vlan", "cdp.duplex"] }],
  corpus: /cdp/i,
  minCorpusRate: 0.95,
});
