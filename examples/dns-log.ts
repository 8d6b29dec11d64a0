/**
 * DNS log: each query, and each answer with its records and the time since the query.
 *
 *   tsniff -i eth0 --script examples/dns-log.ts 'port 53'
 *   query 0x6d9e 10.0.0.1 host1.example. A
 *   answer 0x6d9e 10.0.0.1 host1.example. NOERROR 10.1.2.3 0.412 ms
 *
 * Packets are not printed otherwise (onPacket answers false).
 */
import type { Packet, PluginContext } from "tsniff";

const TYPES: Record<number, string> = { 1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV", 65: "HTTPS", 255: "ANY" };
const RCODES: Record<number, string> = { 0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED" };

export function onPacket(pkt: Packet, ctx: PluginContext): boolean {
  const dns = pkt.dns;
  const ip = pkt.ip ?? pkt.ipv6;
  if (!dns || !ip) return false;
  const id = "0x" + Number(pkt.get("dns.id") ?? 0).toString(16).padStart(4, "0");
  const name = dns.qryName ?? "<none>";
  const sent: Map<string, number> = (ctx.state.sent ??= new Map());
  if (!dns.response) {
    const t = Number(pkt.get("dns.qry.type") ?? 0);
    sent.set(`${id} ${ip.src} ${name}`, pkt.ts);
    console.log(`query ${id} ${ip.src} ${name} ${TYPES[t] ?? t}`);
  } else {
    const key = `${id} ${ip.dst} ${name}`;
    const t0 = sent.get(key);
    sent.delete(key);
    const rc = Number(pkt.get("dns.flags.rcode") ?? 0);
    const answers = dns.answers.length ? dns.answers.join(",") : "-";
    const latency = t0 === undefined ? "" : ` ${((pkt.ts - t0) * 1000).toFixed(3)} ms`;
    console.log(`answer ${id} ${ip.dst} ${name} ${RCODES[rc] ?? rc} ${answers}${latency}`);
  }
  return false;
}
