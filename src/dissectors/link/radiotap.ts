/**
 * Radiotap (DLT_IEEE802_11_RADIO, link type 127): the radio header a monitor-mode capture puts before each
 * 802.11 frame. All fields are little-endian and aligned to their natural size from the header's start; a
 * chain of presence words (bit 31: another word follows) says which fields are there, in bit order. Bits 29
 * and 30 switch to the radiotap namespace again or to a vendor namespace (skipped by its length).
 *
 * tcpdump prints the radio fields in its normal line, before the 802.11 frame, each followed by a space:
 *   "10016360us tsft 1.0 Mb/s 2412 MHz 11b -22dBm signal -86dBm noise antenna 1 "
 * A field whose size it does not know prints "[bit N] " and ends the header's parsing (tcpdump cannot find the
 * fields after it). The Flags field says whether the frame carries an FCS (the 802.11 layer leaves its last 4
 * bytes out) and whether the 802.11 header is padded to 32 bits (Atheros).
 */
import { bind } from "../registry.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import { setRadioFlags } from "./ieee80211.js";

const F = fields("radiotap", {
  version: ["Header revision", "uint"],
  pad: ["Header pad", "uint"],
  length: ["Header length", "uint"],
  "present.word": ["Present flags word", "uint", { base: "hex" }],
  mactime: ["MAC timestamp", "uint"],
  flags: ["Flags", "uint", { base: "hex" }],
  "flags.fcs": ["FCS at end", "bool"],
  datarate: ["Data rate (Mb/s)", "float"],
  "channel.freq": ["Channel frequency", "uint"],
  "channel.flags": ["Channel flags", "uint", { base: "hex" }],
  "fhss.hopset": ["FHSS Hop Set", "uint"],
  "fhss.pattern": ["FHSS Pattern", "uint"],
  dbm_antsignal: ["Antenna signal (dBm)", "int"],
  dbm_antnoise: ["Antenna noise (dBm)", "int"],
  quality: ["Signal Quality", "uint"],
  txattenuation: ["Transmit attenuation", "uint"],
  db_txattenuation: ["Transmit attenuation (dB)", "uint"],
  txpower: ["Transmit power (dBm)", "int"],
  antenna: ["Antenna", "uint"],
  db_antsignal: ["Antenna signal (dB)", "uint"],
  db_antnoise: ["Antenna noise (dB)", "uint"],
  rxflags: ["RX flags", "uint", { base: "hex" }],
  "xchannel.flags": ["Channel flags", "uint", { base: "hex" }],
  "xchannel.freq": ["Channel frequency", "uint"],
  "xchannel.channel": ["Channel number", "uint"],
  "mcs.known": ["MCS known", "uint", { base: "hex" }],
  "mcs.flags": ["MCS flags", "uint", { base: "hex" }],
  "mcs.index": ["MCS index", "uint"],
  "ampdu.reference": ["A-MPDU reference number", "uint"],
  "vht.known": ["VHT known", "uint", { base: "hex" }],
  "vht.bw": ["Bandwidth", "uint"],
});

/** Radiotap Flags bits tcpdump acts on. */
const FL_CFP = 0x01, FL_SHORTPRE = 0x02, FL_WEP = 0x04, FL_FRAG = 0x08, FL_FCS = 0x10, FL_DATAPAD = 0x20, FL_BADFCS = 0x40;
/** Channel flags */
const CH_TURBO = 0x10, CH_CCK = 0x20, CH_OFDM = 0x40, CH_2GHZ = 0x80, CH_5GHZ = 0x100, CH_DYN = 0x400, CH_GFSK = 0x800;
const CH_HALF = 0x4000, CH_QUARTER = 0x8000, CH_HT20 = 0x10000, CH_HT40U = 0x20000, CH_HT40D = 0x40000;
const BIT_MCS = 19, BIT_XCHANNEL = 18;

