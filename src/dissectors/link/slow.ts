/**
 * IEEE 802.3 slow protocols (ethertype 0x8809): LACP and Marker (802.3ad), OAM (802.3ah), as tcpdump 4.99's
 * slow_print (print-slow.c) prints them:
 *   "LACPv1, length 110" / "MARKERv1, length 110" / "OAM, length 42" / "unknown (10), length 52" + a hex dump
 * and with -v LACP's and Marker's TLVs (actor / partner system, priorities, key, port and state flags;
 * collector delay; marker request). OAM's -v detail is not decoded yet (only its line is printed).
 * Fields use Wireshark's names (slow.subtype, lacp.version, lacp.actor.sysid, lacp.actor.key, ...).
 */
import { bind } from "../registry.js";
import { macAt } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { fields, type Protocol } from "../types.js";

const PROTO: Readonly<Record<number, string>> = { 1: "LACP", 2: "MARKER", 3: "OAM" };
const TLV: Readonly<Record<number, string>> = {
  0x100: "Terminator",
  0x101: "Actor Information",
  0x102: "Partner Information",
  0x103: "Collector Information",
  0x200: "Terminator",
  0x201: "Marker Information",
};
const STATE: Array<[number, string]> = [
  [0x01, "Activity"],
  [0x02, "Timeout"],
  [0x04, "Aggregation"],
  [0x08, "Synchronization"],
  [0x10, "Collecting"],
  [0x20, "Distributing"],
  [0x40, "Default"],
  [0x80, "Expired"],
];

const F = fields("slow", {
  subtype: ["Slow Protocols subtype", "uint", { values: PROTO }],
});
const L = fields("lacp", {
  version: ["LACP Version", "uint"],
  "actor.sys_priority": ["Actor System Priority", "uint"],
  "actor.sysid": ["Actor System ID", "ether"],
  "actor.key": ["Actor Key", "uint"],
  "actor.port_priority": ["Actor Port Priority", "uint"],
  "actor.port": ["Actor Port", "uint"],
  "actor.state": ["Actor State", "uint", { base: "hex" }],
  "partner.sys_priority": ["Partner System Priority", "uint"],
  "partner.sysid": ["Partner System", "ether"],
  "partner.key": ["Partner Key", "uint"],
  "partner.port_priority": ["Partner Port Priority", "uint"],
  "partner.port": ["Partner Port", "uint"],
  "partner.state": ["Partner State", "uint", { base: "hex" }],
  "collector.max_delay": ["Collector Max Delay", "uint"],
});

export const SLOW: Protocol = {
  id: "slow",
  name: "Slow Protocols",
  title: "Slow Protocols",
  fields: F,
  dissect(r, ctx, t) {
    const o = r.pos;
    let len = r.reportedRemaining;
    const line = ctx.line;
    const v = ctx.opts.verbose;
    const tooShort = () => {
      line.s(v ? "\n\t\t packet is too short" : " (packet is too short)");
      r.pos = r.cap;
    };
    if (len < 1) return tooShort();
    if (!r.has(1)) {
      r.skip(1);
      return;
    }
    const sub = r.peek(0);
    if (t.on) t.add(F.subtype, sub, o, 1);
    if (sub === 1 || sub === 2) {
      if (len < 2) return tooShort();
      if (!r.has(2)) {
        r.skip(2);
        return;
      }
      const ver = r.peek(1);
      if (ver !== 1) {
        line.s(`${PROTO[sub]} version ${ver} packet not supported`);
        r.pos = r.cap;
        return;
      }
      if (t.on && sub === 1) t.add(L.version, ver, o + 1, 1);
      line.s(`${PROTO[sub]}v${ver}, length ${len}`);
    } else line.s(`${PROTO[sub] ?? `unknown (${sub})`}, length ${len}`);
    if (!PROTO[sub]) {
      hexPrint(line, r, "\n\t", o, len);
      r.pos = r.cap;
      return;
    }
    r.pos = r.cap;
    if (sub === 3) return; // OAM's detail: not decoded yet
    // LACP and Marker TLVs (the tree gets them at every -v; the line at -v)
    let p = o + 2;
    len -= 2;
    const show = v > 0;
    for (let guard = 0; len > 0 && guard < 256; guard++) {
      if (len < 2) {
        if (show) line.s("\n\t\t packet is too short");
        return;
      }
      if (p + 2 > r.cap) {
        if (show) r.truncated = true;
        return;
      }
      const type = r.byteAt(p);
      const tl = r.byteAt(p + 1);
      if (show) line.s(`\n\t${TLV[(sub << 8) + type] ?? "Unknown"} TLV (0x${type.toString(16).padStart(2, "0")}), length ${tl}`);
      if (type === 0) return;
      if (tl < 2) {
        if (show) line.s("\n\t    ERROR: illegal length - should be >= 2");
        return;
      }
      if (len < tl) {
        if (show) line.s("\n\t\t packet is too short");
        return;
      }
      if (p + tl > r.cap) {
        if (show) r.truncated = true;
        return;
      }
      const q = p + 2;
      const n = tl - 2;
      const u16 = (at: number) => (r.byteAt(at) << 8) | r.byteAt(at + 1);
      const key = (sub << 8) + type;
      if (key === 0x101 || key === 0x102) {
        if (n !== 18) {
          if (show) line.s("\n\t    ERROR: illegal length - should be 20");
        } else {
          let st = "";
          for (const [b, nm] of STATE) if (r.byteAt(q + 14) & b) st += st ? `, ${nm}` : nm;
          if (show) line.s(`\n\t  System ${macAt(r.data, q + 2)}, System Priority ${u16(q)}, Key ${u16(q + 8)}, Port ${u16(q + 12)}, Port Priority ${u16(q + 10)}\n\t  State Flags [${st || "none"}]`);
          if (t.on) {
            const w = key === 0x101 ? "actor" : "partner";
            t.add(L[`${w}.sys_priority`], u16(q), q, 2);
            t.add(L[`${w}.sysid`], macAt(r.data, q + 2), q + 2, 6);
            t.add(L[`${w}.key`], u16(q + 8), q + 8, 2);
            t.add(L[`${w}.port_priority`], u16(q + 10), q + 10, 2);
            t.add(L[`${w}.port`], u16(q + 12), q + 12, 2);
            t.add(L[`${w}.state`], r.byteAt(q + 14), q + 14, 1);
          }
        }
      } else if (key === 0x103) {
        if (n !== 14) {
          if (show) line.s("\n\t    ERROR: illegal length - should be 16");
        } else {
          if (show) line.s(`\n\t  Max Delay ${u16(q)}`);
          if (t.on) t.add(L["collector.max_delay"], u16(q), q, 2);
        }
      } else if (key === 0x201) {
        if (n !== 14) {
          if (show) line.s("\n\t    ERROR: illegal length - should be 16");
        } else if (show) {
          const id = ((u16(q + 8) << 16) >>> 0) + u16(q + 10);
          line.s(`\n\t  Request System ${macAt(r.data, q + 2)}, Request Port ${u16(q)}, Request Transaction ID 0x${id.toString(16).padStart(8, "0")}`);
        }
      } else if (show && v <= 1) hexPrint(line, r, "\n\t  ", q, n);
      if (show && v > 1) hexPrint(line, r, "\n\t  ", q, n);
      p += tl;
      len -= tl;
    }
  },
};

bind("ethertype", 0x8809, SLOW);
