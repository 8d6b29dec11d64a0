/**
 * -T json's long fields (a body as a Latin-1 string, bytes as "aa:bb" hex) go through WebAssembly loops
 * (src/output/json-wasm.ts). Their lines must be the bytes the JS loops write and JSON.stringify's text with
 * the terminal guard (the writer's definition): checked on every byte value, at the lengths where the paths
 * switch (the JS/WebAssembly threshold, the 16-byte SIMD blocks, the 64 KB slices), on random and text bodies,
 * and on the fixtures and corpus through the CLI's printer with the loops on and off.
 */
import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { JsonSink, setJsonWasm } from "../../src/output/json-bytes.js";
import { SLICE } from "../../src/output/json-wasm.js";
import { termSafe } from "../../src/output/escape.js";
import { fields } from "../../src/dissectors/types.js";
import type { Ctx } from "../../src/dissectors/types.js";
import { FileSource } from "../../src/capture/file-source.js";
import { createPrinter } from "../../src/output/printer.js";
import { BASE } from "./options.js";
import { CORPUS, ROOT } from "../helpers/paths.js";

const F = fields("jsonwasm", { s: ["S", "string"], x: ["X", "bytes"] });
const CTX = { truncated: false, malformed: false, malformedReason: "", bug: null } as unknown as Ctx;

/** The line JsonSink writes for one protocol holding data[0, n) as a Latin-1 string field and as a bytes field. */
function line(data: Uint8Array): string {
  const sink = new JsonSink();
  sink.begin();
  sink.openProto("jsonwasm", "W", 0);
  sink.addLatin1(F.s, data, 0, data.length, 0, data.length);
  sink.add(F.x, null, 0, data.length);
  return Buffer.from(sink.line(() => {}, CTX, data, data.length)).toString("utf8");
}

/** What the writer is defined to print: JSON.stringify's text, C1 and U+2028/9 as \u escapes, the terminal guard. */
function reference(data: Uint8Array): string {
  const doc = { frame: {}, jsonwasm: { "jsonwasm.s": Buffer.from(data).toString("latin1"), "jsonwasm.x": [...data].map((b) => b.toString(16).padStart(2, "0")).join(":") } };
  const s = JSON.stringify(doc).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  return termSafe(s) + "\n";
}

/** A small deterministic generator (xorshift32): the same bytes on every run. */
function bytes(n: number, seed: number, pick: (r: number) => number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = pick(x >>> 0);
  }
  return out;
}

const TEXT = Buffer.from('<p class="x">Hello, world \\ tab\there; caf\xe9 na\xefve \x1b[31m \x7f \x85 \xa0 \xad end</p>\r\n', "latin1");
function cases(): [string, Uint8Array][] {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const out: [string, Uint8Array][] = [];
  for (const n of [0, 1, 15, 16, 17, 255, 256, 257, 300, 4103, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE + 5]) {
    out.push([`every byte value, ${n} bytes`, bytes(n, 1, (r) => all[r & 255])]);
    out.push([`printable ASCII only, ${n} bytes`, bytes(n, 2, (r) => 0x20 + (r % 95))]);
  }
  for (const n of [256, 1000, 20000, SLICE + 333]) {
    // text with escapes at every offset within the 16-byte blocks
    const t = new Uint8Array(n);
    for (let i = 0; i < n; i++) t[i] = TEXT[i % TEXT.length];
    out.push([`text, ${n} bytes`, t]);
    // 16 safe bytes, then one to escape, shifting by one each time
    out.push([`runs of 16 + 1 escape, ${n} bytes`, Uint8Array.from({ length: n }, (_, i) => (i % 17 === 16 ? [0x22, 0x5c, 0x00, 0x7f, 0x9b, 0xe9][i % 6] : 0x61 + (i % 26)))]);
  }
  return out;
}

describe("-T json's WebAssembly loops for long fields", () => {
  afterAll(() => setJsonWasm(true));

  it("write what JSON.stringify and the terminal guard define, with the loops on and off, at every switch length", () => {
    for (const [name, data] of cases()) {
      setJsonWasm(true);
      const on = line(data);
      setJsonWasm(false);
      const off = line(data);
      expect(on, name).toBe(off);
      expect(on, name).toBe(reference(data));
      const doc = JSON.parse(on);
      expect(doc.jsonwasm["jsonwasm.s"], name).toBe(Buffer.from(data).toString("latin1"));
      expect(doc.jsonwasm["jsonwasm.x"].length, name).toBe(data.length ? data.length * 3 - 1 : 0);
      expect(on, name).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/);
    }
  });

  it("give the same -T json lines as the JS loops over the fixtures and corpus (reassembled bodies and segments)", async () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (p !== CORPUS) walk(p);
        } else if (/\.(pcap|pcapng)$/.test(e.name)) files.push(p);
      }
    };
    walk(path.join(ROOT, "fixtures"));
    if (fs.existsSync(CORPUS)) files.push(...fs.readdirSync(CORPUS).sort().filter((_, i) => i % 6 === 2).map((f) => path.join(CORPUS, f)));
    let long = 0;
    for (const file of files) {
      const run = async (on: boolean): Promise<string[]> => {
        setJsonWasm(on);
        const lines: string[] = [];
        let src: FileSource;
        try {
          src = await FileSource.open(file);
        } catch {
          return lines;
        }
        const p = createPrinter({ ...BASE, format: "json" }, src.info);
        let frame = 0;
        await src
          .run((b) => {
            for (let i = 0; i < b.count; i++) lines.push(Buffer.from(p.bytes!(b, i, ++frame)!).toString("utf8"));
            return frame >= 3000 ? 0 : 1e9;
          })
          .catch(() => undefined);
        return lines;
      };
      const on = await run(true);
      const off = await run(false);
      expect(on.length, file).toBe(off.length);
      for (let i = 0; i < on.length; i++) {
        if (on[i] !== off[i]) expect(`${path.basename(file)} #${i + 1}\n${on[i]}`).toBe(`${path.basename(file)} #${i + 1}\n${off[i]}`);
        if (/"[0-9a-f]{2}(:[0-9a-f]{2}){255}/.test(on[i])) long++;
      }
    }
    expect(long).toBeGreaterThan(10); // long byte fields were there (the loops ran)
  }, 300_000);
});
