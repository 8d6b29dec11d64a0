/**
 * The display filter pass in the worker thread (src/tui/filter-thread.ts, filter-worker.ts, the built worker in
 * dist/tui/): the same frames as tshark -Y, also while the file is still being indexed, and a filter changed
 * while a pass runs shows only the new filter's matches.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { Reassembly, type PduLength } from "../../src/stream/reassembly.js";
import { FilterThread } from "../../src/tui/filter-thread.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { readRecords } from "../helpers/records.js";
import { has, ROOT } from "../helpers/run.js";

const WORKER = pathToFileURL(path.join(ROOT, "dist", "tui", "filter-worker.js"));
const fx = (p: string) => path.join(ROOT, "fixtures", p);

function tshark(file: string, filter: string): number[] {
  return execFileSync("tshark", ["-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 })
    .toString()
    .split("\n")
    .filter(Boolean)
    .map(Number);
}

/** A model over `file` whose filter passes run in the worker; `indexed`: the index pass is done (else it runs alongside). */
async function open(file: string, indexed: boolean) {
  const index = new PacketIndex();
  const pf = new PacketFile(file, index);
  const m = new Model(new CaptureRows(index, pf));
  m.filterThread = new FilterThread(file, index, WORKER);
  let indexing: Promise<unknown> = Promise.resolve();
  const src = await FileSource.open(file);
  if (indexed) {
    await indexFile(src, index);
    m.indexDone();
  } else {
    indexing = indexFile(src, index, undefined, () => {
      m.grew();
      return true;
    }).then(() => m.indexDone());
  }
  m.moveTo(0, false);
  return {
    m,
    indexing,
    close: () => {
      m.dispose();
      pf.close();
    },
  };
}

async function settle(m: Model, indexing: Promise<unknown>): Promise<number[]> {
  await indexing;
  const end = Date.now() + 120_000;
  while (m.filterProgress >= 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  expect(m.filterProgress).toBe(-1);
  const out: number[] = [];
  for (let r = 0; r < m.shownCount(); r++) out.push(m.packetAt(r) + 1);
  return out;
}

/**
 * The worker's matches for `filter` equal tshark -Y's frame numbers (more than `atLeast` of them), the file indexed
 * before the filter is applied (`indexed`) or while the pass runs; the worker never broke.
 */
async function filterMatchesTshark(file: string, filter: string, indexed: boolean, atLeast: number): Promise<void> {
  const want = tshark(file, filter);
  expect(want.length).toBeGreaterThan(atLeast);
  const { m, indexing, close } = await open(file, indexed);
  try {
    expect(m.applyFilter(filter)).toBe("");
    expect(await settle(m, indexing)).toEqual(want);
    expect(m.filterThread!.broken).toBe("");
  } finally {
    close();
  }
}

describe.skipIf(!has("tshark") || !fs.existsSync(WORKER))("TUI display filter in the worker thread against tshark -Y", () => {
  for (const [file, filter] of [
    ["http/http.pcap", "frame.time_delta > 0.01"],
    ["http/http.pcap", "tcp.stream eq 1 || frame.time_relative > 0.1"],
    ["dns/dns-udp.pcap", "dns.qry.type == 28"],
    ["tls/tls.pcap", "tls.handshake.type == 1"],
  ]) {
    it(`${file}: ${filter}`, async () => {
      await filterMatchesTshark(fx(file), filter, true, 0);
    });
  }

  // A bigger capture (copies of three fixtures, later times each round): many chunks, and a file indexed while
  // the pass runs.
  let dir = "";
  let big = "";
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-tui-thread-"));
    big = path.join(dir, "big.pcap");
    const w = new PcapWriter(big, { linktype: 1, snaplen: 262144, nano: false });
    let sec = 1_700_000_000;
    for (let round = 0; round < 150; round++) {
      for (const f of ["http/http.pcap", "dns/dns-udp.pcap", "tls/tls.pcap"]) {
        (await readRecords(fx(f))).records.forEach((r, i) => w.writeRecord(sec, (i * 1000) % 1e9, r.caplen, r.wirelen, r.data, 0));
        sec += 1;
      }
    }
    w.close();
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a file still being indexed: the pass follows the index to its end", async () => {
    await filterMatchesTshark(big, "dns || tcp.flags.syn == 1 || frame.time_delta > 0.5", false, 500);
  });

  it("a filter changed while a pass runs: only the new one's matches are shown", async () => {
    const { m, indexing, close } = await open(big, true);
    try {
      expect(m.applyFilter("tcp.srcport == 80 && frame.len > 100")).toBe("");
      await new Promise((r) => setTimeout(r, 30));
      expect(m.applyFilter("udp.port == 53 && frame.time_delta > 0.0001")).toBe("");
      expect(await settle(m, indexing)).toEqual(tshark(big, "udp.port == 53 && frame.time_delta > 0.0001"));
      // and cancelled (Esc): what was found stays, no more arrives
      expect(m.applyFilter("ip")).toBe("");
      m.cancelFilter();
      const n = m.shownCount();
      await new Promise((r) => setTimeout(r, 300));
      expect(m.shownCount()).toBe(n);
      expect(m.filterProgress).toBe(-1);
      expect(m.filterThread!.broken).toBe("");
    } finally {
      close();
    }
  });
});

describe("the worker's reassembly keeps no tcp.reassembled_in history (a pass in capture order)", () => {
  // a PDU of 10 bytes cut in three segments, framed by its first byte (its length)
  const framer: PduLength = (d, off, len) => (len >= 1 ? d[off] : 0);
  const feed = (ra: Reassembly) => {
    const key = {};
    const pdu = Uint8Array.from([10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let seq = 1000;
    const got: number[][] = [];
    [pdu.subarray(0, 3), pdu.subarray(3, 6), pdu.subarray(6)].forEach((p, i) => {
      const r = ra.segment(key, 0, seq, p, i + 1, 0, i, framer);
      seq += p.length;
      for (const x of r.pdus) got.push([...x.data]);
    });
    return got;
  };
  it("history: false", () => {
    const ra = new Reassembly({ history: false });
    expect(feed(ra)).toEqual([[10, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(ra.stats.reassembled).toBe(1);
    expect(ra.reassembledIn.size).toBe(0);
  });
  it("by default (frames 1 and 2 completed in 3)", () => {
    const ra = new Reassembly();
    expect(feed(ra)).toEqual([[10, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect([1, 2, 3].map((f) => ra.reassembledIn.get(f))).toEqual([3, 3, undefined]);
    expect(ra.reassembledIn.size).toBe(2);
  });
});
