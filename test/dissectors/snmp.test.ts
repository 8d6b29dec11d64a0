/**
 * SNMP on UDP 161/162: tcpdump's line (-nn: numeric OIDs; -v: the braces, request ids, SNMPv3 header) for
 * crafted messages of every version and PDU, every value type and tcpdump's complaints about bad BER, compared
 * with a live tcpdump; the corpus captures (garbled ones); Wireshark's snmp.* fields compared with tshark;
 * cut packets; robustness.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { appPart, compareFields, corpusReport, corpusRun, CORPUS, HAVE_TCPDUMP, HAVE_TSHARK, ipFrame, readCapture, robustness, tcpdumpEscape, tcpdumpPackets, tcpdumpLines, verboseDiff, writePcap } from "./app-common.js";

/** A BER element: tag, contents (the length is encoded short or long as needed). */
function ber(tag: number, body: number[]): number[] {
  const n = body.length;
  const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 255];
  return [tag, ...len, ...body];
}
const seq = (...items: number[][]): number[] => ber(0x30, items.flat());
function int(v: number): number[] {
  const b: number[] = [];
  let x = v;
  do {
    b.unshift(x & 255);
    x = Math.floor(x / 256);
  } while (x !== 0 && x !== -1);
  if (v >= 0 && b[0] & 0x80) b.unshift(0);
  if (v < 0 && !(b[0] & 0x80)) b.unshift(0xff);
  return ber(0x02, b);
}
const uns = (tag: number, v: number): number[] => {
  const b: number[] = [];
  let x = v;
  do {
    b.unshift(x % 256);
    x = Math.floor(x / 256);
  } while (x > 0);
  return ber(tag, b);
};
const str = (s: string | number[]): number[] => ber(0x04, typeof s === "string" ? [...Buffer.from(s, "latin1")] : s);
const NULL = [0x05, 0x00];
function oid(text: string): number[] {
  const parts = text.split(".").filter(Boolean).map(Number);
  const out: number[] = [];
  const sub = (v: number): void => {
    const b = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      b.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...b);
  };
  sub(parts[0] * 40 + parts[1]);
  for (const p of parts.slice(2)) sub(p);
  return ber(0x06, out);
}
const vb = (name: string, value: number[]): number[] => seq(oid(name), value);
const pdu = (type: number, reqId: number, es: number, ei: number, binds: number[][]): number[] => ber(0xa0 | type, [...int(reqId), ...int(es), ...int(ei), ...seq(...binds)]);
const v1 = (community: string, p: number[]): number[] => seq(int(0), str(community), p);
const v2 = (community: string, p: number[]): number[] => seq(int(1), str(community), p);
function v3(flags: number, model: number, user: string, p: number[], extra: { engine?: number[]; ctxName?: string } = {}): number[] {
  const usm = seq(str(extra.engine ?? [0x80, 0, 0x1f, 0x88, 4, 0x74, 0x65, 0x73, 0x74]), int(3), int(12345), str(user), str(flags & 1 ? Array(12).fill(0xaa) : []), str(flags & 2 ? [1, 2, 3, 4, 5, 6, 7, 8] : []));
  return seq(int(3), seq(int(4242), int(65507), str([flags]), int(model)), str(usm), seq(str([0x80, 0, 0, 9, 3, 1]), str(extra.ctxName ?? ""), p));
}

