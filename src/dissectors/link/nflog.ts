/**
 * Linux NFLOG (link type 239, DLT_NFLOG): packets logged by netfilter's NFLOG target, a 4-byte header
 * (family, version, resource id) and TLVs in the host's byte order (little-endian here, as tcpdump reads them
 * on x86); the payload TLV (type 9) holds the IPv4 or IPv6 packet. tcpdump (print-nflog.c) prints only the
 * packet without -e, and with -e "version 0, resource ID 1, family IPv4 (2), length 84: " before it.
 * A TLV that runs off the captured bytes prints " [|nflog]"; a family other than IPv4/IPv6 prints the header.
 * Fields: Wireshark's nflog.* names.
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { fields, type Protocol } from "../types.js";

const AF_INET = 2;
const AF_INET6 = 10;
const FAMILY_NAMES: Readonly<Record<number, string>> = { [AF_INET]: "IPv4", [AF_INET6]: "IPv6" };
const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;
const HDR = 4;
/** TLVs per packet at most (each is at least 4 bytes; this bounds a crafted packet's walk) */
const MAX_TLVS = 4096;

const F = fields("nflog", {
  family: ["Family", "uint", { values: FAMILY_NAMES }],
  version: ["Version", "uint"],
  resId: ["Resource id", "uint", { name: "nflog.res_id" }],
  tlvLength: ["Length", "uint", { name: "nflog.tlv_length" }],
  tlvType: ["Type", "uint", { name: "nflog.tlv_type" }],
  prefix: ["Prefix", "string"],
});

export const NFLOG: Protocol = {
  id: "nflog",
  name: "NFLOG",
  title: "Linux Netfilter NFLOG",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const line = ctx.line;
    const family = r.u8();
    const version = r.u8();
    const rid = r.u16();
    if (r.truncated) return; // " [|nflog]"
    if (t.on) {
      t.add(F.family, family, start, 1);
      t.add(F.version, version, start + 1, 1);
      t.add(F.resId, rid, start + 2, 2);
    }
    if (version !== 0) {
      line.s(`version ${version} (unknown)`);
      r.pos = r.cap;
      return;
    }
    const header = (length: number) =>
      line.s(`version ${version}, resource ID ${rid}${ctx.opts.quiet ? "" : `, family ${FAMILY_NAMES[family] ?? "Unknown"} (${family})`}, length ${length}: `);
    if (ctx.opts.linkHeader) header(ctx.wirelen);
    for (let n = 0; r.reportedRemaining > 0 && n < MAX_TLVS; n++) {
      const p = r.pos;
      if (!r.has(4)) {
        line.s(" [|nflog]");
        ctx.truncated = true;
        r.pos = r.cap;
        return;
      }
      const len = r.u16le();
      const type = r.u16le();
      let size = len;
      if (size % 4) size += 4 - (size % 4);
      if (size < 4 || !r.has(size - 4)) {
        line.s(" [|nflog]");
        ctx.truncated = true;
        r.pos = r.cap;
        return;
      }
      if (t.on) {
        t.add(F.tlvLength, len, p, 2);
        t.add(F.tlvType, type, p + 2, 2);
        if (type === NFULA_PREFIX && len > 4) {
          let e = p + 4;
          while (e < p + len && r.byteAt(e) !== 0) e++;
          t.add(F.prefix, r.latin1At(p + 4, e - p - 4), p + 4, len - 4);
        }
      }
      if (type === NFULA_PAYLOAD) break;
      r.pos = p + size;
    }
    if (family === AF_INET) return ctx.next("ethertype", ETHERTYPE.IPV4);
    if (family === AF_INET6) return ctx.next("ethertype", ETHERTYPE.IPV6);
    if (!ctx.opts.linkHeader) header(r.reportedRemaining + HDR);
    r.pos = r.cap;
  },
};

bind("linktype", 239, NFLOG);
