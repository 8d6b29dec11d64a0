/**
 * Differential tests of the BPF evaluator: runBpf and compileBpf (both code layouts) must return exactly what
 * libpcap's own bpf_filter returns (native().filterBatch), for programs pcap_compile makes from many
 * expressions, over every packet of the tcpdump capture corpus, truncated copies and mutated copies of them;
 * and for random hand-built programs. Where libpcap 1.10 would crash or hang, the evaluator's documented
 * choice is checked on its own.
 */
import fs from "node:fs";
import { constants as perfConstants, PerformanceObserver } from "node:perf_hooks";
import { beforeAll, describe, expect, it } from "vitest";
import { native } from "../../src/capture/native.js";
import { bpfLayout, compileBpf, MAX_BACKWARD_JUMPS, runBpf, type BpfFilterFn } from "../../src/filter/bpf.js";
import { formatProgram } from "../../src/filter/disasm.js";
import { CORPUS_DIR, loadCorpus, prng, type PacketSet } from "./corpus.js";
import { FILTERS, WLAN_FILTERS } from "./filters.js";

const SNAPLEN = 262144;
const haveCorpus = fs.existsSync(CORPUS_DIR);
const DLT_EN10MB = 1;
/** 802.11 link types (plain, Prism, radiotap, AVS, PPI): the WLAN filters compile on these */
const WLAN_DLTS = new Set([105, 119, 127, 163, 192]);

/** Packets as filterBatch takes them; `label` says where packet i came from, for failure messages. */
interface Packets {
  data: Buffer;
  count: number;
  offset: Uint32Array;
  caplen: Uint32Array;
  wirelen: Uint32Array;
  label: (i: number) => string;
}

function fromSet(s: PacketSet): Packets {
  return { ...s, label: (i) => `${s.file[i]} #${i} (DLT ${s.dlt})` };
}

/**
 * The same packets cut short: per packet, a few captured lengths around the headers plus the last bytes,
 * so that loads run off the captured data at every depth (the "buflen" checks of bpf_filter).
 */
function truncated(s: PacketSet, rand: () => number): Packets {
  const idx: number[] = [];
  const caps: number[] = [];
  for (let i = 0; i < s.count; i++) {
    const cap = s.caplen[i]!;
    const cuts = new Set([0, cap >> 1, Math.max(0, cap - 1), Math.max(0, cap - 3)]);
    for (let j = 0; j < 4; j++) cuts.add(Math.floor(rand() * Math.min(cap, 96)));
    for (const c of cuts) if (c < cap) (idx.push(i), caps.push(c));
  }
  return {
    data: s.data,
    count: idx.length,
    offset: Uint32Array.from(idx, (i) => s.offset[i]!),
    caplen: Uint32Array.from(caps),
    wirelen: Uint32Array.from(idx, (i) => s.wirelen[i]!),
    label: (k) => `${s.file[idx[k]!]} #${idx[k]} cut to ${caps[k]} (DLT ${s.dlt})`,
  };
}

/**
 * Mutated copies: 1 to 4 bytes of the first 96 set to random or boundary values, and a random on-the-wire
 * length, so that comparisons, arithmetic on packet bytes (division by zero, shifts by 32 or more) and
 * length tests take paths real traffic rarely does.
 */
function mutated(s: PacketSet, rand: () => number): Packets {
  const data = Buffer.from(s.data);
  const wirelen = Uint32Array.from(s.wirelen);
  const special = [0, 1, 0x20, 0x21, 0x3f, 0x40, 0x45, 0x60, 0x7f, 0x80, 0xff];
  for (let i = 0; i < s.count; i++) {
    const cap = s.caplen[i]!;
    if (cap === 0) continue;
    const flips = 1 + Math.floor(rand() * 4);
    for (let j = 0; j < flips; j++) {
      const at = s.offset[i]! + Math.floor(rand() * Math.min(cap, 96));
      data[at] = rand() < 0.5 ? special[Math.floor(rand() * special.length)]! : Math.floor(rand() * 256);
    }
    if (rand() < 0.3) wirelen[i] = Math.floor(rand() * 2 * (cap + 100));
  }
  return { ...s, data, wirelen, label: (i) => `${s.file[i]} #${i} mutated (DLT ${s.dlt})` };
}

