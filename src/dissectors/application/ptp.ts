/**
 * PTP, the IEEE 1588 Precision Time Protocol (ethertype 0x88f7, UDP ports 319 and 320), as tcpdump 4.99's
 * ptp_print (print-ptp.c) prints it: one line, the same at every -v:
 *   "PTPv2, v1 compat : no, msg type : sync msg, length : 44, domain : 0, reserved1 : 0, Flags [two step],
 *    NS correction : 0, sub NS correction : 0, reserved2 : 0, clock identity : 0x7483efffff01ac16, port id : 274,
 *    seq id : 0, control : 0 (Sync), log message interval : 0, originTimeStamp : 0 seconds, 0 nanoseconds"
 * then each message type's body (timestamps, requesting port identity, announce's grandmaster fields,
 * management's header). As tcpdump, the version is the header's whole second 16-bit word masked to its low
 * byte ("PTPv18" for a 2.1 header), version 1 prints " (not implemented)", a message shorter than the 34-byte
 * header prints " (invalid)" and one cut by the capture " [|ptp]". Management messages print tcpdump's
 * quirk: the four fields after the port identity all read the identity's first byte.
 * Fields use Wireshark's names (ptp.v2.messagetype, ptp.v2.messagelength, ptp.v2.domainnumber, ...).
 */
import { bind } from "../registry.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

const MSG: Readonly<Record<number, string>> = {
  0x0: "sync msg",
  0x1: "delay req msg",
  0x2: "peer delay req msg",
  0x3: "peer delay resp msg",
  0x8: "follow up msg",
  0x9: "delay resp msg",
  0xa: "pdelay resp fup msg",
  0xb: "announce msg",
  0xc: "signaling msg",
  0xd: "management msg",
};
const CONTROL: Readonly<Record<number, string>> = { 0: "Sync", 1: "Delay_Req", 2: "Follow_Up", 3: "Delay_Resp", 4: "Management", 5: "Other" };
const FLAGS: Array<[number, string]> = [
  [0x1, "l1 61"],
  [0x2, "l1 59"],
  [0x4, "utc reasonable"],
  [0x8, "timescale"],
  [0x10, "time tracable"],
  [0x20, "frequency tracable"],
  [0x100, "alternate master"],
  [0x200, "two step"],
  [0x400, "unicast"],
  [0x1000, "profile specific 1"],
  [0x2000, "profile specific 2"],
  [0x4000, "security mask"],
  [0x18c0, "unknown"],
];

const F = fields("ptp", {
  "v2.transportspecific": ["transportSpecific", "uint", { base: "hex" }],
  "v2.messagetype": ["messageType", "uint", { base: "hex", values: MSG }],
  "v2.versionptp": ["versionPTP", "uint"],
  "v2.messagelength": ["messageLength", "uint"],
  "v2.domainnumber": ["domainNumber", "uint"],
  "v2.flags": ["flags", "uint", { base: "hex" }],
  "v2.correction.ns": ["correctionNs", "uint"],
  "v2.clockidentity": ["ClockIdentity", "string"],
  "v2.sourceportid": ["SourcePortID", "uint"],
  "v2.sequenceid": ["sequenceId", "uint"],
  "v2.controlfield": ["controlField", "uint", { values: CONTROL }],
  "v2.logmessageperiod": ["logMessagePeriod", "int"],
});

/** A big-endian unsigned integer of n bytes (n <= 8) as a decimal string (exact beyond 2^53). */
function uintText(r: Reader, p: number, n: number): string {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(r.byteAt(p + i));
  return v.toString();
}
/** "%" PRIx64 of 8 bytes: hex without leading zeros */
function hex64(r: Reader, p: number): string {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(r.byteAt(p + i));
  return v.toString(16);
}

