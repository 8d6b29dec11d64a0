/**
 * Sending built packets, as scapy does:
 *   - sendp(pkts, { iface }): layer 2, through libpcap's pcap_inject on a handle that captures nothing;
 *   - send(pkts): layer 3, through a raw IPPROTO_RAW socket (IPv4 or IPv6): the kernel routes each datagram
 *     by its destination and picks the link layer (ARP/ND included), so no interface is named;
 *   - sr / sr1 (layer 3) and srp / srp1 (layer 2): send, and match replies (match.ts) captured by a handle
 *     opened with a BPF filter BEFORE the first packet goes, until every packet is answered or `timeout`
 *     seconds after the last one.
 * Frames go to the addon many at a time (one N-API call per chunk of up to CHUNK frames), never one call per
 * packet unless `inter` spaces them.
 * `count` sends the list that many times; `inter` waits that many seconds between packets (scapy's units).
 */
import fs from "node:fs";
import { Packet } from "../api/packet.js";
import { defaultDevice } from "../capture/devices.js";
import { LiveSource } from "../capture/live-source.js";
import { native, type NativeSender } from "../capture/native.js";
import { compileFilter } from "../filter/compile.js";
import { CraftError, ip4Bytes, ip4Text, ip6Text } from "./addr.js";
import { ARP, Ether, EtherLayer, ICMPv6, IPLayer, IPv6, IPv6Layer } from "./layers.js";
import { answers, parse, type View } from "./match.js";
import { asStack, Stack, type Crafted } from "./stack.js";

/** What can be sent: built packets, or frames already as bytes. */
export type Sendable = Crafted | Uint8Array;

export interface SendOptions {
  /** send the whole list this many times (default 1) */
  count?: number;
  /** seconds to wait between packets (default 0: all at once) */
  inter?: number;
}
export interface SendpOptions extends SendOptions {
  /** the interface (default: the first one up that is not loopback, as tsniff -i) */
  iface?: string;
}
export interface SrOptions extends SendOptions {
  /** seconds to wait for replies after the last packet went (default 2) */
  timeout?: number;
  /** where replies are captured: sr/sr1 default to "any", srp/srp1 to the sending interface */
  iface?: string;
  /** a capture filter for replies (default: from what is sent) */
  filter?: string;
  /** keep matching after a packet has its answer (several answers per packet) */
  multi?: boolean;
}
/** What sr()/srp() found: each answered packet (as given) with its reply, and those left unanswered. */
export interface SrResult<S extends Crafted = Crafted> {
  answered: { sent: S; received: Packet }[];
  unanswered: S[];
}

const CHUNK = 1024;

function checkOpts(o: SendOptions): { count: number; interMs: number } {
  const count = o.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new CraftError(`count must be a positive whole number (got ${count})`);
  const inter = o.inter ?? 0;
  if (!(inter >= 0) || !Number.isFinite(inter)) throw new CraftError(`inter must be a number of seconds, 0 or more (got ${inter})`);
  return { count, interMs: inter * 1000 };
}

function checkIface(iface: string): string {
  if (!/^[^/\s]{1,15}$/.test(iface) || iface === "." || iface === "..") throw new CraftError(`${JSON.stringify(iface)} is not an interface name`);
  return iface;
}

