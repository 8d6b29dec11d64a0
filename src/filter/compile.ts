/**
 * Compiling capture filters with libpcap's own pcap_compile, so tsniff's filters mean exactly what tcpdump's
 * mean. The program comes back as a Uint32Array of [code, jt, jf, k] per instruction.
 */
import { native } from "../capture/native.js";

export const PCAP_NETMASK_UNKNOWN = 0xffffffff;

export interface CompileOptions {
  linktype: number;
  snaplen?: number;
  optimize?: boolean;
  netmask?: number;
}

/** A filter libpcap refused; `message` is libpcap's own text (e.g. "syntax error"). */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

export function compileFilter(expr: string, o: CompileOptions): Uint32Array {
  try {
    return native().compile(expr, o.linktype, o.snaplen ?? 262144, o.optimize === false ? 0 : 1, o.netmask ?? PCAP_NETMASK_UNKNOWN);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EFILTER") throw new FilterError((e as Error).message);
    throw e;
  }
}

/** True when the expression selects every packet (tcpdump's empty filter). */
export function isEmptyFilter(expr: string): boolean {
  return expr.trim() === "";
}

/**
 * Files record LINKTYPE_ values; libpcap's compiler takes DLT_ values. They are equal except for a few
 * historical ones (libpcap's linktype_to_dlt); the values here are Linux's DLT numbers.
 */
const LINKTYPE_TO_DLT: Readonly<Record<number, number>> = {
  100: 11, // ATM_RFC1483
  101: 12, // RAW
  102: 15, // SLIP_BSDOS
  103: 16, // PPP_BSDOS
  106: 19, // ATM_CLIP
};
export function linktypeToDlt(linktype: number): number {
  return LINKTYPE_TO_DLT[linktype] ?? linktype;
}
