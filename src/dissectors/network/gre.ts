/**
 * GRE (RFC 2784, RFC 2890; version 1 is PPTP's enhanced GRE, RFC 2637), as tcpdump's print-gre.c:
 *   "GREv0, length 48: IP 10.0.0.1 > 10.0.0.2: ICMP echo request, ..."
 *   "GREv0, key=0x3e8, seq 1, length 56: ..." and, with -v, "GREv0, Flags [key present, ...], ..." followed
 *   by the inner packet on the next line ("\n\t").
 * The payload goes to "ethertype" by the protocol type (0x6558, bridged Ethernet, to the Ethernet dissector);
 * a type no one decodes prints "gre-proto-0x...".
 */
import { bind, lookup } from "../registry.js";
import { ETHERTYPE_NAMES, IPPROTO, LINKTYPE } from "../constants.js";
import { fields, type Protocol } from "../types.js";

const CP = 0x8000,
  RP = 0x4000,
  KP = 0x2000,
  SP = 0x1000,
  SSR = 0x0800,
  AP = 0x0080;
const TEB = 0x6558;

const FLAG_NAMES: Array<[number, string]> = [
  [CP, "checksum present"],
  [RP, "routing present"],
  [KP, "key present"],
  [SP, "sequence# present"],
  [SSR, "source routing present"],
  [AP, "acknowledgment# present"],
];

