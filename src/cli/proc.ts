/**
 * The command line's process attribution (docs/PROCESS.md): checks the process options before the capture
 * opens, picks the engine, and gives main.ts what it plugs into the pipeline: a select step that attributes
 * each packet (and keeps only the selected processes'), the process of the packet being output (for the
 * printer's proc.* fields and the line's `curl.4127`), the pcapng comment, and the summary's lines.
 * Reading a pcapng file, the process comes from its packet comments (tsniff's or ptcpdump's).
 */
import fs from "node:fs";
import type { PacketBatch } from "../capture/batch.js";
import type { PacketComments } from "../capture/comments.js";
import { lookupUser } from "../capture/privileges.js";
import type { PacketSource } from "../capture/source.js";
import type { PacketConsumer } from "../session.js";
import { Attributor } from "../proc/attribution.js";
import { HoldingSource } from "../proc/hold.js";
import { parseProcComment, procComment, procSuffix } from "../proc/fields.js";
import { openEngine, ProcError } from "../proc/open.js";
import { epbComments } from "../proc/pcapng-comments.js";
import { cgroupOf, listPids, PROC, processExists } from "../proc/procfs.js";
import { containerIdOf, containerMatches, podUidOf } from "../proc/container.js";
import { ProcSelector, selectionActive, type ProcSelection } from "../proc/select.js";
import type { ProcInfo } from "../proc/types.js";
import { procWanted, type ProcCliOptions } from "./proc-options.js";
import { procDebug } from "../proc/debug.js";

export { ProcError };

export interface ProcPlumbing {
  /** attributes packet i (once per frame) and says whether it is kept */
  select(b: PacketBatch, i: number, frame: number): boolean;
  /** the process of `frame` (the packet last selected), or undefined */
  procOf(frame: number): ProcInfo | undefined;
  /** the process of packet i of the batch being selected (after select(b, i)) */
  procAt(i: number): ProcInfo | undefined;
  /** the one-line output's tail for `frame` ("" when no process is known or lines do not show it) */
  suffix(frame: number): string;
  /** whether select() keeps every packet (no process selection) */
  readonly keepsAll: boolean;
  /** follow the command started by `-- cmd` (and its children) */
  addPid(pid: number): void;
  summary(): string[];
  close(): void;
  /** the live capture wrapped in the reorder window (packets of unknown flows wait for their process) */
  hold?: (source: PacketSource) => PacketSource;
  /**
   * whether the capture should run in immediate mode (no engine asks for it now: see liveProc)
   */
  immediate?: boolean;
}

/**
 * The kernel's capture buffer with process options when -B does not say (libpcap's default is 2 MiB): the
 * reorder window's first pass over a flood's new flows, its releases and the /proc engine's reads pause the
 * read loop for tens of milliseconds at a time (hundreds on a loaded machine), more than 2 MiB of a flood
 * of small packets lasts (~200 ms); 8 MiB holds about a second of it (bench/proc.mjs, docs/PROCESS.md).
 */
export const PROC_BUFFER_BYTES = 8 << 20;