const SYS = ".1.3.6.1.2.1.1";
function cases(): Array<{ port: number; body: number[] }> {
  const values: number[][] = [
    int(0),
    int(-1),
    int(2147483647),
    int(-2147483648),
    ber(0x02, [1, 2, 3, 4, 5, 6]),
    str("Linux box 6.1"),
    str([0, 1, 2, 0xff]),
    str(""),
    NULL,
    oid(".1.3.6.1.4.1.8072.3.2.10"),
    oid(".2.999.3"),
    ber(0x06, [0x2b, 0x8f, 0xff, 0xff, 0xff, 0x7f]),
    ber(0x40, [192, 0, 2, 7]),
    ber(0x40, [1, 2, 3]),
    uns(0x41, 4294967295),
    uns(0x42, 100000),
    uns(0x43, 123456789),
    ber(0x44, [0x9f, 0x78, 4, 0x3f, 0x80, 0, 0]),
    ber(0x46, [0x01, 0, 0, 0, 0, 0, 0, 0, 0x2a]),
    ber(0x80, []),
    ber(0x81, []),
    ber(0x82, []),
    ber(0x83, []),
    ber(0x01, [1]),
    ber(0x03, [0, 1]),
    ber(0xc0, [1, 2]),
    ber(0x25, [1]),
    ber(0x45, [1, 2]),
    ber(0x31, [int(1)].flat()),
    ber(0x61, [int(1)].flat()),
    ber(0x1f, [0x81, 0x05, 0x00]),
  ];
  const out: Array<{ port: number; body: number[] }> = [];
  const add = (body: number[], port = 161): void => {
    out.push({ port, body });
  };
  add(v1("public", pdu(0, 1, 0, 0, [vb(`${SYS}.1.0`, NULL), vb(`${SYS}.3.0`, NULL)])));
  add(v1("private", pdu(1, 2, 0, 0, [vb(`${SYS}`, NULL)])));
  add(v1("public", pdu(2, 3, 0, 0, values.map((v, i) => vb(`${SYS}.${i + 1}.0`, v)))));
  add(v2("s3cr3t", pdu(2, 4, 0, 0, values.slice(0, 12).map((v, i) => vb(`${SYS}.${i + 1}.0`, v)))));
  add(v2("s3cr3t", pdu(2, 5, 0, 0, values.slice(12).map((v, i) => vb(`${SYS}.${i + 1}.0`, v)))));
  add(v1("public", pdu(3, 6, 0, 0, [vb(`${SYS}.5.0`, str("router")), vb(`${SYS}.6.0`, int(7))])));
  add(v2("public", pdu(5, 7, 0, 10, [vb(".1.3.6.1.2.1.2.2.1", NULL)])));
  add(v2("public", pdu(6, 8, 0, 0, [vb(".1.3.6.1.2.1.1.3.0", uns(0x43, 5)), vb(".1.3.6.1.6.3.1.1.4.1.0", oid(".1.3.6.1.6.3.1.1.5.1"))])), 162);
  add(v2("public", pdu(7, 9, 0, 0, [vb(".1.3.6.1.2.1.1.3.0", uns(0x43, 5))])), 162);
  add(v2("public", pdu(8, 10, 0, 0, [])));
  // error status / index combinations
  add(v2("public", pdu(2, 11, 2, 1, [vb(`${SYS}.1.0`, NULL)])));
  add(v2("public", pdu(2, 12, 5, 0, [vb(`${SYS}.1.0`, NULL)])));
  add(v2("public", pdu(2, 13, 0, 3, [vb(`${SYS}.1.0`, NULL)])));
  add(v2("public", pdu(2, 14, 40, 1, [vb(`${SYS}.1.0`, NULL)])));
  add(v2("public", pdu(2, 15, -3, 1, [vb(`${SYS}.1.0`, NULL)])));
  add(v2("public", pdu(0, 16, 1, 2, [vb(`${SYS}.1.0`, int(5))])));
  add(v2("public", pdu(1, 17, 0, 0, [vb(`${SYS}.1.0`, str("x"))])));
  // v1 trap: generic, enterprise specific, bad generic values
  const trap = (gen: number, spec: number, agent: number[] = ber(0x40, [10, 0, 0, 1])): number[] => ber(0xa4, [...oid(".1.3.6.1.4.1.9.1.1"), ...agent, ...int(gen), ...int(spec), ...uns(0x43, 3600), ...seq(vb(".1.3.6.1.2.1.2.2.1.1.2", int(2)))]);
  add(v1("public", trap(0, 0)), 162);
  add(v1("traps", trap(3, 0)), 162);
  add(v1("public", trap(6, 17)), 162);
  add(v1("public", trap(2, 4)), 162);
  add(v1("public", trap(9, 0)), 162);
  add(v1("public", trap(-1, 0)), 162);
  add(v1("public", trap(0, 0, str("x"))), 162);
  // mismatched versions and PDUs, bad versions
  add(v1("public", pdu(5, 18, 0, 0, [])));
  add(v1("public", pdu(7, 19, 0, 0, [])));
  add(v2("public", trap(0, 0)));
  add(seq(int(2), str("public"), pdu(0, 1, 0, 0, [])));
  add(seq(int(7), str("public"), pdu(0, 1, 0, 0, [])));
  add(seq(str("v"), str("public")));
  // SNMPv3: no auth, auth, auth+priv (the PDU then encrypted), reportable, bad flags, other models
  add(v3(4, 3, "", pdu(0, 20, 0, 0, [])));
  add(v3(5, 3, "alice", pdu(0, 21, 0, 0, [vb(`${SYS}.1.0`, NULL)]), { ctxName: "ctx" }));
  add(v3(0, 3, "bob", pdu(2, 22, 0, 0, [vb(`${SYS}.1.0`, str("x"))])));
  add(v3(8, 3, "bob", pdu(0, 23, 0, 0, [])));
  add(v3(2, 3, "bob", pdu(0, 23, 0, 0, [])));
  add(v3(4, 2, "bob", pdu(0, 24, 0, 0, [])));
  add(v3(4, 3, "bin\u0001", pdu(0, 25, 0, 0, []), { engine: [] }));
  add(v3(1, 3, "carol", pdu(8, 26, 0, 0, [vb(".1.3.6.1.6.3.15.1.1.4.0", uns(0x41, 3))])));
  // BER trouble: lengths beyond the data, long forms, nothing left, extra bytes, odd tags
  add([0x30, 0x40, 0x02, 0x01, 0x00]);
  add([0x30, 0x84, 0, 0, 0, 5, ...int(0), 4, 0]);
  add([0x30, 0x83, 0, 0]);
  add([0x30, 0x00]);
  add([...v1("public", pdu(0, 1, 0, 0, [])), 0, 0, 0]);
  add(seq(int(0), str("public"), pdu(0, 1, 0, 0, []), [0x05, 0x00]));
  add(seq(int(0), str("public"), ber(0x30, [])));
  add(seq(int(0), str("public"), ber(0xa0, [...int(1), ...int(0)])));
  add(seq(int(0), str("public"), ber(0xa0, [...int(1), ...int(0), ...int(0), ...ber(0x31, [])])));
  add(seq(int(0), str("public"), ber(0xa0, [...int(1), ...int(0), ...int(0), ...seq(ber(0x31, []))])));
  add(seq(int(0), str("public"), ber(0xa0, [...int(1), ...int(0), ...int(0), ...seq(seq(str("notoid"), NULL))])));
  add(seq(int(0), str("public"), ber(0xa0, [...int(1), ...int(0), ...int(0), ...seq(seq(oid(".1.3.6"), NULL), [1, 2])])));
  add(seq(int(0), ber(0x02, []), pdu(0, 1, 0, 0, [])));
  add(seq(int(0), str("public"), ber(0xa9, [])));
  add(seq(int(0), str("public"), ber(0xbf, [0x05, 0])));
  add([0x3f, 0x85, 0x01, 0x00]);
  add([0x3f, 0x85]);
  add([0xff, 0x01, 0x00]);
  add([0x30]);
  add([0x04, 0x03, 0x61, 0x62, 0x63]);
  add([0x30, 0x03, 0x02, 0x00, 0x00]);
  add([0x30, 0x05, 0x02, 0x03, 0x01, 0x02]);
  return out;
}

