/**
 * HTTP request log: one line per request once its response is seen (method, host, path, status, latency).
 *
 *   tsniff -i eth0 --script examples/http-log.ts 'tcp port 80'
 *   GET 10.0.0.2 /index.html 200 1.234 ms
 *
 * Requests are matched to responses per TCP connection, in order (HTTP/1.x pipelining keeps order).
 * Packets are not printed otherwise (onPacket answers false): this log replaces tsniff's lines.
 */
import type { Packet, PluginContext } from "tsniff";

interface Pending {
  method: string;
  host: string;
  path: string;
  ts: number;
}

function pending(ctx: PluginContext): Map<string, Pending[]> {
  return (ctx.state.pending ??= new Map<string, Pending[]>());
}

export function onPacket(pkt: Packet, ctx: PluginContext): boolean {
  const http = pkt.http;
  const ip = pkt.ip ?? pkt.ipv6;
  const tcp = pkt.tcp;
  if (!http || !ip || !tcp) return false;
  if (http.method) {
    const key = `${ip.src}:${tcp.srcport}>${ip.dst}:${tcp.dstport}`;
    const q = pending(ctx).get(key) ?? [];
    q.push({ method: http.method, host: http.host ?? ip.dst, path: http.uri ?? "", ts: pkt.ts });
    pending(ctx).set(key, q);
  } else if (http.code !== undefined) {
    const key = `${ip.dst}:${tcp.dstport}>${ip.src}:${tcp.srcport}`;
    const req = pending(ctx).get(key)?.shift();
    if (req) console.log(`${req.method} ${req.host} ${req.path} ${http.code} ${((pkt.ts - req.ts) * 1000).toFixed(3)} ms`);
  }
  return false;
}

export function onStop(ctx: PluginContext): void {
  for (const q of pending(ctx).values()) for (const r of q) console.log(`${r.method} ${r.host} ${r.path} - (no response)`);
}
