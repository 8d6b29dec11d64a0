/**
 * A classic BPF (cBPF) evaluator in TypeScript, giving the same verdict as libpcap's bpf_filter() for every
 * program pcap_compile() produces: an interpreter (runBpf) and a compiler to a JavaScript function
 * (compileBpf) for hot loops. Used to filter packets read from files and to re-check kernel verdicts;
 * test/filter/bpf.test.ts runs both against libpcap's own bpf_filter on the tcpdump capture corpus.
 *
 * A program is the addon's flat form: a Uint32Array of [code, jt, jf, k] per instruction, each field
 * narrowed to its width in `struct bpf_insn` (code u_short, jt/jf u_char, k u_int32).
 *
 * Semantics (those of libpcap's bpf_filter, with `buflen` = caplen):
 *  - registers A and X and the 16 scratch words M[] are unsigned 32-bit and start at 0; arithmetic wraps;
 *  - a load that does not fit within the captured bytes (caplen) makes the filter return 0, i.e. reject;
 *    `len` (#pktlen) loads the on-the-wire length;
 *  - division or modulo by an X of 0 returns 0; a shift by an X of 32 or more leaves A = 0;
 *  - the return value is the instruction's (0: reject; otherwise the number of bytes to keep).
 *
 * Where libpcap 1.10 (the version this was checked against) has undefined or fatal behaviour, for programs
 * pcap_compile never produces, we follow the rules libpcap's later bpf_filter adopted, so a hand-made or
 * hostile program can never crash, hang or read outside the packet:
 *  - an unknown opcode, a scratch word index >= 16, a jump outside the program, or running off its end
 *    returns 0 (1.10 aborts or reads out of bounds);
 *  - division or modulo by a constant 0 returns 0 (1.10 dies with SIGFPE);
 *  - backward jumps (`ja` with a negative k: pcap_compile emits them for `protochain`) are allowed, but a
 *    jump to itself or the 65th backward jump of a run returns 0 (MAX_BACKWARD_JUMPS). libpcap 1.10 has no
 *    limit and loops forever on e.g. `ip6 protochain 6` over an IPv6 packet with a self-referencing AH
 *    header;
 *  - a shift by a constant of 32 or more uses the count modulo 32, as 1.10's compiled C does on x86_64
 *    (later libpcap returns A = 0; pcap_compile rejects such shifts with "shift by more than 31 bits").
 *
 * Neither entry point allocates per packet.
 */

/** Field values of BPF opcodes (pcap/bpf.h): class | size | mode, class | op | source, etc. */
export const BPF = {
  // instruction classes (code & 0x07)
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  // load sizes (code & 0x18)
  W: 0x00,
  H: 0x08,
  B: 0x10,
  // load modes (code & 0xe0)
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  LEN: 0x80,
  MSH: 0xa0,
  // ALU operations (code & 0xf0)
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  // jump operations (code & 0xf0)
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  // operand source (code & 0x08): the constant k or the X register
  K: 0x00,
  X: 0x08,
  // return value source (code & 0x18)
  A: 0x10,
  // misc operations (code & 0xf8)
  TAX: 0x00,
  TXA: 0x80,
  /** number of scratch memory words */
  MEMWORDS: 16,
} as const;

/** Backward jumps allowed per run before the filter gives up and rejects (as in libpcap >= 1.10.5). */
export const MAX_BACKWARD_JUMPS = 64;

/** A compiled filter: same arguments and result as runBpf without the program. */
export type BpfFilterFn = (data: Uint8Array, offset: number, caplen: number, wirelen: number) => number;

function instructionCount(prog: Uint32Array): number {
  if (prog.length % 4 !== 0) {
    throw new TypeError(`a BPF program is [code, jt, jf, k] per instruction; got ${prog.length} words`);
  }
  return prog.length / 4;
}

/** Scratch memory of the interpreter: it never re-enters itself, so one array serves every run. */
const scratch = new Uint32Array(BPF.MEMWORDS);

/**
 * Runs `prog` over the packet data[offset, offset + caplen) whose length on the wire was `wirelen` and
 * returns the filter's verdict: 0 to reject, otherwise the snap length to keep (libpcap's bpf_filter).
 * A packet that claims more bytes than `data` holds is rejected (0), as the addon's filterBatch does.
 *
 * The cases below are in the order of libpcap's switch; each is labelled with its `tcpdump -d` form.
 */
