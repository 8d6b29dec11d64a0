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
import React from "react";
import { render } from "ink";
import type { CliOptions } from "../cli/args.js";
import type { PacketBatch } from "../capture/batch.js";
import { FileSource } from "../capture/file-source.js";
import { LiveSource } from "../capture/live-source.js";
import { PcapWriter } from "../capture/pcap-writer.js";
import { defaultDevice, resolveDevice } from "../capture/devices.js";
import { compileFilter, linktypeToDlt } from "../filter/compile.js";
import { lineSafe } from "../output/escape.js";
import { App } from "./app.js";
import { configureModel } from "./config.js";
import { CaptureRows, Model } from "./model.js";
import { MOUSE_OFF, MOUSE_ON } from "./mouse.js";
import { indexFile, PacketFile, PacketIndex } from "./packet-index.js";

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

/** Writes packets (shown rows) of a model to a pcap file; returns an error text or "". */
function saveShown(m: Model, rows: CaptureRows, file: string, linktype: number, snaplen: number, nano: boolean, which?: number[]): string {
  let w: PcapWriter;
  try {
    w = new PcapWriter(file, { linktype, snaplen, nano });
  } catch (e) {
    return (e as Error).message;
  }
  try {
    const ix = rows.index;
    const n = which ? which.length : m.shownCount();
    for (let r = 0; r < n; r++) {
      const p = which ? which[r] : m.packetAt(r);
      const b = rows.file.readSeq(p);
      w.writeRecord(ix.tsSec[p], ix.tsNsec[p], b.length, ix.wirelen[p], b, 0);
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
  (globalThis as { tsniffFirstScreenRelease?: () => void }).tsniffFirstScreenRelease?.(); // these handlers take over
  // TSNIFF_TUI_TRACE=FILE: one line per frame drawn, with the time since the last key (bench/tui.mjs reads it).
  let firstRows = false;
  const trace = process.env.TSNIFF_TUI_TRACE ? fs.openSync(process.env.TSNIFF_TUI_TRACE, "w") : -1;
  const firstScreen = (globalThis as { tsniffFirstScreen?: string }).tsniffFirstScreen;
  if (trace >= 0 && firstScreen) fs.writeSync(trace, `first screen (plain ANSI) ${firstScreen}\n`);
  if (trace >= 0) fs.writeSync(trace, `TUI modules loaded ${(loadedAt + performance.timeOrigin - processStart()).toFixed(0)} ms after the process started (CPU ${(loadedCpu / 1000).toFixed(0)} ms) from ${import.meta.url.includes("/tuib/") ? "the bundle" : "dist/tui"}\n`);
  const onRender = trace < 0 ? undefined : ({ renderTime }: { renderTime: number }) => {
    const since = m.lastKeyAt ? performance.now() - m.lastKeyAt : -1;
    m.lastKeyAt = 0;
    if (!firstRows && m.rows.count() > 0) {
      firstRows = true;
      fs.writeSync(trace, `first rows ${(performance.now() - loadedAt).toFixed(1)} ms after the TUI modules loaded, ${(process.uptime() * 1000).toFixed(0)} ms after the process started\n`);
    }
    fs.writeSync(trace, `render ${renderTime.toFixed(2)} sinceKey ${since.toFixed(2)}\n`);
  };
  const app = render(React.createElement(App, { model: m }), { exitOnCtrlC: true, patchConsole: true, onRender, maxFps: 100 });
  m.onQuit = () => app.unmount();
  try {
    await app.waitUntilExit();
  } finally {
    m.dispose();
    if (trace >= 0) {
      const u = process.memoryUsage();
      const mb = (n: number) => (n / 1048576).toFixed(0);
      fs.writeSync(trace, `memory at quit: rss ${mb(u.rss)} MB, heap ${mb(u.heapUsed)} of ${mb(u.heapTotal)} MB, array buffers ${mb(u.arrayBuffers)} MB, external ${mb(u.external)} MB\n`);
      fs.closeSync(trace);
    }
    for (const sg of sigs) process.off(sg, onSignal);
    process.off("exit", restore);
    restore();
  }
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
  const m = new Model(rows);
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

async function runLive(o: CliOptions): Promise<number> {
  const device = resolveDevice(o.interfaces[0] ?? defaultDevice());
  const live = new LiveSource(device, {
    snaplen: o.snaplen,
    promisc: o.promisc,
    bufferSize: o.bufferKiB ? o.bufferKiB * 1024 : undefined,
    immediate: true,
    nano: o.nano,
    direction: o.direction === "in" ? 1 : o.direction === "out" ? 2 : 0,
  });
  const info = live.info;
  const compile = (expr: string) => compileFilter(expr, { linktype: info.linktype, snaplen: info.snaplen, optimize: !o.noOptimize });
  if (o.filter.trim()) live.setFilter(compile(o.filter));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tui-"));
  const spoolPath = path.join(dir, "spool.pcap");
  const spool = new PcapWriter(spoolPath, { linktype: info.linktype, snaplen: info.snaplen, nano: info.nano });
  let spoolOff = 24;
  const index = new PacketIndex();
  const pf = new PacketFile(spoolPath, index);
  const rows = new CaptureRows(index, pf);
  const m = new Model(rows);
  m.status.mode = "live";
  m.status.name = lineSafe(device);
  configureModel(m);
  m.onCopy = osc52;
  m.status.captureFilter = lineSafe(o.filter.trim());
  m.follow = true;
  m.onSave = (p, which) => {
    const err = saveShown(m, rows, p, info.linktype, info.snaplen, info.nano, which);
    if (!err && !which) m.status.saved = true;
    return err;
  };
  m.onCaptureFilter = (expr) => {
    try {
      live.setFilter(compile(expr.trim() ? expr : ""));
    } catch (e) {
      return (e as Error).message;
    }
    m.status.captureFilter = lineSafe(expr.trim());
    return "";
  };
  let lastCount = 0;
  let lastTime = Date.now();
  const statsTimer = setInterval(() => {
    const now = Date.now();
    m.status.rate = ((index.count - lastCount) * 1000) / Math.max(1, now - lastTime);
    lastCount = index.count;
    lastTime = now;
    const st = live.stats();
    const before = m.status.dropped + m.status.ifDropped;
    if (st) {
      m.status.dropped = st.dropped;
      m.status.ifDropped = st.ifDropped;
    }
    m.sampleRate(m.status.rate, Math.max(0, m.status.dropped + m.status.ifDropped - before));
    m.changed();
  }, 1000);
  const capturing = live
    .run((b: PacketBatch) => {
      try {
        spool.writeBatch(b, 0, b.count);
        spool.flush();
      } catch (e) {
        m.status.error = lineSafe(`spool: ${(e as Error).message}`);
        return 0;
      }
      for (let i = 0; i < b.count; i++) {
        index.append(spoolOff + 16, b.caplen[i], b.wirelen[i], b.tsSec[i], b.tsNsec[i], b.linktype[i]);
        spoolOff += 16 + b.caplen[i];
      }
      pf.invalidate();
      m.status.saved = false;
      m.grew();
      return Infinity;
    })
    .then((end) => {
      if (end.error) m.status.error = lineSafe(end.error.message);
      m.changed();
    });
  m.moveTo(0, false);
  try {
    await show(m);
  } finally {
    clearInterval(statsTimer);
    live.stop();
    await capturing;
    try {
      spool.close();
    } catch {
      /* the spool is discarded anyway */
    }
    pf.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

/** `predrawn`: the first screen is on the terminal already (./first-screen.ts). */
export async function runTuiMain(o: CliOptions, predrawn = false): Promise<number> {
  if (o.readFile) return runFile(o, predrawn);
  if (o.interfaces.length > 1) throw tuiError("--tui captures on one interface");
  return runLive(o);
}
