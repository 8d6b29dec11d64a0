/**
 * Shared checks for the link and network dissector tests (arp, ipv6, icmp, icmpv6, igmp, vlan, llc, gre,
 * vxlan): the fixtures made by fixtures/make-net-fixtures.sh, compared with the tcpdump output stored beside
 * them (NAME.tcpdump-t.txt, -v, -e) and with tshark's field values (NAME.tshark*.txt); every truncation and
 * seeded byte flips of every packet; and the read-only tcpdump corpus against a live tcpdump.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector, walkFields, type TreeNode } from "../../src/dissectors/index.js";

import { CORPUS, ROOT } from "../helpers/paths.js";

export { CORPUS, ROOT };

export function fixture(rel: string): string {
  return path.join(ROOT, "fixtures", rel);
}

export interface Packet {
  data: Uint8Array;
  linktype: number;
  wirelen: number;
}

export interface Opts {
  verbose?: number;
  linkHeader?: boolean;
}

/** Every packet's summary text (as the CLI prints it after the timestamp) and a copy of its bytes. */
export async function readCapture(file: string, o: Opts = {}): Promise<{ infos: string[]; packets: Packet[]; bugs: string[] }> {
  const s = await FileSource.open(file);
  const dis = new Dissector({ verbose: o.verbose ?? 0, linkHeader: o.linkHeader ?? false });
  const infos: string[] = [];
  const packets: Packet[] = [];
  const bugs: string[] = [];
  let frame = 0;
  await s.run((b) => {
    for (let i = 0; i < b.count; i++) {
      frame++;
      const ctx = dis.summary(b, i, frame);
      infos.push(ctx.info);
      if (ctx.bug) bugs.push(`${path.basename(file)}#${frame}: ${ctx.bug}`);
      const off = b.offset[i];
      packets.push({ data: b.data.slice(off, off + b.caplen[i]), linktype: b.linktype[i], wirelen: b.wirelen[i] });
    }
    return Infinity;
  });
  return { infos, packets, bugs };
}

/** tcpdump's packets: lines, with its continuation lines (a tab or four spaces) joined to their packet. */
export function groupLines(lines: string[]): string[] {
  const g: string[] = [];
  for (const l of lines) {
    if ((l.startsWith("\t") || l.startsWith("    ")) && g.length) g[g.length - 1] += "\n" + l;
    else g.push(l);
  }
  return g;
}

export function readLines(file: string): string[] {
  const l = fs.readFileSync(file, "latin1").split("\n");
  if (l[l.length - 1] === "") l.pop();
  return l;
}

