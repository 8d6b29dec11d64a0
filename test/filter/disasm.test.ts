/**
 * formatProgram against the installed tcpdump (-d, -dd, -ddd) and libpcap's bpf_image, byte for byte; and
 * native().compile against tcpdump's own compilation, including its error messages.
 *
 * tcpdump is run as `tcpdump -d -i DEVICE -- EXPR` (a live handle: root and an up `lo` needed) and as
 * `tcpdump -d -r EMPTY.pcap -- EXPR` (an offline handle of any link type, from a header-only file). The whole
 * suite is skipped when tcpdump cannot do that here.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { native } from "../../src/capture/native.js";
import { formatInstruction, formatProgram, parseDecimalProgram, type DumpLevel } from "../../src/filter/disasm.js";
import { BAD_FILTERS, FILTERS, WLAN_FILTERS } from "./filters.js";

const DLT_EN10MB = 1;
const DLT_LINUX_SLL = 113;
const DLT_LINUX_SLL2 = 276;
const DLT_IEEE802_11_RADIO = 127;
const SNAPLEN = 262144; // tcpdump's default, and the snaplen of the header-only files below

interface Run {
  ok: boolean;
  stdout: string;
  /** stderr without the banners ("reading from file ...", "tcpdump: data link type ..." after -y/any) */
  stderr: string;
}

function tcpdump(args: string[]): Run {
  const r = spawnSync("tcpdump", args, { encoding: "utf8" });
  const stderr = (r.stderr ?? "")
    .split("\n")
    .filter((l) => !l.startsWith("reading from file ") && !l.startsWith("tcpdump: data link type "))
    .join("\n");
  return { ok: r.status === 0, stdout: r.stdout ?? "", stderr };
}

const dflag = (level: DumpLevel) => "-" + "d".repeat(level);

/** Where tcpdump gets its program: a live device (optionally with -y) or a header-only file of a link type. */
interface Handle {
  name: string;
  dlt: number;
  args: string[];
}
const live = (device: string, dlt: number, y?: string): Handle => ({
  name: `-i ${device}${y ? ` -y ${y}` : ""}`,
  dlt,
  args: ["-i", device, ...(y ? ["-y", y] : [])],
});
let tmp = "";
const offline = (dlt: number): Handle => ({ name: `-r (DLT ${dlt})`, dlt, args: ["-r", path.join(tmp, `empty-${dlt}.pcap`)] });

function dump(h: Handle, level: DumpLevel, expr: string, optimize = true): Run {
  return tcpdump([dflag(level), ...(optimize ? [] : ["-O"]), ...h.args, "--", expr]);
}

/** native().compile as tcpdump calls pcap_compile: netmask 0 (what tcpdump 4.99 passes, even for lo). */
function compile(expr: string, dlt: number, optimize = true): { prog?: Uint32Array; error?: string } {
  try {
    return { prog: native().compile(expr, dlt, SNAPLEN, optimize ? 1 : 0, 0) };
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe("EFILTER");
    return { error: (e as Error).message };
  }
}

/** Linux-specific "ancillary data" loads (k >= SKF_AD_OFF), which only a live Linux handle compiles. */
const usesAncillary = (p: Uint32Array) => {
  for (let i = 0; i < p.length; i += 4) if ((p[i]! & 0xe7) === 0x20 && p[i + 3]! >= 0xfffff000) return true;
  return false;
};

