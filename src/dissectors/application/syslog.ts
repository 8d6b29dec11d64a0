/**
 * Syslog (RFC 3164 / 5424) on UDP port 514, as tcpdump's print-syslog.c prints it:
 *   -nn: "SYSLOG user.notice, length: 79" (facility.severity from the "<PRI>" prefix)
 *   -v:  "SYSLOG, length: 79\n\tFacility user (1), Severity notice (5)\n\tMsg: <the message>"; -vv adds a hex
 *        dump of the whole message.
 * A message that does not start with "<digits>" prints " (invalid)". Wireshark's fields: syslog.facility,
 * syslog.level, syslog.msg.
 */
import { bind } from "../registry.js";
import { hexPrint } from "../hexprint.js";
import { printChar } from "../format.js";
import { fields, type Protocol } from "../types.js";

const SEVERITY = ["emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"];
const FACILITY = [
  "kernel",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "cron",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
];
const WS_FACILITY: Readonly<Record<number, string>> = Object.fromEntries(FACILITY.map((f, i) => [i, f]));
const WS_LEVEL: Readonly<Record<number, string>> = Object.fromEntries(SEVERITY.map((s, i) => [i, s]));

const F = fields("syslog", {
  facility: ["Facility", "uint", { values: WS_FACILITY }],
  level: ["Level", "uint", { values: WS_LEVEL }],
  msg: ["Message", "string"],
});

/** The most priority digits tcpdump reads */
const MAX_DIGITS = 3;

export const SYSLOG: Protocol = {
  id: "syslog",
  name: "Syslog",
  title: "Syslog message",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    const len = r.reportedRemaining;
    const cap = r.cap;
    const l = ctx.line;
    const cut = (): void => {
      l.s(" [|syslog]");
      ctx.truncated = true;
      r.pos = r.cap;
    };
    // tcpdump reads through GET_U_1: running off the captured bytes ends the line with " [|syslog]"
    if (p >= cap) return cut();
    let off = 0;
    let pri = 0;
    if (r.byteAt(p) === 0x3c) {
      off++;
      for (;;) {
        if (off > MAX_DIGITS) break;
        if (p + off >= cap) return cut();
        const c = r.byteAt(p + off);
        if (c < 0x30 || c > 0x39) break;
        pri = pri * 10 + (c - 0x30);
        off++;
      }
      if (p + off >= cap) return cut();
      if (r.byteAt(p + off) !== 0x3e) off = -1;
      else off++;
    } else off = -1;
    if (off < 0) {
      l.s(" (invalid)");
      ctx.markMalformed("syslog message without a <PRI> prefix");
      r.pos = r.cap;
      return;
    }
    const facility = (pri & 0x3f8) >> 3;
    const severity = pri & 7;
    const fname = facility < FACILITY.length ? FACILITY[facility] : `unknown (${facility})`;
    const sname = SEVERITY[severity];
    if (ctx.opts.verbose < 1) l.s("SYSLOG ").s(fname).c(0x2e).s(sname).s(", length: ").u(len);
    else {
      l.s("SYSLOG, length: ").u(len).s("\n\tFacility ").s(fname).s(" (").u(facility).s("), Severity ").s(sname).s(" (").u(severity).s(")\n\tMsg: ");
      const n = len - off;
      const have = Math.min(n, cap - p - off);
      // tcpdump's nd_printjn: control characters as "^@", bytes above 0x7f as "M-x"
      for (let i = 0; i < have; i++) {
        const c = r.byteAt(p + off + i);
        if (c >= 0x20 && c < 0x7f) l.c(c);
        else l.s(printChar(c));
      }
      if (have < n) return cut();
      if (ctx.opts.verbose > 1) hexPrint(l, r, "\n\t", p, len);
    }
    if (t.on) {
      t.add(F.facility, facility, p, off);
      t.add(F.level, severity, p, off);
      let end = p + off;
      const stop = Math.min(p + len, cap);
      while (end < stop && r.byteAt(end) !== 0) end++;
      t.add(F.msg, r.latin1At(p + off, end - p - off), p + off, end - p - off);
    }
    r.pos = r.cap;
  },
};

bind("udp.port", 514, SYSLOG);
