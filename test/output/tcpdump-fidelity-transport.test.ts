/**
 * Issue #13, the everyday `udp`, `tcp` and `http` rows of docs/FIDELITY.md: UDP and TCP at their edges, against
 * the installed tcpdump (the oracle) on corpus captures and on captures this file writes, at -nn, -nn -v and
 * -nn -e, tsniff dissecting in-process (test/helpers/tcpdump-packets.ts). Nothing of tcpdump's output is written
 * down here. What is covered: a reset's payload at -v (" [RST ...]"); an empty UDP payload still handed to the
 * port's printer (with or without bytes after the UDP length); a jumbogram's UDP length of 0; UDP and TCP
 * headers cut by the capture; TCP options walked as tcpdump walks them (a fixed-size option with another length,
 * "[bad opt]", options cut by the capture, a header longer than what was captured); raw IP of another version.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { ALL_MODES, fidelitySuite } from "../helpers/tcpdump-packets.js";
import { writePcap } from "../dissectors/app-common.js";
import { lookup } from "../../src/dissectors/registry.js";
import "../../src/dissectors/index.js";

fidelitySuite("corpus: reset payloads (-v), empty UDP payloads, a jumbogram, cut UDP/TCP headers, TCP options tcpdump cannot walk, raw IP v3, IPv4 header length below 20 or cut", [
  ...["tcp_rst_data.pcap", "tcp_rst_data-trunc.pcap", "tcp_rst_diag_payload.pcap", "tcp_rst_diag_payload-trunc.pcap"],
  ...["dns-zlip-1.pcap", "dns-zlip-2.pcap", "dns-zlip-3.pcap", "rtp-seg-fault-2.pcapng", "ripv2-invalid-length.pcap", "quic_32_bit_pointer_overflow.pcap", "udp-length-heapoverflow.pcap"],
  ...["beep-oobr.pcap", "heapoverflow-tcp_print.pcap", "scps_invalid.pcap", "tcp-auth-heapoverflow.pcap", "tcp_header_heapoverflow.pcap", "heap-overflow-1.pcap"],
  ...["ipv4_invalid_hdr_length.pcap", "ipv4_invalid_length.pcap"],
].map((file) => ({ file, modes: ALL_MODES })));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-fid-transport-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sum16(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
/** Ethernet + IPv4 (10.0.0.1 > 10.0.0.2, right header checksum) around a transport header and payload. */
function ipv4(proto: number, l4: number[]): Uint8Array {
  const ip = [0x45, 0, (20 + l4.length) >> 8, (20 + l4.length) & 255, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const c = sum16(Uint8Array.from(ip));
  ip[10] = c >> 8;
  ip[11] = c & 255;
  return Uint8Array.from([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00, ...ip, ...l4]);
}
const be16 = (v: number) => [v >> 8, v & 255];
/** A UDP header from port 60000 with this length field, then these bytes. */
const udp = (dport: number, ulen: number, after: number[]) => ipv4(17, [...be16(60000), ...be16(dport), ...be16(ulen), 0, 0, ...after]);
/** A TCP header from port 40000 to 81 with these options (padded to 4 bytes) and payload. */
function tcp(opts: number[], payload: number[] = [], flags = payload.length ? 0x18 : 0x02): Uint8Array {
  const o = [...opts, ...Array((4 - (opts.length % 4)) % 4).fill(0)];
  const hl = 20 + o.length;
  return ipv4(6, [...be16(40000), ...be16(81), 0, 0, 0, 1, 0, 0, 0, 0, (hl / 4) << 4, flags, ...be16(1000), 0, 0, 0, 0, ...o, ...payload]);
}
const hex = (s: string) => (s.match(/../g) ?? []).map((x) => parseInt(x, 16));
/** Writes the frames, each cut to `cut[i]` bytes after the IPv4 header when given (the wire length kept). */
function capture(name: string, frames: Uint8Array[], cut: (number | undefined)[] = []): string {
  const f = path.join(tmp, name);
  const wire = new Map<Uint8Array, number>();
  const out = frames.map((fr, i) => {
    const c = cut[i];
    const x = c === undefined ? fr : fr.slice(0, 34 + c);
    wire.set(x, fr.length);
    return x;
  });
  writePcap(f, out, (x) => wire.get(x) ?? x.length);
  return f;
}

// every UDP port tsniff has a dissector for, with a UDP length of 8: nothing after it, then 12 bytes after it
const ports: number[] = [];
for (let p = 0; p < 65536; p++) if (p !== 60000 && lookup("udp.port", p)) ports.push(p);
const zeroLen = capture("udp-zero.pcap", [...ports.map((p) => udp(p, 8, [])), ...ports.map((p) => udp(p, 8, Array(12).fill(0x41)))]);

// UDP and TCP headers cut at every length short of their end
const udpCut = capture("udp-cut.pcap", [0, 1, 2, 3, 4, 5, 6, 7].map(() => udp(53, 40, Array(32).fill(0))), [0, 1, 2, 3, 4, 5, 6, 7]);
const tcpCuts = [0, 1, 2, 3, 4, 8, 12, 13, 16, 19, 20, 21];
const tcpCut = capture("tcp-cut.pcap", tcpCuts.map(() => tcp([2, 4, 0xff, 0xff], Array(20).fill(0x41))), tcpCuts);

// TCP options: bad lengths, fixed sizes with other lengths, each kind tcpdump decodes, cut by the capture
const OPTS = [
  "0205", "020605b40000", "0203", "02", "01010402", "0204", "01020a", "0204ffff0103", "0303", "050a0000000100000002",
  "14020000", "1404aabb", "1d02", "1d03aa00", "1d0aaabbccddeeff0011", "fe02", "fe0400010000", "2200", "1c040001", "1c04abcd",
  "050a000000010000", "0512000000010000000200000003000000", "aa05010203", "aa06010203", "0203ff", "1312" + "00".repeat(16), "1302",
];
const optCuts: [string, number][] = [["0204ffff080a0000000100000002", 30], ["0204ffff080a0000000100000002", 26], ["0204ffff0000000000000000", 22], ["1d0aaabbccddeeff0011", 27], ["aa0a0102030405060708", 25]];
const tcpOpts = capture(
  "tcp-options.pcap",
  [...OPTS.map((o) => tcp(hex(o))), ...optCuts.map(([o]) => tcp(hex(o))), tcp(hex("00000000"), Array(8).fill(0x41)), tcp(hex("0204ffff00000000"), Array(8).fill(0x41))],
  [...OPTS.map(() => undefined), ...optCuts.map(([, c]) => c), undefined, 26],
);

// resets with payloads: short, longer than tcpdump's 30 characters, control and high bytes, cut by the capture
const rst = (payload: number[]) => tcp([], payload, 0x14);
const text = (s: string) => [...Buffer.from(s, "latin1")];
const resets = capture(
  "tcp-rst.pcap",
  [rst(text("reset")), rst(text("a diagnostic text longer than thirty characters")), rst([0, 1, 0x1f, 0x7f, 0x80, 0xff, 0x41]), rst(text("cut by the capture, long enough"))],
  [undefined, undefined, undefined, 30],
);

// IPv4 headers of versions 4, 5 and 6 and header lengths below 20, whole and cut after 1, 2, 10 and 19 bytes
const ipShort: Uint8Array[] = [];
const ipShortCut: (number | undefined)[] = [];
for (const vhl of [0x45, 0x65, 0x55, 0x44, 0x40, 0x41]) {
  for (const c of [1, 2, 10, 19, undefined]) {
    const f = ipv4(6, Array(40).fill(0));
    f[14] = vhl;
    ipShort.push(f);
    ipShortCut.push(c === undefined ? undefined : c - 20);
  }
}
const ipv4Short = capture("ipv4-short.pcap", ipShort, ipShortCut);

// raw IP (LINKTYPE_RAW) with every version nibble: 4 and 6 are IP, the others tcpdump's "unknown ip N"
const rawFile = path.join(tmp, "raw-versions.pcap");
writePcap(
  rawFile,
  Array.from({ length: 16 }, (_, v) => {
    const d = new Uint8Array(20);
    d[0] = (v << 4) | 5;
    return d;
  }),
  undefined,
  101,
);

fidelitySuite("crafted: empty UDP payloads on every port tsniff decodes, cut UDP/TCP headers, TCP options at their edges, reset payloads, short or cut IPv4 headers, raw IP versions", [
  zeroLen, udpCut, tcpCut, tcpOpts, resets, ipv4Short, rawFile,
].map((file) => ({ file, modes: ALL_MODES })));