/** A program with a backward jump: libpcap 1.10 has no loop limit, so only feed it bytes that end. */
const hasBackwardJump = (p: Uint32Array) => {
  for (let i = 0; i < p.length; i += 4) if ((p[i]! & 0xffff) === 0x05 && (p[i + 3]! | 0) < 0) return true;
  return false;
};

interface Evaluators {
  name: string;
  run: (data: Uint8Array, offset: number, caplen: number, wirelen: number) => number;
}

function evaluators(prog: Uint32Array): Evaluators[] {
  // "auto" is the blocks layout unless the program jumps backwards (switch) or is big (interpreter); the
  // switch layout is also forced on every program of reasonable size (it is slow on huge ones)
  const out: Evaluators[] = [
    { name: "runBpf", run: (d, o, c, w) => runBpf(prog, d, o, c, w) },
    { name: `compileBpf(auto: ${bpfLayout(prog)})`, run: compileBpf(prog) },
  ];
  if (prog.length / 4 <= 1024) out.push({ name: "compileBpf(switch)", run: compileBpf(prog, "switch") });
  return out;
}

/**
 * Runs `prog` over `pk` natively and with every evaluator; returns the mismatches (at most a few, described)
 * and how many packets libpcap accepted.
 */
function compare(prog: Uint32Array, pk: Packets, what: string): { mismatches: string[]; accepted: number } {
  const want = native().filterBatch(prog, pk.data, pk.offset, pk.caplen, pk.wirelen, pk.count);
  const mismatches: string[] = [];
  let accepted = 0;
  for (let i = 0; i < pk.count; i++) if (want[i] !== 0) accepted++;
  for (const ev of evaluators(prog)) {
    for (let i = 0; i < pk.count && mismatches.length < 5; i++) {
      const got = ev.run(pk.data, pk.offset[i]!, pk.caplen[i]!, pk.wirelen[i]!);
      if (got !== want[i]) {
        mismatches.push(`${what}: ${ev.name} returned ${got}, libpcap ${want[i]} on ${pk.label(i)}\n${formatProgram(prog, 1)}`);
      }
    }
  }
  return { mismatches, accepted };
}

let corpus: Map<number, PacketSet>;
const variants = new Map<number, { original: Packets; cut: Packets; mutated: Packets }>();

