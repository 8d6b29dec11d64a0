/**
 * NTP (RFC 5905) on UDP port 123. tcpdump's summary (print-ntp.c, without -v):
 *   "NTPv4, Client, length 48"
 * The mode names are tcpdump's ("Control Message" for mode 6, "Reserved" for 7). The tree has Wireshark's
 * fields for time messages (ntp.flags.li/vn/mode, ntp.stratum, ntp.ppoll, ntp.precision, ntp.rootdelay,
 * ntp.rootdispersion, ntp.refid, ntp.reftime, ntp.org, ntp.rec, ntp.xmt).
 */
import { bind } from "../registry.js";
import { ipv4At } from "../format.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

const MODE: Readonly<Record<number, string>> = {
  0: "unspecified",
  1: "symmetric active",
  2: "symmetric passive",
  3: "Client",
  4: "Server",
  5: "Broadcast",
  6: "Control Message",
  7: "Reserved",
};
const WS_MODE: Readonly<Record<number, string>> = {
  0: "reserved",
  1: "symmetric active",
  2: "symmetric passive",
  3: "client",
  4: "server",
  5: "broadcast",
  6: "reserved for NTP control message",
  7: "reserved for private use",
};
const LI: Readonly<Record<number, string>> = { 0: "no warning", 1: "last minute of the day has 61 seconds", 2: "last minute of the day has 59 seconds", 3: "unknown (clock unsynchronized)" };

const F = fields("ntp", {
  flags: ["Flags", "uint", { base: "hex" }],
  "flags.li": ["Leap Indicator", "uint", { values: LI }],
  "flags.vn": ["Version number", "uint"],
  "flags.mode": ["Mode", "uint", { values: WS_MODE }],
  stratum: ["Peer Clock Stratum", "uint"],
  ppoll: ["Peer Polling Interval", "uint"],
  // Raw values, as Wireshark's fields hold them; the display shows seconds.
  precision: ["Peer Clock Precision", "uint"],
  rootdelay: ["Root Delay", "uint"],
  rootdispersion: ["Root Dispersion", "uint"],
  refid: ["Reference ID", "bytes"],
  reftime: ["Reference Timestamp", "string"],
  org: ["Origin Timestamp", "string"],
  rec: ["Receive Timestamp", "string"],
  xmt: ["Transmit Timestamp", "string"],
});

const HEX = "0123456789abcdef";

