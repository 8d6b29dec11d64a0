/**
 * The TUI's display-filter pass, in a worker thread (the second core): ./filter-thread.ts starts it and sends
 * it the packet index in chunks (file offsets, lengths, times, link types); it reads those packets from the
 * capture file itself (one read per megabyte), dissects each with a tree through its own Dissector and frame
 * builder (every packet in order from the first, as the in-thread pass and tshark -Y see them: tcp.stream and
 * frame.time_delta as tshark's), runs the compiled filter and answers each chunk with the indices that match.
 * The same passes count the statistics view's conversations and hierarchy (kind "stats": each chunk answered
 * with what it added, CaptureStats.delta) and find a followed stream's packets (kind "stream": each chunk
 * answered with where its packets of the conversation have their payload): the heavy dissection and its
 * tables stay in this thread's heap, bounded and dropped at the pass's end (issue #17: RSS), and the main
 * thread keeps only the results.
 *
 * Cancelling: the main thread bumps a shared generation number; a chunk of an older generation is dropped,
 * and a chunk being worked on stops within 256 packets.
 *
 * Messages (in order):
 *   in   { type: "start", gen, file, kind, filter, key, ifaceNames }   a new pass (the filter compiles: the main thread checked)
 *        { type: "chunk", gen, from, fileOff, caplen, wirelen, tsSec, tsNsec, linktype, iface }   packets from..from+n
 *        { type: "end" }                                        the pass is over: its state (dissector tables) is dropped
 *   out  { type: "matches", gen, from, to, list }              list: the matching indices of [from, to)
 *        { type: "stats", gen, from, to, delta }               kind "stats"
 *        { type: "segments", gen, from, to, key, streamIndex, segs }   kind "stream"
 *        { type: "error", gen, message }                       the pass cannot go on (the file cannot be read)
 */
import fs from "node:fs";
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { Dissector } from "../dissectors/index.js";
import { compileDisplayFilter, type DisplayFilter } from "../filter/display.js";
import { FrameBuilder } from "../output/frame.js";
import { HeapKeeper } from "./heap.js";
import { CaptureStats, type StatsDelta } from "./stats.js";
import { StreamData, StreamScan, type StreamKey } from "./stream.js";

export interface StartMsg {
  type: "start";
  gen: number;
  file: string;
  /** what the pass does: a display filter (the default), the statistics view's counts, a followed stream */
  kind?: "filter" | "stats" | "stream";
  filter: string;
  /** kind "stream": the conversation followed */
  key?: StreamKey;
  /** the sources' names by index (CaptureRows.ifaceNames): frame.interface_name */
  ifaceNames?: string[];
}
export interface ChunkMsg {
  type: "chunk";
  gen: number;
  from: number;
  fileOff: Float64Array;
  caplen: Uint32Array;
  wirelen: Uint32Array;
  tsSec: Uint32Array;
  tsNsec: Uint32Array;
  linktype: Uint16Array;
  iface: Uint16Array;
}
/** the pass is over (finished or cancelled): its state is dropped */
export interface EndMsg {
  type: "end";
}
export interface MatchesMsg {
  type: "matches";
  gen: number;
  from: number;
  to: number;
  list: Uint32Array;
}
/** kind "stats": what the chunk's packets added to the counts (CaptureStats.delta) */
export interface StatsMsg {
  type: "stats";
  gen: number;
  from: number;
  to: number;
  delta: StatsDelta;
}
/** kind "stream": the chunk's packets of the conversation, 6 numbers each: packet, direction, payload start, length, TCP seq, SYN (1/0) */
export interface SegmentsMsg {
  type: "segments";
  gen: number;
  from: number;
  to: number;
  /** the conversation (A turned round once the first packet found came from B) and its tcp.stream / udp.stream */
  key: StreamKey;
  streamIndex: number;
  segs: Float64Array;
}
export type AnswerMsg = (MatchesMsg | StatsMsg | SegmentsMsg) & {
  /** the worker's V8 heap, resident bytes (its share of the process's RSS: TSNIFF_TUI_TRACE, bench/tui.mjs) */
  heap?: number;
};
export interface ErrorMsg {
  type: "error";
  gen: number;
  message: string;
}

/** The generation the main thread wants (a cancelled pass's chunks are older). */
const current = new Int32Array(workerData.gen as SharedArrayBuffer);

interface Pass {
  gen: number;
  kind: "filter" | "stats" | "stream";
  filter: DisplayFilter | null;
  stats: CaptureStats | null;
  stream: StreamScan | null;
  /** kind "stream": the segments found in the chunk being worked on */
  segs: number[];
  dis: Dissector;
  frames: FrameBuilder;
  fd: number;
  /** the read-ahead block: [blockStart, blockEnd) of the file */
  block: Uint8Array;
  blockStart: number;
  blockEnd: number;
  scratch: Uint8Array;
}
let pass: Pass | null = null;

function closePass(): void {
  if (!pass) return;
  try {
    fs.closeSync(pass.fd);
  } catch {
    /* closed already */
  }
  pass = null;
}