export function hasTcpdump(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v tcpdump"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function tcpdumpLines(file: string, flags: string[]): string[] {
  let out = "";
  try {
    out = execFileSync("tcpdump", ["-t", "-nn", ...flags, "-r", file], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString("latin1");
  } catch (e) {
    out = ((e as { stdout?: Buffer }).stdout ?? Buffer.alloc(0)).toString("latin1");
  }
  const l = out.split("\n");
  if (l[l.length - 1] === "") l.pop();
  return l;
}

/**
 * Known differences that belong to other modules, forgiven so that these tests speak only for the dissectors
 * they cover (every other difference counts; a sweep of all users on 2026-12-07 found only these two in use,
 * and IPX has had its dissector since, network/ipx.ts):
 *  - llc.ts prints " [|llc]" for a cut LLC header where tcpdump adds a hex line of the bytes left.
 */
export function othersOwn(t: string, o: string): boolean {
  return o.endsWith("[|llc]") && t.startsWith(o + "\n\t0x0000:");
}

export interface LineDiff {
  packet: number;
  tcpdump: string;
  ours: string;
}

/** Our packets against tcpdump's, packet by packet; returns the differences not owned by other modules. */
export function diffLines(ours: string[], theirs: string[]): LineDiff[] {
  const og = groupLines(ours.join("\n").split("\n"));
  const tg = groupLines(theirs);
  const diffs: LineDiff[] = [];
  const n = Math.max(og.length, tg.length);
  for (let i = 0; i < n; i++) {
    const t = tg[i] ?? "<none>";
    const o = og[i] ?? "<none>";
    if (t !== o && !othersOwn(t, o)) diffs.push({ packet: i + 1, tcpdump: t, ours: o });
  }
  return diffs;
}

/** The golden file for a fixture and flags: NAME.tcpdump-t.txt, NAME.tcpdump-v.txt, NAME.tcpdump-e.txt. */
export function golden(pcap: string, kind: "t" | "v" | "e"): string[] {
  return readLines(pcap.replace(/\.pcap$/, `.tcpdump-${kind}.txt`));
}

/** Differential check of one fixture in the three modes; returns every difference found. */
export async function differential(pcap: string, modes: Array<"t" | "v" | "e"> = ["t", "v", "e"]): Promise<string[]> {
  const out: string[] = [];
  for (const m of modes) {
    const { infos, bugs } = await readCapture(pcap, { verbose: m === "v" ? 1 : 0, linkHeader: m === "e" });
    out.push(...bugs.map((b) => `bug ${b}`));
    for (const d of diffLines(infos, golden(pcap, m))) out.push(`${path.basename(pcap)} -${m} #${d.packet}\n  tcpdump: ${JSON.stringify(d.tcpdump)}\n  tsniff:  ${JSON.stringify(d.ours)}`);
  }
  return out;
}

export function hasTshark(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v tshark"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function hasEditcap(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v editcap"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The fixture cut by a snapshot length (editcap -s), compared with a live tcpdump on the same cut file at -v0
 * and -v: the truncation markers and what comes before them. Returns the differences.
 */
export async function truncatedDifferential(pcap: string, snaps: number[], dir: string, verbosities: number[] = [0, 1]): Promise<string[]> {
  const out: string[] = [];
  for (const s of snaps) {
    const cut = path.join(dir, `${path.basename(pcap, ".pcap")}-${s}.pcap`);
    execFileSync("editcap", ["-s", String(s), pcap, cut], { stdio: "ignore" });
    for (const v of verbosities) {
      const { infos, bugs } = await readCapture(cut, { verbose: v });
      out.push(...bugs.map((b) => `bug ${b}`));
      for (const d of diffLines(infos, tcpdumpLines(cut, v ? ["-v"] : []))) {
        out.push(`${path.basename(cut)} -v${v} #${d.packet}\n  tcpdump: ${JSON.stringify(d.tcpdump)}\n  tsniff:  ${JSON.stringify(d.ours)}`);
      }
    }
  }
  return out;
}

/** Values of the named fields in our detail tree, in tree order. */
export function ourFields(p: Packet, names: Set<string>): Map<string, Array<string | number | boolean>> {
  const dis = new Dissector({});
  const { tree } = dis.dissectBytes(p.data, p.linktype, { wirelen: p.wirelen, tree: true });
  const m = new Map<string, Array<string | number | boolean>>();
  walkFields(tree!.roots, (n: TreeNode) => {
    if (!names.has(n.name) || n.value === null) return;
    let a = m.get(n.name);
    if (!a) m.set(n.name, (a = []));
    a.push(n.value);
  });
  return m;
}

function same(ours: string | number | boolean, theirs: string): boolean {
  if (typeof ours === "number") {
    const v = /^0x/i.test(theirs) ? parseInt(theirs, 16) : Number(theirs);
    return v === ours;
  }
  if (typeof ours === "boolean") return (theirs === "1" || theirs === "True") === ours;
  return ours === theirs;
}

/**
 * Field values against tshark's (stored by the fixture script as NAME.tshark*.txt, '|'-separated, one line per
 * packet, columns in the order of `names`): the first occurrence of each field, where both have one.
 * Returns the differences and how many values were compared.
 */
export function compareTshark(packets: Packet[], tsharkFile: string, names: string[]): { diffs: string[]; compared: number } {
  const lines = readLines(tsharkFile);
  const want = new Set(names);
  const diffs: string[] = [];
  let compared = 0;
  for (let i = 0; i < packets.length && i < lines.length; i++) {
    const cols = lines[i].split("|");
    const ours = ourFields(packets[i], want);
    names.forEach((name, j) => {
      const theirs = (cols[j] ?? "").split(",")[0];
      const mine = ours.get(name)?.[0];
      if (theirs === "" || mine === undefined) return;
      compared++;
      if (!same(mine, theirs)) diffs.push(`${path.basename(tsharkFile)} #${i + 1} ${name}: tshark ${theirs}, tsniff ${String(mine)}`);
    });
  }
  return { diffs, compared };
}

/** A small seeded generator (xorshift32) for reproducible byte flips. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

/**
 * Every truncation of every packet (caplen 0..n, wire length kept), and seeded random byte flips, in the
 * summary pass at -v0, -v and -e and in the detail pass: no dissector bug, no raw control character, and a
 * cut packet either prints a line or is marked truncated. Returns the problems found.
 */
export function robustness(packets: Packet[], opts: { flips?: number; seed?: number } = {}): string[] {
  const problems: string[] = [];
  const diss = [new Dissector({}), new Dissector({ verbose: 1 }), new Dissector({ verbose: 2, linkHeader: true })];
  const check = (d: Uint8Array, p: Packet, what: string) => {
    for (const dis of diss) {
      const { ctx } = dis.dissectBytes(d, p.linktype, { wirelen: Math.max(p.wirelen, d.length) });
      if (ctx.bug) problems.push(`${what}: dissector bug in ${ctx.bug}`);
      if (CONTROL.test(ctx.info)) problems.push(`${what}: control character in ${JSON.stringify(ctx.info)}`);
      if (d.length < p.data.length && d.length > 0 && ctx.info === "" && !ctx.truncated && ctx.layers.length > 1 && ctx.layers[ctx.layers.length - 1] !== "data") {
        // a cut packet must say something or be marked truncated (link layers print nothing without -e)
        const top = ctx.layers[ctx.layers.length - 1];
        if (!["eth", "vlan", "ieee8021ad", "llc", "raw", "null", "sll"].includes(top)) problems.push(`${what}: empty line, not marked truncated (${ctx.layers.join(",")})`);
      }
    }
    const { ctx } = diss[0].dissectBytes(d, p.linktype, { wirelen: Math.max(p.wirelen, d.length), tree: true });
    if (ctx.bug) problems.push(`${what}: dissector bug in ${ctx.bug} (detail pass)`);
  };
  const rand = rng(opts.seed ?? 0x5eed);
  packets.forEach((p, i) => {
    for (let n = 0; n <= p.data.length; n++) check(p.data.subarray(0, n), p, `packet ${i + 1} cut to ${n}`);
    for (let k = 0; k < (opts.flips ?? 64); k++) {
      const d = p.data.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) d[Math.floor(rand() * d.length)] = Math.floor(rand() * 256);
      check(d, p, `packet ${i + 1} flip ${k}`);
    }
  });
  return problems;
}

/** Corpus files whose names mention one of the words (read-only public captures, many malformed). */
export function corpusFiles(words: RegExp): string[] {
  if (!fs.existsSync(CORPUS)) return [];
  return fs
    .readdirSync(CORPUS)
    .filter((f) => words.test(f) && /\.pcap(ng)?$/.test(f))
    .map((f) => path.join(CORPUS, f));
}

/**
 * Our lines against a live tcpdump over corpus files: never a dissector bug; returns the match rate (packets
 * equal, packet by packet) and the differences for a report.
 */
export async function corpusRun(files: string[]): Promise<{ packets: number; equal: number; bugs: string[]; diffs: string[] }> {
  let packets = 0;
  let equal = 0;
  const bugs: string[] = [];
  const diffs: string[] = [];
  for (const f of files) {
    let infos: string[] = [];
    try {
      const r = await readCapture(f);
      infos = r.infos;
      bugs.push(...r.bugs);
    } catch {
      continue; // a file the reader refuses is the reader's business
    }
    const theirs = groupLines(tcpdumpLines(f, []));
    const ours = groupLines(infos.join("\n").split("\n"));
    const n = Math.max(theirs.length, ours.length);
    packets += n;
    for (let i = 0; i < n; i++) {
      if (theirs[i] === ours[i]) equal++;
      else if (diffs.length < 200) diffs.push(`${path.basename(f)}#${i + 1}\n  tcpdump: ${JSON.stringify(theirs[i])}\n  tsniff:  ${JSON.stringify(ours[i])}`);
    }
  }
  return { packets, equal, bugs, diffs };
}

export interface SuiteSpec {
  /** protocol id, e.g. "arp" */
  id: string;
  /** fixture captures (relative to fixtures/) */
  fixtures: string[];
  /** modes compared with tcpdump's golden output (default: all three) */
  modes?: Array<"t" | "v" | "e">;
  /** tshark field files (relative to fixtures/) and the fields in their columns */
  tshark?: Array<{ file: string; names: string[]; pcap: string }>;
  /** corpus files to compare with a live tcpdump */
  corpus?: RegExp;
  /** the lowest acceptable corpus match rate (a regression guard, set just under today's rate) */
  minCorpusRate?: number;
  /** -v counts the cut captures are compared at (default 0 and 1; 0 alone where -v is not decoded yet) */
  truncVerbose?: number[];
}

/** The standard test suite of one protocol: differential, tshark fields, robustness, corpus. */
export async function defineNetSuite(spec: SuiteSpec): Promise<void> {
  const { describe, expect, it } = await import("vitest");
  describe(`${spec.id} dissector`, () => {
    for (const f of spec.fixtures) {
      it(`prints ${f} as tcpdump does (-nn, -v, -e)`, async () => {
        const diffs = await differential(fixture(f), spec.modes);
        expect(diffs).toEqual([]);
      });
    }
    for (const ts of spec.tshark ?? []) {
      it(`has tshark's field values for ${ts.pcap}`, async () => {
        const { packets } = await readCapture(fixture(ts.pcap));
        const { diffs, compared } = compareTshark(packets, fixture(ts.file), ts.names);
        expect(diffs).toEqual([]);
        expect(compared).toBeGreaterThan(0);
      });
    }
    it.skipIf(!hasTcpdump() || !hasEditcap())("prints cut captures (snapshot lengths 20..80) as tcpdump does", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsniff-${spec.id}-`));
      try {
        const diffs: string[] = [];
        for (const f of spec.fixtures) diffs.push(...(await truncatedDifferential(fixture(f), [20, 30, 40, 50, 60, 70, 80], dir, spec.truncVerbose)));
        expect(diffs).toEqual([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
    it("survives every truncation and seeded byte flips of its fixtures", async () => {
      const problems: string[] = [];
      for (const f of spec.fixtures) {
        const { packets } = await readCapture(fixture(f));
        problems.push(...robustness(packets, { seed: 0x5eed ^ f.length }).map((p) => `${f}: ${p}`));
      }
      expect(problems.slice(0, 20)).toEqual([]);
    });
    // a suite without a corpus pattern has no corpus test (not a skipped one)
    const files = spec.corpus ? corpusFiles(spec.corpus) : [];
    if (spec.corpus) it.skipIf(files.length === 0 || !hasTcpdump())(`never crashes on the tcpdump corpus (${files.length} files) and matches tcpdump's lines`, async () => {
      const r = await corpusRun(files);
      expect(r.bugs).toEqual([]);
      const rate = r.equal / Math.max(1, r.packets);
      // The rate is printed for the report; the guard catches regressions.
      console.log(`${spec.id}: corpus match ${r.equal}/${r.packets} = ${(rate * 100).toFixed(1)}%`);
      expect(rate).toBeGreaterThanOrEqual(spec.minCorpusRate ?? 0);
    }, 300_000);
  });
}

