/**
 * Capture filters: classic BPF programs (compiled by libpcap through the addon), their tcpdump-style
 * listings, and a TypeScript evaluator with libpcap's verdicts for filtering packets read from files.
 */
export {
  BPF,
  MAX_BACKWARD_JUMPS,
  bpfLayout,
  bpfToJs,
  compileBpf,
  runBpf,
  type BpfLayout,
  type BpfFilterFn,
} from "./bpf.js";
export { formatInstruction, formatProgram, parseDecimalProgram, type DumpLevel } from "./disasm.js";
