/** -T json (NDJSON), -V (the detail tree) and the terminal guard (escape.ts) of every output. */
import { describe, expect, it } from "vitest";
import { createPrinter } from "../../src/output/printer.js";
import { hasControl, lineSafe, termSafe } from "../../src/output/escape.js";
import { protocolsText, timeText } from "../../src/output/frame.js";
import { batchOf, INFO, packet } from "./helpers.js";
import { BASE } from "./options.js";

const b = batchOf([
  packet({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1000, dport: 9999, flags: 0x18, id: 7, payload: "abc" }),
  packet({ proto: "udp", sport: 40000, dport: 9999, payload: "\x1b]0;pwned\x07\x1b[2J\r\x9bZ" }),
]);

describe("-T json", () => {
  const p = createPrinter({ ...BASE, format: "json" }, INFO);
  const doc = JSON.parse(p(b, 0, 1));
  it("one line per packet", () => {
    const s = p(b, 1, 2);
    expect(s.endsWith("\n")).toBe(true);
    expect(s.indexOf("\n")).toBe(s.length - 1);
  });
  it("frame fields", () => {
    expect(doc.frame).toMatchObject({
      "frame.number": 1,
      "frame.time_epoch": "1700000000.000001000",
      "frame.len": 57,
      "frame.cap_len": 57,
      "frame.protocols": "eth:ethertype:ip:tcp:data",
    });
  });
  it("protocols keyed by id, fields by name, numbers for integers, arrays for repeated fields", () => {
    expect(Object.keys(doc)).toEqual(["frame", "eth", "ip", "tcp", "data"]);
    expect(doc.eth["eth.src"]).toBe("66:77:88:99:aa:bb");
    expect(doc.eth["eth.type"]).toBe(0x0800);
    expect(doc.ip["ip.addr"]).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(doc.ip["ip.id"]).toBe(7);
    expect(doc.ip["ip.flags.df"]).toBe(true);
    expect(doc.ip["ip.flags.mf"]).toBe(false);
    expect(doc.tcp["tcp.port"]).toEqual([1000, 9999]);
    expect(doc.tcp["tcp.flags.push"]).toBe(true);
    expect(doc.data["data.data"]).toBe("61:62:63");
  });
  it("escapes what JSON.stringify leaves raw (C1 controls)", () => {
    const s = p(b, 1, 2);
    expect(hasControl(s.slice(0, -1))).toBe(false);
    expect(JSON.parse(s).data["data.data"]).toMatch(/^1b:5d:30/);
  });
  it("marks truncated packets", () => {
    const t = batchOf([packet({ payload: "abc" })], { caplen: [30] });
    const d = JSON.parse(createPrinter({ ...BASE, format: "json" }, INFO)(t, 0, 1));
    expect(d["_ws.expert"]).toMatchObject({ truncated: true });
    expect(d.frame["frame.cap_len"]).toBe(30);
  });
});

describe("-V", () => {
  const p = createPrinter({ ...BASE, detail: true }, INFO);
  const text = p(b, 0, 1);
  it("headings at the left, fields indented four spaces a level, a blank line after", () => {
    const lines = text.split("\n");
    expect(lines[0]).toBe("Frame 1: 57 bytes on wire (456 bits), 57 bytes captured (456 bits)");
    expect(lines).toContain("    Frame Number: 1");
    expect(lines).toContain("    Protocols in frame: eth:ethertype:ip:tcp:data");
    expect(lines).toContain("Ethernet II");
    expect(lines).toContain("    Source: 66:77:88:99:aa:bb");
    expect(lines).toContain("Internet Protocol Version 4");
    expect(lines).toContain("    Source Address: 10.0.0.1");
    expect(lines).toContain("Transmission Control Protocol");
    expect(lines).toContain("    Destination Port: 9999");
    expect(lines.some((l) => /^        Push: True$/.test(l))).toBe(true);
    expect(lines).toContain("Data (3 bytes)");
    // "either side" aliases (eth.addr, ip.addr, tcp.port) are for filters and JSON, hidden in the tree
    expect(lines.filter((l) => /^    (Address|Source or Destination)/.test(l))).toEqual([]);
    expect(text.endsWith("\n\n")).toBe(true);
  });
  it("packet text stays on its line and shows no control characters", () => {
    const t = p(b, 1, 2);
    expect(hasControl(t)).toBe(false);
    for (const l of t.split("\n")) expect(l).not.toMatch(/\x1b|\r/);
  });
  it("-V with -X appends the dump", () => {
    const t = createPrinter({ ...BASE, detail: true, hexAscii: 1 }, INFO)(b, 0, 1);
    expect(t).toMatch(/\n\n\t0x0000:  4500 002b 0007 4000 4006 [0-9a-f]{4} 0a00 0001  E\.\.\+\.\.@\.@\.[^\n]{6}\n[^]*abc\n\n$/);
  });
});

describe("every mode keeps control characters away from the terminal", () => {
  const modes = [{}, { verbose: 3, linkHeader: true }, { hex: 1 }, { hexAscii: 2 }, { ascii: true }, { detail: true }, { format: "json" as const }, { format: "fields" as const, fields: ["data.data", "frame.protocols"] }];
  for (const m of modes) {
    it(JSON.stringify(m), () => {
      const p = createPrinter({ ...BASE, ...m }, INFO);
      for (let i = 0; i < b.count; i++) expect(hasControl(p(b, i, i + 1))).toBe(false);
    });
  }
  it("-v keeps tcpdump's line break (not an escaped \\n)", () => {
    const s = createPrinter({ ...BASE, verbose: 1 }, INFO)(b, 0, 1);
    expect(s).toMatch(/length 43\)\n    10\.0\.0\.1\.1000 > 10\.0\.0\.2\.9999: /);
  });
});

describe("helpers", () => {
  it("termSafe keeps text, newlines and tabs; escapes the rest", () => {
    expect(termSafe("plain")).toBe("plain");
    expect(termSafe("a\nb\tc")).toBe("a\nb\tc");
    expect(termSafe("\x1b[31mred\r\x7f\x9b\u2028")).toBe("\\x1b[31mred\\r\\x7f\\x9b\\u2028");
    expect(termSafe("caf\u00e9 \u00b7")).toBe("caf\u00e9 \u00b7");
    expect(lineSafe("a\nb\tc")).toBe("a\\nb\\tc");
  });
  it("frame.protocols as Wireshark spells it", () => {
    expect(protocolsText(["eth", "ip", "tcp"])).toBe("eth:ethertype:ip:tcp");
    expect(protocolsText(["sll", "ip", "udp", "data"])).toBe("sll:ethertype:ip:udp:data");
    expect(protocolsText(["eth"])).toBe("eth");
    expect(protocolsText(["null", "ip"])).toBe("null:ip");
  });
  it("timeText", () => {
    expect(timeText(1, 5)).toBe("1.000000005");
    expect(timeText(0, -1000)).toBe("-0.000001000");
    expect(timeText(2, -1)).toBe("1.999999999");
  });
});
