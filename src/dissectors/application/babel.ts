/**
 * Babel (RFC 8966, RFC 6126; UDP port 6696, and 6697 where early implementations ran), as tcpdump 4.99's
 * print-babel.c prints it:
 *   "babel 2 (24) hello ihu"                          (no -v: each TLV's short name; " |" before a trailer)
 *   "babel 2 (24)\n\tHello seqno 8043 interval 20.00s\n\tIHU fe80::3428:af91:251:d626 rxcost 96 interval 60.00s"
 * With -v each TLV on its own line: Hello, IHU, Router Id, Next Hop, Update (with the prefix compression that
 * earlier Updates set up), Route/Seqno Request, TS/PC, HMAC, source-specific TLVs, MAC, PC, challenges, and
 * sub-TLVs (diversity, timestamps). A TLV that runs past the body prints " (invalid)", a cut " [|babel]".
 * Fields: babel.magic, babel.version, babel.bodylen, babel.message.type, babel.message.length (Wireshark's names).
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const TLV: Readonly<Record<number, string>> = {
  0: "Pad1",
  1: "PadN",
  2: "Acknowledgment Request",
  3: "Acknowledgment",
  4: "Hello",
  5: "IHU",
  6: "Router-Id",
  7: "Next Hop",
  8: "Update",
  9: "Route Request",
  10: "Seqno Request",
  11: "TS/PC",
  12: "HMAC",
  13: "Source-specific Update",
  14: "Source-specific Request",
  15: "Source-specific Seqno Request",
  16: "MAC",
  17: "PC",
  18: "Challenge Request",
  19: "Challenge Reply",
};
/** tcpdump's short names without -v */
const SHORT: Readonly<Record<number, string>> = {
  1: " padN",
  2: " ack-req",
  3: " ack",
  4: " hello",
  5: " ihu",
  6: " router-id",
  7: " nh",
  9: " route-request",
  10: " seqno-request",
  11: " tspc",
  12: " hmac",
  13: " ss-update",
  14: " ss-request",
  15: " ss-mh-request",
  16: " mac",
  17: " pc",
  18: " challenge_request",
  19: " challenge_reply",
};

const F = fields("babel", {
  magic: ["Magic", "uint"],
  version: ["Version", "uint"],
  bodylen: ["Body Length", "uint"],
  "message.type": ["Message Type", "uint", { values: TLV }],
  "message.length": ["Message Length", "uint"],
});

/** thrown where tcpdump's GET_ macros give up (" [|babel]") */
const CUT = { cut: true };
/** a TLV that does not fit its body (" (invalid)") */
const INVALID = { invalid: true };

const V4PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function interval(i: number): string {
  return i === 0 ? "0.0s (bogus)" : `${Math.floor(i / 100)}.${String(i % 100).padStart(2, "0")}s`;
}
function timestamp(i: number): string {
  return `${Math.floor(i / 1000000)}.${String(i % 1000000).padStart(6, "0")}s`;
}
function isV4(p: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (p[i] !== V4PREFIX[i]) return false;
  return true;
}
function prefixText(p: Uint8Array, plen: number): string {
  return plen >= 96 && isV4(p) ? `${ipv4At(p, 12)}/${plen - 96}` : `${ipv6At(p, 0)}/${plen}`;
}
function addressText(p: Uint8Array): string {
  return isV4(p) ? ipv4At(p, 12) : ipv6At(p, 0);
}

class Printer {
  r!: Reader;
  ctx!: Ctx;
  t!: TreeSink;
  /** the prefixes later Updates may omit bytes of (per packet, as tcpdump's are per TLV list) */
  v4 = new Uint8Array(16);
  v6 = new Uint8Array(16);
  out = new Uint8Array(16);
  src = new Uint8Array(16);

