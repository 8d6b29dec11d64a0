/**
 * TCP reassembly against tshark: captures rewritten so that every payload spans several segments, reordered,
 * sent twice and overlapped; tsniff's reassembled fields (tcp.segment, tcp.segment.count,
 * tcp.reassembled.length, and the PDU's own: dns.qry.name, http.content_length, http.file_data ...) on each
 * frame equal tshark's on the same file (tshark with tcp.reassemble_out_of_order on, tsniff's only mode).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRecords } from "../helpers/records.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { FIXTURES, CORPUS } from "../helpers/paths.js";
import { has } from "../helpers/run.js";
import { fieldsOf } from "./sweep.js";
import { rewriteTcp, type RewriteOptions } from "./rewrite.js";

const TSHARK = has("tshark");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-stream-reasm-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** tshark's values per frame for the fields; long values compared by length ("len:N"). */
export function tsharkRows(file: string, names: string[], prefs: string[] = []): string[][] {
  const args = ["-r", file, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", ...prefs.flatMap((p) => ["-o", p]), "-e", "frame.number", ...names.flatMap((n) => ["-e", n])];
  const out = execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 30 }).toString("latin1");
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t").slice(1).map(shorten));
}
const shorten = (v: string) => (v.length > 64 ? `len:${v.length}` : v);

export async function ourRows(file: string, names: string[]): Promise<string[][]> {
  const rows = await fieldsOf(file, names, { reassembly: {} });
  // tshark -T fields writes a newline, tab or carriage return in a value as \n, \t, \r
  const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return rows.map((m) => names.map((n) => shorten((m.get(n) ?? []).map(esc).join(","))));
}

const SEG = ["tcp.segment", "tcp.segment.count", "tcp.reassembled.length"];
const OOO = ["tcp.reassemble_out_of_order:TRUE"];

/**
 * Frame by frame, on the conversations of the reassembled protocols' ports (on other ports tshark joins
 * out-of-order bytes for no dissector, and the fixtures' port 8000 is HTTP only to tsniff's heuristic).
 */
function compare(file: string, ours: string[][], theirs: string[][], names: string[]): string[] {
  const bad: string[] = [];
  expect(ours.length).toBe(theirs.length);
  const ports = tsharkRows(file, ["tcp.port"]);
  for (let i = 0; i < theirs.length; i++)
    names.forEach((n, j) => {
      if (!/^(80|8080|53),|,(80|8080|53)$/.test(ports[i][0] ?? "")) return;
      if ((ours[i][j] ?? "") !== (theirs[i][j] ?? "")) bad.push(`${path.basename(file)} frame ${i + 1} ${n}: tshark "${theirs[i][j]}", ours "${ours[i][j]}"`);
    });
  return bad;
}

const CASES: [string, RewriteOptions][] = [
  ["split", { piece: 7 }],
  ["reordered", { piece: 11, reorder: true }],
  ["duplicated", { piece: 13, duplicate: true }],
  ["overlapped", { piece: 10, overlap: true }],
  ["all", { piece: 9, reorder: true, duplicate: true, overlap: true }],
];

