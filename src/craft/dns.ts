/**
 * DNS messages (RFC 1035): header, questions and resource records with names compressed (unless
 * `compress: false`). Over TCP the message gets its 2-byte length prefix.
 */
import { CraftError, ip4Bytes, ip6Bytes, put16, uint } from "./addr.js";
import { below, Layer, type BuildEnv } from "./stack.js";

const TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export type DnsTypeName = keyof typeof TYPES;
const CLASSES = { IN: 1, CH: 3, HS: 4, ANY: 255 } as const;
export type DnsClassName = keyof typeof CLASSES;

export interface DnsQuestion {
  name: string;
  /** default "A" */
  type?: DnsTypeName | number;
  /** default "IN" */
  class?: DnsClassName | number;
}

interface RRBase {
  name: string;
  /** default 0 */
  ttl?: number;
  /** default "IN" */
  class?: DnsClassName | number;
}
/** A resource record: rdata typed by the record type; a numeric type takes raw rdata bytes. */
export type DnsRR = RRBase &
  (
    | { type: "A"; rdata: string }
    | { type: "AAAA"; rdata: string }
    | { type: "CNAME" | "NS" | "PTR"; rdata: string }
    | { type: "TXT"; rdata: string | string[] }
    | { type: "MX"; rdata: { preference: number; exchange: string } }
    | { type: "SRV"; rdata: { priority: number; weight: number; port: number; target: string } }
    | { type: "SOA"; rdata: { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } }
    | { type: number; rdata: Uint8Array }
  );

export interface DNSFields {
  /** transaction id (default 0) */
  id?: number;
  /** 1 for a response */
  qr?: 0 | 1;
  opcode?: number;
  aa?: 0 | 1;
  tc?: 0 | 1;
  /** recursion desired (default 1) */
  rd?: 0 | 1;
  ra?: 0 | 1;
  z?: 0 | 1;
  ad?: 0 | 1;
  cd?: 0 | 1;
  rcode?: number;
  qd?: DnsQuestion[];
  an?: DnsRR[];
  ns?: DnsRR[];
  ar?: DnsRR[];
  /** compress names (default true) */
  compress?: boolean;
}

