/**
 * The -T json line is written as bytes (json-bytes.ts), not by JSON.stringify. It must spell exactly what
 * JSON.stringify of the packet object spells, with the terminal guard applied: checked here over every fixture,
 * a slice of the corpus and hand-made strings full of what must be escaped. Also TextOut: lines given as text
 * and as bytes keep their order, and control characters in text are escaped wherever they fall in a chunk.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector } from "../../src/dissectors/index.js";
import { FrameBuilder } from "../../src/output/frame.js";
import { packetJson, packetJsonBytes, packetObject } from "../../src/output/json.js";
import { termSafe } from "../../src/output/escape.js";
import { TextOut } from "../../src/output/text-out.js";
import { treeNode, type TreeNode } from "../../src/dissectors/tree.js";
import { fields } from "../../src/dissectors/types.js";
import type { PacketView } from "../../src/output/view.js";
import { createPrinter } from "../../src/output/printer.js";
import { BASE } from "./options.js";
import { has, sh, tsniff } from "../helpers/run.js";

import { CORPUS, ROOT } from "../helpers/paths.js";

/** What -T json printed before the byte writer: JSON.stringify, then C1/U+2028/U+2029 and the terminal guard. */
function reference(v: PacketView): string {
  const s = JSON.stringify(packetObject(v)).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  return termSafe(s) + "\n";
}

async function compareFile(file: string, limit = 5000): Promise<{ packets: number; diffs: string[] }> {
  const diffs: string[] = [];
  let packets = 0;
  let src: FileSource;
  try {
    src = await FileSource.open(file);
  } catch {
    return { packets, diffs };
  }
  const dis = new Dissector({});
  const fb = new FrameBuilder();
  let frame = 0;
  await src
    .run((b) => {
      for (let i = 0; i < b.count; i++) {
        const { ctx, tree } = dis.detail(b, i, ++frame);
        const start = b.offset[i];
        const view: PacketView = { roots: [fb.build(ctx, start, tree!.roots, b.iface[i]), ...tree!.roots], data: b.data, start, end: start + b.caplen[i], ctx };
        const got = packetJson(view);
        const want = reference(view);
        packets++;
        if (got !== want && diffs.length < 3) diffs.push(`${path.basename(file)} #${frame}:\n${got}\n${want}`);
      }
      return frame >= limit ? 0 : 1e9;
    })
    .catch(() => undefined); // damaged files: the packets before the damage were compared
  return { packets, diffs };
}

function listPcaps(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== CORPUS) out.push(...listPcaps(p)); // the corpus has its own tests below
    } else if (/\.(pcap|pcapng)$/.test(e.name)) out.push(p);
  }
  return out;
}

