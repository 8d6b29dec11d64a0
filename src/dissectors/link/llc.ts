/**
 * IEEE 802.2 LLC and SNAP (RFC 1042), found by Ethernet on table "llc" when the type field is a length.
 * tcpdump (print-llc.c) prints the LLC header only with -e:
 *   "LLC, dsap SNAP (0xaa) Individual, ssap SNAP (0xaa) Command, ctrl 0x03: oui Ethernet (0x000000), ethertype IPv4 (0x0800), length 44: "
 * SNAP with an Ethernet OUI hands its ethertype to "ethertype"; other UI frames go to "llc.dsap" by SAP
 * (STP 0x42, ...); anything no one claims prints tcpdump's generic line
 *   "src > dst NetBeui Unnumbered, ui, Flags [Command], length 20".
 */
import { bind, lookup } from "../registry.js";
import { ETHERTYPE, ETHERTYPE_NAMES } from "../constants.js";
import { hex } from "../format.js";
import { fields, type Protocol } from "../types.js";
import { etherAddrs } from "./vlan.js";

const SAP_NAMES: Readonly<Record<number, string>> = {
  0x00: "Null",
  0x02: "802.1B I",
  0x03: "802.1B G",
  0x04: "SNA",
  0x06: "IP",
  0x0e: "ProWay NM",
  0x42: "STP",
  0x4e: "RS511",
  0x7e: "ISO8208",
  0x8e: "ProWay",
  0xaa: "SNAP",
  0xe0: "IPX",
  0xf0: "NetBeui",
  0xfe: "OSI",
  0xff: "Global",
};
const FLAG_NAMES: Readonly<Record<number, string>> = { 0: "Command", 1: "Response", 0x10: "Poll", 0x11: "Final", 0x100: "Poll", 0x101: "Final" };
const U_CMDS: Readonly<Record<number, string>> = { 0x03: "ui", 0xe3: "test", 0xaf: "xid", 0x63: "ua", 0x43: "disc", 0x0f: "dm", 0x6f: "sabme", 0x87: "frmr" };
const S_CMDS: Readonly<Record<number, string>> = { 0: "Receiver Ready", 1: "Receiver not Ready", 2: "Reject" };
const OUI_NAMES: Readonly<Record<number, string>> = {
  0x000000: "Ethernet",
  0x00000c: "Cisco",
  0x0000f8: "Cisco bridged",
  0x0080c2: "Ethernet bridged",
  0x080007: "Appletalk",
  0x00e02b: "Extreme",
  0x00900b: "Juniper",
  0x0019fb: "Hewlett-Packard",
};
const CISCO_PIDS: Readonly<Record<number, string>> = { 0x2000: "CDP", 0x2003: "VTP", 0x2004: "DTP", 0x010b: "PVST", 0x0111: "UDLD" };

