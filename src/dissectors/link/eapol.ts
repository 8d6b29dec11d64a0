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
import type { Line } from "../line.js";
import type { Reader } from "../reader.js";

const FRAME: Readonly<Record<number, string>> = { 0: "EAP packet", 1: "EAPOL start", 2: "EAPOL logoff", 3: "EAPOL key", 4: "Encapsulated ASF alert" };
const CODE: Readonly<Record<number, string>> = { 1: "Request", 2: "Response", 3: "Success", 4: "Failure" };
const TYPE: Readonly<Record<number, string>> = {
  0: "No proposed",
  1: "Identity",
  2: "Notification",
  3: "Nak",
  4: "MD5-challenge",
  5: "OTP",
  6: "GTC",
  13: "TLS",
  18: "SIM",
  21: "TTLS",
  23: "AKA",
  43: "FAST",
  254: "Expanded types",
  255: "Experimental",
};
const AKA_SUBTYPE: Readonly<Record<number, string>> = {
  1: "Challenge",
  2: "Auth reject",
  4: "Sync failure",
  5: "Identity",
  10: "Start",
  11: "Challenge",
  12: "Notification",
  13: "Reauth",
  14: "Client error",
};

const F = fields("eapol", {
  version: ["Version", "uint"],
  type: ["Type", "uint", { values: FRAME }],
  len: ["Length", "uint"],
});
const E = fields("eap", {
  code: ["Code", "uint", { values: CODE }],
  id: ["Id", "uint"],
  len: ["Length", "uint"],
  type: ["Type", "uint", { values: TYPE }],
  identity: ["Identity", "string"],
});

/** Thrown where tcpdump's GET_ macros would end the line with " [|eap]". */
const CUT = { cut: true };

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/** tcpdump's eap_print from p, `length` bytes announced by EAPOL. */
function eap(r: Reader, line: Line, p: number, length: number): void {
  const u8 = (q: number) => {
    if (q + 1 > r.cap) throw CUT;
    return r.byteAt(q);
  };
  const u16 = (q: number) => (u8(q) << 8) | u8(q + 1);
  const text = (q: number, n: number) => {
    for (let i = 0; i < n; i++) {
      let c = u8(q + i);
      if (c === 0) return;
      let s = "";
      if (c >= 0x80) {
        c &= 0x7f;
        s += "M-";
      }
      if (c < 0x20 || c === 0x7f) {
        c ^= 0x40;
        s += "^";
      }
      line.s(s + String.fromCharCode(c));
    }
  };
  const code = u8(p);
  const len = u16(p + 2);
  if (len !== length) {
    line.s("EAP fragment?");
    return;
  }
  line.s(`${CODE[code] ?? "unknown"} (${code}), id ${u8(p + 1)}, len ${len}`);
  if (len < 4) {
    line.s(" (too short for EAP header)");
    return;
  }
  if (p + len > r.cap) throw CUT;
  if (code !== 1 && code !== 2) return;
  if (len < 5) {
    line.s(" (too short for EAP request/response)");
    return;
  }
  const sub = u8(p + 4);
  line.s(`\n\t\t Type ${TYPE[sub] ?? "unknown"} (${sub})`);
  switch (sub) {
    case 1:
      if (len > 5) {
        line.s(", Identity: ");
        text(p + 5, len - 5);
      }
      break;
    case 2:
      if (len < 6) return void line.s(" (too short for EAP Notification request/response)");
      line.s(", Notification: ");
      text(p + 5, len - 5);
      break;
    case 3: {
      if (len < 6) return void line.s(" (too short for EAP Legacy NAK request/response)");
      let sep = "";
      for (let c = 5; c < len; c++) {
        const v = u8(p + c);
        line.s(`${sep} ${TYPE[v] ?? "unknown"} (${v})`);
        sep = ",";
      }
      break;
    }
    case 13:
    case 21:
    case 43: {
      const what = sub === 43 ? "FAST" : "TLS/TTLS";
      if (len < 6) return void line.s(` (too short for EAP ${what} request/response)`);
      const f = u8(p + 5);
      if (sub === 21) line.s(` TTLSv${f & 7}`);
      if (sub === 43) line.s(` FASTv${f & 7}`);
      const names: string[] = [];
      if (f & 0x80) names.push("L bit");
      if (f & 0x40) names.push("More fragments bit");
      if (f & 0x20) names.push("Start bit");
      line.s(` flags [${names.length ? names.join(", ") : "none"}] 0x${hex2(f)}`);
      if (f & 0x80) {
        if (len < 10) return void line.s(` (too short for EAP ${what} request/response with length)`);
        line.s(`, len ${((u16(p + 6) << 16) >>> 0) + u16(p + 8)}`);
      }
      break;
    }
    case 18:
    case 23: {
      if (len < 6) return void line.s(" (too short for EAP SIM/AKA request/response)");
      const s = u8(p + 5);
      line.s(` subtype [${AKA_SUBTYPE[s] ?? "unknown"}] 0x${hex2(s)}`);
      break;
    }
  }
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
