/**
 * BGP-4 (RFC 4271) on TCP port 179, messages contained in one segment (no reassembly).
 * tcpdump's summary (print-bgp.c, without -v) is ": BGP" for every segment with a payload, whatever its bytes.
 * With -v tcpdump walks the segment for 16-byte all-ones markers and prints each message's header line
 * ("\n\tKeepalive Message (4), length: 19"); tsniff prints those header lines, the framing errors tcpdump
 * prints (" [|bgp]", "[|BGP Open]" for a cut message, "message length 5 < 19 (invalid)"), and the OPEN message's first line
 * and optional-parameters length; the bodies of OPEN parameters, UPDATE, NOTIFICATION and ROUTE-REFRESH
 * messages are not decoded in the line yet (tcpdump's -v text for them differs).
 * The tree has Wireshark's fields: bgp.marker, bgp.length, bgp.type and, for OPEN, bgp.open.version,
 * bgp.open.myas, bgp.open.holdtime, bgp.open.identifier, bgp.open.opt.len.
 */
import { bind } from "../registry.js";
import { ipv4At } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

/** tcpdump's message names (bgp_msg_values). */
const MSG: Readonly<Record<number, string>> = {
  1: "Open",
  2: "Update",
  3: "Notification",
  4: "Keepalive",
  5: "Route Refresh",
};
/** Wireshark's names for bgp.type. */
const WS_TYPE: Readonly<Record<number, string>> = {
  1: "OPEN Message",
  2: "UPDATE Message",
  3: "NOTIFICATION Message",
  4: "KEEPALIVE Message",
  5: "ROUTE-REFRESH Message",
  6: "CAPABILITY Message",
};

const F = fields("bgp", {
  marker: ["Marker", "bytes"],
  length: ["Length", "uint"],
  type: ["Type", "uint", { values: WS_TYPE }],
  "open.version": ["Version", "uint"],
  "open.myas": ["My AS", "uint"],
  "open.holdtime": ["Hold Time", "uint"],
  "open.identifier": ["BGP Identifier", "ipv4"],
  "open.opt.len": ["Optional Parameters Length", "uint"],
});

const HEADER = 19;

export const BGP: Protocol = {
  id: "bgp",
  name: "BGP",
  title: "Border Gateway Protocol",
  fields: F,
  dissect(r, ctx, t) {
    ctx.line.s(": BGP");
    if (ctx.opts.verbose > 0 || t.on) walk(r, ctx, t);
    r.pos = r.cap;
  },
};

bind("tcp.port", 179, BGP);

/** Whether the 16 bytes at p are all 0xff (the caller has checked they are captured). */
function isMarker(r: Reader, p: number): boolean {
  for (let i = 0; i < 16; i++) if (r.byteAt(p + i) !== 0xff) return false;
  return true;
}

/** tcpdump's bgp_print loop: find each marker, print each whole message; the tree gets the same messages. */
function walk(r: Reader, ctx: Ctx, t: TreeSink): void {
  const verbose = ctx.opts.verbose > 0;
  const base = r.pos;
  // tcpdump's end is the lesser of the captured end and the end of the TCP payload
  const ep = Math.min(r.cap, base + r.reportedRemaining);
  const u8 = (o: number): number => r.byteAt(o);
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  let p = base;
  let start = base;
  let out = "";
  let trunc = false;
  // an unindented line of tcpdump's after the messages (a bogus or cut message), written with nl()
  let own = "";
  // every pass moves p forward by at least one byte, so the loop is bounded by the segment's length
  while (p < ep) {
    if (u8(p) !== 0xff) {
      p++;
      continue;
    }
    if (p + 16 > ep) break;
    if (!isMarker(r, p)) {
      p++;
      continue;
    }
    if (p + HEADER > ep) {
      trunc = true;
      break;
    }
    if (start !== p) out += " [|bgp]";
    const hlen = u16(p + 16);
    const type = u8(p + 18);
    if (t.on) {
      t.pushNote(WS_TYPE[type] ?? "Unknown Message", p, Math.max(HEADER, Math.min(hlen, ep - p)));
      t.add(F.marker, "ffffffffffffffffffffffffffffffff", p, 16);
      t.add(F.length, hlen, p + 16, 2);
      t.add(F.type, type, p + 18, 1);
    }
    if (hlen < HEADER) {
      if (t.on) t.pop();
      own = `message length ${hlen} < ${HEADER} (invalid)`;
      break;
    }
    if (p + hlen > ep) {
      if (t.on) t.pop();
      own = `[|BGP ${MSG[type] ?? "Unknown Message Type"}]`;
      break;
    }
    out += `\n\t${MSG[type] ?? "Unknown"} Message (${type}), length: ${hlen}`;
    if (type === 1) {
      const o = open(r, p, hlen, t);
      out += o.text;
      if (o.trunc) {
        if (t.on) t.pop();
        trunc = true;
        break;
      }
    }
    if (t.on) t.pop();
    p += hlen;
    start = p;
  }
  if (verbose) {
    ctx.line.s(out);
    if (trunc) ctx.line.s(" [|bgp]");
    if (own !== "") ctx.line.nl().s(own);
  }
  if (trunc) ctx.truncated = true;
}

/** An OPEN message's fixed part (tcpdump's bgp_open_print, up to the optional parameters' length). */
function open(r: Reader, p: number, hlen: number, t: TreeSink): { text: string; trunc: boolean } {
  const u8 = (o: number): number => r.byteAt(o);
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  // the whole message is captured (checked by the caller); a length too short for the fixed part is cut
  if (hlen < HEADER + 10) return { text: "", trunc: true };
  const q = p + HEADER;
  const version = u8(q);
  const myas = u16(q + 1);
  const hold = u16(q + 3);
  const id = ipv4At(r.data, q + 5);
  const optlen = u8(q + 9);
  if (t.on) {
    t.add(F["open.version"], version, q, 1);
    t.add(F["open.myas"], myas, q + 1, 2);
    t.add(F["open.holdtime"], hold, q + 3, 2);
    t.add(F["open.identifier"], id, q + 5, 4);
    t.add(F["open.opt.len"], optlen, q + 9, 1);
  }
  return {
    text: `\n\t  Version ${version}, my AS ${myas}, Holdtime ${hold}s, ID ${id}\n\t  Optional parameters, length: ${optlen}`,
    trunc: false,
  };
}
