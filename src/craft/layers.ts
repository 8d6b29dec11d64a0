/**
 * The layers one can build: Ethernet, 802.1Q, ARP, IPv4 (options), IPv6, ICMP, ICMPv6 (echo, NS/NA/RS/RA),
 * UDP, TCP (options) and raw payload (DNS is in dns.ts). Field names and defaults follow scapy's; any field
 * left unset that depends on the layers around it (a type, a protocol, a length, a checksum, a source
 * address) is computed when the packet is built.
 */
import { native } from "../capture/native.js";
import { CraftError, fold, ip4Bytes, ip6Bytes, macBytes, put16, put32, sum16, uint } from "./addr.js";
import { aboveKind, below, Layer, type BuildEnv } from "./stack.js";

const ZERO_MAC = "00:00:00:00:00:00";
const BCAST_MAC = "ff:ff:ff:ff:ff:ff";

/** The source address the kernel would pick towards dst (cached a few seconds; 0.0.0.0 / :: without a route). */
const routeCache = new Map<string, { src: string; at: number }>();
export function routeSource(dst: string): string | null {
  const now = Date.now();
  const c = routeCache.get(dst);
  if (c && now - c.at < 5000) return c.src;
  let src: string | null = null;
  try {
    src = native().routeSource(dst);
  } catch {
    src = null;
  }
  if (src) {
    if (routeCache.size > 256) routeCache.clear();
    routeCache.set(dst, { src, at: now });
  }
  return src;
}

const ETHERTYPE_OF: Record<string, number> = { ip: 0x0800, ipv6: 0x86dd, arp: 0x0806, vlan: 0x8100 };
const IPPROTO_OF: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, ip: 4, ipv6: 41, icmpv6: 58 };

// ---------------------------------------------------------------------------------------------- Ethernet

export interface EtherFields {
  /** destination MAC (default: sendp's next hop; broadcast for ARP and IPv4 broadcast, 33:33:.. / 01:00:5e:.. for multicast) */
  dst?: string;
  /** source MAC (default: the sending interface's, 00:00:00:00:00:00 in bytes()) */
  src?: string;
  /** ethertype (default from the layer above) */
  type?: number;
}

export class EtherLayer extends Layer<"eth"> {
  readonly kind = "eth";
  constructor(readonly fields: Readonly<EtherFields> = {}) {
    super();
  }
  with(f: Partial<EtherFields>): EtherLayer {
    return new EtherLayer({ ...this.fields, ...f });
  }
  size(): number {
    return 14;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    macBytes(this.fields.dst ?? defaultDstMac(env, i), b, o, "Ether dst");
    macBytes(this.fields.src ?? env.srcMac ?? ZERO_MAC, b, o + 6, "Ether src");
    put16(b, o + 12, uint(this.fields.type, ETHERTYPE_OF[aboveKind(env, i)] ?? 0x9000, 16, "Ether type"));
  }
}

/** Ethernet's destination when unset: from the addresses above (multicast, broadcast, ARP), else env.dstMac, else broadcast. */
function defaultDstMac(env: BuildEnv, i: number): string {
  for (let j = i + 1; j < env.layers.length; j++) {
    const l = env.layers[j];
    if (l instanceof ArpLayer) return l.op === 2 ? l.fields.hwdst ?? BCAST_MAC : BCAST_MAC;
    if (l instanceof IPLayer) {
      const d = l.fields.dst ?? "127.0.0.1";
      const first = Number(d.split(".")[0]);
      if (d === "255.255.255.255") return BCAST_MAC;
      if (first >= 224 && first <= 239) {
        const p = d.split(".").map(Number);
        return `01:00:5e:${(p[1] & 0x7f).toString(16)}:${p[2].toString(16)}:${p[3].toString(16)}`;
      }
      break;
    }
    if (l instanceof IPv6Layer) {
      const d = ipv6Dst(l, env, j);
      const b = new Uint8Array(16);
      ip6Bytes(d, b, 0, "IPv6 dst");
      if (b[0] === 0xff) return `33:33:${[12, 13, 14, 15].map((k) => b[k].toString(16).padStart(2, "0")).join(":")}`;
      break;
    }
    if (l.kind !== "vlan") break;
  }
  return env.dstMac ?? BCAST_MAC;
}

