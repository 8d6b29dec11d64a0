/**
 * Issue #13's last one-line rows: UDP ports in tcpdump's udp_print order (HNCP on 8231 and wb on 4567 before
 * RADIUS's ports), HNCP and wb printed as tcpdump prints them, Q.933 behind PPP's OSI protocol, and an
 * HDLC-escaped PPP frame's network layer dissected from the unescaped bytes (a layer handing on a buffer of its
 * own). tcpdump is the oracle for the line, tshark for the tree (Wireshark tries the lower port first and has
 * no HNCP or wb dissector); nothing of either output is written down here.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS } from "../helpers/paths.js";
import { ALL_MODES, differing, fidelitySuite } from "../helpers/tcpdump-packets.js";
import { HAVE_TCPDUMP, HAVE_TSHARK, craftedDiff, ipFrame, readCapture, robustness, tsharkFields, writePcap } from "./app-common.js";
import { Dissector, TreeBuilder, bind, fields, type Protocol, type TreeNode, walkFields } from "../../src/dissectors/index.js";
import { MapSink } from "../../src/dissectors/map-sink.js";

fidelitySuite("HNCP (UDP 8231) and wb (UDP 4567) where tcpdump prints them before RADIUS on the other port, at -nn, -v and -e", [
  ...["hncp.pcap", "hncp_dhcpv4data-oobr.pcap", "hncp_dhcpv6data-oobr.pcap", "hncp_prefix-oobr.pcap"].map((file) => ({ file, modes: ALL_MODES })),
  { file: "wb-oobr.pcap", modes: ALL_MODES, shows: / wb-/ },
  { file: "rsvp_uni-oobr-3.pcap", modes: ALL_MODES, shows: / wb-/ },
]);

fidelitySuite("Q.933 behind PPP's OSI protocol; an HDLC-escaped PPP frame's IP packet", [
  { file: "heapoverflow-q933_printq.pcap", modes: ALL_MODES },
  { file: "ppp_ip_udp_dns.pcap", modes: ALL_MODES },
]);

/** A RADIUS Access-Request of 20 bytes (no attributes), valid for Wireshark's RADIUS dissector. */
const RADIUS = Uint8Array.from([1, 7, 0, 20, ...Array.from({ length: 16 }, (_v, i) => 0x41 + i)]);
/** A wb page vector request (12-byte header, then page, low and high) */
const WB = Uint8Array.from([10, 0, 0, 1, 0, 0, 0, 9, 0, 1, 5, 1, 10, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
/** HNCP: a node endpoint and a network state TLV */
const HNCP = Uint8Array.from([0, 3, 0, 8, 0x31, 0xda, 0x78, 0xd2, 3, 0, 0, 0, 0, 4, 0, 8, 0x2a, 0xe5, 0xf7, 0x72, 0x55, 0x20, 0x0b, 0xcc]);
const SIP = "OPTIONS sip:a@10.202.0.2 SIP/2.0\r\nCall-ID: 1\r\n\r\n";

/** frames whose two ports name printers that tcpdump and Wireshark (lower port first) try in another order */
const ORDER_FRAMES: { what: string; frame: Uint8Array; tree: boolean }[] = [
  { what: "RADIUS 1812 -> HNCP 8231", frame: ipFrame("udp", 1812, 8231, RADIUS), tree: true },
  { what: "HNCP 8231 <-> 8231", frame: ipFrame("udp", 8231, 8231, HNCP), tree: true },
  { what: "RADIUS 1812 -> wb 4567", frame: ipFrame("udp", 1812, 4567, RADIUS), tree: true },
  { what: "wb 4567 -> RADIUS 1812 (wb by destination only)", frame: ipFrame("udp", 4567, 1812, RADIUS), tree: true },
  { what: "wb 5000 -> 4567", frame: ipFrame("udp", 5000, 4567, WB), tree: true },
  { what: "wb 4567 -> 5000", frame: ipFrame("udp", 4567, 5000, WB), tree: true },
  { what: "mDNS 5353 -> RADIUS 1812", frame: ipFrame("udp", 5353, 1812, RADIUS), tree: true },
  { what: "HSRP 1985 -> SIP 5060 (HSRP by destination only)", frame: ipFrame("udp", 1985, 5060, SIP), tree: false },
  { what: "Rx 7001 -> Babel 6696", frame: ipFrame("udp", 7001, 6696, RADIUS), tree: false },
];

describe.skipIf(!HAVE_TCPDUMP)("UDP's port order", () => {
  it("prints each crafted frame as tcpdump does (its udp_print order, not the lower port first)", async () => {
    const { ours, tcpdump } = await craftedDiff(ORDER_FRAMES.map((f) => f.frame));
    const diffs = ORDER_FRAMES.map((f, i) => (ours[i] === tcpdump[i] ? "" : `${f.what}\n  ours: ${ours[i]}\n  tcpd: ${tcpdump[i]}`)).filter(Boolean);
    expect(diffs).toEqual([]);
    expect(ours.length).toBe(ORDER_FRAMES.length);
  }, 120_000);

  it.skipIf(!HAVE_TSHARK)("keeps tshark's protocols in the tree (the lower port first; HNCP and wb as data), in every pass", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-udp-order-"));
    try {
      const f = path.join(dir, "o.pcap");
      const frames = ORDER_FRAMES.filter((x) => x.tree);
      writePcap(f, frames.map((x) => x.frame));
      const theirs = tsharkFields(f, ["frame.protocols"]);
      const { packets } = await readCapture(f);
      const dis = new Dissector({});
      const diffs: string[] = [];
      packets.forEach((p, i) => {
        // the detail pass's layers are frame.protocols' (eth:ethertype:ip:udp:x, tsniff without "ethertype")
        const ours = ["eth", "ethertype", ...dis.dissectBytes(p.data, p.linktype, { tree: true, frame: i + 1 }).ctx.layers.slice(1)].join(":");
        const want = theirs[i]?.get("frame.protocols")?.[0] ?? "";
        if (ours !== want) diffs.push(`${frames[i].what}: ours ${ours}, tshark ${want}`);
      });
      expect(diffs).toEqual([]);
      expect(packets.length).toBe(frames.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("writes tcpdump's line in a detail pass too (the line of -Y and -V runs), with the tree's protocol underneath", () => {
    const frame = ipFrame("udp", 1812, 8231, RADIUS);
    const summary = new Dissector({}).dissectBytes(frame, 1).ctx.info;
    const d = new Dissector({}).dissectBytes(frame, 1, { tree: true });
    expect(summary).toContain("hncp (20)");
    expect(d.ctx.info).toBe(summary);
    const names: string[] = [];
    walkFields(d.tree!.roots as TreeNode[], (n) => void names.push(n.name));
    expect(names).toContain("radius.code");
    expect(names.some((n) => n.startsWith("hncp"))).toBe(false);
  });
});

describe.skipIf(!HAVE_TCPDUMP)("Q.933 over PPP", () => {
  it("prints crafted LMI and call-control messages as tcpdump does at -nn, -v and -e (codesets, shifts, call references, every known IE, bad and cut ones)", async () => {
    const F = [
      [0xff, 0x03, 0x00, 0x23, 0x08, 0x01, 0x00, 0x75, 0x51, 0x01, 0x00, 0x53, 0x02, 0x0c, 0x0b],
      [0xff, 0x03, 0x00, 0x23, 0x08, 0x01, 0x00, 0x7d, 0x95, 0x01, 0x01, 0x00, 0x03, 0x02, 0x0d, 0x0c, 0x07, 0x03, 0x06, 0x41, 0x8a],
      [0xff, 0x03, 0x00, 0x23, 0x08, 0x01, 0x00, 0x7d, 0x95, 0x07, 0x04, 0x06, 0x41, 0x02, 0x8a, 0x57, 0x05, 0x01, 0x02, 0x03, 0x04, 0x85],
      [0xff, 0x03, 0x00, 0x23, 0x08, 0x02, 0x12, 0x34, 0x05, 0x9d, 0x22, 0x03, 0xaa, 0xbb, 0xcc, 0x53, 0x01, 0x05],
      [0xff, 0x03, 0x00, 0x23, 0x08, 0x00, 0x7d, 0x57, 0x02, 0x80, 0x01, 0x51, 0x00],
      [0xff, 0x03, 0x00, 0x23, 0x08, 0x00, 0x7d, 0x53, 0x09, 0x01],
      [0xff, 0x03, 0x00, 0x23, 0x08, 0x03, 0x01],
    ].map((b) => Uint8Array.from(b));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-q933-"));
    try {
      const f = path.join(dir, "q933.pcap");
      writePcap(f, F, undefined, 9); // LINKTYPE_PPP
      const diffs: string[] = [];
      let compared = 0;
      for (const m of ALL_MODES) {
        const r = await differing(f, m);
        diffs.push(...r.diffs);
        compared += r.compared;
      }
      expect(diffs).toEqual([]);
      expect(compared).toBe(F.length * 3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("a layer that hands on a buffer of its own", () => {
  // A test link type (DLT_USER0): its bytes are HDLC-escaped IPv4, handed on unescaped with the byte map.
  const ESCAPED: Protocol = {
    id: "test_escaped",
    name: "TEST",
    dissect(r, ctx) {
      const from = r.pos;
      const n0 = r.remaining;
      const b = new Uint8Array(n0);
      const map = new Int32Array(n0 + 1);
      let n = 0;
      for (let i = 0; i < n0; i++) {
        map[n] = from + i;
        let c = r.byteAt(from + i);
        if (c === 0x7d && i + 1 < n0) c = r.byteAt(from + ++i) ^ 0x20;
        b[n++] = c;
      }
      map[n] = from + n0;
      r.pos = r.cap;
      const h = ctx.next("ethertype", 0x0800);
      h.data = b;
      h.start = 0;
      h.end = n;
      h.map = map.subarray(0, n + 1);
      return h;
    },
  };
  bind("linktype", 147, ESCAPED);
  const ip = ipFrame("udp", 5000, 5001, "hello").subarray(14);
  // escape the IP id's bytes (0x7e 0x7d) and a payload byte
  ip[4] = 0x7e;
  ip[5] = 0x7d;
  const escaped: number[] = [];
  ip.forEach((c, i) => {
    if (c === 0x7e || c === 0x7d || i === ip.length - 1) escaped.push(0x7d, c ^ 0x20);
    else escaped.push(c);
  });
  const frame = Uint8Array.from(escaped);

  it("gives the next layers the new buffer: the line is the unescaped packet's", () => {
    const plain = new Dissector({ verbose: 1 }).dissectBytes(ip, 228).ctx.info; // LINKTYPE_IPV4
    expect(new Dissector({ verbose: 1 }).dissectBytes(frame, 147).ctx.info).toBe(plain);
    expect(plain).toContain("id 32381");
  });

  it("maps the tree's offsets onto the frame's bytes, escapes included", () => {
    const { tree } = new Dissector({}).dissectBytes(frame, 147, { tree: true });
    const at = new Map<string, TreeNode>();
    walkFields(tree!.roots as TreeNode[], (n) => void (at.has(n.name) || at.set(n.name, n)));
    // ip.id's 2 bytes are 4 bytes of the frame (both escaped), from offset 4; the addresses after them are 2 later
    expect([at.get("ip.id")!.offset, at.get("ip.id")!.length]).toEqual([4, 4]);
    expect([at.get("ip.src")!.offset, at.get("ip.src")!.length]).toEqual([14, 4]);
    expect([at.get("udp.srcport")!.offset, at.get("udp.length")!.offset]).toEqual([22, 26]);
    // the payload ends with an escaped byte: its data bytes would be read wrong from the frame, so none
    const ipNode = tree!.roots.find((n) => n.name === "ip")!;
    expect([ipNode.offset, ipNode.length]).toEqual([0, 22]); // the 20-byte header and its 2 escapes
    // the payload (its last byte escaped): its value is the unescaped bytes', its place the frame's 6 bytes
    expect([at.get("data.data")!.value, at.get("data.data")!.offset, at.get("data.data")!.length]).toEqual([Buffer.from("hello").toString("hex"), 30, 6]);
  });

  it("leaves out a bytes field whose value would be read from frame bytes that are not the buffer's", () => {
    const F = fields("test_map", { raw: ["Raw", "bytes"] });
    // buffer bytes 0..3 made from frame bytes 10, 11, 12-13 (an escape and its byte), 14; the last entry: the end
    const t = new TreeBuilder();
    const sink = new MapSink(t, Int32Array.from([10, 11, 12, 14, 15]), 0);
    sink.add(F.raw, null, 0, 2); // frame 10..12: as they are
    sink.add(F.raw, null, 1, 2); // frame 11..14 holds an escape: left out
    sink.add(F.raw, "aabb", 1, 2); // a value of its own: kept, over the frame's 3 bytes
    const got = t.roots.map((n) => [n.value, n.offset, n.length]);
    expect(got).toEqual([
      [null, 10, 2],
      ["aabb", 11, 3],
    ]);
  });

  it("clears the buffer with the handoff: the next packet reads its frame's own bytes", () => {
    // the handoff record is reused (no allocation for packets that need no buffer) and cleared by ctx.next()
    const dis = new Dissector({});
    dis.dissectBytes(frame, 147);
    const r = dis.dissectBytes(ipFrame("udp", 5000, 5001, "hi"), 1);
    expect(r.ctx.info).toContain("10.202.0.1.5000 > 10.202.0.2.5001");
  });
});

describe.skipIf(!fs.existsSync(CORPUS))("HNCP, wb and Q.933", () => {
  it("survive every truncation and seeded byte flips of the corpus's HNCP, wb, Q.933 and escaped PPP packets", async () => {
    const problems: string[] = [];
    // (hncp.pcap's two large node-state packets left out: hncp_prefix-oobr's second packet is one of them, fuzzed;
    // every cut of a packet is dissected, and the helper flags any run over 250 ms, which load alone can cause)
    const take: Record<string, number[]> = { "hncp.pcap": [0, 1, 2, 3, 4], "hncp_prefix-oobr.pcap": [1] };
    for (const f of ["hncp.pcap", "hncp_dhcpv4data-oobr.pcap", "hncp_dhcpv6data-oobr.pcap", "hncp_prefix-oobr.pcap", "wb-oobr.pcap", "heapoverflow-q933_printq.pcap", "ppp_ip_udp_dns.pcap"]) {
      const { packets } = await readCapture(path.join(CORPUS, f));
      const some = take[f] ? take[f].map((i) => packets[i]) : packets;
      problems.push(...robustness(some, { seed: 0x8231, flips: 30 }).map((p) => `${f}: ${p}`));
    }
    const crafted = ORDER_FRAMES.map((x) => ({ data: x.frame, linktype: 1, wirelen: x.frame.length }));
    problems.push(...robustness(crafted, { seed: 0x4567, flips: 30 }).map((p) => `crafted: ${p}`));
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