  g8(p: number): number {
    if (p < this.r.start || p >= this.r.cap) throw CUT;
    return this.r.byteAt(p);
  }
  g16(p: number): number {
    return (this.g8(p) << 8) | this.g8(p + 1);
  }
  g32(p: number): number {
    return ((this.g16(p) << 16) | this.g16(p + 2)) >>> 0;
  }
  s(text: string): void {
    this.ctx.line.s(text);
  }
  id(p: number): string {
    let s = "";
    for (let i = 0; i < 8; i++) s += (i ? ":" : "") + this.g8(p + i).toString(16).padStart(2, "0");
    return s;
  }

  /**
   * tcpdump's network_prefix: the prefix (ae 1 IPv4, 2 IPv6, 3 link-local IPv6) from p into out, with
   * `omitted` bytes taken from dp; returns the bytes consumed or -1 for an encoding error.
   */
  /**
   * A source-specific TLV's destination then source prefix (RFC 9079) from p, len bytes: their texts (the
   * prefix lengths of IPv4 ones as tcpdump shows them) and the bytes both took.
   */
  ssPrefixes(ae: number, plen: number, srcPlen: number, omitted: number, dp: Uint8Array | null, p: number, len: number, out: Uint8Array): { dst: string; src: string; used: number } {
    const a = this.prefix(ae, plen, omitted, p, dp, len, out);
    if (a < 0) throw INVALID;
    const b = this.prefix(ae, srcPlen, 0, p + a, null, len - a, this.src);
    if (b < 0) throw INVALID;
    const v4 = ae === 1 ? 96 : 0;
    return { dst: prefixText(out, (plen + v4) & 0xff), src: prefixText(this.src, (srcPlen + v4) & 0xff), used: a + b };
  }

  prefix(ae: number, plen: number, omitted: number, p: number, dp: Uint8Array | null, len: number, out: Uint8Array): number {
    const pb = plen >= 0 ? (plen + 7) >> 3 : ae === 1 ? 4 : 16;
    if (pb > 16) return -1;
    out.fill(0);
    let consumed = 0;
    switch (ae) {
      case 0:
        break;
      case 1:
        if (omitted > 4 || pb > 4 || (pb > omitted && len < pb - omitted)) return -1;
        for (let i = 0; i < 12; i++) out[i] = V4PREFIX[i];
        if (omitted) {
          if (!dp) return -1;
          for (let i = 0; i < 12 + omitted; i++) out[i] = dp[i];
        }
        if (pb > omitted) {
          for (let i = 0; i < pb - omitted; i++) out[12 + omitted + i] = this.r.byteAt(p + i);
          consumed = pb - omitted;
        }
        break;
      case 2:
        if (omitted > 16 || (pb > omitted && len < pb - omitted)) return -1;
        if (omitted) {
          if (!dp) return -1;
          for (let i = 0; i < omitted; i++) out[i] = dp[i];
        }
        if (pb > omitted) {
          for (let i = 0; i < pb - omitted; i++) out[omitted + i] = this.r.byteAt(p + i);
          consumed = pb - omitted;
        }
        break;
      case 3:
        if (pb > 8 && len < pb - 8) return -1;
        out[0] = 0xfe;
        out[1] = 0x80;
        if (pb > 8) {
          for (let i = 0; i < pb - 8; i++) out[8 + i] = this.r.byteAt(p + i);
          consumed = pb - 8;
        }
        break;
      default:
        return -1;
    }
    return consumed;
  }