const F = fields("llc", {
  dsap: ["DSAP", "uint", { base: "hex", values: SAP_NAMES }],
  ssap: ["SSAP", "uint", { base: "hex", values: SAP_NAMES }],
  control: ["Control field", "uint", { base: "hex" }],
  oui: ["Organization Code", "uint", { base: "hex", values: OUI_NAMES }],
  type: ["Type", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
  pid: ["Protocol ID", "uint", { base: "hex" }],
});

export const LLC: Protocol = {
  id: "llc",
  name: "LLC",
  title: "Logical-Link Control",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const length = r.reportedRemaining;
    const e = ctx.opts.linkHeader;
    const dsapField = r.u8();
    const ssapField = r.u8();
    if (r.truncated) return;
    // tcpdump reads the whole LLC header (3 bytes, 4 when the control field is an I or S frame's) before it
    // looks at the SAPs, even for raw 802.3 whose third byte is IPX's length
    if (r.cap - start < 3 || ((r.byteAt(start + 2) & 3) !== 3 && r.cap - start < 4)) {
      r.pos = r.cap;
      r.skip(1);
      return;
    }
    if (dsapField === 0xff && ssapField === 0xff) {
      // Novell "raw 802.3": IPX with no LLC header
      if (t.on) t.add(F.dsap, dsapField, start, 1);
      if (e) ctx.line.s("IPX 802.3: "); // network/ipx.ts prints "IPX " without -e
      r.pos = start;
      return ctx.next("llc.dsap", 0xff);
    }
    let control = r.u8();
    let hdrlen = 3;
    const isU = (control & 3) === 3;
    if (!isU) {
      control |= r.u8() << 8; // little-endian 16-bit control for I and S frames
      hdrlen = 4;
    }
    if (r.truncated) return;
    const dsap = dsapField & 0xfe;
    const ssap = ssapField & 0xfe;
    if (t.on) {
      t.add(F.dsap, dsapField, start, 1);
      t.add(F.ssap, ssapField, start + 1, 1);
      t.add(F.control, control, start + 2, hdrlen - 2);
    }
    if (e) {
      ctx.line.s(
        `LLC, dsap ${SAP_NAMES[dsap] ?? "Unknown"} (0x${hex(dsapField, 2)}) ${dsapField & 1 ? "Group" : "Individual"}, ` +
        `ssap ${SAP_NAMES[ssap] ?? "Unknown"} (0x${hex(ssapField, 2)}) ${ssapField & 1 ? "Response" : "Command"}, ` +
        `ctrl 0x${hex(control, isU ? 2 : 4)}: `,
      );
    }
    const rest = length - hdrlen;
    if (dsap === 0xaa && ssap === 0xaa && control === 0x03) {
      if (!r.has(5)) {
        // tcpdump's marker names the SNAP header here
        ctx.line.s(" [|snap]");
        ctx.truncated = true;
        r.pos = r.cap;
        return;
      }
      const oui = r.u24();
      const et = r.u16();
      const ether = oui === 0 || oui === 0xf8;
      if (t.on) {
        t.add(F.oui, oui, start + 3, 3);
        t.add(ether ? F.type : F.pid, et, start + 6, 2);
      }
      if (e) {
        const pname = ether ? ETHERTYPE_NAMES[et] : oui === 0x0c ? CISCO_PIDS[et] : undefined;
        ctx.line.s(`oui ${OUI_NAMES[oui] ?? "Unknown"} (0x${hex(oui, 6)}), ${ether ? "ethertype" : "pid"} ${pname ?? "Unknown"} (0x${hex(et, 4)}), length ${rest - 5}: `);
      }
      if (ether) return ctx.next("ethertype", et);
      if (oui === 0x0080c2 && (et === 1 || et === 7)) return ctx.next("linktype", 1); // bridged Ethernet
      return ctx.next("llc.snap", oui * 65536 + et);
    }
    if (control === 0x03 && dsap === ssap) {
      if (dsap === 0x06) return ctx.next("ethertype", ETHERTYPE.IPV4);
      if (lookup("llc.dsap", dsap)) {
        if (dsap === 0xe0 && e) ctx.line.s("IPX 802.2: ");
        return ctx.next("llc.dsap", dsap);
      }
    }
    if (!e) {
      const a = etherAddrs(r, ctx);
      if (ssap === dsap) ctx.line.s(a ? `${a} ${SAP_NAMES[dsap] ?? `Unknown DSAP 0x${hex(dsap, 2)}`} ` : `${SAP_NAMES[dsap] ?? `Unknown DSAP 0x${hex(dsap, 2)}`} `);
      else {
        const sn = SAP_NAMES[ssap] ?? `Unknown SSAP 0x${hex(ssap, 2)}`;
        const dn = SAP_NAMES[dsap] ?? `Unknown DSAP 0x${hex(dsap, 2)}`;
        if (a) {
          const [src, dst] = a.split(" > ");
          ctx.line.s(`${src} ${sn} > ${dst} ${dn} `);
        } else ctx.line.s(`${sn} > ${dn} `);
      }
    }
    if (isU) {
      const cmd = control & 0xef;
      ctx.line.s(`Unnumbered, ${U_CMDS[cmd] ?? hex(cmd, 2)}, Flags [${FLAG_NAMES[(ssapField & 1) | (control & 0x10)] ?? "?"}], length ${length}`);
      if (cmd === 0xaf && rest > 0 && r.peek() === 0x81) {
        r.u8();
        const a = r.u8();
        const b = r.u8();
        if (r.truncated) return;
        ctx.line.s(`: ${hex(a, 2)} ${hex(b, 2)}`);
      }
    } else if ((control & 3) === 1) {
      ctx.line.s(`Supervisory, ${S_CMDS[(control >> 2) & 3] ?? "?"}, rcv seq ${(control >> 9) & 0x7f}, Flags [${FLAG_NAMES[(ssapField & 1) | (control & 0x100)] ?? "?"}], length ${length}`);
    } else {
      ctx.line.s(`Information, send seq ${(control >> 1) & 0x7f}, rcv seq ${(control >> 9) & 0x7f}, Flags [${FLAG_NAMES[(ssapField & 1) | (control & 0x100)] ?? "?"}], length ${length}`);
    }
  },
};

bind("llc", 0, LLC);
