/**
 * Building and sending packets with the library (not a plugin: a program of its own, run as root).
 * It pings a host, asks its DNS server for a name and probes a few TCP ports with SYNs, like scapy's
 * sr1(IP(dst=..)/ICMP()), sr1(IP(dst=..)/UDP()/DNS(rd=1, qd=DNSQR(qname=..))) and sr(IP(dst=..)/TCP(dport=[..])).
 *
 *   npx tsc examples/craft-probe.ts --module nodenext --target es2022 --outDir /tmp/probe
 *   sudo node /tmp/probe/craft-probe.js 10.0.0.53 www.example.test 22,53,80
 */
import { DNS, ICMP, IP, Raw, sr, sr1, TCP, UDP } from "tsniff";

async function main(host: string, name: string, ports: number[]): Promise<void> {
  const echo = await sr1(IP({ dst: host }).over(ICMP({ id: 0x1234, seq: 1 })).over(Raw("tsniff")), { timeout: 1 });
  console.log(echo ? `ping: ${echo.summary()}` : "ping: no answer");

  const dns = await sr1(IP({ dst: host }).over(UDP({ sport: 40053 })).over(DNS({ id: 0x42, qd: [{ name, type: "A" }] })), { timeout: 1 });
  console.log(dns?.dns ? `dns: ${name} -> ${dns.dns.answers.join(", ") || "(no address)"}` : "dns: no answer");

  const syns = ports.map((dport) => IP({ dst: host }).over(TCP({ sport: 40000 + dport, dport, flags: "S", options: [["MSS", 1460]] })));
  const r = await sr(syns, { timeout: 1 }); // SrResult<Stack<[IPLayer, TCPLayer]>>: sent.layer("tcp") is typed
  for (const { sent, received } of r.answered) {
    const flags = received.tcp?.flags ?? 0;
    console.log(`tcp ${sent.layer("tcp").fields.dport}: ${(flags & 0x12) === 0x12 ? "open" : flags & 0x04 ? "closed" : "answered"}`);
  }
  for (const s of r.unanswered) console.log(`tcp ${s.layer("tcp").fields.dport}: filtered (no answer)`);
}

const [host = "127.0.0.1", name = "localhost", ports = "22,80"] = process.argv.slice(2);
main(host, name, ports.split(",").map(Number)).catch((e: Error) => {
  console.error(`craft-probe: ${e.message}`);
  process.exit(1);
});
