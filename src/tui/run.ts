/**
 * The TUI's front end (loaded by ./index.ts once the environment is set up):
 *
 *   -r FILE   the file is indexed in one pass in the background (offsets, lengths, times: no packet bytes)
 *             while the first screen shows; rows on screen are read back from the file by offset.
 *   -i IF     packets are written to a spool pcap in a temporary directory as they arrive and indexed the
 *             same way; the spool is removed on exit (`w` saves the shown packets first).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from "node:v8";
import React from "react";
import { render } from "ink";
import type { CliOptions } from "../cli/args.js";
import type { PacketBatch } from "../capture/batch.js";
import { FileSource } from "../capture/file-source.js";
import { LiveSource } from "../capture/live-source.js";
import { PcapWriter } from "../capture/pcap-writer.js";
import { PcapngWriter } from "../capture/pcapng-writer.js";
import { compileFilter, FilterError, linktypeToDlt } from "../filter/compile.js";
import type { OpenedSource } from "../api/capture.js";
import { lineSafe } from "../output/escape.js";
import { App } from "./app.js";
import { configureModel } from "./config.js";
import { HOST_FIELD, parseColumn } from "./columns.js";
import { CaptureRows, Model } from "./model.js";
import { MOUSE_OFF, MOUSE_ON } from "./mouse.js";
import { indexFile, PacketFile, PacketIndex } from "./packet-index.js";
import { FilterThread } from "./filter-thread.js";
import { HeapKeeper } from "./heap.js";
import { FrameWriter, SYNC_BEGIN, SYNC_END } from "./term-writer.js";
import type { FirstScreenState } from "./first-screen.js";

/** The display filter's worker thread (./filter-worker.ts, beside this module: in dist/tui/ or the bundle's dist/tuib/); TSNIFF_TUI_FILTER_THREAD=0 keeps the pass in the main thread. */
function filterThread(file: string, index: PacketIndex): FilterThread | null {
  return process.env.TSNIFF_TUI_FILTER_THREAD === "0" ? null : new FilterThread(file, index, new URL("./filter-worker.js", import.meta.url));
}

/** when this module (and React and Ink with it) had loaded */
const loadedAt = performance.now();
const loadedCpu = ((u) => u.user + u.system)(process.cpuUsage());
/** the process's start, in performance.timeOrigin's clock (ms since the epoch) */
const processStart = () => performance.timeOrigin + performance.now() - process.uptime() * 1000;

/** Copies text to the terminal's clipboard with OSC 52 (works over ssh, and in tmux with set-clipboard on). */
function osc52(text: string): void {
  process.stdout.write(`\x1b]52;c;${Buffer.from(text, "utf8").toString("base64")}\x07`);
}

function tuiError(message: string): Error {
  return Object.assign(new Error(message), { code: "ETUI" });
}

/**
 * Writes packets (shown rows) of a model to a pcap file; returns an error text or "". A capture from several
 * sources (`names`) is saved as pcapng, one interface block per source with its name, when the file's name
 * ends in .pcapng or when the sources' link types differ (a pcap file has one).
 */
function saveShown(m: Model, rows: CaptureRows, file: string, linktype: number, snaplen: number, nano: boolean, which?: number[], names?: readonly string[]): string {
  const ix = rows.index;
  const n = which ? which.length : m.shownCount();
  let ng = !!names && /\.(pcapng|ntar)$/i.test(file);
  if (names && !ng) {
    for (let r = 0; r < n && !ng; r++) if (ix.linktype[which ? which[r] : m.packetAt(r)] !== linktype) ng = true;
  }
  let w: PcapWriter | PcapngWriter;
  try {
    w = ng ? new PcapngWriter(file, { linktype, snaplen, nano, describe: (k) => ({ name: names![k] }) }) : new PcapWriter(file, { linktype, snaplen, nano });
  } catch (e) {
    return (e as Error).message;
  }
  try {
    for (let r = 0; r < n; r++) {
      const p = which ? which[r] : m.packetAt(r);
      const b = rows.file.readSeq(p);
      if (w instanceof PcapngWriter) w.writeRecord(ix.iface[p], ix.linktype[p], ix.tsSec[p], ix.tsNsec[p], b.length, ix.wirelen[p], b, 0);
      else w.writeRecord(ix.tsSec[p], ix.tsNsec[p], b.length, ix.wirelen[p], b, 0);
    }
    w.close();
  } catch (e) {
    try {
      w.close();
    } catch {
      /* reported below */
    }
    return (e as Error).message;
  }
  return "";
}

