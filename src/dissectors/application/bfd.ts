/**
 * BFD (RFC 5880/5881/5883, RFC 7130; UDP 3784 control, 4784 multihop, 6784 LAG, 3785 echo), as tcpdump
 * 4.99's print-bfd.c prints it (the message kind comes from the destination port):
 *   "BFDv1, Control, State Up, Flags: [none], length: 24"               (no -v)
 *   "BFDv1, length: 24\n\tControl, State Up, Flags: [none], Diagnostic: No Diagnostic (0x00)\n\tDetection ..."
 *   "BFD, Echo, length: 12308"
 * With -v: the timers, discriminators and the authentication section (simple password, keyed MD5/SHA1).
 * Fields: Wireshark's bfd.version, bfd.diag, bfd.sta, bfd.flags, bfd.detect_time_multiplier,
 * bfd.message_length, bfd.my_discriminator, bfd.your_discriminator, bfd.*_interval, bfd.auth.*.
 */
import { bind } from "../registry.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Protocol } from "../types.js";

const CONTROL = 3784;
const ECHO = 3785;
const MULTIHOP = 4784;
const LAG = 6784;
const PORT_NAME: Readonly<Record<number, string>> = { [CONTROL]: "Control", [MULTIHOP]: "Multihop", [LAG]: "Lag" };
const DIAG: Readonly<Record<number, string>> = {
  0: "No Diagnostic",
  1: "Control Detection Time Expired",
  2: "Echo Function Failed",
  3: "Neighbor Signaled Session Down",
  4: "Forwarding Plane Reset",
  5: "Path Down",
  6: "Concatenated Path Down",
  7: "Administratively Down",
  8: "Reverse Concatenated Path Down",
};
const STATE: Readonly<Record<number, string>> = { 0: "AdminDown", 1: "Down", 2: "Init", 3: "Up" };
const V0_FLAGS: Array<[number, string]> = [
  [0x80, "I Hear You"],
  [0x40, "Demand"],
  [0x20, "Poll"],
  [0x10, "Final"],
  [0x08, "Control Plane Independent"],
  [0x04, "Authentication Present"],
  [0x02, "Reserved"],
  [0x01, "Reserved"],
];
const V1_FLAGS: Array<[number, string]> = [
  [0x20, "Poll"],
  [0x10, "Final"],
  [0x08, "Control Plane Independent"],
  [0x04, "Authentication Present"],
  [0x02, "Demand"],
  [0x01, "Multipoint"],
];
const AUTH: Readonly<Record<number, string>> = { 1: "Simple Password", 2: "Keyed MD5", 3: "Meticulous Keyed MD5", 4: "Keyed SHA1", 5: "Meticulous Keyed SHA1" };
const HEADER = 24;

const F = fields("bfd", {
  version: ["Protocol Version", "uint"],
  diag: ["Diagnostic Code", "uint", { values: DIAG }],
  sta: ["Session State", "uint", { values: STATE }],
  flags: ["Message Flags", "uint", { base: "hex" }],
  detect_time_multiplier: ["Detect Time Multiplier", "uint"],
  message_length: ["Message Length", "uint"],
  my_discriminator: ["My Discriminator", "uint", { base: "hex" }],
  your_discriminator: ["Your Discriminator", "uint", { base: "hex" }],
  desired_min_tx_interval: ["Desired Min TX Interval", "uint"],
  required_min_rx_interval: ["Required Min RX Interval", "uint"],
  required_min_echo_interval: ["Required Min Echo Interval", "uint"],
  "auth.type": ["Authentication Type", "uint", { values: AUTH }],
  "auth.len": ["Authentication Length", "uint"],
  "auth.key": ["Authentication Key ID", "uint"],
  "auth.seq_num": ["Sequence Number", "uint"],
});

/** tcpdump's bittok2str: the names of the bits set, ", "-separated, or "none" */
function bits(v: number, names: Array<[number, string]>): string {
  let s = "";
  for (const [b, n] of names) if (v & b) s += s ? `, ${n}` : n;
  return s || "none";
}
const hex8 = (v: number) => v.toString(16).padStart(8, "0");
const ms4 = (v: number) => String(Math.floor(v / 1000)).padStart(4, " ");

