/**
 * Linux cooked capture v1 (DLT_LINUX_SLL, 16 bytes) and v2 (DLT_LINUX_SLL2, 20 bytes): what `-i any` gives.
 * tcpdump -e prints the packet type ("In", "Out", "B", "M", "P"), the address and the protocol.
 */
import { bind } from "../registry.js";
import { ethertypeText } from "./ethernet.js";
import { ETHERTYPE_NAMES, LINKTYPE } from "../constants.js";
import { hex, macAt } from "../format.js";
import { fields, type Ctx, type Handoff, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const PKTTYPE: Record<number, string> = { 0: "In", 1: "B", 2: "M", 3: "P", 4: "Out" };
const PKTTYPE_LONG: Record<number, string> = { 0: "Unicast to us", 1: "Broadcast", 2: "Multicast", 3: "Unicast to another host", 4: "Sent by us" };

const F = fields("sll", {
  pkttype: ["Packet type", "uint", { values: PKTTYPE_LONG }],
  hatype: ["Link-layer address type", "uint"],
  halen: ["Link-layer address length", "uint"],
  src_eth: ["Source", "ether", { name: "sll.src.eth" }],
  unused: ["Unused", "bytes"],
  etype: ["Protocol", "uint", { base: "hex", values: ETHERTYPE_NAMES }],
  ltype: ["Protocol", "uint", { base: "hex" }],
  ifindex: ["Interface index", "uint"],
  reserved: ["Reserved", "uint"],
});

function addrText(r: Reader, p: number, halen: number): string {
  if (halen === 6) return macAt(r.data, p);
  let s = "";
  for (let i = 0; i < halen && i < 8; i++) s += (i ? ":" : "") + hex(r.byteAt(p + i), 2);
  return s;
}

/**
 * SLL2 names the interface by index; tcpdump prints the name the reading machine gives that index
 * (if_indextoname, "?" when none). The dissectors know nothing of the system: the CLI sets the lookup.
 */
let ifName: (index: number) => string = () => "?";
export function setInterfaceNameLookup(f: (index: number) => string): void {
  ifName = f;
}

/** tcpdump's protocol text: an ethertype, or Linux's pseudo-protocols below 1536 */
function protoText(proto: number): string {
  if (proto >= 1536) return ethertypeText(proto);
  return proto === 1 ? "802.3" : proto === 4 ? "802.2" : `ethertype Unknown (0x${hex(proto, 4)})`;
}

function finish(r: Reader, ctx: Ctx, t: TreeSink, pkttype: number, halen: number, addrPos: number, proto: number, protoPos: number, ifindex: number): Handoff | void {
  const addr = t.on || ctx.opts.linkHeader ? addrText(r, addrPos, halen) : "";
  if (t.on) {
    t.add(F.pkttype, pkttype, addrPos - 6, 2);
    t.add(F.halen, halen, addrPos - 1, 1);
    if (halen === 6) t.add(F.src_eth, addr, addrPos, 6);
  }
  // tcpdump: SLL2 always prints the interface name and direction ("lo    In  "); -e then adds
  // "ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 104: ". SLL (-e only): " In 00:..:00 ethertype ...".
  const dir = PKTTYPE[pkttype] ?? "?";
  if (ifindex >= 0) ctx.line.s(`${ifName(ifindex).padEnd(5)} ${dir.padEnd(3)} `);
  if (ctx.opts.linkHeader) {
    let s = ifindex >= 0 ? `ifindex ${ifindex} ` : `${dir.padStart(3)} `;
    if (halen === 6) s += `${addr} `;
    if (!ctx.opts.quiet) s += `${protoText(proto)}, length ${ctx.wirelen}: `;
    ctx.line.s(s);
  }
  if (proto < 1536) {
    if (t.on) t.add(F.ltype, proto, protoPos, 2);
    // Linux "protocol" values below 1536: 1 = Novell 802.3, 4 = 802.2 LLC, others: no payload dissector.
    if (proto === 4) return ctx.next("llc", 0);
    return;
  }
  if (t.on) t.add(F.etype, proto, protoPos, 2);
  return ctx.next("ethertype", proto);
}

export const SLL: Protocol = {
  id: "sll",
  name: "SLL",
  title: "Linux cooked capture v1",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const pkttype = r.u16();
    const hatype = r.u16();
    const halen = r.u16();
    const addrPos = r.pos;
    r.skip(8);
    const proto = r.u16();
    if (r.truncated) return;
    if (t.on) t.add(F.hatype, hatype, start + 2, 2);
    return finish(r, ctx, t, pkttype, halen, addrPos, proto, start + 14, -1);
  },
};

export const SLL2: Protocol = {
  id: "sll2",
  name: "SLL2",
  title: "Linux cooked capture v2",
  fields: F,
  dissect(r, ctx, t) {
    const start = r.pos;
    const proto = r.u16();
    r.skip(2);
    const ifindex = r.u32();
    const hatype = r.u16();
    const pkttype = r.u8();
    const halen = r.u8();
    const addrPos = r.pos;
    r.skip(8);
    if (r.truncated) return;
    if (t.on) {
      t.add(F.ifindex, ifindex, start + 4, 4);
      t.add(F.hatype, hatype, start + 8, 2);
    }
    return finish(r, ctx, t, pkttype, halen, addrPos, proto, start, ifindex);
  },
};

bind("linktype", LINKTYPE.LINUX_SLL, SLL);
bind("linktype", LINKTYPE.LINUX_SLL2, SLL2);