export function Ether(f: EtherFields = {}): EtherLayer {
  return new EtherLayer(f);
}

// ---------------------------------------------------------------------------------------------- 802.1Q

export interface Dot1QFields {
  /** VLAN id (default 1) */
  vlan?: number;
  /** priority code point (default 0) */
  prio?: number;
  /** drop eligible (default 0) */
  dei?: number;
  /** the type inside (default from the layer above) */
  type?: number;
}

export class Dot1QLayer extends Layer<"vlan"> {
  readonly kind = "vlan";
  constructor(readonly fields: Readonly<Dot1QFields> = {}) {
    super();
  }
  with(f: Partial<Dot1QFields>): Dot1QLayer {
    return new Dot1QLayer({ ...this.fields, ...f });
  }
  size(): number {
    return 4;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    const f = this.fields;
    put16(b, o, (uint(f.prio, 0, 3, "Dot1Q prio") << 13) | (uint(f.dei, 0, 1, "Dot1Q dei") << 12) | uint(f.vlan, 1, 12, "Dot1Q vlan"));
    put16(b, o + 2, uint(f.type, ETHERTYPE_OF[aboveKind(env, i)] ?? 0x9000, 16, "Dot1Q type"));
  }
}

export function Dot1Q(f: Dot1QFields = {}): Dot1QLayer {
  return new Dot1QLayer(f);
}

// ---------------------------------------------------------------------------------------------- ARP

export interface ArpFields {
  /** 1 / "who-has" (default) or 2 / "is-at" */
  op?: number | "who-has" | "is-at";
  /** sender MAC (default: the sending interface's) */
  hwsrc?: string;
  /** sender IPv4 address (default: the kernel's source towards pdst) */
  psrc?: string;
  /** target MAC (default 00:00:00:00:00:00) */
  hwdst?: string;
  /** target IPv4 address */
  pdst?: string;
  hwtype?: number;
  ptype?: number;
}

export class ArpLayer extends Layer<"arp"> {
  readonly kind = "arp";
  constructor(readonly fields: Readonly<ArpFields> = {}) {
    super();
  }
  with(f: Partial<ArpFields>): ArpLayer {
    return new ArpLayer({ ...this.fields, ...f });
  }
  get op(): number {
    const op = this.fields.op ?? 1;
    return op === "who-has" ? 1 : op === "is-at" ? 2 : op;
  }
  get pdst(): string {
    return this.fields.pdst ?? "0.0.0.0";
  }
  size(): number {
    return 28;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    const f = this.fields;
    put16(b, o, uint(f.hwtype, 1, 16, "ARP hwtype"));
    put16(b, o + 2, uint(f.ptype, 0x0800, 16, "ARP ptype"));
    b[o + 4] = 6;
    b[o + 5] = 4;
    put16(b, o + 6, uint(this.op, 1, 16, "ARP op"));
    macBytes(f.hwsrc ?? env.srcMac ?? ZERO_MAC, b, o + 8, "ARP hwsrc");
    ip4Bytes(f.psrc ?? routeSource(this.pdst) ?? "0.0.0.0", b, o + 14, "ARP psrc");
    macBytes(f.hwdst ?? ZERO_MAC, b, o + 18, "ARP hwdst");
    ip4Bytes(this.pdst, b, o + 24, "ARP pdst");
  }
}

export function ARP(f: ArpFields = {}): ArpLayer {
  return new ArpLayer(f);
}

// ---------------------------------------------------------------------------------------------- IPv4

/** An IPv4 option: scapy-like tuples, or [type, data] for any other. */
export type IPOption = ["EOL"] | ["NOP"] | ["RouterAlert", number?] | ["RR", number] | ["Timestamp", number] | [number, Uint8Array?];

