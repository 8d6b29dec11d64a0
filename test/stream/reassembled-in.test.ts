/**
 * tcp.reassembled_in (and the fields of the completing frame) against tshark -2: the library's first pass
 * (reassembledFrames) then the second pass with its answer as the reassembly option `known`, frame by frame on
 * the fixtures with multi-segment PDUs (an HTTP body, DNS over TCP) and on rewrites of them (split, reordered,
 * duplicated, overlapped segments), and the CLI's -2 on one of them.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../helpers/paths.js";
import { has, tsniff } from "../helpers/run.js";
import { fieldsOf } from "./sweep.js";
import { rewriteTcp, type RewriteOptions } from "./rewrite.js";
import { reassembledFrames } from "../../src/api/two-pass.js";

const TSHARK = has("tshark");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-reasm-in-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const NAMES = ["tcp.reassembled_in", "tcp.segment", "tcp.segment.count", "tcp.reassembled.length"];
const OOO = ["-o", "tcp.reassemble_out_of_order:TRUE"];

/** tshark -2's values per frame (lists joined with ","). */
function tsharkRows(file: string, names: string[]): string[][] {
  const args = ["-r", file, "-2", ...OOO, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "tcp.port", ...names.flatMap((n) => ["-e", n])];
  const out = execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString("latin1");
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"));
}

async function ourRows(file: string, names: string[]): Promise<string[][]> {
  const known = await reassembledFrames(file);
  const rows = await fieldsOf(file, names, { reassembly: { known } });
  return rows.map((m) => names.map((n) => (m.get(n) ?? []).join(",")));
}

/** Frame by frame on the reassembled protocols' ports (80, 8080, 53). */
function compare(file: string, ours: string[][], theirs: string[][], names: string[]): string[] {
  const bad: string[] = [];
  expect(ours.length).toBe(theirs.length);
  for (let i = 0; i < theirs.length; i++) {
    if (!/^(80|8080|53),|,(80|8080|53)$/.test(theirs[i][0] ?? "")) continue;
    names.forEach((n, j) => {
      if ((ours[i][j] ?? "") !== (theirs[i][j + 1] ?? "")) bad.push(`${path.basename(file)} frame ${i + 1} ${n}: tshark "${theirs[i][j + 1]}", ours "${ours[i][j]}"`);
    });
  }
  return bad;
}

const CASES: [string, RewriteOptions][] = [
  ["split", { piece: 7 }],
  ["reordered", { piece: 11, reorder: true }],
  ["duplicated", { piece: 13, duplicate: true }],
  ["overlapped", { piece: 10, overlap: true }],
];

describe.skipIf(!TSHARK)("tcp.reassembled_in as tshark -2 gives it", { timeout: 300_000 }, () => {
  it("the fixtures with multi-segment PDUs (HTTP body, DNS over TCP)", async () => {
    const bad: string[] = [];
    let marked = 0;
    for (const rel of ["http/http.pcap", "dns/dns-tcp.pcap"]) {
      const file = path.join(FIXTURES, rel);
      const theirs = tsharkRows(file, NAMES);
      marked += theirs.filter((r) => r[1] !== "").length;
      bad.push(...compare(file, await ourRows(file, NAMES), theirs, NAMES));
    }
    expect(marked).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  for (const [name, o] of CASES) {
    it(`rewritten (${name}): HTTP and DNS over TCP`, async () => {
      const bad: string[] = [];
      let marked = 0;
      for (const rel of ["http/http.pcap", "dns/dns-tcp.pcap"]) {
        const file = path.join(tmp, `${name}-${path.basename(rel)}`);
        await rewriteTcp(path.join(FIXTURES, rel), file, o);
        const theirs = tsharkRows(file, NAMES);
        marked += theirs.filter((r) => r[1] !== "").length;
        // tshark -2 also lists, in the completing frame's tcp.segment, a retransmission that arrived while the
        // PDU was unfinished when its first copy came in an earlier segment (its second pass sees the first
        // pass's table); one pass (tshark's and ours) does not: only tcp.reassembled_in is compared there
        const names = o.duplicate || o.overlap ? NAMES.slice(0, 1) : NAMES;
        bad.push(...compare(file, await ourRows(file, names), theirs, names));
      }
      expect(marked).toBeGreaterThan(5);
      expect(bad).toEqual([]);
    });
  }

  it("the CLI's -2: tcp.reassembled_in in -T fields as tshark -2's", async () => {
    const file = path.join(FIXTURES, "http/http.pcap");
    const theirs = tsharkRows(file, ["tcp.reassembled_in"]).map((r) => r[1]);
    const r = tsniff(["-r", file, "-2", "-T", "fields", "-e", "tcp.reassembled_in"]);
    expect(r.status).toBe(0);
    const ours = r.stdout.toString().split("\n").slice(0, theirs.length);
    expect(ours).toEqual(theirs);
    // one pass: not known when the frame is printed (tshark without -2 gives none either)
    const one = tsniff(["-r", file, "-T", "fields", "-e", "tcp.reassembled_in"]);
    expect(one.stdout.toString().replace(/\n/g, "")).toBe("");
  });
});

describe("-2 with standard input", () => {
  it("prints only its one-line error (no 'reading from file -' before it) and exits 1", () => {
    const input = fs.readFileSync(path.join(FIXTURES, "http/http.pcap"));
    const r = tsniff(["-2", "-r", "-", "-T", "fields", "-e", "frame.number"], { input });
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toBe("");
    expect(r.stderr.toString()).toBe("tsniff: -2 needs -r FILE (a file read twice, not standard input)\n");
  });
});