/** The interface's MAC (sysfs), or undefined (loopback's is zero, "any" has none). */
export function ifaceMac(iface: string): string | undefined {
  try {
    const m = fs.readFileSync(`/sys/class/net/${checkIface(iface)}/address`, "utf8").trim();
    return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A reusable sender: one handle (layer 2) or raw socket (layer 3) for many sends. close() when done. */
export class PacketSender {
  private s: NativeSender;
  constructor(
    readonly kind: "link" | "ip4" | "ip6",
    readonly iface?: string,
  ) {
    try {
      this.s = kind === "link" ? new (native().Sender)("link", checkIface(iface ?? "")) : new (native().Sender)(kind);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      let msg = err.message;
      if (err.code === "EPERM" && kind === "link") msg += ". Sending needs the CAP_NET_RAW capability: run it as root";
      if (err.code === "ENODEV") msg += " (see `tsniff -D` for the interfaces)";
      throw Object.assign(new Error(msg), { code: err.code ?? "ESEND" });
    }
  }
  /** Sends frames (one native call per chunk); returns how many went. */
  sendFrames(frames: Uint8Array[]): number {
    let sent = 0;
    for (let i = 0; i < frames.length; i += CHUNK) {
      const part = frames.slice(i, i + CHUNK);
      let total = 0;
      for (const f of part) total += f.length;
      const buf = Buffer.allocUnsafe(total);
      const lens = new Uint32Array(part.length);
      let o = 0;
      part.forEach((f, k) => {
        buf.set(f, o);
        o += f.length;
        lens[k] = f.length;
      });
      const n = this.s.send(buf, lens, part.length);
      sent += n;
      if (n < part.length) break;
    }
    return sent;
  }
  close(): void {
    this.s.close();
  }
}

/** Frames of `pkts` for layer 2 on `iface`: a source MAC from the interface, the next hop's MAC resolved when unset. */
async function l2Frames(pkts: Sendable[], iface: string): Promise<{ bytes: Uint8Array; pkt: Stack | null }[]> {
  const srcMac = ifaceMac(iface);
  const out: { bytes: Uint8Array; pkt: Stack | null }[] = [];
  const resolved = new Map<string, string | undefined>();
  for (const p of pkts) {
    if (p instanceof Uint8Array) {
      out.push({ bytes: p, pkt: null });
      continue;
    }
    const s = asStack(p);
    let dstMac: string | undefined;
    const eth = s.layers[0];
    if (eth instanceof EtherLayer && !eth.fields.dst) {
      const hop = nextHop(s, iface);
      if (hop) {
        if (!resolved.has(hop)) resolved.set(hop, await getmacbyip(hop, { iface }));
        dstMac = resolved.get(hop);
      }
    }
    out.push({ bytes: s.bytes({ srcMac, dstMac }), pkt: s });
  }
  return out;
}

/** The unicast IP address whose MAC a frame needs (its IP destination, or the IPv4 gateway towards it). */
function nextHop(s: Stack, iface: string): string | undefined {
  for (const l of s.layers.slice(1)) {
    if (l instanceof IPLayer) {
      const d = l.dst;
      const first = Number(d.split(".")[0]);
      if (first >= 224 || d.startsWith("127.")) return undefined;
      return ipv4Gateway(d, iface) ?? d;
    }
    if (l instanceof IPv6Layer) {
      const d = l.fields.dst;
      return d && !d.toLowerCase().startsWith("ff") && d !== "::1" ? d : undefined;
    }
    if (l.kind !== "vlan") return undefined;
  }
  return undefined;
}

/** The IPv4 gateway towards dst on iface from the kernel's table (/proc/net/route), when dst is not on-link. */
function ipv4Gateway(dst: string, iface: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync("/proc/net/route", "utf8");
  } catch {
    return undefined;
  }
  const d = new Uint8Array(4);
  ip4Bytes(dst, d, 0);
  const dn = ((d[3] << 24) | (d[2] << 16) | (d[1] << 8) | d[0]) >>> 0; // the table is in host (little-endian) order
  let best: { bits: number; gw: number } | undefined;
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[0] !== iface) continue;
    const net = parseInt(f[1], 16) >>> 0,
      gw = parseInt(f[2], 16) >>> 0,
      mask = parseInt(f[7], 16) >>> 0;
    if (((dn & mask) >>> 0) !== net) continue;
    const bits = mask.toString(2).replace(/0/g, "").length;
    if (!best || bits > best.bits) best = { bits, gw };
  }
  if (!best || best.gw === 0) return undefined;
  const g = best.gw;
  return `${g & 255}.${(g >>> 8) & 255}.${(g >>> 16) & 255}.${g >>> 24}`;
}

/**
 * The MAC of an on-link address: the kernel's neighbour table first (/proc/net/arp, IPv4), else asked on the
 * wire (ARP who-has, or an IPv6 neighbour solicitation) as scapy's getmacbyip does. undefined when nobody answers.
 */