export function runBpf(prog: Uint32Array, data: Uint8Array, offset: number, caplen: number, wirelen: number): number {
  const n = instructionCount(prog);
  if (n === 0 || offset + caplen > data.length) return 0;
  const mem = scratch;
  mem.fill(0);
  let a = 0;
  let x = 0;
  let t = 0;
  let pc = 0;
  let backward = 0;
  for (;;) {
    if (pc >= n) return 0; // ran off the end, or a conditional jump past it
    const i = pc << 2;
    const k = prog[i + 3];
    pc++;
    switch (prog[i] & 0xffff) {
      case 0x06: // ret #k
        return k;
      case 0x16: // ret a
        return a;
      case 0x20: // ld [k]
        if (k + 4 > caplen) return 0;
        t = offset + k;
        a = ((data[t] << 24) | (data[t + 1] << 16) | (data[t + 2] << 8) | data[t + 3]) >>> 0;
        continue;
      case 0x28: // ldh [k]
        if (k + 2 > caplen) return 0;
        t = offset + k;
        a = (data[t] << 8) | data[t + 1];
        continue;
      case 0x30: // ldb [k] (also Linux's ancillary offsets, which are far beyond any caplen)
        if (k >= caplen) return 0;
        a = data[offset + k];
        continue;
      case 0x80: // ld #pktlen
        a = wirelen;
        continue;
      case 0x81: // ldx #pktlen
        x = wirelen;
        continue;
      case 0x40: // ld [x + k]  (no 32-bit wrap of x + k: the sum is exact in a double)
        t = x + k;
        if (t + 4 > caplen) return 0;
        t += offset;
        a = ((data[t] << 24) | (data[t + 1] << 16) | (data[t + 2] << 8) | data[t + 3]) >>> 0;
        continue;
      case 0x48: // ldh [x + k]
        t = x + k;
        if (t + 2 > caplen) return 0;
        t += offset;
        a = (data[t] << 8) | data[t + 1];
        continue;
      case 0x50: // ldb [x + k]
        t = x + k;
        if (t >= caplen) return 0;
        a = data[offset + t];
        continue;
      case 0xb1: // ldxb 4*([k]&0xf)
        if (k >= caplen) return 0;
        x = (data[offset + k] & 0xf) << 2;
        continue;
      case 0x00: // ld #k
        a = k;
        continue;
      case 0x01: // ldx #k
        x = k;
        continue;
      case 0x60: // ld M[k]
        if (k >= BPF.MEMWORDS) return 0;
        a = mem[k];
        continue;
      case 0x61: // ldx M[k]
        if (k >= BPF.MEMWORDS) return 0;
        x = mem[k];
        continue;
      case 0x02: // st M[k]
        if (k >= BPF.MEMWORDS) return 0;
        mem[k] = a;
        continue;
      case 0x03: // stx M[k]
        if (k >= BPF.MEMWORDS) return 0;
        mem[k] = x;
        continue;
      case 0x05: // ja: k is signed (protochain jumps backwards)
        t = (pc + k) >>> 0;
        if (t >= n) return 0;
        if (t < pc && (t === pc - 1 || backward++ >= MAX_BACKWARD_JUMPS)) return 0;
        pc = t;
        continue;
      case 0x25: // jgt #k
        pc += a > k ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x35: // jge #k
        pc += a >= k ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x15: // jeq #k
        pc += a === k ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x45: // jset #k
        pc += (a & k) !== 0 ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x2d: // jgt x
        pc += a > x ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x3d: // jge x
        pc += a >= x ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x1d: // jeq x
        pc += a === x ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x4d: // jset x
        pc += (a & x) !== 0 ? prog[i + 1] & 0xff : prog[i + 2] & 0xff;
        continue;
      case 0x0c: // add x
        a = (a + x) >>> 0;
        continue;
      case 0x1c: // sub x
        a = (a - x) >>> 0;
        continue;
      case 0x2c: // mul x
        a = Math.imul(a, x) >>> 0;
        continue;
      case 0x3c: // div x (a double quotient of two u32 never rounds up to the next integer)
        if (x === 0) return 0;
        a = (a / x) >>> 0;
        continue;
      case 0x9c: // mod x
        if (x === 0) return 0;
        a = a % x;
        continue;
      case 0x5c: // and x
        a = (a & x) >>> 0;
        continue;
      case 0x4c: // or x
        a = (a | x) >>> 0;
        continue;
      case 0xac: // xor x
        a = (a ^ x) >>> 0;
        continue;
      case 0x6c: // lsh x
        a = x < 32 ? (a << x) >>> 0 : 0;
        continue;
      case 0x7c: // rsh x
        a = x < 32 ? a >>> x : 0;
        continue;
      case 0x04: // add #k
        a = (a + k) >>> 0;
        continue;
      case 0x14: // sub #k
        a = (a - k) >>> 0;
        continue;
      case 0x24: // mul #k
        a = Math.imul(a, k) >>> 0;
        continue;
      case 0x34: // div #k
        if (k === 0) return 0;
        a = (a / k) >>> 0;
        continue;
      case 0x94: // mod #k
        if (k === 0) return 0;
        a = a % k;
        continue;
      case 0x54: // and #k
        a = (a & k) >>> 0;
        continue;
      case 0x44: // or #k
        a = (a | k) >>> 0;
        continue;
      case 0xa4: // xor #k
        a = (a ^ k) >>> 0;
        continue;
      case 0x64: // lsh #k (JS masks the count to 5 bits, like x86_64)
        a = (a << k) >>> 0;
        continue;
      case 0x74: // rsh #k
        a = a >>> k;
        continue;
      case 0x84: // neg
        a = (0 - a) >>> 0;
        continue;
      case 0x07: // tax
        x = a;
        continue;
      case 0x87: // txa
        a = x;
        continue;
      default: // not an instruction bpf_filter knows
        return 0;
    }
  }
}

