/**
 * Prints a classic BPF program the way `tcpdump -d`, `-dd` and `-ddd` do (libpcap's bpf_dump() and
 * bpf_image()), byte for byte, so that `tsniff -d EXPR` can be diffed against `tcpdump -d EXPR`.
 *
 * A program is the flat form the addon returns: a Uint32Array of [code, jt, jf, k] per instruction. Each
 * field is narrowed to the width it has in libpcap's `struct bpf_insn` (code: u_short, jt/jf: u_char,
 * k: bpf_u_int32), as the addon does when it hands a program back to libpcap.
 *
 * The printing rules below are our own restatement of libpcap 1.10's output, checked against the installed
 * tcpdump by test/filter/disasm.test.ts. Things worth knowing:
 *  - `k` is printed signed (C's %d) after `ret`, `ld [..]`, `M[..]`, `add` and the other arithmetic and
 *    shift operations, but as unsigned hex (%x) after immediate loads, `and`, `or`, `xor` and the
 *    conditional jumps;
 *  - `ja` shows its absolute target (n + 1 + k, wrapping as a C int), conditional jumps show both targets;
 *  - absolute loads at Linux's "ancillary data" offsets (SKF_AD_OFF + x, e.g. the `vlan` test that a live
 *    Linux handle compiles) print the field's name: `ldb [vlanp]`;
 *  - `ldx #pktlen` (code 0x81) is valid BPF that libpcap's bpf_image does not know: it prints `unimp 0x81`.
 */
import { BPF } from "./bpf.js";

/** Detail level, as the number of `d`s on tcpdump's command line (-d, -dd, -ddd). */
export type DumpLevel = 1 | 2 | 3;

/** Linux's "ancillary data" pseudo-offsets (linux/filter.h SKF_AD_*), as bpf_image names them. */
const SKF_AD_OFF = 0xfffff000; // (-0x1000) as an unsigned k
const SKF_AD_NAMES: readonly string[] = [
  "proto", // SKF_AD_PROTOCOL   0
  "type", // SKF_AD_PKTTYPE     4
  "ifidx", // SKF_AD_IFINDEX    8
  "nla", // SKF_AD_NLATTR       12
  "nlan", // SKF_AD_NLATTR_NEST 16
  "mark", // SKF_AD_MARK        20
  "queue", // SKF_AD_QUEUE      24
  "hatype", // SKF_AD_HATYPE    28
  "rxhash", // SKF_AD_RXHASH    32
  "cpu", // SKF_AD_CPU          36
  "xor_x", // SKF_AD_ALU_XOR_X  40
  "vlan_tci", // SKF_AD_VLAN_TAG 44
  "vlanp", // SKF_AD_VLAN_TAG_PRESENT 48
  "poff", // SKF_AD_PAY_OFFSET  52
  "random", // SKF_AD_RANDOM    56
  "vlan_tpid", // SKF_AD_VLAN_TPID 60
];

/** How an instruction's operand is written. */
const enum Operand {
  None, // nothing: "ret" (of A), "tax", "neg"
  X, // the X register: "add x", "jeq x"
  Abs, // [k] or [ancillary name]
  Ind, // [x + k]
  Msh, // 4*([k]&0xf)
  PktLen, // #pktlen
  Hex, // #0x%x
  Dec, // #%d
  Mem, // M[%d]
  Ja, // absolute target of an unconditional jump
}

