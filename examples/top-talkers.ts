/**
 * Top talkers: every second, the five sources that sent the most bytes in that second.
 *
 *   tsniff -i eth0 --script examples/top-talkers.ts
 *   top talkers 12:00:01
 *     10.0.0.1          42 pkts      61234 bytes
 *
 * Seconds are packet time (so a file gives the same report as the live capture did); a live capture also
 * reports quiet seconds from a timer. Packets are not printed otherwise (onPacket answers false).
 */
import type { Packet, PluginContext } from "tsniff";

interface Talker {
  pkts: number;
  bytes: number;
}

const TOP = Number(process.env.TOP_TALKERS_N ?? 5);

function report(ctx: PluginContext): void {
  const s = ctx.state;
  const m: Map<string, Talker> = s.talkers;
  if (s.second === undefined || m.size === 0) return;
  console.log(`top talkers ${new Date(s.second * 1000).toISOString().slice(11, 19)}`);
  const rows = [...m].sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
  for (const [addr, t] of rows) console.log(`  ${addr.padEnd(39)} ${String(t.pkts).padStart(6)} pkts ${String(t.bytes).padStart(10)} bytes`);
  m.clear();
}

export function onStart(ctx: PluginContext): void {
  ctx.state.talkers = new Map<string, Talker>();
  if (ctx.stats().kernel) {
    // Live: a quiet second still ends the current one.
    ctx.state.timer = setInterval(() => {
      const now = Math.floor(Date.now() / 1000);
      if (ctx.state.second !== undefined && now > ctx.state.second + 1) report(ctx);
    }, 1000);
  }
}

export function onPacket(pkt: Packet, ctx: PluginContext): boolean {
  const sec = pkt.tsSec;
  if (ctx.state.second !== undefined && sec !== ctx.state.second) report(ctx);
  ctx.state.second = sec;
  const src = pkt.ip?.src ?? pkt.ipv6?.src;
  if (!src) return false;
  const m: Map<string, Talker> = ctx.state.talkers;
  const t = m.get(src);
  if (t) {
    t.pkts++;
    t.bytes += pkt.len;
  } else m.set(src, { pkts: 1, bytes: pkt.len });
  return false;
}

export function onStop(ctx: PluginContext): void {
  clearInterval(ctx.state.timer);
  report(ctx);
}