/**
 * How compileBpf runs a program:
 *  - "blocks": generated code, nested labelled blocks with a `break` per forward jump: straight-line code
 *    that V8 optimizes best; forward jumps only;
 *  - "switch": generated code, `for (;;) switch (pc)`; allows the backward jumps of `protochain`;
 *  - "interpreter": runBpf on the program.
 */
export type BpfLayout = "blocks" | "switch" | "interpreter";

/**
 * Size limits of generated code. V8 does not optimize very large functions (its limit is on bytecode size),
 * and unoptimized generated code is slower than the interpreter, which is optimized once for all programs;
 * a switch dispatches slowly in unoptimized code once it has many cases; and each jump target of the blocks
 * layout is one more nested block, which parsers handle by recursion (about 6000 overflow V8's stack).
 * Measured with unoptimized (tcpdump -O) `port 1 or port 2 or ...` programs on Node 20: blocks stayed fast
 * up to ~1900 instructions (not at ~3800), a switch at ~260 (not at ~1900); the filters people write
 * compile to tens of instructions.
 */
const MAX_BLOCKS_INSNS = 2048;
const MAX_SWITCH_INSNS = 512;
const MAX_NESTED_LABELS = 1000;

/** Statements of one instruction that is not a jump or a return; `null` for those. */
function straightLine(code: number, k: number): string | null {
  const be32 = (p: string) => `a = ((d[${p}] << 24) | (d[${p} + 1] << 16) | (d[${p} + 2] << 8) | d[${p} + 3]) >>> 0;`;
  const be16 = (p: string) => `a = (d[${p}] << 8) | d[${p} + 1];`;
  const mem = (stmt: string) => (k < BPF.MEMWORDS ? stmt.replace("M", `m${k}`) : "return 0;");
  switch (code) {
    case 0x20: return `if (c < ${k + 4}) return 0; ${be32(`o + ${k}`)}`;
    case 0x28: return `if (c < ${k + 2}) return 0; ${be16(`o + ${k}`)}`;
    case 0x30: return `if (c <= ${k}) return 0; a = d[o + ${k}];`;
    case 0x80: return "a = w;";
    case 0x81: return "x = w;";
    case 0x40: return `t = x + ${k}; if (t + 4 > c) return 0; t += o; ${be32("t")}`;
    case 0x48: return `t = x + ${k}; if (t + 2 > c) return 0; t += o; ${be16("t")}`;
    case 0x50: return `t = x + ${k}; if (t >= c) return 0; a = d[o + t];`;
    case 0xb1: return `if (c <= ${k}) return 0; x = (d[o + ${k}] & 15) << 2;`;
    case 0x00: return `a = ${k};`;
    case 0x01: return `x = ${k};`;
    case 0x60: return mem("a = M;");
    case 0x61: return mem("x = M;");
    case 0x02: return mem("M = a;");
    case 0x03: return mem("M = x;");
    case 0x0c: return "a = (a + x) >>> 0;";
    case 0x1c: return "a = (a - x) >>> 0;";
    case 0x2c: return "a = Math.imul(a, x) >>> 0;";
    case 0x3c: return "if (x === 0) return 0; a = (a / x) >>> 0;";
    case 0x9c: return "if (x === 0) return 0; a = a % x;";
    case 0x5c: return "a = (a & x) >>> 0;";
    case 0x4c: return "a = (a | x) >>> 0;";
    case 0xac: return "a = (a ^ x) >>> 0;";
    case 0x6c: return "a = x < 32 ? (a << x) >>> 0 : 0;";
    case 0x7c: return "a = x < 32 ? a >>> x : 0;";
    case 0x04: return `a = (a + ${k}) >>> 0;`;
    case 0x14: return `a = (a - ${k}) >>> 0;`;
    case 0x24: return `a = Math.imul(a, ${k}) >>> 0;`;
    case 0x34: return k === 0 ? "return 0;" : `a = (a / ${k}) >>> 0;`;
    case 0x94: return k === 0 ? "return 0;" : `a = a % ${k};`;
    case 0x54: return `a = (a & ${k}) >>> 0;`;
    case 0x44: return `a = (a | ${k}) >>> 0;`;
    case 0xa4: return `a = (a ^ ${k}) >>> 0;`;
    case 0x64: return `a = (a << ${k & 31}) >>> 0;`;
    case 0x74: return `a = a >>> ${k & 31};`;
    case 0x84: return "a = (0 - a) >>> 0;";
    case 0x07: return "x = a;";
    case 0x87: return "a = x;";
    default: return null;
  }
}