  /** sub-TLVs in [p, end) of a TLV of type `type` (tcpdump's subtlvs_print) */
  subtlvs(p: number, end: number, type: number): void {
    while (p < end) {
      const st = this.g8(p);
      p++;
      if (st === 0) {
        this.s(" sub-pad1");
        continue;
      }
      if (st & 0x80) this.s(" (M)");
      if (p === end) return this.s(" (invalid)");
      const sl = this.g8(p);
      p++;
      if (p + sl > end) return this.s(" (invalid)");
      switch (st) {
        case 1:
          this.s(" sub-padn");
          p += sl;
          break;
        case 2: {
          this.s(" sub-diversity");
          if (sl === 0) {
            this.s(" empty");
            break;
          }
          let sep = " ";
          for (let k = 0; k < sl; k++) {
            const c = this.g8(p);
            this.s(sep + (c === 0 ? "reserved" : c === 255 ? "all" : String(c)));
            p++;
            sep = "-";
          }
          if (type !== 8 && type !== 13) this.s(" (bogus)");
          break;
        }
        case 3:
          this.s(" sub-timestamp");
          if (type === 4) {
            if (sl < 4) return this.s(" (invalid)");
            this.s(` ${timestamp(this.g32(p))}`);
          } else if (type === 5) {
            if (sl < 8) return this.s(" (invalid)");
            this.s(` ${timestamp(this.g32(p))}`);
            this.s(`|${timestamp(this.g32(p + 4))}`);
          } else this.s(" (bogus)");
          p += sl;
          break;
        default:
          this.s(` sub-unknown-0x${st.toString(16).padStart(2, "0")}`);
          p += sl;
      }
    }
  }

  /** tcpdump's babel_print_v2_tlvs over [cp, cp + tlen) with `rem` bytes of the packet left */
  tlvs(cp: number, tlen: number, rem: number): void {
    const v = this.ctx.opts.verbose > 0;
    const t = this.t;
    this.v4.fill(0);
    for (let i = 0; i < 12; i++) this.v4[i] = V4PREFIX[i];
    this.v6.fill(0);
    const check = (i: number, l: number) => {
      if (i + l > tlen || i + l > rem) throw INVALID;
    };
    let i = 0;
    while (i < tlen) {
      const m = cp + i;
      check(i, 1);
      const type = this.g8(m);
      if (type === 0) {
        this.s(v ? "\n\tPad 1" : " pad1");
        if (t.on) t.add(F["message.type"], 0, m, 1);
        i += 1;
        continue;
      }
      check(i, 2);
      this.g8(m + 1);
      const len = this.r.byteAt(m + 1);
      check(i, 2 + len);
      if (m + 2 + len > this.r.cap) throw CUT;
      if (t.on) {
        t.add(F["message.type"], type, m, 1);
        t.add(F["message.length"], len, m + 1, 1);
      }
      if (!v) {
        if (type === 8) {
          this.s(" update");
          if (len < 10) throw INVALID;
          const f = this.g8(m + 3);
          this.s(`${f & 0x80 ? "/prefix" : ""}${f & 0x40 ? "/id" : ""}${f & 0x3f ? "/unknown" : ""}`);
        } else if (type === 1) this.s(" padN");
        else this.s(SHORT[type] ?? " unknown");
        i += len + 2;
        continue;
      }
      this.verboseTlv(m, type, len);
      i += len + 2;
    }
  }

