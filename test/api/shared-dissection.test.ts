/**
 * One dissection per packet when the CLI both prints and runs plugins: the printer and the plugins' packets
 * share one Dissector, which remembers its last packet. Checked: the printed lines are those of a run without
 * plugins (TCP relative sequence numbers included), the engine runs once per packet, a detail pass after a
 * summary pass of the same packet reads TCP state as the first pass did, and the whole CLI prints the same
 * lines with and without a plugin that reads fields.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPrinter, printerDissector } from "../../src/output/printer.js";
import { Packet, PacketContext } from "../../src/api/packet.js";
import { Dissector } from "../../src/dissectors/index.js";
import { Line } from "../../src/dissectors/line.js";
import { readAll } from "../output/helpers.js";
import { BASE } from "../output/options.js";
import { tsniff } from "../helpers/run.js";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURES = ["http/http.pcap", "tls/tls.pcap", "dns/dns-tcp.pcap"].map((f) => path.join(ROOT, "fixtures", f));

describe("printer and plugin packets share one dissection", () => {
  for (const file of FIXTURES) {
    it(`${path.basename(file)}: same lines, one engine run per packet`, async () => {
      const { batch: b, info } = await readAll(file);
      const plain = createPrinter({ ...BASE }, info);
      const want: string[] = [];
      for (let i = 0; i < b.count; i++) want.push(plain(b, i, i + 1));

      const dis = printerDissector(BASE);
      const printer = createPrinter({ ...BASE }, info, dis);
      const pctx = new PacketContext({ dissector: dis });
      const got: string[] = [];
      const ports: number[] = [];
      for (let i = 0; i < b.count; i++) {
        const pkt = Packet.fromBatch(b, i, i + 1, pctx); // what a plugin sees, before the printer
        ports.push(pkt.tcp?.dstport ?? -1);
        got.push(printer(b, i, i + 1));
      }
      expect(got).toEqual(want);
      expect(ports.filter((p) => p > 0).length).toBeGreaterThan(0);
      expect(dis.passes).toBe(b.count);
    });
  }

  for (const file of FIXTURES) {
    it(`${path.basename(file)}: the byte path (writeLine, as the CLI prints) gives the string path's lines, one run per packet`, async () => {
      const { batch: b, info } = await readAll(file);
      const plain = createPrinter({ ...BASE }, info);
      let want = "";
      for (let i = 0; i < b.count; i++) want += plain(b, i, i + 1);

      // alone: the line is dissected straight into the output
      const dis1 = printerDissector(BASE);
      const alone = createPrinter({ ...BASE }, info, dis1);
      const out1 = new Line();
      for (let i = 0; i < b.count; i++) alone.writeLine!(b, i, i + 1, out1);
      expect(out1.text()).toBe(want);
      expect(dis1.passes).toBe(b.count);

      // after a plugin's packet read the same packet: its line is reused, not dissected again
      const dis2 = printerDissector(BASE);
      const shared = createPrinter({ ...BASE }, info, dis2);
      const pctx = new PacketContext({ dissector: dis2 });
      const out2 = new Line();
      for (let i = 0; i < b.count; i++) {
        Packet.fromBatch(b, i, i + 1, pctx).summary();
        shared.writeLine!(b, i, i + 1, out2);
      }
      expect(out2.text()).toBe(want);
      expect(dis2.passes).toBe(b.count);
    });
  }

  it("a detail pass after the summary pass of the same packet reads TCP state as the first pass did", async () => {
    const { batch: b } = await readAll(FIXTURES[0]);
    // From the fourth packet on: the capture starts mid-connection (no SYN), so the first segment seen sets the
    // base and prints absolute numbers; a second pass over it must not print it relative to itself (0).
    const from = 3;
    // Reference: a dissector that only ever runs detail passes.
    const ref = new Dissector();
    const seqs: unknown[] = [];
    for (let i = from; i < b.count; i++) {
      const { tree } = ref.detail(b, i, i + 1);
      const tcp = tree!.roots.find((n) => n.name === "tcp");
      seqs.push(tcp?.children?.find((c) => c.name === "tcp.seq")?.value);
    }
    const pctx = new PacketContext();
    const got: unknown[] = [];
    const raw: unknown[] = [];
    const lines: string[] = [];
    for (let i = from; i < b.count; i++) {
      const pkt = Packet.fromBatch(b, i, i + 1, pctx);
      lines.push(pkt.summary()); // summary pass first
      got.push(pkt.get("tcp.seq")); // then the detail pass of the same packet (Wireshark's relative number)
      raw.push(pkt.get("tcp.seq_raw"));
    }
    expect(got).toEqual(seqs);
    // The first segment of a connection keeps its absolute number on the line in both passes (tcpdump's rule).
    const first = lines.findIndex((l) => / seq \d+/.test(l));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(Number(/ seq (\d+)/.exec(lines[first])![1])).toBe(raw[first]);
    expect(raw[first]).toBeGreaterThan(1000);
  });

  it("the CLI prints the same lines with a plugin that reads fields of every packet", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-shared-"));
    const script = path.join(dir, "reader.mjs");
    fs.writeFileSync(script, `export function onPacket(pkt) { pkt.tcp?.dstport; pkt.ip?.src; pkt.layers; }\n`);
    try {
      for (const file of FIXTURES) {
        for (const mode of [[], ["-v"], ["-T", "json"]]) {
          const a = tsniff(["-nn", ...mode, "-r", file]);
          const c = tsniff(["-nn", ...mode, "--script", script, "-r", file]);
          expect(a.status).toBe(0);
          expect(c.status, c.stderr.toString()).toBe(0);
          expect(c.stdout.toString(), `${path.basename(file)} ${mode.join(" ")}`).toBe(a.stdout.toString());
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