export interface IPFields {
  /** header length in 32-bit words (default from the options) */
  ihl?: number;
  tos?: number;
  /** total length (default: computed) */
  len?: number;
  /** identification (default 1, as scapy) */
  id?: number;
  /** flags: a number (bit 1 DF, bit 0 MF... as in the header's top 3 bits: 2 = DF, 1 = MF) or "DF", "MF", "DF+MF" */
  flags?: number | "DF" | "MF" | "DF+MF" | "";
  /** fragment offset in 8-byte units */
  frag?: number;
  ttl?: number;
  /** protocol (default from the layer above) */
  proto?: number;
  /** header checksum (default: computed) */
  chksum?: number;
  /** source (default: the kernel's source towards dst) */
  src?: string;
  /** destination (default 127.0.0.1) */
  dst?: string;
  options?: IPOption[] | Uint8Array;
}

function ipOptionBytes(opts: IPOption[] | Uint8Array | undefined): Uint8Array {
  if (!opts) return EMPTY;
  if (opts instanceof Uint8Array) return pad4(opts);
  const out: number[] = [];
  for (const o of opts) {
    const [t, v] = o;
    if (t === "EOL") out.push(0);
    else if (t === "NOP") out.push(1);
    else if (t === "RouterAlert") out.push(0x94, 4, ((v as number) ?? 0) >> 8, ((v as number) ?? 0) & 0xff);
    else if (t === "RR") {
      const n = uint(v as number, 1, 4, "IP option RR slots");
      out.push(7, 3 + 4 * n, 4, ...new Array<number>(4 * n).fill(0));
    } else if (t === "Timestamp") {
      const n = uint(v as number, 1, 4, "IP option Timestamp slots");
      out.push(68, 4 + 4 * n, 5, 0, ...new Array<number>(4 * n).fill(0));
    } else if (typeof t === "number") {
      const d = (v as Uint8Array | undefined) ?? EMPTY;
      out.push(uint(t, 0, 8, "IP option type"), 2 + d.length, ...d);
    } else throw new CraftError(`unknown IP option ${JSON.stringify(t)}`);
  }
  return pad4(Uint8Array.from(out));
}

const EMPTY = new Uint8Array(0);

function pad4(b: Uint8Array): Uint8Array {
  if (b.length % 4 === 0) return b;
  const p = new Uint8Array(b.length + 4 - (b.length % 4));
  p.set(b);
  return p;
}

export class IPLayer extends Layer<"ip"> {
  readonly kind = "ip";
  private opts: Uint8Array;
  constructor(readonly fields: Readonly<IPFields> = {}) {
    super();
    this.opts = ipOptionBytes(fields.options);
    if (this.opts.length > 40) throw new CraftError(`IP options take ${this.opts.length} bytes; at most 40 fit`);
  }
  with(f: Partial<IPFields>): IPLayer {
    return new IPLayer({ ...this.fields, ...f });
  }
  get dst(): string {
    return this.fields.dst ?? "127.0.0.1";
  }
  /** the source bytes() writes: the set one, else the kernel's source towards dst */
  get src(): string {
    return this.fields.src ?? routeSource(this.dst) ?? "0.0.0.0";
  }
  size(): number {
    return 20 + this.opts.length;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    const f = this.fields;
    const hl = 20 + this.opts.length;
    b[o] = 0x40 | uint(f.ihl, hl / 4, 4, "IP ihl");
    b[o + 1] = uint(f.tos, 0, 8, "IP tos");
    put16(b, o + 2, uint(f.len, env.total - o, 16, "IP len"));
    put16(b, o + 4, uint(f.id, 1, 16, "IP id"));
    const fl = f.flags === "DF" ? 2 : f.flags === "MF" ? 1 : f.flags === "DF+MF" ? 3 : f.flags === "" ? 0 : uint(f.flags, 0, 3, "IP flags");
    put16(b, o + 6, (fl << 13) | uint(f.frag, 0, 13, "IP frag"));
    b[o + 8] = uint(f.ttl, 64, 8, "IP ttl");
    b[o + 9] = uint(f.proto, IPPROTO_OF[aboveKind(env, i)] ?? 0, 8, "IP proto");
    ip4Bytes(this.src, b, o + 12, "IP src");
    ip4Bytes(this.dst, b, o + 16, "IP dst");
    b.set(this.opts, o + 20);
  }
  override finish(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    put16(b, o + 10, this.fields.chksum !== undefined ? uint(this.fields.chksum, 0, 16, "IP chksum") : fold(sum16(b, o, o + 20 + this.opts.length)));
  }
}

