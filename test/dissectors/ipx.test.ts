/**
 * Novell IPX (network/ipx.ts): tcpdump's corpus captures (ipx.pcap, ipx-invalid-length.pcap, the SMB-over-IPX
 * and 802.11 ones) against a live tcpdump at -nn, -v, -e and -vv, captures cut by editcap, tshark's ipx.* /
 * ipxsap.* / ipxrip.* fields, every truncation and seeded byte flips; then crafted frames for every path tcpdump
 * takes into ipx_print (Ethernet II 0x8137, SNAP, LLC SAP 0xe0, raw 802.3, PPP 0x002b, BSD loopback family 23)
 * and every socket printer (SAP requests and responses, RIP, NCP, NetBIOS, diagnostics, NWLink, unknown
 * commands and sockets, short IPX lengths), each at every cut length, compared exactly with tcpdump.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { corpusSuite } from "./corpus-suite.js";
import { exactTcpdumpDiffs, hasTcpdump, robustness } from "./net-common.js";
import { writePcap } from "./app-common.js";

corpusSuite({
  id: "ipx",
  label: "IPX",
  files: /^ipx|^smb_print_trans-oobr1\.pcap$|^ieee802\.11_htc\.pcap$/,
  minPackets: 60,
  cut: { files: ["ipx.pcap"], snaps: [14, 17, 20, 30, 40, 47, 48, 49, 50, 60, 70, 90, 100, 110] },
  tshark: {
    files: ["ipx.pcap", "ipx-invalid-length.pcap"],
    names: [
      "ipx.checksum", "ipx.src", "ipx.dst", "ipx.addr", "ipx.len", "ipx.hops", "ipx.packet_type",
      "ipx.dst.net", "ipx.dst.node", "ipx.dst.socket", "ipx.src.net", "ipx.src.node", "ipx.src.socket", "ipx.net", "ipx.node", "ipx.socket",
      "ipxsap.packet_type", "ipxsap.request", "ipxsap.response", "ipxsap.server.type", "ipxsap.server.name", "ipxsap.server.network",
      "ipxsap.server.node", "ipxsap.server.socket", "ipxsap.server.intermediate_networks",
      "ipxrip.packet_type", "ipxrip.request", "ipxrip.response", "ipxrip.route_vector", "ipxrip.hops", "ipxrip.ticks",
    ],
    minCompared: 60,
  },
  robust: { files: ["ipx.pcap", "ipx-invalid-length.pcap"], take: 8, seed: 0x8137 },
});

const hexb = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const cat = (...a: Uint8Array[]) => Uint8Array.from(Buffer.concat(a.map((x) => Buffer.from(x))));
const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);

/** An IPX header (length field = 30 + payload unless given) and payload, to socket `dskt` from socket `sskt`. */
function ipx(dskt: number, payload: Uint8Array, opts: { sskt?: number; len?: number; type?: number } = {}): Uint8Array {
  const len = opts.len ?? 30 + payload.length;
  return cat(
    hexb("ffff"), u16(len), Uint8Array.of(2, opts.type ?? 0),
    hexb("0a0b0c0d 0200000000ff"), u16(dskt),
    hexb("a8f87967 00000000fe01"), u16(opts.sskt ?? dskt),
    payload,
  );
}
const MACS = hexb("ffffffffffff 0203471bc1a8");
const eth2 = (p: Uint8Array) => cat(MACS, u16(0x8137), p);
const eth3 = (llc: Uint8Array, p: Uint8Array) => cat(MACS, u16(llc.length + p.length), llc, p);
const sapEntry = (type: number, name: string, sock = 0x400c) =>
  cat(u16(type), Uint8Array.from(Buffer.concat([Buffer.from(name, "latin1"), Buffer.alloc(48 - name.length)])), hexb("00000001 0030c1bf5755"), u16(sock), u16(1));