/** Well-formed messages only (tshark stops at the first BER error; it shows an empty string as <MISSING>). */
function wellFormed(): Uint8Array[] {
  const good = [int(0), int(-1), int(2147483647), str("Linux box 6.1"), str([0, 1, 2, 0xff]), NULL, oid(".1.3.6.1.4.1.8072.3.2.10"), ber(0x40, [192, 0, 2, 7]), uns(0x41, 4294967295), uns(0x42, 100000), uns(0x43, 123456789)];
  const trap = ber(0xa4, [...oid(".1.3.6.1.4.1.9.1.1"), ...ber(0x40, [10, 0, 0, 1]), ...int(6), ...int(17), ...uns(0x43, 3600), ...seq(vb(".1.3.6.1.2.1.2.2.1.1.2", int(2)))]);
  const msgs = [
    v1("public", pdu(0, 1, 0, 0, [vb(`${SYS}.1.0`, NULL), vb(`${SYS}.3.0`, NULL)])),
    v1("private", pdu(1, 2, 0, 0, [vb(`${SYS}`, NULL)])),
    v1("public", pdu(2, 3, 0, 0, good.map((v, i) => vb(`${SYS}.${i + 1}.0`, v)))),
    v2("s3cr3t", pdu(2, 4, 2, 1, good.map((v, i) => vb(`${SYS}.${i + 1}.0`, v)))),
    v1("public", pdu(3, 6, 0, 0, [vb(`${SYS}.5.0`, str("router")), vb(`${SYS}.6.0`, int(7))])),
    v2("public", pdu(5, 7, 1, 10, [vb(".1.3.6.1.2.1.2.2.1", NULL)])),
    v2("public", pdu(6, 8, 0, 0, [vb(".1.3.6.1.2.1.1.3.0", uns(0x43, 5)), vb(".1.3.6.1.6.3.1.1.4.1.0", oid(".1.3.6.1.6.3.1.1.5.1"))])),
    v2("public", pdu(7, -9, 0, 0, [vb(".1.3.6.1.2.1.1.3.0", uns(0x43, 5))])),
    v1("traps", trap),
    v3(4, 3, "alice", pdu(0, 20, 0, 0, [vb(`${SYS}.1.0`, NULL)]), { ctxName: "ctx" }),
    v3(1, 3, "carol", pdu(8, 26, 0, 0, [vb(".1.3.6.1.6.3.15.1.1.4.0", uns(0x41, 3))])),
  ];
  return msgs.map((m, i) => ipFrame("udp", 40000 + i, i === 8 ? 162 : 161, m));
}

