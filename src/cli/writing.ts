/**
 * What -w does, for the CLI: one pcap or pcapng file, rotated files (-C/-G/-W), or the flight recorder
 * (--ring-seconds/--ring-mb with --trigger, SIGUSR1 and --after). It gives main() one consumer and one
 * finish() that closes everything and reports failures as one line each.
 */
import fs from "node:fs";
import path from "node:path";
import type { CliOptions } from "./args.js";
import type { PacketSource } from "../capture/source.js";
import type { PacketConsumer } from "../session.js";
import { describeLive, openCaptureWriter } from "../capture/writers.js";
import { isPcapngName } from "../capture/pcapng-writer.js";
import type { PacketComments } from "../capture/comments.js";
import type { CaptureWriter } from "../capture/rotating-writer.js";
import { FlightRecorder } from "../capture/ring.js";
import { errnoText } from "../capture/chunked-writer.js";
import { createPrinter } from "../output/printer.js";
import { KeyLogFollower } from "../tls/keylog.js";

const PROG = "tsniff";

export interface Writing {
  consumer: PacketConsumer;
  /** the flight recorder's manual trigger (SIGUSR1, a plugin's ctx.trigger); absent without a recorder */
  trigger?: (reason: string) => void;
  /** writes what is buffered (SIGUSR2, as tcpdump's); a failure is kept for finish() and stops the capture */
  flush(): void;
  /** closes the files and reports what went wrong; returns the exit status (0 or 1) */
  finish(): number;
}

function reason(e: Error): string {
  return (e as NodeJS.ErrnoException).code ? errnoText(e) : e.message.replace(/^[^:]*: /, "");
}

/**
 * `comments`: packet comments from plugins (ctx.comment), written on their packets' blocks in pcapng; with a
 * pcap -w they are left out, and said so once.
 */
export function startWriting(
  o: CliOptions,
  source: PacketSource,
  device: string | undefined,
  stop: () => void,
  stderr: (s: string) => void,
  comments?: PacketComments,
): Writing {
  if (o.ringSeconds || o.ringMB) return startRecorder(o, source, device, stop, stderr);
  const w: CaptureWriter = openCaptureWriter(
    {
      path: o.writeFile!,
      pcapng: o.pcapng,
      packetBuffered: o.packetBuffered,
      sizeLimit: o.fileSize,
      seconds: o.rotateSeconds,
      files: o.fileCount,
      device,
      secrets: o.keylogs?.length ? new KeyLogFollower(o.keylogs) : undefined,
    },
    source,
  );
  let writeError: Error | undefined;
  const failed = (e: unknown) => {
    writeError = e as Error;
    return false;
  };
  const pcapng = !!o.pcapng || isPcapngName(o.writeFile!);
  if (o.keylogs?.length && !pcapng) stderr(`${PROG}: a pcap file cannot hold the TLS key log; ${o.writeFile} is written without it (write pcapng to keep the secrets in the file)`);
  let toldPcap = false;
  const consumer: PacketConsumer = (b, i, frame) => {
    const comment = comments?.take(frame);
    if (comment !== undefined && !pcapng && !toldPcap) {
      toldPcap = true;
      stderr(`${PROG}: packet comments need pcapng output (--pcapng or a .pcapng name); ${o.writeFile} is pcap and gets the packets without them`);
    }
    try {
      w.writePacket(b, i, pcapng ? comment : undefined);
    } catch (e) {
      return failed(e);
    }
  };
  consumer.whole = (b, from, to, first) => {
    // packets with comments (their processes) are written one by one, a run without in one go
    if (comments?.size) {
      for (let i = from; i < to; i++) if (consumer(b, i, first + i - from) === false) return false;
      return;
    }
    try {
      w.writeBatch(b, from, to);
    } catch (e) {
      return failed(e);
    }
  };
  return {
    consumer,
    flush() {
      if (writeError) return;
      try {
        w.flush();
      } catch (e) {
        failed(e);
        stop();
      }
    },
    finish(): number {
      try {
        w.close();
      } catch (e) {
        writeError ??= e as Error;
      }
      const code = (writeError as NodeJS.ErrnoException | undefined)?.code;
      if (code === "EPIPE") return 0; // the reader of -w - went away: not an error, like a closed pipe for text
      if (code === "EROTATELIMIT") {
        stderr(writeError!.message);
        return 0;
      }
      if (writeError) {
        const where = (writeError as { path?: string }).path ?? w.path;
        stderr(`${PROG}: ${where}: ${reason(writeError)}; stopped, ${savedText(w, where)}`);
        return 1;
      }
      // A file (or its directory) removed while it was written: the data went to an unlinked file.
      if (w.path !== "-" && w.packets > 0 && !fs.existsSync(w.path)) {
        stderr(`${PROG}: ${w.path}: the file was removed while it was being written; its packets are lost`);
        return 1;
      }
      return 0;
    },
  };
}

