/**
 * Backpressure (issue #5): capture() over a file never drops and keeps its queue within the bound however
 * slow the consumer is (FileSource pauses between batches); live capture keeps its bounded queue and counts
 * what it drops. FileSource's pause/resume and setBackpressure hooks are tested directly too.
 */
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { capture } from "../../src/index.js";
import { has, ROOT, sh } from "../helpers/run.js";

const ROOTED = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));

let dir: string;
let big: string;
const N = 20_000;

/** A pcap of n Ethernet/IPv4/UDP frames whose payload is the packet's number (0-based, big-endian u32). */
function makePcap(file: string, n: number): void {
  const rec = 16 + 60;
  const b = Buffer.alloc(24 + n * rec);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(1, 20);
  const frame = Buffer.alloc(60);
  Buffer.from("02000000aa0102000000bb010800", "hex").copy(frame, 0);
  frame[14] = 0x45;
  frame.writeUInt16BE(46, 16);
  frame[22] = 64;
  frame[23] = 17;
  Buffer.from([10, 203, 95, 1, 10, 203, 95, 2]).copy(frame, 26);
  frame.writeUInt16BE(40000, 34);
  frame.writeUInt16BE(9, 36);
  frame.writeUInt16BE(26, 38);
  for (let i = 0; i < n; i++) {
    const o = 24 + i * rec;
    b.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), o);
    b.writeUInt32LE((i % 1000) * 1000, o + 4);
    b.writeUInt32LE(60, o + 8);
    b.writeUInt32LE(60, o + 12);
    frame.writeUInt32BE(i, 42);
    frame.copy(b, o + 16);
  }
  fs.writeFileSync(file, b);
}

/** The packet number a frame of makePcap carries. */
const seqOf = (data: Uint8Array) => ((data[42] << 24) | (data[43] << 16) | (data[44] << 8) | data[45]) >>> 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-api-bp-"));
  big = path.join(dir, "seq.pcap");
  makePcap(big, N);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("capture() over a file: a slow consumer", () => {
  it("gets every packet in order; the queue never holds more than its bound and reading pauses", async () => {
    const stream = capture({ offline: big, queue: 256 });
    let expected = 0;
    let maxQueued = 0;
    for await (const p of stream) {
      expect(seqOf(p.data)).toBe(expected);
      expect(p.frame).toBe(expected + 1);
      expected++;
      // Slow: a macrotask per packet, and now and then a real pause; the file is read far faster.
      if (expected % 5000 === 0) await sleep(5);
      else await tick();
      maxQueued = Math.max(maxQueued, stream.stats().queueHighWater);
    }
    expect(expected).toBe(N);
    const st = stream.stats();
    expect(st.captured).toBe(N);
    expect(st.droppedByTsniff).toBe(0);
    expect(st.queueHighWater).toBeLessThanOrEqual(256);
    expect(st.queueHighWater).toBeGreaterThan(100); // the reader did run ahead, to the bound
    expect(st.readPauses).toBeGreaterThan(N / 256 / 2); // and was held back again and again
    expect(stream.end?.reason).toBe("eof");
  });

  it("memory stays bounded: while the consumer stalls, reading stops at the bound instead of running to the end", async () => {
    // Without backpressure the reader would queue a clone of every packet of the file at once.
    const stream = capture({ offline: big, queue: 64 });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    await sleep(200); // the consumer stalls; reading must be paused, not running to the end of the file
    const st = stream.stats();
    expect(st.captured).toBeLessThanOrEqual(64 + 1);
    expect(st.queueHighWater).toBeLessThanOrEqual(64);
    let n = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) n++;
    expect(n).toBe(N);
    expect(stream.stats().queueHighWater).toBeLessThanOrEqual(64);
  });

  it("a queue of 1 still delivers everything in order (batches of one packet)", async () => {
    const stream = capture({ offline: path.join(ROOT, "fixtures", "http", "http.pcap"), queue: 1 });
    const frames: number[] = [];
    for await (const p of stream) {
      frames.push(p.frame);
      await tick();
    }
    expect(frames).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(stream.stats().queueHighWater).toBe(1);
  });

  it("with a filter and a count: only the matching packets, in order, then the end", async () => {
    const stream = capture({ offline: big, queue: 32, filter: "udp", count: 1000 });
    let n = 0;
    for await (const p of stream) {
      expect(seqOf(p.data)).toBe(n++);
      if (n % 100 === 0) await sleep(1);
    }
    expect(n).toBe(1000);
    expect(stream.stats().queueHighWater).toBeLessThanOrEqual(32);
    expect(stream.end?.reason).toBe("count");
  });

  it("break while reading is paused ends the capture at once", async () => {
    const stream = capture({ offline: big, queue: 16 });
    let n = 0;
    const t0 = Date.now();
    for await (const _ of stream) {
      if (++n === 3) {
        await sleep(50); // the reader fills the queue and pauses
        break;
      }
    }
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(stream.end?.reason).toBe("stopped");
    expect(stream.stats().captured).toBeLessThanOrEqual(3 + 16);
  });

  it.skipIf(!has("editcap"))("pcapng too: every packet in order within the bound", async () => {
    const ng = path.join(dir, "seq.pcapng");
    expect(sh("editcap", ["-F", "pcapng", big, ng]).status).toBe(0);
    const stream = capture({ offline: ng, queue: 100 });
    let n = 0;
    for await (const p of stream) {
      expect(seqOf(p.data)).toBe(n++);
      await tick();
    }
    expect(n).toBe(N);
    expect(stream.stats().queueHighWater).toBeLessThanOrEqual(100);
    expect(stream.stats().droppedByTsniff).toBe(0);
  });
});

