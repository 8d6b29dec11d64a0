/**
 * Shared checks for the application-layer dissector tests (dns, http, tls, ssh, ntp, dhcp, dhcpv6, quic):
 * differential against tcpdump -nn -t, field values against tshark -T fields, truncation/byte-flip robustness
 * and the read-only tcpdump corpus.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector, lookup, walkFields, type TreeNode } from "../../src/dissectors/index.js";

import { CORPUS, ROOT } from "../helpers/paths.js";

export { CORPUS, ROOT };

export interface Packet {
  data: Uint8Array;
  linktype: number;
  wirelen: number;
}

function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
export const HAVE_TCPDUMP = has("tcpdump");
export const HAVE_TSHARK = has("tshark");
export const HAVE_EDITCAP = has("editcap");
/** Whether IPv6 has a dissector yet (another module): fixtures over IPv6 are only compared when it does. */
export const HAVE_IPV6 = (): boolean => lookup("ethertype", 0x86dd) !== undefined;

export function fixture(rel: string): string {
  return path.join(ROOT, "fixtures", rel);
}

/** Every packet of a capture: the summary line from the batch (as the CLI does) and a copy of the bytes. */
export async function readCapture(file: string, verbose = 0): Promise<{ lines: string[]; packets: Packet[]; layers: string[][]; bugs: number }> {
  const s = await FileSource.open(file);
  const dis = new Dissector({ verbose });
  const lines: string[] = [];
  const packets: Packet[] = [];
  const layers: string[][] = [];
  let bugs = 0;
  let frame = 0;
  await s.run((b) => {
    for (let i = 0; i < b.count; i++) {
      frame++;
      const ctx = dis.summary(b, i, frame);
      lines.push(ctx.info);
      layers.push([...ctx.layers]);
      if (ctx.bug) bugs++;
      const off = b.offset[i];
      packets.push({ data: b.data.slice(off, off + b.caplen[i]), linktype: b.linktype[i], wirelen: b.wirelen[i] });
    }
    return Infinity;
  });
  return { lines, packets, layers, bugs };
}

/** tcpdump's lines for a capture (one per packet at -v0). */
export function tcpdumpLines(file: string): string[] {
  let out = "";
  try {
    out = execFileSync("tcpdump", ["-nn", "-t", "-r", file], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString("latin1");
  } catch (e) {
    out = ((e as { stdout?: Buffer }).stdout ?? Buffer.alloc(0)).toString("latin1");
  }
  const l = out.split("\n");
  if (l[l.length - 1] === "") l.pop();
  return l;
}

/**
 * tcpdump's escaping of non-printable bytes (its fn_print_char), for comparing our lines with tcpdump's: our
 * lines escape them as \xHH, \r and \uHHHH (src/dissectors/line.ts), which are decoded first.
 */
export function tcpdumpEscape(line: string): string {
  // An escaped newline (\n) becomes U+E000 here and ^J below; a raw newline is the line's own (-v continuation).
  // A packet's tab is escaped (\t) where tcpdump writes it as it is.
  const s = line.replace(/\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|r|n|t)/g, (m, x: string | undefined, u: string | undefined) =>
    String.fromCharCode(x ? parseInt(x, 16) : u ? parseInt(u, 16) : m === "\\n" ? 0xe000 : m === "\\t" ? 0x09 : 0x0d),
  );
  let o = "";
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c === 0xe000) {
      o += "^J";
      continue;
    }
    if (c === 0x0a || c === 0x09) {
      o += s[i];
      continue;
    }
    if (c > 0x7f) {
      o += "M-";
      c &= 0x7f;
    }
    if (c < 0x20 || c === 0x7f) o += "^" + String.fromCharCode(c ^ 0x40);
    else o += String.fromCharCode(c);
  }
  return o;
}

