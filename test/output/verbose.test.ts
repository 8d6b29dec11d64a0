/**
 * -v and -vv lines against tcpdump's over the fixtures made from real traffic, checksums included: TCP
 * "cksum 0x... (correct)", UDP "[udp sum ok]" (IPv4 with -vv, IPv6 with -v), ICMPv6 "[icmp6 sum ok]"; and with
 * a byte of each fixture's first payload flipped, the "incorrect -> 0x..." forms with the value the field
 * should have had.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, has, sh, tsniff } from "../helpers/run.js";
import { readCapture } from "../dissectors/net-common.js";

/** Fixtures whose -v lines tcpdump prints otherwise for reasons documented in docs/DIFFERENCES.md. */
const KNOWN = new Set(["llc/llc.pcap"]);
const FIXTURES = fs
  .readdirSync(path.join(ROOT, "fixtures"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== "fuzz") // fixtures/fuzz: the fuzzer's damaged inputs (test/fuzz)
  .flatMap((d) => fs.readdirSync(path.join(ROOT, "fixtures", d.name)).filter((f) => f.endsWith(".pcap")).map((f) => `${d.name}/${f}`))
  .filter((f) => !KNOWN.has(f));

function lines(out: Buffer): string[] {
  return out.toString("utf8").split("\n").filter(Boolean);
}

/** tcpdump's lines, with its ^J/^M for a newline or carriage return in packet text written as tsniff's \n/\r
 *  (a documented difference: docs/DIFFERENCES.md). */
function tcpdump(file: string, flag: string, time = true): string[] {
  const r = sh("tcpdump", ["-nn", ...(time ? [] : ["-t"]), flag, "-r", file]);
  return lines(r.stdout).map((l) => l.replace(/\^J/g, "\\n").replace(/\^M/g, "\\r"));
}

/** A copy of the file with the last byte of the first frame that carries a transport payload flipped. */
function corrupt(file: string, out: string): boolean {
  const b = Buffer.from(fs.readFileSync(file));
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  for (let o = 24; o + 16 <= b.length; ) {
    const cap = u32(o + 8);
    const frame = o + 16;
    if (cap > 70) {
      b[frame + cap - 1] ^= 0x5a;
      fs.writeFileSync(out, b);
      return true;
    }
    o = frame + cap;
  }
  return false;
}

describe.skipIf(!has("tcpdump"))("-v and -vv equal tcpdump's, checksums included", () => {
  it("over the fixtures", async () => {
    expect(FIXTURES.length).toBeGreaterThan(10);
    const diffs: string[] = [];
    for (const f of FIXTURES) {
      const file = path.join(ROOT, "fixtures", f);
      for (const flag of ["-v", "-vv"]) {
        // in-process through the library (tcpdump -t: the lines without their time), not a process per file
        const want = tcpdump(file, flag, false);
        // printers that follow tcpdump's fn_print_char (LLDP, syslog -v, ...) write its ^J as it does: also safe
        const raw = lines(sh("tcpdump", ["-nn", "-t", flag, "-r", file]).stdout);
        const { infos } = await readCapture(file, { verbose: flag === "-vv" ? 2 : 1 });
        const got = infos.join("\n").split("\n").filter(Boolean);
        expect(got.length, `${f} ${flag}`).toBe(want.length);
        got.forEach((l, i) => {
          if (l !== want[i] && l !== raw[i] && diffs.length < 5) diffs.push(`${f} ${flag} #${i + 1}\n  tcpdump: ${want[i]}\n  tsniff:  ${l}`);
        });
      }
    }
    expect(diffs).toEqual([]);
    // The checksums were checked, not left out.
    const http = lines(tsniff(["-nn", "-v", "-r", path.join(ROOT, "fixtures/http/http.pcap")]).stdout).join("\n");
    expect(http).toMatch(/cksum 0x[0-9a-f]{4} \(correct\)/);
  });

  it("a damaged segment or datagram gets tcpdump's 'incorrect' text with the checksum it should have had", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-cksum-"));
    try {
      let bad = 0;
      for (const f of ["http/http.pcap", "dns/dns-udp.pcap", "dhcpv6/dhcpv6.pcap", "icmp6/unreach.pcap"]) {
        const out = path.join(dir, f.replace("/", "-"));
        if (!corrupt(path.join(ROOT, "fixtures", f), out)) continue;
        for (const flag of ["-v", "-vv"]) {
          const want = tcpdump(out, flag);
          const got = lines(tsniff(["-nn", flag, "-r", out]).stdout);
          expect(got, `${f} ${flag}`).toEqual(want);
          bad += got.filter((l) => /incorrect -> 0x|bad (udp|icmp6) cksum/.test(l)).length;
        }
      }
      expect(bad).toBeGreaterThanOrEqual(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