describe("-T json bytes equal JSON.stringify of the packet object", () => {
  it("over every fixture", async () => {
    let total = 0;
    for (const f of listPcaps(path.join(ROOT, "fixtures"))) {
      const r = await compareFile(f);
      expect(r.diffs, f).toEqual([]);
      total += r.packets;
    }
    expect(total).toBeGreaterThan(100);
  });

  it.skipIf(!fs.existsSync(CORPUS))("over the tcpdump corpus (every fourth file, crafted packets included)", async () => {
    const files = fs.readdirSync(CORPUS).sort().filter((_, i) => i % 4 === 0);
    let total = 0;
    for (const f of files) {
      const r = await compareFile(path.join(CORPUS, f), 2000);
      expect(r.diffs, f).toEqual([]);
      total += r.packets;
    }
    expect(total).toBeGreaterThan(1000);
  }, 120_000);

  it("without -Y the dissectors write straight into the JSON records (no tree): the same lines as from the tree", async () => {
    const files = [...listPcaps(path.join(ROOT, "fixtures"))];
    if (fs.existsSync(CORPUS)) files.push(...fs.readdirSync(CORPUS).sort().filter((_, i) => i % 8 === 1).map((f) => path.join(CORPUS, f)));
    let total = 0;
    for (const file of files) {
      let src: FileSource;
      try {
        src = await FileSource.open(file);
      } catch {
        continue;
      }
      const tree = createPrinter({ ...BASE, format: "json" }, src.info);
      const direct = createPrinter({ ...BASE, format: "json" }, src.info);
      let frame = 0;
      const diffs: string[] = [];
      await src
        .run((b) => {
          for (let i = 0; i < b.count; i++) {
            frame++;
            const want = tree(b, i, frame);
            const got = Buffer.from(direct.bytes!(b, i, frame)!).toString("utf8");
            total++;
            if (got !== want && diffs.length < 2) diffs.push(`#${frame}\n${got}\n${want}`);
          }
          return frame >= 3000 ? 0 : 1e9;
        })
        .catch(() => undefined);
      expect(diffs, file).toEqual([]);
    }
    expect(total).toBeGreaterThan(1000);
  }, 120_000);

  it("escapes what JSON and the terminal must not see raw, and writes the rest as UTF-8", () => {
    const F = fields("jsontest", { s: ["S", "string"], n: ["N", "uint"], f: ["F", "float"], b: ["B", "bool"], x: ["X", "bytes"] });
    const nasty = [
      'plain "quoted" \\back\\',
      "\x00\x01\b\t\n\f\r\x1b[2J\x7f",
      "\u0080\u0085\u009b\u00a0\u00b7\u00ff",
      "\u2028\u2029\u202a\u202e\u2066\u2069\ufeff\u200b",
      "\ud83d\ude00 astral, lone \ud800 and \udc00",
      "",
    ];
    const data = new Uint8Array([0, 1, 0xab, 0xff]);
    const kids: TreeNode[] = [];
    for (const s of nasty) kids.push(treeNode(F.s.name, "S", s, s, 0, 0, "field", F.s, undefined));
    for (const n of [0, 7, 65535, 4294967295, -12, 2 ** 53, 0.5, 1e21, NaN]) kids.push(treeNode(F.n.name, "N", n, String(n), 0, 0, "field", F.n, undefined));
    kids.push(treeNode(F.f.name, "F", 3.25, "3.25", 0, 0, "field", F.f, undefined));
    kids.push(treeNode(F.b.name, "B", true, "True", 0, 0, "field", F.b, undefined));
    kids.push(treeNode(F.x.name, "X", null, "", 0, 4, "field", F.x, undefined));
    const roots = [treeNode("jsontest", "T", null, "", 0, 4, "proto", undefined, kids), treeNode("jsontest", "T", null, "", 0, 4, "proto", undefined, [])];
    const ctx = { truncated: true, malformed: true, malformedReason: "bad \x1b", bug: null } as unknown as PacketView["ctx"];
    const view: PacketView = { roots, data, start: 0, end: 4, ctx };
    const line = packetJson(view);
    expect(line).toBe(reference(view));
    // Valid JSON whose strings come back unchanged, and nothing raw for the terminal.
    const doc = JSON.parse(line);
    expect(doc.jsontest[0]["jsontest.s"]).toEqual(nasty);
    expect(doc.jsontest[0]["jsontest.x"]).toBe("00:01:ab:ff");
    expect(doc["_ws.expert"]).toEqual({ truncated: true, malformed: "bad \x1b" });
    expect(line).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/);
    // The bytes are that text in UTF-8.
    expect(Buffer.from(packetJsonBytes(view)).toString("utf8")).toBe(line);
  });
});

describe.skipIf(!has("tshark") || !fs.existsSync(CORPUS))("frame.interface_id as tshark shows it", () => {
  it("present (0 included) for a pcapng file, absent for a pcap file", () => {
    const ng = path.join(CORPUS, fs.readdirSync(CORPUS).filter((f) => f.endsWith(".pcapng")).sort()[0]);
    const pcap = path.join(ROOT, "fixtures/arp/arp.pcap");
    for (const [file, present] of [
      [ng, true],
      [pcap, false],
    ] as const) {
      const theirs = JSON.parse(sh("tshark", ["-r", file, "-T", "json", "-c", "3"]).stdout.toString()) as { _source: { layers: { frame: Record<string, unknown> } } }[];
      const ours = tsniff(["-T", "json", "-c", "3", "-r", file]).stdout.toString().trim().split("\n").map((l) => JSON.parse(l));
      expect(ours.length).toBe(theirs.length);
      ours.forEach((o, i) => {
        const t = theirs[i]._source.layers.frame["frame.interface_id"];
        expect(t !== undefined, `${file} tshark`).toBe(present);
        expect(o.frame["frame.interface_id"], file).toBe(present ? Number(t) : undefined);
      });
    }
  });
});

describe("TextOut", () => {
  function capture(fn: (t: TextOut) => void, limit = 64): string {
    const f = path.join(os.tmpdir(), `tsniff-textout-${process.pid}-${Math.random()}.txt`);
    const fd = fs.openSync(f, "w");
    try {
      const t = new TextOut(fd, false, limit);
      fn(t);
      t.flush();
    } finally {
      fs.closeSync(fd);
    }
    const s = fs.readFileSync(f, "utf8");
    fs.unlinkSync(f);
    return s;
  }

  it("escapes control characters in text wherever they fall in a chunk, and keeps everything else", () => {
    const lines = ["clean line\n", "bell\x07 and \x1b[31mred\n", "after: tab\tok, é ok, \u009b csi\n", "last\r\n"];
    const got = capture((t) => lines.forEach((l) => t.write(l)), 1 << 16);
    expect(got).toBe(lines.map(termSafe).join(""));
    expect(got).toContain("\\x07");
    expect(got).toContain("é ok");
  });

  it("keeps text and byte lines in order across flushes", () => {
    const want: string[] = [];
    const got = capture((t) => {
      for (let i = 0; i < 200; i++) {
        const s = `line ${i} ${"x".repeat(i % 37)}\n`;
        want.push(s);
        if (i % 3 === 0) t.writeBytes(Buffer.from(s));
        else t.write(s);
      }
    });
    expect(got).toBe(want.join(""));
  });
});