const tcpdumpWorks = (() => {
  const r = spawnSync("tcpdump", ["-d", "-i", "lo", "ip"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.startsWith("(000) ldh      [12]");
})();

/**
 * The core check for one expression on one handle: tcpdump succeeds exactly when native().compile does;
 * on success our -d/-dd/-ddd text of tcpdump's own program equals tcpdump's, and our compiled program equals
 * tcpdump's (a live handle's VLAN tests excepted: see below); on failure the messages are the same.
 */
function checkExpression(h: Handle, expr: string, optimize = true): void {
  const ddd = dump(h, 3, expr, optimize);
  const ours = compile(expr, h.dlt, optimize);
  if (h.args[0] === "-r" && /\b(in|out)bound\b/.test(expr)) {
    // The direction is known only to a live handle (Linux: [type], the kernel's packet type). libpcap refuses
    // it on a savefile, but the addon's pcap_open_dead handle is not one: it compiles as a live handle would.
    expect(ddd.stderr).toMatch(/^tcpdump: inbound\/outbound not supported on .* when reading savefiles\n$/);
    // (On most link types that is an ancillary load, ldh [type]; on radiotap libpcap 1.10 emits
    // `ldh [x + -4092]`, the ancillary offset added to the radiotap header length, which no kernel knows.)
    expect(ours.error).toBeUndefined();
    return;
  }
  if (!ddd.ok) {
    expect(ours.error, `tcpdump failed (${ddd.stderr.trim()}) but compile did not`).toBeDefined();
    expect(ddd.stderr).toBe(`tcpdump: ${ours.error}\n`);
    return;
  }
  expect(ours.error, "compile failed where tcpdump did not").toBeUndefined();
  const theirs = parseDecimalProgram(ddd.stdout);
  expect(formatProgram(theirs, 3)).toBe(ddd.stdout);
  expect(formatProgram(theirs, 1)).toBe(dump(h, 1, expr, optimize).stdout);
  expect(formatProgram(theirs, 2)).toBe(dump(h, 2, expr, optimize).stdout);
  if (h.args[0] === "-i" && usesAncillary(theirs) && !usesAncillary(ours.prog!)) {
    // On a live Linux handle, libpcap tests VLAN tags through the kernel's metadata ([vlanp], [vlan_tci]),
    // while pcap_open_dead (what the addon compiles on) tests the frame as a savefile would: compare with
    // tcpdump reading a file of the same link type instead.
    expect(expr).toMatch(/\bvlan\b/);
    const off = dump(offline(h.dlt), 3, expr, optimize);
    expect(off.ok).toBe(true);
    expect(formatProgram(ours.prog!, 3)).toBe(off.stdout);
    return;
  }
  expect(formatProgram(ours.prog!, 3)).toBe(ddd.stdout);
}

describe.skipIf(!tcpdumpWorks)("tcpdump -d/-dd/-ddd", () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-disasm-"));
    for (const dlt of [DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_IEEE802_11_RADIO]) {
      const b = Buffer.alloc(24);
      b.writeUInt32LE(0xa1b2c3d4, 0);
      b.writeUInt16LE(2, 4);
      b.writeUInt16LE(4, 6);
      b.writeUInt32LE(SNAPLEN, 16);
      b.writeUInt32LE(dlt, 20);
      fs.writeFileSync(path.join(tmp, `empty-${dlt}.pcap`), b);
    }
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("has 35+ expressions that compile on Ethernet", () => {
    expect(FILTERS.length).toBeGreaterThanOrEqual(35);
  });

  describe("lo (EN10MB), optimized", () => {
    for (const expr of FILTERS) {
      it(expr, () => {
        // every expression of the list is valid on Ethernet
        expect(dump(live("lo", DLT_EN10MB), 3, expr).ok).toBe(true);
        checkExpression(live("lo", DLT_EN10MB), expr);
      });
    }
  });

  describe("lo (EN10MB), not optimized (-O)", () => {
    for (const expr of FILTERS) it(expr, () => checkExpression(live("lo", DLT_EN10MB), expr, false));
  });

  describe("any -y LINUX_SLL (113)", () => {
    for (const expr of FILTERS) it(expr, () => checkExpression(live("any", DLT_LINUX_SLL, "LINUX_SLL"), expr));
  });

  describe("any (LINUX_SLL2, 276)", () => {
    for (const expr of FILTERS) it(expr, () => checkExpression(live("any", DLT_LINUX_SLL2), expr));
  });

  describe("802.11 radiotap (127), from a file", () => {
    for (const expr of [...WLAN_FILTERS, "ip", "tcp port 80", "ether host 00:11:22:33:44:55", "vlan", "inbound"]) {
      it(expr, () => checkExpression(offline(DLT_IEEE802_11_RADIO), expr));
      it(`${expr} (-O)`, () => checkExpression(offline(DLT_IEEE802_11_RADIO), expr, false));
    }
  });

  it("numbers instructions past 999 as %03d does", () => {
    const expr = Array.from({ length: 150 }, (_, i) => `port ${i + 1}`).join(" or ");
    const ddd = dump(live("lo", DLT_EN10MB), 3, expr, false);
    expect(ddd.ok).toBe(true);
    const prog = parseDecimalProgram(ddd.stdout);
    expect(prog.length / 4).toBeGreaterThan(1000);
    expect(formatProgram(prog, 1)).toBe(dump(live("lo", DLT_EN10MB), 1, expr, false).stdout);
    checkExpression(live("lo", DLT_EN10MB), expr, false);
  });

  describe("bad expressions fail in compile exactly when tcpdump fails, with its message", () => {
    for (const expr of BAD_FILTERS) {
      it(expr, () => {
        const r = dump(live("lo", DLT_EN10MB), 1, expr);
        expect(r.ok).toBe(false);
        expect(r.stdout).toBe("");
        const ours = compile(expr, DLT_EN10MB);
        expect(ours.error).toBeDefined();
        expect(r.stderr).toBe(`tcpdump: ${ours.error}\n`);
      });
    }
  });
});

/** libpcap's own bpf_image, through a tiny C program, for instructions pcap_compile never emits. */
const bpfImage = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-bpfimage-"));
  const src = path.join(dir, "image.c");
  const exe = path.join(dir, "image");
  fs.writeFileSync(
    src,
    `#include <pcap/pcap.h>
#include <stdio.h>
int main(void) {
  int n; unsigned code, jt, jf, k;
  while (scanf("%d %u %u %u %u", &n, &code, &jt, &jf, &k) == 5) {
    struct bpf_insn i;
    i.code = (unsigned short)code; i.jt = (unsigned char)jt; i.jf = (unsigned char)jf; i.k = k;
    puts(bpf_image(&i, n));
  }
  return 0;
}
`,
  );
  const cc = spawnSync("cc", ["-o", exe, src, "-lpcap"], { encoding: "utf8" });
  if (cc.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    run(input: string): string {
      return spawnSync(exe, [], { input, encoding: "utf8", maxBuffer: 1 << 28 }).stdout;
    },
  };
})();