export function IP(f: IPFields = {}): IPLayer {
  return new IPLayer(f);
}

// ---------------------------------------------------------------------------------------------- IPv6

export interface IPv6Fields {
  /** traffic class */
  tc?: number;
  /** flow label */
  fl?: number;
  /** payload length (default: computed) */
  plen?: number;
  /** next header (default from the layer above) */
  nh?: number;
  /** hop limit (default 64; 255 for neighbour discovery) */
  hlim?: number;
  /** source (default: the kernel's source towards dst) */
  src?: string;
  /** destination (default ::1; for a neighbour solicitation, the target's solicited-node group; ff02::2 for RS) */
  dst?: string;
}

export class IPv6Layer extends Layer<"ipv6"> {
  readonly kind = "ipv6";
  constructor(readonly fields: Readonly<IPv6Fields> = {}) {
    super();
  }
  with(f: Partial<IPv6Fields>): IPv6Layer {
    return new IPv6Layer({ ...this.fields, ...f });
  }
  size(): number {
    return 40;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    const f = this.fields;
    const tc = uint(f.tc, 0, 8, "IPv6 tc"),
      fl = uint(f.fl, 0, 20, "IPv6 fl");
    put32(b, o, (6 << 28) | (tc << 20) | fl);
    put16(b, o + 4, uint(f.plen, env.total - o - 40, 16, "IPv6 plen"));
    const up = env.layers[i + 1];
    b[o + 6] = uint(f.nh, up ? IPPROTO_OF[up.kind] ?? 59 : 59, 8, "IPv6 nh");
    b[o + 7] = uint(f.hlim, up instanceof ICMPv6Layer && up.nd ? 255 : 64, 8, "IPv6 hlim");
    const dst = ipv6Dst(this, env, i);
    // a solicitation to a group goes from the address the kernel would use towards its target
    const towards = up instanceof ICMPv6Layer && up.msg.type === "nd-ns" && !f.dst ? up.msg.target : dst;
    ip6Bytes(f.src ?? routeSource(towards) ?? "::", b, o + 8, "IPv6 src");
    ip6Bytes(dst, b, o + 24, "IPv6 dst");
  }
}

/** IPv6 destination when unset: ND's groups for NS/RS/RA, else ::1. */
function ipv6Dst(l: IPv6Layer, env: BuildEnv, i: number): string {
  if (l.fields.dst) return l.fields.dst;
  const up = env.layers[i + 1];
  if (up instanceof ICMPv6Layer) {
    const m = up.msg;
    if (m.type === "nd-ns") {
      const t = new Uint8Array(16);
      ip6Bytes(m.target, t, 0, "ICMPv6 target");
      return `ff02::1:ff${t[13].toString(16).padStart(2, "0")}:${((t[14] << 8) | t[15]).toString(16)}`;
    }
    if (m.type === "nd-rs") return "ff02::2";
    if (m.type === "nd-ra" || m.type === "nd-na") return "ff02::1";
  }
  return "::1";
}

export function IPv6(f: IPv6Fields = {}): IPv6Layer {
  return new IPv6Layer(f);
}

/** Pseudo-header sum for a transport layer at i: the nearest IPv4/IPv6 below (0 when none). */
function pseudoSum(b: Uint8Array, env: BuildEnv, i: number, proto: number): number {
  const j = below(env, i, "ip", "ipv6");
  if (j < 0) return 0;
  const o = env.offs[j];
  const len = env.total - env.offs[i];
  if (env.layers[j].kind === "ip") return sum16(b, o + 12, o + 20, proto + len);
  return sum16(b, o + 8, o + 40, proto + (len >>> 16) + (len & 0xffff));
}