/**
 * What became of the packets written before a failure: "saved" only when the files that hold them are still
 * there (a directory removed under tsniff takes them along; the writes went to unlinked files).
 */
function savedText(w: CaptureWriter, failed: string): string {
  const n = w.savedPackets;
  const pk = `${n} packet${n === 1 ? "" : "s"}`;
  if (w.path === "-") return `the ${pk} before are written`;
  const opened = (w as { opened?: string[] }).opened ?? [w.path];
  // The failed file itself holds the packets before only when it is the one being written (no rotation).
  const files = [...new Set(opened.length > 1 ? opened.filter((f) => f !== failed) : opened)];
  const gone = files.filter((f) => !fs.existsSync(f));
  if (n === 0) return "no packets were saved";
  if (gone.length === 0) return `the ${pk} before are saved`;
  // Removed or moved away (a rename keeps them whole elsewhere): tsniff can't tell, so it says both.
  const dirGone = !fs.existsSync(path.dirname(gone[0]));
  const what = `${dirGone ? path.dirname(gone[0]) : gone[0]} was removed or moved`;
  if (gone.length === files.length) return `and the ${pk} before were written to ${files.length === 1 ? "a file that is" : "files that are"} no longer there: ${what}`;
  return `and of the ${pk} before, those in ${gone.length} of ${files.length} files are no longer there: ${what}`;
}

function startRecorder(o: CliOptions, source: PacketSource, device: string | undefined, stop: () => void, stderr: (s: string) => void): Writing {
  let error: Error | undefined;
  const trigger =
    o.trigger && o.trigger.trim()
      ? createPrinter({ ...o, displayFilter: o.trigger, format: "text", detail: false, hex: 0, hexAscii: 0, ascii: false }, source.info).matches
      : undefined;
  const rec = new FlightRecorder({
    seconds: o.ringSeconds,
    maxBytes: o.ringMB ? o.ringMB * 1e6 : undefined,
    after: o.after,
    path: o.writeFile!,
    info: source.info,
    describe: source.info.kind === "live" ? describeLive(source.info, device) : undefined,
    trigger,
    triggerText: o.trigger,
    // --keylog: every saved file carries the key log so far (and what is added while it is written)
    secrets: o.keylogs?.length ? new KeyLogFollower(o.keylogs) : undefined,
    onSaved: (path, n, why) => stderr(`${PROG}: flight recorder: saved ${n} packets to ${path} (${why})`),
    onError: (e) => {
      error = e;
      stop();
    },
  });
  const onUsr1 = () => rec.trigger("SIGUSR1");
  process.on("SIGUSR1", onUsr1);
  const timer = source.info.kind === "live" ? setInterval(() => rec.tick(), 200) : undefined;
  timer?.unref();
  const consumer: PacketConsumer = (b, i, frame) => {
    rec.add(b, i, frame);
    if (error) return false;
  };
  return {
    consumer,
    trigger: (reason) => rec.trigger(reason),
    // The recorder writes its files whole when it saves: there is nothing buffered to flush.
    flush() {},
    finish(): number {
      if (timer) clearInterval(timer);
      process.off("SIGUSR1", onUsr1);
      rec.close();
      if (error) {
        stderr(`${PROG}: flight recorder: ${error.message}`);
        return 1;
      }
      return 0;
    },
  };
}