describe.skipIf(!TSHARK)("TCP reassembly against tshark", { timeout: 300_000 }, () => {
  for (const [name, o] of CASES) {
    it(`DNS over TCP, ${name}: each message on the frame that completes it, as tshark`, async () => {
      const file = path.join(tmp, `dns-${name}.pcap`);
      await rewriteTcp(path.join(FIXTURES, "dns/dns-tcp.pcap"), file, o);
      const names = [...SEG, "dns.qry.name", "dns.length", "dns.count.answers", "dns.a"];
      const theirs = tsharkRows(file, names, OOO);
      expect(theirs.some((r) => r[1] !== "")).toBe(true); // some messages do span segments
      expect(compare(file, await ourRows(file, names), theirs, names)).toEqual([]);
    });
    it(`HTTP/1.1, ${name}: bodies with Content-Length and chunked, as tshark`, async () => {
      const file = path.join(tmp, `http-${name}.pcap`);
      await rewriteTcp(path.join(FIXTURES, "http/http.pcap"), file, o);
      const names = [...SEG, "http.request.method", "http.request.uri", "http.response.code", "http.content_length", "http.file_data"];
      const theirs = tsharkRows(file, names, OOO);
      expect(theirs.some((r) => r[1] !== "")).toBe(true);
      expect(compare(file, await ourRows(file, names), theirs, names)).toEqual([]);
    });
  }

  it("TLS records across segments: each record on the frame that completes it, as tshark", async () => {
    const file = path.join(tmp, "tls-split.pcap");
    await rewriteTcp(path.join(FIXTURES, "tls/tls.pcap"), file, { piece: 50, reorder: true, duplicate: true });
    // Wireshark's TLS asks TCP for whole segments more (several records reassembled together), tsniff cuts
    // at each record: the frames differ, the records found across the capture, in order, do not.
    const names = ["tls.record.content_type", "tls.record.length", "tls.handshake.type"];
    const all = (rows: string[][]) => names.map((_, j) => rows.map((r) => r[j]).filter(Boolean).join(","));
    const theirs = all(tsharkRows(file, names, OOO));
    expect(theirs[1].split(",").length).toBeGreaterThan(10);
    expect(all(await ourRows(file, names))).toEqual(theirs);
  });

  it("a connection captured again after it closed (same ports, same initial sequence numbers): its copies are retransmissions, not dissected again, as tshark", async () => {
    // three copies of each fixture, each 100 s after the one before: the later copies keep their tcp.stream
    // (tshark's ports-reused test wants another initial sequence number) and repeat bytes already seen
    const names = ["tcp.stream", "tcp.reassembled_in", "tls.record.content_type", "tls.handshake.type", "http.request.uri", "http.response.code", "dns.qry.name"];
    const bad: string[] = [];
    for (const rel of ["tls/tls.pcap", "http/http.pcap", "dns/dns-tcp.pcap"]) {
      const file = path.join(tmp, `again-${path.basename(rel)}`);
      const { records } = await readRecords(path.join(FIXTURES, rel));
      const w = new PcapWriter(file, { linktype: 1, snaplen: 262144, nano: false });
      for (let copy = 0; copy < 3; copy++) for (const r of records) w.writeRecord(r.sec + copy * 100, r.nsec, r.caplen, r.wirelen, r.data, 0);
      w.close();
      const theirs = tsharkRows(file, names);
      // tshark dissects the first copy only: the check can fail
      const uris = theirs.map((r) => r[4]).filter(Boolean).length + theirs.map((r) => r[3]).filter(Boolean).length + theirs.map((r) => r[6]).filter(Boolean).length;
      expect(uris).toBeGreaterThan(0);
      const ours = await ourRows(file, names);
      expect(ours.length).toBe(theirs.length);
      // not port 8000: HTTP there is tsniff's heuristic, dissected segment by segment without reassembly
      const ports = tsharkRows(file, ["tcp.port"]);
      theirs.forEach((row, i) => {
        if (/\b8000\b/.test(ports[i][0] ?? "")) return;
        names.forEach((n, j) => row[j] !== ours[i][j] && bad.push(`${rel} frame ${i + 1} ${n}: tshark "${row[j]}", ours "${ours[i][j]}"`));
      });
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it("the original fixtures: reassembled fields equal tshark's", async () => {
    const names = [...SEG, "http.content_length", "http.file_data", "dns.qry.name"];
    const bad: string[] = [];
    for (const rel of ["http/http.pcap", "dns/dns-tcp.pcap"]) {
      const file = path.join(FIXTURES, rel);
      bad.push(...compare(file, await ourRows(file, names), tsharkRows(file, names, OOO), names));
    }
    expect(bad).toEqual([]);
  });
});

describe("reassembly never crashes the corpus", () => {
  it.skipIf(!fs.existsSync(CORPUS))("every TCP capture of the corpus through the detail pass with reassembly on", { timeout: 300_000 }, async () => {
    let files = 0;
    for (const f of fs.readdirSync(CORPUS)) {
      const rows = await fieldsOf(path.join(CORPUS, f), ["tcp.segment.count"], { reassembly: {} });
      if (rows.length) files++;
    }
    expect(files).toBeGreaterThan(100);
  });
});