/** One `mem` line of the trace (MB): rss, this thread's V8 heap (resident), array buffers, the worker's heap. */
function traceMemory(trace: number, m: Model, keeper: HeapKeeper): void {
  const mb = (n: number) => (n / 1048576).toFixed(1);
  const u = process.memoryUsage();
  fs.writeSync(trace, `mem rss ${mb(u.rss)} heap ${mb(getHeapStatistics().total_physical_size)} used ${mb(u.heapUsed)} buffers ${mb(u.arrayBuffers)} worker ${mb(m.filterThread?.workerHeap ?? 0)} collections ${keeper.collections} ${keeper.ms.toFixed(0)} ms spaces ${getHeapSpaceStatistics().map((x) => `${x.space_name.replace("_space", "")}:${mb(x.physical_space_size)}/${mb(x.space_used_size)}`).join(" ")}\n`);
}

/** Runs the UI until the user quits; resolves with the exit code. */
async function show(m: Model, predrawn = false): Promise<void> {
  const out = process.stdout;
  if (!process.stdin.isTTY || !out.isTTY) throw tuiError("--tui needs a terminal (stdin and stdout)");
  // The alternate screen (the shell's screen comes back on exit) and mouse reports (wheel, clicks).
  // (A first screen drawn while Ink loaded is left for Ink's first frame to draw over: no blank screen between.)
  out.write((predrawn ? "\x1b[H" : "\x1b[?1049h\x1b[H\x1b[2J") + MOUSE_ON);
  // However the process ends (a crash, a signal), the terminal gets its mouse, cursor and screen back.
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      fs.writeSync(1, MOUSE_OFF + "\x1b[?25h\x1b[?1049l");
    } catch {
      /* the terminal is gone */
    }
  };
  process.once("exit", restore);
  // SIGTERM, SIGHUP, SIGINT (raw mode makes Ctrl-C a key, but kill -INT is a signal): quit as `q` does, so the
  // spool is removed; if that hangs, restore the terminal and exit anyway.
  const onSignal = (sig: NodeJS.Signals) => {
    m.requestQuit();
    setTimeout(() => {
      restore();
      process.exit(128 + (os.constants.signals[sig] ?? 15));
    }, 2000).unref();
  };
  const sigs: NodeJS.Signals[] = ["SIGTERM", "SIGHUP", "SIGINT"];
  for (const sg of sigs) process.on(sg, onSignal);
  // these handlers take over from the first screen's; the list is where its keys moved it, and the keys it
  // left are read by Ink first (./first-screen.ts)
  const g = globalThis as { tsniffFirstScreenRelease?: () => FirstScreenState };
  const handed = g.tsniffFirstScreenRelease?.();
  g.tsniffFirstScreenRelease = undefined;
  if (handed) {
    if (handed.selected > 0) {
      // the rows it showed are made here too, in order: what they note (a SYN's window scale, shown in the
      // Info of the packets after it) is then known here as it would be had Ink's screen shown them
      for (let i = 0; i < Math.min(handed.shownTo, m.rows.count()); i++) m.rows.row(i);
      m.moveTo(handed.selected, false);
      m.top = Math.min(handed.top, m.selected);
    }
    if (handed.pending.length) process.stdin.unshift(handed.pending);
  }
  // TSNIFF_TUI_TRACE=FILE: one line per frame drawn, with the time since the last key (bench/tui.mjs reads it).
  let firstRows = false;
  const trace = process.env.TSNIFF_TUI_TRACE ? fs.openSync(process.env.TSNIFF_TUI_TRACE, "w") : -1;
  const firstScreen = (globalThis as { tsniffFirstScreen?: string }).tsniffFirstScreen;
  if (trace >= 0 && firstScreen) fs.writeSync(trace, `first screen (plain ANSI) ${firstScreen}, ${handed?.answered ?? 0} keys answered on it\n`);
  if (trace >= 0) fs.writeSync(trace, `TUI modules loaded ${(loadedAt + performance.timeOrigin - processStart()).toFixed(0)} ms after the process started (CPU ${(loadedCpu / 1000).toFixed(0)} ms) from ${import.meta.url.includes("/tuib/") ? "the bundle" : "dist/tui"}\n`);
  // and, per frame, what went to the terminal: bytes, write calls, and from the key to the last write's end
  const frame = { bytes: 0, writes: 0, keyAt: 0, end: 0 };
  const frameLine = () => {
    if (frame.writes) fs.writeSync(trace, `frame bytes ${frame.bytes} writes ${frame.writes}${frame.keyAt ? ` keyToWritten ${(frame.end - frame.keyAt).toFixed(2)}` : ""}\n`);
    frame.bytes = frame.writes = frame.keyAt = 0;
  };
  // One write a frame, of the lines that changed (./term-writer.ts); TSNIFF_TUI_WRITES=ink: as Ink writes them.
  const outWrite = out.write;
  const termWrite = (chunk: string | Uint8Array, rest: unknown[]): boolean => {
    const r = (outWrite as (...a: unknown[]) => boolean).call(out, chunk, ...rest);
    if (trace >= 0) {
      frame.bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      frame.writes++;
      frame.end = performance.now();
    }
    return r;
  };
  const writer = process.env.TSNIFF_TUI_WRITES === "ink" ? null : new FrameWriter();
  let held: string[] | null = null;
  out.write = function (chunk: string | Uint8Array, ...rest: unknown[]) {
    if (writer && typeof chunk === "string" && !rest.length) {
      if (chunk === SYNC_BEGIN) {
        if (held) termWrite(writer.write(held.join("")), []);
        held = [chunk];
        return true;
      }
      if (held) {
        held.push(chunk);
        if (chunk !== SYNC_END) return true;
        const all = held.join("");
        held = null;
        return termWrite(writer.write(all), []);
      }
      return termWrite(writer.write(chunk), []);
    }
    if (held) {
      termWrite(held.join(""), []);
      held = null;
    }
    writer?.reset();
    return termWrite(chunk, rest);
  } as typeof out.write;
  const onRender = trace < 0 ? undefined : ({ renderTime }: { renderTime: number }) => {
    frameLine();
    const since = m.lastKeyAt ? performance.now() - m.lastKeyAt : -1;
    frame.keyAt = m.lastKeyAt;
    m.lastKeyAt = 0;
    if (!firstRows && m.rows.count() > 0) {
      firstRows = true;
      fs.writeSync(trace, `first rows ${(performance.now() - loadedAt).toFixed(1)} ms after the TUI modules loaded, ${(process.uptime() * 1000).toFixed(0)} ms after the process started (CPU ${((process.cpuUsage().user + process.cpuUsage().system) / 1000).toFixed(0)} ms)\n`);
    }
    fs.writeSync(trace, `render ${renderTime.toFixed(2)} sinceKey ${since.toFixed(2)}\n`);
  };
  // (and every 100 ms the memory: the process's RSS, this thread's heap and array buffers, the worker's heap)
  // the heap kept near what it holds (./heap.ts): checked four times a second, a full collection when it grew 12 MB
  // (V8's young generation flag set again each time: Node resets V8's flags around its workers, ./filter-thread.ts)
  const keeper = new HeapKeeper(12 * 1048576);
  const young = process.env.TSNIFF_V8_YOUNG !== "default";
  const memTimer = trace < 0 ? undefined : setInterval(() => traceMemory(trace, m, keeper), 100).unref();
  const heapTimer = setInterval(() => {
    if (young) setFlagsFromString("--semi-space-growth-factor=1");
    keeper.check();
  }, 250).unref();
  const app = render(React.createElement(App, { model: m }), { exitOnCtrlC: true, patchConsole: true, onRender, maxFps: 100 });
  m.onQuit = () => app.unmount();
  try {
    await app.waitUntilExit();
  } finally {
    m.dispose();
    clearInterval(memTimer);
    clearInterval(heapTimer);
    if (held) out.write(SYNC_END);
    out.write = outWrite;
    if (trace >= 0) {
      frameLine();
      const u = process.memoryUsage();
      const mb = (n: number) => (n / 1048576).toFixed(0);
      fs.writeSync(trace, `memory at quit: rss ${mb(u.rss)} MB, heap ${mb(u.heapUsed)} of ${mb(u.heapTotal)} MB, array buffers ${mb(u.arrayBuffers)} MB, external ${mb(u.external)} MB; ${keeper.collections} full collections by the TUI (${keeper.ms.toFixed(0)} ms)\n`);
      fs.closeSync(trace);
    }
    for (const sg of sigs) process.off(sg, onSignal);
    process.off("exit", restore);
    restore();
  }
}

