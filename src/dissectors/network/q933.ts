/**
 * Q.933 (ITU-T Q.933 / ANSI T1.617 Annex D: Frame Relay signalling and LMI), reached through OSI NLPID 0x08
 * (network/osi.ts: PPP's OSI protocol, LLC SAP 0xfe, Cisco HDLC), as tcpdump 4.99's q933_print (print-fr.c)
 * prints it:
 *   "Q.933, CCITT, codeset 0, Status Enquiry, TX Seq:  12, RX Seq:  11, length 14"
 * (with -e the "Q.933" is left out: OSI's "OSI NLPID Q.933 (0x08): " names it). The call reference is printed
 * when it is not the dummy one; a locking shift to codeset 5 makes it "ANSI". Without -v only the link verify
 * and PVC status IEs print (", " before each), then ", length N"; with -v the message type's code and the
 * length, then each IE on its own line ("\n\tCCITT Link Verify IE (0x53), length 2: TX Seq: ..."), an unknown
 * one as a hex dump. A cut prints tcpdump's " [|q.933]". The loop over IEs moves at least one byte each time.
 *
 * Fields: tshark decodes this PDU with its Q.931 dissector (frame.protocols "...:osi:q931"), from the NLPID on:
 * q931.disc (the NLPID), q931.call_ref_len, q931.call_ref, q931.message_type.
 */
import { bind } from "../registry.js";
import { hex } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";
import type { Line } from "../line.js";

const MSG: Readonly<Record<number, string>> = {
  0x00: "ESC to National",
  0x01: "Alert",
  0x02: "Call proceeding",
  0x07: "Connect",
  0x0f: "Connect ACK",
  0x03: "Progress",
  0x05: "Setup",
  0x45: "Disconnect",
  0x4d: "Release",
  0x5a: "Release Complete",
  0x46: "Restart",
  0x4e: "Restart ACK",
  0x7d: "Status Reply",
  0x75: "Status Enquiry",
};
/** IE names of codesets 0 and 5 (tcpdump decodes no other codeset) */
const IE: Readonly<Record<number, string>> = {
  0x01: "ANSI Report Type",
  0x19: "ANSI Link Verify",
  0x03: "ANSI Link Verify",
  0x07: "ANSI PVC Status",
  0x51: "CCITT Report Type",
  0x53: "CCITT Link Verify",
  0x57: "CCITT PVC Status",
};
const REPORT: Readonly<Record<number, string>> = { 0: "Full Status", 1: "Link verify", 2: "Async PVC Status" };

const F = fields("q931", {
  disc: ["Protocol discriminator", "uint", { base: "hex" }],
  call_ref_len: ["Call reference value length", "uint"],
  call_ref: ["Call reference value", "bytes"],
  message_type: ["Message type", "uint", { base: "hex", values: MSG }],
});

/** "%3d" */
function pad3(n: number): string {
  return String(n).padStart(3, " ");
}

/** A known IE of codeset 0 or 5 (tcpdump's fr_q933_print_ie_codeset_0_5); false: not one it knows. */
function knownIe(line: Line, r: Reader, v: number, code: number, len: number, p: number): boolean {
  const b = (i: number) => r.byteAt(p + i);
  switch (code) {
    case 0x01:
    case 0x51:
      if (len < 1) {
        if (!v) line.s(", ");
        line.s("Invalid REPORT TYPE IE");
      } else if (v) line.s(`${REPORT[b(0)] ?? "unknown"} (${b(0)})`);
      return true;
    case 0x03:
    case 0x53:
    case 0x19:
      if (!v) line.s(", ");
      if (len < 2) line.s("Invalid LINK VERIFY IE");
      else line.s(`TX Seq: ${pad3(b(0))}, RX Seq: ${pad3(b(1))}`);
      return true;
    case 0x07:
    case 0x57: {
      if (!v) line.s(", ");
      const last = b(len - 1);
      if (
        len < 3 ||
        b(0) & 0x80 ||
        (len === 3 && !(b(1) & 0x80)) ||
        (len === 4 && (b(1) & 0x80 || !(b(2) & 0x80))) ||
        (len === 5 && (b(1) & 0x80 || b(2) & 0x80 || !(b(3) & 0x80))) ||
        len > 5 ||
        !(last & 0x80)
      ) {
        line.s("Invalid DLCI in PVC STATUS IE");
        return true;
      }
      let dlci = ((b(0) & 0x3f) << 4) | ((b(1) & 0x78) >> 3);
      if (len === 4) dlci = (dlci << 6) | ((b(2) & 0x7e) >> 1);
      else if (len === 5) dlci = (dlci << 13) | (b(2) & 0x7f) | ((b(3) & 0x7e) >> 1);
      line.s(`DLCI ${dlci}: status ${last & 0x8 ? "New, " : ""}${last & 0x2 ? "Active" : "Inactive"}`);
      return true;
    }
  }
  return false;
}

