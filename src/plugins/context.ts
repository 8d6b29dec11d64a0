/**
 * Plugins (--script): modules exporting any of onStart(ctx), onPacket(pkt, ctx), onStop(ctx). They see only
 * the public types (Packet, PluginContext).
 *
 * The runner sits in the pipeline as its `select` step: a packet whose plugins all answer synchronously is
 * decided at once (false from any onPacket drops it from the output: printing, -w, and later plugins).
 * When an onPacket returns a Promise the runner switches to ordered asynchronous mode: that packet and every
 * later one is cloned into a bounded queue and worked through in order, each awaited, and the packets kept
 * are handed to the output afterwards (still in order). Capture never waits for a plugin: a live packet that
 * finds the queue full is dropped and counted ("N packets dropped by tsniff"); reading a file waits instead.
 *
 * A plugin that throws or rejects is reported once (plugin name, packet number, the file:line:column of the
 * plugin's frame), counted, and keeps receiving packets; after MAX_ERRORS errors it is disabled, with a message
 * saying so. Errors nobody catches (a throw in a plugin's timer, an unhandled rejection) are caught by
 * contain() and charged the same way to the plugin whose file is on the stack; after MAX_UNCAUGHT of those
 * the plugin is disabled. An onStart that throws aborts the run (PluginStartError). errorTotals() is the end
 * summary; a run where a plugin failed exits non-zero (the CLI).
 */
import type { ProcInfo } from "../proc/types.js";
import path from "node:path";
import { createBatch, type PacketBatch } from "../capture/batch.js";
import type { CaptureStats, PacketSource } from "../capture/source.js";
import { PcapWriter } from "../capture/pcap-writer.js";
import type { PacketComments } from "../capture/comments.js";
import { BatchLease, Packet, PacketContext } from "../api/packet.js";
import type { Dissector } from "../dissectors/index.js";
import { FileSource } from "../capture/file-source.js";
import type { LoadedModule } from "./loader.js";

export const MAX_ERRORS = 100;
/** uncaught errors (timers, callbacks, unhandled rejections) after which a plugin is disabled */
export const MAX_UNCAUGHT = 10;

/** onStart threw: the run is aborted before any packet reaches a plugin. */
export class PluginStartError extends Error {
  readonly code = "EPLUGIN";
}

export interface PluginStats {
  /** packets given to the plugins so far */
  packets: number;
  /** live only: the kernel's counters */
  kernel: CaptureStats | null;
  /** packets that found the plugin queue full (live) */
  droppedByTsniff: number;
}

export interface PacketWriter {
  write(pkt: Packet): void;
  close(): void;
}

export interface PluginContext {
  /** the plugin's name (file name without extension, or its exported `name`) */
  readonly name: string;
  /** the plugin's own state, kept from call to call */
  state: Record<string, any>;
  /**
   * Writes a packet to the last file opened with openWriter(), or else to -w. Packets a plugin keeps (does
   * not answer false for) reach -w anyway: ctx.write to -w is for plugins that answer false and write the
   * packets of their choosing (e.g. a flow's earlier packets once it proves interesting).
   */
  write(pkt: Packet): void;
  /** opens a pcap file (same link type and snapshot length as the capture); closed at the end */
  openWriter(path: string): PacketWriter;
  /** a line on stderr, prefixed with the plugin's name */
  log(...args: unknown[]): void;
  stats(): PluginStats;
  /** ends the capture (the packets already queued are still given to the plugins) */
  stop(): void;
  /**
   * Attaches a comment to a packet: a pcapng -w file writes it on the packet's block (opt_comment, shown by
   * Wireshark and `tshark -e frame.comment`). Call it while the packet is being decided (in onPacket, or
   * before its Promise resolves); several comments on one packet are joined by "; ". With a pcap -w the
   * comments are left out (tsniff says so once).
   */
  comment(pkt: Packet, text: string): void;
  /**
   * Saves the flight recorder's window now (--ring-seconds/--ring-mb), with `reason` as the file's comment,
   * as SIGUSR1 does. Without a flight recorder it is reported once and otherwise ignored.
   */
  trigger(reason: string): void;
}

