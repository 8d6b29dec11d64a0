/**
 * tsniff's command line: tcpdump's flags, libpcap's filters, one-line output by default.
 * Every failure becomes one clear line on stderr and a non-zero exit, never a stack trace.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { parseArgs, UsageError, USAGE, type CliOptions } from "./args.js";
import { native } from "../capture/native.js";
import { defaultDevice, formatDeviceList, listDevices, resolveDevice } from "../capture/devices.js";
import { FileSource } from "../capture/file-source.js";
import { LiveSource } from "../capture/live-source.js";
import { MultiLiveSource } from "../capture/multi-live-source.js";
import { checkPcapLinktypes } from "../capture/writers.js";
import { PacketComments } from "../capture/comments.js";
import { startWriting, type Writing } from "./writing.js";
import { dropPrivileges, lookupUser } from "../capture/privileges.js";
import { describeLiveError } from "../capture/live-fault.js";
import type { PacketSource } from "../capture/source.js";
import type { PacketBatch } from "../capture/batch.js";
import { compileFilter, FilterError, linktypeToDlt, PCAP_NETMASK_UNKNOWN } from "../filter/compile.js";
import { formatProgram } from "../filter/disasm.js";
import { Session, type PacketConsumer } from "../session.js";
import { TextOut } from "../output/text-out.js";
import { createPrinter, needsTree, printerDissector } from "../output/printer.js";
import { reassembledFrames } from "../api/two-pass.js";
import { compileDisplayFilter } from "../filter/display.js";
import { checkFieldNames } from "../output/fields.js";
import { linktypeLabel } from "../output/linktype.js";
import { loadPlugin, type LoadedModule } from "../plugins/loader.js";
import { PluginRunner } from "../plugins/context.js";
import { checkPluginTrust } from "../plugins/trust.js";
import { setInterfaceNameLookup } from "../dissectors/link/sll.js";
import { CountingSource, procDebug } from "../proc/debug.js";
import { checkProcOptions, fileProc, liveProc, PROC_BUFFER_BYTES, procComments, ProcError, type ProcPlumbing } from "./proc.js";
import { startCommand, type Command } from "./command.js";
import { loadKeyLogFile } from "../tls/keylog.js";
import { tlsCounts } from "../tls/session.js";
import { isRemoteSpec, openRemoteSources, REMOTE_HOLDBACK_MS, RemoteOpenError, remoteSpecs, type RemoteRun } from "./remote.js";

const PROG = "tsniff";

/**
 * SIGUSR1 and SIGUSR2 have listeners from the start: without one, SIGUSR1 makes Node open its inspector (a
 * debugger port: code execution with the capture's privileges) and SIGUSR2 ends the process in the middle of
 * a record. Until a capture runs they do nothing; then SIGUSR1 prints the counters (tcpdump's) or triggers
 * the flight recorder (writing.ts listens for it itself), and SIGUSR2 flushes -w (tcpdump's).
 */
const userSignal: { usr1?: () => void; usr2?: () => void } = {};
let userSignalsInstalled = false;
function installUserSignals(): void {
  if (userSignalsInstalled) return;
  userSignalsInstalled = true;
  process.on("SIGUSR1", () => userSignal.usr1?.());
  process.on("SIGUSR2", () => userSignal.usr2?.());
}

function version(): string {
  const require = createRequire(import.meta.url);
  const pkg = require("../../package.json") as { version: string };
  let lib = "libpcap (not built)";
  try {
    lib = native().libVersion();
  } catch {
    /* reported when capture is attempted */
  }
  return `${PROG} version ${pkg.version}\n${lib}\nNode.js ${process.version}`;
}

/** A failure the user caused or can fix: printed as one line, exit 1. */
class Fatal extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function errText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