describe("FileSource backpressure hooks", () => {
  it("pause() holds reading at the batch boundary until resume(); batches respect batchSize", async () => {
    const src = await FileSource.open(big, { batchSize: 700 });
    expect(src.batchSize).toBe(700);
    let paused = false;
    let batches = 0;
    let next = 0;
    const run = src.run((b) => {
      expect(paused).toBe(false); // nothing arrives while paused
      expect(b.count).toBeLessThanOrEqual(700);
      for (let i = 0; i < b.count; i++) expect(seqOf(b.data.subarray(b.offset[i]))).toBe(next++);
      if (++batches % 3 === 0) {
        src.pause();
        paused = true;
        setTimeout(() => {
          paused = false;
          src.resume();
        }, 2);
      }
      return Infinity;
    });
    expect((await run).reason).toBe("eof");
    expect(next).toBe(N);
    expect(batches).toBeGreaterThanOrEqual(Math.ceil(N / 700));
  });

  it("setBackpressure: the promise the hook returns is awaited before each batch", async () => {
    const src = await FileSource.open(big, { batchSize: 5000 });
    let waiting = false;
    let waits = 0;
    let got = 0;
    src.setBackpressure(() => {
      waits++;
      waiting = true;
      return sleep(1).then(() => {
        waiting = false;
      });
    });
    const end = await src.run((b) => {
      expect(waiting).toBe(false);
      got += b.count;
      return Infinity;
    });
    expect(end.reason).toBe("eof");
    expect(got).toBe(N);
    expect(waits).toBeGreaterThanOrEqual(N / 5000);
  });

  it("stop() releases a paused source: run() resolves as stopped", async () => {
    const src = await FileSource.open(big, { batchSize: 10 });
    let got = 0;
    const run = src.run((b) => {
      got += b.count;
      src.pause();
      return Infinity;
    });
    await sleep(30);
    expect(src.paused).toBe(true);
    expect(got).toBe(10);
    src.stop();
    expect((await run).reason).toBe("stopped");
    expect(got).toBe(10);
  });
});

describe("capture() live: a slow consumer", () => {
  it.skipIf(!ROOTED)("on loopback: the queue stays within its bound, the rest is dropped and counted", async () => {
    const port = 48000 + (process.pid % 1000);
    const sock = dgram.createSocket("udp4");
    const stream = capture({ iface: "lo", filter: `udp dst port ${port}`, queue: 8, timeout: 20 });
    const it = stream[Symbol.asyncIterator]();
    setTimeout(() => {
      for (let i = 0; i < 300; i++) sock.send(Buffer.from(`slow-${i}`), port, "127.0.0.1");
      setTimeout(() => stream.stop(), 1500);
    }, 400);
    let n = 0;
    let last = -1;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      const k = Number(Buffer.from(r.value.data.subarray(42)).toString().slice(5));
      expect(k).toBeGreaterThan(last); // what is delivered stays in order
      last = k;
      n++;
      await sleep(15);
    }
    sock.close();
    const st = stream.stats();
    expect(st.captured).toBe(300);
    expect(st.droppedByTsniff).toBeGreaterThan(0);
    expect(n + st.droppedByTsniff).toBe(st.captured);
    expect(st.queueHighWater).toBeLessThanOrEqual(8);
    expect(st.readPauses).toBe(0); // a live capture is never paused: the kernel would drop unseen
  });
});
