/**
 * wb, LBL's whiteboard (UDP destination port 4567), as tcpdump 4.99's print-wb.c prints it: a "*" when the
 * header's flags are set, then the message: " wb-id: 1/10.0.0.1:2 (max 1/10.0.0.1:2) <10.0.0.2:3> \"site\"",
 * " wb-rreq: please repair ...", " wb-rrep: for ...", " wb-dop: ...", " wb-preq: need ...", " wb-prep: ...",
 * " wb-kill", an unknown type " wb-29!"; with -v the drawing operations of wb-dop and wb-rrep. A message
 * shorter than its fixed part prints " (invalid)", a cut " [|wb]". Every read is bounds-checked; the page
 * vector loop of wb-prep stops at the captured end (each entry costs at least 16 bytes).
 *
 * Wireshark has no wb dissector: wb declares no fields and is bound in "udp.port/tcpdump" (the line only, as
 * HNCP: see udp.ts); the tree keeps UDP's data.
 */
import { bind } from "../registry.js";
import { ipv4At, printChar } from "../format.js";
import type { Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import type { Line } from "../line.js";

const DOP: Readonly<Record<number, string>> = {
  2: "RECT",
  3: "LINE",
  4: "ML",
  5: "DEL",
  6: "XFORM",
  7: "ELL",
  8: "CHAR",
  9: "STR",
  10: "NOP",
  11: "PSCODE",
  12: "PSCOMP",
  13: "REF",
  14: "SKIP",
  15: "HOLE",
};

/** Thrown when a read runs past the captured bytes: tcpdump's " [|wb]". */
const CUT = new Error("wb: cut");

class W {
  r!: Reader;
  o!: Line;
  u8(p: number): number {
    if (p < this.r.start || p + 1 > this.r.cap) throw CUT;
    return this.r.byteAt(p);
  }
  u16(p: number): number {
    return (this.u8(p) << 8) | this.u8(p + 1);
  }
  u32(p: number): number {
    return ((this.u16(p) << 16) | this.u16(p + 2)) >>> 0;
  }
  ip(p: number): string {
    this.u8(p + 3);
    return ipv4At(this.r.data, p);
  }
  check(p: number, n: number): void {
    if (n > 0) this.u8(p + n - 1);
  }

  /** an announcement; -1: shorter than its fixed part */
  id(p: number, len: number): number {
    const o = this.o;
    o.s(" wb-id:");
    if (len < 28) return -1;
    len -= 28;
    o.s(` ${this.u32(p + 12)}/${this.ip(p + 16)}:${this.u32(p + 20)} (max ${this.u32(p)}/${this.ip(p + 4)}:${this.u32(p + 8)}) `);
    this.check(p, 28);
    const nid = this.u16(p + 24);
    if (len < 8 * nid) return -1;
    len -= 8 * nid;
    let io = p + 28;
    let c = "<";
    for (let i = 0; i < nid; i++, io += 8) {
      o.s(`${c}${this.ip(io)}:${this.u32(io + 4)}`);
      c = ",";
    }
    o.s('> "');
    // nd_printjnp: up to len bytes of the site name, stopping at a NUL
    for (let i = 0; i < len; i++) {
      const ch = this.u8(io + i);
      if (ch === 0) break;
      o.s(printChar(ch));
    }
    o.s('"');
    return 0;
  }

  /** the drawing operations from sequence number ss to es (-v) */
  dops(dop: number, ss: number, es: number): void {
    const o = this.o;
    let dh = dop + 16;
    o.s(" <");
    // every operation moves dh on by at least 8 bytes: the captured end stops the loop
    for (; ss <= es; ss++) {
      const t = this.u8(dh + 7);
      o.s(" ").s(DOP[t] ?? `dop-${t}!`);
      if (t === 14 || t === 15) {
        const ts = this.u32(dh);
        o.s(String((ts - ss + 1) >>> 0));
        if (ss > ts || ts > es) {
          o.s("[|]");
          if (ts < ss) return;
        }
        ss = ts;
      }
      dh += (this.u16(dh + 4) + 8 + 3) & ~3;
    }
    o.s(" >");
  }

  message(p: number, len: number, verbose: number): number {
    const o = this.o;
    if (len < 12) return -2;
    this.check(p, 12);
    len -= 12;
    if (this.u8(p + 11)) o.s("*");
    const type = this.u8(p + 10);
    const b = p + 12;
    switch (type) {
      case 4:
        o.s(" wb-kill");
        return 0;
      case 1:
        return this.id(b, len);
      case 2:
        o.s(" wb-rreq:");
        if (len < 20) return -1;
        o.s(` please repair ${this.ip(b)} ${this.ip(b + 4)}:${this.u32(b + 8)}<${this.u32(b + 12)}:${this.u32(b + 16)}>`);
        return 0;
      case 3:
        o.s(" wb-rrep:");
        if (len < 20) return -1;
        o.s(` for ${this.ip(b)} ${this.ip(b + 4)}:${this.u32(b + 8)}<${this.u32(b + 12)}:${this.u32(b + 16)}>`);
        if (verbose) this.dops(b + 4, this.u32(b + 12), this.u32(b + 16));
        return 0;
      case 0:
        o.s(" wb-dop:");
        if (len < 16) return -1;
        o.s(` ${this.ip(b)}:${this.u32(b + 4)}<${this.u32(b + 8)}:${this.u32(b + 12)}>`);
        if (verbose) this.dops(b, this.u32(b + 8), this.u32(b + 12));
        return 0;
      case 5:
        o.s(" wb-preq:");
        if (len < 16) return -1;
        o.s(` need ${this.u32(b + 8)}/${this.ip(b)}:${this.u32(b + 4)}`);
        this.check(b, 16);
        return 0;
      case 7: {
        o.s(" wb-prep:");
        if (len < 4) return -1;
        let n = this.u32(b);
        let ps = b + 4;
        // each page state is 16 bytes at least: the captured end stops the loop
        while (n !== 0) {
          o.s(` ${this.u32(ps)}/${this.ip(ps + 4)}:${this.u32(ps + 8)}`);
          this.check(ps, 16);
          let io = ps + 16;
          const ie = io + 8 * this.u8(ps + 12);
          let c = "<";
          for (; io < ie; io += 8) {
            o.s(`${c}${this.ip(io)}:${this.u32(io + 4)}`);
            c = ",";
          }
          o.s(">");
          ps = io;
          n--;
        }
        return 0;
      }
      default:
        o.s(` wb-${type}!`);
        return -1;
    }
  }
}

const w = new W();

export const WB: Protocol = {
  id: "wb",
  name: "wb",
  title: "LBL whiteboard",
  dissect(r, ctx) {
    // tcpdump prints wb for the destination port only; from port 4567 it is plain UDP
    if (ctx.dstPort !== 4567) return ctx.next("udp.port", -1);
    w.r = r;
    w.o = ctx.line;
    try {
      const res = w.message(r.pos, r.reportedRemaining, ctx.opts.verbose);
      if (res < 0) {
        ctx.line.s(" (invalid)");
        ctx.markMalformed("wb: the message is shorter than its fixed part");
      }
      r.pos = r.cap;
    } catch (e) {
      if (e !== CUT) throw e;
      // " [|wb]", written by the engine
      r.pos = r.cap;
      r.skip(1);
    }
  },
};

bind("udp.port/tcpdump", 4567, WB);