/** A packet's bytes (valid until the next read): from the read-ahead block, one read per megabyte. */
function bytesAt(p: Pass, off: number, len: number): Uint8Array {
  if (off < p.blockStart || off + len > p.blockEnd) {
    if (len > p.block.length) {
      if (len > p.scratch.length) p.scratch = new Uint8Array(len);
      const n = fs.readSync(p.fd, p.scratch, 0, len, off);
      return p.scratch.subarray(0, n);
    }
    const n = fs.readSync(p.fd, p.block, 0, p.block.length, off);
    p.blockStart = off;
    p.blockEnd = off + n;
    if (off + len > p.blockEnd) return p.block.subarray(0, n); // the file ends inside it (a spool being written)
  }
  const s = off - p.blockStart;
  return p.block.subarray(s, s + len);
}

function chunk(m: ChunkMsg): void {
  const p = pass;
  if (!p || p.gen !== m.gen || Atomics.load(current, 0) !== m.gen) return; // cancelled
  const n = m.caplen.length;
  const list = p.kind === "filter" ? new Uint32Array(n) : null;
  let k = 0;
  // a live spool grows: what was past the block's end before may be there now
  p.blockStart = p.blockEnd = 0;
  for (let j = 0; j < n; j++) {
    if ((j & 255) === 255 && Atomics.load(current, 0) !== m.gen) return; // cancelled meanwhile
    const bytes = bytesAt(p, m.fileOff[j], m.caplen[j]);
    const i = m.from + j;
    if (p.stats) {
      p.stats.visit(bytes, m.linktype[j], m.wirelen[j], m.tsSec[j], m.tsNsec[j], i);
      continue;
    }
    if (p.stream) {
      linktypeOf = m.linktype[j];
      p.stream.visit(i, bytes, m.wirelen[j]);
      continue;
    }
    const { ctx, tree } = p.dis.dissectBytes(bytes, m.linktype[j], { wirelen: m.wirelen[j], tsSec: m.tsSec[j], tsNsec: m.tsNsec[j], frame: i + 1, tree: true });
    const roots = [p.frames.build(ctx, 0, tree!.roots, m.iface[j]), ...tree!.roots];
    if (p.filter!({ roots, data: bytes, end: bytes.length })) list![k++] = i;
  }
  const head = { gen: m.gen, from: m.from, to: m.from + n, heap: getHeapStatistics().total_physical_size };
  if (p.stats) {
    parentPort!.postMessage({ type: "stats", ...head, delta: p.stats.delta() } satisfies StatsMsg);
  } else if (p.stream) {
    const segs = new Float64Array(p.segs);
    p.segs.length = 0;
    const d = p.stream.data;
    parentPort!.postMessage({ type: "segments", ...head, key: d.key, streamIndex: d.streamIndex, segs } satisfies SegmentsMsg, [segs.buffer as ArrayBuffer]);
  } else {
    const out = list!.slice(0, k);
    parentPort!.postMessage({ type: "matches", ...head, list: out } satisfies MatchesMsg, [out.buffer as ArrayBuffer]);
  }
}

/**
 * The worker's heap kept near what the pass holds (./heap.ts): checked after each chunk, a full collection when
 * it grew 12 MB past what was live (V8 alone let it reach ~15 MB more on a million packets).
 */
const keeper = new HeapKeeper(12 * 1048576);

/** the link type of the packet the stream scan visits (it asks by packet number; a chunk has it by position) */
let linktypeOf = 1;

parentPort!.on("message", (m: StartMsg | ChunkMsg | EndMsg) => {
  if (m.type === "end") return closePass();
  try {
    if (m.type === "start") {
      closePass();
      const kind = m.kind ?? "filter";
      const segs: number[] = [];
      pass = {
        gen: m.gen,
        kind,
        filter: kind === "filter" ? compileDisplayFilter(m.filter) : null,
        stats: kind === "stats" ? new CaptureStats() : null,
        stream: kind === "stream" ? new StreamScan(new StreamData(m.key!), () => linktypeOf, (i, dir, start, length, seq, syn) => segs.push(i, dir, start, length, seq, syn ? 1 : 0)) : null,
        segs,
        // (a pass in capture order never dissects a frame again: no tcp.reassembled_in history to keep)
        dis: new Dissector({ reassembly: { history: false } }),
        frames: new FrameBuilder(!!m.ifaceNames, m.ifaceNames), // as CaptureRows.frameBuilder()
        fd: fs.openSync(m.file, "r"),
        block: new Uint8Array(1 << 20),
        blockStart: 0,
        blockEnd: 0,
        scratch: new Uint8Array(65536),
      };
    } else if (m.type === "chunk") {
      chunk(m);
      keeper.check();
    }
  } catch (e) {
    const gen = m.gen;
    closePass();
    parentPort!.postMessage({ type: "error", gen, message: (e as Error)?.message ?? String(e) } satisfies ErrorMsg);
  }
});
