/**
 * RADIUS on UDP 1645/1646/1700/1812/1813/3799: tcpdump's one-line summary and its -v/-vv attribute lines,
 * compared with a live tcpdump on the corpus captures and on crafted packets (every attribute printer, tags,
 * EAP messages, vendor attributes, bogus lengths); Wireshark's radius.* fields compared with tshark; cut
 * captures; robustness.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  tcpdumpPackets,
  appPart,
  compareFields,
  corpusReport,
  corpusRun,
  CORPUS,
  HAVE_EDITCAP,
  HAVE_TCPDUMP,
  HAVE_TSHARK,
  ipFrame,
  readCapture,
  robustness,
  tcpdumpEscape,
  tcpdumpLines,
  verboseDiff,
  writePcap,
} from "./app-common.js";

const CORPUS_FILES = fs.existsSync(CORPUS) ? fs.readdirSync(CORPUS).filter((f) => /radius/i.test(f)).sort() : [];

/** One attribute: type, value bytes (the length is made unless given). */
const attr = (type: number, value: number[] | string, len?: number): number[] => {
  const v = typeof value === "string" ? [...Buffer.from(value, "latin1")] : value;
  return [type, len ?? v.length + 2, ...v];
};
const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
/** A RADIUS packet: code, id, attributes; the length field is the real one unless given. */
function radius(code: number, id: number, attrs: number[][], len?: number): Buffer {
  const body = attrs.flat();
  const b = Buffer.alloc(20 + body.length);
  b[0] = code;
  b[1] = id;
  b.writeUInt16BE(len ?? b.length, 2);
  for (let i = 0; i < 16; i++) b[4 + i] = (i * 37 + id) & 255;
  Buffer.from(body).copy(b, 20);
  return b;
}
const eap = (code: number, id: number, rest: number[], len?: number): number[] => [code, id, ((len ?? rest.length + 4) >> 8) & 255, (len ?? rest.length + 4) & 255, ...rest];