/** Mnemonic and operand style of every opcode bpf_image knows; anything else prints as "unimp". */
const OPCODES = new Map<number, readonly [string, Operand]>([
  [BPF.RET | BPF.K, ["ret", Operand.Dec]],
  [BPF.RET | BPF.A, ["ret", Operand.None]],
  [BPF.LD | BPF.W | BPF.ABS, ["ld", Operand.Abs]],
  [BPF.LD | BPF.H | BPF.ABS, ["ldh", Operand.Abs]],
  [BPF.LD | BPF.B | BPF.ABS, ["ldb", Operand.Abs]],
  [BPF.LD | BPF.W | BPF.LEN, ["ld", Operand.PktLen]],
  [BPF.LD | BPF.W | BPF.IND, ["ld", Operand.Ind]],
  [BPF.LD | BPF.H | BPF.IND, ["ldh", Operand.Ind]],
  [BPF.LD | BPF.B | BPF.IND, ["ldb", Operand.Ind]],
  [BPF.LD | BPF.IMM, ["ld", Operand.Hex]],
  [BPF.LDX | BPF.IMM, ["ldx", Operand.Hex]],
  [BPF.LDX | BPF.MSH | BPF.B, ["ldxb", Operand.Msh]],
  [BPF.LD | BPF.MEM, ["ld", Operand.Mem]],
  [BPF.LDX | BPF.MEM, ["ldx", Operand.Mem]],
  [BPF.ST, ["st", Operand.Mem]],
  [BPF.STX, ["stx", Operand.Mem]],
  [BPF.JMP | BPF.JA, ["ja", Operand.Ja]],
  [BPF.JMP | BPF.JGT | BPF.K, ["jgt", Operand.Hex]],
  [BPF.JMP | BPF.JGE | BPF.K, ["jge", Operand.Hex]],
  [BPF.JMP | BPF.JEQ | BPF.K, ["jeq", Operand.Hex]],
  [BPF.JMP | BPF.JSET | BPF.K, ["jset", Operand.Hex]],
  [BPF.JMP | BPF.JGT | BPF.X, ["jgt", Operand.X]],
  [BPF.JMP | BPF.JGE | BPF.X, ["jge", Operand.X]],
  [BPF.JMP | BPF.JEQ | BPF.X, ["jeq", Operand.X]],
  [BPF.JMP | BPF.JSET | BPF.X, ["jset", Operand.X]],
  [BPF.ALU | BPF.ADD | BPF.X, ["add", Operand.X]],
  [BPF.ALU | BPF.SUB | BPF.X, ["sub", Operand.X]],
  [BPF.ALU | BPF.MUL | BPF.X, ["mul", Operand.X]],
  [BPF.ALU | BPF.DIV | BPF.X, ["div", Operand.X]],
  [BPF.ALU | BPF.MOD | BPF.X, ["mod", Operand.X]],
  [BPF.ALU | BPF.AND | BPF.X, ["and", Operand.X]],
  [BPF.ALU | BPF.OR | BPF.X, ["or", Operand.X]],
  [BPF.ALU | BPF.XOR | BPF.X, ["xor", Operand.X]],
  [BPF.ALU | BPF.LSH | BPF.X, ["lsh", Operand.X]],
  [BPF.ALU | BPF.RSH | BPF.X, ["rsh", Operand.X]],
  [BPF.ALU | BPF.ADD | BPF.K, ["add", Operand.Dec]],
  [BPF.ALU | BPF.SUB | BPF.K, ["sub", Operand.Dec]],
  [BPF.ALU | BPF.MUL | BPF.K, ["mul", Operand.Dec]],
  [BPF.ALU | BPF.DIV | BPF.K, ["div", Operand.Dec]],
  [BPF.ALU | BPF.MOD | BPF.K, ["mod", Operand.Dec]],
  [BPF.ALU | BPF.AND | BPF.K, ["and", Operand.Hex]],
  [BPF.ALU | BPF.OR | BPF.K, ["or", Operand.Hex]],
  [BPF.ALU | BPF.XOR | BPF.K, ["xor", Operand.Hex]],
  [BPF.ALU | BPF.LSH | BPF.K, ["lsh", Operand.Dec]],
  [BPF.ALU | BPF.RSH | BPF.K, ["rsh", Operand.Dec]],
  [BPF.ALU | BPF.NEG, ["neg", Operand.None]],
  [BPF.MISC | BPF.TAX, ["tax", Operand.None]],
  [BPF.MISC | BPF.TXA, ["txa", Operand.None]],
]);

/** C's "%d" of a 32-bit value. */
const dec = (v: number): string => String(v | 0);
/** C's "%x" of a 32-bit value. */
const hex = (v: number): string => (v >>> 0).toString(16);