  verboseTlv(m: number, type: number, len: number): void {
    const out = this.out;
    switch (type) {
      case 1:
        this.s(`\n\tPad ${len + 2}`);
        break;
      case 2:
        this.s("\n\tAcknowledgment Request ");
        if (len < 6) throw INVALID;
        this.s(`${this.g16(m + 4).toString(16).padStart(4, "0")} ${interval(this.g16(m + 6))}`);
        break;
      case 3:
        this.s("\n\tAcknowledgment ");
        if (len < 2) throw INVALID;
        this.s(this.g16(m + 2).toString(16).padStart(4, "0"));
        break;
      case 4: {
        this.s("\n\tHello ");
        if (len < 6) throw INVALID;
        const uni = this.g16(m + 2) & 0x8000;
        const seq = this.g16(m + 4);
        const iv = this.g16(m + 6);
        if (uni) this.s("(Unicast) ");
        this.s(`seqno ${seq} `);
        this.s(iv !== 0 ? `interval ${interval(iv)}` : "unscheduled");
        if (len > 6) this.subtlvs(m + 8, m + 2 + len, type);
        break;
      }
      case 5: {
        this.s("\n\tIHU ");
        if (len < 6) throw INVALID;
        const rx = this.g16(m + 4);
        const iv = this.g16(m + 6);
        const ae = this.g8(m + 2);
        const rc = this.prefix(ae, -1, 0, m + 8, null, len - 6, out);
        if (rc < 0) {
          this.s(" [|babel]");
          break;
        }
        this.s(`${ae === 0 ? "any" : addressText(out)} rxcost ${rx} interval ${interval(iv)}`);
        if (rc < len - 6) this.subtlvs(m + 8 + rc, m + 2 + len, type);
        break;
      }
      case 6:
        this.s("\n\tRouter Id");
        if (len < 10) throw INVALID;
        this.s(` ${this.id(m + 4)}`);
        break;
      case 7: {
        this.s("\n\tNext Hop");
        if (len < 2) throw INVALID;
        const ae = this.g8(m + 2);
        if (this.prefix(ae, -1, 0, m + 4, null, len - 2, out) < 0) throw INVALID;
        this.s(` ${ae === 0 ? "invalid AE 0" : addressText(out)}`);
        break;
      }
      case 8: {
        this.s("\n\tUpdate");
        if (len < 10) throw INVALID;
        const ae = this.g8(m + 2);
        const flags = this.g8(m + 3);
        const plen = (this.g8(m + 4) + (ae === 1 ? 96 : 0)) & 0xff;
        const rc = this.prefix(ae, this.g8(m + 4), this.g8(m + 5), m + 12, ae === 1 ? this.v4 : this.v6, len - 10, out);
        if (rc < 0) throw INVALID;
        const iv = this.g16(m + 6);
        const seq = this.g16(m + 8);
        const metric = this.g16(m + 10);
        this.s(`${flags & 0x80 ? "/prefix" : ""}${flags & 0x40 ? "/id" : ""}${flags & 0x3f ? "/unknown" : ""}`);
        this.s(` ${ae === 0 ? "any" : prefixText(out, plen)} metric ${metric} seqno ${seq} interval ${iv === 0xffff ? "infinity" : interval(iv)}`);
        if (flags & 0x80) (ae === 1 ? this.v4 : this.v6).set(out);
        if (rc < len - 10) this.subtlvs(m + 12 + rc, m + 2 + len, type);
        break;
      }
      case 9: {
        this.s("\n\tRoute Request ");
        if (len < 2) throw INVALID;
        const ae = this.g8(m + 2);
        const plen = (this.g8(m + 3) + (ae === 1 ? 96 : 0)) & 0xff;
        if (this.prefix(ae, this.g8(m + 3), 0, m + 4, null, len - 2, out) < 0) throw INVALID;
        this.s(`for ${ae === 0 ? "any" : prefixText(out, plen)}`);
        break;
      }
      case 10: {
        this.s("\n\tSeqno Request ");
        if (len < 14) throw INVALID;
        const ae = this.g8(m + 2);
        const seq = this.g16(m + 4);
        if (this.prefix(ae, this.g8(m + 3), 0, m + 16, null, len - 14, out) < 0) throw INVALID;
        const plen = (this.g8(m + 3) + (ae === 1 ? 96 : 0)) & 0xff;
        this.s(`(${this.g8(m + 6)} hops) for ${ae === 0 ? "invalid AE 0" : prefixText(out, plen)} seqno ${seq} id ${this.id(m + 8)}`);
        break;
      }
      case 11:
        this.s("\n\tTS/PC ");
        if (len < 6) throw INVALID;
        this.s(`timestamp ${this.g32(m + 4)} packetcounter ${this.g16(m + 2)}`);
        break;
      case 12: {
        this.s("\n\tHMAC ");
        if (len < 18) throw INVALID;
        this.s(`key-id ${this.g16(m + 2)} digest-${len - 2} `);
        let h = "";
        for (let j = 0; j < len - 2; j++) h += this.g8(m + 4 + j).toString(16).toUpperCase().padStart(2, "0");
        this.s(h);
        break;
      }
      case 13: {
        this.s("\n\tSS-Update");
        if (len < 10) throw INVALID;
        const ae = this.g8(m + 2);
        const srcPlen = this.g8(m + 3);
        const plen = this.g8(m + 4);
        const omitted = this.g8(m + 5);
        const iv = this.g16(m + 6);
        const seq = this.g16(m + 8);
        const metric = this.g16(m + 10);
        const pre = this.ssPrefixes(ae, plen, srcPlen, omitted, ae === 1 ? this.v4 : this.v6, m + 12, len - 10, out);
        const parsed = 10 + pre.used;
        this.s(` ${pre.dst} from`);
        this.s(` ${pre.src} metric ${metric} seqno ${seq} interval ${iv === 0xffff ? "infinity" : interval(iv)}`);
        if (parsed < len) this.subtlvs(m + 2 + parsed, m + 2 + len, type);
        break;
      }
      case 14: {
        this.s("\n\tSS-Request ");
        if (len < 3) throw INVALID;
        const ae = this.g8(m + 2);
        const plen = this.g8(m + 3);
        const srcPlen = this.g8(m + 4);
        const pre = this.ssPrefixes(ae, plen, srcPlen, 0, null, m + 5, len - 3, out);
        if (ae === 0) this.s("for any");
        else this.s(`for (${pre.dst}, ${pre.src})`);
        break;
      }
      case 15: {
        this.s("\n\tSS-MH-Request ");
        if (len < 14) throw INVALID;
        const ae = this.g8(m + 2);
        const plen = this.g8(m + 3);
        const seq = this.g16(m + 4);
        const hopc = this.g8(m + 6);
        const srcPlen = this.g8(m + 7);
        const pre = this.ssPrefixes(ae, plen, srcPlen, 0, null, m + 16, len - 14, out);
        this.s(`(${hopc} hops) for (${pre.dst}, `);
        this.s(`${pre.src}) seqno ${seq} id ${this.id(m + 8)}`);
        break;
      }
      case 16:
        this.s(`\n\tMAC len ${len}`);
        break;
      case 17:
        this.s("\n\tPC");
        if (len < 4) throw INVALID;
        this.s(` value ${this.g32(m + 2)} index len ${len - 4}`);
        break;
      case 18:
      case 19:
        this.s(type === 18 ? "\n\tChallenge Request" : "\n\tChallenge Reply");
        if (len > 192) throw INVALID;
        this.s(` len ${len}`);
        break;
      default:
        this.s(`\n\tUnknown message type ${type}`);
    }
  }
}

