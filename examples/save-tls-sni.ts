/**
 * Saves only the TLS flows to port 443 whose server name (SNI) matches a pattern, whole (from the SYN), to a
 * pcap file. A flow's packets are held until its ClientHello shows the name (at most 64 of them), then written
 * or forgotten.
 *
 *   SNI_PATTERN='\.example\.com$' SNI_OUT=example.pcap tsniff -i eth0 --script examples/save-tls-sni.ts 'tcp port 443'
 *
 * SNI_PATTERN is a regular expression (default: every name); SNI_OUT the file (default tls-sni.pcap).
 * Nothing is printed per packet (onPacket answers false); each saved flow is logged on stderr.
 */
import type { Packet, PluginContext } from "tsniff";

const PATTERN = new RegExp(process.env.SNI_PATTERN ?? ".");
const OUT = process.env.SNI_OUT ?? "tls-sni.pcap";
const PORT = Number(process.env.SNI_PORT ?? 443);
const HOLD = 64;

type Flow = { state: "wait"; held: Packet[] } | { state: "save" } | { state: "skip" };

export function onStart(ctx: PluginContext): void {
  ctx.state.flows = new Map<string, Flow>();
  ctx.state.saved = 0;
  ctx.openWriter(OUT);
}

export function onPacket(pkt: Packet, ctx: PluginContext): boolean {
  const tcp = pkt.tcp;
  const ip = pkt.ip ?? pkt.ipv6;
  if (!tcp || !ip || (tcp.dstport !== PORT && tcp.srcport !== PORT)) return false;
  const client = tcp.dstport === PORT ? `${ip.src}:${tcp.srcport}` : `${ip.dst}:${tcp.dstport}`;
  const server = tcp.dstport === PORT ? `${ip.dst}:${tcp.dstport}` : `${ip.src}:${tcp.srcport}`;
  const key = `${client}>${server}`;
  const flows: Map<string, Flow> = ctx.state.flows;
  let f = flows.get(key);
  if (!f) {
    f = { state: "wait", held: [] };
    flows.set(key, f);
  }
  if (f.state === "save") ctx.write(pkt);
  if (f.state !== "wait") return false;

  const sni = tcp.dstport === PORT ? pkt.get("tls.handshake.extensions_server_name") : undefined;
  if (typeof sni === "string") {
    if (PATTERN.test(sni)) {
      for (const h of f.held) ctx.write(h);
      ctx.write(pkt);
      flows.set(key, { state: "save" });
      ctx.state.saved++;
      ctx.log(`saving ${key} sni=${sni}`);
    } else flows.set(key, { state: "skip" });
    return false;
  }
  // Kept beyond this call: a clone (the packet is a view of the capture buffer).
  if (f.held.length < HOLD) f.held.push(pkt.clone());
  else flows.set(key, { state: "skip" });
  return false;
}

export function onStop(ctx: PluginContext): void {
  ctx.log(`${ctx.state.saved} flow(s) saved to ${OUT}`);
}