describe.skipIf(!bpfImage)("formatInstruction against libpcap's bpf_image", () => {
  afterAll(() => {
    if (bpfImage) fs.rmSync(bpfImage.dir, { recursive: true, force: true });
  });

  it("prints every 16-bit opcode, with edge values of k, jt, jf and n, as bpf_image does", () => {
    const ks = [0, 1, 12, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffff000, 0xfffff030, 0xfffff03c, 0xfffff040, 0xfffff002];
    const cases: [number, number, number, number, number][] = [];
    for (let code = 0; code < 0x10000; code++) {
      // every k for the opcodes that exist (code < 0x100), a few for the rest
      const kk = code < 0x100 ? ks : [ks[code % ks.length]!];
      kk.forEach((k, j) => cases.push([(code * 7 + j * 131) % 1200, code, (j * 37) & 0xff, (255 - j * 11) & 0xff, k]));
    }
    const expected = bpfImage!.run(cases.map((c) => c.join(" ")).join("\n") + "\n").split("\n");
    // formatInstruction numbers from the instruction's index: put each case at index n of a scratch program
    const p = new Uint32Array(1200 * 4);
    cases.forEach(([n, code, jt, jf, k], i) => {
      p.set([code, jt, jf, k], n * 4);
      const got = formatInstruction(p, n);
      if (got !== expected[i]) expect(got, `code 0x${code.toString(16)} k 0x${k.toString(16)} n ${n}`).toBe(expected[i]);
    });
  });
});

describe("formatProgram", () => {
  const prog = new Uint32Array([0x28, 0, 0, 12, 0x15, 0, 1, 0x800, 0x06, 0, 0, 262144, 0x06, 0, 0, 0]);

  it("prints the three tcpdump forms", () => {
    expect(formatProgram(prog, 1)).toBe(
      "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #262144\n(003) ret      #0\n",
    );
    expect(formatProgram(prog, 2)).toBe(
      "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n",
    );
    expect(formatProgram(prog, 3)).toBe("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n");
  });

  it("reads the -ddd form back", () => {
    expect(parseDecimalProgram(formatProgram(prog, 3))).toEqual(prog);
    expect(() => parseDecimalProgram("2\n6 0 0 0\n")).toThrow(SyntaxError);
    expect(() => parseDecimalProgram("1\n6 0 256 0\n")).toThrow(SyntaxError);
  });

  it("refuses a program that is not whole instructions", () => {
    expect(() => formatProgram(new Uint32Array(3), 1)).toThrow(TypeError);
  });
});
