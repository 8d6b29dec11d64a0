/**
 * BFD (UDP 3784/3785/4784/6784) over tcpdump's corpus captures: -nn and -v lines against a live tcpdump,
 * cut captures, tshark's field values, every truncation and byte flips (routing-common.ts).
 */
import { routingSuite } from "./routing-common.js";

routingSuite({
  id: "bfd",
  // bfd_source_port_49152.pcap: tcpdump takes source port 49152 for a Broadcom LI shim (no dissector of ours)
  corpus: /^(bfd-|hoobr_bfd)/,
  shows: /BFD/,
  verbose: [0, 1],
  minPackets: 110,
  cut: { files: ["bfd-raw-auth-md5.pcap", "bfd-raw-auth-sha1.pcap", "bfd-raw-auth-simple.pcap"], snaps: [42, 46, 50, 60, 66, 70, 74, 76, 80, 86, 90] },
  tshark: {
    files: ["bfd-multihop.pcap", "bfd-raw-auth-md5.pcap", "bfd-raw-auth-sha1.pcap", "bfd-raw-auth-simple.pcap", "bfd-lag.pcap"],
    names: ["bfd.version", "bfd.diag", "bfd.sta", "bfd.flags", "bfd.detect_time_multiplier", "bfd.message_length", "bfd.my_discriminator", "bfd.your_discriminator", "bfd.desired_min_tx_interval", "bfd.required_min_rx_interval", "bfd.required_min_echo_interval", "bfd.auth.type", "bfd.auth.len", "bfd.auth.key", "bfd.auth.seq_num"],
    min: 1000,
  },
  robust: { files: ["bfd-multihop.pcap", "bfd-raw-auth-md5.pcap", "bfd-raw-auth-sha1.pcap", "bfd-raw-auth-simple.pcap", "bfd-lag.pcap"], first: 3 },
});