// ---------------------------------------------------------------------------------------------- ICMP

const ICMP_TYPES = { "echo-reply": 0, "dest-unreach": 3, "source-quench": 4, redirect: 5, "echo-request": 8, "time-exceeded": 11, "parameter-problem": 12, "timestamp-request": 13, "timestamp-reply": 14 } as const;

export interface ICMPFields {
  /** type (default 8, echo request) */
  type?: number | keyof typeof ICMP_TYPES;
  code?: number;
  chksum?: number;
  /** echo/timestamp identifier */
  id?: number;
  /** echo/timestamp sequence number */
  seq?: number;
  /** redirect: the gateway */
  gw?: string;
  /** dest-unreach code 4: next-hop MTU; parameter-problem: the pointer (top byte) */
  nexthopmtu?: number;
  ptr?: number;
}

export class ICMPLayer extends Layer<"icmp"> {
  readonly kind = "icmp";
  constructor(readonly fields: Readonly<ICMPFields> = {}) {
    super();
  }
  with(f: Partial<ICMPFields>): ICMPLayer {
    return new ICMPLayer({ ...this.fields, ...f });
  }
  get type(): number {
    const t = this.fields.type ?? 8;
    return typeof t === "string" ? ICMP_TYPES[t] : t;
  }
  size(): number {
    return 8;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    const f = this.fields;
    const t = uint(this.type, 8, 8, "ICMP type");
    b[o] = t;
    b[o + 1] = uint(f.code, 0, 8, "ICMP code");
    if (t === 5 && f.gw) ip4Bytes(f.gw, b, o + 4, "ICMP gw");
    else if (t === 3 && f.nexthopmtu !== undefined) put16(b, o + 6, uint(f.nexthopmtu, 0, 16, "ICMP nexthopmtu"));
    else if (t === 12 && f.ptr !== undefined) b[o + 4] = uint(f.ptr, 0, 8, "ICMP ptr");
    else {
      put16(b, o + 4, uint(f.id, 0, 16, "ICMP id"));
      put16(b, o + 6, uint(f.seq, 0, 16, "ICMP seq"));
    }
  }
  override finish(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    put16(b, o + 2, this.fields.chksum !== undefined ? uint(this.fields.chksum, 0, 16, "ICMP chksum") : fold(sum16(b, o, env.total)));
  }
}

export function ICMP(f: ICMPFields = {}): ICMPLayer {
  return new ICMPLayer(f);
}

// ---------------------------------------------------------------------------------------------- ICMPv6

/** Neighbour discovery options. */
export type NDOption =
  | { type: "src-lladdr"; addr: string }
  | { type: "tgt-lladdr"; addr: string }
  | { type: "mtu"; mtu: number }
  | { type: "prefix"; prefix: string; len?: number; onLink?: boolean; autonomous?: boolean; validLifetime?: number; preferredLifetime?: number }
  | { type: number; data: Uint8Array };

/** The ICMPv6 messages one can build, by `type`. */
export type ICMPv6Message =
  | { type: "echo-request" | "echo-reply"; id?: number; seq?: number }
  | { type: "nd-ns"; target: string; options?: NDOption[] }
  | { type: "nd-na"; target: string; router?: boolean; solicited?: boolean; override?: boolean; options?: NDOption[] }
  | { type: "nd-rs"; options?: NDOption[] }
  | { type: "nd-ra"; chlim?: number; managed?: boolean; other?: boolean; routerLifetime?: number; reachable?: number; retrans?: number; options?: NDOption[] }
  | { type: "dest-unreach" | "packet-too-big" | "time-exceeded" | "parameter-problem"; code?: number; mtu?: number; ptr?: number }
  | { type: number; code?: number; body?: Uint8Array };

const ICMP6_TYPES: Record<string, number> = { "dest-unreach": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4, "echo-request": 128, "echo-reply": 129, "nd-rs": 133, "nd-ra": 134, "nd-ns": 135, "nd-na": 136 };