function cases(): Buffer[] {
  const nums = [5, 6, 7, 10, 12, 13, 15, 16, 23, 27, 28, 29, 37, 38, 40, 41, 45, 46, 49, 57, 61, 62, 72, 75, 76, 85];
  const out: Buffer[] = [];
  // numeric attributes with standard values: below, at the edges and past their tables
  for (const v of [0, 1, 2, 3, 7, 11, 12, 15, 19, 23, 24, 33, 44, 59, 3599, 3600, 86399, 0x7fffffff, 0xfffffffe, 0xffffffff]) out.push(radius(4, v & 255, nums.map((t) => attr(t, u32(v)))));
  out.push(
    radius(1, 1, [attr(1, "alice"), attr(2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), attr(3, [1, 2, 3]), attr(4, [192, 0, 2, 1]), attr(8, u32(0xffffffff)), attr(8, u32(0xfffffffe)), attr(8, [10, 1, 2, 3]), attr(14, u32(0xfffffffe)), attr(9, [255, 255, 255, 0])]),
    radius(1, 2, [attr(1, "a\u0001b\u007fc\u0000d"), attr(11, "filter\u00ff"), attr(18, "line\nbreak"), attr(24, [0, 1, 2]), attr(25, "class"), attr(30, "00-11-22"), attr(31, ""), attr(32, "nas"), attr(44, "sess"), attr(79, eap(2, 7, [1, ...Buffer.from("bob")]))]),
    // tagged strings, Tunnel-Password, Egress-VLAN-Name, Tunnel-Type / Medium / Preference, Egress-VLANID
    radius(2, 3, [attr(64, [1, 0, 0, 3]), attr(64, [0, 0, 0, 13]), attr(65, [2, 0, 0, 6]), attr(65, [0, 0, 0, 99]), attr(66, [1, ...Buffer.from("client")]), attr(67, "server"), attr(81, [0, ...Buffer.from("vlan10")]), attr(82, [31, 65]), attr(83, [3, 0, 1, 0]), attr(83, [0, 0, 0, 5]), attr(90, [32, 66]), attr(91, [5]), attr(69, [3, 0x12, 0x34, 65, 66]), attr(69, [0, 0, 1]), attr(69, [0x40, 1]), attr(58, [0x31, ...Buffer.from("v")]), attr(58, [0x40]), attr(56, [0x32, 0, 0, 7]), attr(56, [0x20, 0, 1, 0])]),
    // addresses, IPv6, prefixes, time, vendor-specific
    radius(2, 4, [attr(95, [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), attr(95, [1, 2, 3]), attr(98, [0xfe, 0x80, ...Array(13).fill(0), 1]), attr(97, [0, 64, 0x20, 1, 0x0d, 0xb8]), attr(97, [0, 200, 1]), attr(97, [0, 0]), attr(123, [0, 56, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0]), attr(4, [1, 2]), attr(55, u32(1700000000)), attr(55, [1, 2]), attr(26, [0, 0, 0, 9, 1, 6, 65, 66, 67, 0]), attr(26, [0, 0, 1, 55, 2, 2, 3, 1]), attr(26, [0, 0, 0, 99, 5, 40, 1]), attr(26, [0, 0, 0]), attr(26, [0, 0, 0x0a, 0x4c, 1]), attr(26, [0, 0, 0x28, 0xaf, 1, 3, 0]), attr(26, [0, 0, 0x05, 0xb7, 1, 2])]),
    // strange ones: ARAP, Error-Cause; EAP of every type
    radius(3, 5, [attr(70, [...Array(16).keys()]), attr(70, [1]), attr(71, [1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), attr(71, [0, 6, ...Array(12).fill(0xab)]), attr(71, [1]), attr(84, [...Array(8).keys()]), attr(84, [1, 2]), attr(101, u32(404)), attr(101, u32(9)), attr(101, [1])]),
    radius(11, 6, [attr(79, eap(1, 1, [4, 16, 1, 2])), attr(79, eap(1, 2, [2, ...Buffer.from("note")])), attr(79, eap(1, 3, [2])), attr(79, eap(2, 4, [3, 4, 21, 99])), attr(79, eap(2, 5, [3])), attr(79, eap(1, 6, [13, 0xa0, 0, 0, 1, 0])), attr(79, eap(1, 7, [13, 0x80, 0])), attr(79, eap(1, 8, [21, 0x21])), attr(79, eap(1, 9, [43, 0x41])), attr(79, eap(1, 10, [23, 5])), attr(79, eap(1, 11, [18, 77]))]),
    radius(11, 7, [attr(79, eap(3, 1, [])), attr(79, eap(4, 2, [])), attr(79, eap(9, 3, [1])), attr(79, eap(1, 4, [1], 9)), attr(79, [1, 2, 0, 2]), attr(79, eap(2, 5, [])), attr(79, eap(1, 6, [13])), attr(79, eap(1, 7, [255, 1, 2]))]),
    // RFC 5580 / 5447 attributes, good and bad
    radius(1, 8, [attr(124, [0, 0, 0x3f, 0, 0, 0, 0, 3]), attr(124, [0, 0, 0, 1]), attr(125, [64, 0x20, 1, 0x0d, 0xb8, ...Array(12).fill(0)]), attr(125, [200, ...Array(16).fill(0)]), attr(125, [1, 2]), attr(126, [0x31, ...Buffer.from("example.net")]), attr(126, [0x30]), attr(127, [0, 2, 1, 1, 0xe2, 0xb5, 0x3c, 0x67, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 65]), attr(127, [1, 2]), attr(128, [0, 1, 1, 2, 3]), attr(128, [0, 1]), attr(129, [0x80, 1, 0xe2, 0xb5, 0x3c, 0x67, 0, 0, 0, 0]), attr(129, [0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 120, 121]), attr(129, [1])]),
    // unknown and unassigned attributes, bogus lengths
    radius(1, 9, [attr(0, [1, 2]), attr(17, [3]), attr(130, [4, 5]), attr(255, []), attr(59, [1, 2, 3]), attr(1, "x", 1)]),
    radius(1, 10, [attr(1, "abc", 40)]),
    radius(1, 11, [attr(1, "abc"), [7]]),
    radius(40, 12, [], 25),
    radius(12, 13, [attr(1, "padded")], 26),
    radius(99, 14, []),
    radius(255, 15, [], 19),
    radius(5, 16, [], 12),
    Buffer.from([1, 2, 0, 30, 1, 2, 3]),
    Buffer.from([1]),
  );
  return out;
}

const PORTS = [1812, 1813, 1645, 1646, 1700, 3799];
const frames = (): Uint8Array[] => cases().map((p, i) => ipFrame("udp", 30000 + i, PORTS[i % PORTS.length], p));

async function withPcap(frs: Uint8Array[], fn: (file: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-radius-"));
  try {
    const f = path.join(dir, "r.pcap");
    writePcap(f, frs);
    await fn(f);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** tcpdump's text at -v, -vv..., its indented lines joined to their packet */
const tcpdumpVerbose = (file: string, v: number): string[] => tcpdumpPackets(file, ["-" + "v".repeat(v)]);

describe("radius: -nn lines match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("crafted packets", async () => {
    await withPcap(frames(), async (f) => {
      const { lines, layers } = await readCapture(f);
      const td = tcpdumpLines(f);
      expect(td.length).toBe(lines.length);
      expect(lines.map(tcpdumpEscape)).toEqual(td);
      expect(layers.every((l) => l.includes("radius"))).toBe(true);
    });
  });

  it.skipIf(!HAVE_TCPDUMP || CORPUS_FILES.length === 0)("the tcpdump corpus (every packet that reaches RADIUS)", async () => {
    const r = await corpusRun(/radius/i, ["radius"]);
    console.log(corpusReport("radius", r));
    expect(r.bugs).toBe(0);
    expect(r.reached).toBeGreaterThanOrEqual(20);
    expect(r.mismatches).toEqual([]);
  });
});

describe("radius: -v, -vv lines match tcpdump", () => {
  for (const v of [1, 2]) {
    it.skipIf(!HAVE_TCPDUMP)(`crafted packets at -${"v".repeat(v)}`, async () => {
      await withPcap(frames(), async (f) => {
        const { lines, layers } = await readCapture(f, v);
        const td = tcpdumpVerbose(f, v);
        expect(td.length).toBe(lines.length);
        const diffs: string[] = [];
        lines.forEach((l, i) => {
          if (!layers[i].includes("radius")) return;
          const a = appPart(tcpdumpEscape(l));
          const b = appPart(td[i]);
          if (a !== b) diffs.push(`#${i + 1}\n  ours: ${a}\n  tcpd: ${b}`);
        });
        expect(diffs).toEqual([]);
      });
    });
  }
  for (const f of CORPUS_FILES) {
    it.skipIf(!HAVE_TCPDUMP)(`corpus ${f} at -v and -vv`, async () => {
      for (const v of [1, 2]) {
        const { compared, diffs } = await verboseDiff(path.join(CORPUS, f), v, ["radius"]);
        expect(diffs).toEqual([]);
        expect(compared).toBeGreaterThan(0);
      }
    });
  }
});

describe("radius: cut captures match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP || !HAVE_EDITCAP || CORPUS_FILES.length === 0)("corpus captures cut at many snapshot lengths, -nn and -v", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-radius-cut-"));
    try {
      let compared = 0;
      for (const src of ["RADIUS.pcap", "RADIUS-RFC5580.pcap", "RADIUS-RFC3162.pcap"]) {
        for (const n of [44, 62, 80, 100, 150]) {
          const cut = path.join(dir, `${src}-${n}.pcap`);
          execFileSync("editcap", ["-s", String(n), path.join(CORPUS, src), cut], { stdio: "ignore" });
          const { lines, layers } = await readCapture(cut);
          const td = tcpdumpLines(cut);
          lines.forEach((l, i) => {
            if (!layers[i].includes("radius")) return;
            compared++;
            expect(`${src}/${n}#${i + 1}: ${tcpdumpEscape(l)}`).toBe(`${src}/${n}#${i + 1}: ${td[i]}`);
          });
          const vd = await verboseDiff(cut, 1, ["radius"]);
          expect(vd.diffs).toEqual([]);
        }
      }
      expect(compared).toBeGreaterThan(20);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("radius: fields equal tshark's", () => {
  const names = [
    "radius.code",
    "radius.id",
    "radius.length",
    "radius.authenticator",
    "radius.avp.type",
    "radius.avp.length",
    "radius.User_Name",
    "radius.NAS_IP_Address",
    "radius.NAS_Port",
    "radius.Service_Type",
    "radius.Framed_MTU",
    "radius.State",
    "radius.Called_Station_Id",
    "radius.Calling_Station_Id",
    "radius.NAS_Port_Type",
    "radius.Reply_Message",
    "radius.Message_Authenticator",
    "radius.EAP_Message",
    "radius.Framed_IP_Address",
    "radius.NAS_IPv6_Address",
    "radius.Error_Cause",
  ];
  for (const f of ["RADIUS.pcap", "RADIUS-RFC3162.pcap", "RADIUS-RFC5176.pcap", "RADIUS-RFC5176-2.pcap"]) {
    it.skipIf(!HAVE_TSHARK || !fs.existsSync(path.join(CORPUS, f)))(f, async () => {
      const file = path.join(CORPUS, f);
      const { packets } = await readCapture(file);
      const { diffs, compared } = compareFields(file, packets, names);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThanOrEqual(packets.length * 5);
    });
  }
});

describe("radius: robustness", () => {
  it("every truncation and seeded byte flips of crafted and corpus packets", async () => {
    const frs = frames().map((data) => ({ data, linktype: 1, wirelen: data.length }));
    expect(robustness(frs, { flips: 20 })).toEqual([]);
    for (const f of ["RADIUS.pcap", "RADIUS-RFC5580.pcap", "radius_attr_asan.pcap"]) {
      const file = path.join(CORPUS, f);
      if (!fs.existsSync(file)) continue;
      const { packets } = await readCapture(file);
      expect(robustness(packets, { flips: 30 })).toEqual([]);
    }
  });
});
