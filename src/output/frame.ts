/**
 * The "frame" pseudo-protocol of the detail outputs (-V, -T json, -T fields, -Y), as in Wireshark: facts about
 * the captured record rather than a header in it (number, times, lengths, the protocols found). Its fields are
 * declared once and registered, so "frame.len > 100" and "-e frame.protocols" know them.
 *
 * (It lives with the outputs because it is built from the capture record and the dissection's layer list; it
 * could move to src/dissectors/frame.ts without changing its users.)
 */
import { getProtocol, registerProtocol } from "../dissectors/registry.js";
import { DATA } from "../dissectors/data.js";
import { fields, type Ctx, type FieldDef, type Protocol } from "../dissectors/types.js";
import { treeNode, type TreeNode } from "../dissectors/tree.js";
import { D3 } from "./time.js";
// The "proc" pseudo-protocol (src/proc: the process behind a packet) is known to every filter and field list.
import "../proc/fields.js";

export const FRAME_FIELDS = fields("frame", {
  time_epoch: ["Epoch Time", "time"],
  time_delta: ["Time delta from previous captured frame", "time"],
  time_relative: ["Time since reference or first frame", "time"],
  number: ["Frame Number", "uint"],
  len: ["Frame Length", "uint", { unit: "bytes" }],
  cap_len: ["Capture Length", "uint", { unit: "bytes" }],
  protocols: ["Protocols in frame", "string"],
  interface_id: ["Interface id", "uint"],
  interface_name: ["Interface name", "string"],
});

export const FRAME: Protocol = {
  id: "frame",
  name: "Frame",
  fields: FRAME_FIELDS,
  dissect() {
    // Never in a dissector table: the outputs build the frame node themselves (buildFrameNode).
  },
};
registerProtocol(FRAME);
// "data" is only ever a table's fallback, never bound, so nothing registers it: its fields (data.data,
// data.len) must be known to -e and -Y all the same. (Belongs in src/dissectors/data.ts; harmless twice.)
if (!getProtocol("data")) registerProtocol(DATA);

/**
 * Layers after which Wireshark lists its "ethertype" pseudo-protocol in frame.protocols (the layer handed on
 * through the ethertype table): "eth:ethertype:ip:tcp".
 */
const ETHERTYPE_PARENTS = new Set(["eth", "vlan", "sll", "sll2"]);

/** frame.protocols from the dissected layers, Wireshark's way. */
export function protocolsText(layers: readonly string[], roots?: readonly TreeNode[] | boolean): string {
  let s = "";
  for (let i = 0; i < layers.length; i++) {
    const id = layers[i];
    if (i) s += ":";
    s += id;
    if (ETHERTYPE_PARENTS.has(id) && i + 1 < layers.length && !(id === "eth" && isLengthFrame(roots))) s += ":ethertype";
  }
  return s;
}

/** An 802.3 frame (length, not type): no ethertype handoff. */
function isLengthFrame(roots?: readonly TreeNode[] | boolean): boolean {
  if (typeof roots === "boolean") return roots;
  const eth = roots?.find((n) => n.kind === "proto" && n.name === "eth");
  return !!eth?.children?.some((c) => c.name === "eth.len");
}


export function pad9(n: number): string {
  if (n >= 0 && n < 1e9 && n === Math.floor(n)) {
    const a = Math.floor(n / 1e6);
    const b = Math.floor(n / 1000) - a * 1000;
    return D3[a] + D3[b] + D3[n - a * 1e6 - b * 1000];
  }
  const s = String(n);
  return s.length >= 9 ? s : "000000000".slice(s.length) + s;
}

/** A time difference split as timeText prints it: sign, seconds, nanoseconds (set by splitTime). */
let tNeg = false,
  tSec = 0,
  tNsec = 0;
function splitTime(sec: number, nsec: number): void {
  let neg = false;
  if (sec < 0 || (sec === 0 && nsec < 0)) {
    neg = true;
    sec = -sec;
    nsec = -nsec;
  }
  if (nsec < 0) {
    nsec += 1e9;
    sec -= 1;
  }
  tNeg = neg;
  tSec = sec;
  tNsec = nsec;
}

/**
 * Wireshark's reading of a malformed record whose fraction is a second or more: its nanoseconds are a 32-bit
 * signed integer (a microsecond file's fraction times 1000, wrapped), and times print with a "-" before the
 * whole time when that integer is negative ("-1418145370.2147483648").
 */
function wsNsec(nsec: number): number {
  return nsec > 999999999 ? nsec | 0 : nsec;
}
function wsTimeText(sec: number, nsec: number): string {
  return nsec < 0 ? "-" + sec + "." + pad9(-nsec) : sec + "." + pad9(nsec);
}
/** Wireshark's nstime_delta(b - a), with its 32-bit nanoseconds wrapping as C's int does. */
function wsDelta(bSec: number, bNsec: number, aSec: number, aNsec: number): string {
  let s = bSec - aSec,
    n = (wsNsec(bNsec) - wsNsec(aNsec)) | 0;
  if (s > 0 && n < 0) {
    n += 1e9;
    s--;
  } else if (s < 0 && n > 0) {
    n -= 1e9;
    s++;
  }
  return s < 0 || n < 0 ? "-" + Math.abs(s) + "." + pad9(Math.abs(n)) : s + "." + pad9(n);
}