/** The condition of a conditional jump, or null if `code` is not one. */
function jumpCondition(code: number, k: number): string | null {
  switch (code) {
    case 0x25: return `a > ${k}`;
    case 0x35: return `a >= ${k}`;
    case 0x15: return `a === ${k}`;
    case 0x45: return `(a & ${k}) !== 0`;
    case 0x2d: return "a > x";
    case 0x3d: return "a >= x";
    case 0x1d: return "a === x";
    case 0x4d: return "(a & x) !== 0";
    default: return null;
  }
}

interface Decoded {
  code: number;
  jt: number; // absolute targets
  jf: number;
  k: number;
}

const isJump = (code: number): boolean => code === 0x05 || jumpCondition(code, 0) !== null;

/** Instructions reached by a jump other than to the next one, inside the program: they need a label. */
function jumpTargets(insns: Decoded[]): Set<number> {
  const targets = new Set<number>();
  insns.forEach((ins, i) => {
    if (!isJump(ins.code)) return;
    for (const t of [ins.jt, ins.jf]) if (t !== i + 1 && t < insns.length) targets.add(t);
  });
  return targets;
}

/** Whether the program has a `ja` to an earlier instruction (not counting a jump to itself). */
const hasBackwardJump = (insns: Decoded[]): boolean => insns.some((ins, i) => ins.code === 0x05 && ins.jt < i);

function decode(prog: Uint32Array): Decoded[] {
  const n = instructionCount(prog);
  const out: Decoded[] = [];
  for (let i = 0; i < n; i++) {
    const code = prog[i * 4] & 0xffff;
    const k = prog[i * 4 + 3];
    if (code === 0x05) {
      const target = (i + 1 + k) >>> 0; // wraps like libpcap's unsigned range check
      out.push({ code, jt: target, jf: target, k });
    } else {
      out.push({ code, jt: i + 1 + (prog[i * 4 + 1] & 0xff), jf: i + 1 + (prog[i * 4 + 2] & 0xff), k });
    }
  }
  return out;
}

/**
 * Generates the body of the filter function. Both layouts emit the same per-instruction statements; they
 * differ only in how control reaches an instruction:
 *  - blocks: instruction t is preceded by the end of a block labelled `L<t>` that opens at the top of the
 *    function, so `break L<t>` from any earlier instruction lands on it. Only forward jumps fit.
 *  - switch: `pc = t; continue` re-enters a `switch (pc)` whose `case t:` precedes instruction t.
 * Sequential flow falls through in both.
 */