const PAYLOADS: Array<[string, number, Uint8Array, { sskt?: number; len?: number }?]> = [
  ["sap general request", 0x0452, cat(u16(1), u16(0x0004))],
  ["sap nearest request", 0x0452, cat(u16(3), u16(0x030c))],
  ["sap response, two servers", 0x0452, cat(u16(2), sapEntry(0x0004, "FS1"), sapEntry(0x064e, "N\x01ME\xe9"))],
  ["sap nearest response", 0x0452, cat(u16(4), sapEntry(0x0004, "NEAREST-SERVER-WITH-A-NAME-THAT-FILLS-ALL-48-BY"))],
  ["sap unknown command", 0x0452, cat(u16(9), hexb("0000"))],
  ["sap response, short length", 0x0452, cat(u16(2), sapEntry(0x0004, "FS1")), { len: 31 }],
  ["rip request", 0x0453, cat(u16(1), hexb("ffffffff ffff ffff"))],
  ["rip request, no route", 0x0453, u16(1)],
  ["rip response, three routes", 0x0453, cat(u16(2), hexb("a8f87967 0001 0002 00000002 0003 0004 00000003 0010 0020"))],
  ["rip unknown command", 0x0453, cat(u16(7), hexb("00"))],
  ["ncp", 0x0451, hexb("2222 01 02 03")],
  ["netbios", 0x0455, hexb("0000000000000000 00000000000000000000000000000000 01")],
  ["diagnostics", 0x0456, hexb("00 01 02")],
  ["nwlink datagram", 0x0553, hexb("0102030405")],
  ["unknown socket", 0x4008, hexb("abcd")],
  ["invalid length", 0x0455, hexb("00"), { len: 29 }],
  ["length beyond the frame", 0x0455, hexb("00"), { len: 300 }],
  // SAP and RIP read their command, then find the length too short: " [length 1 < 2] (invalid)"
  ["SAP with a 1-byte length", 0x0452, hexb("0002 a8f8"), { len: 31 }],
  ["RIP with a 1-byte length", 0x0453, hexb("0002 a8f8"), { len: 31 }],
];

describe.skipIf(!hasTcpdump())("ipx crafted frames against tcpdump", () => {
  // every way in: Ethernet II, SNAP, LLC SAP 0xe0, raw 802.3; PPP (link type 9); BSD loopback (link type 0)
  const wraps: Array<[string, number, (p: Uint8Array) => Uint8Array]> = [
    ["ethernet-ii", 1, eth2],
    ["snap", 1, (p) => eth3(hexb("aaaa03 000000 8137"), p)],
    ["llc", 1, (p) => eth3(hexb("e0e003"), p)],
    ["raw-8023", 1, (p) => eth3(new Uint8Array(0), p)],
    ["ppp", 9, (p) => cat(hexb("ff03002b"), p)],
    ["null", 0, (p) => cat(hexb("17000000"), p)],
  ];

  it("every socket printer, through every link layer, at every cut length: tcpdump's lines byte for byte", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-ipx-"));
    try {
      const files: string[] = [];
      let n = 0;
      for (const [wname, lt, wrap] of wraps) {
        const frames: Uint8Array[] = [];
        const wire = new Map<Uint8Array, number>();
        const ps = wname === "ethernet-ii" ? PAYLOADS : PAYLOADS.slice(0, 3).concat(PAYLOADS.slice(6, 7));
        for (const [, dskt, pl, o] of ps) {
          const f = wrap(ipx(dskt, pl, o));
          frames.push(f);
          // every cut of the IPX part (and the link header's last bytes; not LLC's, nor raw 802.3's first 4 bytes, which
          // tcpdump reads as an LLC header: a cut LLC header is llc.ts's
          // business, where tcpdump adds a hex line, see othersOwn)
          const first = f.length - pl.length - (wname === "llc" ? 30 : wname === "raw-8023" ? 26 : 34);
          for (let k = Math.max(1, first); k < f.length; k++) {
            const c = f.subarray(0, k);
            wire.set(c, f.length);
            frames.push(c);
          }
        }
        const file = path.join(dir, `${wname}.pcap`);
        writePcap(file, frames, (f) => wire.get(f) ?? f.length, lt);
        files.push(file);
        n += frames.length;
      }
      const { diffs, packets } = await exactTcpdumpDiffs(files, [[], ["-e"], ["-v"]]);
      expect(diffs.slice(0, 10)).toEqual([]);
      expect(packets).toBe(3 * n);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it("survives every truncation and seeded byte flips of the crafted frames", () => {
    const packets = PAYLOADS.map(([, dskt, pl, o]) => {
      const data = eth2(ipx(dskt, pl, o));
      return { data, linktype: 1, wirelen: data.length };
    });
    expect(robustness(packets, { seed: 0x452, flips: 32 }).slice(0, 20)).toEqual([]);
  }, 180_000);
});