/** 802.11n data rates in Mb/s by MCS index (0-31 here; tcpdump's table goes to 76), [20 MHz, 40 MHz] x [long GI, short GI]. */
const HT_RATES: readonly (readonly number[])[] = (() => {
  // rates for one spatial stream at 20 MHz, long GI; n streams multiply them
  const base = [6.5, 13, 19.5, 26, 39, 52, 58.5, 65];
  const out: number[][] = [];
  for (let i = 0; i < 32; i++) {
    const r = base[i & 7] * ((i >> 3) + 1);
    // the 40 MHz rate is 108/52 of the 20 MHz one; a short GI is 10/9 of the long one (rounded to 0.1 as tcpdump's table)
    const r40 = (r * 108) / 52;
    out.push([r, Math.round((r / 0.9) * 10) / 10, r40, Math.round((r40 / 0.9) * 10) / 10]);
  }
  return out;
})();
const HT_BW = ["20 MHz", "40 MHz", "20 MHz (L)", "20 MHz (U)"];
const VHT_BW = [
  "20 MHz", "40 MHz", "20 MHz (L)", "20 MHz (U)", "80 MHz", "80 MHz (L)", "80 MHz (U)", "80 MHz (LL)", "80 MHz (LU)", "80 MHz (UL)",
  "80 MHz (UU)", "160 MHz", "160 MHz (L)", "160 MHz (U)", "160 MHz (LL)", "160 MHz (LU)", "160 MHz (UL)", "160 MHz (UU)",
  "160 MHz (LLL)", "160 MHz (LLU)", "160 MHz (LUL)", "160 MHz (UUU)", "160 MHz (ULL)", "160 MHz (ULU)", "160 MHz (UUL)", "160 MHz (UUU)",
];

/** tcpdump's channel text: "2412 MHz 11b " (11n when an MCS field is present), HT flags, a trailing space. */
function chanText(freq: number, flags: number, present: number): string {
  let s = `${freq} MHz`;
  if (present & (1 << BIT_MCS)) s += " 11n";
  else {
    if ((flags & (CH_2GHZ | CH_GFSK)) === (CH_2GHZ | CH_GFSK)) s += " FHSS";
    if ((flags & (CH_5GHZ | CH_OFDM)) === (CH_5GHZ | CH_OFDM)) s += flags & CH_HALF ? " 11a/10Mhz" : flags & CH_QUARTER ? " 11a/5Mhz" : " 11a";
    const pureG = (flags & (CH_2GHZ | CH_OFDM)) === (CH_2GHZ | CH_OFDM);
    const g = (flags & (CH_2GHZ | CH_DYN)) === (CH_2GHZ | CH_DYN);
    if (pureG || g) s += flags & CH_HALF ? " 11g/10Mhz" : flags & CH_QUARTER ? " 11g/5Mhz" : " 11g";
    else if ((flags & (CH_2GHZ | CH_CCK)) === (CH_2GHZ | CH_CCK)) s += " 11b";
    if (flags & CH_TURBO) s += " Turbo";
  }
  if (flags & CH_HT20) s += " ht/20";
  else if (flags & CH_HT40D) s += " ht/40-";
  else if (flags & CH_HT40U) s += " ht/40+";
  return s + " ";
}

const s8 = (v: number) => (v << 24) >> 24;

/** A cursor over the header's fields: aligned little-endian reads that fail past the header's end. */
class Cursor {
  r!: Reader;
  base = 0;
  off = 0;
  len = 0;
  ok = true;
  take(size: number, align: number): number {
    const o = (this.off + align - 1) & ~(align - 1);
    if (o + size > this.len) {
      this.ok = false;
      return -1;
    }
    this.off = o + size;
    return this.base + o;
  }
  u8(at: number): number {
    return this.r.byteAt(at);
  }
  u16(at: number): number {
    return this.r.byteAt(at) | (this.r.byteAt(at + 1) << 8);
  }
  u32(at: number): number {
    return (this.u16(at) | (this.u16(at + 2) << 16)) >>> 0;
  }
}
const cur = new Cursor();

