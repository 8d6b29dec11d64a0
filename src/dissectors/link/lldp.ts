/**
 * LLDP, 802.1AB (ethertype 0x88cc). tcpdump's line (print-lldp.c) without -v is the length and the system
 * name TLV:
 *   "LLDP, length 282: S2.cisco.com"
 * A TLV that runs off the captured bytes, or past the frame's length, ends the line with " [|lldp]"; a TLV of
 * type or length 0 ends the walk. The -v detail of tcpdump (every TLV, the 802.1/802.3/TIA/DCBX organisation
 * TLVs) is not printed yet: with -v the line is the same as without. The tree holds the TLVs' headers and the
 * mandatory TLVs' values, with Wireshark's names (lldp.*).
 */
import { bind } from "../registry.js";
import { ETHERTYPE } from "../constants.js";
import { macAt } from "../format.js";
import { fields, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

const TLV_NAMES: Readonly<Record<number, string>> = {
  0: "End",
  1: "Chassis ID",
  2: "Port ID",
  3: "Time to Live",
  4: "Port Description",
  5: "System Name",
  6: "System Description",
  7: "System Capabilities",
  8: "Management Address",
  127: "Organization specific",
};

const F = fields("lldp", {
  type: ["TLV Type", "uint", { name: "lldp.tlv.type", values: TLV_NAMES }],
  len: ["TLV Length", "uint", { name: "lldp.tlv.len" }],
  chassisSubtype: ["Chassis Id Subtype", "uint", { name: "lldp.chassis.subtype" }],
  chassisMac: ["Chassis Id", "ether", { name: "lldp.chassis.id.mac" }],
  chassisId: ["Chassis Id", "string", { name: "lldp.chassis.id" }],
  portSubtype: ["Port Id Subtype", "uint", { name: "lldp.port.subtype" }],
  portMac: ["Port Id", "ether", { name: "lldp.port.id.mac" }],
  portId: ["Port Id", "string", { name: "lldp.port.id" }],
  ttl: ["Seconds", "uint", { name: "lldp.time_to_live" }],
  portDesc: ["Port Description", "string", { name: "lldp.port.desc" }],
  sysName: ["System Name", "string", { name: "lldp.tlv.system.name" }],
  sysDesc: ["System Description", "string", { name: "lldp.tlv.system.desc" }],
  sysCap: ["Capabilities", "uint", { name: "lldp.tlv.system_cap", base: "hex" }],
  enableCap: ["Enabled Capabilities", "uint", { name: "lldp.tlv.enable_system_cap", base: "hex" }],
  oui: ["Organization Unique Code", "uint", { name: "lldp.orgtlv.oui", base: "hex" }],
});

/** Latin-1 text of [p, p + n) up to a NUL (tcpdump's nd_printjnp); the caller checked the bytes are captured. */
export function textz(r: Reader, p: number, n: number): string {
  let e = p;
  while (e < p + n && r.byteAt(e) !== 0) e++;
  return r.latin1At(p, e - p);
}

export const LLDP: Protocol = {
  id: "lldp",
  name: "LLDP",
  title: "Link Layer Discovery Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const len = r.reportedRemaining;
    const line = ctx.line;
    line.s(`LLDP, length ${len}`);
    let tlen = len;
    for (let guard = 0; tlen >= 2 && guard < 65536; guard++) {
      const hdr = r.u16();
      if (r.truncated) return; // " [|lldp]"
      const type = hdr >> 9;
      const tl = hdr & 0x1ff;
      const p = r.pos;
      tlen -= 2;
      if (t.on) {
        t.pushNote(`${TLV_NAMES[type] ?? "Unknown"} TLV (${type}), length ${tl}`, p - 2, 2 + tl);
        t.add(F.type, type, p - 2, 2);
        t.add(F.len, tl, p - 2, 2);
      }
      if (type === 0 || tl === 0) {
        if (t.on) t.pop();
        break;
      }
      if (!r.has(tl) || tlen < tl) {
        if (t.on) t.pop();
        r.pos = p;
        if (!r.skip(tl)) return; // cut by the snapshot length: the engine prints " [|lldp]"
        line.s(" [|lldp]");
        ctx.truncated = true;
        return;
      }
      if (type === 5) line.s(": ").s(textz(r, p, tl));
      if (t.on) {
        const sub = r.byteAt(p);
        switch (type) {
          case 1:
          case 2: {
            t.add(type === 1 ? F.chassisSubtype : F.portSubtype, sub, p, 1);
            const mac = type === 1 ? sub === 4 : sub === 3;
            if (mac && tl >= 7) t.add(type === 1 ? F.chassisMac : F.portMac, macAt(r.data, p + 1), p + 1, 6);
            else if (tl > 1) t.add(type === 1 ? F.chassisId : F.portId, textz(r, p + 1, tl - 1), p + 1, tl - 1);
            break;
          }
          case 3:
            if (tl >= 2) t.add(F.ttl, (sub << 8) | r.byteAt(p + 1), p, 2);
            break;
          case 4:
            t.add(F.portDesc, textz(r, p, tl), p, tl);
            break;
          case 5:
            t.add(F.sysName, textz(r, p, tl), p, tl);
            break;
          case 6:
            t.add(F.sysDesc, textz(r, p, tl), p, tl);
            break;
          case 7:
            if (tl >= 4) {
              t.add(F.sysCap, (sub << 8) | r.byteAt(p + 1), p, 2);
              t.add(F.enableCap, (r.byteAt(p + 2) << 8) | r.byteAt(p + 3), p + 2, 2);
            }
            break;
          case 127:
            if (tl >= 3) t.add(F.oui, (sub << 16) | (r.byteAt(p + 1) << 8) | r.byteAt(p + 2), p, 3);
            break;
        }
        t.pop();
      }
      r.pos = p + tl;
      tlen -= tl;
    }
    r.pos = r.cap;
  },
};

bind("ethertype", ETHERTYPE.LLDP, LLDP);
