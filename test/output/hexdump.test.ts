/**
 * -x/-xx, -X/-XX and -A: tcpdump's layout, byte for byte, from hand-made packets and against the installed
 * tcpdump on corpus files (tcpdump -q -tt -nn -x|-xx|-X|-XX|-A -r FILE: the dump lines must be identical).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { asciiDump, hexAsciiDump, hexDump, packetDump } from "../../src/output/hexdump.js";
import { createPrinter } from "../../src/output/printer.js";
import { batchOf, INFO, packet, readAll } from "./helpers.js";
import { BASE } from "./options.js";
import { CORPUS } from "../helpers/paths.js";

describe("layout", () => {
  const d = new Uint8Array([0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0xb1, 0xe6, 0xac, 0x10, 0x0a, 0x63, 0x20, 0x7f, 0x1b, 0x41]);
  it("-x: 8 groups of 2 bytes a line, an odd byte alone", () => {
    expect(hexDump(d, 0, 16)).toBe("\n\t0x0000:  4500 003c 1c46 4000 4006 b1e6 ac10 0a63");
    expect(hexDump(d, 0, 19)).toBe("\n\t0x0000:  4500 003c 1c46 4000 4006 b1e6 ac10 0a63\n\t0x0010:  207f 1b");
    expect(hexDump(d, 0, 0)).toBe("");
    expect(hexDump(d, 16, 17)).toBe("\n\t0x0000:  20");
  });
  it("-X: hex padded to 40 columns, then printable ASCII with '.' for the rest (space included)", () => {
    expect(hexAsciiDump(d, 0, 16)).toBe("\n\t0x0000:  4500 003c 1c46 4000 4006 b1e6 ac10 0a63  E..<.F@.@......c");
    expect(hexAsciiDump(d, 16, 20)).toBe("\n\t0x0000:  207f 1b41" + " ".repeat(30) + "  ...A");
    expect(hexAsciiDump(d, 16, 19)).toBe("\n\t0x0000:  207f 1b" + " ".repeat(32) + "  ...");
  });
  it("-A: text as is, controls as '.', CR before LF dropped", () => {
    const t = new Uint8Array(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x1b[2Jab\rc\x00", "latin1"));
    expect(asciiDump(t, 0, t.length)).toBe("\nGET / HTTP/1.1\nHost: x\n\n.[2Jab.c.");
  });
  it("packetDump: -X over -x over -A; doubled flags keep the link header; nothing after the header, nothing", () => {
    const p = new Uint8Array(20).fill(0x41);
    expect(packetDump({ hex: 1, hexAscii: 1, ascii: true }, p, 0, 20, 14)).toBe(hexAsciiDump(p, 14, 20));
    expect(packetDump({ hex: 1, hexAscii: 0, ascii: true }, p, 0, 20, 14)).toBe(hexDump(p, 14, 20));
    expect(packetDump({ hex: 2, hexAscii: 0, ascii: false }, p, 0, 20, 14)).toBe(hexDump(p, 0, 20));
    expect(packetDump({ hex: 0, hexAscii: 2, ascii: false }, p, 0, 20, 14)).toBe(hexAsciiDump(p, 0, 20));
    expect(packetDump({ hex: 0, hexAscii: 0, ascii: true }, p, 0, 20, 14)).toBe(asciiDump(p, 14, 20));
    expect(packetDump({ hex: 1, hexAscii: 0, ascii: false }, p, 0, 14, 14)).toBe("");
    expect(packetDump({ hex: 0, hexAscii: 0, ascii: false }, p, 0, 20, 14)).toBe("");
  });
  it("the printer leaves out the Ethernet header for -x and keeps it for -xx", () => {
    const b = batchOf([packet({ payload: "hello" })]);
    const x = createPrinter({ ...BASE, hex: 1 }, INFO)(b, 0, 1);
    expect(x.split("\n")[1]).toBe("\t0x0000:  4500 002d 0001 4000 4006 " + x.split("\n")[1].slice(35, 39) + " 0a00 0001");
    const xx = createPrinter({ ...BASE, hex: 2 }, INFO)(b, 0, 1);
    expect(xx.split("\n")[1]).toBe("\t0x0000:  0011 2233 4455 6677 8899 aabb 0800 4500");
    expect(xx.endsWith("\n")).toBe(true);
    expect(xx.split("\n").length).toBe(x.split("\n").length + 1);
  });
});

function tcpdumpOk(): boolean {
  const r = spawnSync("tcpdump", ["--version"], { encoding: "utf8" });
  return r.status === 0 && fs.existsSync(CORPUS);
}

/** Dump lines only: the summary lines (which start with the -tt timestamp) are other tests' business. */
function dumpLines(text: string): string[] {
  return text.split("\n").filter((l) => !/^-?\d+\.\d{6} /.test(l));
}

const FILES = ["RADIUS.pcap", "dns_tcp.pcap", "tftp.pcap", "whois.pcap", "IGMP_V2.pcap", "vrrp.pcap", "afs.pcap", "ospf-nssa-bitnt.pcap", "telnet-iac-check-oobr.pcap", "sflow_multiple_counter_30_pdus.pcap"];
const FLAGS: Array<[string, Partial<typeof BASE>]> = [
  ["-x", { hex: 1 }],
  ["-xx", { hex: 2 }],
  ["-X", { hexAscii: 1 }],
  ["-XX", { hexAscii: 2 }],
  ["-A", { ascii: true }],
];

describe.skipIf(!tcpdumpOk())("the same dump lines as tcpdump", () => {
  for (const f of FILES) {
    for (const [flag, o] of FLAGS) {
      it(`${f} ${flag}`, async () => {
        const file = `${CORPUS}/${f}`;
        if (!fs.existsSync(file)) return;
        const want = spawnSync("tcpdump", ["-q", "-tt", "-nn", flag, "-r", file], { encoding: "latin1", maxBuffer: 64 << 20 }).stdout;
        const { batch, info } = await readAll(file);
        const print = createPrinter({ ...BASE, quiet: true, ...o }, info);
        let got = "";
        for (let i = 0; i < batch.count; i++) got += print(batch, i, i + 1);
        expect(dumpLines(got)).toEqual(dumpLines(want));
      });
    }
  }
});
