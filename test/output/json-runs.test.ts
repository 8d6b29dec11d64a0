/**
 * -T json's cached runs (TreeSink.cachedRun/endRun: TCP's flags, IPv4's version/length/DS field and
 * flags/offset are written once per value and copied as bytes after that). The CLI's path (JsonSink, with the
 * runs) must print exactly what the tree path prints (packetJsonBytes over a detail tree, which has no runs):
 * checked here over every fixture, in-process.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { FileSource } from "../../src/capture/file-source.js";
import { createPrinter, printerDissector } from "../../src/output/printer.js";
import { JsonSink } from "../../src/output/json-bytes.js";
import { Line } from "../../src/dissectors/line.js";
import { fields, sinkRun } from "../../src/dissectors/types.js";
import { BASE } from "./options.js";
import { FIXTURES } from "../helpers/paths.js";

function captures(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) captures(p, out);
    else if (/\.(pcap|pcapng|cap)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

describe("-T json cached runs", () => {
  it("the CLI's byte path (runs cached) prints the tree path's lines for every fixture", async () => {
    const o = { ...BASE, format: "json" as const, escapedByCaller: true };
    let files = 0;
    let lines = 0;
    for (const file of captures(FIXTURES)) {
      let src: FileSource;
      try {
        src = await FileSource.open(file);
      } catch {
        continue; // damaged on purpose (fuzz fixtures): not a JSON question
      }
      const fast = createPrinter(o, src.info, printerDissector(o));
      // procOf makes the printer build the tree and write it through packetJsonBytes (no JsonSink, no runs)
      const tree = createPrinter({ ...o, procOf: () => undefined }, src.info, printerDissector(o));
      const out = new Line();
      const got: string[] = [];
      const want: string[] = [];
      let frame = 0;
      try {
        await src.run((b) => {
          for (let i = 0; i < b.count; i++) {
            frame++;
            out.reset();
            fast.writeLine!(b, i, frame, out);
            got.push(Buffer.from(out.buf.subarray(0, out.n)).toString("latin1"));
            const x = tree.bytes!(b, i, frame);
            want.push(x ? Buffer.from(x).toString("latin1") : "");
          }
          return Infinity;
        });
      } catch {
        continue;
      }
      for (let k = 0; k < want.length; k++) if (got[k] !== want[k]) expect({ file, frame: k + 1, line: got[k] }).toEqual({ file, frame: k + 1, line: want[k] });
      files++;
      lines += want.length;
    }
    expect(files).toBeGreaterThan(100);
    expect(lines).toBeGreaterThan(1000);
  }, 300_000);

  it("a run is written once, then copied: the same bytes, with or without a comma before it", () => {
    const F = fields("jrun", { a: ["A", "uint"], b: ["B", "bool"], c: ["C", "string"] });
    const RUN = sinkRun();
    const sink = new JsonSink();
    const ctx = { truncated: false, malformed: false, malformedReason: "", bug: null } as never;
    const line = (first: boolean, v: number) => {
      sink.begin();
      sink.openProto("jrun", "jrun", 0);
      if (!first) sink.add(F.a, 7, 0, 1);
      if (!sink.cachedRun(RUN, v)) {
        sink.add(F.b, v === 1, 0, 1);
        sink.add(F.c, `v\u00b7${v}"`, 0, 1);
        sink.endRun(RUN, v);
      }
      return Buffer.from(sink.line(() => {}, ctx, new Uint8Array(0), 0)).toString("utf8");
    };
    const first = line(true, 1);
    expect(JSON.parse(first)).toEqual({ frame: {}, jrun: { "jrun.b": true, "jrun.c": 'v\u00b7' + '1"' } });
    expect(line(true, 1)).toBe(first); // from the cache, first in its object
    expect(JSON.parse(line(false, 1))).toEqual({ frame: {}, jrun: { "jrun.a": 7, "jrun.b": true, "jrun.c": 'v\u00b71"' } }); // after a comma
    expect(JSON.parse(line(false, 2))).toEqual({ frame: {}, jrun: { "jrun.a": 7, "jrun.b": false, "jrun.c": 'v\u00b72"' } });
    expect(JSON.parse(line(true, 2))).toEqual({ frame: {}, jrun: { "jrun.b": false, "jrun.c": 'v\u00b72"' } });
  });
});