export const PTP: Protocol = {
  id: "ptp",
  name: "PTP",
  title: "Precision Time Protocol (IEEE1588)",
  fields: F,
  dissect(r, ctx, t) {
    const o = r.pos;
    const length = r.reportedRemaining;
    const line = ctx.line;
    const cut = () => {
      r.truncated = true;
      r.pos = r.cap;
    };
    if (length < 34) {
      line.s(` [length ${length} < 34] (invalid)`);
      r.pos = r.cap;
      return;
    }
    if (!r.has(2)) return cut();
    const vers = r.peek(1);
    line.s(`PTPv${vers}`);
    if (vers === 1) {
      line.s(" (not implemented)");
      r.pos = r.cap;
      return;
    }
    if (vers !== 2) {
      r.pos = r.cap;
      return;
    }
    const foct = r.peek(0);
    const type = foct & 0x0f;
    line.s(`, v1 compat : ${foct & 0x10 ? "yes" : "no"}, msg type : ${MSG[type] ?? "Reserved"}`);
    // each value is printed once its bytes are captured, as tcpdump's GET_ macros
    const has = (n: number) => r.has(n);
    if (!has(4)) return cut();
    line.s(`, length : ${r.peek16(2)}`);
    if (!has(6)) return cut();
    line.s(`, domain : ${r.peek(4)}, reserved1 : ${r.peek(5)}`);
    if (!has(8)) return cut();
    const flags = r.peek16(6);
    let fl = "";
    for (const [b, n] of FLAGS) if ((flags & b) === b) fl += fl ? `, ${n}` : n;
    line.s(`, Flags [${fl || "none"}]`);
    if (!has(14)) return cut();
    line.s(`, NS correction : ${uintText(r, o + 8, 6)}`);
    if (!has(16)) return cut();
    line.s(`, sub NS correction : ${r.peek16(14)}`);
    if (!has(20)) return cut();
    line.s(`, reserved2 : ${r.peek32(16)}`);
    if (!has(28)) return cut();
    line.s(`, clock identity : 0x${hex64(r, o + 20)}`);
    if (!has(30)) return cut();
    line.s(`, port id : ${r.peek16(28)}`);
    if (!has(32)) return cut();
    line.s(`, seq id : ${r.peek16(30)}`);
    if (!has(33)) return cut();
    const control = r.peek(32);
    line.s(`, control : ${control} (${CONTROL[control] ?? "Reserved"})`);
    if (!has(34)) return cut();
    line.s(`, log message interval : ${r.peek(33)}`);
    if (t.on) {
      t.add(F["v2.transportspecific"], foct >> 4, o, 1);
      t.add(F["v2.messagetype"], type, o, 1);
      t.add(F["v2.versionptp"], vers & 0x0f, o + 1, 1);
      t.add(F["v2.messagelength"], r.peek16(2), o + 2, 2);
      t.add(F["v2.domainnumber"], r.peek(4), o + 4, 1);
      t.add(F["v2.flags"], flags, o + 6, 2);
      t.add(F["v2.correction.ns"], Number(uintText(r, o + 8, 6)), o + 8, 6);
      t.add(F["v2.clockidentity"], `0x${hex64(r, o + 20).padStart(16, "0")}`, o + 20, 8);
      t.add(F["v2.sourceportid"], r.peek16(28), o + 28, 2);
      t.add(F["v2.sequenceid"], r.peek16(30), o + 30, 2);
      t.add(F["v2.controlfield"], control, o + 32, 1);
      t.add(F["v2.logmessageperiod"], (r.peek(33) << 24) >> 24, o + 33, 1);
    }
    const b = o + 34;
    const need = (n: number) => b + n <= r.cap;
    const timestamp = (name: string, comma: boolean): boolean => {
      line.s(`, ${name} :`);
      if (!need(6)) return false;
      line.s(` ${uintText(r, b, 6)} seconds${comma ? "," : ""}`);
      if (!need(10)) return false;
      line.s(` ${uintText(r, b + 6, 4)} nanoseconds`);
      return true;
    };
    const identity = (at: number): boolean => {
      if (!need(at + 8)) return false;
      line.s(`, port identity : 0x${hex64(r, b + at)}`);
      if (!need(at + 10)) return false;
      line.s(`, port id : ${(r.byteAt(b + at + 8) << 8) | r.byteAt(b + at + 9)}`);
      return true;
    };
    let ok = true;
    switch (type) {
      case 0x0:
      case 0x1:
        ok = timestamp("originTimeStamp", true);
        break;
      case 0x8:
        ok = timestamp("preciseOriginTimeStamp", true);
        break;
      case 0x2:
      case 0xa:
        ok = timestamp("preciseOriginTimeStamp", true) && identity(10);
        break;
      case 0x3:
      case 0x9:
        ok = timestamp("receiveTimeStamp", true) && identity(10);
        break;
      case 0xb: {
        ok = timestamp("originTimeStamp", false);
        const steps: Array<[number, number, string, boolean]> = [
          [10, 2, ", origin cur utc :", false],
          [12, 1, ", rsvd : ", false],
          [13, 1, ", gm priority_1 : ", false],
          [14, 1, ", gm clock class : ", false],
          [15, 1, ", gm clock accuracy : ", false],
          [16, 2, ", gm clock variance : ", false],
          [18, 1, ", gm priority_2 : ", false],
        ];
        for (const [at, n, label] of steps) {
          if (!ok || !need(at + n)) {
            ok = false;
            break;
          }
          line.s(label + uintText(r, b + at, n));
        }
        if (ok && need(27)) line.s(`, gm clock id : 0x${hex64(r, b + 19)}`);
        else ok = false;
        if (ok && need(29)) line.s(`, steps removed : ${uintText(r, b + 27, 2)}`);
        else ok = false;
        if (ok && need(30)) line.s(`, time source : 0x${r.byteAt(b + 29).toString(16)}`);
        else ok = false;
        break;
      }
      case 0xc:
        ok = identity(0);
        break;
      case 0xd: {
        ok = identity(0);
        if (ok) {
          // tcpdump reads these four at the port identity's first byte (it never moves its pointer)
          const v = r.byteAt(b);
          line.s(`, , start boundary hops  ${v}, , boundary hops  ${v}, , flags  0x${v.toString(16)}, , reserved  0x${v.toString(16)}`);
        }
        break;
      }
    }
    if (!ok) return cut();
    r.pos = r.cap;
  },
};

bind("ethertype", 0x88f7, PTP);
bind("udp.port", [319, 320], PTP);