export const BFD: Protocol = {
  id: "bfd",
  name: "BFD",
  title: "Bidirectional Forwarding Detection Control Message",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const len = r.reportedRemaining;
    const port = ctx.dstPort;
    const v = ctx.opts.verbose;
    const line = ctx.line;
    // tcpdump decodes BFD only by the destination port; from a BFD source port it is plain UDP
    if (port !== ECHO && !PORT_NAME[port]) return ctx.next("udp.port", -1);
    if (port === ECHO) {
      line.s("BFD, Echo, length: ").u(len);
      if (v >= 1) hexPrint(line, r, "\n\t", start, len);
      r.pos = r.cap;
      return;
    }
    if (!r.has(HEADER)) {
      r.skip(HEADER); // " [|bfd]"
      return;
    }
    const vd = r.peek(0);
    const version = vd >> 5;
    const diag = vd & 0x1f;
    const flags = r.peek(1);
    const mult = r.peek(2);
    const blen = r.peek(3);
    const tx = r.peek32(12);
    if (t.on) {
      t.add(F.version, version, start, 1);
      t.add(F.diag, diag, start, 1);
      if (version === 1) t.add(F.sta, flags >> 6, start + 1, 1);
      t.add(F.flags, flags, start + 1, 1);
      t.add(F.detect_time_multiplier, mult, start + 2, 1);
      t.add(F.message_length, blen, start + 3, 1);
      t.add(F.my_discriminator, r.peek32(4), start + 4, 4);
      t.add(F.your_discriminator, r.peek32(8), start + 8, 4);
      t.add(F.desired_min_tx_interval, tx, start + 12, 4);
      t.add(F.required_min_rx_interval, r.peek32(16), start + 16, 4);
      t.add(F.required_min_echo_interval, r.peek32(20), start + 20, 4);
    }
    if (version > 1) {
      line.s("BFDv").u(version).s(", Control, length: ").u(len);
      if (v >= 1) hexPrint(line, r, "\n\t", start, len);
      r.pos = r.cap;
      return;
    }
    const flagText = version === 0 ? bits(flags, V0_FLAGS) : bits(flags & 0x3f, V1_FLAGS);
    const head = version === 0 ? "Control" : `${PORT_NAME[port]}, State ${STATE[flags >> 6]}`;
    if (v < 1) {
      line.s(`BFDv${version}, ${head}, Flags: [${flagText}], length: ${len}`);
      r.pos = r.cap;
      return;
    }
    line.s(`BFDv${version}, length: ${len}\n\t${head}, Flags: [${flagText}], Diagnostic: ${DIAG[diag] ?? "unknown"} (0x${diag.toString(16).padStart(2, "0")})`);
    line.s(`\n\tDetection Timer Multiplier: ${mult} (${Math.floor((mult * tx) / 1000)} ms Detection time), BFD Length: ${blen}`);
    line.s(`\n\tMy Discriminator: 0x${hex8(r.peek32(4))}, Your Discriminator: 0x${hex8(r.peek32(8))}`);
    line.s(`\n\t  Desired min Tx Interval:    ${ms4(tx)} ms`);
    line.s(`\n\t  Required min Rx Interval:   ${ms4(r.peek32(16))} ms`);
    line.s(`\n\t  Required min Echo Interval: ${ms4(r.peek32(20))} ms`);
    r.pos = start + HEADER;
    if (flags & 0x04) {
      // the authentication section
      const a = start + HEADER;
      if (!r.has(4)) {
        r.skip(4);
        return;
      }
      const type = r.peek(0);
      const alen = r.peek(1);
      if (t.on) {
        t.add(F["auth.type"], type, a, 1);
        t.add(F["auth.len"], alen, a + 1, 1);
        t.add(F["auth.key"], r.peek(2), a + 2, 1);
      }
      line.s(`\n\tAuthentication: ${AUTH[type] ?? "Unknown"} (${type}), length: ${alen}`);
      line.s(`\n\t  Auth Key ID: ${r.peek(2)}`);
      if (type === 1) {
        if (alen < 4 || alen > 19) line.s(`[invalid length ${alen}]`);
        else {
          line.s(", Password: ");
          const n = alen - 3;
          const have = Math.min(n, Math.max(0, r.cap - (a + 3)));
          line.latin1(r.data, a + 3, have);
          if (have < n) {
            r.skip(r.cap - r.pos + 1);
            return;
          }
        }
      } else if (type >= 2 && type <= 5) {
        const md5 = type <= 3;
        const want = md5 ? 24 : 28;
        if (alen !== want) line.s(`[invalid length ${alen}]`);
        else {
          if (!r.has(8)) {
            r.skip(8);
            return;
          }
          line.s(`, Sequence Number: 0x${hex8(r.peek32(4))}`);
          if (t.on) t.add(F["auth.seq_num"], r.peek32(4), a + 4, 4);
          const hl = md5 ? 16 : 20;
          if (!r.has(8 + hl)) {
            r.skip(8 + hl);
            return;
          }
          let h = "";
          for (let i = 0; i < hl; i++) h += r.peek(8 + i).toString(16).padStart(2, "0");
          line.s(`${md5 ? "\n\t  Digest: " : "\n\t  Hash: "}${h}`);
        }
      }
    }
    r.pos = r.cap;
  },
};

bind("udp.port", [CONTROL, ECHO, MULTIHOP, LAG], BFD);