function ndOptionBytes(opts: NDOption[] | undefined): number[] {
  const out: number[] = [];
  for (const o of opts ?? []) {
    if (o.type === "src-lladdr" || o.type === "tgt-lladdr") {
      const m = new Uint8Array(6);
      macBytes(o.addr, m, 0, `ND option ${o.type}`);
      out.push(o.type === "src-lladdr" ? 1 : 2, 1, ...m);
    } else if (o.type === "mtu") {
      out.push(5, 1, 0, 0, (o.mtu >>> 24) & 0xff, (o.mtu >>> 16) & 0xff, (o.mtu >>> 8) & 0xff, o.mtu & 0xff);
    } else if (o.type === "prefix") {
      const p = new Uint8Array(32);
      p[0] = 3;
      p[1] = 4;
      p[2] = uint(o.len, 64, 7, "ND prefix len");
      p[3] = (o.onLink ?? true ? 0x80 : 0) | (o.autonomous ?? true ? 0x40 : 0);
      put32(p, 4, uint(o.validLifetime, 0xffffffff, 32, "ND prefix valid lifetime"));
      put32(p, 8, uint(o.preferredLifetime, 0xffffffff, 32, "ND prefix preferred lifetime"));
      ip6Bytes(o.prefix, p, 16, "ND prefix");
      out.push(...p);
    } else {
      const total = 2 + o.data.length;
      const len8 = Math.ceil(total / 8);
      out.push(uint(o.type, 0, 8, "ND option type"), len8, ...o.data, ...new Array<number>(len8 * 8 - total).fill(0));
    }
  }
  return out;
}

export class ICMPv6Layer extends Layer<"icmpv6"> {
  readonly kind = "icmpv6";
  private body: Uint8Array;
  readonly chksum: number | undefined;
  constructor(readonly msg: Readonly<ICMPv6Message> = { type: "echo-request" }, chksum?: number) {
    super();
    this.chksum = chksum;
    this.body = icmp6Body(msg);
  }
  get type(): number {
    return typeof this.msg.type === "number" ? this.msg.type : ICMP6_TYPES[this.msg.type];
  }
  /** neighbour discovery (hop limit 255) */
  get nd(): boolean {
    return this.type >= 133 && this.type <= 137;
  }
  size(): number {
    return 4 + this.body.length;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    b[o] = uint(this.type, 0, 8, "ICMPv6 type");
    b[o + 1] = uint("code" in this.msg ? this.msg.code : 0, 0, 8, "ICMPv6 code");
    b.set(this.body, o + 4);
  }
  override finish(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    put16(b, o + 2, this.chksum !== undefined ? uint(this.chksum, 0, 16, "ICMPv6 chksum") : fold(sum16(b, o, env.total, pseudoSum(b, env, i, 58))));
  }
}

function icmp6Body(m: Readonly<ICMPv6Message>): Uint8Array {
  const out: number[] = [];
  const w32 = (v: number) => out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const addr = (s: string, what: string) => {
    const a = new Uint8Array(16);
    ip6Bytes(s, a, 0, what);
    out.push(...a);
  };
  switch (m.type) {
    case "echo-request":
    case "echo-reply":
      w32(((uint(m.id, 0, 16, "ICMPv6 id") << 16) | uint(m.seq, 0, 16, "ICMPv6 seq")) >>> 0);
      break;
    case "nd-ns":
      w32(0);
      addr(m.target, "NS target");
      out.push(...ndOptionBytes(m.options));
      break;
    case "nd-na":
      w32(((m.router ? 0x80 : 0) | (m.solicited ? 0x40 : 0) | (m.override ?? true ? 0x20 : 0)) << 24);
      addr(m.target, "NA target");
      out.push(...ndOptionBytes(m.options));
      break;
    case "nd-rs":
      w32(0);
      out.push(...ndOptionBytes(m.options));
      break;
    case "nd-ra":
      out.push(uint(m.chlim, 64, 8, "RA chlim"), (m.managed ? 0x80 : 0) | (m.other ? 0x40 : 0));
      out.push(...[uint(m.routerLifetime, 1800, 16, "RA router lifetime")].flatMap((v) => [v >> 8, v & 0xff]));
      w32(uint(m.reachable, 0, 32, "RA reachable"));
      w32(uint(m.retrans, 0, 32, "RA retrans"));
      out.push(...ndOptionBytes(m.options));
      break;
    case "dest-unreach":
    case "time-exceeded":
      w32(0);
      break;
    case "packet-too-big":
      w32(uint(m.mtu, 1280, 32, "ICMPv6 mtu"));
      break;
    case "parameter-problem":
      w32(uint(m.ptr, 0, 32, "ICMPv6 ptr"));
      break;
    default:
      if (typeof m.type !== "number") throw new CraftError(`unknown ICMPv6 message type ${JSON.stringify((m as { type: unknown }).type)}`);
      out.push(...("body" in m && m.body ? m.body : [0, 0, 0, 0]));
  }
  return Uint8Array.from(out);
}

