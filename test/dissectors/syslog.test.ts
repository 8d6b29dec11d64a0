/**
 * Syslog on UDP 514: tcpdump's "SYSLOG facility.severity, length: N" and its -v/-vv lines (facility,
 * severity, message, hex dump) for the corpus captures and crafted messages (every facility and severity,
 * priorities past the tables, bad prefixes, control bytes), compared with a live tcpdump; cut packets;
 * syslog.* fields compared with tshark; robustness.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compareFields, CORPUS, HAVE_TCPDUMP, HAVE_TSHARK, ipFrame, readCapture, robustness, tcpdumpEscape, tcpdumpLines, verboseDiff, writePcap } from "./app-common.js";

function messages(): string[] {
  const m: string[] = [];
  for (let f = 0; f < 24; f++) m.push(`<${f * 8 + (f % 8)}>Dec  7 04:00:00 host app[${f}]: facility ${f}`);
  m.push(
    "<0>kernel panic",
    "<191>local7 debug",
    "<192>past the table",
    "<999>largest",
    "<1000>four digits",
    "<13>1 2026-12-07T04:00:00.000Z host app 42 ID47 - RFC 5424 message",
    "<34>",
    "<>empty priority",
    "<12",
    "<1a>letter",
    "no priority at all",
    "<14>with\u0000nul and \u0001 control \u00ff high \r\n bytes",
    "<",
    "<007>leading zeros",
  );
  return m;
}

function frames(): Uint8Array[] {
  return messages().map((s, i) => ipFrame("udp", 40000 + i, 514, Buffer.from(s, "latin1")));
}

async function withPcap(frs: Uint8Array[], fn: (file: string) => Promise<void>, wire?: number[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-syslog-"));
  try {
    const f = path.join(dir, "s.pcap");
    writePcap(f, frs);
    if (wire) {
      // records cut by a snapshot length: the wire length stays the frame's own
      const b = fs.readFileSync(f);
      let o = 24;
      wire.forEach((w) => {
        const cap = b.readUInt32LE(o + 8);
        b.writeUInt32LE(w, o + 12);
        o += 16 + cap;
      });
      fs.writeFileSync(f, b);
    }
    await fn(f);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const CORPUS_FILES = ["syslog_udp.pcap", "rtp-seg-fault-2.pcapng"].map((f) => path.join(CORPUS, f)).filter((f) => fs.existsSync(f));

describe("syslog: lines match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("crafted messages at -nn", async () => {
    await withPcap(frames(), async (f) => {
      const { lines, layers } = await readCapture(f);
      expect(layers.every((l) => l.includes("syslog"))).toBe(true);
      expect(lines.map(tcpdumpEscape)).toEqual(tcpdumpLines(f));
    });
  });
  for (const v of [1, 2]) {
    it.skipIf(!HAVE_TCPDUMP)(`crafted messages at -${"v".repeat(v)}`, async () => {
      await withPcap(frames(), async (f) => {
        const { compared, diffs } = await verboseDiff(f, v, ["syslog"]);
        expect(diffs).toEqual([]);
        expect(compared).toBe(messages().length);
      });
    });
  }
  it.skipIf(!HAVE_TCPDUMP || CORPUS_FILES.length === 0)("the corpus captures at -nn, -v and -vv", async () => {
    let compared = 0;
    for (const f of CORPUS_FILES) {
      const { lines, layers } = await readCapture(f);
      const td = tcpdumpLines(f);
      lines.forEach((l, i) => {
        if (!layers[i].includes("syslog")) return;
        compared++;
        expect(tcpdumpEscape(l)).toBe(td[i]);
      });
      for (const v of [1, 2]) expect((await verboseDiff(f, v, ["syslog"])).diffs).toEqual([]);
    }
    console.log(`[corpus syslog] ${compared} packets reach syslog, all equal tcpdump's at -nn, -v, -vv`);
    expect(compared).toBeGreaterThanOrEqual(4);
  });
  it.skipIf(!HAVE_TCPDUMP)("cut packets", async () => {
    const frs: Uint8Array[] = [];
    const wire: number[] = [];
    for (const fr of frames()) {
      for (const n of [42, 43, 44, 45, 46, 47, 60]) {
        if (n >= fr.length) continue;
        frs.push(fr.subarray(0, n));
        wire.push(fr.length);
      }
    }
    await withPcap(
      frs,
      async (f) => {
        const { lines } = await readCapture(f);
        expect(lines.map(tcpdumpEscape)).toEqual(tcpdumpLines(f));
        expect((await verboseDiff(f, 1, ["syslog"])).diffs).toEqual([]);
      },
      wire,
    );
  });
});

describe("syslog: fields equal tshark's", () => {
  it.skipIf(!HAVE_TSHARK || CORPUS_FILES.length === 0)("syslog_udp.pcap and crafted messages", async () => {
    const names = ["syslog.facility", "syslog.level", "syslog.msg"];
    const file = CORPUS_FILES[0];
    const { packets } = await readCapture(file);
    const r = compareFields(file, packets, names);
    expect(r.diffs).toEqual([]);
    expect(r.compared).toBeGreaterThanOrEqual(9);
    await withPcap(frames().slice(0, 24), async (f) => {
      const { packets: p2 } = await readCapture(f);
      const r2 = compareFields(f, p2, names);
      expect(r2.diffs).toEqual([]);
      expect(r2.compared).toBeGreaterThanOrEqual(48);
    });
  });
});

describe("syslog: robustness", () => {
  it("every truncation and seeded byte flips", async () => {
    const frs = frames().map((data) => ({ data, linktype: 1, wirelen: data.length }));
    expect(robustness(frs, { flips: 10 })).toEqual([]);
  });
});
