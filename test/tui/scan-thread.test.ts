/**
 * The statistics and follow-stream passes in the worker thread (src/tui/filter-worker.ts kinds "stats" and
 * "stream"; issue #17: their dissection stays out of the main thread's heap): the conversations tables equal
 * tshark -z conv,... and the same pass run in this thread; a followed stream has the same segments, lines and
 * bytes as the in-thread scan; a display filter applied while the worker runs a scan runs in the main thread
 * and still shows tshark -Y's frames; Esc stops a worker scan and frees the worker for the next filter.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { FilterThread } from "../../src/tui/filter-thread.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { CaptureStats, CONV_TYPES, convCells } from "../../src/tui/stats.js";
import { StreamData, StreamReader, StreamScan } from "../../src/tui/stream.js";
import { has, ROOT } from "../helpers/run.js";
import { until as waitUntil } from "../helpers/until.js";

const WORKER = pathToFileURL(path.join(ROOT, "dist", "tui", "filter-worker.js"));
const fx = (p: string) => path.join(ROOT, "fixtures", p);
const TSHARK = has("tshark");
const FILES = ["http/http.pcap", "dns/dns-udp.pcap", "tls/tls.pcap", "ipv6/exthdr.pcap"].map(fx);

async function open(file: string, thread = true) {
  const index = new PacketIndex();
  const pf = new PacketFile(file, index);
  await indexFile(await FileSource.open(file), index);
  const m = new Model(new CaptureRows(index, pf));
  Model.scanThreadMin = 0; // (these small files' scans would stay in the main thread)
  if (thread) m.filterThread = new FilterThread(file, index, WORKER);
  m.indexDone();
  m.moveTo(0, false);
  return { m, index, pf, close: () => (m.dispose(), pf.close()) };
}

/** a whole-file pass may take long on a loaded machine */
const until = (f: () => boolean, what: string) => waitUntil(f, what, 120_000);
/** the running scan's worker pass (null: it runs in the main thread) */
const scanThread = (m: Model) => (m as unknown as { scan: { thread: unknown } | null }).scan?.thread ?? null;

function tsharkConv(file: string, type: string): string[][] {
  const out = execFileSync("tshark", ["-q", "-n", "-r", file, "-z", `conv,${type}`], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).toString();
  return out
    .split("\n")
    .filter((l) => l.includes("<->"))
    .map((l) => l.replace(/ bytes/g, "").replace("<->", "").trim().split(/\s+/));
}

describe.skipIf(!TSHARK)("statistics and follow stream in the worker thread", { timeout: 240_000 }, () => {
  const min = Model.scanThreadMin;
  afterAll(() => void (Model.scanThreadMin = min));
  it("the conversations tables equal tshark -z conv and the in-thread pass", async () => {
    let rows = 0;
    for (const f of FILES) {
      const { m, index, pf, close } = await open(f);
      try {
        m.key("c", {});
        expect(scanThread(m), "the pass runs in the worker").not.toBeNull();
        await until(() => m.scanLabel() === "", "statistics done");
        expect(m.filterThread!.broken).toBe("");
        const own = new CaptureStats();
        for (let i = 0; i < index.count; i++) own.visit(pf.readSeq(i), index.linktype[i], index.wirelen[i], index.tsSec[i], index.tsNsec[i], i);
        expect(m.stats!.packets).toBe(index.count);
        for (const t of CONV_TYPES) {
          const got = m.stats!.table(t).map(convCells);
          expect(got, `${path.basename(f)} ${t}`).toEqual(own.table(t).map(convCells));
          expect(got, `${path.basename(f)} ${t} vs tshark`).toEqual(tsharkConv(f, t));
          rows += got.length;
        }
        expect(m.stats!.phsLines().map((l) => `${l.depth} ${l.node.name} ${l.node.frames} ${l.node.bytes}`)).toEqual(
          own.phsLines().map((l) => `${l.depth} ${l.node.name} ${l.node.frames} ${l.node.bytes}`),
        );
      } finally {
        close();
      }
    }
    expect(rows).toBeGreaterThan(20);
  });

  it("a followed stream has the in-thread scan's segments, lines and bytes, whichever packet is selected", async () => {
    for (const [f, row] of [
      ["http/http.pcap", 1],
      ["tls/tls.pcap", 3],
      ["dns/dns-udp.pcap", 1],
    ] as const) {
      const { m, index, pf, close } = await open(fx(f));
      try {
        m.moveTo(row, false);
        m.key("s", {});
        expect(m.view).toBe("stream");
        expect(scanThread(m), "the pass runs in the worker").not.toBeNull();
        await until(() => m.scanLabel() === "", "stream done");
        const got = m.stream!;
        const want = new StreamData({ ...got.key });
        // the in-thread scan from the same selected packet's side: the worker may have turned A round
        const scan = new StreamScan(want, (i) => index.linktype[i]);
        for (let i = 0; i < index.count; i++) scan.visit(i, pf.readSeq(i), index.wirelen[i]);
        want.finish();
        expect(got.key).toEqual(want.key);
        expect(got.streamIndex).toBe(want.streamIndex);
        expect(got.count).toBeGreaterThan(0);
        expect([got.count, got.lines, got.hexLines, got.total, ...got.bytes, ...got.packets]).toEqual([want.count, want.lines, want.hexLines, want.total, ...want.bytes, ...want.packets]);
        expect([...got.segPkt.subarray(0, got.count)]).toEqual([...want.segPkt.subarray(0, want.count)]);
        const a = new StreamReader(got, (p) => pf.read(p)).bytes(0, got.total);
        const b = new StreamReader(want, (p) => pf.read(p)).bytes(0, want.total);
        expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      } finally {
        close();
      }
    }
  });

  it("a filter applied while the worker counts runs here and shows tshark -Y's frames; Esc frees the worker", async () => {
    const f = fx("http/http.pcap");
    const want = execFileSync("tshark", ["-r", f, "-Y", "tcp.port == 8080", "-T", "fields", "-e", "frame.number"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .split("\n")
      .filter(Boolean)
      .map(Number);
    expect(want.length).toBeGreaterThan(3);
    const { m, close } = await open(f);
    try {
      m.key("c", {});
      expect(scanThread(m)).not.toBeNull();
      expect(m.applyFilter("tcp.port == 8080")).toBe("");
      await until(() => m.filterProgress < 0, "filter done");
      const got: number[] = [];
      for (let r = 0; r < m.shownCount(); r++) got.push(m.packetAt(r) + 1);
      expect(got).toEqual(want);
      m.cancelScan();
      expect(m.filterThread!.busy()).toBe(false);
      // the next filter has the worker again
      expect(m.applyFilter("tcp.port == 8080")).toBe("");
      expect(m.filterThread!.busy()).toBe(true);
      await until(() => m.filterProgress < 0, "filter done");
      expect(m.shownCount()).toBe(want.length);
      expect(m.filterThread!.broken).toBe("");
    } finally {
      close();
    }
  });
});