/** "sec.nnnnnnnnn" of a time difference (may be negative). */
export function timeText(sec: number, nsec: number): string {
  splitTime(sec, nsec);
  return (tNeg ? "-" : "") + tSec + "." + pad9(tNsec);
}

/**
 * Where a writer takes the frame's times as numbers instead of text (the JSON writer spells them as bytes):
 * `neg` and `sec`.`nsec` as timeText would print them.
 */
export type TimeOut = (f: FieldDef, neg: boolean, sec: number, nsec: number) => void;

/** Builds the frame node of each packet; remembers the first and previous times for the relative ones. */
export class FrameBuilder {
  /**
   * `interfaces`: the source has interface descriptions (pcapng, a live capture), so every packet names its
   * interface, 0 included, as tshark shows frame.interface_id for them (and not for pcap files).
   */
  constructor(
    private interfaces = false,
    /** the interfaces' names, for frame.interface_name (captures with remote sources: "web1:eth0") */
    private names?: readonly string[],
  ) {}
  /**
   * The record header's captured length of the packet about to be built, when the record was longer than the
   * file's snapshot length (PacketBatch.cut): frame.cap_len shows it, as tshark does; -1 otherwise.
   */
  recordCaplen = -1;
  private firstSec = NaN;
  private firstNsec = 0;
  private prevSec = NaN;
  private prevNsec = 0;
  /** the previous packet's fraction (prevNsecWas: as it was before this packet) */
  private prevNsec0 = 0;
  private prevNsecWas = 0;

  /**
   * The frame's fields for a dissected packet, in order, to `out` (the JSON writer records them without a
   * node). `roots` may be, instead of the tree, whether the Ethernet header held a length (802.3), not a type.
   */
  fields(ctx: Ctx, roots: readonly TreeNode[] | boolean, iface: number, out: (f: FieldDef, value: number | string) => void, time?: TimeOut): void {
    const F = FRAME_FIELDS;
    const sec = ctx.tsSec,
      nsec = ctx.tsNsec;
    if (Number.isNaN(this.firstSec)) {
      this.firstSec = this.prevSec = sec;
      this.firstNsec = this.prevNsec = nsec;
    }
    const dSec = sec - this.prevSec,
      dNsec = nsec - this.prevNsec;
    this.prevSec = sec;
    this.prevNsec = nsec;
    this.prevNsecWas = this.prevNsec0;
    this.prevNsec0 = nsec;
    if (iface || this.interfaces) out(F.interface_id, iface);
    if (this.names && this.names[iface] !== undefined) out(F.interface_name, this.names[iface]);
    if (nsec > 999999999 || this.firstNsec > 999999999 || (this.prevNsecWas > 999999999)) {
      // a fraction of a second or more (malformed): Wireshark's 32-bit arithmetic, as text
      out(F.time_epoch, wsTimeText(sec, wsNsec(nsec)));
      out(F.time_delta, wsDelta(sec, nsec, sec - dSec, nsec - dNsec));
      out(F.time_relative, wsDelta(sec, nsec, this.firstSec, this.firstNsec));
    } else if (time) {
      time(F.time_epoch, false, sec, nsec);
      splitTime(dSec, dNsec);
      time(F.time_delta, tNeg, tSec, tNsec);
      splitTime(sec - this.firstSec, nsec - this.firstNsec);
      time(F.time_relative, tNeg, tSec, tNsec);
    } else {
      out(F.time_epoch, sec + "." + pad9(nsec));
      out(F.time_delta, timeText(dSec, dNsec));
      out(F.time_relative, timeText(sec - this.firstSec, nsec - this.firstNsec));
    }
    out(F.number, ctx.frame);
    out(F.len, ctx.wirelen);
    out(F.cap_len, this.recordCaplen >= 0 ? this.recordCaplen : ctx.caplen);
    out(F.protocols, this.protocols(ctx.layers, roots));
  }

  /** protocolsText, made again only when the layers differ from the previous packet's (they rarely do). */
  private lastLayers: string[] = [];
  private lastLength = false;
  private lastProtocols = "";
  private protocols(layers: readonly string[], roots: readonly TreeNode[] | boolean): string {
    const length = layers[0] === "eth" && isLengthFrame(roots);
    const last = this.lastLayers;
    let same = last.length === layers.length && length === this.lastLength;
    for (let i = 0; same && i < layers.length; i++) same = last[i] === layers[i];
    if (same) return this.lastProtocols;
    this.lastLayers = layers.slice();
    this.lastLength = length;
    return (this.lastProtocols = protocolsText(layers, roots));
  }

  /**
   * The frame node for a dissected packet. `offset` is where the packet's bytes start in the buffer the tree
   * points into; `roots` is its dissector tree (used to spell frame.protocols), or whether the frame is 802.3.
   */
  build(ctx: Ctx, offset: number, roots: readonly TreeNode[] | boolean, iface = 0): TreeNode {
    const children: TreeNode[] = [];
    // Display texts are made when read (formatValue: "... seconds", "N bytes (M bits)"): JSON never reads them.
    this.fields(ctx, roots, iface, (f, value) => children.push(treeNode(f.name, f.label, value, undefined, offset, 0, "field", f, undefined)));
    const label = `Frame ${ctx.frame}: ${ctx.wirelen} bytes on wire (${ctx.wirelen * 8} bits), ${ctx.caplen} bytes captured (${ctx.caplen * 8} bits)`;
    return treeNode("frame", label, null, "", offset, ctx.caplen, "proto", undefined, children);
  }
}