describe.skipIf(!haveCorpus)("BPF evaluator vs libpcap's bpf_filter", () => {
  beforeAll(() => {
    corpus = loadCorpus();
    const rand = prng(0x7e57);
    for (const [dlt, s] of corpus) variants.set(dlt, { original: fromSet(s), cut: truncated(s, rand), mutated: mutated(s, rand) });
  });

  it("reads the corpus", () => {
    const total = [...corpus.values()].reduce((n, s) => n + s.count, 0);
    expect(total).toBeGreaterThan(9000);
    expect(corpus.get(DLT_EN10MB)!.count).toBeGreaterThan(8000);
  });

  // Every expression on every link type of the corpus it compiles for, optimized and not.
  const stats = { programs: 0, runs: 0, accepted: 0 };
  for (const expr of [...FILTERS, ...WLAN_FILTERS]) {
    it(expr, () => {
      const problems: string[] = [];
      let compiled = 0;
      for (const [dlt, v] of variants) {
        if (WLAN_FILTERS.includes(expr) && !WLAN_DLTS.has(dlt)) continue;
        for (const optimize of [1, 0]) {
          let prog: Uint32Array;
          try {
            prog = native().compile(expr, dlt, SNAPLEN, optimize, 0);
          } catch {
            continue; // not valid for this link type
          }
          compiled++;
          stats.programs++;
          const sets: [string, Packets][] = [
            ["original", v.original],
            ["truncated", v.cut],
          ];
          if (!hasBackwardJump(prog)) sets.push(["mutated", v.mutated]);
          for (const [kind, pk] of sets) {
            const r = compare(prog, pk, `"${expr}" -O${optimize} ${kind}`);
            problems.push(...r.mismatches);
            stats.runs += pk.count;
            stats.accepted += r.accepted;
          }
        }
      }
      expect(compiled).toBeGreaterThan(0);
      expect(problems.slice(0, 3)).toEqual([]);
    });
  }

  it("compared many verdicts, with both outcomes", () => {
    expect(stats.programs).toBeGreaterThan(500);
    expect(stats.runs).toBeGreaterThan(10_000_000);
    expect(stats.accepted).toBeGreaterThan(100_000);
  });

  it("layouts by size: blocks up to ~2000 instructions, then the interpreter", () => {
    const ports = (n: number, optimize: number) =>
      native().compile(Array.from({ length: n }, (_, i) => `port ${i + 1}`).join(" or "), DLT_EN10MB, SNAPLEN, optimize, 0);
    expect(bpfLayout(ports(100, 1))).toBe("blocks"); // 378 instructions
    expect(bpfLayout(ports(30, 0))).toBe("blocks"); // 1862
    const prog = ports(100, 0); // 6342 instructions, 1171 jump targets
    expect(prog.length / 4).toBeGreaterThan(6000);
    expect(bpfLayout(prog)).toBe("interpreter");
    const r = compare(prog, variants.get(DLT_EN10MB)!.original, "100 ports -O0");
    expect(r.mismatches).toEqual([]);
    expect(r.accepted).toBeGreaterThan(100);
  });

  it("X as divisor 0: 'ip[0] / (ip[1] - ip[1]) == 0' rejects every IPv4 packet, as bpf_filter does", () => {
    const prog = native().compile("ip[0] / (ip[1] - ip[1]) == 0", DLT_EN10MB, SNAPLEN, 1, 0);
    expect(formatProgram(prog, 1)).toMatch(/\) div      x\n/);
    const v = variants.get(DLT_EN10MB)!;
    const r = compare(prog, v.original, "div x by 0");
    expect(r.mismatches).toEqual([]);
    expect(r.accepted).toBe(0);
    // and modulo: ip[1] is 0 in most IPv4 headers (TOS)
    const mod = native().compile("ip[0] % ip[1] == 0", DLT_EN10MB, SNAPLEN, 1, 0);
    expect(compare(mod, v.original, "mod x").mismatches).toEqual([]);
  });

  it("X shift of 32 or more: 'ip[1] << ip[0] == 0' shifts by 0x45 = 69 and gets 0, as bpf_filter does", () => {
    const prog = native().compile("ip[1] << ip[0] == 0", DLT_EN10MB, SNAPLEN, 1, 0);
    expect(formatProgram(prog, 1)).toMatch(/\) lsh      x\n/);
    const pk = variants.get(DLT_EN10MB)!.original;
    const r = compare(prog, pk, "lsh x");
    expect(r.mismatches).toEqual([]);
    // Every IPv4 packet with a version/IHL byte of 0x45 is accepted; a plain JS `<<` (count mod 32) would
    // have accepted only those with TOS 0.
    let ipv4 = 0;
    let tos = 0;
    const got = native().filterBatch(prog, pk.data, pk.offset, pk.caplen, pk.wirelen, pk.count);
    for (let i = 0; i < pk.count; i++) {
      const o = pk.offset[i]!;
      if (pk.caplen[i]! < 16 || pk.data.readUInt16BE(o + 12) !== 0x0800 || pk.data[o + 14] !== 0x45) continue;
      ipv4++;
      if (pk.data[o + 15] !== 0) tos++;
      expect(got[i]).toBe(SNAPLEN);
    }
    expect(ipv4).toBeGreaterThan(1000);
    expect(tos).toBeGreaterThan(10);
  });
});