export interface Plugin {
  name?: string;
  onStart?(ctx: PluginContext): void | Promise<void>;
  onPacket?(pkt: Packet, ctx: PluginContext): void | boolean | Promise<void | boolean>;
  onStop?(ctx: PluginContext): void | Promise<void>;
}

export interface RunnerOptions {
  /** the process of a frame (process-aware capture): becomes packet.proc */
  procOf?: (frame: number) => ProcInfo | undefined;
  linktype: number;
  snaplen: number;
  nano: boolean;
  live: boolean;
  /** the -w output (pcap, pcapng, rotation...), as a pipeline consumer of one packet, when there is one */
  writer?: (b: PacketBatch, i: number, frame: number) => unknown;
  /** ends the capture */
  stop(): void;
  kernelStats(): CaptureStats | null;
  /** stderr lines */
  err(line: string): void;
  /** bound of the asynchronous queue (default 10000) */
  queue?: number;
  /** stop after this many packets have been passed to the output (-c) */
  count?: number;
  /** where ctx.comment() records comments for the -w writer; absent when no file takes them */
  comments?: PacketComments;
  /** what a plugin is told (once) when it comments and `comments` is absent */
  noComments?: string;
  /** the flight recorder's trigger, when there is one */
  trigger?: (reason: string) => void;
  /** the dissector the printer uses, shared so that a packet both printed and read by a plugin is dissected once */
  dissector?: Dissector;
  /** the source describes its interfaces (pcapng, live): packets' toJSON() has frame.interface_id as -T json */
  interfaces?: boolean;
  /** the interfaces' names (captures with remote sources): packet.ifaceName and frame.interface_name */
  ifaceNames?: readonly string[];
}