function generate(insns: Decoded[], layout: "blocks" | "switch"): string {
  const n = insns.length;
  const targets = jumpTargets(insns);
  const goto = (from: number, t: number): string => {
    if (t >= n) return "return 0;";
    if (t === from + 1) return "";
    return layout === "blocks" ? `break L${t};` : `pc = ${t}; continue;`;
  };
  const body: string[] = [];
  const memUsed = new Set<number>();
  insns.forEach((ins, i) => {
    if (layout === "blocks" && targets.has(i)) body.push(`} // L${i}`);
    if (layout === "switch" && (targets.has(i) || i === 0)) body.push(`case ${i}:`);
    const { code, k } = ins;
    if ((code === 0x60 || code === 0x61 || code === 0x02 || code === 0x03) && k < BPF.MEMWORDS) memUsed.add(k);
    const line = straightLine(code, k);
    const cond = jumpCondition(code, k);
    let stmt: string;
    if (line !== null) stmt = line;
    else if (code === 0x06) stmt = `return ${k};`;
    else if (code === 0x16) stmt = "return a;";
    else if (code === 0x05) {
      if (ins.jt >= n) stmt = "return 0;";
      else if (ins.jt > i) stmt = goto(i, ins.jt);
      else if (ins.jt === i || layout === "blocks") stmt = "return 0;"; // a jump to itself; blocks never get here
      else stmt = `if (bj++ >= ${MAX_BACKWARD_JUMPS}) return 0; pc = ${ins.jt}; continue;`;
    } else if (cond !== null) {
      if (ins.jt === ins.jf) stmt = goto(i, ins.jt);
      else if (ins.jf === i + 1) stmt = `if (${cond}) { ${goto(i, ins.jt)} }`;
      else if (ins.jt === i + 1) stmt = `if (!(${cond})) { ${goto(i, ins.jf)} }`;
      else stmt = `if (${cond}) { ${goto(i, ins.jt)} } ${goto(i, ins.jf)}`;
    } else stmt = "return 0;"; // unknown opcode
    body.push(`${stmt} // ${i}`);
  });
  body.push("return 0;"); // ran off the end
  const vars = ["a = 0", "x = 0", "t = 0", ...[...memUsed].sort((p, q) => p - q).map((m) => `m${m} = 0`)];
  const head = ["if (o + c > d.length) return 0;", `let ${vars.join(", ")};`];
  if (layout === "blocks") {
    const opens = [...targets].sort((p, q) => q - p).map((t) => `L${t}: {`);
    return [...head, ...opens, ...body].join("\n");
  }
  return [...head, "let pc = 0, bj = 0;", "for (;;) {", "switch (pc) {", ...body, "}", "return 0;", "}"].join("\n");
}

function chooseLayout(insns: Decoded[]): BpfLayout {
  if (hasBackwardJump(insns)) return insns.length <= MAX_SWITCH_INSNS ? "switch" : "interpreter";
  return insns.length <= MAX_BLOCKS_INSNS && jumpTargets(insns).size <= MAX_NESTED_LABELS ? "blocks" : "interpreter";
}

/** The layout compileBpf(prog) picks for `prog` (backward jumps and size decide). */
export function bpfLayout(prog: Uint32Array): BpfLayout {
  return chooseLayout(decode(prog));
}

/** The JavaScript source of the filter function in a generated layout (for debugging and tests). */
export function bpfToJs(prog: Uint32Array, layout: "blocks" | "switch" = "blocks"): string {
  const insns = decode(prog);
  if (layout === "blocks" && hasBackwardJump(insns)) {
    throw new RangeError("a program with backward jumps cannot be laid out as blocks; use the switch layout");
  }
  return insns.length === 0 ? "return 0;" : generate(insns, layout);
}

/**
 * Compiles `prog` into a function with the same verdicts as runBpf (and libpcap's bpf_filter). By default
 * (layout "auto") it generates JavaScript, several times faster than the interpreter: constants are inlined,
 * jumps become `break`s, registers are locals; a program too big for V8 to optimize runs in the interpreter
 * instead (see bpfLayout). Call it once per program, then for every packet. A layout can be forced for tests.
 */
export function compileBpf(prog: Uint32Array, layout: BpfLayout | "auto" = "auto"): BpfFilterFn {
  const insns = decode(prog);
  const chosen = layout === "auto" ? chooseLayout(insns) : layout;
  if (chosen === "interpreter") {
    const own = prog.slice(); // like generated code, unaffected by later changes to the caller's array
    return (d, o, c, w) => runBpf(own, d, o, c, w);
  }
  const body = bpfToJs(prog, chosen);
  // new Function creates the filter once; the returned function is the only closure, made here.
  return new Function("d", "o", "c", "w", `"use strict";\n${body}`) as BpfFilterFn;
}