/** Checks what can be checked before anything opens; throws ProcError with one line. */
export function checkProcOptions(o: ProcCliOptions & { readFile?: string }): ProcSelection | undefined {
  if (!procWanted(o)) return undefined;
  if (o.readFile && (o.pids?.length || o.pnames?.length || o.uids?.length || o.containers?.length || o.procEngine || o.command)) {
    // A file's processes come from its packet comments: selections work on them (not engines or commands).
    if (o.procEngine || o.command) throw new ProcError(`${o.procEngine ? "--proc-engine" : "-- cmd"} is for live captures; with -r the processes come from the file's pcapng packet comments`);
  }
  const sel: ProcSelection = { pids: o.pids, followForks: o.followForks, pnames: o.pnames, containers: o.containers };
  if (o.uids?.length) {
    sel.uids = o.uids.map((u) => {
      if (/^\d+$/.test(u)) return Number(u);
      try {
        return lookupUser(u).uid;
      } catch {
        throw new ProcError(`--uid ${u}: no such user`);
      }
    });
  }
  if (o.readFile) return sel;
  for (const pid of o.pids ?? []) {
    if (!processExists(pid)) throw new ProcError(`--pid ${pid}: no such process`);
    try {
      fs.readdirSync(`${PROC}/${pid}/fd`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EACCES" || code === "EPERM") throw new ProcError(`--pid ${pid}: permission denied reading its sockets (/proc/${pid}/fd): run as root or with CAP_SYS_PTRACE`);
      if (code === "ENOENT") throw new ProcError(`--pid ${pid}: no such process`);
    }
  }
  if (o.containers?.length) {
    const found = new Set<string>();
    for (const pid of listPids()) {
      const cg = cgroupOf(pid);
      if (!cg) continue;
      const id = containerIdOf(cg);
      const pod = podUidOf(cg);
      for (const c of o.containers) if (containerMatches(c, id) || c === pod) found.add(c);
    }
    const missing = o.containers.filter((c) => !found.has(c));
    if (missing.length) throw new ProcError(`--container ${missing[0]}: no running container has this id`);
  }
  return sel;
}

/** The pipeline's process step for a live capture. */
export async function liveProc(o: ProcCliOptions & { verbose: number }, sel: ProcSelection, note: (s: string) => void): Promise<ProcPlumbing> {
  const window = o.procWindow ?? 100;
  const { engine, reason } = await openEngine(o.procEngine, window);
  if (reason && !o.procEngine) note(`tsniff: ${reason}`);
  const attr = new Attributor(engine, reason, window);
  // (TSNIFF_PROC_DEBUG=noattr: the engine runs, no packet is attributed; src/proc/debug.ts)
  const p = plumbing(sel, o.verbose, procDebug("noattr") ? () => undefined : (b, i) => attr.attribute(b, i), () => attr.summary(), () => attr.close());
  if (engine.keepFresh) {
    // `-- cmd` with the /proc engine: the tables are read every window while the command runs (its sockets
    // are seen while they exist, however late the capture gets to its packets)
    const add = p.addPid;
    p.addPid = (pid) => {
      add(pid);
      engine.keepFresh?.(window || 100);
    };
  }
  if (window > 0 && !procDebug("nohold") && !procDebug("noattr")) p.hold = (source) => new HoldingSource(source, attr, window);
  // libpcap's batches (TPACKET_V3 blocks) with either engine: immediate mode's ring of single frames held
  // ~30 packets on lo, and a burst overran it while /proc was read. The eBPF engine learnt each socket's
  // owner when it was used; the /proc engine reads /proc off the capture's path and keeps the read before,
  // and the reorder window holds a flow until the engine had its chance.
  p.immediate = false;
  return p;
}

/** The pipeline's process step for a pcapng file: the packets' comments. */
export function fileProc(o: ProcCliOptions & { verbose: number }, sel: ProcSelection | undefined): ProcPlumbing {
  let attributed = 0;
  return plumbing(
    sel ?? {},
    o.proc ? o.verbose : -1,
    (b, i) => {
      for (const c of epbComments(b, i)) {
        const p = parseProcComment(c);
        if (p) {
          attributed++;
          return p;
        }
      }
      return undefined;
    },
    () => (o.proc ? [`${attributed} packet${attributed === 1 ? "" : "s"} with a process in their comments`] : []),
    () => {},
  );
}

/** verbose -1: the lines do not show the process. */
function plumbing(sel: ProcSelection, verbose: number, attribute: (b: PacketBatch, i: number) => ProcInfo | undefined, summary: () => string[], close: () => void): ProcPlumbing {
  const selector = new ProcSelector(sel);
  let active = selectionActive(sel);
  let lastFrame = -1;
  let last: ProcInfo | undefined;
  let lastSuffix = "";
  let sufOf: ProcInfo | undefined;
  const byIndex: (ProcInfo | undefined)[] = [];
  return {
    select(b, i, frame) {
      if (frame !== lastFrame) {
        lastFrame = frame;
        last = attribute(b, i);
      }
      byIndex[i] = last;
      return !active || selector.matches(last);
    },
    procOf: (frame) => (frame === lastFrame ? last : undefined),
    procAt: (i) => byIndex[i],
    suffix(frame) {
      if (verbose < 0 || frame !== lastFrame || !last) return "";
      if (sufOf !== last) {
        sufOf = last;
        lastSuffix = procSuffix(last, verbose);
      }
      return lastSuffix;
    },
    get keepsAll() {
      return !active;
    },
    addPid(pid) {
      selector.addPid(pid);
      active = true;
    },
    summary,
    close,
  };
}

/** Records the process of each written packet as its pcapng comment (a consumer before the writer). */
export function procComments(p: ProcPlumbing, comments: PacketComments): PacketConsumer {
  // the comment's text made once per process (a flow's packets share their ProcInfo)
  let of: ProcInfo | undefined;
  let text = "";
  const comment = (info: ProcInfo) => {
    if (info !== of) {
      of = info;
      text = procComment(info);
    }
    return text;
  };
  const c: PacketConsumer = (_b, _i, frame) => {
    const info = p.procOf(frame);
    if (info) comments.add(frame, comment(info));
  };
  // a run of selected packets (session.ts): the processes select() found for them
  c.whole = (_b, from, to, first) => {
    for (let i = from; i < to; i++) {
      const info = p.procAt(i);
      if (info) comments.add(first + i - from, comment(info));
    }
  };
  return c;
}