// ---- hand-built programs ----------------------------------------------------------------------------------

type Insn = [code: number, jt: number, jf: number, k: number];
const program = (...insns: Insn[]) => new Uint32Array(insns.flat());
const RET_A: Insn = [0x16, 0, 0, 0];

/** Verdicts of `prog` natively and in every JS evaluator over `bytes`, as [native, ...js]. */
function verdicts(prog: Uint32Array, bytes: number[], caplen = bytes.length, wirelen = bytes.length): number[] {
  const data = Buffer.from(bytes);
  const want = native().filterBatch(prog, data, Uint32Array.of(0), Uint32Array.of(caplen), Uint32Array.of(wirelen), 1)[0]!;
  return [want, ...evaluators(prog).map((e) => e.run(data, 0, caplen, wirelen))];
}
const same = (v: number[]) => v.every((x) => x === v[0]);

const EDGE = [0, 1, 2, 7, 31, 32, 33, 63, 64, 255, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];

describe("hand-built programs vs bpf_filter", () => {
  const bytes = Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);

  it("every ALU operation, with k and with X, on edge values", () => {
    const ops = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0]; // add .. xor (no neg)
    for (const op of ops) {
      for (const a of EDGE) {
        for (const b of EDGE) {
          // A op X
          const viaX = program([0x00, 0, 0, a], [0x01, 0, 0, b], [0x04 | op | 0x08, 0, 0, 0], RET_A);
          expect(verdicts(viaX, bytes), `0x${(0x0c | op).toString(16)} ${a} ${b}`).toSatisfy(same);
          // A op k (a constant divisor of 0 kills libpcap 1.10 with SIGFPE: checked separately)
          if ((op === 0x30 || op === 0x90) && b === 0) continue;
          const viaK = program([0x00, 0, 0, a], [0x04 | op, 0, 0, b], RET_A);
          expect(verdicts(viaK, bytes), `0x${(0x04 | op).toString(16)} ${a} ${b}`).toSatisfy(same);
        }
      }
    }
    for (const a of EDGE) expect(verdicts(program([0x00, 0, 0, a], [0x84, 0, 0, 0], RET_A), bytes)).toSatisfy(same);
  });

  it("every conditional jump, with k and with X, unsigned", () => {
    for (const op of [0x10, 0x20, 0x30, 0x40]) {
      for (const a of EDGE) {
        for (const b of EDGE) {
          const k = program([0x00, 0, 0, a], [0x05 | op, 0, 1, b], [0x06, 0, 0, 1], [0x06, 0, 0, 2]);
          const x = program([0x00, 0, 0, a], [0x01, 0, 0, b], [0x0d | op, 1, 0, 0], [0x06, 0, 0, 1], [0x06, 0, 0, 2]);
          expect(verdicts(k, bytes), `${op} ${a} ${b}`).toSatisfy(same);
          expect(verdicts(x, bytes), `${op} x ${a} ${b}`).toSatisfy(same);
        }
      }
    }
  });

  it("loads of every size and mode at the edge of the captured bytes, and the lengths", () => {
    for (let caplen = 0; caplen <= 12; caplen++) {
      for (let k = 0; k <= 12; k++) {
        for (const code of [0x20, 0x28, 0x30, 0xb1]) {
          expect(verdicts(program([code, 0, 0, k], [0x87, 0, 0, 0], [0x0c, 0, 0, 0], RET_A), bytes, caplen)).toSatisfy(same);
        }
        for (const x of [0, 1, 3, 0xfffffffc, 0xffffffff]) {
          for (const code of [0x40, 0x48, 0x50]) {
            expect(verdicts(program([0x01, 0, 0, x], [code, 0, 0, k], RET_A), bytes, caplen), `${code} x=${x} k=${k} cap=${caplen}`).toSatisfy(same);
          }
        }
      }
      for (const k of [0xfffffffc, 0xfffffffe, 0xffffffff, 0xfffff030]) {
        for (const code of [0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xb1]) expect(verdicts(program([code, 0, 0, k], RET_A), bytes, caplen)).toSatisfy(same);
      }
    }
    for (const w of [0, 1, 64, 1500, 0xffffffff]) {
      expect(verdicts(program([0x80, 0, 0, 0], RET_A), bytes, 64, w)).toSatisfy(same);
      expect(verdicts(program([0x81, 0, 0, 0], [0x87, 0, 0, 0], RET_A), bytes, 64, w)).toSatisfy(same); // ldx #pktlen
    }
  });

  it("scratch memory, tax/txa, ja and ret #k", () => {
    const p = program(
      [0x00, 0, 0, 0xdeadbeef],
      [0x02, 0, 0, 15], // st M[15]
      [0x01, 0, 0, 5],
      [0x03, 0, 0, 0], // stx M[0]
      [0x60, 0, 0, 0], // ld M[0]
      [0x07, 0, 0, 0], // tax
      [0x61, 0, 0, 15], // ldx M[15]
      [0x87, 0, 0, 0], // txa
      [0x05, 0, 0, 1], // ja +1
      [0x06, 0, 0, 0],
      [0x1c, 0, 0, 0], // sub x (0xdeadbeef - 0xdeadbeef)
      [0x15, 0, 1, 0],
      [0x06, 0, 0, 0xffffffff],
      [0x06, 0, 0, 3],
    );
    const v = verdicts(p, bytes);
    expect(v).toSatisfy(same);
    expect(v[0]).toBe(0xffffffff);
  });

  it("a constant shift of 32 or more: the count modulo 32, as libpcap 1.10's compiled C on x86_64", () => {
    for (const k of [31, 32, 33, 40, 63, 64, 0xffffffff]) {
      for (const code of [0x64, 0x74]) {
        const v = verdicts(program([0x00, 0, 0, 0x80000ff1], [code, 0, 0, k], RET_A), bytes);
        expect(v, `${code} ${k}`).toSatisfy(same);
      }
    }
  });

  it("random programs: straight-line and forward jumps over random packets", () => {
    const rand = prng(0xb9f);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const u32 = () => (rand() < 0.5 ? pick(EDGE) : Math.floor(rand() * 2 ** 32));
    const small = () => Math.floor(rand() * 72);
    const packets: { data: Buffer; caplen: number; wirelen: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const data = Buffer.from(Array.from({ length: 80 }, () => (rand() < 0.3 ? pick([0, 0xff, 0x45, 1, 0x20]) : Math.floor(rand() * 256))));
      packets.push({ data, caplen: Math.floor(rand() * 81), wirelen: Math.floor(rand() * 200) });
    }
    const alu = [0x04, 0x14, 0x24, 0x34, 0x94, 0x44, 0x54, 0xa4, 0x64, 0x74, 0x0c, 0x1c, 0x2c, 0x3c, 0x9c, 0x4c, 0x5c, 0xac, 0x6c, 0x7c, 0x84];
    const jumps = [0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d];
    let checked = 0;
    let nonzero = 0;
    for (let n = 0; n < 1500; n++) {
      // libpcap 1.10 leaves M[] uninitialized: set every word first so that both sides agree
      const insns: Insn[] = [];
      for (let m = 0; m < 16; m++) insns.push([0x00, 0, 0, u32()], [0x02, 0, 0, m]);
      const len = 4 + Math.floor(rand() * 40);
      for (let i = 0; i < len; i++) {
        const remaining = len - i; // instructions after this one, the final ret included
        const r = rand();
        if (r < 0.25) insns.push([pick([0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xb1]), 0, 0, rand() < 0.9 ? small() : u32()]);
        else if (r < 0.55) {
          const code = pick(alu);
          let k = code === 0x64 || code === 0x74 ? Math.floor(rand() * 40) : u32();
          if ((code === 0x34 || code === 0x94) && k === 0) k = 3;
          insns.push([code, 0, 0, k]);
        } else if (r < 0.75) {
          insns.push([pick(jumps), Math.floor(rand() * remaining), Math.floor(rand() * remaining), u32()]);
        } else if (r < 0.78) insns.push([0x05, 0, 0, Math.floor(rand() * remaining)]);
        else if (r < 0.8) insns.push([0x06, 0, 0, u32()]);
        else if (r < 0.9) insns.push([pick([0x00, 0x01, 0x80, 0x81, 0x07, 0x87]), 0, 0, u32()]);
        else insns.push([pick([0x60, 0x61, 0x02, 0x03]), 0, 0, Math.floor(rand() * 16)]);
      }
      insns.push(RET_A);
      const prog = program(...insns);
      for (const p of packets) {
        const v = verdicts(prog, [...p.data], p.caplen, p.wirelen);
        if (!same(v)) expect(v, formatProgram(prog, 1) + JSON.stringify(p)).toSatisfy(same);
        checked++;
        if (v[0] !== 0) nonzero++;
      }
    }
    expect(checked).toBe(1500 * 40);
    expect(nonzero).toBeGreaterThan(checked / 4);
  });
});

