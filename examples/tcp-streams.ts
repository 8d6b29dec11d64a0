/**
 * TCP streams: each connection's bytes each way, put in order by the stream API (TcpTracker), with the first
 * line each side sent, and what was missing.
 *
 *   tsniff -r fixtures/http/http.pcap --script examples/tcp-streams.ts
 *   [tcp-streams] stream 0 10.202.0.1:50206 > 10.202.0.2:80: 1023 bytes >, 5915 bytes <, 0 missing (fin)
 *     > GET / HTTP/1.1
 *     < HTTP/1.1 200 OK
 *
 * Packets are not printed otherwise (onPacket answers false).
 */
import { TcpTracker, type Packet, type PluginContext, type TcpStreamInfo } from "tsniff";

const first = new Map<number, [string, string]>();

function firstLine(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length && i < 200 && data[i] !== 0x0a; i++) s += data[i] >= 0x20 && data[i] < 0x7f ? String.fromCharCode(data[i]) : data[i] === 0x0d ? "" : ".";
  return s;
}

function report(s: TcpStreamInfo, how: string): void {
  console.log(`[tcp-streams] stream ${s.stream} ${s.a.addr}:${s.a.port} > ${s.b.addr}:${s.b.port}: ${s.bytes[0]} bytes >, ${s.bytes[1]} bytes <, ${s.missing[0] + s.missing[1]} missing (${how})`);
  const f = first.get(s.stream);
  if (f?.[0]) console.log(`  > ${f[0]}`);
  if (f?.[1]) console.log(`  < ${f[1]}`);
  first.delete(s.stream);
}

export function onStart(ctx: PluginContext): void {
  const tracker = new TcpTracker();
  tracker.onStream((data, dir, s) => {
    const f = first.get(s.stream) ?? ["", ""];
    if (!f[dir]) f[dir] = firstLine(data);
    first.set(s.stream, f);
  });
  tracker.onEnd(report);
  ctx.state.tracker = tracker;
}

export function onPacket(pkt: Packet, ctx: PluginContext): boolean {
  (ctx.state.tracker as TcpTracker).packet(pkt);
  return false;
}

export function onStop(ctx: PluginContext): void {
  (ctx.state.tracker as TcpTracker).end();
}
