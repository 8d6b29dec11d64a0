/**
 * Issue #13, part B: one-line (and -v) output identical to tcpdump's for IPv4 headers, IPv6 routing headers,
 * IPv6 in IPv4, ICMP timestamps, ICMPv6 router advertisements and TCP options (TFO, MPTCP), and tshark's
 * ip.src/ip.dst for ICMP errors and source routes. tcpdump and tshark run here, on corpus captures and on
 * captures this file writes (packets the corpus lacks: IPv6 in IPv4, complete source routes, odd IPv4 headers).
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CORPUS, has, sh, tsniff } from "../helpers/run.js";

const TCPDUMP = has("tcpdump") && fs.existsSync(CORPUS);
const TSHARK = has("tshark");

function lines(b: Buffer): string[] {
  const s = b.toString("utf8");
  return s === "" ? [] : s.replace(/\n$/, "").split("\n");
}

/** tcpdump's and tsniff's stdout lines for the same file and flags (tsniff must exit 0). */
function both(file: string, flags: string[]): { ours: string[]; theirs: string[] } {
  const t = sh("tcpdump", [...flags, "-r", file]);
  const o = tsniff([...flags, "-r", file]);
  expect(o.status, o.stderr.toString()).toBe(0);
  return { ours: lines(o.stdout), theirs: lines(t.stdout) };
}

function same(file: string, flags: string[]): string[] {
  const { ours, theirs } = both(file, flags);
  expect(theirs.length).toBeGreaterThan(0);
  expect(ours).toEqual(theirs);
  return ours;
}

const corpus = (f: string) => path.join(CORPUS, f);

// ---- captures written here (classic pcap, Ethernet) ----

function csum(b: number[]): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
const u16 = (n: number) => [(n >> 8) & 255, n & 255];
const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const a4 = (s: string) => s.split(".").map(Number);
const a6 = (s: string) => {
  const [l, r = ""] = s.split("::");
  const p = (x: string) => (x ? x.split(":").map((h) => parseInt(h, 16)) : []);
  const hi = p(l),
    lo = p(r);
  return [...hi, ...Array(8 - hi.length - lo.length).fill(0), ...lo].flatMap((w) => u16(w));
};

interface Ip4 {
  src?: string;
  dst?: string;
  proto: number;
  ttl?: number;
  frag?: number;
  options?: number[];
  badSum?: boolean;
  /** checksum the transport (UDP/TCP) over this destination (a source route's final one) */
  sumDst?: string;
}

function ip4(h: Ip4, payload: number[]): number[] {
  const opts = h.options ?? [];
  const hl = 20 + opts.length;
  const src = a4(h.src ?? "192.0.2.1"),
    dst = a4(h.dst ?? "192.0.2.2");
  if (h.proto === 17 || h.proto === 6) {
    const at = h.proto === 17 ? 6 : 16;
    payload = [...payload];
    payload[at] = payload[at + 1] = 0;
    const c = csum([...src, ...a4(h.sumDst ?? h.dst ?? "192.0.2.2"), 0, h.proto, ...u16(payload.length), ...payload]);
    payload[at] = c >> 8;
    payload[at + 1] = c & 255;
  }
  const hdr = [0x40 | (hl / 4), 0, ...u16(hl + payload.length), ...u16(4660), ...u16(h.frag ?? 0x4000), h.ttl ?? 64, h.proto, 0, 0, ...src, ...dst, ...opts];
  const c = csum(hdr) ^ (h.badSum ? 0x1111 : 0);
  hdr[10] = c >> 8;
  hdr[11] = c & 255;
  return [...hdr, ...payload];
}

const udp = (sport: number, dport: number, data: number[]) => [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data];
const tcpPsh = (sport: number, dport: number, data: number[]) => [...u16(sport), ...u16(dport), ...u32(1000), ...u32(2000), 0x50, 0x18, ...u16(512), 0, 0, 0, 0, ...data];

function ip6(src: string, dst: string, nh: number, payload: number[]): number[] {
  return [0x60, 0, 0, 0, ...u16(payload.length), nh, 64, ...a6(src), ...a6(dst), ...payload];
}
function sum6(src: string, dst: string, nh: number, l4: number[], at: number): number[] {
  const out = [...l4];
  out[at] = out[at + 1] = 0;
  const c = csum([...a6(src), ...a6(dst), ...u32(out.length), 0, 0, 0, nh, ...out]);
  out[at] = c >> 8;
  out[at + 1] = c & 255;
  return out;
}