/**
 * Our lines against a live tcpdump's, exactly (not even othersOwn's, unlike tcpdumpFlagDiffs): for printers
 * and truncation marks that must equal tcpdump's byte for byte. Packets with continuation lines (-v) compare whole.
 */
export async function exactTcpdumpDiffs(files: string[], flagSets: string[][]): Promise<{ diffs: string[]; packets: number }> {
  const diffs: string[] = [];
  let packets = 0;
  for (const f of files)
    for (const flags of flagSets) {
      const { infos, bugs } = await readCapture(f, { verbose: flags.includes("-vv") ? 2 : flags.includes("-v") ? 1 : 0, linkHeader: flags.includes("-e") });
      diffs.push(...bugs);
      const theirs = groupLines(tcpdumpLines(f, flags));
      const ours = groupLines(infos.join("\n").split("\n"));
      packets += infos.length;
      if (theirs.length !== ours.length) diffs.push(`${path.basename(f)} ${flags.join(" ")}: ${ours.length} packets, tcpdump ${theirs.length}`);
      ours.forEach((l, i) => {
        if (l !== theirs[i]) diffs.push(`${path.basename(f)} ${flags.join(" ")} #${i + 1}\n  tcpdump: ${JSON.stringify(theirs[i])}\n  tsniff:  ${JSON.stringify(l)}`);
      });
    }
  return { diffs, packets };
}

