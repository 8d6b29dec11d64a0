/** STP, RSTP, MSTP and SPB BPDUs (LLC SAP 0x42, PVST+ over SNAP): tcpdump's line at -nn, -v and -e. */
import { defineNetSuite } from "./net-common.js";

await defineNetSuite({
  id: "stp",
  fixtures: ["stp/stp.pcap"],
  tshark: [
    {
      pcap: "stp/stp.pcap",
      file: "stp/stp.tshark.txt",
      names: ["stp.protocol", "stp.version", "stp.type", "stp.flags", "stp.root.prio", "stp.root.hw", "stp.root.cost", "stp.bridge.prio", "stp.bridge.ext", "stp.bridge.hw", "stp.port", "stp.msg_age", "stp.max_age", "stp.hello", "stp.forward", "stp.flags.port_role", "mstp.version_3_length", "mstp.config_name", "mstp.config_revision_level", "mstp.cist_internal_root_path_cost", "mstp.cist_bridge.hw", "mstp.cist_remaining_hops", "mstp.msti.msti_id", "mstp.msti.root_cost", "mstp.msti.remaining_hops"],
    },
  ],
  corpus: /spanning|stp|bpdu/i,
  // every STP line of these files is tcpdump's; the misses are DTP, VTP, Loopback and fuzzed frames in them
  minCorpusRate: 0.6,
});
