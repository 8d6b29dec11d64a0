/**
 * BGP on TCP port 179: tcpdump's ": BGP" (and, with -v, its message header lines, OPEN's first lines and
 * framing errors) compared with a live tcpdump run; Wireshark's bgp.* fields compared with tshark; robustness.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareFields,
  corpusReport,
  corpusRun,
  CORPUS,
  craftedDiff,
  HAVE_EDITCAP,
  HAVE_TCPDUMP,
  HAVE_TSHARK,
  ipFrame,
  readCapture,
  robustness,
  tcpdumpEscape,
  tcpdumpLines,
  writePcap,
} from "./app-common.js";

const MARKER = Buffer.alloc(16, 0xff);

/** One BGP message: marker, length (the real one unless given), type, body. */
function msg(type: number, body: number[] = [], len?: number): Buffer {
  const b = Buffer.concat([MARKER, Buffer.alloc(3), Buffer.from(body)]);
  b.writeUInt16BE(len ?? b.length, 16);
  b[18] = type;
  return b;
}
const keepalive = (): Buffer => msg(4);
/** OPEN: version 4, AS, hold time, identifier, no optional parameters. */
const open = (as: number, hold: number, id: number[]): Buffer => msg(1, [4, as >> 8, as & 255, hold >> 8, hold & 255, ...id, 0]);

/** OPEN with optional parameters: each [type, bytes] (type 2 holds capabilities built by caps()). */
const openOpts = (opts: [number, number[]][]): Buffer => {
  const body = opts.flatMap(([t, b]) => [t, b.length, ...b]);
  return msg(1, [4, 0xfd, 0xe9, 0, 180, 10, 0, 0, 1, body.length, ...body]);
};
const caps = (c: [number, number[]][]): number[] => c.flatMap(([t, b]) => [t, b.length, ...b]);

/** The crafted segments: one message, several, junk before a marker, cut messages, lying lengths. */
function cases(): Buffer[] {
  return [
    keepalive(),
    open(65001, 180, [10, 0, 0, 1]),
    open(100, 3600, [192, 0, 2, 255]),
    Buffer.concat([keepalive(), keepalive()]),
    Buffer.concat([open(23456, 90, [1, 2, 3, 4]), keepalive()]),
    Buffer.concat([Buffer.from([1, 2, 0xff, 3]), keepalive()]),
    keepalive().subarray(0, 10),
    keepalive().subarray(0, 17),
    msg(4, [], 40),
    Buffer.concat([keepalive(), msg(1, [4, 0, 1], 60)]),
    open(1, 2, [3, 4, 5, 6]).subarray(0, 25),
    msg(1, [4, 0, 1]),
    openOpts([[2, caps([[1, [0, 1, 0, 1]], [2, []], [64, [0x80, 0x78, 0, 1, 1, 0x80, 0, 2, 1, 0]], [65, [0xa4, 0xc4, 0x51, 0x52]], [69, [0, 1, 1, 1, 0, 2, 4, 3]]])]]),
    openOpts([[2, caps([[8, [0, 1, 4, 7]], [128, []], [71, []], [7, [1, 2, 3]], [1, [0, 2, 0, 128]], [69, [0, 1, 1, 9]]])], [1, [1, 2]]]),
    openOpts([[2, caps([[1, [0, 1]], [2, []]])], [2, caps([[64, [1]]])], [2, caps([[65, [0, 1]]])], [2, caps([[69, []]])], [2, caps([[69, [0, 1, 1, 1, 0]]])]]),
    openOpts([[2, caps([[0, Array.from({ length: 20 }, (_, k) => k)]])], [9, []]]),
    msg(1, [4, 0, 1, 0, 90, 1, 1, 1, 1, 8, 2, 2, 0x40, 9, 1, 2]),
    msg(1, [4, 0, 1, 0, 90, 1, 1, 1, 1, 6, 2, 2, 0x41, 9]),
    msg(3, [6, 2, 5, ...Buffer.from("maint")]),
    msg(3, [6, 4, 3, 0x41, 0x0a, 0x09, 0xe9, 0x7f, 1, 2]),
    msg(3, [6, 4, 0]),
    msg(3, [6, 4, 50, 1, 2]),
    msg(3, [6, 2, 200, ...Array.from({ length: 20 }, (_, k) => k)]),
    msg(3, [6, 6]),
    msg(3, [6, 9]),
    msg(3, [1, 2, 0, 10]),
    msg(3, [2, 6]),
    msg(3, [3, 11]),
    msg(3, [4, 0]),
    msg(3, [5, 2]),
    msg(3, [7, 1]),
    msg(3, [9, 9]),
    msg(3, []),
    msg(5, [0, 1, 0, 1]),
    msg(5, [0, 2, 0, 128]),
    msg(5, [0, 1]),
    // UPDATE: withdrawn routes, ORIGIN/AS_PATH/NEXT_HOP/MED/LOCAL_PREF, updated routes, End-of-RIB
    msg(2, [0, 0, 0, 0]),
    msg(2, [0, 5, 24, 10, 1, 2, 0, 0, 0]),
    msg(2, [0, 0, 0, 27, 0x40, 1, 1, 0, 0x40, 2, 6, 2, 2, 0, 200, 0, 1, 0x40, 3, 4, 10, 0, 0, 1, 0x80, 4, 4, 0, 0, 0, 5, 24, 192, 0, 2, 16, 172, 16, 9, 10, 0]),
    msg(2, [0, 0, 0, 29, 0x40, 1, 1, 2, 0x50, 2, 0, 8, 1, 2, 0, 1, 0, 2, 2, 1, 0x40, 2, 10, 2, 2, 0, 0, 0, 1, 0, 1, 0, 2, 0x40, 5, 4, 0, 0, 0, 100]),
    msg(2, [0, 0, 0, 16, 0x40, 1, 2, 0, 0, 0x40, 3, 3, 1, 2, 3, 0x40, 2, 3, 2, 1, 0]),
    msg(2, [0, 0, 0, 7, 0x40, 2, 0, 0x4f, 1, 1, 9, 32, 1, 2, 3, 4]),
    msg(2, [0, 2, 40, 1, 0, 0]),
    msg(2, [0, 0, 0, 63, 0x40, 6, 0, 0xc0, 7, 6, 0, 200, 1, 2, 3, 4, 0xc0, 7, 8, 0, 1, 0, 2, 5, 6, 7, 8, 0xc0, 8, 16, 0, 100, 0, 1, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 2, 0xff, 0xff, 0xff, 3, 0x80, 9, 4, 9, 9, 9, 9, 0x80, 10, 8, 1, 1, 1, 1, 2, 2, 2, 2, 0x40, 6, 1, 0, 24, 10, 0, 0]),
    msg(2, [0, 0, 0, 13, 0xc0, 8, 3, 1, 2, 3, 0x80, 10, 2, 1, 2, 0xc0, 7, 1, 0]),
    Buffer.from("not bgp at all"),
    Buffer.from([0xff]),
  ];
}

