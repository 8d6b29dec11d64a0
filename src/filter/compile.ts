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
  /**
   * The filter is for a capture file. libpcap compiles inbound/outbound and ifindex on most link types to
   * loads of Linux's packet metadata, which a file does not have: for a savefile handle it refuses them
   * ("inbound/outbound not supported on Ethernet when reading savefiles"), as tcpdump -r shows. tsniff compiles
   * on a dead handle, so it finds those loads in the program and refuses with libpcap's words.
   */
  savefile?: boolean;
}

/** Linux's ancillary-data offsets (SKF_AD_OFF + SKF_AD_PKTTYPE / SKF_AD_IFINDEX) as BPF load offsets */
const AD_PKTTYPE = 0xfffff004;
const AD_IFINDEX = 0xfffff008;

function savefileCheck(prog: Uint32Array, linktype: number): void {
  for (let i = 0; i + 3 < prog.length; i += 4) {
    const code = prog[i];
    if ((code & 0x07) !== 0 || (code & 0xe0) !== 0x20) continue; // BPF_LD | BPF_ABS
    const k = prog[i + 3] >>> 0;
    if (k !== AD_PKTTYPE && k !== AD_IFINDEX) continue;
    let desc = "";
    try {
      desc = native().datalinkDescription(linktype) ?? "";
    } catch {
      /* addon without names */
    }
    const what = k === AD_PKTTYPE ? "inbound/outbound" : "ifindex";
    throw new FilterError(`${what} not supported on ${desc || `DLT ${linktype}`} when reading savefiles`);
  }
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
    const prog: Uint32Array = native().compile(expr, o.linktype, o.snaplen ?? 262144, o.optimize === false ? 0 : 1, o.netmask ?? PCAP_NETMASK_UNKNOWN);
    if (o.savefile) savefileCheck(prog, o.linktype);
    return prog;
  } catch (e) {
    if (e instanceof FilterError) throw e;
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
