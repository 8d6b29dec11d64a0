/**
 * EAP (RFC 3748) as tcpdump's eap_print writes it, shared by the carriers that print it: EAPOL (802.1X) and
 * RADIUS's EAP-Message attribute. Text only; each carrier adds its own truncation mark.
 */
import { printChar } from "./format.js";
import type { Reader } from "./reader.js";

export const EAP_CODE: Readonly<Record<number, string>> = { 1: "Request", 2: "Response", 3: "Success", 4: "Failure" };
export const EAP_TYPE: Readonly<Record<number, string>> = {
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

const CUT = { cut: true };

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/**
 * tcpdump's eap_print over [p, p + length) of the captured bytes: the text, and whether the capture ended
 * where tcpdump's bounds checks stop (the carrier then writes its " [|eap]" or " [|radius]").
 */
export function eapText(r: Reader, p: number, length: number): { text: string; cut: boolean } {
  let out = "";
  const u8 = (q: number) => {
    if (q + 1 > r.cap) throw CUT;
    return r.byteAt(q);
  };
  const u16 = (q: number) => (u8(q) << 8) | u8(q + 1);
  const text = (q: number, n: number) => {
    for (let i = 0; i < n; i++) {
      const c = u8(q + i);
      if (c === 0) return;
      out += printChar(c);
    }
  };
  try {
    body();
    return { text: out, cut: false };
  } catch (e) {
    if (e !== CUT) throw e;
    return { text: out, cut: true };
  }

  function body(): void {
    const code = u8(p);
    const len = u16(p + 2);
    if (len !== length) {
      out += "EAP fragment?";
      return;
    }
    out += `${EAP_CODE[code] ?? "unknown"} (${code}), id ${u8(p + 1)}, len ${len}`;
    if (len < 4) {
      out += " (too short for EAP header)";
      return;
    }
    if (p + len > r.cap) throw CUT;
    if (code !== 1 && code !== 2) return;
    if (len < 5) {
      out += " (too short for EAP request/response)";
      return;
    }
    const sub = u8(p + 4);
    out += `\n\t\t Type ${EAP_TYPE[sub] ?? "unknown"} (${sub})`;
    switch (sub) {
      case 1:
        if (len > 5) {
          out += ", Identity: ";
          text(p + 5, len - 5);
        }
        break;
      case 2:
        if (len < 6) return void (out += " (too short for EAP Notification request/response)");
        out += ", Notification: ";
        text(p + 5, len - 5);
        break;
      case 3: {
        if (len < 6) return void (out += " (too short for EAP Legacy NAK request/response)");
        let sep = "";
        for (let c = 5; c < len; c++) {
          const v = u8(p + c);
          out += `${sep} ${EAP_TYPE[v] ?? "unknown"} (${v})`;
          sep = ",";
        }
        break;
      }
      case 13:
      case 21:
      case 43: {
        const what = sub === 43 ? "FAST" : "TLS/TTLS";
        if (len < 6) return void (out += ` (too short for EAP ${what} request/response)`);
        const f = u8(p + 5);
        if (sub === 21) out += ` TTLSv${f & 7}`;
        if (sub === 43) out += ` FASTv${f & 7}`;
        const names: string[] = [];
        if (f & 0x80) names.push("L bit");
        if (f & 0x40) names.push("More fragments bit");
        if (f & 0x20) names.push("Start bit");
        out += ` flags [${names.length ? names.join(", ") : "none"}] 0x${hex2(f)}`;
        if (f & 0x80) {
          if (len < 10) return void (out += ` (too short for EAP ${what} request/response with length)`);
          out += `, len ${((u16(p + 6) << 16) >>> 0) + u16(p + 8)}`;
        }
        break;
      }
      case 18:
      case 23: {
        if (len < 6) return void (out += " (too short for EAP SIM/AKA request/response)");
        const s = u8(p + 5);
        out += ` subtype [${AKA_SUBTYPE[s] ?? "unknown"}] 0x${hex2(s)}`;
        break;
      }
    }
  }
}
