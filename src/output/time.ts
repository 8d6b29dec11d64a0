/**
 * Timestamps in tcpdump's formats (-t, -tt, -ttt, -tttt, -ttttt). Local time like tcpdump (TZ=UTC gives UTC).
 * The calendar part is cached per second, so formatting costs a few string operations per packet.
 */
import { ascii, type Line } from "../dissectors/line.js";

export type TimeFormat = "default" | "none" | "epoch" | "delta" | "date" | "since-first";

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** "000".."999": fractions are built from these instead of padding a new number string per packet. */
export const D3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

export class TimeFormatter {
  private lastSec = -1;
  private lastClock = "";
  private clockBytes: Uint8Array = new Uint8Array(0);
  private lastDate = "";
  private prevSec = NaN;
  private prevNsec = 0;
  private firstSec = NaN;
  private firstNsec = 0;

  constructor(
    readonly format: TimeFormat,
    /** print nanoseconds (9 digits) instead of microseconds (6) */
    readonly nano: boolean,
    /**
     * the source records nanoseconds: a fraction of a second or more is then shown as tcpdump's libpcap makes
     * it (the file's 32 bits read as signed, divided by 1000, printed unsigned: 2147483648 ns ".4292819813")
     */
    readonly fromNano = false,
  ) {}

  private frac(nsec: number): string {
    if (nsec < 0 || nsec >= 1e9 || nsec !== Math.floor(nsec)) {
      // A malformed record (a fraction of a second or more): the raw value, as tcpdump prints it.
      // (--nano on a microsecond file: the signed field times 1000, printed as 32 bits unsigned)
      if (this.nano) return pad(this.fromNano ? nsec : (((nsec / 1000) | 0) * 1000) >>> 0, 9);
      return pad(this.fromNano ? ((nsec | 0) / 1000) >>> 0 : Math.floor(nsec / 1000), 6);
    }
    const us = (nsec / 1000) | 0;
    const hi = (us / 1000) | 0;
    return this.nano ? D3[hi] + D3[us - hi * 1000] + D3[nsec - us * 1000] : D3[hi] + D3[us - hi * 1000];
  }

  private calendar(sec: number): void {
    if (sec === this.lastSec) return;
    const d = new Date(sec * 1000);
    this.lastSec = sec;
    this.lastClock = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.`;
    this.clockBytes = ascii(this.lastClock);
    this.lastDate = `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;
  }

  /**
   * A fraction as tcpdump holds it: in the printed unit (micro- or nanoseconds), truncated per packet (tcpdump
   * opens files at microsecond precision), and signed 32-bit as libpcap reads a record's fraction.
   */
  private tdFrac(nsec: number): number {
    if (this.nano) return this.fromNano ? nsec | 0 : ((nsec / 1000) | 0) * 1000;
    return this.fromNano ? Math.trunc((nsec | 0) / 1000) : (nsec / 1000) | 0;
  }

  /**
   * -ttt/-ttttt: tcpdump's arithmetic (netdissect_timevalsub): the earlier time taken from the later one, one
   * borrow when the fraction goes negative, "-" in place of the leading space when the packet is the earlier
   * one. For well-formed times that is the plain difference; a malformed fraction (a second or more) prints
   * what tcpdump prints (" 00:00:00.2147483649").
   */
  private delta(sec: number, nsec: number, baseSec: number, baseNsec: number): string {
    const unit = this.nano ? 1e9 : 1e6;
    let s1 = sec,
      f1 = this.tdFrac(nsec),
      s0 = baseSec,
      f0 = this.tdFrac(baseNsec);
    const neg = s1 === s0 ? f1 < f0 : s1 < s0;
    if (neg) [s1, f1, s0, f0] = [s0, f0, s1, f1];
    let ds = s1 - s0;
    let df = f1 - f0;
    if (df < 0) {
      ds -= 1;
      df += unit;
    }
    const h = Math.floor(ds / 3600);
    const m = Math.floor((ds % 3600) / 60);
    const s = ds % 60;
    // tcpdump prints the fraction with %06u (%09u): its low 32 bits, unsigned
    const fr = df >= 0 && df < unit ? df : df % 4294967296 >>> 0;
    return `${neg ? "-" : " "}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(fr, this.nano ? 9 : 6)}`;
  }

  /** format1 written into a line (the default format without building a string). */
  write1(line: Line, sec: number, nsec: number): void {
    if (this.format !== "default" || nsec < 0 || nsec >= 1e9 || nsec !== Math.floor(nsec)) {
      line.s(this.format1(sec, nsec));
      return;
    }
    this.calendar(sec);
    line.k(this.clockBytes);
    if (this.nano) line.z(nsec, 9);
    else line.z((nsec / 1000) | 0, 6);
    line.c(0x20);
  }

  /** The timestamp text followed by a space, or "" for -t. */
  format1(sec: number, nsec: number): string {
    switch (this.format) {
      case "none":
        return "";
      case "epoch":
        return `${sec}.${this.frac(nsec)} `;
      case "delta": {
        const out = Number.isNaN(this.prevSec) ? this.delta(sec, nsec, sec, nsec) : this.delta(sec, nsec, this.prevSec, this.prevNsec);
        this.prevSec = sec;
        this.prevNsec = nsec;
        return out + " ";
      }
      case "since-first": {
        if (Number.isNaN(this.firstSec)) {
          this.firstSec = sec;
          this.firstNsec = nsec;
        }
        return this.delta(sec, nsec, this.firstSec, this.firstNsec) + " ";
      }
      case "date":
        this.calendar(sec);
        return `${this.lastDate} ${this.lastClock}${this.frac(nsec)} `;
      default:
        this.calendar(sec);
        return this.lastClock + this.frac(nsec) + " ";
    }
  }
}