function frames(): Uint8Array[] {
  return cases().map((c, i) => (i % 2 ? ipFrame("udp", c.port, 40000 + i, c.body) : ipFrame("udp", 40000 + i, c.port, c.body)));
}

async function withPcap(frs: Uint8Array[], fn: (file: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-snmp-"));
  try {
    const f = path.join(dir, "s.pcap");
    writePcap(f, frs);
    await fn(f);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const CORPUS_RE = /snmp/;

/** The corpus packets that reach SNMP, ours against tcpdump's (the SNMP part at -v) */
async function corpusSnmp(v: number): Promise<{ compared: number; diffs: string[] }> {
  let compared = 0;
  const diffs: string[] = [];
  for (const f of fs.readdirSync(CORPUS).filter((x) => CORPUS_RE.test(x))) {
    const file = path.join(CORPUS, f);
    const { lines, layers } = await readCapture(file, v);
    const td = tcpdumpPackets(file, v ? ["-v"] : []);
    lines.forEach((l, i) => {
      if (!layers[i].includes("snmp")) return;
      compared++;
      const a = v ? appPart(tcpdumpEscape(l)) : tcpdumpEscape(l);
      const b = v ? appPart(td[i] ?? "") : (td[i] ?? "");
      if (a !== b) diffs.push(`${f}#${i + 1}\n  ours: ${a}\n  tcpd: ${b}`);
    });
  }
  return { compared, diffs };
}

describe("snmp: -nn lines match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("crafted messages (v1, v2c, v3; every PDU and value type; bad BER)", async () => {
    await withPcap(frames(), async (f) => {
      const { lines, layers } = await readCapture(f);
      const td = tcpdumpLines(f);
      expect(td.length).toBe(lines.length);
      expect(layers.every((l) => l.includes("snmp"))).toBe(true);
      expect(lines.map(tcpdumpEscape)).toEqual(td);
    });
  });

  it.skipIf(!HAVE_TCPDUMP)("the tcpdump corpus", async () => {
    const r = await corpusRun(CORPUS_RE, ["snmp"]);
    console.log(corpusReport("snmp", r));
    expect(r.bugs).toBe(0);
    const { compared, diffs } = await corpusSnmp(0);
    console.log(`[corpus snmp] packets reaching snmp: ${compared - diffs.length}/${compared} equal tcpdump's (-nn)`);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(4);
  });
});