export async function getmacbyip(ip: string, o: { iface?: string; timeout?: number } = {}): Promise<string | undefined> {
  const iface = o.iface ?? defaultDevice();
  if (!ip.includes(":")) {
    try {
      for (const line of fs.readFileSync("/proc/net/arp", "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[0] === ip && f[5] === iface && f[3] !== "00:00:00:00:00:00" && (parseInt(f[2], 16) & 2) !== 0) return f[3];
      }
    } catch {
      /* no /proc: ask on the wire */
    }
    const r = await srp1(Ether({ dst: "ff:ff:ff:ff:ff:ff" }).over(ARP({ pdst: ip })), { iface, timeout: o.timeout ?? 1 });
    return r ? macOfArpReply(r.data) : undefined;
  }
  const mac = ifaceMac(iface);
  const r = await srp1(Ether().over(IPv6()).over(ICMPv6({ type: "nd-ns", target: ip, options: mac ? [{ type: "src-lladdr", addr: mac }] : [] })), { iface, timeout: o.timeout ?? 1 });
  return r ? tlladdrOf(r.data) : undefined;
}

function hex2(b: Uint8Array, o: number): string {
  return Array.from(b.subarray(o, o + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}
function macOfArpReply(d: Uint8Array): string | undefined {
  const v = parse(d, 0, d.length, 1);
  return v && v.net === "arp" ? hex2(d, v.n + 8) : undefined;
}
function tlladdrOf(d: Uint8Array): string | undefined {
  const v = parse(d, 0, d.length, 1);
  if (!v || v.t < 0) return undefined;
  for (let o = v.t + 24; o + 8 <= v.end; ) {
    const len = d[o + 1] * 8;
    if (len === 0) break;
    if (d[o] === 2) return hex2(d, o + 2);
    o += len;
  }
  return hex2(d, 6); // the NA's Ethernet source
}

async function pace(frames: Uint8Array[], sender: PacketSender, interMs: number): Promise<number> {
  if (interMs <= 0) return sender.sendFrames(frames);
  let sent = 0;
  for (let i = 0; i < frames.length; i++) {
    if (i > 0) await sleep(interMs);
    sent += sender.sendFrames([frames[i]]);
  }
  return sent;
}

function list(p: Sendable | Sendable[]): Sendable[] {
  return Array.isArray(p) ? p : [p];
}

function repeat<T>(a: T[], count: number): T[] {
  if (count === 1) return a;
  const out: T[] = [];
  for (let k = 0; k < count; k++) for (const x of a) out.push(x);
  return out;
}

/** Sends at layer 2 (frames starting with their Ethernet header) on `iface`; resolves to the number sent. */
export async function sendp(pkts: Sendable | Sendable[], o: SendpOptions = {}): Promise<number> {
  const { count, interMs } = checkOpts(o);
  const iface = o.iface ?? defaultDevice();
  const frames = (await l2Frames(list(pkts), iface)).map((f) => f.bytes);
  const sender = new PacketSender("link", iface);
  try {
    return await pace(repeat(frames, count), sender, interMs);
  } finally {
    sender.close();
  }
}

/** The family of a layer 3 packet, with a clear error for a frame. */
function l3Family(p: Sendable): "ip4" | "ip6" {
  if (p instanceof Uint8Array) {
    const v = p[0] >> 4;
    if (v === 4) return "ip4";
    if (v === 6) return "ip6";
    throw new CraftError("send() takes IP packets: these bytes are not IPv4 or IPv6 (use sendp() for frames)");
  }
  const k = asStack(p).layers[0].kind;
  if (k === "ip") return "ip4";
  if (k === "ipv6") return "ip6";
  throw new CraftError(`send() sends from the IP layer; this packet starts with ${k} (use sendp() for frames with a link-layer header)`);
}

/** Sends at layer 3 (packets starting with IP or IPv6) through a raw socket; the kernel routes them. */
export async function send(pkts: Sendable | Sendable[], o: SendOptions = {}): Promise<number> {
  const { count, interMs } = checkOpts(o);
  const all = repeat(list(pkts), count);
  const senders = new Map<string, PacketSender>();
  try {
    let sent = 0;
    for (let i = 0; i < all.length; i++) {
      const fam = l3Family(all[i]);
      let s = senders.get(fam);
      if (!s) senders.set(fam, (s = new PacketSender(fam)));
      if (i > 0 && interMs > 0) await sleep(interMs);
      const p = all[i];
      sent += s.sendFrames([p instanceof Uint8Array ? p : asStack(p).bytes()]);
    }
    return sent;
  } finally {
    for (const s of senders.values()) s.close();
  }
}

/**
 * The default capture filter for replies to these packets: ARP, and for IP the replies' source (the address a
 * packet went to) or any ICMP/ICMPv6 (errors come from routers); by protocol only for multicast destinations or
 * more than 16 of them, so the program stays small.
 */
function replyFilter(views: View[]): string {
  const parts = new Set<string>();
  const hosts = { ip4: new Set<string>(), ip6: new Set<string>() };
  let any4 = false,
    any6 = false;
  for (const v of views) {
    if (v.net === "arp") parts.add("arp");
    else if (v.net === "ip4") {
      const d = ip4Text(v.b, v.n + 16);
      if (v.b[v.n + 16] >= 224) any4 = true;
      else hosts.ip4.add(d);
    } else if (v.net === "ip6") {
      if (v.b[v.n + 24] === 0xff) any6 = true;
      else hosts.ip6.add(ip6Text(v.b, v.n + 24));
    }
  }
  if (any4 || hosts.ip4.size > 16) parts.add("ip");
  else if (hosts.ip4.size) parts.add(`(ip and (icmp or ${[...hosts.ip4].map((h) => `src host ${h}`).join(" or ")}))`);
  if (any6 || hosts.ip6.size > 16) parts.add("ip6");
  else if (hosts.ip6.size) parts.add(`(ip6 and (icmp6 or ${[...hosts.ip6].map((h) => `src host ${h}`).join(" or ")}))`);
  if (!parts.size) throw new CraftError("nothing to match replies against: sr() takes ARP, IPv4 or IPv6 packets");
  return [...parts].join(" or ");
}

async function exchange<S extends Crafted>(sent: { bytes: Uint8Array; pkt: S }[], linktype: number, capIface: string, o: SrOptions, sendAll: () => Promise<number>): Promise<SrResult<S>> {
  const timeoutMs = (o.timeout ?? 2) * 1000;
  if (!(timeoutMs >= 0)) throw new CraftError(`timeout must be a number of seconds (got ${o.timeout})`);
  const views = sent.map((s) => parse(s.bytes, 0, s.bytes.length, linktype));
  const usable = views.filter((v): v is View => !!v);
  const source = new LiveSource(capIface, { immediate: true, direction: 1, snaplen: 65535, timeoutMs: 10, bufferSize: 4 << 20 });
  const got: ({ sent: S; received: Packet } | undefined)[] = new Array(sent.length);
  const answered: { sent: S; received: Packet }[] = [];
  let open = usable.length;
  try {
    source.setFilter(compileFilter(o.filter ?? replyFilter(usable), { linktype: source.info.linktype, snaplen: 65535 }));
  } catch (e) {
    source.close();
    throw e;
  }
  let timer: NodeJS.Timeout | undefined;
  const running = source.run((b) => {
    for (let i = 0; i < b.count; i++) {
      const off = b.offset[i];
      const r = parse(b.data, off, off + b.caplen[i], b.linktype[i]);
      if (!r) continue;
      for (let k = 0; k < views.length; k++) {
        const s = views[k];
        if (!s || (got[k] && !o.multi) || !answers(s, r)) continue;
        const pkt = Packet.fromBytes(b.data.slice(off, off + b.caplen[i]), { linktype: b.linktype[i], len: b.wirelen[i], tsSec: b.tsSec[i], tsNsec: b.tsNsec[i] });
        const pair = { sent: sent[k].pkt, received: pkt };
        if (!got[k]) open--;
        got[k] = pair;
        answered.push(pair);
        break;
      }
    }
    if (open <= 0 && !o.multi) setImmediate(() => source.stop());
    return 1;
  });
  try {
    await sendAll();
  } catch (e) {
    source.stop();
    await running;
    throw e;
  }
  if (open > 0 || o.multi) timer = setTimeout(() => source.stop(), timeoutMs);
  else source.stop();
  await running;
  if (timer) clearTimeout(timer);
  return { answered, unanswered: sent.filter((_, k) => !got[k]).map((s) => s.pkt) };
}

/** Sends at layer 3 and collects the answers (scapy's sr). */
export async function sr<S extends Crafted>(pkts: S | S[], o: SrOptions = {}): Promise<SrResult<S>> {
  const { count, interMs } = checkOpts(o);
  const all = repeat(Array.isArray(pkts) ? pkts : [pkts], count);
  const sent = all.map((p) => ({ bytes: asStack(p).bytes() as Uint8Array, pkt: p, fam: l3Family(p) }));
  return exchange(sent, 101, o.iface ?? "any", o, async () => {
    const senders = new Map<string, PacketSender>();
    try {
      let n = 0;
      for (let i = 0; i < sent.length; i++) {
        let s = senders.get(sent[i].fam);
        if (!s) senders.set(sent[i].fam, (s = new PacketSender(sent[i].fam)));
        if (i > 0 && interMs > 0) await sleep(interMs);
        n += s.sendFrames([sent[i].bytes]);
      }
      return n;
    } finally {
      for (const s of senders.values()) s.close();
    }
  });
}

/** Sends at layer 3 and resolves to the first answer (undefined after `timeout` seconds without one). */
export async function sr1<S extends Crafted>(pkts: S | S[], o: SrOptions = {}): Promise<Packet | undefined> {
  return (await sr(pkts, o)).answered[0]?.received;
}

/** Sends at layer 2 on `iface` and collects the answers captured there (scapy's srp). */
export async function srp<S extends Crafted>(pkts: S | S[], o: SrOptions = {}): Promise<SrResult<S>> {
  const { count, interMs } = checkOpts(o);
  const iface = o.iface ?? defaultDevice();
  const given = Array.isArray(pkts) ? pkts : [pkts];
  const built = await l2Frames(given, iface);
  const frames = repeat(
    built.map((f, k) => ({ bytes: f.bytes, pkt: given[k] })),
    count,
  );
  return exchange(frames, 1, iface, o, async () => {
    const sender = new PacketSender("link", iface);
    try {
      return await pace(
        frames.map((f) => f.bytes),
        sender,
        interMs,
      );
    } finally {
      sender.close();
    }
  });
}

/** Sends at layer 2 and resolves to the first answer. */
export async function srp1<S extends Crafted>(pkts: S | S[], o: SrOptions = {}): Promise<Packet | undefined> {
  return (await srp(pkts, o)).answered[0]?.received;
}

