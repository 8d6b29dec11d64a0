/**
 * Never crash: every file of the public tcpdump corpus (fixtures/corpus/tcpdump, 830 captures, many of
 * them crafted to break dissectors), read through FileSource in this one process, every packet through every
 * output mode: the summary line, -v, -vvv -e, -q, -x, -XX, -A, -V, -T json, -T fields and a display filter.
 *
 * Per file: no exception escapes (a damaged file ends with FileDamage, which is fine; a file that is not a
 * capture is refused with a clear error), no output contains a raw control character (anything below 0x20
 * but \n and \t, DEL, C1), the JSON parses, and the file is done within its time budget.
 * At the end: no dissector bug (a dissector that threw, caught by the engine and recorded in ctx.bug). The
 * failure lists the protocols at fault and the files and frames that show it, for the owners to fix.
 *
 * Skipped when the corpus is not there.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { createPrinter, type PacketPrinter, type PrintOptions } from "../../src/output/printer.js";
import { hasControl } from "../../src/output/escape.js";

import { CORPUS } from "../helpers/paths.js";
const FILE_BUDGET_MS = 20_000;

const base: PrintOptions = {
  timeFormat: "default",
  nano: false,
  verbose: 0,
  quiet: false,
  linkHeader: false,
  hex: 0,
  hexAscii: 0,
  ascii: false,
  detail: false,
  format: "text",
  fields: [],
};

const FIELDS = [
  "frame.number",
  "frame.time_epoch",
  "frame.len",
  "frame.cap_len",
  "frame.protocols",
  "eth.src",
  "eth.type",
  "ip.src",
  "ip.addr",
  "ip.flags.df",
  "ip.id",
  "tcp.port",
  "tcp.flags",
  "tcp.payload",
  "udp.port",
  "data.data",
  "ip",
];

const FILTER =
  'ip.addr == 10.0.0.0/8 || tcp.port in {80 443 1000..2000} || frame contains "GET" || udp.length > 100 || ' +
  '(eth.src != ff:ff:ff:ff:ff:ff && !tcp.flags.syn) || frame matches "(?i)http" || tcp.flags & 0x12';

const MODES: Array<[string, Partial<PrintOptions>]> = [
  ["summary", {}],
  ["-v", { verbose: 1 }],
  ["-vvv -e", { verbose: 3, linkHeader: true }],
  ["-q", { quiet: true }],
  ["-x", { hex: 1 }],
  ["-XX -e", { hexAscii: 2, linkHeader: true }],
  ["-A", { ascii: true }],
  ["-V", { detail: true }],
  ["-T json", { format: "json" }],
  ["-T fields", { format: "fields", fields: FIELDS }],
  ["-Y", { displayFilter: FILTER, verbose: 1 }],
];

interface Bug {
  file: string;
  frame: number;
  mode: string;
  proto: string;
}
const bugs: Bug[] = [];
let filesRead = 0;
let packetsRead = 0;

const files = fs.existsSync(CORPUS)
  ? fs
      .readdirSync(CORPUS)
      .filter((f) => /\.(pcap|pcapng|cap|dmp|trc)$/i.test(f) || !/\.(md|tsv|txt)$|^LICENSE$/.test(f))
      .sort()
  : [];

function controlAt(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a && c !== 0x09) || (c >= 0x7f && c < 0xa0)) {
      return `0x${c.toString(16)} at ${i}: ${JSON.stringify(s.slice(Math.max(0, i - 40), i + 20))}`;
    }
  }
  return "";
}

describe.skipIf(files.length === 0)("corpus: every file, every packet, every output mode", () => {
  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`corpus: ${filesRead} files read, ${packetsRead} packets, ${MODES.length} modes each`);
  });

  it.each(files)("%s", async (name) => {
    const file = path.join(CORPUS, name);
    const t0 = Date.now();
    let src: FileSource;
    try {
      src = await FileSource.open(file);
    } catch (e) {
      // Not a capture (or an unreadable header): refused with a clear, coded error, never a crash.
      expect((e as NodeJS.ErrnoException).code, String(e)).toBeTruthy();
      return;
    }
    filesRead++;
    const printers: Array<[string, PacketPrinter]> = MODES.map(([m, o]) => [m, createPrinter({ ...base, ...o }, src.info)]);
    let frame = 0;
    let problem = "";
    const end = await src.run((b) => {
      for (let i = 0; i < b.count; i++) {
        frame++;
        packetsRead++;
        for (const [mode, print] of printers) {
          let out: string;
          try {
            out = print(b, i, frame);
          } catch (e) {
            problem ||= `frame ${frame}, ${mode}: exception ${(e as Error)?.stack ?? e}`;
            continue;
          }
          if (print.ctx.bug) bugs.push({ file: name, frame, mode, proto: print.ctx.bug });
          if (hasControl(out)) problem ||= `frame ${frame}, ${mode}: control character ${controlAt(out)}`;
          if (mode === "-T json") {
            try {
              JSON.parse(out);
            } catch (e) {
              problem ||= `frame ${frame}, ${mode}: bad JSON: ${(e as Error).message}`;
            }
          }
        }
        if (Date.now() - t0 > FILE_BUDGET_MS) {
          problem ||= `over the ${FILE_BUDGET_MS} ms budget at frame ${frame}`;
          return 0;
        }
      }
      return Infinity;
    });
    expect(problem).toBe("");
    if (end.reason === "error") expect(end.error?.constructor.name, String(end.error)).toBe("FileDamage");
    else expect(end.reason).toBe("eof");
  }, FILE_BUDGET_MS + 10_000);

  it("no dissector bugs (ctx.bug) in any packet", () => {
    const byProto = new Map<string, Map<string, Set<string>>>();
    for (const b of bugs) {
      let f = byProto.get(b.proto);
      if (!f) byProto.set(b.proto, (f = new Map()));
      let s = f.get(b.file);
      if (!s) f.set(b.file, (s = new Set()));
      s.add(`${b.frame}`);
    }
    const lines: string[] = [];
    for (const [proto, fm] of [...byProto].sort()) {
      lines.push(`dissector bug in '${proto}': ${fm.size} file(s)`);
      for (const [file, frames] of fm) lines.push(`    ${file}: frames ${[...frames].slice(0, 10).join(",")}${frames.size > 10 ? ",..." : ""}`);
    }
    expect(lines.join("\n")).toBe("");
  });
});
