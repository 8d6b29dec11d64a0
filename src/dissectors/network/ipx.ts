/**
 * Novell IPX (Internetwork Packet eXchange) and its SAP and RIP, as tcpdump's print-ipx.c prints them and with
 * Wireshark's field names (ipx.*, ipxsap.*, ipxrip.*). Reached from every place tcpdump calls ipx_print:
 * ethertype 0x8137 (Ethernet II, SNAP, VLAN, SLL, GRE: tcpdump prints "(NOV-ETHII) " first), LLC SAP 0xe0
 * ("IPX 802.2: " with -e, llc.ts), Novell raw 802.3 (DSAP/SSAP 0xff: "IPX 802.3: " with -e, llc.ts), PPP
 * protocol 0x002b and BSD loopback family 23 (table "ipx").
 *   "IPX a8f87967.00:00:00:00:00:01.0455 > 00000000.ff:ff:ff:ff:ff:ff.0455: ipx-netbios 50"
 * The header is 30 bytes: checksum, length, transport control (hops), packet type, then destination and source
 * as network (4), node (6), socket (2). tcpdump prints "IPX " itself unless -e (the link layer named it), then
 * source > destination, then by destination socket: NCP, SAP (entries), RIP (routes), NetBIOS, diagnostics,
 * NWLink datagrams, EIGRP (network/eigrp.ts) or "ipx-#sock N". Counts are the IPX length field minus 30,
 * taken as tcpdump's unsigned arithmetic (a short length wraps and the loops run until the bytes end).
 * tcpdump's ipx_netbios_print (print-smb.c) prints only when the payload holds an SMB header ("\xffSMB"):
 * not done here (no SMB printer in tsniff); such a packet's line stops after "ipx-netbios N".
 */
import { bind } from "../registry.js";
import { macAt, printChar } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";
import { EIGRP } from "./eigrp.js";

const IPX_HDR = 30;
const SKT_NCP = 0x0451;
const SKT_SAP = 0x0452;
const SKT_RIP = 0x0453;
const SKT_NETBIOS = 0x0455;
const SKT_DIAGNOSTICS = 0x0456;
const SKT_NWLINK_DGM = 0x0553;
const SKT_EIGRP = 0x85be;

const PACKET_TYPES: Readonly<Record<number, string>> = { 0: "IPX", 1: "RIP", 2: "Echo", 3: "Error", 4: "PEP", 5: "SPX", 17: "NCP", 20: "NetBIOS Broadcast" };
const SOCKETS: Readonly<Record<number, string>> = {
  0x0451: "NCP",
  0x0452: "SAP",
  0x0453: "RIP",
  0x0455: "NetBIOS",
  0x0456: "Diagnostic",
  0x0553: "NWLink SMB Datagram",
  0x85be: "Cisco EIGRP for IPX",
};

const F = fields("ipx", {
  src: ["Source Address", "string", { hidden: true }],
  addr: ["Src/Dst Address", "string", { hidden: true }],
  dst: ["Destination Address", "string", { hidden: true }],
  checksum: ["Checksum", "uint", { base: "hex" }],
  len: ["Length", "uint"],
  hops: ["Transport Control (Hops)", "uint"],
  packet_type: ["Packet Type", "uint", { base: "hex", values: PACKET_TYPES }],
  "dst.net": ["Destination Network", "uint", { base: "hex", digits: 8 }],
  net: ["Source or Destination Network", "uint", { base: "hex", digits: 8, hidden: true }],
  "dst.node": ["Destination Node", "ether"],
  node: ["Source or Destination Node", "ether", { hidden: true }],
  "dst.socket": ["Destination Socket", "uint", { base: "hex", values: SOCKETS }],
  socket: ["Source or Destination Socket", "uint", { base: "hex", values: SOCKETS, hidden: true }],
  "src.net": ["Source Network", "uint", { base: "hex", digits: 8 }],
  "src.node": ["Source Node", "ether"],
  "src.socket": ["Source Socket", "uint", { base: "hex", values: SOCKETS }],
});

