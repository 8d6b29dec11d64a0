/**
 * The TUI's display-filter pass, in a worker thread (the second core): ./filter-thread.ts starts it and sends
 * it the packet index in chunks (file offsets, lengths, times, link types); it reads those packets from the
 * capture file itself (one read per megabyte), dissects each with a tree through its own Dissector and frame
 * builder (every packet in order from the first, as the in-thread pass and tshark -Y see them: tcp.stream and
 * frame.time_delta as tshark's), runs the compiled filter and answers each chunk with the indices that match.
 *
 * Cancelling: the main thread bumps a shared generation number; a chunk of an older generation is dropped,
 * and a chunk being worked on stops within 256 packets.
 *
 * Messages (in order):
 *   in   { type: "start", gen, file, filter, ifaceNames }                  a new pass (the filter compiles: the main thread checked)
 *        { type: "chunk", gen, from, fileOff, caplen, wirelen, tsSec, tsNsec, linktype, iface }   packets from..from+n
 *   out  { type: "matches", gen, from, to, list }              list: the matching indices of [from, to)
 *        { type: "error", gen, message }                       the pass cannot go on (the file cannot be read)
 */
import fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { Dissector } from "../dissectors/index.js";
import { compileDisplayFilter, type DisplayFilter } from "../filter/display.js";
import { FrameBuilder } from "../output/frame.js";

export interface StartMsg {
  type: "start";
  gen: number;
  file: string;
  filter: string;
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
export interface MatchesMsg {
  type: "matches";
  gen: number;
  from: number;
  to: number;
  list: Uint32Array;
}
export interface ErrorMsg {
  type: "error";
  gen: number;
  message: string;
}

/** The generation the main thread wants (a cancelled pass's chunks are older). */
const current = new Int32Array(workerData.gen as SharedArrayBuffer);

interface Pass {
  gen: number;
  filter: DisplayFilter;
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
  const list = new Uint32Array(n);
  let k = 0;
  // a live spool grows: what was past the block's end before may be there now
  p.blockStart = p.blockEnd = 0;
  for (let j = 0; j < n; j++) {
    if ((j & 255) === 255 && Atomics.load(current, 0) !== m.gen) return; // cancelled meanwhile
    const bytes = bytesAt(p, m.fileOff[j], m.caplen[j]);
    const i = m.from + j;
    const { ctx, tree } = p.dis.dissectBytes(bytes, m.linktype[j], { wirelen: m.wirelen[j], tsSec: m.tsSec[j], tsNsec: m.tsNsec[j], frame: i + 1, tree: true });
    const roots = [p.frames.build(ctx, 0, tree!.roots, m.iface[j]), ...tree!.roots];
    if (p.filter({ roots, data: bytes, end: bytes.length })) list[k++] = i;
  }
  const out = list.slice(0, k);
  parentPort!.postMessage({ type: "matches", gen: m.gen, from: m.from, to: m.from + n, list: out } satisfies MatchesMsg, [out.buffer as ArrayBuffer]);
}

parentPort!.on("message", (m: StartMsg | ChunkMsg) => {
  try {
    if (m.type === "start") {
      closePass();
      pass = {
        gen: m.gen,
        filter: compileDisplayFilter(m.filter),
        // (a pass in capture order never dissects a frame again: no tcp.reassembled_in history to keep)
        dis: new Dissector({ reassembly: { history: false } }),
        frames: new FrameBuilder(!!m.ifaceNames, m.ifaceNames), // as CaptureRows.frameBuilder()
        fd: fs.openSync(m.file, "r"),
        block: new Uint8Array(1 << 20),
        blockStart: 0,
        blockEnd: 0,
        scratch: new Uint8Array(65536),
      };
    } else if (m.type === "chunk") chunk(m);
  } catch (e) {
    const gen = m.gen;
    closePass();
    parentPort!.postMessage({ type: "error", gen, message: (e as Error)?.message ?? String(e) } satisfies ErrorMsg);
  }
});