function writePcap(file: string, frames: number[][]): string {
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(65535, 16);
  g.writeUInt32LE(1, 20);
  parts.push(g);
  frames.forEach((ipPacket, i) => {
    const f = Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...u16(ipPacket[0] >> 4 === 6 ? 0x86dd : 0x0800), ...ipPacket]);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000 + i, 0);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    parts.push(h, f);
  });
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
}

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-fidelity-b-"));
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!TCPDUMP)("IPv4 headers as tcpdump prints them", () => {
  it("-v: options cut by the capture (LSRR addresses, [truncated-option], [|ip]); without -v the fragment line", () => {
    const f = corpus("ip_printroute_asan.pcap");
    const v = same(f, ["-nn", "-t", "-v"]);
    expect(v.join("\n")).toContain("LSRR [bad length 25]");
    same(f, ["-nn", "-t"]);
  });

  it("a total length beyond the frame: truncated-ip first, a bad header checksum, the lengths handed up", () => {
    const f = corpus("icmp-cksum-oobr-1.pcap");
    same(f, ["-nn", "-t"]);
    const { ours, theirs } = both(f, ["-nn", "-t", "-v"]);
    // the ICMP multi-part extension (RFC 4884) line after the quoted packet, too
    expect(theirs[4]).toMatch(/Multi-Part extension/);
    expect(ours).toEqual(theirs);
    expect(ours[0]).toMatch(/^IP truncated-ip - \d+ bytes missing! \(.*, bad cksum [0-9a-f]+ \(->[0-9a-f]+\)!\)$/);
  });

  it("flags [+, DF, rsvd], no ttl 0, bad cksum, unknown protocols (ip-proto-N and the length), complete source routes", () => {
    const f = writePcap(path.join(dir, "ipv4.pcap"), [
      ip4({ proto: 253, ttl: 0, frag: 0xe000 }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
      ip4({ proto: 253, badSum: true, frag: 0 }, [1, 2, 3]),
      ip4({ proto: 17, frag: 0x8000, dst: "192.0.2.2", sumDst: "198.51.100.9", options: [131, 11, 4, ...a4("198.51.100.5"), ...a4("198.51.100.9"), 1] }, udp(5000, 6000, [104, 105])),
      ip4({ proto: 17, dst: "192.0.2.2", sumDst: "198.51.100.9", options: [137, 11, 8, ...a4("198.51.100.5"), ...a4("198.51.100.9"), 1] }, udp(5000, 6000, [104, 105])),
      ip4({ proto: 17, options: [7, 11, 8, ...a4("198.51.100.5"), ...a4("198.51.100.9"), 0] }, udp(5000, 6000, [104, 105])),
      ip4({ proto: 17, options: [148, 4, 0, 1] }, udp(5000, 6000, [104, 105])),
    ]);
    const plain = same(f, ["-nn", "-t"]);
    expect(plain[0]).toMatch(/:  ip-proto-253 10$/);
    const v = same(f, ["-nn", "-t", "-v"]);
    const text = v.join("\n");
    expect(text).toContain("flags [+, DF, rsvd]");
    expect(text).not.toContain("ttl 0,");
    expect(text).toMatch(/bad cksum [0-9a-f]+ \(->[0-9a-f]+\)!/);
    expect(text).toContain("options (LSRR 198.51.100.5 198.51.100.9,NOP)");
    // -vv checks UDP checksums: over the source route's final destination
    const vv = same(f, ["-nn", "-t", "-vv"]);
    expect(vv.filter((l) => l.includes("[udp sum ok]")).length).toBeGreaterThanOrEqual(3);
  });

  it.skipIf(!TSHARK)("-T fields: ip.dst is a source route's final destination while hops are left, as tshark says", () => {
    const f = writePcap(path.join(dir, "route.pcap"), [
      ip4({ proto: 17, options: [131, 11, 4, ...a4("198.51.100.5"), ...a4("198.51.100.9"), 1] }, udp(5000, 6000, [1])),
      ip4({ proto: 17, options: [137, 11, 8, ...a4("198.51.100.5"), ...a4("198.51.100.9"), 1] }, udp(5000, 6000, [1])),
      ip4({ proto: 17, options: [131, 11, 12, ...a4("198.51.100.5"), ...a4("198.51.100.9"), 1] }, udp(5000, 6000, [1])),
      ip4({ proto: 17, options: [7, 11, 4, ...a4("198.51.100.5"), ...a4("198.51.100.9"), 1] }, udp(5000, 6000, [1])),
    ]);
    const args = ["-r", f, "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.addr"];
    const theirs = lines(sh("tshark", args).stdout);
    const o = tsniff(args);
    expect(o.status).toBe(0);
    expect(lines(o.stdout)).toEqual(theirs);
    expect(new Set(theirs.map((l) => l.split("\t")[1])).size).toBe(2); // some changed, some not
  });

  it.skipIf(!TSHARK)("-T fields: an ICMP error lists the quoted packet's ip.src/ip.dst too, as tshark", () => {
    const f = corpus("icmp-cksum-oobr-1.pcap");
    const args = ["-r", f, "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto"];
    const theirs = lines(sh("tshark", args).stdout);
    expect(theirs[0]).toContain(",");
    const o = tsniff(args);
    expect(lines(o.stdout)).toEqual(theirs);
  });
});

describe.skipIf(!TCPDUMP)("IPv6 and IPv6 in IPv4 as tcpdump prints them", () => {
  it("routing headers: checksums over the final destination (type 0, segment routing)", () => {
    for (const name of ["ipv6-routing-header.pcap", "ipv6-srh-insert-cksum.pcap"]) {
      const v = same(corpus(name), ["-nn", "-t", "-v"]);
      expect(v.join("\n")).toMatch(/\[(icmp6|udp) sum ok\]/);
      same(corpus(name), ["-nn", "-t"]);
    }
  });

  it("router advertisement: flags in tcpdump's order, route information and DNS search list options", () => {
    const v = same(corpus("icmpv6_opt24.pcap"), ["-nn", "-t", "-v"]);
    expect(v.join("\n")).toContain("Flags [managed, other stateful]");
  });

  it("IPv6 in IPv4 (protocol 41): the inner TCP and UDP print their addresses and ports", () => {
    const s6 = "2001:db8::1",
      d6 = "2001:db8::2";
    const f = writePcap(path.join(dir, "6in4.pcap"), [
      ip4({ proto: 41 }, ip6(s6, d6, 6, sum6(s6, d6, 6, tcpPsh(40000, 80, [104, 105]), 16))),
      ip4({ proto: 41 }, ip6(s6, d6, 17, sum6(s6, d6, 17, udp(5353, 5354, [1, 2, 3]), 6))),
    ]);
    const plain = same(f, ["-nn", "-t"]);
    expect(plain[0]).toContain(`IP6 ${s6}.40000 > ${d6}.80: Flags [P.]`);
    same(f, ["-nn", "-t", "-v"]);
  });
});

describe.skipIf(!TCPDUMP)("ICMP and TCP options as tcpdump prints them", () => {
  it("ICMP timestamp reply: hours beyond 99", () => {
    const ms = (h: number, m: number, s: number, x: number) => ((h * 60 + m) * 60 + s) * 1000 + x;
    const icmp = [14, 0, 0, 0, ...u16(7), ...u16(9), ...u32(ms(1, 2, 3, 4)), ...u32(ms(457, 32, 59, 264)), ...u32(ms(99, 59, 59, 999))];
    const c = csum(icmp);
    icmp[2] = c >> 8;
    icmp[3] = c & 255;
    const f = writePcap(path.join(dir, "tstamp.pcap"), [ip4({ proto: 1 }, icmp)]);
    const plain = same(f, ["-nn", "-t"]);
    expect(plain[0]).toContain("recv 457:32:59.264");
    same(f, ["-nn", "-t", "-v"]);
  });

  it("TCP Fast Open (experimental and RFC 7413 kinds) and MPTCP options", () => {
    const files = ["tfo-5c1fa7f9ae91.pcap", ...fs.readdirSync(CORPUS).filter((n) => /^mptcp.*\.pcap$/.test(n))];
    expect(files.length).toBeGreaterThan(5);
    let mptcp = 0;
    for (const name of files) {
      const out = same(corpus(name), ["-nn", "-t"]);
      mptcp += out.filter((l) => /mptcp \d+ (capable|join|dss|add-addr|rem-addr|fast-close)/.test(l)).length;
    }
    expect(mptcp).toBeGreaterThan(100);
    const tfo = both(corpus("tfo-5c1fa7f9ae91.pcap"), ["-nn", "-t"]).ours.join("\n");
    expect(tfo).toContain("exp-tfo cookiereq");
    // RFC 7413 options (kind 34) written here; tcpdump prints them with two spaces after the name
    const syn = [...u16(40000), ...u16(80), ...u32(1), ...u32(0), 0x80, 0x02, ...u16(1024), 0, 0, 0, 0, 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 34, 2];
    const f = writePcap(path.join(dir, "tfo.pcap"), [ip4({ proto: 6 }, syn)]);
    expect(same(f, ["-nn", "-t"])[0]).toContain("tfo  cookie 0102030405060708,tfo  cookiereq");
  });
});
