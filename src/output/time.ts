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
  ) {}

  private frac(nsec: number): string {
    if (nsec < 0 || nsec >= 1e9 || nsec !== Math.floor(nsec)) return this.nano ? pad(nsec, 9) : pad(Math.floor(nsec / 1000), 6);
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

  private delta(sec: number, nsec: number, baseSec: number, baseNsec: number): string {
    let ds = sec - baseSec;
    let dn = nsec - baseNsec;
    // Whole seconds carried out of the fraction: a malformed file's fraction can be a second or more
    // (microseconds >= 1e6), which would otherwise print a negative fraction ("00:00:00.-745207").
    const carry = Math.floor(dn / 1e9);
    ds += carry;
    dn -= carry * 1e9;
    // Now 0 <= dn < 1e9; a negative delta is printed as its magnitude after a "-" in the place of the space
    // (as tcpdump: " 00:00:01.000000", "-00:00:00.300000").
    let sign = " ";
    if (ds < 0) {
      sign = "-";
      if (dn > 0) {
        ds = -ds - 1;
        dn = 1e9 - dn;
      } else ds = -ds;
    }
    const h = Math.floor(ds / 3600);
    const m = Math.floor((ds % 3600) / 60);
    const s = ds % 60;
    return `${sign}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${this.frac(dn)}`;
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