/** An ICMPv6 message (default: echo request); `chksum` only to force a value. */
export function ICMPv6(m: ICMPv6Message = { type: "echo-request" }, chksum?: number): ICMPv6Layer {
  return new ICMPv6Layer(m, chksum);
}

// ---------------------------------------------------------------------------------------------- UDP

export interface UDPFields {
  /** source port (default 53, as scapy) */
  sport?: number;
  /** destination port (default 53) */
  dport?: number;
  /** length (default: computed) */
  len?: number;
  /** checksum (default: computed; 0 means none over IPv4) */
  chksum?: number;
}

export class UDPLayer extends Layer<"udp"> {
  readonly kind = "udp";
  constructor(readonly fields: Readonly<UDPFields> = {}) {
    super();
  }
  with(f: Partial<UDPFields>): UDPLayer {
    return new UDPLayer({ ...this.fields, ...f });
  }
  size(): number {
    return 8;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    const f = this.fields;
    put16(b, o, uint(f.sport, 53, 16, "UDP sport"));
    put16(b, o + 2, uint(f.dport, 53, 16, "UDP dport"));
    put16(b, o + 4, uint(f.len, env.total - o, 16, "UDP len"));
  }
  override finish(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    if (this.fields.chksum !== undefined) return put16(b, o + 6, uint(this.fields.chksum, 0, 16, "UDP chksum"));
    const c = fold(sum16(b, o, env.total, pseudoSum(b, env, i, 17)));
    put16(b, o + 6, c === 0 ? 0xffff : c);
  }
}

export function UDP(f: UDPFields = {}): UDPLayer {
  return new UDPLayer(f);
}

// ---------------------------------------------------------------------------------------------- TCP

/** TCP options, scapy-like tuples; [kind, data] for any other. Padded with EOL to 32 bits. */
export type TCPOption = ["MSS", number] | ["SAckOK"] | ["SAck", number[]] | ["Timestamp", [number, number]] | ["WScale", number] | ["NOP"] | ["EOL"] | [number, Uint8Array?];

function tcpOptionBytes(opts: TCPOption[] | Uint8Array | undefined): Uint8Array {
  if (!opts) return EMPTY;
  if (opts instanceof Uint8Array) return pad4(opts);
  const out: number[] = [];
  const w32 = (v: number) => out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  for (const o of opts) {
    switch (o[0]) {
      case "EOL":
        out.push(0);
        break;
      case "NOP":
        out.push(1);
        break;
      case "MSS": {
        const v = uint(o[1], 0, 16, "TCP MSS");
        out.push(2, 4, v >> 8, v & 0xff);
        break;
      }
      case "WScale":
        out.push(3, 3, uint(o[1], 0, 8, "TCP WScale"));
        break;
      case "SAckOK":
        out.push(4, 2);
        break;
      case "SAck":
        out.push(5, 2 + 4 * o[1].length);
        for (const e of o[1]) w32(uint(e, 0, 32, "TCP SAck edge"));
        break;
      case "Timestamp":
        out.push(8, 10);
        w32(uint(o[1][0], 0, 32, "TCP TSval"));
        w32(uint(o[1][1], 0, 32, "TCP TSecr"));
        break;
      default: {
        if (typeof o[0] !== "number") throw new CraftError(`unknown TCP option ${JSON.stringify(o[0])}`);
        const d = (o[1] as Uint8Array | undefined) ?? EMPTY;
        out.push(uint(o[0], 0, 8, "TCP option kind"), 2 + d.length, ...d);
      }
    }
  }
  return pad4(Uint8Array.from(out));
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80, N: 0x100 };