const SAP_TYPES: Readonly<Record<number, string>> = { 1: "General Query", 2: "General Response", 3: "Nearest Query", 4: "Nearest Response" };
const FS = fields("ipxsap", {
  request: ["Request", "bool", { hidden: true }],
  response: ["Response", "bool", { hidden: true }],
  packet_type: ["SAP packet type", "uint", { values: SAP_TYPES }],
  server: ["Server", "none"],
  "server.type": ["Server Type", "uint", { base: "hex" }],
  "server.name": ["Server Name", "string"],
  "server.network": ["Network", "uint", { base: "hex", digits: 8 }],
  "server.node": ["Node", "ether"],
  "server.socket": ["Socket", "uint", { base: "hex", values: SOCKETS }],
  "server.intermediate_networks": ["Intermediate Networks", "uint"],
});

const RIP_TYPES: Readonly<Record<number, string>> = { 1: "Request", 2: "Response" };
const FR = fields("ipxrip", {
  request: ["Request", "bool", { hidden: true }],
  response: ["Response", "bool", { hidden: true }],
  packet_type: ["RIP packet type", "uint", { values: RIP_TYPES }],
  route_vector: ["Route Vector", "uint", { base: "hex", digits: 8 }],
  hops: ["Hops", "uint"],
  ticks: ["Ticks", "uint"],
});

const u16At = (r: Reader, p: number) => (r.byteAt(p) << 8) | r.byteAt(p + 1);
const u32At = (r: Reader, p: number) => ((u16At(r, p) << 16) | u16At(r, p + 2)) >>> 0;
const hex8 = (v: number) => v.toString(16).padStart(8, "0");
const hex4 = (v: number) => v.toString(16).padStart(4, "0");

/** tcpdump's ipxaddr_string: "%08x.%02x:%02x:%02x:%02x:%02x:%02x" */
function addrText(r: Reader, p: number): string {
  return `${hex8(u32At(r, p))}.${macAt(r.data, p + 4)}`;
}

/** Wireshark's ipx.src / ipx.dst string: "net.nodehex" */
function addrField(r: Reader, p: number): string {
  let s = `${hex8(u32At(r, p))}.`;
  for (let i = 4; i < 10; i++) s += r.byteAt(p + i).toString(16).padStart(2, "0");
  return s;
}

/** Makes the reader fail (tcpdump's GET_ macros' longjmp: the engine then prints " [|ipx]"). */
function cut(r: Reader): void {
  r.pos = r.cap;
  r.skip(1);
}

/** The IPX payload length as tcpdump computes it (u_int: wraps below zero). */
const ST_LEN = "ipx.len";