describe("bgp: -nn lines match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("crafted segments", async () => {
    const c = [...cases(), msg(4, [], 5)];
    const frames = c.map((p, i) => ipFrame("tcp", i % 2 ? 179 : 40000 + i, i % 2 ? 40000 + i : 179, p));
    const { ours, tcpdump } = await craftedDiff(frames);
    expect(tcpdump.length).toBe(frames.length);
    expect(ours).toEqual(tcpdump);
    expect(ours.every((l) => l.endsWith(": BGP"))).toBe(true);
  });

  it.skipIf(!HAVE_TCPDUMP)("the tcpdump corpus (every packet that reaches BGP)", async () => {
    const r = await corpusRun(/bgp/, ["bgp"]);
    console.log(corpusReport("bgp", r));
    expect(r.bugs).toBe(0);
    expect(r.reached).toBeGreaterThan(50);
    // the lines that differ differ below BGP (the TCP MD5 option's text): none may differ after ": BGP"
    const bad = r.mismatches.filter((m) => !/md5/.test(m));
    expect(bad).toEqual([]);
  });

  it.skipIf(!HAVE_TCPDUMP || !HAVE_EDITCAP)("snaplen-cut corpus captures", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-bgp-"));
    try {
      let compared = 0;
      const src = path.join(CORPUS, "bgp-4byte-asn.pcap");
      for (const n of [54, 66, 70, 80, 100, 120]) {
        const cut = path.join(dir, `cut${n}.pcap`);
        execFileSync("editcap", ["-s", String(n), src, cut], { stdio: "ignore" });
        const { lines, layers } = await readCapture(cut);
        const td = tcpdumpLines(cut);
        lines.forEach((l, i) => {
          if (!layers[i].includes("bgp")) return;
          compared++;
          expect(`${n}#${i + 1}: ${l}`).toBe(`${n}#${i + 1}: ${td[i]}`);
        });
      }
      expect(compared).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bgp: -v message lines match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("crafted segments (headers, OPEN without parameters, cut and bogus messages)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-bgp-v-"));
    try {
      const f = path.join(dir, "v.pcap");
      writePcap(f, cases().map((p, i) => ipFrame("tcp", 40000 + i, 179, p)));
      // the whole text, since tcpdump's lines for a cut or bogus message are not indented
      const { lines, layers } = await readCapture(f, 1);
      expect(layers.every((l) => l.includes("bgp"))).toBe(true);
      const ours = lines.map(tcpdumpEscape).join("\n").split("\n");
      const td = execFileSync("tcpdump", ["-nn", "-t", "-v", "-r", f], { stdio: ["ignore", "pipe", "ignore"] }).toString("latin1").split("\n");
      if (td[td.length - 1] === "") td.pop();
      expect(ours).toEqual(td);
      expect(td.filter((l) => /Message \(\d\), length/.test(l)).length).toBeGreaterThan(8);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bgp: fields equal tshark's", () => {
  it.skipIf(!HAVE_TSHARK)("crafted segments", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-bgp-f-"));
    try {
      const f = path.join(dir, "f.pcap");
      const segs = [keepalive(), open(65001, 180, [10, 0, 0, 1]), open(100, 3600, [192, 0, 2, 255]), Buffer.concat([open(23456, 90, [1, 2, 3, 4]), keepalive()])];
      writePcap(f, segs.map((p, i) => ipFrame("tcp", 40000 + i, 179, p)));
      const { packets } = await readCapture(f);
      const { diffs, compared } = compareFields(f, packets, ["bgp.length", "bgp.type", "bgp.open.version", "bgp.open.myas", "bgp.open.holdtime", "bgp.open.identifier", "bgp.open.opt.len"]);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThanOrEqual(15);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bgp: robustness", () => {
  it("every truncation and seeded byte flips of crafted and corpus segments, at -v0 and -v", async () => {
    const frames = cases().map((p, i) => ({ data: ipFrame("tcp", 40000 + i, 179, p), linktype: 1, wirelen: 0 }));
    for (const fr of frames) fr.wirelen = fr.data.length;
    expect(robustness(frames)).toEqual([]);
    expect(robustness(frames, { verbose: 1 })).toEqual([]);
    const file = path.join(CORPUS, "bgp-4byte-asn.pcap");
    if (fs.existsSync(file)) {
      const { packets } = await readCapture(file);
      expect(robustness(packets, { verbose: 1, flips: 10 })).toEqual([]);
    }
  });
});
