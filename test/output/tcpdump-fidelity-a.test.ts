/**
 * Issue #13, part A: tsniff's output against the installed tcpdump (the oracle), run here on corpus captures
 * and on captures this file writes: -# / --number in every mode tcpdump prints it, the -e link-layer lines
 * (Ethernet, 802.3, VXLAN's inner frame, NULL, RAW, SLL, SLL2), -AA, and timestamps whose fraction is out of
 * range. Nothing of tcpdump's output is written down here: both programs run on the same file, same flags.
 * Needs the build (bin/tsniff runs dist/).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS, ROOT } from "../helpers/paths.js";

const TSNIFF = path.join(ROOT, "bin", "tsniff");
const ENV = { ...process.env, TZ: "UTC" };

function tcpdumpOk(): boolean {
  const r = spawnSync("tcpdump", ["--version"], { encoding: "utf8" });
  return r.status === 0 && fs.existsSync(CORPUS) && fs.existsSync(path.join(ROOT, "dist", "clib", "main.js"));
}
const ok = tcpdumpOk();

function run(cmd: string, args: string[]): { out: string; status: number | null; err: string } {
  const r = spawnSync(cmd, args, { encoding: "latin1", env: ENV, maxBuffer: 1 << 26 });
  return { out: r.stdout, status: r.status, err: r.stderr };
}
const tcpdump = (args: string[]) => run("tcpdump", args);
const tsniff = (args: string[]) => run(process.execPath, [TSNIFF, ...args]);

function corpus(f: string): string {
  return path.join(CORPUS, f);
}

/** Both programs' stdout for the same flags and file; tcpdump must have printed something. */
function both(flags: string[], file: string, filter: string[] = []): { ours: string; theirs: string } {
  const theirs = tcpdump([...flags, "-r", file, ...filter]);
  expect(theirs.out.length, `tcpdump ${flags.join(" ")} -r ${file}: ${theirs.err}`).toBeGreaterThan(0);
  const ours = tsniff([...flags, "-r", file, ...filter]);
  expect(ours.status, ours.err).toBe(0);
  return { ours: ours.out, theirs: theirs.out };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-fid-a-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A microsecond pcap of `linktype` holding these records ([sec, usec, bytes]), written to tmp. */
function writePcap(name: string, linktype: number, records: [number, number, Uint8Array][]): string {
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(65535, 16);
  g.writeUInt32LE(linktype, 20);
  parts.push(g);
  for (const [sec, usec, d] of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(usec >>> 0, 4);
    h.writeUInt32LE(d.length, 8);
    h.writeUInt32LE(d.length, 12);
    parts.push(h, Buffer.from(d));
  }
  const p = path.join(tmp, name);
  fs.writeFileSync(p, Buffer.concat(parts));
  return p;
}

/** An IPv4 ICMP echo request, 127.0.0.1 > 127.0.0.1, with a right header checksum. */
function icmpEcho(seq: number): number[] {
  const icmp = [8, 0, 0, 0, 0x12, 0x34, 0, seq, ...Array.from({ length: 16 }, (_, i) => 0x61 + i)];
  const ip = [0x45, 0, 0, 20 + icmp.length, 0, seq, 0x40, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
  const sum = (b: number[]) => {
    let s = 0;
    for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return ~s & 0xffff;
  };
  const c = sum(ip);
  ip[10] = c >> 8;
  ip[11] = c & 255;
  const ic = sum(icmp);
  icmp[2] = ic >> 8;
  icmp[3] = ic & 255;
  return [...ip, ...icmp];
}

/** An SLL2 header (20 bytes) for an IPv4 payload. */
function sll2(ifindex: number, pkttype: number): number[] {
  return [0x08, 0x00, 0, 0, ifindex >>> 24, (ifindex >>> 16) & 255, (ifindex >>> 8) & 255, ifindex & 255, 0, 1, pkttype, 6, 2, 0, 0, 0, 0, 1, 0, 0];
}

/** An SLL (v1) header (16 bytes). */
function sll1(pkttype: number, proto: number, halen = 6): number[] {
  return [0, pkttype, 0, 1, 0, halen, 0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0, 0, proto >> 8, proto & 255];
}

describe.skipIf(!ok)("tcpdump fidelity, part A (against the installed tcpdump)", () => {
  describe("-# / --number", () => {
    const modes = [["-#"], ["--number"], ["-#", "-v", "-x"], ["-#", "-e", "-tttt"], ["-#", "-A"], ["-#", "-XX", "-e"], ["-#", "-ttt", "-vv"], ["-#", "-tt", "-AA"]];
    for (const f of ["dns-badcookie.pcap", "vxlan.pcap", "3560_CDP.pcap"]) {
      for (const m of modes) {
        it(`${m.join(" ")} -nn -r ${f}`, () => {
          const { ours, theirs } = both(["-nn", ...m], corpus(f));
          expect(ours).toBe(theirs);
        });
      }
    }
    it("numbers count the packets that pass the capture filter, as tcpdump's", () => {
      const { ours, theirs } = both(["-nn", "-#", "-c", "5"], corpus("vxlan.pcap"));
      expect(ours).toBe(theirs);
      const f = both(["-nn", "-#"], corpus("vxlan.pcap"), ["src", "host", "192.168.202.1"]);
      expect(f.ours).toBe(f.theirs);
      expect(f.ours.startsWith("    1  ")).toBe(true);
    });
  });

  describe("-e link-layer lines", () => {
    // whole output identical
    for (const f of ["dhcp-rfc3004.pcap", "vxlan.pcap", "3560_CDP.pcap", "dns-badcookie.pcap", "quic_handshake.pcap", "LINKTYPE_RAW_ipv4.pcap", "LINKTYPE_RAW_ipv6.pcap", "LINKTYPE_IPV4.pcap", "LINKTYPE_IPV6.pcap", "LINKTYPE_IPV4_invalid.pcap", "LINKTYPE_IPV6_invalid.pcap", "mptcp-v1.pcap"]) {
      it(`-nn -e -r ${f}`, () => {
        const { ours, theirs } = both(["-nn", "-e"], corpus(f));
        expect(ours).toBe(theirs);
      });
    }
    it("SLL (v1) and NULL link headers, where the payloads differ (other tests' business)", () => {
      for (const f of ["babel.pcap", "bgp-infinite-loop.pcap", "resp_1_benchmark.pcap", "ikev2four.pcap", "icmpv6-RFC2894-RR.pcap"]) {
        const { ours, theirs } = both(["-nn", "-e"], corpus(f));
        const link = (s: string) => s.split("\n").filter((l) => /^\d/.test(l)).map((l) => /^.*?, length \d+: /.exec(l)?.[0] ?? l);
        expect(link(ours)).toEqual(link(theirs));
        expect(link(ours).length).toBeGreaterThan(0);
      }
    });
    it("SLL (v1): broadcast, Linux's 802.2/802.3 pseudo-protocols, an address that is not 6 bytes", () => {
      const ip = icmpEcho(1);
      const f = writePcap("sll1.pcap", 113, [
        [1, 0, new Uint8Array([...sll1(1, 0x0800), ...ip])],
        [2, 0, new Uint8Array([...sll1(3, 0x0800, 4), ...ip])],
        [3, 0, new Uint8Array([...sll1(4, 0x0004), 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, ...ip])],
      ]);
      for (const flags of [["-nn", "-e"], ["-nn", "-e", "-q"], ["-nn"]]) {
        const { ours, theirs } = both(flags, f);
        expect(ours).toBe(theirs);
      }
    });
    it("SLL2: interface name and direction always, -e adds ifindex, address, protocol and length", () => {
      const f = writePcap("sll2.pcap", 276, [
        [1, 0, new Uint8Array([...sll2(1, 0), ...icmpEcho(1)])],
        [2, 0, new Uint8Array([...sll2(1, 4), ...icmpEcho(2)])],
        [3, 0, new Uint8Array([...sll2(99999, 1), ...icmpEcho(3)])],
        [4, 0, new Uint8Array([...sll2(1, 2), ...icmpEcho(4)])],
      ]);
      for (const flags of [["-nn"], ["-nn", "-e"], ["-nn", "-e", "-q"], ["-nn", "-#", "-e", "-tttt"]]) {
        const { ours, theirs } = both(flags, f);
        expect(ours).toBe(theirs);
      }
    });
  });

  describe("filters on files, and -d, as tcpdump", () => {
    const stamps = (s: string) => s.split("\n").filter((l) => /^\d/.test(l)).map((l) => l.split(" ")[0]);
    it("inbound/outbound/ifindex on an Ethernet file: refused with libpcap's message, exit 1", () => {
      for (const e of ["inbound", "outbound", "ifindex 1", "tcp or inbound"]) {
        const theirs = tcpdump(["-nn", "-r", corpus("vxlan.pcap"), e]);
        const ours = tsniff(["-nn", "-r", corpus("vxlan.pcap"), e]);
        expect(theirs.status).not.toBe(0);
        expect(ours.status).toBe(theirs.status);
        expect(ours.out).toBe("");
        const last = (t: string) => t.trim().split("\n").pop()!.replace(/^(tcpdump|tsniff): /, "");
        expect(last(ours.err)).toBe(last(theirs.err));
        expect(ours.err.trim().split("\n")).toHaveLength(1);
      }
    });
    it("inbound/outbound on an SLL file select by the recorded direction, as tcpdump", () => {
      for (const e of ["inbound", "outbound"]) {
        const { ours, theirs } = both(["-nn"], corpus("babel.pcap"), [e]);
        expect(stamps(ours)).toEqual(stamps(theirs));
      }
    });
    it("'ip broadcast' on a file uses netmask 0", () => {
      for (const f of ["dhcp-rfc3004.pcap", "vxlan.pcap"]) {
        const theirs = tcpdump(["-nn", "-r", corpus(f), "ip broadcast"]);
        const ours = tsniff(["-nn", "-r", corpus(f), "ip broadcast"]);
        expect(ours.status, ours.err).toBe(0);
        expect(stamps(ours.out)).toEqual(stamps(theirs.out));
      }
      expect(stamps(tsniff(["-nn", "-r", corpus("dhcp-rfc3004.pcap"), "ip broadcast"]).out).length).toBeGreaterThan(0);
    });
    it("-d 'ip broadcast': the program tcpdump prints, with or without -i/-y/-r", () => {
      for (const extra of [[], ["-y", "LINUX_SLL"], ["-i", "lo"], ["-r", corpus("vxlan.pcap")]]) {
        const theirs = tcpdump(["-d", ...extra, "ip broadcast"]);
        const ours = tsniff(["-d", ...extra, "ip broadcast"]);
        expect(theirs.status).toBe(0);
        expect(ours.status, ours.err).toBe(0);
        expect(ours.out).toBe(theirs.out);
      }
    });
  });

  describe("timestamps whose fraction is a second or more, in every -t mode", () => {
    const modes = [[], ["-tt"], ["-ttt"], ["-tttt"], ["-ttttt"], ["--nano"], ["-tt", "--nano"], ["-ttt", "--nano"], ["-ttttt", "--nano"]];
    // the time text: up to the packet's first word after it ("IP", ...)
    const times = (s: string) => s.split("\n").filter(Boolean).map((l) => /^[ -]?[\d:.-]+( [\d:.]+)?/.exec(l)?.[0] ?? l);
    it("microsecond and nanosecond files with out-of-range fractions (corpus and made here)", () => {
      const ip = icmpEcho(1);
      const eth = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00, ...ip];
      const made = writePcap("usec.pcap", 1, [
        [100, 999999, new Uint8Array(eth)],
        [100, 5000000, new Uint8Array(eth)],
        [101, 1010580, new Uint8Array(eth)],
        [99, 4294967295, new Uint8Array(eth)],
        [102, 0, new Uint8Array(eth)],
      ]);
      for (const f of [corpus("timestamp_invalid_micro.pcap"), corpus("timestamp_invalid_nano.pcap"), corpus("heapoverflow-tcp_print.pcap"), corpus("atm-oam-loopback-print-overrun.pcap"), made]) {
        for (const m of modes) {
          const { ours, theirs } = both(["-nn", ...m], f);
          expect(times(ours), `${m.join(" ")} ${f}`).toEqual(times(theirs));
        }
      }
      // the made file: a fraction of 5 s prints as tcpdump's 7 digits, not a wrapped 32-bit value
      expect(tsniff(["-nn", "-tt", "-r", made]).out).toContain("100.5000000 ");
    }, 300_000); // 45 runs of each program: slow on a loaded machine
  });

  describe("-AA keeps the link-layer header, -A leaves it out", () => {
    for (const f of ["dns-badcookie.pcap", "vxlan.pcap", "3560_CDP.pcap"]) {
      for (const m of [["-AA"], ["-A"], ["-AA", "-e", "-tt"]]) {
        it(`${m.join(" ")} -nn -r ${f}`, () => {
          const { ours, theirs } = both(["-nn", ...m], corpus(f));
          expect(ours).toBe(theirs);
        });
      }
    }
  });
});
