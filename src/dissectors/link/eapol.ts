/**
 * EAPOL, 802.1X EAP over LAN (ethertype 0x888e), as tcpdump 4.99's eapol_print / eap_print (print-eap.c):
 *   "EAP packet (0) v1, len 5"          "EAPOL start (1) v1, len 0"          "EAPOL key (3) v1, len 95"
 * and with -v, for an EAP packet, the EAP header and the request / response type:
 *   "EAP packet (0) v1, len 45, Response (2), id 2, len 45\n\t\t Type Identity (1), Identity: user@realm"
 * (Identity and Notification texts, Legacy NAK's types, TLS/TTLS/FAST flags and length, SIM/AKA subtypes).
 * A zero-length EAP packet at -v and EAP bytes the capture cut print tcpdump's " [|eap]".
 * Fields use Wireshark's names (eapol.version, eapol.type, eapol.len, eap.code, eap.id, eap.len, eap.type).
 */
import { bind } from "../registry.js";
import { fields, type Protocol } from "../types.js";
import { EAP_CODE, EAP_TYPE, eapText } from "../eap-print.js";
import type { Line } from "../line.js";
import type { Reader } from "../reader.js";

const FRAME: Readonly<Record<number, string>> = { 0: "EAP packet", 1: "EAPOL start", 2: "EAPOL logoff", 3: "EAPOL key", 4: "Encapsulated ASF alert" };
const F = fields("eapol", {
  version: ["Version", "uint"],
  type: ["Type", "uint", { values: FRAME }],
  len: ["Length", "uint"],
});
const E = fields("eap", {
  code: ["Code", "uint", { values: EAP_CODE }],
  id: ["Id", "uint"],
  len: ["Length", "uint"],
  type: ["Type", "uint", { values: EAP_TYPE }],
  identity: ["Identity", "string"],
});

/** Thrown where tcpdump's GET_ macros would end the line with " [|eap]". */
const CUT = { cut: true };

/** tcpdump's eap_print from p, `length` bytes announced by EAPOL. */
function eap(r: Reader, line: Line, p: number, length: number): void {
  const e = eapText(r, p, length);
  line.s(e.text);
  if (e.cut) throw CUT;
}

export const EAPOL: Protocol = {
  id: "eapol",
  name: "EAPOL",
  title: "802.1X Authentication",
  truncName: "eap",
  fields: F,
  dissect(r, ctx, t) {
    const o = r.pos;
    const line = ctx.line;
    if (!r.has(4)) {
      r.skip(4); // " [|eap]" and nothing before it, as tcpdump's ND_TCHECK_SIZE
      return;
    }
    const version = r.peek(0);
    const type = r.peek(1);
    const len = r.peek16(2);
    line.s(`${FRAME[type] ?? "unknown"} (${type}) v${version}, len ${len}`);
    if (t.on) {
      t.add(F.version, version, o, 1);
      t.add(F.type, type, o + 1, 1);
      t.add(F.len, len, o + 2, 2);
      if (type === 0 && r.has(8)) {
        t.add(E.code, r.peek(4), o + 4, 1);
        t.add(E.id, r.peek(5), o + 5, 1);
        t.add(E.len, r.peek16(6), o + 6, 2);
        const el = r.peek16(6);
        if ((r.peek(4) === 1 || r.peek(4) === 2) && r.has(9)) {
          t.add(E.type, r.peek(8), o + 8, 1);
          if (r.peek(8) === 1 && el > 5 && r.has(4 + el)) t.add(E.identity, r.latin1At(o + 9, el - 5), o + 9, el - 5);
        }
      }
    }
    r.pos = r.cap;
    if (ctx.opts.verbose < 1 || type !== 0) return;
    if (len === 0) {
      r.truncated = true;
      return;
    }
    line.s(", ");
    try {
      eap(r, line, o + 4, len);
    } catch (e) {
      if (e !== CUT) throw e;
      r.truncated = true;
    }
  },
};

bind("ethertype", 0x888e, EAPOL);
