/**
 * LDP on UDP/TCP 646: tcpdump's "LDP, Label-Space-ID: a.b.c.d:n, pdu-length: N" (right after TCP's length, as
 * tcpdump prints it) and its -v/-vv PDU, message and TLV lines, compared with a live tcpdump on every corpus
 * capture that reaches LDP and on those captures cut by snapshot lengths; ldp.* fields compared with tshark;
 * robustness.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compareFields, CORPUS, HAVE_EDITCAP, HAVE_TCPDUMP, HAVE_TSHARK, readCapture, robustness, tcpdumpEscape, tcpdumpPackets, verboseDiff } from "./app-common.js";

const FILES = ["ldp-common-session.pcap", "ldp-infinite-loop.pcap", "ldp-ldp_tlv_print-oobr.pcap", "ldp_tlv_print-oobr.pcap", "mpls-ldp-hello.pcap"]
  .map((f) => path.join(CORPUS, f))
  .filter((f) => fs.existsSync(f));

/** Our packets that reach LDP against tcpdump's: whole lines at -nn, the LDP part at -v/-vv. */
async function compare(file: string, v: number): Promise<{ compared: number; diffs: string[] }> {
  if (v > 0) return verboseDiff(file, v, ["ldp"]);
  const { lines, layers } = await readCapture(file);
  const td = tcpdumpPackets(file, []);
  const diffs: string[] = [];
  let compared = 0;
  lines.forEach((l, i) => {
    if (!layers[i].includes("ldp")) return;
    compared++;
    if (tcpdumpEscape(l) !== td[i]) diffs.push(`${path.basename(file)}#${i + 1}\n  ours: ${l}\n  tcpd: ${td[i]}`);
  });
  return { compared, diffs };
}

describe("ldp: the corpus matches tcpdump", () => {
  for (const v of [0, 1, 2]) {
    it.skipIf(!HAVE_TCPDUMP || FILES.length === 0)(`every packet that reaches LDP at ${v ? "-" + "v".repeat(v) : "-nn"}`, async () => {
      let compared = 0;
      const diffs: string[] = [];
      for (const f of FILES) {
        const r = await compare(f, v);
        compared += r.compared;
        diffs.push(...r.diffs);
      }
      console.log(`[corpus ldp] ${v ? "-" + "v".repeat(v) : "-nn"}: ${compared - diffs.length}/${compared} packets reaching LDP equal tcpdump's`);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThanOrEqual(25);
    });
  }
  it.skipIf(!HAVE_TCPDUMP || !HAVE_EDITCAP || FILES.length === 0)("cut captures (-nn and -v)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-ldp-"));
    try {
      let compared = 0;
      for (const n of [50, 60, 64, 70, 80, 90, 100, 120, 200, 300]) {
        const cut = path.join(dir, `cut${n}.pcap`);
        execFileSync("editcap", ["-s", String(n), FILES[0], cut], { stdio: "ignore" });
        for (const v of [0, 1]) {
          const r = await compare(cut, v);
          expect(r.diffs).toEqual([]);
          compared += r.compared;
        }
      }
      expect(compared).toBeGreaterThan(100);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ldp: fields equal tshark's", () => {
  it.skipIf(!HAVE_TSHARK || FILES.length === 0)("ldp-common-session.pcap and mpls-ldp-hello.pcap", async () => {
    const names = ["ldp.hdr.version", "ldp.hdr.pdu_len", "ldp.hdr.ldpid.lsr", "ldp.hdr.ldpid.lsid", "ldp.msg.type", "ldp.msg.len", "ldp.msg.id", "ldp.msg.tlv.type", "ldp.msg.tlv.len", "ldp.msg.tlv.hello.hold", "ldp.msg.tlv.ipv4.taddr", "ldp.msg.tlv.sess.ver", "ldp.msg.tlv.sess.ka", "ldp.msg.tlv.sess.rxlsr", "ldp.msg.tlv.addrl.addr"];
    let compared = 0;
    for (const f of [FILES[0], FILES[FILES.length - 1]]) {
      const { packets } = await readCapture(f);
      const r = compareFields(f, packets, names);
      // tshark reassembles PDUs across TCP segments; frames where it does are not comparable one to one
      const real = r.diffs.filter((d) => !(d.field.startsWith("ldp.") && d.ours.length !== d.tshark.length));
      expect(real).toEqual([]);
      compared += r.compared;
    }
    expect(compared).toBeGreaterThan(50);
  });
});

describe("ldp: robustness", () => {
  it("every truncation and seeded byte flips of the corpus packets", async () => {
    for (const f of FILES) {
      const { packets, layers } = await readCapture(f);
      const ldp = packets.filter((_, i) => layers[i].includes("ldp"));
      expect(robustness(ldp, { flips: 12 })).toEqual([]);
    }
  });
});