const printer = new Printer();

export const BABEL: Protocol = {
  id: "babel",
  name: "Babel",
  title: "Babel Routing Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    let length = r.reportedRemaining;
    const line = ctx.line;
    line.s("babel");
    if (!r.has(4)) {
      r.skip(4); // " [|babel]"
      return;
    }
    const magic = r.peek(0);
    const version = r.peek(1);
    if (t.on) {
      t.add(F.magic, magic, start, 1);
      t.add(F.version, version, start + 1, 1);
    }
    if (magic !== 42) {
      line.s(" invalid header");
      r.pos = r.cap;
      return;
    }
    line.s(" ").u(version);
    if (version !== 2) {
      line.s(" unknown version");
      r.pos = r.cap;
      return;
    }
    const bodylen = r.peek16(2);
    if (t.on) t.add(F.bodylen, bodylen, start + 2, 2);
    line.s(" (").u(bodylen).s(")");
    length -= 4;
    printer.r = r;
    printer.ctx = ctx;
    printer.t = t;
    try {
      if (length < bodylen) throw INVALID;
      printer.tlvs(start + 4, bodylen, length);
      length -= bodylen;
      if (length !== 0) {
        line.s(ctx.opts.verbose ? "\n\t----" : " |");
        printer.tlvs(start + 4 + bodylen, length, length);
      }
    } catch (e) {
      if (e === CUT) {
        line.s(" [|babel]");
        ctx.truncated = true;
      } else if (e === INVALID) {
        line.s(" (invalid)");
        ctx.markMalformed("Babel: a TLV runs past the packet body");
      } else throw e;
    }
    r.pos = r.cap;
  },
};

bind("udp.port", [6696, 6697], BABEL);