class Writer {
  buf: number[] = [];
  names = new Map<string, number>();
  constructor(private compress: boolean) {}
  u8(v: number) {
    this.buf.push(v & 0xff);
  }
  u16(v: number) {
    this.buf.push((v >>> 8) & 0xff, v & 0xff);
  }
  u32(v: number) {
    this.buf.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  bytes(b: ArrayLike<number>) {
    for (let i = 0; i < b.length; i++) this.buf.push(b[i]);
  }
  name(n: string) {
    const labels = n === "." || n === "" ? [] : n.replace(/\.$/, "").split(".");
    let total = 1;
    for (let k = 0; k < labels.length; k++) {
      const l = labels[k];
      const enc = Buffer.from(l, "utf8");
      if (enc.length === 0 || enc.length > 63) throw new CraftError(`DNS name ${JSON.stringify(n)}: a label is ${enc.length === 0 ? "empty" : "longer than 63 bytes"}`);
      total += 1 + enc.length;
      if (total > 255) throw new CraftError(`DNS name ${JSON.stringify(n)} is longer than 255 bytes`);
      const suffix = labels.slice(k).join(".").toLowerCase();
      const at = this.names.get(suffix);
      if (this.compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.buf.length < 0x3fff) this.names.set(suffix, this.buf.length);
      this.u8(enc.length);
      this.bytes(enc);
    }
    this.u8(0);
  }
}

function typeNum(t: DnsTypeName | number | undefined, what: string): number {
  if (t === undefined) return 1;
  if (typeof t === "number") return uint(t, 0, 16, what);
  const v = TYPES[t];
  if (v === undefined) throw new CraftError(`${what} ${JSON.stringify(t)} is not one of ${Object.keys(TYPES).join(" ")}`);
  return v;
}

function classNum(c: DnsClassName | number | undefined): number {
  if (c === undefined) return 1;
  if (typeof c === "number") return uint(c, 0, 16, "DNS class");
  const v = CLASSES[c];
  if (v === undefined) throw new CraftError(`DNS class ${JSON.stringify(c)} is not one of ${Object.keys(CLASSES).join(" ")}`);
  return v;
}

function rr(w: Writer, r: DnsRR): void {
  w.name(r.name);
  w.u16(typeNum(r.type, "DNS record type"));
  w.u16(classNum(r.class));
  w.u32(uint(r.ttl, 0, 32, "DNS ttl"));
  const lenAt = w.buf.length;
  w.u16(0);
  const start = w.buf.length;
  switch (r.type) {
    case "A": {
      const a = new Uint8Array(4);
      ip4Bytes(r.rdata, a, 0, "DNS A rdata");
      w.bytes(a);
      break;
    }
    case "AAAA": {
      const a = new Uint8Array(16);
      ip6Bytes(r.rdata, a, 0, "DNS AAAA rdata");
      w.bytes(a);
      break;
    }
    case "CNAME":
    case "NS":
    case "PTR":
      w.name(r.rdata);
      break;
    case "TXT":
      for (const s of typeof r.rdata === "string" ? [r.rdata] : r.rdata) {
        const b = Buffer.from(s, "utf8");
        if (b.length > 255) throw new CraftError("a DNS TXT string is longer than 255 bytes");
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case "MX":
      w.u16(uint(r.rdata.preference, 0, 16, "MX preference"));
      w.name(r.rdata.exchange);
      break;
    case "SRV":
      w.u16(uint(r.rdata.priority, 0, 16, "SRV priority"));
      w.u16(uint(r.rdata.weight, 0, 16, "SRV weight"));
      w.u16(uint(r.rdata.port, 0, 16, "SRV port"));
      w.name(r.rdata.target); // RFC 2782: not compressed... but decoders accept it; keep it plain
      break;
    case "SOA": {
      const s = r.rdata;
      w.name(s.mname);
      w.name(s.rname);
      for (const [k, v] of [["serial", s.serial], ["refresh", s.refresh], ["retry", s.retry], ["expire", s.expire], ["minimum", s.minimum]] as const) w.u32(uint(v, 0, 32, `SOA ${k}`));
      break;
    }
    default:
      if (!(r.rdata instanceof Uint8Array)) throw new CraftError(`DNS record type ${String(r.type)} takes rdata as bytes`);
      w.bytes(r.rdata);
  }
  const len = w.buf.length - start;
  w.buf[lenAt] = len >> 8;
  w.buf[lenAt + 1] = len & 0xff;
}

/** The DNS message's bytes (without a TCP length prefix). */
export function encodeDns(f: Readonly<DNSFields>): Uint8Array {
  const w = new Writer(f.compress ?? true);
  w.u16(uint(f.id, 0, 16, "DNS id"));
  const b = (v: number | undefined, d: number, what: string) => uint(v, d, 1, `DNS ${what}`);
  w.u8((b(f.qr, 0, "qr") << 7) | (uint(f.opcode, 0, 4, "DNS opcode") << 3) | (b(f.aa, 0, "aa") << 2) | (b(f.tc, 0, "tc") << 1) | b(f.rd, 1, "rd"));
  w.u8((b(f.ra, 0, "ra") << 7) | (b(f.z, 0, "z") << 6) | (b(f.ad, 0, "ad") << 5) | (b(f.cd, 0, "cd") << 4) | uint(f.rcode, 0, 4, "DNS rcode"));
  const qd = f.qd ?? [],
    an = f.an ?? [],
    ns = f.ns ?? [],
    ar = f.ar ?? [];
  for (const n of [qd, an, ns, ar]) w.u16(uint(n.length, 0, 16, "DNS record count"));
  for (const q of qd) {
    w.name(q.name);
    w.u16(typeNum(q.type, "DNS question type"));
    w.u16(classNum(q.class));
  }
  for (const r of an) rr(w, r);
  for (const r of ns) rr(w, r);
  for (const r of ar) rr(w, r);
  return Uint8Array.from(w.buf);
}

export class DNSLayer extends Layer<"dns"> {
  readonly kind = "dns";
  private enc: Uint8Array;
  constructor(readonly fields: Readonly<DNSFields> = {}) {
    super();
    this.enc = encodeDns(fields);
  }
  with(f: Partial<DNSFields>): DNSLayer {
    return new DNSLayer({ ...this.fields, ...f });
  }
  private overTcp(env: BuildEnv, i: number): boolean {
    return i > 0 && below(env, i, "tcp", "udp") === i - 1 && env.layers[i - 1].kind === "tcp";
  }
  size(env: BuildEnv, i: number): number {
    return this.enc.length + (this.overTcp(env, i) ? 2 : 0);
  }
  write(b: Uint8Array, env: BuildEnv, i: number): void {
    let o = env.offs[i];
    if (this.overTcp(env, i)) {
      put16(b, o, this.enc.length);
      o += 2;
    }
    b.set(this.enc, o);
  }
}

/** A DNS message: `DNS({ id: 7, qd: [{ name: "a.test", type: "A" }] })`. */
export function DNS(f: DNSFields = {}): DNSLayer {
  return new DNSLayer(f);
}

