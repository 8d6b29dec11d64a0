/**
 * -ttt and -ttttt deltas (found by the fuzzer): a delta that goes backwards prints tcpdump's "-HH:MM:SS.frac"
 * (the sign in the place of the leading space), and a malformed microsecond field (>= 10^6) never makes a
 * negative fraction ("00:00:00.-745207"): it prints what tcpdump prints for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has, sh, tsniff } from "../helpers/run.js";
import { makePcapHeader } from "../../src/capture/pcap-format.js";

let dir: string;
const pkt = Buffer.from("ffffffffffff02000000000108004500001c00010000401100000a0000010a00000200350035000800 00".replace(/ /g, ""), "hex");
function file(name: string, times: [number, number][]): string {
  const recs = times.map(([s, us]) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(s, 0);
    h.writeUInt32LE(us, 4);
    h.writeUInt32LE(pkt.length, 8);
    h.writeUInt32LE(pkt.length, 12);
    return Buffer.concat([h, pkt]);
  });
  const f = path.join(dir, name);
  fs.writeFileSync(f, Buffer.concat([makePcapHeader(1, 65535, false), ...recs]));
  return f;
}
const stamps = (out: Buffer) => out.toString().split("\n").filter(Boolean).map((l) => l.slice(0, l.indexOf(" IP ")));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-delta-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("time deltas", () => {
  it("backwards deltas print as tcpdump's", () => {
    const f = file("back.pcap", [
      [100, 500000],
      [100, 200000],
      [50, 900000],
      [3700, 1],
      [3699, 999999],
    ]);
    for (const flag of ["-ttt", "-ttttt"]) {
      const ours = stamps(tsniff([flag, "-nn", "-r", f]).stdout);
      expect(ours).toHaveLength(5);
      expect(ours[1]).toBe("-00:00:00.300000");
      if (has("tcpdump")) expect(ours).toEqual(stamps(sh("tcpdump", [flag, "-nn", "-r", f]).stdout));
    }
  });

  it("a malformed microsecond field never makes a negative fraction", () => {
    const f = file("bad-usec.pcap", [
      [51, 2500000],
      [51, 100],
      [52, 4294967295],
      [40, 0],
    ]);
    for (const flag of ["-ttt", "-ttttt"]) {
      const ours = stamps(tsniff([flag, "-nn", "-r", f]).stdout);
      expect(ours).toHaveLength(4);
      // No negative fraction; the digits are tcpdump's: it subtracts the raw fields (the fraction read as
      // signed 32 bits), borrows once and prints the fraction unsigned ("-00:00:00.2499900").
      for (const s of ours) expect(s, flag).toMatch(/^[ -]\d\d+:\d\d:\d\d\.\d{6,10}$/);
      if (has("tcpdump")) expect(ours).toEqual(stamps(sh("tcpdump", [flag, "-nn", "-r", f]).stdout));
    }
  });
});
