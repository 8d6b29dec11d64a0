/**
 * MPLS label stacks (RFC 3032): ethertypes 0x8847/0x8848, MPLS in IP (protocol 137), MPLS over UDP (port 6635,
 * RFC 7510) and GRE. tcpdump's line (print-mpls.c):
 *   "MPLS (label 100656, tc 6, [S], ttl 64) IP 12.4.4.4.4100 > 12.8.8.8.179: ..."
 * each entry "(label L, tc T[, [S]], ttl N)"; with -v a reserved label's name follows the number
 * ("label 0 (IPv4 explicit NULL)") and each further entry and the payload start a continuation line "\n\t".
 * The payload after the bottom of the stack is IPv4 for labels 0 and 3, IPv6 for 2, and otherwise guessed from
 * its first byte (0x45-0x4f IPv4, 0x60-0x6f IPv6); anything else is not printed (tcpdump's default print).
 * Fields are Wireshark's: mpls.label, mpls.exp, mpls.bottom, mpls.ttl.
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { fields, type Protocol } from "../types.js";

const LABEL_NAMES: readonly string[] = ["IPv4 explicit NULL", "router alert", "IPv6 explicit NULL", "implicit NULL"];

const F = fields("mpls", {
  label: ["MPLS Label", "uint"],
  exp: ["MPLS Experimental Bits", "uint"],
  bottom: ["MPLS Bottom Of Label Stack", "uint"],
  ttl: ["MPLS TTL", "uint"],
});

/** A stack deeper than this is not a label stack (the network can send any number of entries). */
const MAX_LABELS = 64;

export const MPLS: Protocol = {
  id: "mpls",
  name: "MPLS",
  title: "MultiProtocol Label Switching Header",
  fields: F,
  dissect(r, ctx, t) {
    const line = ctx.line;
    const v = ctx.opts.verbose > 0;
    line.s("MPLS");
    let entry = 0;
    let depth = 0;
    do {
      if (r.reportedRemaining < 4) {
        line.s(" (invalid)");
        // the engine prints " [|mpls]" after it when the rest was not captured either
        if (r.skip(r.reportedRemaining)) r.pos = r.cap;
        return;
      }
      if (depth >= MAX_LABELS) {
        r.pos = r.cap;
        return;
      }
      const p = r.pos;
      entry = r.u32();
      if (r.truncated) return; // " [|mpls]"
      const label = entry >>> 12;
      const tc = (entry >> 9) & 7;
      const s = (entry >> 8) & 1;
      const ttl = entry & 0xff;
      if (t.on) {
        t.add(F.label, label, p, 3);
        t.add(F.exp, tc, p + 2, 1);
        t.add(F.bottom, s, p + 2, 1);
        t.add(F.ttl, ttl, p + 3, 1);
      }
      line.s(depth > 0 && v ? "\n\t(label " : " (label ").u(label);
      if (v && label < 16) line.s(` (${LABEL_NAMES[label] ?? "rsvd"})`);
      line.s(", tc ").u(tc);
      if (s) line.s(", [S]");
      line.s(", ttl ").u(ttl).c(0x29);
      depth++;
    } while (!(entry & 0x100));
    const label = entry >>> 12;
    let type = 0;
    if (label === 0 || label === 3) type = ETHERTYPE.IPV4;
    else if (label === 2) type = ETHERTYPE.IPV6;
    else {
      if (r.reportedRemaining < 1) return;
      if (!r.has(1)) {
        r.skip(1); // " [|mpls]"
        return;
      }
      const first = r.peek();
      if (first >= 0x45 && first <= 0x4f) type = ETHERTYPE.IPV4;
      else if (first >= 0x60 && first <= 0x6f) type = ETHERTYPE.IPV6;
      else return;
    }
    line.s(v ? "\n\t" : " ");
    return ctx.next("ethertype", type);
  },
};

bind("ethertype", [ETHERTYPE.MPLS, 0x8848], MPLS);
bind("ip.proto", 137, MPLS);
bind("udp.port", 6635, MPLS);