function dissectIpx(r: Reader, ctx: Ctx, t: TreeSink, ethII: boolean): ReturnType<Protocol["dissect"]> {
  const s = r.pos;
  const line = ctx.line;
  if (ethII) line.s("(NOV-ETHII) ");
  if (!ctx.opts.linkHeader) line.s("IPX ");
  // source: net (4 at 18), node (6 at 22), socket (2 at 28); all read before anything is printed
  if (s + 30 > r.cap) return cut(r);
  const dskt = u16At(r, s + 16);
  const sskt = u16At(r, s + 28);
  line.s(`${addrText(r, s + 18)}.${hex4(sskt)} > ${addrText(r, s + 6)}.${hex4(dskt)}: `);
  const length = u16At(r, s + 2);
  if (t.on) {
    const srcA = addrField(r, s + 18);
    const dstA = addrField(r, s + 6);
    t.add(F.src, srcA, s + 18, 10);
    t.add(F.addr, srcA, s + 18, 10);
    t.add(F.dst, dstA, s + 6, 10);
    t.add(F.addr, dstA, s + 6, 10);
    t.add(F.checksum, u16At(r, s), s, 2);
    t.add(F.len, length, s + 2, 2, `Length: ${length} bytes`);
    t.add(F.hops, r.byteAt(s + 4), s + 4, 1, `Transport Control: ${r.byteAt(s + 4)} hops`);
    t.add(F.packet_type, r.byteAt(s + 5), s + 5, 1);
    const dn = u32At(r, s + 6);
    const sn = u32At(r, s + 18);
    t.add(F["dst.net"], dn, s + 6, 4);
    t.add(F.net, dn, s + 6, 4);
    t.add(F["dst.node"], macAt(r.data, s + 10), s + 10, 6);
    t.add(F.node, macAt(r.data, s + 10), s + 10, 6);
    t.add(F["dst.socket"], dskt, s + 16, 2);
    t.add(F.socket, dskt, s + 16, 2);
    t.add(F["src.net"], sn, s + 18, 4);
    t.add(F.net, sn, s + 18, 4);
    t.add(F["src.node"], macAt(r.data, s + 22), s + 22, 6);
    t.add(F.node, macAt(r.data, s + 22), s + 22, 6);
    t.add(F["src.socket"], sskt, s + 28, 2);
    t.add(F.socket, sskt, s + 28, 2);
  }
  r.pos = s + IPX_HDR;
  if (length < IPX_HDR) {
    line.s(`[length ${length} < ${IPX_HDR}] (invalid)`);
    r.malformed = true;
    r.pos = r.cap;
    return;
  }
  const n = length - IPX_HDR;
  // tcpdump reads the captured bytes whatever the length says; the tree's payload ends where the length does
  r.lengthOnly(n);
  ctx.state.set(ST_LEN, n);
  switch (dskt) {
    case SKT_NCP:
      line.s(`ipx-ncp ${n}`);
      break;
    case SKT_SAP:
    case SKT_RIP:
      return ctx.next("ipx.socket", dskt);
    case SKT_NETBIOS:
      line.s(`ipx-netbios ${n}`);
      break;
    case SKT_DIAGNOSTICS:
      line.s(`ipx-diags ${n}`);
      break;
    case SKT_NWLINK_DGM:
      line.s(`ipx-nwlink-dgm ${n}`);
      break;
    case SKT_EIGRP:
      return ctx.next("ipx.socket", dskt);
    default:
      line.s(`ipx-#${dskt.toString(16)} ${n}`);
      break;
  }
}

const TITLE = "Internetwork Packet eXchange";
/** IPX reached from PPP, BSD loopback and LLC (table "ipx"). */
export const IPX: Protocol = { id: "ipx", name: "IPX", title: TITLE, fields: F, dissect: (r, ctx, t) => dissectIpx(r, ctx, t, false) };
/** IPX under ethertype 0x8137: tcpdump's ethertype printer says "(NOV-ETHII) " first. */
export const IPX_ETHII: Protocol = { id: "ipx", name: "IPX", title: TITLE, fields: F, dissect: (r, ctx, t) => dissectIpx(r, ctx, t, true) };

/** The IPX payload length tcpdump's printers count with (u_int). */
function payloadLen(ctx: Ctx): number {
  const v = ctx.state.get(ST_LEN);
  return typeof v === "number" ? v : 0;
}

/**
 * SAP's and RIP's command (-1 when there is none: cut, or the length leaves no room). tcpdump reads the command,
 * then checks the length: " [length N < 2] (invalid)" and nothing else.
 */
function command(r: Reader, ctx: Ctx): number {
  if (!r.has(2)) {
    cut(r);
    return -1;
  }
  if (payloadLen(ctx) < 2) {
    ctx.line.s(` [length ${payloadLen(ctx)} < 2] (invalid)`);
    r.malformed = true;
    r.pos = r.cap;
    return -1;
  }
  return u16At(r, r.pos);
}