/** "SA" -> 0x012 (scapy's letters: F S R P A U E C N). */
export function tcpFlags(f: string | number): number {
  if (typeof f === "number") return uint(f, 0, 9, "TCP flags");
  let v = 0;
  for (const c of f) {
    const bit = TCP_FLAG_BITS[c.toUpperCase()];
    if (!bit) throw new CraftError(`TCP flags ${JSON.stringify(f)}: ${JSON.stringify(c)} is not one of F S R P A U E C N`);
    v |= bit;
  }
  return v;
}

export interface TCPFields {
  /** source port (default 20, as scapy) */
  sport?: number;
  /** destination port (default 80) */
  dport?: number;
  seq?: number;
  ack?: number;
  /** header length in 32-bit words (default from the options) */
  dataofs?: number;
  /** flags: letters ("S", "SA", "PA", ...) or a number (default "S") */
  flags?: string | number;
  window?: number;
  chksum?: number;
  urgptr?: number;
  options?: TCPOption[] | Uint8Array;
}

export class TCPLayer extends Layer<"tcp"> {
  readonly kind = "tcp";
  private opts: Uint8Array;
  constructor(readonly fields: Readonly<TCPFields> = {}) {
    super();
    this.opts = tcpOptionBytes(fields.options);
    if (this.opts.length > 40) throw new CraftError(`TCP options take ${this.opts.length} bytes; at most 40 fit`);
  }
  with(f: Partial<TCPFields>): TCPLayer {
    return new TCPLayer({ ...this.fields, ...f });
  }
  get flags(): number {
    return tcpFlags(this.fields.flags ?? "S");
  }
  size(): number {
    return 20 + this.opts.length;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    const f = this.fields;
    put16(b, o, uint(f.sport, 20, 16, "TCP sport"));
    put16(b, o + 2, uint(f.dport, aboveKind(env, i) === "dns" ? 53 : 80, 16, "TCP dport"));
    put32(b, o + 4, uint(f.seq, 0, 32, "TCP seq"));
    put32(b, o + 8, uint(f.ack, 0, 32, "TCP ack"));
    const fl = this.flags;
    put16(b, o + 12, (uint(f.dataofs, (20 + this.opts.length) / 4, 4, "TCP dataofs") << 12) | fl);
    put16(b, o + 14, uint(f.window, 8192, 16, "TCP window"));
    put16(b, o + 18, uint(f.urgptr, 0, 16, "TCP urgptr"));
    b.set(this.opts, o + 20);
  }
  override finish(b: Uint8Array, env: BuildEnv, i: number): void {
    const o = env.offs[i];
    put16(b, o + 16, this.fields.chksum !== undefined ? uint(this.fields.chksum, 0, 16, "TCP chksum") : fold(sum16(b, o, env.total, pseudoSum(b, env, i, 6))));
  }
}

export function TCP(f: TCPFields = {}): TCPLayer {
  return new TCPLayer(f);
}

// ---------------------------------------------------------------------------------------------- Raw

export class RawLayer extends Layer<"raw"> {
  readonly kind = "raw";
  readonly load: Uint8Array;
  constructor(load: string | Uint8Array = EMPTY) {
    super();
    this.load = typeof load === "string" ? Buffer.from(load, "utf8") : load;
  }
  size(): number {
    return this.load.length;
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    b.set(this.load, env.offs[i]);
  }
}

/** Payload bytes (a string is UTF-8). */
export function Raw(load: string | Uint8Array = EMPTY): RawLayer {
  return new RawLayer(load);
}
