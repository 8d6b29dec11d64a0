/**
 * SYN-flood and port-scan alerts (on stderr, through ctx.log). Within a one-second window of packet time:
 *   - more than SYN_FLOOD_THRESHOLD (default 100) SYNs to one address and port: a SYN flood;
 *   - one source sending SYNs to more than PORT_SCAN_THRESHOLD (default 20) ports of one address: a port scan.
 * Each alert is given once per window. Packets are printed as usual (onPacket returns nothing).
 *
 *   tsniff -i eth0 --script examples/syn-flood.ts 'tcp[tcpflags] & tcp-syn != 0'
 *   [syn-flood] ALERT port scan: 10.0.0.9 probed 120 ports on 10.0.0.1 within 1 s
 */
import type { Packet, PluginContext } from "tsniff";

const FLOOD = Number(process.env.SYN_FLOOD_THRESHOLD ?? 100);
const SCAN = Number(process.env.PORT_SCAN_THRESHOLD ?? 20);
const SYN = 0x02;
const ACK = 0x10;

interface Window {
  start: number;
  syns: Map<string, { n: number; sources: Set<string> }>;
  ports: Map<string, Set<number>>;
  alerted: Set<string>;
}

export function onStart(ctx: PluginContext): void {
  ctx.state.alerts = 0;
}

export function onPacket(pkt: Packet, ctx: PluginContext): void {
  const tcp = pkt.tcp;
  const ip = pkt.ip ?? pkt.ipv6;
  if (!tcp || !ip) return;
  const flags = tcp.flags;
  if (!(flags & SYN) || flags & ACK) return;
  let w = ctx.state.window as Window | undefined;
  if (!w || pkt.ts - w.start >= 1) {
    w = { start: pkt.ts, syns: new Map(), ports: new Map(), alerted: new Set() };
    ctx.state.window = w;
  }

  const dst = `${ip.dst}:${tcp.dstport}`;
  const s = w.syns.get(dst) ?? { n: 0, sources: new Set<string>() };
  s.n++;
  s.sources.add(ip.src);
  w.syns.set(dst, s);
  if (s.n > FLOOD && !w.alerted.has("flood " + dst)) {
    w.alerted.add("flood " + dst);
    ctx.state.alerts++;
    ctx.log(`ALERT SYN flood: more than ${FLOOD} SYNs to ${dst} within 1 s from ${s.sources.size} source(s)`);
  }

  const pair = `${ip.src}>${ip.dst}`;
  const ports = w.ports.get(pair) ?? new Set<number>();
  ports.add(tcp.dstport);
  w.ports.set(pair, ports);
  if (ports.size > SCAN && !w.alerted.has("scan " + pair)) {
    w.alerted.add("scan " + pair);
    ctx.state.alerts++;
    ctx.log(`ALERT port scan: ${ip.src} probed more than ${SCAN} ports on ${ip.dst} within 1 s`);
  }
}

export function onStop(ctx: PluginContext): void {
  ctx.log(`${ctx.state.alerts} alert(s)`);
}