/** Several sources (live, or a pcapng file's interfaces): the Host column after Time, unless the user's columns have it. */
function hostColumn(m: Model): void {
  if (m.columns.some((c) => c.field === HOST_FIELD)) return;
  const cols = m.columns.slice();
  const t = cols.findIndex((c) => c.kind === "time");
  cols.splice(t >= 0 ? t + 1 : Math.min(1, cols.length), 0, parseColumn(HOST_FIELD));
  m.setColumns(cols, false);
}

async function runFile(o: CliOptions, predrawn: boolean): Promise<number> {
  const file = o.readFile!;
  if (file === "-") throw tuiError("--tui reads a file, not standard input (packets are read back by offset)");
  const src = await FileSource.open(file);
  let program: Uint32Array | undefined;
  if (o.filter.trim()) program = compileFilter(o.filter, { linktype: linktypeToDlt(src.info.linktype), snaplen: src.info.snaplen || 262144, optimize: !o.noOptimize });
  const index = new PacketIndex();
  const pf = new PacketFile(file, index);
  const rows = new CaptureRows(index, pf);
  // a pcapng file names its interfaces (frame.interface_name, the Host column); the list grows as they appear
  rows.ifaceNames = src.info.interfaceNames;
  const m = new Model(rows);
  m.filterThread = filterThread(file, index);
  m.status.mode = "file";
  m.status.name = lineSafe(file);
  configureModel(m);
  m.onCopy = osc52;
  m.status.captureFilter = lineSafe(o.filter.trim());
  m.onSave = (p, which) => saveShown(m, rows, p, src.info.linktype, src.info.snaplen, src.info.nano, which);
  // Ink's first frame is slow (React, Yoga and Ink's output all cold): let it have rows to show, rather than
  // drawing an empty list first and the rows in a second slow frame.
  let firstBatch: () => void = () => {};
  const firstRows = new Promise<void>((resolve) => (firstBatch = resolve));
  const indexing = indexFile(src, index, program, (progress) => {
    m.status.progress = progress;
    m.grew();
    if (index.count > 0) firstBatch();
    return !m.quit;
  })
    .then(
      (end) => {
        if (end.error) m.status.error = lineSafe(end.error.message);
        m.indexDone();
      },
      (e: Error) => {
        m.status.error = lineSafe(e.message);
        m.indexDone();
      },
    );
  await Promise.race([firstRows, indexing]);
  if ((src.info.interfaceNames?.length ?? 0) > 1) hostColumn(m);
  m.moveTo(0, false);
  try {
    await show(m, predrawn);
  } finally {
    src.stop();
    await indexing;
    pf.close();
  }
  return 0;
}

