/**
 * Cisco UDLD, UniDirectional Link Detection (SNAP OUI 0x00000c, PID 0x0111), as tcpdump 4.99's udld_print
 * (print-udld.c) prints it:
 *   "UDLDv1, Code Probe message (1), Flags [RT, RSY] (0x03), length 60"
 * and with -v the checksum and each TLV (device and port ids, echo list, intervals, device name, sequence
 * number); a TLV whose length cannot hold its value prints " (invalid)" and ends the detail.
 * Fields use Wireshark's names (udld.version, udld.opcode, udld.flags, udld.checksum, udld.tlv.type, udld.tlv.len).
 */
import { bind } from "../registry.js";
import { fields, type Protocol } from "../types.js";
import { printChar } from "../format.js";
import type { Line } from "../line.js";
import type { Reader } from "../reader.js";

const CODE: Readonly<Record<number, string>> = { 0: "Reserved", 1: "Probe message", 2: "Echo message", 3: "Flush message" };
const TLV: Readonly<Record<number, string>> = {
  1: "Device-ID TLV",
  2: "Port-ID TLV",
  3: "Echo TLV",
  4: "Message Interval TLV",
  5: "Timeout Interval TLV",
  6: "Device Name TLV",
  7: "Sequence Number TLV",
};

const F = fields("udld", {
  version: ["Version", "uint"],
  opcode: ["Opcode", "uint", { values: CODE }],
  flags: ["Flags", "uint", { base: "hex" }],
  checksum: ["Checksum", "uint", { base: "hex" }],
  "tlv.type": ["Type", "uint", { base: "hex", values: TLV }],
  "tlv.len": ["Length", "uint"],
});

/** Characters of [p, p + n) as far as captured, stopping at a NUL when `z`; false when the capture ends first. */
function text(r: Reader, line: Line, p: number, n: number, z: boolean): boolean {
  for (let i = 0; i < n; i++) {
    if (p + i >= r.cap) return false;
    const c = r.byteAt(p + i);
    if (z && c === 0) return true;
    line.s(printChar(c));
  }
  return true;
}

export const UDLD: Protocol = {
  id: "udld",
  name: "UDLD",
  title: "Unidirectional Link Detection",
  fields: F,
  dissect(r, ctx, t) {
    const o = r.pos;
    let length = r.reportedRemaining;
    const line = ctx.line;
    const cut = () => {
      r.truncated = true;
      r.pos = r.cap;
    };
    if (length < 4) {
      line.s(" (invalid)");
      if (o + length > r.cap) return cut();
      r.pos = r.cap;
      return;
    }
    if (!r.has(2)) return cut();
    const b0 = r.peek(0);
    const flags = r.peek(1);
    const code = b0 & 0x1f;
    let fl = "";
    if (flags & 1) fl = "RT";
    if (flags & 2) fl += fl ? ", RSY" : "RSY";
    line.s(`UDLDv${b0 >> 5}, Code ${CODE[code] ?? "Reserved"} (${code.toString(16)}), Flags [${fl || "none"}] (0x${flags.toString(16).padStart(2, "0")}), length ${length}`);
    if (t.on) {
      t.add(F.version, b0 >> 5, o, 1);
      t.add(F.opcode, code, o, 1);
      t.add(F.flags, flags, o + 1, 1);
      if (r.has(4)) t.add(F.checksum, r.peek16(2), o + 2, 2);
    }
    let p = o;
    const rest = () => {
      // ND_TCHECK_LEN(tptr, length): the remainder must be captured
      if (p + length > r.cap) return cut();
      r.pos = r.cap;
    };
    const invalid = () => {
      line.s(" (invalid)");
      rest();
    };
    if (ctx.opts.verbose < 1) return rest();
    if (!r.has(4)) return cut();
    line.s(`\n\tChecksum 0x${r.peek16(2).toString(16).padStart(4, "0")} (unverified)`);
    p += 4;
    length -= 4;
    for (let guard = 0; length > 0 && guard < 4096; guard++) {
      if (length < 4) return invalid();
      if (p + 4 > r.cap) return cut();
      const type = (r.byteAt(p) << 8) | r.byteAt(p + 1);
      let len = (r.byteAt(p + 2) << 8) | r.byteAt(p + 3);
      if (t.on) {
        t.add(F["tlv.type"], type, p, 2);
        t.add(F["tlv.len"], len, p + 2, 2);
      }
      line.s(`\n\t${TLV[type] ?? "Unknown"} (0x${type.toString(16).padStart(4, "0")}) TLV, length ${len}`);
      if (len <= 4) return invalid();
      len -= 4;
      p += 4;
      length -= 4;
      switch (type) {
        case 1:
        case 2:
        case 6:
          line.s(", ");
          if (!text(r, line, p, len, true)) return cut();
          break;
        case 3:
          line.s(", ");
          if (!text(r, line, p, len, false)) return cut();
          break;
        case 4:
        case 5:
          if (len !== 1) return invalid();
          if (p + 1 > r.cap) return cut();
          line.s(`, ${r.byteAt(p)}s`);
          break;
        case 7:
          if (len !== 4) return invalid();
          if (p + 4 > r.cap) return cut();
          line.s(`, ${(((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0)}`);
          break;
        default:
          if (p + len > r.cap) return cut();
      }
      p += len;
      length = (length - len) >>> 0; // an unsigned wrap, as tcpdump's: the next read then runs off the capture
    }
    r.pos = r.cap;
  },
};

bind("llc.snap", 0x00000c * 65536 + 0x0111, UDLD);
