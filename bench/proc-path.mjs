#!/usr/bin/env node
/**
 * The process attribution path in-process, no network and no kernel: batches of the flood's frames (1000
 * IPv4 UDP flows no local socket can have, bench/flood.mjs's addresses) through the real Session, with and
 * without the CLI's process step (src/cli/proc.ts liveProc with the /proc engine and a --pname nothing
 * matches: the reorder window, the flow cache, the select step; nothing is written), CPU time per packet.
 * What the live flood (bench/proc.mjs) cannot show apart from the machine's noise. Not a test.
 *   node bench/proc-path.mjs     (after npm run build; BATCH=N packets per batch, default 64)
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);
const { liveProc } = await dist("cli/proc.js");
const { Session } = await dist("session.js");
const { createBatch, ensureCapacity } = await dist("capture/batch.js");

const N = Number(process.env.BATCH ?? 64);
const PACKETS = 2_000_000;

async function once(withProc) {
  const d = Buffer.alloc(76 * N);
  const b = createBatch(N);
  ensureCapacity(b, N);
  let flow = 0;
  const fill = () => {
    for (let i = 0; i < N; i++) {
      const o = i * 76 + 16;
      d.set([2, 0, 0, 0, 0xaa, 1, 2, 0, 0, 0, 0xbb, 1, 8, 0], o);
      d[o + 14] = 0x45;
      d[o + 23] = 17;
      d.set([10, 204, 0, 2, 10, 204, 0, 1], o + 26);
      const port = 10000 + (flow++ % 1000);
      d[o + 34] = port >> 8;
      d[o + 35] = port & 255;
      d[o + 37] = 9;
      b.offset[i] = o;
      b.caplen[i] = b.wirelen[i] = 60;
      b.linktype[i] = 1;
    }
  };
  let stop = false;
  const src = {
    info: { kind: "live", name: "bench", linktype: 1 },
    async run(cb) {
      for (let r = 0; r < PACKETS / N && !stop; r++) {
        if (r % 16 === 0) fill();
        b.count = N;
        b.data = d;
        b.raw = true;
        cb(b);
        if (r % 50 === 0) await new Promise((res) => setImmediate(res));
      }
      return { reason: "eof" };
    },
    stop() {
      stop = true;
    },
    stats: () => null,
  };
  let source = src;
  let select;
  let p;
  if (withProc) {
    p = await liveProc({ procEngine: "proc", pnames: ["nothing-matches"], verbose: 0 }, { pnames: ["nothing-matches"] }, () => {});
    source = p.hold ? p.hold(src) : src;
    select = p.select;
  }
  const consumer = Object.assign(() => {}, { whole: () => {} });
  const s = new Session({ source, consumers: [consumer], select });
  const c0 = process.cpuUsage();
  const r = await s.run();
  const c = process.cpuUsage(c0);
  p?.close();
  return (c.user + c.system) / r.captured;
}

const res = { without: [], with: [] };
for (let round = 0; round < 3; round++) {
  res.without.push(await once(false));
  res.with.push(await once(true));
}
const best = (a) => Math.min(...a);
console.log(`batches of ${N}, ${PACKETS} packets, best of 3: without the process step ${best(res.without).toFixed(3)} us/packet, with it ${best(res.with).toFixed(3)} us/packet (+${(best(res.with) - best(res.without)).toFixed(3)})`);