// ---- where libpcap 1.10 crashes or hangs: our documented behaviour --------------------------------------

describe("programs libpcap 1.10 cannot run (JS only)", () => {
  const bytes = Buffer.alloc(64, 0x11);
  const all = (prog: Uint32Array, caplen = 64) => [
    runBpf(prog, bytes, 0, caplen, caplen),
    compileBpf(prog)(bytes, 0, caplen, caplen),
    compileBpf(prog, "switch")(bytes, 0, caplen, caplen),
  ];

  it("division and modulo by a constant 0 return 0 (libpcap 1.10: SIGFPE)", () => {
    expect(all(program([0x00, 0, 0, 7], [0x34, 0, 0, 0], RET_A))).toEqual([0, 0, 0]);
    expect(all(program([0x00, 0, 0, 7], [0x94, 0, 0, 0], RET_A))).toEqual([0, 0, 0]);
  });

  it("unknown opcodes, scratch words past 15, jumps out of the program and running off the end return 0", () => {
    expect(all(program([0x00, 0, 0, 7], [0xff, 0, 0, 0], RET_A))).toEqual([0, 0, 0]);
    expect(all(program([0x0e, 0, 0, 7], RET_A))).toEqual([0, 0, 0]); // ret x is not BPF
    for (const code of [0x60, 0x61, 0x02, 0x03]) expect(all(program([code, 0, 0, 16], [0x06, 0, 0, 1]))).toEqual([0, 0, 0]);
    expect(all(program([0x05, 0, 0, 5], [0x06, 0, 0, 1]))).toEqual([0, 0, 0]);
    expect(all(program([0x15, 9, 9, 0], [0x06, 0, 0, 1]))).toEqual([0, 0, 0]);
    expect(all(program([0x00, 0, 0, 7]))).toEqual([0, 0, 0]);
    expect(all(new Uint32Array(0))).toEqual([0, 0, 0]);
  });

  it("a packet that claims more bytes than the buffer holds is rejected, as filterBatch does", () => {
    const prog = program([0x06, 0, 0, 1]);
    expect(runBpf(prog, bytes, 60, 5, 5)).toBe(0);
    expect(compileBpf(prog)(bytes, 60, 5, 5)).toBe(0);
    expect(runBpf(prog, bytes, 59, 5, 5)).toBe(1);
    expect(compileBpf(prog)(bytes, 59, 5, 5)).toBe(1);
  });

  it("backward jumps: a jump to itself returns 0; the 65th backward jump of a run returns 0", () => {
    expect(all(program([0x05, 0, 0, 0xffffffff], [0x06, 0, 0, 1]))).toEqual([0, 0, 0]);
    // M[0] counts down from n; each round jumps back once
    const loop = (n: number) =>
      program(
        [0x00, 0, 0, n],
        [0x02, 0, 0, 0],
        [0x60, 0, 0, 0], // 2: ld M[0]
        [0x15, 3, 0, 0], // jeq #0 -> 7
        [0x14, 0, 0, 1],
        [0x02, 0, 0, 0],
        [0x05, 0, 0, -5 >>> 0], // ja 2
        [0x06, 0, 0, 9], // 7
      );
    expect(all(loop(MAX_BACKWARD_JUMPS))).toEqual([9, 9, 9]);
    expect(verdicts(loop(MAX_BACKWARD_JUMPS), [...bytes])).toSatisfy(same); // and libpcap agrees
    expect(all(loop(MAX_BACKWARD_JUMPS + 1))).toEqual([0, 0, 0]); // libpcap 1.10 has no limit: 9
  });

  it("'ip6 protochain 6' over a self-referencing AH header ends (libpcap 1.10 loops forever)", () => {
    const prog = native().compile("ip6 protochain 6", DLT_EN10MB, SNAPLEN, 1, 0);
    expect(bpfLayout(prog)).toBe("switch"); // backward jumps
    const p = Buffer.alloc(14 + 40 + 16);
    p.writeUInt16BE(0x86dd, 12);
    p[14] = 0x60;
    p[20] = 51; // next header: AH
    p[54] = 51; // AH's next header: AH again ...
    p[55] = 8; // ... and its length sends libpcap's X back to the same header
    expect(all(prog, p.length)).toEqual([0, 0, 0]);
    // with TCP after the AH instead, the run ends (libpcap's X jumps to (1 + 2) * 4: its AH walk is
    // absolute, not relative) and all agree
    p[54] = 6;
    p[55] = 1;
    const v = verdicts(prog, [...p]);
    expect(v).toSatisfy(same);
    expect(v[0]).toBe(SNAPLEN);
  });
});