/**
 * Our lines against a live tcpdump's, for every file and every set of flags ([] for -nn, ["-v"], ["-vv"],
 * ["-e"]): the differences (and any dissector bug) and how many packets were compared.
 */
export async function tcpdumpFlagDiffs(files: string[], flagSets: string[][]): Promise<{ diffs: string[]; packets: number }> {
  const diffs: string[] = [];
  let packets = 0;
  for (const f of files) {
    for (const flags of flagSets) {
      const verbose = flags.includes("-vv") ? 2 : flags.includes("-v") ? 1 : 0;
      const { infos, bugs } = await readCapture(f, { verbose, linkHeader: flags.includes("-e") });
      diffs.push(...bugs);
      packets += infos.length;
      for (const d of diffLines(infos, tcpdumpLines(f, flags))) diffs.push(`${path.basename(f)} ${flags.join(" ")} #${d.packet}\n  tcpdump: ${JSON.stringify(d.tcpdump)}\n  tsniff:  ${JSON.stringify(d.ours)}`);
    }
  }
  return { diffs, packets };
}

/** Our field values against a live tshark's (`tshark -n -T fields`) on each file, as compareTshark compares them. */
export async function liveTsharkFields(files: string[], names: string[]): Promise<{ diffs: string[]; compared: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tshark-fields-"));
  try {
    let compared = 0;
    const diffs: string[] = [];
    for (const f of files) {
      const out = execFileSync("tshark", ["-n", "-r", f, "-T", "fields", "-E", "separator=|", ...names.flatMap((n) => ["-e", n])], { stdio: ["ignore", "pipe", "ignore"] }).toString("latin1");
      const file = path.join(dir, path.basename(f) + ".txt");
      fs.writeFileSync(file, out);
      const { packets } = await readCapture(f);
      const c = compareTshark(packets, file, names);
      compared += c.compared;
      diffs.push(...c.diffs);
    }
    return { diffs, compared };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
