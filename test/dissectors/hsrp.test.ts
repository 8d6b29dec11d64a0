/**
 * HSRP (UDP 1985) over tcpdump's corpus captures: -nn and -v lines against a live tcpdump, cut captures,
 * tshark's field values, every truncation and byte flips (routing-common.ts).
 */
import { routingSuite } from "./routing-common.js";

routingSuite({
  id: "hsrp",
  corpus: /^HSRP/,
  shows: /HSRPv\d/,
  verbose: [0, 1],
  minPackets: 139,
  cut: { files: ["HSRP_coup.pcap"], snaps: [42, 43, 44, 45, 48, 49, 50, 54, 58, 60, 61, 62, 66] },
  tshark: {
    files: ["HSRP_coup.pcap", "HSRP_election.pcap"],
    names: ["hsrp.version", "hsrp.opcode", "hsrp.state", "hsrp.hellotime", "hsrp.holdtime", "hsrp.priority", "hsrp.group", "hsrp.reserved", "hsrp.virt_ip"],
    min: 500,
  },
  robust: { files: ["HSRP_coup.pcap", "HSRP_election.pcap"], first: 8 },
});