// ---- allocation ---------------------------------------------------------------------------------------------

describe.skipIf(!haveCorpus)("hot paths", () => {
  /** Runs `fn` `rounds` times and returns the number of young-generation collections it caused. */
  async function minorGcs(fn: () => void, rounds: number): Promise<number> {
    let count = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
        if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) count++;
      }
    });
    obs.observe({ entryTypes: ["gc"] });
    for (let r = 0; r < rounds; r++) fn();
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    return count;
  }

  it("neither the interpreter nor a compiled filter allocates per packet", async () => {
    const s = loadCorpus().get(DLT_EN10MB)!;
    const prog = native().compile("tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 or ip6 and udp portrange 1-1023", DLT_EN10MB, SNAPLEN, 1, 0);
    const compiled: BpfFilterFn = compileBpf(prog);
    const sink = new Uint32Array(s.count);
    const viaCompiled = () => {
      for (let i = 0; i < s.count; i++) sink[i] = compiled(s.data, s.offset[i]!, s.caplen[i]!, s.wirelen[i]!);
    };
    const viaInterpreter = () => {
      for (let i = 0; i < s.count; i++) sink[i] = runBpf(prog, s.data, s.offset[i]!, s.caplen[i]!, s.wirelen[i]!);
    };
    // warm up (and let V8 optimize), then count collections over a few million packets
    await minorGcs(viaCompiled, 50);
    await minorGcs(viaInterpreter, 50);
    const rounds = Math.ceil(3_000_000 / s.count);
    // 16 bytes per packet would be 48 MB: many scavenges of a 16 MB young generation
    expect(await minorGcs(viaCompiled, rounds)).toBeLessThanOrEqual(1);
    expect(await minorGcs(viaInterpreter, rounds)).toBeLessThanOrEqual(1);
  });
});