export const IPXSAP: Protocol = {
  id: "ipxsap",
  name: "IPX SAP",
  truncName: "ipx",
  title: "Service Advertisement Protocol",
  fields: FS,
  dissect(r, ctx, t) {
    const line = ctx.line;
    const s = r.pos;
    const cmd = command(r, ctx);
    if (cmd < 0) return;
    let length = (payloadLen(ctx) - 2) >>> 0;
    let p = s + 2;
    if (t.on) {
      if (cmd >= 1 && cmd <= 4) t.add(cmd === 1 || cmd === 3 ? FS.response : FS.request, true, s, 2);
      t.add(FS.packet_type, cmd, s, 2);
    }
    switch (cmd) {
      case 1:
      case 3: {
        line.s(cmd === 1 ? "ipx-sap-req" : "ipx-sap-nearest-req");
        if (p + 2 > r.cap) return cut(r);
        line.s(` ${hex4(u16At(r, p))}`);
        if (t.on) t.add(FS["server.type"], u16At(r, p), p, 2);
        r.pos = p + 2;
        return;
      }
      case 2:
      case 4: {
        line.s(cmd === 2 ? "ipx-sap-resp" : "ipx-sap-nearest-resp");
        for (let i = 0; i < 8 && length !== 0; i++) {
          if (p + 2 > r.cap) return cut(r);
          line.s(` ${hex4(u16At(r, p))} '`);
          // nd_printjzp: up to 48 bytes, stopping at a NUL
          let name = "";
          let q = p + 2;
          for (; q < p + 50; q++) {
            if (q >= r.cap) return cut(r);
            const c = r.byteAt(q);
            if (c === 0) break;
            line.s(printChar(c));
            if (t.on) name += String.fromCharCode(c);
          }
          // the closing quote is printed once the name stopped (at its NUL or after 48 bytes); then the address
          // (network and node) and the entry's last 4 bytes must be captured, each cut after what came before it
          line.s("'");
          if (p + 60 > r.cap) return cut(r);
          line.s(` addr ${addrText(r, p + 50)}`);
          if (p + 64 > r.cap) return cut(r);
          if (t.on) {
            t.push(FS.server, null, p, 64, `Server: ${name}`);
            t.add(FS["server.type"], u16At(r, p), p, 2);
            t.add(FS["server.name"], name, p + 2, 48);
            t.add(FS["server.network"], u32At(r, p + 50), p + 50, 4);
            t.add(FS["server.node"], macAt(r.data, p + 54), p + 54, 6);
            t.add(FS["server.socket"], u16At(r, p + 60), p + 60, 2);
            t.add(FS["server.intermediate_networks"], u16At(r, p + 62), p + 62, 2);
            t.pop();
          }
          p += 64;
          length = (length - 64) >>> 0;
        }
        r.pos = Math.min(p, r.cap);
        return;
      }
      default:
        line.s(`ipx-sap-?${cmd.toString(16)}`);
        r.pos = r.cap;
    }
  },
};

export const IPXRIP: Protocol = {
  id: "ipxrip",
  name: "IPX RIP",
  truncName: "ipx",
  title: "IPX Routing Information Protocol",
  fields: FR,
  dissect(r, ctx, t) {
    const line = ctx.line;
    const s = r.pos;
    const cmd = command(r, ctx);
    if (cmd < 0) return;
    let length = (payloadLen(ctx) - 2) >>> 0;
    let p = s + 2;
    if (t.on) {
      if (cmd === 1 || cmd === 2) t.add(cmd === 1 ? FR.request : FR.response, true, s, 2);
      t.add(FR.packet_type, cmd, s, 2);
    }
    const route = (): boolean => {
      if (p + 8 > r.cap) return false;
      line.s(` ${hex8(u32At(r, p))}/${u16At(r, p + 4)}.${u16At(r, p + 6)}`);
      if (t.on) {
        t.add(FR.route_vector, u32At(r, p), p, 4);
        t.add(FR.hops, u16At(r, p + 4), p + 4, 2);
        t.add(FR.ticks, u16At(r, p + 6), p + 6, 2, `Ticks: ${u16At(r, p + 6)  * 1000 / 18 | 0} ms`);
      }
      return true;
    };
    switch (cmd) {
      case 1:
        line.s("ipx-rip-req");
        if (length !== 0 && !route()) return cut(r);
        r.pos = Math.min(p + 8, r.cap);
        return;
      case 2:
        line.s("ipx-rip-resp");
        for (let i = 0; i < 50 && length !== 0; i++) {
          if (!route()) return cut(r);
          p += 8;
          length = (length - 8) >>> 0;
        }
        r.pos = Math.min(p, r.cap);
        return;
      default:
        line.s(`ipx-rip-?${cmd.toString(16)}`);
        r.pos = r.cap;
    }
  },
};

bind("ethertype", 0x8137, IPX_ETHII);
bind("ipx", 0, IPX);
bind("ipx.socket", SKT_SAP, IPXSAP);
bind("ipx.socket", SKT_RIP, IPXRIP);
bind("ipx.socket", SKT_EIGRP, EIGRP);
bind("llc.dsap", [0xe0, 0xff], IPX);
