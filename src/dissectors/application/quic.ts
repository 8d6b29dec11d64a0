/**
 * QUIC (RFC 9000) on UDP port 443: the long header's invariant fields (RFC 8999) and, for version 1 and 2,
 * the packet type; short-header packets are shown as such. tcpdump 4.99 has no QUIC printer, so the
 * summary is its plain "UDP, length N". The tree uses Wireshark's names (quic.header_form,
 * quic.long.packet_type, quic.version, quic.dcid, quic.scid).
 */
import { bind } from "../registry.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

const VERSIONS: Readonly<Record<number, string>> = {
  0: "Negotiation",
  1: "1",
  0x6b3343cf: "2",
  0xff00001d: "draft-29",
};
const PACKET_TYPE: Readonly<Record<number, string>> = { 0: "Initial", 1: "0-RTT", 2: "Handshake", 3: "Retry" };

const F = fields("quic", {
  header_form: ["Header Form", "uint", { values: { 0: "Short Header", 1: "Long Header" } }],
  fixed_bit: ["Fixed Bit", "bool"],
  "long.packet_type": ["Packet Type", "uint", { values: PACKET_TYPE }],
  version: ["Version", "uint", { base: "hex", values: VERSIONS }],
  dcil: ["Destination Connection ID Length", "uint"],
  dcid: ["Destination Connection ID", "bytes"],
  scil: ["Source Connection ID Length", "uint"],
  scid: ["Source Connection ID", "bytes"],
  short: ["QUIC Short Header", "none"],
  supported_version: ["Supported Version", "uint", { base: "hex", values: VERSIONS }],
  remaining_payload: ["Remaining Payload", "bytes"],
});

function hexOf(r: Reader, p: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += r.byteAt(p + i).toString(16).padStart(2, "0");
  return s;
}
function u32(r: Reader, p: number): number {
  return (((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0);
}

export const QUIC: Protocol = {
  id: "quic",
  name: "QUIC",
  title: "QUIC IETF",
  fields: F,
  dissect(r, ctx, t) {
    ctx.line.s(`UDP, length ${r.reportedRemaining}`);
    if (t.on) {
      const p = r.pos;
      const cap = r.cap;
      // Google QUIC (versions "Q0xx") is another protocol to Wireshark (gquic.*): no quic.* fields for it
      const gquic = p + 2 <= cap && r.byteAt(p) & 0x80 && r.byteAt(p + 1) === 0x51;
      if (p < cap && !gquic) {
        const b = r.byteAt(p);
        t.add(F.header_form, b >> 7, p, 1);
        t.add(F.fixed_bit, (b & 0x40) !== 0, p, 1);
        if (b & 0x80) {
          if (p + 6 <= cap) {
            const ver = u32(r, p + 1);
            // Version 2 numbers the types differently (RFC 9369): Initial 1, 0-RTT 2, Handshake 3, Retry 0.
            const raw = (b >> 4) & 3;
            const type = ver === 0x6b3343cf ? (raw + 3) & 3 : raw;
            if (ver !== 0) t.add(F["long.packet_type"], type, p, 1);
            t.add(F.version, ver, p + 1, 4);
            let q = p + 5;
            const dcil = r.byteAt(q);
            t.add(F.dcil, dcil, q, 1);
            if (dcil <= 20 && q + 1 + dcil <= cap) {
              if (dcil) t.add(F.dcid, hexOf(r, q + 1, dcil), q + 1, dcil);
              q += 1 + dcil;
              if (q < cap) {
                const scil = r.byteAt(q);
                t.add(F.scil, scil, q, 1);
                if (scil <= 20 && q + 1 + scil <= cap) {
                  if (scil) t.add(F.scid, hexOf(r, q + 1, scil), q + 1, scil);
                  q += 1 + scil;
                  if (ver === 0) for (; q + 4 <= cap; q += 4) t.add(F.supported_version, u32(r, q), q, 4);
                }
              }
            } else if (dcil > 20) ctx.markMalformed("QUIC: connection ID longer than 20 bytes");
            if (q < cap) t.add(F.remaining_payload, null, q, cap - q, `${cap - q} bytes`);
          }
        } else t.add(F.short, null, p, cap - p, `${cap - p} bytes`);
      }
    }
    r.pos = r.cap;
  },
};

bind("udp.port", 443, QUIC);
