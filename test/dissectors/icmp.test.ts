/** ICMP: echo, port and protocol unreachable (with the quoted packet), time exceeded, fragments; the corpus. */
import { defineNetSuite } from "./net-common.js";

const names = ["icmp.type", "icmp.code", "icmp.checksum", "icmp.ident", "icmp.seq"];
await defineNetSuite({
  id: "icmp",
  fixtures: ["icmp/echo.pcap", "icmp/unreach.pcap", "icmp/timex.pcap", "icmp/frag.pcap"],
  tshark: ["echo", "unreach", "timex", "frag"].map((n) => ({ pcap: `icmp/${n}.pcap`, file: `icmp/${n}.tshark.txt`, names })),
  corpus: /^icmp[-_]/i,
  minCorpusRate: 0.4,
});
