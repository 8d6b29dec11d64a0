/**
 * AODV (UDP 654) as tcpdump prints it: the corpus's AODV captures, then datagrams made here with every message
 * type 0-20 (with flag bytes, with a Hello extension, its bytes varied) and every cut of a request, reply and
 * error, against a live tcpdump, exactly; every truncation and seeded byte flips survived.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writePcap } from "./app-common.js";
import { CORPUS, exactTcpdumpDiffs, hasTcpdump, readCapture, robustness } from "./net-common.js";

const CORPUS_FILES = ["cve-2014-8769-AODV.pcap", "hoobr_aodv_extension.pcap"].map((f) => path.join(CORPUS, f));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-aodv-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Ethernet + IPv4 10.0.0.1 -> 10.0.0.2 + UDP 654 -> 654 around an AODV message (checksums left 0). */
function frame(payload: Uint8Array): Uint8Array {
  const b = Buffer.alloc(14 + 20 + 8 + payload.length);
  Buffer.from("020000000002020000000001" + "0800", "hex").copy(b, 0);
  b[14] = 0x45;
  b.writeUInt16BE(28 + payload.length, 16);
  b[22] = 64;
  b[23] = 17;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(b, 26);
  b.writeUInt16BE(654, 34);
  b.writeUInt16BE(654, 36);
  b.writeUInt16BE(8 + payload.length, 38);
  Buffer.from(payload).copy(b, 42);
  return b;
}
const seq = (from: number, n: number) => Array.from({ length: n }, (_, k) => (from + k) & 255);

function messages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let type = 0; type <= 20; type++)
    for (const flags of [0x00, 0xf8, 0x80, 0x40]) {
      out.push(Uint8Array.from([type, flags, 0x33, 5, ...seq(1, 60)]));
      // a Hello extension after a 24-byte request / 20-byte reply, then more bytes
      out.push(Uint8Array.from([type, flags, 0x33, 2, ...seq(1, 20), 1, 4, 0, 0, 3, 232, ...seq(30, 30)]));
    }
  // every value of the extension's type, length and first interval byte after a reply
  for (const at of [20, 21, 22])
    for (let v = 0; v < 256; v++) {
      const m = Uint8Array.from([2, 0, 0x33, 2, ...seq(1, 20), 1, 4, 0, 0, 3, 232]);
      m[at] = v;
      out.push(m);
    }
  // every cut of requests, replies and errors (both versions)
  for (const type of [1, 2, 3, 16, 17, 18]) for (let n = 0; n < 70; n++) out.push(Uint8Array.from([type, 0, 0, 2, ...seq(1, 79)].slice(0, n)));
  return out;
}

describe.skipIf(!hasTcpdump())("AODV against tcpdump", () => {
  it.skipIf(!CORPUS_FILES.every((f) => fs.existsSync(f)))("the corpus's AODV captures, exactly, at -nn, -v and -e", async () => {
    const { diffs, packets } = await exactTcpdumpDiffs(CORPUS_FILES, [[], ["-v"], ["-e"]]);
    expect(diffs).toEqual([]);
    expect(packets).toBe(3 * 2);
  }, 120_000);

  it("every message type, flags, Hello extensions and cuts, exactly, at -nn and -v", async () => {
    const file = path.join(dir, "aodv.pcap");
    const ms = messages();
    writePcap(
      file,
      ms.map((m) => frame(m)),
    );
    const { diffs, packets } = await exactTcpdumpDiffs([file], [[], ["-v"]]);
    expect(diffs.slice(0, 10)).toEqual([]);
    expect(packets).toBe(2 * ms.length);
  }, 120_000);

  it("survives every truncation and seeded byte flips", async () => {
    const file = path.join(dir, "robust.pcap");
    writePcap(file, messages().slice(0, 84).filter((_, i) => i % 4 === 1).map((m) => frame(m)));
    const { packets } = await readCapture(file);
    expect(robustness(packets, { seed: 654 }).slice(0, 20)).toEqual([]);
  }, 300_000);
});
