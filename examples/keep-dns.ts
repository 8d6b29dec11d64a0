/**
 * The library as scapy users use it: sniff DNS for a while printing one line per packet (prn's string), keep
 * the packets, then look at them afterwards (typed fields) and save the answers to a file.
 *
 *   tsc it (the examples type-check with --strict), then: node keep-dns.js eth0 10
 *
 * Kept packets stay valid after their callback (docs/LIBRARY.md, "Packets"); field names are checked at
 * compile time (p.get("dns.qry.nmae") would not compile).
 */
import { sniff, wrpcap, type Packet } from "tsniff";

const iface = process.argv[2] ?? "lo";
const seconds = Number(process.argv[3] ?? 10);

const kept: Packet[] = [];
await sniff({
  iface,
  filter: "udp port 53",
  timeout: seconds,
  store: false,
  prn: (p) => {
    kept.push(p); // safe: the packet gets its own bytes when its batch ends
    return `${p.dns?.response ? "answer" : "query "} ${p.dns?.qryName ?? "?"}`;
  },
});

const answers = kept.filter((p) => p.get("dns.flags.response") === true);
const failed = answers.filter((p) => (p.get("dns.flags.rcode") ?? 0) !== 0);
for (const p of failed) console.log(`failed: ${p.dns?.qryName} rcode ${p.get("dns.flags.rcode")} (${p.getAll("dns.a").length} addresses)`);
const n = await wrpcap("dns-answers.pcap", answers);
console.log(`${kept.length} DNS packets, ${n} answers saved to dns-answers.pcap`);