function readFilterFile(path: string): string {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Fatal(`${path}: ${code === "ENOENT" ? "No such file or directory" : errText(e)}`);
  }
  // tcpdump strips '#' comments from -F files.
  return text
    .split("\n")
    .map((l) => l.replace(/#.*/, ""))
    .join(" ")
    .trim();
}

function netmaskOf(device: string | undefined): number {
  if (!device || device === "any") return PCAP_NETMASK_UNKNOWN;
  try {
    const n = native().lookupNet(device);
    return n ? n.mask >>> 0 : PCAP_NETMASK_UNKNOWN;
  } catch {
    return PCAP_NETMASK_UNKNOWN;
  }
}

/**
 * if_indextoname for the interface names SLL2 packets print (as tcpdump, this machine's names, "?" for an
 * index it has no interface for): the table is read from /sys/class/net once, on the first SLL2 packet.
 */
function interfaceNameLookup(): (index: number) => string {
  let names: Map<number, string> | null = null;
  return (index) => {
    if (!names) {
      names = new Map();
      let dirs: string[] = [];
      try {
        dirs = fs.readdirSync("/sys/class/net");
      } catch {
        /* no sysfs: every name is "?" */
      }
      for (const n of dirs) {
        try {
          const i = Number(fs.readFileSync(`/sys/class/net/${n}/ifindex`, "utf8").trim());
          if (Number.isInteger(i)) names.set(i, n);
        } catch {
          /* gone meanwhile */
        }
      }
    }
    return names.get(index) ?? "?";
  };
}

function datalinkValue(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const v = native().datalinkValue(name);
  if (v < 0) throw new Fatal(`invalid data link type ${name}`);
  return v;
}

/**
 * With several -i, the one-line output names each packet's interface right after the time (tcpdump 4.99
 * prints `TIME lo    In  IP ...` for -i any, the name padded to 5): returns the function that inserts it,
 * or undefined when there is one interface or the output is not one line per packet.
 */
function namedLines(o: CliOptions, source: PacketSource): ((iface: number, line: string) => string) | undefined {
  const ifs = source.info.interfaces;
  if (!ifs || ifs.length < 2 || o.format !== "text" || o.detail) return undefined;
  const names = ifs.map((d) => d.name.padEnd(5) + " ");
  // The time text ends at its Nth space: -t none, -tt/default one, -tttt (date and time) and -ttt/-ttttt
  // (deltas, which start with a space) two.
  const spaces = { none: 0, default: 1, epoch: 1, date: 2, delta: 2, "since-first": 2 }[o.timeFormat];
  return (iface, line) => {
    if (!line) return line;
    // -# puts the packet number ("%5u  ") before the time
    let at = o.packetNumber ? line.indexOf("  ", line.search(/\d/)) + 2 : 0;
    for (let k = 0; k < spaces; k++) at = line.indexOf(" ", at) + 1;
    return line.slice(0, at) + (names[iface] ?? "") + line.slice(at);
  };
}

async function run(o: CliOptions): Promise<number> {
  setInterfaceNameLookup(interfaceNameLookup());
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (o.version) {
    process.stdout.write(version() + "\n");
    return 0;
  }
  if (o.listInterfaces) {
    const devs = listDevices();
    if (devs.length === 0) throw new Fatal("no interfaces found (is this run with CAP_NET_RAW? see README)");
    process.stdout.write(formatDeviceList(devs) + "\n");
    return 0;
  }
  let filter = o.filter;
  if (o.filterFile) filter = readFilterFile(o.filterFile);
  if (o.interfaces.some(isRemoteSpec) && (o.dumpLevel || o.listDatalinks || o.readFile)) {
    throw new Fatal(`-i ssh://... does not combine with ${o.dumpLevel ? "-d (the filter is compiled on the remote host)" : o.listDatalinks ? "-L" : "-r"}`);
  }
  if (o.tui) {
    const { runTui } = await import("../tui/index.js" as string).catch(() => {
      throw new Fatal("the TUI is not available in this build");
    });
    return runTui({ ...o, filter });
  }

  // -d: compile for the link type of the file or interface and print the program, as tcpdump does.
  if (o.dumpLevel > 0) {
    let linktype: number;
    let snaplen = o.snaplen;
    if (o.datalink) linktype = datalinkValue(o.datalink);
    else if (o.readFile) {
      const src = await FileSource.open(o.readFile);
      linktype = linktypeToDlt(src.info.linktype);
      snaplen = src.info.snaplen;
      src.stop();
    } else if (o.interfaces.length) {
      const device = resolveDevice(o.interfaces[0]);
      const live = new LiveSource(device, { snaplen: o.snaplen, promisc: false });
      linktype = live.info.linktype;
      live.close();
    } else {
      // No -i, no -y: tcpdump -d opens no interface; it assumes Ethernet and says so on stderr.
      linktype = 1; // DLT_EN10MB
      process.stderr.write("Warning: assuming Ethernet\n"); // tcpdump's words
    }
    // tcpdump 4.99 -d compiles with netmask 0 whatever the source ('ip broadcast': 0 or 255.255.255.255).
    const prog = compileFilter(filter, { linktype, snaplen, optimize: !o.noOptimize, netmask: 0 });
    process.stdout.write(formatProgram(prog, Math.min(o.dumpLevel, 3) as 1 | 2 | 3));
    return 0;
  }

  // --script: a plugin is code with the capture's privileges. Files that others than root or the user it
  // runs as could change are refused before anything is opened (trust.ts). Without -Z plugins load (and
  // TypeScript ones transpile) now; with -Z only after the drop: open capture -> drop privileges -> load
  // plugins, so no plugin code ever runs as root (not even its top level) when -Z is given.
  const user = o.user ? lookupUser(o.user) : undefined;
  for (const spec of o.scripts) checkPluginTrust(spec, user);
  const plugins: LoadedModule[] = [];
  const loadPlugins = async () => {
    for (const spec of o.scripts) plugins.push(await loadPlugin(spec));
  };
  if (!o.user) await loadPlugins();

  // A bad display filter or field name fails before anything is opened.
  if (o.displayFilter?.trim()) compileDisplayFilter(o.displayFilter);
  if (o.format === "fields") checkFieldNames(o.fields);
  for (const k of o.keylogs ?? []) {
    try {
      loadKeyLogFile(k);
    } catch (e) {
      throw new Fatal((e as Error).message);
    }
  }

  // Process options are checked before anything opens (a pid that does not exist, an unknown container).
  const procSel = checkProcOptions(o);
  if (o.command && procSel) procSel.followForks = true;

  // -2 reads the file twice: checked before anything opens (its error is the only line, no "reading from file -")
  if (o.twoPass && (!o.readFile || o.readFile === "-")) throw new Fatal("-2 needs -r FILE (a file read twice, not standard input)");

  // Open the source.
  let source: PacketSource;
  let program: Uint32Array | undefined;
  // Straight to the descriptor (synchronous, as process.stderr is on Linux): making process.stderr costs a start-up
  // ~5 ms (a stream, and node:net for a pipe). A full non-blocking pipe or a closed one: process.stderr's way.
  const stderr = (s: string): void => {
    const line = Buffer.from(s + "\n");
    let n = 0;
    try {
      n = fs.writeSync(2, line);
    } catch {
      // EAGAIN, EPIPE, EBADF: below
    }
    if (n < line.length) process.stderr.write(line.subarray(n));
  };
  // Loaded first: without the addon the error is the only line, not after "reading from file". Reading a file
  // without a filter never needs it (~5-20 ms of start-up: libpcap and its libraries).
  if (!o.readFile || filter.trim()) native();
  // The process engine is ready before "listening on" is printed: whoever waits for that line gets its packets
  // attributed.
  let proc: ProcPlumbing | undefined;
  let remote: RemoteRun | undefined;
  if (procSel && !o.readFile) proc = await liveProc(o, procSel, stderr);
  if (o.readFile) {
    source = await FileSource.open(o.readFile);
    if (filter.trim()) {
      // As tcpdump -r: netmask 0 ('ip broadcast' works), and no inbound/outbound/ifindex on most link types.
      program = compileFilter(filter, { linktype: linktypeToDlt(source.info.linktype), snaplen: source.info.snaplen || 262144, optimize: !o.noOptimize, netmask: 0, savefile: true });
    }
    const lt = linktypeLabel(linktypeToDlt(source.info.linktype));
    stderr(`reading from file ${o.readFile}, link-type ${lt}, snapshot length ${source.info.snaplen}`);
  } else {
    // ssh://host/IFACE sources are opened below, after the local ones (src/remote, cli/remote.ts).
    const specs = remoteSpecs(o);
    const locals = o.interfaces.filter((i) => !isRemoteSpec(i));
    const devices = locals.length ? locals.map(resolveDevice) : specs.length ? [] : [defaultDevice()];
    const dup = devices.find((d, k) => devices.indexOf(d) !== k);
    if (dup) throw new Fatal(`-i ${dup} is given twice`);
    // (process attribution keeps libpcap's batches: src/cli/proc.ts)
    const immediate = o.immediate || o.packetBuffered || o.lineBuffered || !!proc?.immediate;
    // Several -i: one handle per interface, merged in time order; -c is then counted after the merge.
    const multi = devices.length > 1 || specs.length > 0;
    const lives: LiveSource[] = [];
    const closeAll = () => {
      lives.forEach((l) => l.close());
      remote?.sources.forEach((r) => r.close());
    };
    // Remote sources first: connecting takes seconds, which local handles would spend unread (and dropping).
    if (specs.length) {
      remote = await openRemoteSources(o, filter, specs, stderr, () => {
        // as a first Ctrl-C: what the sources still hold and the merge's window are written
        if (o.stopOnDown) session?.source.stop();
      });
      if (remote.sources.length + devices.length === 0) throw new Fatal("no source could be opened");
    }
    for (const [k, device] of devices.entries()) {
      try {
        lives.push(
          new LiveSource(device, {
            snaplen: o.snaplen,
            promisc: o.promisc,
            bufferSize: o.bufferKiB ? o.bufferKiB * 1024 : proc ? PROC_BUFFER_BYTES : undefined,
            immediate,
            nano: o.nano,
            direction: o.direction === "in" ? 1 : o.direction === "out" ? 2 : 0,
            datalink: o.datalink ? datalinkValue(o.datalink) : undefined,
            // libpcap stops at exactly -c packets, unless a display filter decides which ones count.
            count: o.displayFilter || o.scripts.length || multi ? undefined : o.count,
            // An interface that goes down is waited for (--stop-on-down: the capture stops, as tcpdump's).
            resume: !o.stopOnDown,
            onNotice: (line) => stderr(`${PROG}: ${line}`),
            ifaceIndex: k,
          }),
        );
      } catch (e) {
        closeAll();
        throw e;
      }
    }
    if (o.listDatalinks) {
      const dl = native();
      const lines: string[] = [];
      for (const l of lives) {
        lines.push(`Data link types for ${l.device} (use option -y to set):`);
        for (const v of l.datalinks()) {
          lines.push(`  ${dl.datalinkName(v)} (${dl.datalinkDescription(v) ?? dl.datalinkName(v)})`);
        }
      }
      closeAll();
      process.stdout.write(lines.join("\n") + "\n");
      return 0;
    }
    // The same filter, compiled for each interface's link type (and netmask).
    try {
      if (filter.trim()) {
        for (const l of lives) {
          l.setFilter(compileFilter(filter, { linktype: l.info.linktype, snaplen: l.info.snaplen, optimize: !o.noOptimize, netmask: netmaskOf(l.device) }));
        }
      }
      source = multi ? new MultiLiveSource([...lives, ...(remote?.sources ?? [])], { immediate, holdbackMs: remote ? REMOTE_HOLDBACK_MS : undefined, stopBudgetMs: remote ? REMOTE_HOLDBACK_MS : undefined }) : lives[0];
      if (o.writeFile && !o.ringSeconds && !o.ringMB) checkPcapLinktypes({ path: o.writeFile, pcapng: o.pcapng }, source.info);
    } catch (e) {
      closeAll();
      throw e;
    }
    if (!o.writeFile && o.verbose === 0 && !o.detail && o.format === "text") {
      stderr(`${PROG}: verbose output suppressed, use -v[v]... for full protocol decode`);
    }
    for (const l of [...lives, ...(remote?.sources ?? [])]) stderr(`listening on ${l.device}, link-type ${linktypeLabel(l.info.linktype)}, snapshot length ${l.info.snaplen} bytes`);
  }

  // -Z: the capture is open; files are created as the user from here on.
  if (o.user) {
    dropPrivileges(o.user);
    for (const spec of o.scripts) {
      try {
        fs.accessSync(spec, fs.constants.R_OK);
      } catch {
        throw new Fatal(`${spec}: Permission denied for user ${o.user}: with -Z plugins load after the drop, so the file and every directory above it must be readable by ${o.user}`);
      }
    }
    await loadPlugins();
  }

  // Process attribution (src/proc): live, an engine; reading pcapng, the packets' comments.
  // (a file's proc.* fields cost the fast -T json path, so they are restored when asked for: --proc, a process
  // selection, or proc.* in -Y or -e)
  if (!proc && source.info.kind === "pcapng" && (procSel || /\bproc\b/.test(o.displayFilter ?? "") || o.fields.some((f) => f.startsWith("proc")))) proc = fileProc(o, procSel);
  const procPcapng = !!o.writeFile && (o.pcapng || /\.pcapng$/i.test(o.writeFile)) && !o.ringSeconds && !o.ringMB;
  if (procSel && o.writeFile && !procPcapng) stderr(`${PROG}: process information needs pcapng output (--pcapng or a .pcapng name); ${o.writeFile} gets the packets without it`);

  // Consumers: writer (pcap, pcapng, rotation, flight recorder: writing.ts), printer.
  const consumers: PacketConsumer[] = [];
  let session: Session | undefined;
  let writing: Writing | undefined;
  // Plugins' packet comments (ctx.comment) go to a -w file; the flight recorder does not take them.
  const comments = (plugins.length || (proc && procSel && procPcapng)) && o.writeFile && !o.ringSeconds && !o.ringMB ? new PacketComments() : undefined;
  if (proc && procSel && procPcapng && comments) {
    consumers.push(procComments(proc, comments));
  }
  if (o.writeFile) {
    const single = source.info.kind === "live" && (source.info.interfaces?.length ?? 1) === 1;
    writing = startWriting(o, source, single ? source.info.name : undefined, () => session?.stop(), stderr, comments);
    consumers.push(writing.consumer);
  }
  let out: TextOut | undefined;
  const printing = o.writeFile !== "-" && (!o.writeFile || o.print);
  // The printer also holds the display filter: with -Y it selects packets for every consumer (the writer
  // too), and -c counts the packets shown.
  // One dissector for the printer and the plugins' packets: a packet both read by a plugin and printed is
  // dissected once (the Dissector remembers its last packet).
  // -2: tshark's two passes, for tcp.reassembled_in on the segments before the frame that completes a PDU
  const known = o.twoPass && !o.noReassembly ? await reassembledFrames(o.readFile!, { program }) : undefined;
  // Lines only, and no plugin to ask for a packet's fields: the dissector keeps no state for trees (udp.stream)
  const summaryOnly = o.scripts.length === 0 && !proc && !needsTree(o);
  const dissector = printerDissector({ ...o, known, summaryOnly });
  const printer = printing || o.displayFilter ? createPrinter({ ...o, escapedByCaller: printing, procOf: proc?.procOf }, source.info, dissector) : undefined;
  // The one-line output with the process after each line (curl.4127): through the printer's string.
  const procLines = proc && o.format === "text" && !o.detail ? proc : undefined;
  if (printing && printer && procLines) {
    const text = (out = new TextOut(1, o.lineBuffered, 1 << 18, () => session?.stop()));
    const named = namedLines(o, source);
    consumers.push((b, i, frame) => {
      let s = printer(b, i, frame);
      if (named) s = named(b.iface[i], s);
      const tail = procLines.suffix(frame);
      if (tail && s) {
        const nl = s.indexOf("\n");
        s = nl < 0 ? s + tail : s.slice(0, nl) + tail + s.slice(nl);
      }
      text.write(s);
      if (text.broken) return false;
    });
  } else if (printing && printer) {
    out = new TextOut(1, o.lineBuffered, 1 << 18, () => session?.stop());
    const text = out;
    // Several interfaces: each line names its interface after the time, as tcpdump -i any does.
    const named = namedLines(o, source);
    const bytes = named ? undefined : printer.bytes;
    const writeLine = named ? undefined : printer.writeLine;
    consumers.push(
      writeLine
        ? (b, i, frame) => {
            // One-line summaries: written as bytes straight into the output buffer, never built as strings.
            writeLine(b, i, frame, text.line);
            text.wrote();
            if (text.broken) return false;
          }
        : bytes
          ? (b, i, frame) => {
              // -T json: the line is written as bytes, never built as a string.
              const line = bytes(b, i, frame);
              if (line) text.writeBytes(line);
              if (text.broken) return false;
            }
          : (b, i, frame) => {
              text.write(named ? named(b.iface[i], printer(b, i, frame)) : printer(b, i, frame));
              if (text.broken) return false;
            },
    );
  }

  // Plugins decide after -Y which packets reach the printer and -w; those they answer asynchronously come later.
  let runner: PluginRunner | undefined;
  let uncontain = () => {};
  let unblamed = 0;
  if (plugins.length) {
    const src = source;
    runner = new PluginRunner(plugins, {
      ...src.info,
      live: src.info.kind === "live",
      writer: writing?.consumer,
      stop: () => session?.stop(),
      kernelStats: () => src.stats(),
      err: stderr,
      count: o.count,
      comments,
      noComments: o.ringSeconds || o.ringMB ? "ctx.comment: the flight recorder's files do not take plugin comments (ctx.trigger saves with a reason)" : undefined,
      trigger: writing?.trigger,
      dissector: printer ? dissector : undefined,
      interfaces: src.info.kind !== "pcap",
      ifaceNames: src.info.interfaces?.some((f) => f.remote) ? src.info.interfaces.map((f) => f.name) : undefined,
      procOf: proc?.procOf,
    });
    runner.attach(src);
    runner.setOutput((b, i, frame) => {
      for (const c of consumers) if (c(b, i, frame) === false) session?.stop();
    });
    // A throw in a plugin's timer or an unhandled rejection is the plugin's error, not the end of tsniff:
    // the capture goes on, -w is flushed and the summary printed (plugins/context.ts, contain()).
    uncontain = runner.contain((e) => {
      unblamed++;
      if (unblamed === 1) stderr(`${PROG}: uncaught error in plugin code (no plugin's file on its stack): ${errText(e)}`);
    });
    try {
      await runner.start();
    } catch (e) {
      // onStart failed: nothing runs; the source is released and the -w file closed.
      if (source instanceof LiveSource || source instanceof MultiLiveSource) source.close();
      else source.stop();
      writing?.finish();
      uncontain();
      throw e;
    }
  }
  const psel = proc && !(proc.keepsAll && !printer && !comments && !runner) ? proc.select : undefined;
  const dsel = printer?.matches;
  // The process is found first: -Y and plugins may look at proc.* fields.
  const sel = psel ? (dsel ? (b: PacketBatch, i: number, f: number) => psel(b, i, f) && dsel(b, i, f) : psel) : dsel;
  const rsel = runner?.select;
  // TSNIFF_PROC_DEBUG=counters: the live batches counted (what process attribution costs: src/proc/debug.ts)
  const counted = procDebug("counters") && source.info.kind === "live" ? new CountingSource(source, stderr) : source;
  session = new Session({
    // live, with process attribution: through the reorder window (src/proc/hold.ts)
    source: proc?.hold && source.info.kind === "live" ? proc.hold(counted) : counted,
    program,
    count: o.count,
    select: rsel ? (sel ? (b, i, f) => sel(b, i, f) && rsel(b, i, f) : rsel) : sel,
    consumers,
    onBatchEnd:
      source.info.kind === "live"
        ? () => {
            runner?.batchEnd();
            out?.flush();
          }
        : runner
          ? () => runner?.batchEnd()
          : undefined,
  });
  const s = session;
  // tcpdump's signals: SIGINT, SIGTERM and SIGHUP end the capture cleanly (files whole, the summary printed);
  // SIGUSR1 prints the counters so far (or triggers the flight recorder); SIGUSR2 flushes -w. SIGPIPE stays
  // ignored (Node's choice): a closed standard output ends the capture through its EPIPE, and a plugin's
  // broken socket does not.
  // A second signal while plugins still work through their queue quits at once: the queue is abandoned
  // (counted), -w flushed and the summary printed (runner.abandon()).
  let signals = 0;
  const onSignal = () => {
    signals++;
    // The first signal stops the source, not the session: what was read until then (the rest of the batch in
    // hand, what libpcap still holds, the remote captures' ssh channels, the merge's window, the packets the
    // process attribution holds for their flow) still goes to the outputs, as tcpdump writes all it read; a
    // second signal stops at once.
    if (signals === 1) s.source.stop();
    else s.stop();
    if (signals === 2 && runner) {
      const left = runner.abandon();
      if (left) stderr(`${PROG}: second interrupt: ${left} packet${left === 1 ? "" : "s"} queued for plugins abandoned`);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  const cap = source;
  if (!writing?.trigger) {
    userSignal.usr1 = () => {
      const st = cap.info.kind === "live" ? cap.stats() : null;
      const pl = (n: number, w: string) => `${n} packet${n === 1 ? "" : "s"} ${w}`;
      stderr(`${PROG}: ${[pl(s.captured, "captured"), ...(st ? [pl(st.received, "received by filter"), pl(st.dropped, "dropped by kernel")] : [])].join(", ")}`);
    };
  }
  const w = writing;
  if (w) {
    userSignal.usr2 = () => w.flush();
  }
  let timer: NodeJS.Timeout | undefined;
  if (o.duration) timer = setTimeout(onSignal, o.duration * 1000);
  // `-- cmd`: started now that the capture is ready, so its first packet is caught; its end ends the capture.
  let command: Command | undefined;
  if (o.command) {
    try {
      command = startCommand(o.command, (pid) => proc?.addPid(pid), onSignal, (o.procWindow ?? 100) + 200);
    } catch (e) {
      s.stop();
      proc?.close();
      throw new Fatal(errText(e));
    }
  }
  const result = await s.run();
  proc?.close();
  userSignal.usr1 = userSignal.usr2 = undefined;
  await runner?.finish();
  if (timer) clearTimeout(timer);
  out?.flush();
  let status = 0;
  if (writing) status = writing.finish();
  if (result.end.reason === "error" && result.end.error) {
    const where = o.readFile ? `${o.readFile === "-" ? "standard input" : o.readFile}: ` : "";
    if (source.info.kind === "live") stderr(`${PROG}: ${describeLiveError(source.info.name, result.end.error)}`);
    else stderr(`${PROG}: ${where}${result.end.error.message}`);
    status = 1;
  }
  if (source.info.kind === "live") {
    const st = result.stats;
    const pl = (n: number, w: string) => `${n} packet${n === 1 ? "" : "s"} ${w}`;
    stderr(pl(result.captured, "captured"));
    if (st) {
      stderr(pl(st.received, "received by filter"));
      stderr(pl(st.dropped, "dropped by kernel"));
      if (st.ifDropped) stderr(pl(st.ifDropped, "dropped by interface"));
    }
    if (source instanceof MultiLiveSource && source.droppedAtStop) stderr(`${pl(source.droppedAtStop, "dropped by tsniff")} at stop (held for time order when the consumer ran out of time)`);
    if (runner) {
      stderr(pl(runner.droppedByTsniff, "dropped by tsniff"));
    }
    // Remote sources: one line per source (the remote tool's own counters) after the totals.
    if (remote && source instanceof MultiLiveSource) {
      for (const line of remote.summary(source.sources)) stderr(line);
      if (remote.failures) status = status || 1;
    }
  }
  if (proc) for (const line of proc.summary()) stderr(line);
  if (o.keylogs?.length && tlsCounts.decrypted + tlsCounts.undecryptable > 0) stderr(`${PROG}: TLS: ${tlsCounts.decrypted} record${tlsCounts.decrypted === 1 ? "" : "s"} decrypted, ${tlsCounts.undecryptable} not decryptable${tlsCounts.lost ? `, ${tlsCounts.lost} lost with TCP segments not captured` : ""}`);
  const ra = dissector.reassembly;
  if (ra && ra.stats.evicted > 0) stderr(`${PROG}: TCP reassembly: ${ra.stats.evicted} connection${ra.stats.evicted === 1 ? "" : "s"} evicted at the memory cap (--reassembly-mem ${Number((ra.maxBytes / 1048576).toPrecision(3))} MB), ${ra.dropped} unfinished PDU${ra.dropped === 1 ? "" : "s"} dropped`);
  if (command) {
    const code = await command.exited;
    if (status === 0) status = code;
  }
  if (runner) {
    // The plugins' error totals; a run where a plugin failed exits 1.
    for (const line of runner.errorTotals()) stderr(line);
    if (unblamed) stderr(`${PROG}: ${unblamed} uncaught error${unblamed === 1 ? "" : "s"} in plugin code`);
    if (runner.errors || unblamed) status = status || 1;
    // Plugin code may still hold the event loop (timers, sockets, a promise that never settles): once the
    // run is over tsniff quits anyway (at once after a second interrupt). Output is written synchronously.
    // Errors plugin code throws meanwhile stay contained (not reported: the summary is out).
    uncontain();
    const quiet = () => {};
    process.on("uncaughtException", quiet);
    process.on("unhandledRejection", quiet);
    const code = status;
    if (runner.abandoned) process.exit(code);
    setTimeout(() => process.exit(process.exitCode ?? code), 200).unref();
  }
  return status;
}

export async function main(argv: string[]): Promise<number> {
  installUserSignals();
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${PROG}: ${e.message}\n${USAGE}`);
      return 1;
    }
    throw e;
  }
  try {
    return await run(o);
  } catch (e) {
    if (e instanceof FilterError || e instanceof ProcError || e instanceof RemoteOpenError) {
      process.stderr.write(`${PROG}: ${e.message}\n`);
      return 1;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof Fatal || (e instanceof Error && code)) {
      process.stderr.write(`${PROG}: ${errText(e)}\n`);
      return e instanceof Fatal ? e.exitCode : 1;
    }
    // A bug: still one line for the user, the stack only on request.
    process.stderr.write(`${PROG}: internal error: ${errText(e)}${process.env.TSNIFF_DEBUG ? "\n" + (e as Error).stack : " (set TSNIFF_DEBUG=1 for details)"}\n`);
    return 2;
  }
}
