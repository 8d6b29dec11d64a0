/**
 * RIP (UDP 520) and RIPng (UDP 521) over tcpdump's corpus captures: -nn, -v and -vv lines against a live
 * tcpdump, cut captures, tshark's field values, every truncation and byte flips (routing-common.ts); RIPng
 * on packets made by the test, against tcpdump.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hasTcpdump } from "./net-common.js";
import { protoDiffs, routingSuite } from "./routing-common.js";

routingSuite({
  id: "rip",
  corpus: /^(rip|hoobr_ripng)/i,
  shows: /RIPv\d|ripng| \[vers \d+\]/,
  verbose: [0, 1, 2],
  minPackets: 19,
  // tcpdump dumps an entry of an unknown family from bytes past the UDP length (the IP payload has 4 more);
  // tsniff reads no further than the UDP length says
  knownVerbose: [{ file: "ripv2-invalid-length.pcap", packet: 1, why: "hex dump past the UDP length" }],
  cut: { files: ["ripv2_auth.pcap", "ripv1v2.pcap"], snaps: [42, 44, 46, 50, 54, 58, 62, 66, 70, 74, 78, 82, 90, 100] },
  tshark: {
    files: ["ripv1v2.pcap", "ripv2_auth.pcap"],
    names: ["rip.command", "rip.version", "rip.family", "rip.route_tag", "rip.ip", "rip.netmask", "rip.next_hop", "rip.metric"],
    min: 40,
  },
  robust: { files: ["ripv1v2.pcap", "ripv2_auth.pcap", "rip_error_hexdump.pcap", "ripv2-invalid-length.pcap", "hoobr_ripng_print.pcap"], first: 4 },
});

// RIPng: the corpus has only a fuzzed capture, so packets are made here (Ethernet, IPv6, UDP 521) and
// written to a temporary capture that both tcpdump and tsniff read.

function v6(text: string): number[] {
  const [head, tail = ""] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

function ripngPacket(cmd: number, entries: Array<[string, number, number, number]>, version = 1): Buffer {
  const body = [cmd, version, 0, 0, ...entries.flatMap(([pfx, tag, plen, metric]) => [...v6(pfx), tag >> 8, tag & 0xff, plen, metric])];
  const udp = [0x02, 0x09, 0x02, 0x09, (body.length + 8) >> 8, (body.length + 8) & 0xff, 0, 0, ...body];
  const ip6 = [0x60, 0, 0, 0, udp.length >> 8, udp.length & 0xff, 17, 255, ...v6("fe80::1"), ...v6("ff02::9")];
  const eth = [0x33, 0x33, 0, 0, 0, 9, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd];
  return Buffer.from([...eth, ...ip6, ...udp]);
}

/** packets as [bytes, original length]: a shorter capture than the original is a snapshot-length cut */
function writePcap(file: string, packets: Array<[Buffer, number]>): void {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const parts = [head];
  packets.forEach(([p, orig], i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000 + i, 0);
    rec.writeUInt32LE(p.length, 8);
    rec.writeUInt32LE(orig, 12);
    parts.push(rec, p);
  });
  fs.writeFileSync(file, Buffer.concat(parts));
}

describe("ripng dissector", () => {
  it.skipIf(!hasTcpdump())("prints requests, responses (tags, metrics), a table dump request, unknown commands and versions as tcpdump does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-ripng-"));
    try {
      const file = path.join(dir, "ripng.pcap");
      const full = [
        ripngPacket(1, [["::", 0, 0, 16]]),
        ripngPacket(2, [["2001:db8::", 0, 32, 1], ["2001:db9::", 7, 48, 2]]),
        ripngPacket(1, [["2001:db8::", 0, 32, 1]]),
        ripngPacket(7, []),
        ripngPacket(2, [["2001:db8::", 0, 64, 3]], 2),
      ];
      // and each cut inside its entries: by the snapshot length, and with lengths that lie (truncated-ip6)
      const cut: Array<[Buffer, number]> = full.slice(0, 3).flatMap((p) =>
        [66, 70, 80].flatMap((n): Array<[Buffer, number]> => [
          [Buffer.from(p.subarray(0, n)), p.length],
          [Buffer.from(p.subarray(0, n)), n],
        ]),
      );
      writePcap(file, [...full.map((p): [Buffer, number] => [p, p.length]), ...cut]);
      execFileSync("tcpdump", ["-nn", "-r", file], { stdio: "ignore" });
      for (const v of [0, 1, 2]) {
        const r = await protoDiffs([file], v, /ripng|\[vers \d+\]/);
        expect(r.diffs).toEqual([]);
        expect(r.packets).toBe(full.length + cut.length);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