export const NTP: Protocol = {
  id: "ntp",
  name: "NTP",
  title: "Network Time Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    const length = r.reportedRemaining;
    if (!r.has(1)) {
      ctx.line.s(" [|ntp]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const status = r.byteAt(p);
    const version = (status >> 3) & 7;
    const mode = status & 7;
    ctx.line.s(`NTPv${version}, ${MODE[mode]}, length ${length}`);
    if (ctx.opts.verbose > 0) verbose(r, ctx, p, length, status);
    if (t.on) {
      t.push(F.flags, status, p, 1);
      t.add(F["flags.li"], status >> 6, p, 1);
      t.add(F["flags.vn"], version, p, 1);
      t.add(F["flags.mode"], mode, p, 1);
      t.pop();
      if (mode !== 6 && mode !== 7 && p + 48 <= r.cap) {
        const u8 = (o: number) => r.byteAt(p + o);
        const u16 = (o: number) => (u8(o) << 8) | u8(o + 1);
        const u32 = (o: number) => u16(o) * 65536 + u16(o + 2);
        const stratum = u8(1);
        t.add(F.stratum, stratum, p + 1, 1);
        t.add(F.ppoll, u8(2), p + 2, 1);
        const prec = u8(3) > 127 ? u8(3) - 256 : u8(3);
        t.add(F.precision, u8(3), p + 3, 1, `${Math.pow(2, prec).toPrecision(6)} seconds`);
        t.add(F.rootdelay, u32(4), p + 4, 4, `${(u32(4) / 65536).toFixed(6)} seconds`);
        t.add(F.rootdispersion, u32(8), p + 8, 4, `${(u32(8) / 65536).toFixed(6)} seconds`);
        let refid = "";
        for (let i = 12; i < 16; i++) refid += HEX[u8(i) >> 4] + HEX[u8(i) & 15];
        t.add(F.refid, refid, p + 12, 4, stratum <= 1 ? printable(u8, 12) : ipv4At(r.data, p + 12));
        const names = [F.reftime, F.org, F.rec, F.xmt];
        for (let k = 0; k < 4; k++) {
          const o = 16 + 8 * k;
          t.add(names[k], ntpTime(u32(o), u32(o + 4)), p + o, 8);
        }
      } else if (mode === 7 && status & 0x80 && p + 8 <= r.cap && r.byteAt(p + 3) === 1) {
        // a private (mode 7) PEER_LIST_SUM response: Wireshark shows each peer's stratum and polling interval
        // under ntp.stratum and ntp.ppoll (items of 72 bytes, info_peer_summary)
        const items = ((r.byteAt(p + 4) << 8) | r.byteAt(p + 5)) & 0xfff;
        for (let i = 0, q = p + 8; i < items && q + 13 <= r.cap; i++, q += 72) {
          t.pushNote("PEER_LIST_SUM Item", q, Math.min(72, r.cap - q));
          t.add(F.stratum, r.byteAt(q + 10), q + 10, 1);
          t.add(F.ppoll, r.byteAt(q + 12), q + 12, 1);
          t.pop();
        }
      }
    }
    r.pos = r.cap;
  },
};

/** A 4-character reference identifier (stratum 0/1), printable part only. */
function printable(u8: (o: number) => number, o: number): string {
  let s = "";
  for (let i = 0; i < 4; i++) {
    const c = u8(o + i);
    if (c === 0) break;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
  }
  return s;
}

/** NTP timestamp as UTC text (seconds since 1900), "NULL" for zero as Wireshark shows it. */
function ntpTime(sec: number, frac: number): string {
  if (sec === 0 && frac === 0) return "NULL";
  const unix = sec - 2208988800;
  const ms = Math.floor((frac / 4294967296) * 1e9);
  const d = new Date(unix * 1000);
  const iso = d.toISOString().slice(0, 19).replace("T", " ");
  return `${iso}.${String(ms).padStart(9, "0")} UTC`;
}

bind("udp.port", 123, NTP);

// ---------------------------------------------------------------------------------------------------------
// -v: tcpdump's ntp_time_print / ntp_control_print.

const LEAP: Readonly<Record<number, string>> = { 0: "", 0x40: "+1s", 0x80: "-1s", 0xc0: "clock unsynchronized" };
const TIMEMSG_MINLEN = 48;
const CTRLMSG_MINLEN = 12;

function verbose(r: Reader, ctx: Ctx, p: number, length: number, status: number): void {
  const cap = r.cap;
  const has = (o: number, n: number): boolean => p + o + n <= cap;
  const u8 = (o: number): number => r.byteAt(p + o);
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  const u32 = (o: number): number => u16(o) * 65536 + u16(o + 2);
  const s8 = (o: number): number => (u8(o) > 127 ? u8(o) - 256 : u8(o));
  let out = `\n\tLeap indicator: ${LEAP[status & 0xc0]} (${status & 0xc0})`;
  const mode = status & 7;
  const done = (trunc: boolean): void => {
    ctx.line.s(out);
    if (trunc) {
      ctx.line.s(" [|ntp]");
      ctx.truncated = true;
    }
  };
  if (mode <= 5) {
    if (length < TIMEMSG_MINLEN) {
      out += " (invalid)";
      return done(p + length > cap);
    }
    if (!has(1, 1)) return done(true);
    const stratum = u8(1);
    out += `, Stratum ${stratum} (${stratum === 0 ? "unspecified" : stratum === 1 ? "primary reference" : stratum >= 2 && stratum <= 15 ? "secondary reference" : "reserved"})`;
    if (!has(2, 1)) return done(true);
    const poll = s8(2);
    out += `, poll ${poll}`;
    if (poll > -32 && poll < 32) out += poll >= 0 ? ` (${2 ** poll}s)` : ` (1/${2 ** -poll}s)`;
    if (!has(3, 1)) return done(true);
    out += `, precision ${s8(3)}`;
    if (!has(4, 4)) return done(true);
    out += `\n\tRoot Delay: ${sfix(u16(4), u16(6))}`;
    if (!has(8, 4)) return done(true);
    out += `, Root dispersion: ${sfix(u16(8), u16(10))}`;
    if (!has(12, 4)) return done(true);
    out += ", Reference-ID: ";
    if (stratum === 0) out += "(unspec)";
    else if (stratum === 1) for (let i = 12; i < 16; i++) out += String.fromCharCode(u8(i));
    else if (stratum === 62 || stratum === 63) {
      out += `${ipv4At(r.data, p + 12)} ${stratum === 62 ? "INFO_QUERY" : "INFO_REPLY"}`;
      return done(false);
    } else out += "0x" + u32(12).toString(16).padStart(8, "0");
    const names = ["\n\t  Reference Timestamp:  ", "\n\t  Originator Timestamp: ", "\n\t  Receive Timestamp:    ", "\n\t  Transmit Timestamp:   "];
    for (let k = 0; k < 4; k++) {
      if (!has(16 + 8 * k, 8)) return done(true);
      out += names[k] + ntpTimeText(u32(16 + 8 * k), u32(20 + 8 * k));
    }
    out += "\n\t    Originator - Receive Timestamp:  " + ntpDelta(u32(24), u32(28), u32(32), u32(36));
    out += "\n\t    Originator - Transmit Timestamp: " + ntpDelta(u32(24), u32(28), u32(40), u32(44));
    if (length === TIMEMSG_MINLEN + 4) {
      if (!has(48, 4)) return done(true);
      out += `\n\tKey id: ${u32(48)}`;
    } else if (length === TIMEMSG_MINLEN + 20 || length === TIMEMSG_MINLEN + 24) {
      if (!has(48, 4)) return done(true);
      out += `\n\tKey id: ${u32(48)}`;
      const n = length - TIMEMSG_MINLEN - 4;
      if (!has(52, n)) return done(true);
      out += "\n\tAuthentication: ";
      for (let o = 52; o < 52 + n; o += 4) out += u32(o).toString(16).padStart(8, "0");
    } else if (length > TIMEMSG_MINLEN) out += `\n\t(${length - TIMEMSG_MINLEN} more bytes after the header)`;
    return done(false);
  }
  if (mode === 6) {
    if (length < CTRLMSG_MINLEN) {
      out += " (invalid)";
      return done(p + length > cap);
    }
    if (!has(1, 1)) return done(true);
    const c = u8(1);
    out += `, ${c & 0x80 ? "Response" : "Request"}, ${c & 0x40 ? "Error" : "OK"}, ${c & 0x20 ? "More" : "Last"}, OpCode=${c & 0x1f}\n`;
    if (!has(2, 2)) return done(true);
    out += `\tSequence=${u16(2)}`;
    if (!has(4, 2)) return done(true);
    const st = u16(4);
    out += `, Status=${st ? "0x" + st.toString(16) : "0"}`;
    if (!has(6, 2)) return done(true);
    out += `, Assoc.=${u16(6)}`;
    if (!has(8, 2)) return done(true);
    out += `, Offset=${u16(8)}`;
    if (!has(10, 2)) return done(true);
    const count = u16(10);
    out += `, Count=${count}`;
    if (CTRLMSG_MINLEN + count > length) {
      out += " (invalid)";
      return done(p + length > cap);
    }
    if (count !== 0) {
      if (!has(12, count)) return done(true);
      out += "\n\tTO-BE-DONE: data not interpreted";
    }
    return done(false);
  }
  done(false);
}

/** tcpdump's p_sfix: "%d.%06d" of a 16.16 fixed-point number */
function sfix(i: number, f: number): string {
  return `${i}.${String(Math.trunc((f / 65536) * 1000000)).padStart(6, "0")}`;
}

/** tcpdump's p_ntp_time: seconds.nanoseconds and, when not zero, the UTC time */
function ntpTimeText(i: number, uf: number): string {
  let s = `${i}.${String(Math.trunc((uf / 4294967296) * 1e9)).padStart(9, "0")}`;
  if (i) s += ` (${new Date((i - 2208988800) * 1000).toISOString().slice(0, 19)}Z)`;
  return s;
}

/** tcpdump's p_ntp_delta: the difference of two timestamps (the second printed plain when the first is 0) */
function ntpDelta(ou: number, ouf: number, u: number, uf: number): string {
  if (ou === 0 && ouf === 0) return ntpTimeText(u, uf);
  let sign: boolean;
  let i: number;
  let f: number;
  if (u > ou) {
    sign = false;
    i = u - ou;
    f = (uf - ouf) >>> 0;
    if (ouf > uf) i -= 1;
  } else if (u < ou) {
    sign = true;
    i = ou - u;
    f = (ouf - uf) >>> 0;
    if (uf > ouf) i -= 1;
  } else {
    i = 0;
    if (uf > ouf) {
      sign = false;
      f = uf - ouf;
    } else {
      sign = true;
      f = ouf - uf;
    }
  }
  return `${sign ? "-" : "+"}${i >>> 0}.${String(Math.trunc((f / 4294967296) * 1e9)).padStart(9, "0")}`;
}
