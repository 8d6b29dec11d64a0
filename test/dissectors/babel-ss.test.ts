/**
 * Babel's source-specific TLVs (SS-Update 13, SS-Request 14, SS-MH-Request 15; RFC 9079), which no corpus
 * capture holds: packets built here, over IPv4 and IPv6 prefixes, whole and cut short, against a live
 * tcpdump at -nn, -v and -vv.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hasTcpdump, tcpdumpFlagDiffs } from "./net-common.js";

/** A Babel packet in Ethernet/IPv4/UDP 6696 (UDP checksum 0: none) holding these TLVs. */
function babelFrame(tlvs: number[][]): Buffer {
  const body = Buffer.from(tlvs.flatMap((t) => [t[0], t.length - 1, ...t.slice(1)]));
  const babel = Buffer.concat([Buffer.from([42, 2, body.length >> 8, body.length & 0xff]), body]);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(6696, 0);
  udp.writeUInt16BE(6696, 2);
  udp.writeUInt16BE(8 + babel.length, 4);
  const ip = Buffer.from([0x45, 0, 0, 0, 0, 1, 0, 0, 1, 17, 0, 0, 192, 0, 2, 1, 224, 0, 0, 111]);
  ip.writeUInt16BE(20 + 8 + babel.length, 2);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const eth = Buffer.from([1, 0, 0x5e, 0, 0, 0x6f, 2, 0, 0, 0, 0, 1, 8, 0]);
  return Buffer.concat([eth, ip, udp, babel]);
}

function pcap(frames: Buffer[], snap = 65535): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(snap, 16);
  head.writeUInt32LE(1, 20);
  const recs = frames.map((f, i) => {
    const cap = f.subarray(0, Math.min(snap, f.length));
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000 + i, 0);
    h.writeUInt32LE(cap.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, cap]);
  });
  return Buffer.concat([head, ...recs]);
}

// The IPv6 prefix 2001:db8:1:2::/64 (8 bytes) from 2001:db8:ff::/48 (6 bytes); 198.51.100.0/24 from 10.1.0.0/16.
const V6 = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2];
const V6SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0xff];
const V4 = [198, 51, 100];
const V4SRC = [10, 1];
const ID = [1, 2, 3, 4, 5, 6, 7, 8];
const FRAMES = [
  // SS-Update: ae, src plen, plen, omitted, interval, seqno, metric, prefix, source prefix
  babelFrame([[13, 2, 48, 64, 0, 0x01, 0x90, 0x00, 0x07, 0x00, 0x60, ...V6, ...V6SRC]]),
  babelFrame([[13, 1, 16, 24, 0, 0xff, 0xff, 0x12, 0x34, 0xff, 0xff, ...V4, ...V4SRC]]),
  // SS-Request: ae, plen, src plen, prefix, source prefix; ae 0 is "for any"
  babelFrame([[14, 2, 64, 48, ...V6, ...V6SRC], [14, 1, 24, 16, ...V4, ...V4SRC], [14, 0, 0, 0]]),
  // SS-MH-Request: ae, plen, seqno, hop count, src plen, router id, prefix, source prefix
  babelFrame([[15, 2, 64, 0x00, 0x2a, 5, 48, ...ID, ...V6, ...V6SRC], [15, 1, 24, 0xff, 0xfe, 127, 16, ...ID, ...V4, ...V4SRC]]),
  // a prefix that runs past its TLV, and a TLV shorter than its fixed part
  babelFrame([[13, 2, 48, 64, 0, 0, 1, 0, 1, 0, 1, ...V6.slice(0, 4)]]),
  babelFrame([[14, 2, 64], [15, 1, 24, 0, 1]]),
];

describe("babel source-specific TLVs", () => {
  it.skipIf(!hasTcpdump())("print as tcpdump prints them, whole and cut at every length", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-babel-ss-"));
    try {
      const files = [path.join(dir, "ss.pcap")];
      fs.writeFileSync(files[0], pcap(FRAMES));
      const longest = Math.max(...FRAMES.map((f) => f.length));
      for (let snap = 46; snap < longest; snap += 3) {
        files.push(path.join(dir, `ss-${snap}.pcap`));
        fs.writeFileSync(files[files.length - 1], pcap(FRAMES, snap));
      }
      const { diffs, packets } = await tcpdumpFlagDiffs(files, [[], ["-v"], ["-vv"]]);
      expect(diffs.slice(0, 10)).toEqual([]);
      expect(packets).toBe(files.length * FRAMES.length * 3);
      // the whole packets really reach the source-specific printers (tcpdump's own words)
      const { tcpdumpLines } = await import("./net-common.js");
      const lines = tcpdumpLines(files[0], ["-v"]).join("\n");
      for (const w of ["SS-Update", "SS-Request", "SS-MH-Request", "for any", "from 2001:db8:ff::/48"]) expect(lines).toContain(w);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
