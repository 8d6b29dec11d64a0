#!/usr/bin/env node
/**
 * The process attribution path in-process, no network and no kernel: batches of the flood's frames (1000
 * IPv4 UDP flows, bench/flood.mjs's) through the real Session, with and without the CLI's process step
 * (src/cli/proc.ts liveProc with a --pname nothing matches: the reorder window, the flow cache, the select
 * step; nothing is written), CPU time per packet. What the live flood (bench/proc.mjs) cannot show apart
 * from the machine's noise. Not a test.
 *   node bench/proc-path.mjs     (after npm run build)
 *     BATCH=N      packets per batch (default 64; the live flood's batches are ~700)
 *     LOCAL=1      the flows go to an address of this namespace's interfaces (127.0.0.1 without one): a
 *                  local socket could have them, as in the live flood to the capturing interface's address
 *                  (none has) instead of addresses no namespace has
 *     ENGINE=ebpf  the eBPF engine (root) instead of the /proc engine
 *     RATE=N       packets per second (default: as fast as it goes; the live flood is ~50000): the flows'
 *                  answers expire as in the live capture, at the live capture's pace
 *     PACKETS=N    packets per run (default 2000000, or 10 s worth at RATE)
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);
const { liveProc } = await dist("cli/proc.js");
const { Session } = await dist("session.js");
const { createBatch, ensureCapacity } = await dist("capture/batch.js");
// (TSNIFF_PROC_DEBUG=counters: src/proc/debug.ts's counters of the last run with the process step)
const { debugCounts } = await dist("proc/debug.js");

const N = Number(process.env.BATCH ?? 64);
const RATE = Number(process.env.RATE ?? 0);
const PACKETS = Number(process.env.PACKETS ?? (RATE ? RATE * 10 : 2_000_000));
const LOCAL = !!process.env.LOCAL;
const ENGINE = process.env.ENGINE === "ebpf" ? "ebpf" : "proc";
// (LOCAL: from an address no namespace has to this namespace's first IPv4 interface address, or 127.0.0.1)
const here = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address ?? "127.0.0.1";
const ADDRS = LOCAL ? [10, 204, 0, 2, ...here.split(".").map(Number)] : [10, 204, 0, 2, 10, 204, 0, 1];

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
      d.set(ADDRS, o + 26);
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
      const t0 = performance.now();
      for (let r = 0; r < PACKETS / N && !stop; r++) {
        // (at RATE: every batch is new packets, the flows' rotation goes on across batches)
        if (RATE || r % 16 === 0) fill();
        b.count = N;
        b.data = d;
        b.raw = true;
        cb(b);
        if (RATE) {
          const due = t0 + (((r + 1) * N) / RATE) * 1000;
          const wait = due - performance.now();
          await new Promise((res) => (wait > 1 ? setTimeout(res, wait) : setImmediate(res)));
        } else if (r % 50 === 0) await new Promise((res) => setImmediate(res));
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
    for (const k of Object.keys(debugCounts)) debugCounts[k] = 0;
    p = await liveProc({ procEngine: ENGINE, pnames: ["nothing-matches"], verbose: 0 }, { pnames: ["nothing-matches"] }, () => {});
    source = p.hold ? p.hold(src) : src;
    select = p.select;
  }
  const consumer = Object.assign(() => {}, { whole: () => {} });
  const s = new Session({ source, consumers: [consumer], select });
  const c0 = process.cpuUsage();
  const r = await s.run();
  const c = process.cpuUsage(c0);
  const work = p?.summary().slice(1).join("; ");
  p?.close();
  return { us: (c.user + c.system) / r.captured, work };
}

const res = { without: [], with: [] };
let work = "";
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
  res.without.push((await once(false)).us);
  const w = await once(true);
  res.with.push(w.us);
  work = w.work;
}
const best = (a) => Math.min(...a);
console.log(
  `${LOCAL ? `flows to ${here}` : "flows between addresses no namespace has"}, ${ENGINE} engine, batches of ${N}, ${PACKETS} packets${RATE ? ` at ${RATE}/s` : ""}, best of 3: ` +
    `without the process step ${best(res.without).toFixed(3)} us/packet, with it ${best(res.with).toFixed(3)} us/packet (+${(best(res.with) - best(res.without)).toFixed(3)})\n  (last run: ${work})`,
);
if (process.env.TSNIFF_PROC_DEBUG) console.log(`  counters of the last run: ${JSON.stringify(debugCounts)}`);
