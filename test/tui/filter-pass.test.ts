/**
 * The TUI's display filter pass shows the frames tshark -Y shows, frame fields included: the pass sees every
 * packet in order with one frame builder, so frame.time_delta is from the packet before (not from the first).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { has, ROOT } from "../helpers/run.js";

const fx = (p: string) => path.join(ROOT, "fixtures", p);

async function shown(file: string, filter: string): Promise<number[]> {
  const index = new PacketIndex();
  await indexFile(await FileSource.open(file), index);
  const m = new Model(new CaptureRows(index, new PacketFile(file, index)));
  m.indexDone();
  m.moveTo(0, false);
  expect(m.applyFilter(filter)).toBe("");
  const end = Date.now() + 20_000;
  while (m.filterProgress >= 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  const out: number[] = [];
  for (let r = 0; r < m.shownCount(); r++) out.push(m.packetAt(r) + 1);
  m.dispose();
  return out;
}

function tshark(file: string, filter: string): number[] {
  return execFileSync("tshark", ["-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"], { stdio: ["ignore", "pipe", "ignore"] })
    .toString()
    .split("\n")
    .filter(Boolean)
    .map(Number);
}

describe.skipIf(!has("tshark"))("TUI display filter pass against tshark -Y", () => {
  for (const [file, filter] of [
    ["http/http.pcap", "frame.time_delta > 0.01"],
    ["http/http.pcap", "frame.time_delta < 0.0001 && tcp"],
    ["http/http.pcap", "frame.time_relative > 0.1"],
    ["dns/dns-udp.pcap", "frame.time_delta > 0.001"],
    ["dns/dns-udp.pcap", "dns.qry.type == 28"],
  ]) {
    it(`${file}: ${filter}`, async () => {
      const want = tshark(fx(file), filter);
      expect(want.length).toBeGreaterThan(0);
      expect(await shown(fx(file), filter)).toEqual(want);
    });
  }
});
