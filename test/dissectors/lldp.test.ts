/** LLDP: tcpdump's -nn line (length and system name), its -v TLV lines (802.1, 802.3, MUD-URL), -e. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "lldp",
  fixtures: ["lldp/lldp.pcap"],
  tshark: [{ pcap: "lldp/lldp.pcap", file: "lldp/lldp.tshark.txt", names: ["lldp.tlv.type", "lldp.tlv.len", "lldp.chassis.id.mac", "lldp.port.id", "lldp.time_to_live", "lldp.tlv.system.name", "lldp.port.desc", "lldp.tlv.system_cap"] }],
  corpus: /lldp/i,
  // every LLDP and CDP line of these files is tcpdump's; the one miss is an unknown ethertype tcpdump hex-dumps (lldp_mgmt_addr_tlv_asan.pcap)
  minCorpusRate: 0.95,
});