export const Q933: Protocol = {
  id: "q931",
  name: "Q.933",
  title: "Q.931",
  truncName: "q.933",
  fields: F,
  dissect(r, ctx, t) {
    const line = ctx.line;
    const e = ctx.opts.linkHeader;
    const v = ctx.opts.verbose;
    const start = r.pos;
    if (t.on) t.add(F.disc, r.byteAt(start), start, 1);
    let p = start + 1;
    let length = Math.max(0, r.rep - p);
    const olen = length;
    const cut = (): void => {
      line.s(" [|q.933]");
      ctx.truncated = true;
      r.pos = r.cap;
    };
    const has = (n: number) => p + n <= r.cap;
    /** a cut before the header's end: ", length N" (no comma with -e) and the mark */
    const early = (n: number): void => {
      line.s(e ? "" : ", ").s(`length ${n}`);
      cut();
    };
    if (!e) line.s("Q.933");
    if (length === 0 || !has(1)) return early(length);
    const crl = r.byteAt(p) & 0x0f;
    if (t.on) t.add(F.call_ref_len, crl, p, 1);
    p++;
    length--;
    const crStart = p;
    for (let i = 0; i < crl; i++) {
      if (length === 0 || !has(1)) return early(olen);
      p++;
      length--;
    }
    if (t.on && crl > 0) t.add(F.call_ref, null, crStart, crl);
    if (length === 0 || !has(1)) return early(olen);
    const msgtype = r.byteAt(p);
    if (t.on) t.add(F.message_type, msgtype, p, 1);
    p++;
    length--;
    // a shift first: its codeset (a locking shift to codeset 5 is ANSI T1.617 Annex D)
    let codeset = 0,
      ansi = false,
      nonLocking = 0,
      unshift = 0;
    if (length !== 0) {
      if (!has(1)) return early(olen);
      const ie = r.byteAt(p);
      if ((ie & 0xf0) === 0x90) {
        p++;
        length--;
        codeset = ie & 7;
        if (!(ie & 0x08)) {
          if (codeset === 5) ansi = true;
        } else {
          nonLocking = 1;
          unshift = 0;
        }
      }
    }
    line.s(e ? "" : ", ").s(`${ansi ? "ANSI" : "CCITT"}, codeset ${codeset}`);
    if (crl !== 0) {
      if (!has(1)) return cut();
      if (crl > 1 || r.byteAt(p) !== 0) {
        line.s(", Call Ref: 0x");
        for (let i = 0; i < crl; i++) line.s(hex(r.byteAt(crStart + i), 2));
      }
    }
    if (v) line.s(`, ${MSG[msgtype] ?? "unknown message"} (0x${hex(msgtype, 2)}), length ${olen}`);
    else line.s(`, ${MSG[msgtype] ?? `unknown message 0x${hex(msgtype, 2)}`}`);
    // the IEs: each moves p on by at least one byte
    while (length !== 0) {
      if (nonLocking === 1) nonLocking = 2;
      else if (nonLocking === 2) {
        codeset = unshift;
        nonLocking = 0;
      }
      if (!has(1)) {
        if (!v) line.s(`, length ${olen}`);
        return cut();
      }
      const code = r.byteAt(p);
      p++;
      length--;
      if (code & 0x80) {
        // a single-octet IE: a shift changes the codeset (a non-locking one for the next IE only)
        if ((code & 0xf0) === 0x90) {
          if (!(code & 0x08)) nonLocking = 0;
          else {
            nonLocking = 1;
            unshift = codeset;
          }
          codeset = code & 7;
        }
        continue;
      }
      if (length === 0 || !has(1)) {
        if (!v) line.s(`, length ${olen}`);
        return cut();
      }
      const len = r.byteAt(p);
      p++;
      length--;
      const names = codeset === 0 || codeset === 5 ? IE : null;
      if (v) line.s(`\n\t${names?.[code] ?? "unknown"} IE (0x${hex(code, 2)}), length ${len}: `);
      if (code === 0 || len === 0) {
        r.pos = r.cap;
        return;
      }
      if (length < len || !has(len)) {
        if (!v) line.s(`, length ${olen}`);
        return cut();
      }
      const known = names !== null && knownIe(line, r, v, code, len, p);
      if (known ? v > 1 : v >= 1) hexPrint(line, r, known ? "\n\t  " : "\n\t", p, len);
      length -= len;
      p += len;
    }
    if (!v) line.s(`, length ${olen}`);
    r.pos = r.cap;
  },
};

bind("osi.nlpid", 0x08, Q933);