const F = fields("gre", {
  flags_and_version: ["Flags and Version", "uint", { base: "hex" }],
  "flags.checksum": ["Checksum Bit", "bool"],
  "flags.routing": ["Routing Bit", "bool"],
  "flags.key": ["Key Bit", "bool"],
  "flags.sequence_number": ["Sequence Number Bit", "bool"],
  "flags.version": ["Version", "uint"],
  proto: ["Protocol Type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
  checksum: ["Checksum", "uint", { base: "hex" }],
  offset: ["Offset", "uint"],
  key: ["Key", "uint", { base: "hex" }],
  "key.payload_length": ["Payload Length", "uint"],
  "key.call_id": ["Call ID", "uint"],
  sequence_number: ["Sequence Number", "uint"],
  ack_number: ["Acknowledgment Number", "uint"],
});

/** What a protocol in the "gre.proto" table needs of the GRE header before it (ERSPAN: type I has no sequence number). */
export const greHeader = { seq: false, proto: 0 };

/** tcpdump's names where they differ from the shared table */
function protoName(p: number): string {
  return p === TEB ? "TEB" : (ETHERTYPE_NAMES[p] ?? "unknown");
}

function flagText(f: number): string {
  const out: string[] = [];
  for (const [b, n] of FLAG_NAMES) if (f & b) out.push(n);
  return out.length ? out.join(", ") : "none";
}

export const GRE: Protocol = {
  id: "gre",
  name: "GRE",
  title: "Generic Routing Encapsulation",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    const v = ctx.opts.verbose > 0;
    const flags = r.u16();
    if (r.truncated) return;
    const vers = flags & 7;
    if (t.on) {
      t.push(F.flags_and_version, flags, start, 2);
      t.add(F["flags.checksum"], (flags & CP) !== 0, start, 2);
      t.add(F["flags.routing"], (flags & RP) !== 0, start, 2);
      t.add(F["flags.key"], (flags & KP) !== 0, start, 2);
      t.add(F["flags.sequence_number"], (flags & SP) !== 0, start, 2);
      t.add(F["flags.version"], vers, start, 2);
      t.pop();
    }
    ctx.line.s(`GREv${vers}`);
    if (vers > 1) {
      ctx.line.s(" ERROR: unknown-version");
      r.pos = r.cap;
      return;
    }
    if (v) ctx.line.s(`, Flags [${flagText(flags)}]`);
    const prot = r.u16();
    if (r.truncated) return;
    if (t.on) t.add(F.proto, prot, start + 2, 2);
    let s = "";
    if (vers === 0) {
      if (flags & (CP | RP)) {
        const sum = r.u16();
        if (r.truncated) {
          ctx.line.s(s);
          return;
        }
        if (t.on) t.add(F.checksum, sum, r.pos - 2, 2);
        if (v) s += `, sum 0x${sum.toString(16)}`;
        const off = r.u16();
        if (r.truncated) {
          ctx.line.s(s);
          return;
        }
        if (t.on) t.add(F.offset, off, r.pos - 2, 2);
        s += `, off 0x${off.toString(16)}`;
      }
      if (flags & KP) {
        const key = r.u32();
        if (r.truncated) {
          ctx.line.s(s);
          return;
        }
        if (t.on) t.add(F.key, key, r.pos - 4, 4);
        s += `, key=0x${key.toString(16)}`;
      }
      if (flags & SP) {
        const seq = r.u32();
        if (r.truncated) {
          ctx.line.s(s);
          return;
        }
        if (t.on) t.add(F.sequence_number, seq, r.pos - 4, 4);
        s += `, seq ${seq}`;
      }
      if (flags & RP) {
        // Source route entries (RFC 1701): skipped up to the null entry; tcpdump prints them, rarely seen.
        for (let i = 0; i < 64; i++) {
          const af = r.u16();
          r.u8();
          const sreLen = r.u8();
          if (r.truncated) {
            ctx.line.s(s);
            return;
          }
          if (af === 0 && sreLen === 0) break;
          // tcpdump names the address family; the entries themselves are skipped here
          s += af === 0x0800 ? ", (rtaf=ip)" : af === 0xfffe ? ", (rtaf=asn)" : `, (rtaf=0x${af.toString(16)})`;
          if (!r.skip(sreLen)) {
            ctx.line.s(s);
            return;
          }
        }
      }
      if (ctx.opts.linkHeader) s += `, proto ${protoName(prot)} (0x${prot.toString(16).padStart(4, "0")})`;
      s += `, length ${length}`;
    } else {
      if (flags & KP) {
        const plen = r.u16();
        const call = r.u16();
        if (r.truncated) {
          ctx.line.s(s);
          return;
        }
        if (t.on) {
          t.add(F["key.payload_length"], plen, r.pos - 4, 2);
          t.add(F["key.call_id"], call, r.pos - 2, 2);
        }
        s += `, call ${call}`;
      }
      if (flags & SP) {
        const seq = r.u32();
        if (r.truncated) {
          ctx.line.s(s);
          return;
        }
        if (t.on) t.add(F.sequence_number, seq, r.pos - 4, 4);
        s += `, seq ${seq}`;
      }
      if (flags & AP) {
        const ack = r.u32();
        if (r.truncated) {
          ctx.line.s(s);
          return;
        }
        if (t.on) t.add(F.ack_number, ack, r.pos - 4, 4);
        s += `, ack ${ack}`;
      }
      if (!(flags & SP)) s += ", no-payload";
      if (ctx.opts.linkHeader) s += `, proto ${protoName(prot)} (0x${prot.toString(16).padStart(4, "0")})`;
      s += `, length ${length}`;
      if (!(flags & SP)) {
        ctx.line.s(s);
        r.pos = r.cap;
        return;
      }
    }
    s += v ? "\n\t" : ": ";
    ctx.line.s(s);
    ctx.addrPrinted = false; // the inner packet prints its own addresses
    if (prot === TEB) return ctx.next("linktype", LINKTYPE.EN10MB);
    // protocols that exist only inside GRE (ERSPAN): the "gre.proto" table, before the ethertypes
    greHeader.seq = vers === 0 && (flags & SP) !== 0;
    greHeader.proto = prot;
    if (lookup("gre.proto", prot)) return ctx.next("gre.proto", prot);
    if (!lookup("ethertype", prot)) {
      ctx.line.s(`gre-proto-0x${prot.toString(16)}`);
      r.pos = r.cap;
      return;
    }
    return ctx.next("ethertype", prot);
  },
};

bind("ip.proto", IPPROTO.GRE, GRE);