/** A failure opening the capture, as the TUI reports it (one line, then exit 1): a remote host's, an interface's. */
function openError(e: unknown): Error {
  if (e instanceof FilterError || (e instanceof Error && (e as NodeJS.ErrnoException).code)) return e as Error;
  return tuiError(e instanceof Error ? e.message : String(e));
}

/**
 * -i IF (repeatable; local interfaces and ssh://host/IFACE mixed): the library's capture of several sources
 * merged in time order (src/api/capture.ts openSource, as capture() and sniff() open them). Each packet keeps
 * its source in the index (the Host column, frame.interface_name); a remote host that fails is said on the
 * status line while the others go on (--stop-on-down: the capture stops); the per-host summary is printed
 * on exit, after the screen is restored.
 */
async function runLive(o: CliOptions): Promise<number> {
  // The library's capture and remote sources are loaded for a live capture only (not for -r: start-up).
  const [{ openSource }, { splitInterfaces }] = await Promise.all([import("../api/capture.js"), import("../remote/open.js")]);
  // The sources' names are checked first, and the terminal before any host is connected to.
  try {
    splitInterfaces(o.interfaces);
  } catch (e) {
    throw openError(e);
  }
  const dup = o.interfaces.find((n, k) => o.interfaces.indexOf(n) !== k);
  if (dup) throw tuiError(`-i ${lineSafe(dup)} is given twice`);
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw tuiError("--tui needs a terminal (stdin and stdout)");
  const down: string[] = [];
  let m: Model | undefined;
  let opened: OpenedSource;
  try {
    opened = await openSource({
      iface: o.interfaces.length ? o.interfaces : undefined,
      filter: o.filter,
      snaplen: o.snaplen,
      promisc: o.promisc,
      bufferSize: o.bufferKiB ? o.bufferKiB * 1024 : undefined,
      immediate: true,
      nano: o.nano,
      direction: o.direction,
      remote: { sshOptions: o.sshOptions, sudo: o.sudo, tool: o.remoteTool, stopOnDown: o.stopOnDown },
      onHostFailure: (f) => {
        down.push(lineSafe(f.message) + (o.stopOnDown && !f.atOpen ? " (--stop-on-down: the capture stopped)" : ""));
        if (m) {
          m.status.down = down.join("; ");
          m.changed();
        }
      },
    });
  } catch (e) {
    throw openError(e);
  }
  const source = opened.source;
  const info = source.info;
  const names = opened.sources.map((s) => s.device);
  const locals = opened.sources.filter((s): s is LiveSource => s instanceof LiveSource);
  const remote = locals.length < opened.sources.length;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tui-"));
  const spoolPath = path.join(dir, "spool.pcap");
  const spool = new PcapWriter(spoolPath, { linktype: info.linktype, snaplen: info.snaplen, nano: info.nano });
  let spoolOff = 24;
  const index = new PacketIndex();
  const pf = new PacketFile(spoolPath, index);
  const rows = new CaptureRows(index, pf);
  rows.ifaceNames = names;
  m = new Model(rows);
  const model = m;
  m.filterThread = filterThread(spoolPath, index);
  m.status.mode = "live";
  m.status.name = lineSafe(info.name);
  configureModel(m);
  // Several sources: the Host column after Time (unless the user's columns have it: then where they put it).
  if (names.length > 1) hostColumn(m);
  if (down.length) m.status.down = down.join("; ");
  m.onCopy = osc52;
  m.status.captureFilter = lineSafe(o.filter.trim());
  m.follow = true;
  m.onSave = (p, which) => {
    const err = saveShown(model, rows, p, info.linktype, info.snaplen, info.nano, which, names.length > 1 ? names : undefined);
    if (!err && !which) model.status.saved = true;
    return err;
  };
  m.onCaptureFilter = (expr) => {
    // a remote host's filter is compiled there, when it is opened
    if (remote) return "the capture filter of remote hosts is set when they are opened: quit and start again to change it";
    try {
      const programs = locals.map((l) => compileFilter(expr.trim() ? expr : "", { linktype: l.info.linktype, snaplen: l.info.snaplen, optimize: !o.noOptimize }));
      locals.forEach((l, k) => l.setFilter(programs[k]));
    } catch (e) {
      return (e as Error).message;
    }
    model.status.captureFilter = lineSafe(expr.trim());
    return "";
  };
  let lastCount = 0;
  let lastTime = Date.now();
  const statsTimer = setInterval(() => {
    const now = Date.now();
    model.status.rate = ((index.count - lastCount) * 1000) / Math.max(1, now - lastTime);
    lastCount = index.count;
    lastTime = now;
    const st = source.stats();
    const before = model.status.dropped + model.status.ifDropped;
    if (st) {
      model.status.dropped = st.dropped;
      model.status.ifDropped = st.ifDropped;
    }
    model.sampleRate(model.status.rate, Math.max(0, model.status.dropped + model.status.ifDropped - before));
    model.changed();
  }, 1000);
  const capturing = source
    .run((b: PacketBatch) => {
      try {
        spool.writeBatch(b, 0, b.count);
        spool.flush();
      } catch (e) {
        model.status.error = lineSafe(`spool: ${(e as Error).message}`);
        return 0;
      }
      for (let i = 0; i < b.count; i++) {
        index.append(spoolOff + 16, b.caplen[i], b.wirelen[i], b.tsSec[i], b.tsNsec[i], b.linktype[i], b.iface[i]);
        spoolOff += 16 + b.caplen[i];
      }
      pf.invalidate();
      model.status.saved = false;
      model.grew();
      return Infinity;
    })
    .then((end) => {
      if (end.error) model.status.error = lineSafe(end.error.message);
      model.changed();
    });
  m.moveTo(0, false);
  try {
    await show(m);
  } finally {
    clearInterval(statsTimer);
    source.stop();
    await capturing;
    try {
      spool.close();
    } catch {
      /* the spool is discarded anyway */
    }
    pf.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Remote hosts: one line each (captured, the remote tool's received/dropped, the clock, a failure), as the CLI's.
  if (remote) for (const line of opened.summary()) process.stderr.write(lineSafe(line) + "\n");
  return down.length ? 1 : 0;
}

/** `predrawn`: the first screen is on the terminal already (./first-screen.ts). */
export async function runTuiMain(o: CliOptions, predrawn = false): Promise<number> {
  if (o.readFile) return runFile(o, predrawn);
  return runLive(o);
}