function operandText(style: Operand, k: number, n: number): string {
  switch (style) {
    case Operand.None:
      return "";
    case Operand.X:
      return "x";
    case Operand.Abs: {
      const off = k - SKF_AD_OFF;
      if (off >= 0 && off % 4 === 0 && off / 4 < SKF_AD_NAMES.length) return `[${SKF_AD_NAMES[off / 4]}]`;
      return `[${dec(k)}]`;
    }
    case Operand.Ind:
      return `[x + ${dec(k)}]`;
    case Operand.Msh:
      return `4*([${dec(k)}]&0xf)`;
    case Operand.PktLen:
      return "#pktlen";
    case Operand.Hex:
      return `#0x${hex(k)}`;
    case Operand.Dec:
      return `#${dec(k)}`;
    case Operand.Mem:
      return `M[${dec(k)}]`;
    case Operand.Ja:
      // the target is computed in C's int arithmetic: it wraps, and a "negative" k jumps backwards
      return dec(n + 1 + k);
  }
}

function checkProgram(program: Uint32Array): number {
  if (program.length % 4 !== 0) {
    throw new TypeError(`a BPF program is [code, jt, jf, k] per instruction; got ${program.length} words`);
  }
  return program.length / 4;
}

/**
 * One instruction as `tcpdump -d` prints it (libpcap's bpf_image), without the newline, e.g.
 * `(002) jeq      #0x86dd          jt 3\tjf 12`.
 */
export function formatInstruction(program: Uint32Array, n: number): string {
  const count = checkProgram(program);
  if (!Number.isInteger(n) || n < 0 || n >= count) throw new RangeError(`no instruction ${n} in a program of ${count}`);
  const i = n * 4;
  const code = program[i] & 0xffff;
  const jt = program[i + 1] & 0xff;
  const jf = program[i + 2] & 0xff;
  const k = program[i + 3] >>> 0;
  const known = OPCODES.get(code);
  const op = known ? known[0] : "unimp";
  const operand = known ? operandText(known[1], k, n) : `0x${code.toString(16)}`;
  const head = `(${String(n).padStart(3, "0")}) ${op.padEnd(8)} `;
  // Every opcode of the jump class except `ja` (op 0) gets both targets, even one bpf_image calls "unimp".
  if ((code & 0x07) === BPF.JMP && (code & 0xf0) !== BPF.JA) {
    return `${head}${operand.padEnd(16)} jt ${n + 1 + jt}\tjf ${n + 1 + jf}`;
  }
  return head + operand;
}

/**
 * The whole program as tcpdump prints it with -d (level 1), -dd (2) or -ddd (3), including the final newline:
 *  1. `(000) ldh      [12]` per instruction;
 *  2. a C array initializer fragment, `{ 0x28, 0, 0, 0x0000000c },` per instruction;
 *  3. the instruction count, then `code jt jf k` in decimal per instruction (the form iptables' bpf match
 *     and `tcpdump -F`-style tools read).
 */
export function formatProgram(program: Uint32Array, level: DumpLevel): string {
  const count = checkProgram(program);
  const lines: string[] = [];
  if (level === 3) lines.push(String(count));
  for (let n = 0; n < count; n++) {
    const i = n * 4;
    const code = program[i] & 0xffff;
    const jt = program[i + 1] & 0xff;
    const jf = program[i + 2] & 0xff;
    const k = program[i + 3] >>> 0;
    if (level === 1) lines.push(formatInstruction(program, n));
    else if (level === 2) lines.push(`{ 0x${code.toString(16)}, ${jt}, ${jf}, 0x${k.toString(16).padStart(8, "0")} },`);
    else lines.push(`${code} ${jt} ${jf} ${k}`);
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

/**
 * Reads the `-ddd` form back into a program (the inverse of formatProgram(p, 3)), e.g. to load a filter
 * saved with `tcpdump -ddd`. Throws a SyntaxError on anything else.
 */
export function parseDecimalProgram(text: string): Uint32Array {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const head = lines.shift();
  if (head === undefined || !/^\d+$/.test(head)) throw new SyntaxError("expected the instruction count on the first line");
  const count = Number(head);
  if (lines.length !== count) throw new SyntaxError(`expected ${count} instructions, found ${lines.length}`);
  const out = new Uint32Array(count * 4);
  lines.forEach((line, n) => {
    const f = line.split(/\s+/);
    const limits = [0xffff, 0xff, 0xff, 0xffffffff];
    if (f.length !== 4 || f.some((v, j) => !/^\d+$/.test(v) || Number(v) > limits[j])) {
      throw new SyntaxError(`instruction ${n}: expected "code jt jf k" in decimal, got "${line}"`);
    }
    f.forEach((v, j) => (out[n * 4 + j] = Number(v)));
  });
  return out;
}