interface Slot {
  mod: LoadedModule;
  ctx: PluginContext;
  errors: number;
  uncaught: number;
  disabled: boolean;
  /** said once: ctx.comment with no pcapng file, ctx.trigger with no recorder */
  told: Set<string>;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return !!x && typeof (x as { then?: unknown }).then === "function";
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class PluginRunner {
  readonly slots: Slot[];
  private pctx: PacketContext;
  /** `iface`: the packet's interface (several -i), for the output of a packet decided later */
  private queue: { pkt: Packet; from: number; iface: number; first?: PromiseLike<unknown> }[] = [];
  private worker: Promise<void> | null = null;
  private output: ((b: PacketBatch, i: number, frame: number) => void) | null = null;
  private one = createBatch(1);
  private writers: PcapWriter[] = [];
  private lastOpened: PcapWriter | undefined;
  private spaceWaiter: (() => void) | null = null;
  private passed = 0;
  private stopped = false;
  packets = 0;
  droppedByTsniff = 0;
  private readonly bound: number;
  errors = 0;

  constructor(
    mods: LoadedModule[],
    private o: RunnerOptions,
  ) {
    this.pctx = new PacketContext({ dissector: o.dissector, interfaces: o.interfaces, names: o.ifaceNames });
    this.slots = mods.map((mod) => {
      const told = new Set<string>();
      return { mod, ctx: this.makeCtx(mod, told), errors: 0, uncaught: 0, disabled: false, told };
    });
    // TSNIFF_PLUGIN_QUEUE sets the bound from the environment (there is no flag for it).
    this.bound = Math.max(1, o.queue ?? (Number(process.env.TSNIFF_PLUGIN_QUEUE) || 10000));
  }

  private makeCtx(mod: LoadedModule, told: Set<string>): PluginContext {
    const runner = this;
    const once = (what: string, line: string) => {
      if (told.has(what)) return;
      told.add(what);
      runner.o.err(`tsniff: plugin ${mod.name}: ${line}`);
    };
    return {
      name: mod.name,
      state: {},
      write(pkt: Packet) {
        const w = runner.lastOpened;
        if (w) return w.writeRecord(pkt.tsSec, pkt.tsNsec, pkt.caplen, pkt.len, pkt.data, 0);
        if (!runner.o.writer) throw new Error("ctx.write: no -w file given and no ctx.openWriter(path) opened");
        // The packet's own interface (a kept packet written later keeps it too).
        if (runner.o.writer(runner.batchOf(pkt, pkt.iface), 0, pkt.frame) === false) runner.o.stop();
      },
      openWriter(path: string): PacketWriter {
        const w = new PcapWriter(path, { linktype: runner.o.linktype, snaplen: runner.o.snaplen, nano: runner.o.nano });
        runner.writers.push(w);
        runner.lastOpened = w;
        return { write: (pkt) => w.writeRecord(pkt.tsSec, pkt.tsNsec, pkt.caplen, pkt.len, pkt.data, 0), close: () => w.close() };
      },
      log(...args: unknown[]) {
        runner.o.err(`[${mod.name}] ${args.map((a) => (typeof a === "string" ? a : inspectShort(a))).join(" ")}`);
      },
      stats: () => ({ packets: this.packets, kernel: this.o.kernelStats(), droppedByTsniff: this.droppedByTsniff }),
      stop: () => {
        // Nothing more reaches the plugins or the output, even from the rest of the current batch.
        this.stopped = true;
        this.o.stop();
      },
      comment(pkt: Packet, text: string) {
        const store = runner.o.comments;
        if (!store) return once("comment", runner.o.noComments ?? "ctx.comment: packet comments are written only to a pcapng -w file, and none is being written");
        store.add(pkt.frame, String(text));
      },
      trigger(reason: string) {
        const t = runner.o.trigger;
        if (!t) return once("trigger", "ctx.trigger: there is no flight recorder (--ring-seconds or --ring-mb) to save");
        t(`plugin ${mod.name}: ${String(reason)}`);
      },
    };
  }

  /** File sources wait while the queue is full (live sources drop instead). */
  attach(source: PacketSource): void {
    // A file waits (at batch boundaries) while the asynchronous queue is full: nothing is dropped from a file.
    if (source instanceof FileSource) source.setBackpressure(() => this.waitSpace());
  }

  /** Where packets kept in asynchronous mode go (the printer and -w writer). */
  setOutput(fn: (b: PacketBatch, i: number, frame: number) => void): void {
    this.output = fn;
  }

  async start(): Promise<void> {
    for (const s of this.slots) {
      if (!s.mod.module.onStart) continue;
      try {
        await s.mod.module.onStart(s.ctx);
      } catch (e) {
        s.errors++;
        this.errors++;
        // Nothing runs after a failed onStart: its state is not what onPacket expects.
        throw new PluginStartError(`plugin ${s.mod.name}: onStart failed: ${errMessage(e)}${where(e, s.mod)}; the capture is not started`);
      }
    }
  }

  private fail(s: Slot, e: unknown, at: string | number): void {
    s.errors++;
    this.errors++;
    const what = typeof at === "number" ? `packet ${at}` : at;
    if (s.errors === 1) this.o.err(`tsniff: plugin ${s.mod.name}: error at ${what}: ${errMessage(e)}${where(e, s.mod)} (further errors of this plugin are counted, not shown)`);
    if (s.errors >= MAX_ERRORS && !s.disabled) {
      s.disabled = true;
      this.o.err(`tsniff: plugin ${s.mod.name} disabled after ${MAX_ERRORS} errors (last at ${what}: ${errMessage(e)})`);
    }
  }

  /**
   * An error nobody caught (process 'uncaughtException' / 'unhandledRejection'): charged to the plugin whose
   * file is on its stack (or the only plugin); reported once per plugin, disabled after MAX_UNCAUGHT. Returns
   * false when no plugin can be blamed (several plugins, none on the stack): the caller decides.
   */
  uncaught(e: unknown, kind: "exception" | "rejection"): boolean {
    let s = this.slots.find((x) => where(e, x.mod) !== "");
    if (!s && this.slots.length === 1) s = this.slots[0];
    if (!s) return false;
    s.errors++;
    s.uncaught++;
    this.errors++;
    const what = kind === "exception" ? "uncaught error (a timer or callback)" : "unhandled promise rejection";
    if (s.uncaught === 1) this.o.err(`tsniff: plugin ${s.mod.name}: ${what}: ${errMessage(e)}${where(e, s.mod)} (capture goes on; further ones are counted, not shown)`);
    if (s.uncaught >= MAX_UNCAUGHT && !s.disabled) {
      s.disabled = true;
      this.o.err(`tsniff: plugin ${s.mod.name} disabled after ${MAX_UNCAUGHT} uncaught errors (its onPacket is no longer called; its timers are not stopped)`);
    }
    return true;
  }

  /**
   * Catches what plugin code throws outside any call tsniff makes (timers, event handlers, promises nobody
   * awaits), so that it cannot end the process before -w is flushed and the summary printed. `unknown` gets
   * the errors no plugin can be blamed for. Returns the function that removes the handlers.
   */
  contain(unknown: (e: unknown) => void): () => void {
    const onException = (e: unknown) => {
      if (!this.uncaught(e, "exception")) unknown(e);
    };
    const onRejection = (e: unknown) => {
      if (!this.uncaught(e, "rejection")) unknown(e);
    };
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
    return () => {
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
    };
  }

  /** The end-of-run lines: one per plugin that failed ("plugin bad: 41 errors (disabled)"); [] when none. */
  errorTotals(): string[] {
    return this.slots
      .filter((s) => s.errors > 0)
      .map((s) => `tsniff: plugin ${s.mod.name}: ${s.errors} error${s.errors === 1 ? "" : "s"}${s.uncaught ? ` (${s.uncaught} uncaught)` : ""}${s.disabled ? ", disabled" : ""}`);
  }

  /** The pipeline's select step: true to pass the packet on now; false when dropped or deferred. */
  readonly select = (b: PacketBatch, i: number, frame: number): boolean => {
    if (this.stopped) return false;
    this.packets++;
    if (this.worker) {
      const p = Packet.fromBatch(b, i, frame, this.pctx);
      p.proc = this.o.procOf?.(frame);
      this.enqueue(p.clone(), 0, b.iface[i]);
      return false;
    }
    // Leased: a packet a plugin keeps (in ctx.state, say) gets its own bytes when the batch ends (batchEnd()).
    this.leasedFrom = b;
    const pkt = this.lease.add(Packet.fromBatch(b, i, frame, this.pctx));
    pkt.proc = this.o.procOf?.(frame);
    for (let k = 0; k < this.slots.length; k++) {
      const s = this.slots[k];
      const on = s.mod.module.onPacket;
      if (s.disabled || !on) continue;
      let r: unknown;
      try {
        r = on.call(s.mod.module, pkt, s.ctx);
      } catch (e) {
        this.fail(s, e, frame);
        continue;
      }
      if (r === false) {
        this.o.comments?.drop(frame);
        return false;
      }
      if (isThenable(r)) {
        // From here on, in order and asynchronously: this packet first, from plugin k's pending answer.
        this.queue.push({ pkt: pkt.clone(), from: k, iface: b.iface[i], first: r });
        this.worker = this.work();
        return false;
      }
    }
    return this.pass(frame);
  };

  private pass(frame: number): boolean {
    if (this.o.count === undefined) return true;
    if (this.passed >= this.o.count) {
      this.o.comments?.drop(frame);
      return false;
    }
    if (++this.passed >= this.o.count) this.o.stop();
    return true;
  }

  private enqueue(pkt: Packet, from: number, iface: number): void {
    if (this.o.live && this.queue.length >= this.bound) {
      this.droppedByTsniff++;
      return;
    }
    this.queue.push({ pkt, from, iface });
  }

  private waitSpace(): Promise<void> {
    if (!this.worker || this.queue.length < this.bound) return Promise.resolve();
    return new Promise((r) => (this.spaceWaiter = r));
  }

  private lease = new BatchLease();
  private leasedFrom: PacketBatch | null = null;
  /** Call at the end of every batch (before the source reuses its buffer): kept packets get their own bytes. */
  batchEnd(): void {
    if (this.leasedFrom) this.lease.detach(this.leasedFrom);
    this.leasedFrom = null;
  }

  /** set by abandon(): the run is being cut short (a second Ctrl-C) */
  abandoned = false;
  private onAbandon: (() => void) | null = null;
  private abandonedP = new Promise<void>((r) => (this.onAbandon = r));

  /**
   * Gives up the packets still queued for the plugins (a second interrupt): nothing more reaches a plugin or
   * the output, and finish() returns without waiting for the plugin call in progress. Returns how many
   * packets were abandoned (the one being worked on included).
   */
  abandon(): number {
    if (this.abandoned) return 0;
    this.abandoned = true;
    this.stopped = true;
    const n = this.queue.length + (this.worker ? 1 : 0);
    this.queue.length = 0;
    this.onAbandon?.();
    const w = this.spaceWaiter;
    this.spaceWaiter = null;
    w?.();
    return n;
  }

  private async work(): Promise<void> {
    while (this.queue.length && !this.abandoned) {
      const item = this.queue.shift()!;
      if (this.spaceWaiter && this.queue.length < this.bound) {
        const w = this.spaceWaiter;
        this.spaceWaiter = null;
        w();
      }
      let keep = true;
      for (let k = item.from; k < this.slots.length && keep; k++) {
        const s = this.slots[k];
        const on = s.mod.module.onPacket;
        if (s.disabled || !on) continue;
        try {
          let r: unknown = k === item.from && item.first ? item.first : on.call(s.mod.module, item.pkt, s.ctx);
          if (isThenable(r)) r = await r;
          if (r === false) keep = false;
        } catch (e) {
          this.fail(s, e, item.pkt.frame);
        }
      }
      if (keep && !this.stopped && this.pass(item.pkt.frame) && this.output) this.emit(item.pkt, item.iface);
      else this.o.comments?.drop(item.pkt.frame);
    }
    this.worker = null;
    const w = this.spaceWaiter;
    this.spaceWaiter = null;
    w?.();
  }

  private emit(p: Packet, iface: number): void {
    this.output!(this.batchOf(p, iface), 0, p.frame);
  }

  /** A one-packet batch over a packet (reused). */
  batchOf(p: Packet, iface = 0): PacketBatch {
    const b = this.one;
    b.data = p.data;
    b.count = 1;
    b.offset[0] = 0;
    b.caplen[0] = p.caplen;
    b.wirelen[0] = p.len;
    b.tsSec[0] = p.tsSec;
    b.tsNsec[0] = p.tsNsec;
    b.linktype[0] = p.linktype;
    b.iface[0] = iface;
    b.raw = false;
    return b;
  }

  /** Waits for the queued packets, then calls every onStop and closes the writers plugins opened. */
  async finish(): Promise<void> {
    while (this.worker && !this.abandoned) await Promise.race([this.worker, this.abandonedP]);
    this.stopped = true;
    for (const s of this.slots) {
      // Cut short: onStop is not awaited for either (it may be what is slow).
      if (!s.mod.module.onStop || this.abandoned) continue;
      try {
        await s.mod.module.onStop(s.ctx);
      } catch (e) {
        this.fail(s, e, "onStop");
      }
    }
    for (const w of this.writers) {
      try {
        w.close();
      } catch (e) {
        this.o.err(`tsniff: ${w.path}: ${errMessage(e)}`);
      }
    }
  }
}

/**
 * " (file:line:column)" of the first stack frame in the plugin's file (its .ts source, with source maps on,
 * or the transpiled module), "" when the error has no such frame.
 */
export function where(e: unknown, mod: { file: string; runFile?: string }): string {
  const stack = e instanceof Error ? e.stack : undefined;
  if (!stack) return "";
  const files = [mod.file, mod.runFile].filter((f): f is string => !!f);
  for (const line of stack.split("\n")) {
    if (!/^\s*at /.test(line)) continue;
    for (const f of files) {
      const m = new RegExp(`(?:file://)?${escapeRe(f)}:(\\d+):(\\d+)`).exec(line);
      if (m) return ` (${displayPath(mod.file)}:${m[1]}:${m[2]})`;
    }
  }
  return "";
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The path relative to the working directory when it is below it, else as it is. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

function inspectShort(a: unknown): string {
  if (a instanceof Error) return a.message;
  try {
    return typeof a === "object" ? JSON.stringify(a) : String(a);
  } catch {
    return String(a);
  }
}