describe("snmp: -v and -vv lines match tcpdump", () => {
  for (const v of [1, 2]) {
    it.skipIf(!HAVE_TCPDUMP)(`crafted messages at -${"v".repeat(v)}`, async () => {
      await withPcap(frames(), async (f) => {
        const { compared, diffs } = await verboseDiff(f, v, ["snmp"]);
        expect(diffs).toEqual([]);
        expect(compared).toBe(cases().length);
      });
    });
  }
  it.skipIf(!HAVE_TCPDUMP)("the corpus captures at -v", async () => {
    const { compared, diffs } = await corpusSnmp(1);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(4);
  });
});

describe("snmp: cut packets match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("every message cut at several lengths, -nn and -v", async () => {
    const frs: Uint8Array[] = [];
    for (const f of frames().slice(0, 40)) for (const n of [43, 45, 50, 60, 75, 100]) if (n < f.length) frs.push(f.subarray(0, n));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-snmp-cut-"));
    try {
      // a capture whose records are cut (caplen < wire length), as a snapshot length makes them
      const file = path.join(dir, "cut.pcap");
      writePcap(file, frs, (fr) => ((fr[16] << 8) | fr[17]) + 14);
      const { lines } = await readCapture(file);
      expect(lines.map(tcpdumpEscape)).toEqual(tcpdumpLines(file));
      const vd = await verboseDiff(file, 1, ["snmp"]);
      expect(vd.diffs).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("snmp: fields equal tshark's", () => {
  it.skipIf(!HAVE_TSHARK)("crafted messages", async () => {
    const names = [
      "snmp.version",
      "snmp.community",
      "snmp.data",
      "snmp.request_id",
      "snmp.error_status",
      "snmp.error_index",
      "snmp.non_repeaters",
      "snmp.max_repetitions",
      "snmp.name",
      "snmp.value.int",
      "snmp.value.octets",
      "snmp.value.oid",
      "snmp.value.ipv4",
      "snmp.value.counter",
      "snmp.value.g32",
      "snmp.value.timeticks",
      "snmp.enterprise",
      "snmp.agent_addr",
      "snmp.generic_trap",
      "snmp.specific_trap",
      "snmp.time_stamp",
      "snmp.msgID",
      "snmp.msgMaxSize",
      "snmp.msgSecurityModel",
      "snmp.msgAuthoritativeEngineBoots",
      "snmp.msgAuthoritativeEngineTime",
      "snmp.msgUserName",
      "snmp.contextName",
    ];
    await withPcap(wellFormed(), async (f) => {
      const { packets } = await readCapture(f);
      const { diffs, compared } = compareFields(f, packets, names);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThan(80);
    });
  });
});

describe("snmp: robustness", () => {
  it("every truncation and seeded byte flips of the crafted messages and the corpus", async () => {
    const frs = frames().map((data) => ({ data, linktype: 1, wirelen: data.length }));
    expect(robustness(frs, { flips: 12 })).toEqual([]);
    for (const f of fs.readdirSync(CORPUS).filter((x) => CORPUS_RE.test(x))) {
      const { packets } = await readCapture(path.join(CORPUS, f));
      expect(robustness(packets, { flips: 20 })).toEqual([]);
    }
  });
});