export const RADIOTAP: Protocol = {
  id: "radiotap",
  name: "Radiotap",
  title: "Radiotap Header",
  truncName: "802.11_radio",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    setRadioFlags(0);
    if (!r.has(8)) {
      r.skip(8);
      return;
    }
    const version = r.byteAt(start), pad = r.byteAt(start + 1);
    const len = r.byteAt(start + 2) | (r.byteAt(start + 3) << 8);
    if (t.on) {
      t.add(F.version, version, start, 1);
      t.add(F.pad, pad, start + 1, 1);
      t.add(F.length, len, start + 2, 2);
    }
    // the whole header must be captured, and hold its presence words
    if (len < 8 || !r.has(len)) {
      r.skip(r.remaining + 1);
      return;
    }
    cur.r = r;
    cur.base = start;
    cur.len = len;
    cur.ok = true;
    let last = start + 4;
    while (last + 4 <= start + len && cur.u32(last) & 0x80000000) last += 4;
    if (last + 4 > start + len) {
      r.skip(r.remaining + 1);
      return;
    }
    cur.off = last + 4 - start;
    const line = ctx.line;
    let bit0 = 0, vendor = false, vskip = 0, flags = 0, stop = false;
    for (let w = start + 4; w <= last && !stop; w += 4) {
      const present = cur.u32(w);
      if (t.on) t.add(F["present.word"], present, w, 4);
      if (vendor) {
        cur.off += vskip;
        if (cur.off > len) break;
        vskip = 0;
      } else {
        for (let bitno = 0; bitno < 29; bitno++) {
          if (!(present & (1 << bitno))) continue;
          const bit = bit0 + bitno;
          let a: number;
          switch (bit) {
            case 0: {
              if ((a = cur.take(8, 8)) < 0) break;
              const v = cur.u32(a) + cur.u32(a + 4) * 4294967296;
              if (t.on) t.add(F.mactime, v, a, 8);
              line.s(`${cur.u32(a + 4) ? BigInt(cur.u32(a + 4)) * 4294967296n + BigInt(cur.u32(a)) : v}us tsft `);
              break;
            }
            case 1:
              if ((a = cur.take(1, 1)) < 0) break;
              flags = cur.u8(a);
              if (t.on) {
                t.add(F.flags, flags, a, 1);
                t.add(F["flags.fcs"], (flags & FL_FCS) !== 0, a, 1);
              }
              if (flags & FL_CFP) line.s("cfp ");
              if (flags & FL_SHORTPRE) line.s("short preamble ");
              if (flags & FL_WEP) line.s("wep ");
              if (flags & FL_FRAG) line.s("fragmented ");
              if (flags & FL_BADFCS) line.s("bad-fcs ");
              break;
            case 2: {
              if ((a = cur.take(1, 1)) < 0) break;
              const rate = cur.u8(a);
              if (t.on) t.add(F.datarate, rate / 2, a, 1);
              if (rate >= 0x80 && rate <= 0x8f) line.s(`MCS ${rate & 0x7f} `);
              else line.s(`${(rate / 2).toFixed(1)} Mb/s `);
              break;
            }
            case 3: {
              if ((a = cur.take(4, 2)) < 0) break;
              const freq = cur.u16(a), cf = cur.u16(a + 2);
              if (t.on) {
                t.add(F["channel.freq"], freq, a, 2);
                t.add(F["channel.flags"], cf, a + 2, 2);
              }
              if (!(present & (1 << BIT_XCHANNEL))) line.s(chanText(freq, cf, present));
              break;
            }
            case 4:
              if ((a = cur.take(2, 1)) < 0) break;
              if (t.on) {
                t.add(F["fhss.hopset"], cur.u8(a), a, 1);
                t.add(F["fhss.pattern"], cur.u8(a + 1), a + 1, 1);
              }
              line.s(`fhset ${cur.u8(a)} fhpat ${cur.u8(a + 1)} `);
              break;
            case 5:
              if ((a = cur.take(1, 1)) < 0) break;
              if (t.on) t.add(F.dbm_antsignal, s8(cur.u8(a)), a, 1);
              line.s(`${s8(cur.u8(a))}dBm signal `);
              break;
            case 6:
              if ((a = cur.take(1, 1)) < 0) break;
              if (t.on) t.add(F.dbm_antnoise, s8(cur.u8(a)), a, 1);
              line.s(`${s8(cur.u8(a))}dBm noise `);
              break;
            case 7:
              if ((a = cur.take(2, 2)) < 0) break;
              if (t.on) t.add(F.quality, cur.u16(a), a, 2);
              line.s(`${cur.u16(a)} sq `);
              break;
            case 8:
              if ((a = cur.take(2, 2)) < 0) break;
              if (t.on) t.add(F.txattenuation, cur.u16(a), a, 2);
              line.s(`${-((cur.u16(a) << 16) >> 16)} tx power `);
              break;
            case 9:
              if ((a = cur.take(2, 2)) < 0) break;
              if (t.on) t.add(F.db_txattenuation, cur.u16(a), a, 2);
              line.s(`${-((cur.u16(a) << 16) >> 16)}dB tx attenuation `);
              break;
            case 10:
              if ((a = cur.take(1, 1)) < 0) break;
              if (t.on) t.add(F.txpower, s8(cur.u8(a)), a, 1);
              line.s(`${s8(cur.u8(a))}dBm tx power `);
              break;
            case 11:
              if ((a = cur.take(1, 1)) < 0) break;
              if (t.on) t.add(F.antenna, cur.u8(a), a, 1);
              line.s(`antenna ${cur.u8(a)} `);
              break;
            case 12:
              if ((a = cur.take(1, 1)) < 0) break;
              if (t.on) t.add(F.db_antsignal, cur.u8(a), a, 1);
              line.s(`${cur.u8(a)}dB signal `);
              break;
            case 13:
              if ((a = cur.take(1, 1)) < 0) break;
              if (t.on) t.add(F.db_antnoise, cur.u8(a), a, 1);
              line.s(`${cur.u8(a)}dB noise `);
              break;
            case 14:
              if ((a = cur.take(2, 2)) < 0) break;
              if (t.on) t.add(F.rxflags, cur.u16(a), a, 2);
              break;
            case 18: {
              if ((a = cur.take(8, 4)) < 0) break;
              const xf = cur.u32(a), freq = cur.u16(a + 4);
              if (t.on) {
                t.add(F["xchannel.flags"], xf, a, 4);
                t.add(F["xchannel.freq"], freq, a + 4, 2);
                t.add(F["xchannel.channel"], cur.u8(a + 6), a + 6, 1);
              }
              line.s(chanText(freq, xf, present));
              break;
            }
            case 19: {
              if ((a = cur.take(3, 1)) < 0) break;
              const known = cur.u8(a), mf = cur.u8(a + 1), idx = cur.u8(a + 2);
              if (t.on) {
                t.add(F["mcs.known"], known, a, 1);
                t.add(F["mcs.flags"], mf, a + 1, 1);
                t.add(F["mcs.index"], idx, a + 2, 1);
              }
              if (known & 0x02) {
                let rate = 0;
                if (idx < HT_RATES.length && known & 0x05) rate = HT_RATES[idx][((mf & 3) === 1 ? 2 : 0) + (mf & 0x04 ? 1 : 0)];
                line.s(rate ? `${rate.toFixed(1)} Mb/s MCS ${idx} ` : `MCS ${idx} `);
              }
              if (known & 0x01) line.s(`${HT_BW[mf & 3]} `);
              if (known & 0x04) line.s(mf & 0x04 ? "short GI " : "long GI ");
              if (known & 0x08) line.s(mf & 0x08 ? "greenfield " : "mixed ");
              if (known & 0x10) line.s(mf & 0x10 ? "LDPC FEC " : "BCC FEC ");
              if (known & 0x20) line.s(`RX-STBC${(mf & 0x60) >> 5} `);
              break;
            }
            case 20:
              if ((a = cur.take(8, 4)) < 0) break;
              if (t.on) t.add(F["ampdu.reference"], cur.u32(a), a, 4);
              break;
            case 21: {
              if ((a = cur.take(12, 2)) < 0) break;
              const known = cur.u16(a), vf = cur.u8(a + 2), bw = cur.u8(a + 3), coding = cur.u8(a + 8);
              if (t.on) {
                t.add(F["vht.known"], known, a, 2);
                t.add(F["vht.bw"], bw, a + 3, 1);
              }
              for (let i = 0; i < 4; i++) {
                const mn = cur.u8(a + 4 + i);
                if ((mn & 0x0f) === 0) continue;
                line.s(`User ${i} MCS ${mn >> 4} ${coding & (1 << i) ? "LDPC" : "BCC"} FEC `);
              }
              if (known & 0x40) line.s(`${VHT_BW[bw & 0x1f] ?? `unknown (${bw & 0x1f})`} `);
              if (known & 0x04) line.s(vf & 0x04 ? "short GI " : "long GI ");
              break;
            }
            default:
              // a field whose size tcpdump does not know: it prints the bit and reads no further
              line.s(`[bit ${bit}] `);
              stop = true;
          }
          if (stop) break;
          if (!cur.ok) {
            line.s(" [|802.11_radio]");
            stop = true;
            break;
          }
        }
        if (stop) break;
      }
      switch (present & 0x60000000) {
        case 0:
          bit0 += 32;
          break;
        case 0x20000000:
          bit0 = 0;
          vendor = false;
          vskip = 0;
          break;
        case 0x40000000: {
          bit0 = 0;
          vendor = true;
          const a = cur.take(6, 2);
          if (a < 0) {
            line.s(" [|802.11_radio]");
            break;
          }
          vskip = cur.u16(a + 4);
          break;
        }
      }
    }
    r.skip(len);
    setRadioFlags(((flags & FL_FCS) !== 0 ? 1 : 0) | ((flags & FL_DATAPAD) !== 0 ? 2 : 0));
    return ctx.next("wlan", 0);
  },
};

bind("linktype", 127, RADIOTAP);