/** tshark -T fields for the given fields: per frame, per field, the list of values. */
export function tsharkFields(file: string, names: string[], extra: string[] = []): Map<string, string[]>[] {
  const args = ["-r", file, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\u001e", "-E", "separator=\u001f", ...extra, "-e", "frame.number"];
  for (const n of names) args.push("-e", n);
  const out = execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString("latin1");
  const rows: Map<string, string[]>[] = [];
  for (const line of out.split("\n")) {
    if (!line) continue;
    const cols = line.split("\u001f");
    const m = new Map<string, string[]>();
    names.forEach((n, i) => {
      const v = cols[i + 1] ?? "";
      if (v !== "") m.set(n, v.split("\u001e"));
    });
    rows[Number(cols[0]) - 1] = m;
  }
  return rows;
}

/** Our field values for one packet (detail pass). */
export function ourFields(dis: Dissector, p: Packet, names: string[]): Map<string, string[]> {
  const { tree } = dis.dissectBytes(p.data, p.linktype, { wirelen: p.wirelen, tree: true });
  const want = new Set(names);
  const m = new Map<string, string[]>();
  walkFields((tree?.roots ?? []) as TreeNode[], (n) => {
    if (n.kind !== "field" || !want.has(n.name)) return;
    const v = n.value === null ? "" : typeof n.value === "boolean" ? (n.value ? "1" : "0") : String(n.value);
    const l = m.get(n.name);
    if (l) l.push(v);
    else m.set(n.name, [v]);
  });
  return m;
}

/** Normalises a value for comparison: numbers (decimal or 0x hex) as numbers, True/False as 1/0. */
export function norm(v: string): string {
  if (v === "True") return "1";
  if (v === "False") return "0";
  if (/^0x[0-9a-f]+$/i.test(v)) return String(parseInt(v, 16));
  if (/^-?\d+(\.\d+)?$/.test(v)) return String(Number(v));
  return v;
}

export interface FieldDiff {
  frame: number;
  field: string;
  ours: string[];
  tshark: string[];
}

/**
 * Compares our fields with tshark's, frame by frame, for the fields both have in that frame (tshark reassembles
 * across segments and we do not, so a field only one side has in a frame is not compared). Returns the
 * differences and how many (frame, field) pairs were compared.
 */
export function compareFields(file: string, packets: Packet[], names: string[], extra: string[] = []): { diffs: FieldDiff[]; compared: number } {
  const ts = tsharkFields(file, names, extra);
  const dis = new Dissector({ verbose: 0 });
  const diffs: FieldDiff[] = [];
  let compared = 0;
  packets.forEach((p, i) => {
    const ours = ourFields(dis, p, names);
    const theirs = ts[i] ?? new Map<string, string[]>();
    for (const n of names) {
      const a = ours.get(n);
      const b = theirs.get(n);
      if (!a || !b) continue;
      compared++;
      const an = a.map(norm);
      const bn = b.map(norm);
      if (an.join("\u0000") !== bn.join("\u0000")) diffs.push({ frame: i + 1, field: n, ours: a, tshark: b });
    }
  });
  return { diffs, compared };
}

/** Dissects every truncation of every packet and some seeded byte flips; returns the problems found. */
export function robustness(packets: Packet[], opts: { flips?: number; seed?: number; verbose?: number } = {}): string[] {
  const problems: string[] = [];
  const flips = opts.flips ?? 40;
  let seed = opts.seed ?? 0x5eed;
  const rnd = (): number => {
    // xorshift32
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 4294967296;
  };
  for (const verbose of [0, 2]) {
    const dis = new Dissector({ verbose });
    packets.forEach((p, i) => {
      const check = (data: Uint8Array, what: string, tree: boolean): void => {
        // CPU time of this process, not wall time: a loaded machine (CI beside other work) stretches the wall
        const t0 = process.cpuUsage();
        let r;
        try {
          r = dis.dissectBytes(data, p.linktype, { wirelen: Math.max(p.wirelen, data.length), tree });
        } catch (e) {
          problems.push(`packet ${i + 1} ${what}: threw ${(e as Error).message}`);
          return;
        }
        if (r.ctx.bug) problems.push(`packet ${i + 1} ${what}: dissector bug in ${r.ctx.bug}`);
        const used = process.cpuUsage(t0);
        const ms = (used.user + used.system) / 1000;
        if (ms > 250) problems.push(`packet ${i + 1} ${what}: took ${ms.toFixed(0)} ms`);
      };
      for (let n = 0; n <= p.data.length; n++) check(p.data.subarray(0, n), `cut at ${n}`, verbose === 0);
      for (let k = 0; k < flips; k++) {
        const d = p.data.slice();
        const nflip = 1 + Math.floor(rnd() * 4);
        for (let j = 0; j < nflip; j++) d[Math.floor(rnd() * d.length)] ^= 1 + Math.floor(rnd() * 255);
        check(d, `flip #${k}`, true);
      }
    });
  }
  return problems;
}

/**
 * Runs the corpus files matching `pattern` and compares with tcpdump: for packets where our dissectors reached
 * one of `ids` (the protocol under test) the lines must match; returns counts for the report.
 */
export async function corpusRun(pattern: RegExp, ids: string[]): Promise<{ files: number; reached: number; matched: number; total: number; totalMatched: number; bugs: number; mismatches: string[] }> {
  const res = { files: 0, reached: 0, matched: 0, total: 0, totalMatched: 0, bugs: 0, mismatches: [] as string[] };
  if (!fs.existsSync(CORPUS)) return res;
  for (const f of fs.readdirSync(CORPUS).sort()) {
    if (!pattern.test(f)) continue;
    const file = path.join(CORPUS, f);
    res.files++;
    let cap;
    try {
      cap = await readCapture(file);
    } catch {
      continue;
    }
    const td = tcpdumpLines(file);
    res.bugs += cap.bugs;
    cap.lines.forEach((line, i) => {
      const ok = tcpdumpEscape(line) === td[i];
      res.total++;
      if (ok) res.totalMatched++;
      if (cap.layers[i].some((l) => ids.includes(l))) {
        res.reached++;
        if (ok) res.matched++;
        else if (res.mismatches.length < 20) res.mismatches.push(`${f}#${i + 1}\n  ours: ${line.slice(0, 300)}\n  tcpd: ${(td[i] ?? "").slice(0, 300)}`);
      }
    });
  }
  return res;
}

/** A one-line report of a corpus run (printed by the tests, collected in the final report). */
export function corpusReport(name: string, r: Awaited<ReturnType<typeof corpusRun>>): string {
  return `[corpus ${name}] ${r.files} files; packets reaching ${name}: ${r.matched}/${r.reached} match tcpdump; all packets: ${r.totalMatched}/${r.total}; dissector bugs: ${r.bugs}`;
}

/**
 * The standard checks of one protocol: tcpdump lines and golden files, tshark fields, robustness, and the
 * corpus (when a pattern is given). `needsIpv6` skips the line and field comparisons until IPv6 is dissected.
 */
export async function standardSuite(o: {
  id: string;
  files: string[];
  fields: string[];
  ids: string[];
  corpus?: RegExp;
  tsharkExtra?: string[];
  needsIpv6?: boolean;
  /** the minimum number of (frame, field) pairs compared with tshark, per file */
  minCompared?: number;
  /** the share of corpus packets reaching the protocol whose line must match tcpdump's (default 0.9) */
  minCorpusRate?: number;
}): Promise<void> {
  const { describe, expect, it } = await import("vitest");
  const v6skip = (): boolean => !!o.needsIpv6 && !HAVE_IPV6();
  describe(`${o.id}: tcpdump lines`, () => {
    for (const f of o.files) {
      it.skipIf(!HAVE_TCPDUMP || v6skip())(f, async () => {
        const { lines } = await readCapture(fixture(f));
        expect(lines).toEqual(tcpdumpLines(fixture(f)));
      });
      it.skipIf(v6skip())(`${f}: golden file`, async () => {
        const { lines } = await readCapture(fixture(f));
        const golden = fs.readFileSync(fixture(f.replace(/\.pcap$/, ".tcpdump.txt")), "latin1").split("\n").filter(Boolean);
        expect(lines).toEqual(golden);
      });
    }
  });
  describe(`${o.id}: snaplen-cut captures match tcpdump`, () => {
    for (const f of o.files) {
      it.skipIf(!HAVE_TCPDUMP || !HAVE_EDITCAP || v6skip())(f, async () => {
        // editcap -s N makes the capture tcpdump would have made with -s N; the packets whose dissection
        // reaches this protocol must print as tcpdump prints them (" [|proto]" and all).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsn-${o.id}-`));
        try {
          let compared = 0;
          for (const n of [54, 60, 66, 70, 75, 80, 90, 100, 120, 160, 250, 400]) {
            const cut = path.join(dir, `cut${n}.pcap`);
            execFileSync("editcap", ["-s", String(n), fixture(f), cut], { stdio: "ignore" });
            const { lines, layers } = await readCapture(cut);
            const td = tcpdumpLines(cut);
            lines.forEach((l, i) => {
              if (!layers[i].some((x) => o.ids.includes(x))) return;
              compared++;
              expect(`${n}#${i + 1}: ${l}`).toBe(`${n}#${i + 1}: ${td[i]}`);
            });
          }
          expect(compared).toBeGreaterThan(0);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
  describe(`${o.id}: fields equal tshark's`, () => {
    for (const f of o.files) {
      it.skipIf(!HAVE_TSHARK || v6skip())(f, async () => {
        const { packets } = await readCapture(fixture(f));
        const { diffs, compared } = compareFields(fixture(f), packets, o.fields, o.tsharkExtra);
        expect(diffs).toEqual([]);
        expect(compared).toBeGreaterThanOrEqual(o.minCompared ?? 1);
      });
    }
  });
  describe(`${o.id}: robustness`, () => {
    for (const f of o.files) {
      it(`${f}: every truncation and seeded byte flips`, async () => {
        const { packets } = await readCapture(fixture(f));
        expect(robustness(packets)).toEqual([]);
      });
    }
  });
  if (o.corpus) {
    const pattern = o.corpus;
    describe(`${o.id}: tcpdump corpus`, () => {
      it.skipIf(!HAVE_TCPDUMP)(String(pattern), async () => {
        const r = await corpusRun(pattern, o.ids);
        console.log(corpusReport(o.id, r));
        if (r.mismatches.length) console.log(r.mismatches.join("\n"));
        expect(r.bugs).toBe(0);
        // Mismatches can come from layers below (other modules): the rate is reported, and must stay high.
        expect(r.matched).toBeGreaterThanOrEqual(Math.floor(r.reached * (o.minCorpusRate ?? 0.9)));
      });
    });
  }
}

/**
 * Writes a classic pcap (Ethernet, or another link type) of the given frames (for crafted differential tests).
 * `wireLen` gives a record's original length when it is not the frame's (a record cut as a snapshot length cuts it).
 */
export function writePcap(file: string, frames: Uint8Array[], wireLen?: (frame: Uint8Array) => number, linktype = 1): void {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(linktype, 20);
  parts.push(gh);
  frames.forEach((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000 + i, 0);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(wireLen ? wireLen(f) : f.length, 12);
    parts.push(h, Buffer.from(f));
  });
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** Ethernet + IPv4 (10.202.0.1 -> 10.202.0.2) + TCP (ACK|PSH) or UDP around a payload. */
export function ipFrame(proto: "tcp" | "udp", sport: number, dport: number, payload: Uint8Array | string, seq = 1000): Uint8Array {
  const pl = typeof payload === "string" ? Buffer.from(payload, "latin1") : Buffer.from(payload);
  const l4 = proto === "tcp" ? 20 : 8;
  const ipLen = 20 + l4 + pl.length;
  const b = Buffer.alloc(14 + ipLen);
  Buffer.from([2, 0, 0x0a, 0xca, 0, 2, 2, 0, 0x0a, 0xca, 0, 1, 0x08, 0x00]).copy(b, 0);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(ipLen, ip + 2);
  b[ip + 8] = 64;
  b[ip + 9] = proto === "tcp" ? 6 : 17;
  Buffer.from([10, 202, 0, 1, 10, 202, 0, 2]).copy(b, ip + 12);
  const t = ip + 20;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  if (proto === "tcp") {
    b.writeUInt32BE(seq, t + 4);
    b.writeUInt32BE(1, t + 8);
    b[t + 12] = 0x50;
    b[t + 13] = 0x18;
    b.writeUInt16BE(502, t + 14);
  } else b.writeUInt16BE(8 + pl.length, t + 4);
  pl.copy(b, t + l4);
  return new Uint8Array(b);
}

/** Writes the frames to a temporary pcap and returns our lines and tcpdump's. */
export async function craftedDiff(frames: Uint8Array[]): Promise<{ ours: string[]; tcpdump: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-crafted-"));
  try {
    const f = path.join(dir, "c.pcap");
    writePcap(f, frames);
    const { lines } = await readCapture(f);
    return { ours: lines.map(tcpdumpEscape), tcpdump: tcpdumpLines(f) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * -v/-vv/-vvv: compares only this protocol's part of each line (after the transport's text), since the
 * layers below print their own -v details (IP header line, checksums) through other modules.
 */
export function appPart(line: string): string {
  const m = /Flags \[[^\]]*\].*?, length \d+/.exec(line);
  if (m) return line.slice(m.index + m[0].length);
  const u = /\S+\.\d+ > \S+\.\d+: /.exec(line);
  const x = u ? line.slice(u.index + u[0].length) : line;
  return x.replace(/^\[(udp sum ok|no cksum|bad udp cksum [^\]]*)\] /, "");
}

export async function verboseDiff(file: string, verbose: number, ids: string[]): Promise<{ compared: number; diffs: string[] }> {
  const { lines, layers } = await readCapture(file, verbose);
  const td = tcpdumpPackets(file, ["-" + "v".repeat(verbose)]);
  const diffs: string[] = [];
  let compared = 0;
  lines.forEach((l, i) => {
    if (!layers[i].some((x) => ids.includes(x))) return;
    compared++;
    const a = appPart(tcpdumpEscape(l));
    const b = appPart(td[i] ?? "");
    if (a !== b) diffs.push(`#${i + 1}\n  ours: ${a}\n  tcpd: ${b}`);
  });
  return { compared, diffs };
}

/** tcpdump's packets (-nn -t and more flags), each with its indented continuation lines joined by "\n". */
export function tcpdumpPackets(file: string, flags: string[]): string[] {
  let out = "";
  try {
    out = execFileSync("tcpdump", ["-nn", "-t", ...flags, "-r", file], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString("latin1");
  } catch (e) {
    out = ((e as { stdout?: Buffer }).stdout ?? Buffer.alloc(0)).toString("latin1");
  }
  const td: string[] = [];
  for (const l of out.split("\n")) {
    if (l === "") continue;
    if (/^\s/.test(l) && td.length) td[td.length - 1] += "\n" + l;
    else td.push(l);
  }
  return td;
}
