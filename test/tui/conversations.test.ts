/**
 * The conversations view's Ethernet, IPv4 and IPv6 tables and the endpoints of every table, against tshark
 * -z conv,... / -z endpoints,... on the same files; a row applied as the display filter shows the packets
 * tshark -Y shows for that filter.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { CaptureStats, CONV_TYPES, convCells, convFilter, endpointCells, endpointFilter, type ConvType } from "../../src/tui/stats.js";
import { has, ROOT } from "../helpers/run.js";

const TSHARK = has("tshark");
const FILES = ["http/http.pcap", "dns/dns-udp.pcap", "ipv6/exthdr.pcap", "dhcpv6/dhcpv6.pcap", "tls/tls.pcap", "arp/arp.pcap"].map((f) => path.join(ROOT, "fixtures", f));
const TITLES: Record<ConvType, string> = { eth: "Ethernet", ip: "IPv4", ipv6: "IPv6", tcp: "TCP", udp: "UDP" };

async function load(file: string): Promise<{ index: PacketIndex; pf: PacketFile }> {
  const index = new PacketIndex();
  await indexFile(await FileSource.open(file), index);
  return { index, pf: new PacketFile(file, index) };
}

async function statsOf(file: string): Promise<CaptureStats> {
  const { index, pf } = await load(file);
  const st = new CaptureStats();
  for (let i = 0; i < index.count; i++) st.visit(pf.readSeq(i), index.linktype[i], index.wirelen[i], index.tsSec[i], index.tsNsec[i], i);
  pf.close();
  return st;
}

function tsharkReport(file: string): string {
  const z = CONV_TYPES.flatMap((t) => ["-z", `conv,${t}`, "-z", `endpoints,${t}`]);
  return spawnSync("tshark", ["-q", "-n", "-r", file, ...z], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).stdout;
}

function section(out: string, title: string): string[] {
  const i = out.indexOf("\n" + title + "\n");
  if (i < 0) return [];
  const j = out.indexOf("\n====", i + 1);
  return out.slice(i, j < 0 ? undefined : j).split("\n");
}

describe.skipIf(!TSHARK)("conversations and endpoints against tshark", { timeout: 180_000 }, () => {
  it("every table of every file equals tshark -z conv,TYPE and -z endpoints,TYPE", async () => {
    let rows = 0;
    for (const f of FILES) {
      const st = await statsOf(f);
      const report = tsharkReport(f);
      for (const t of CONV_TYPES) {
        const conv = section(report, `${TITLES[t]} Conversations`)
          .filter((l) => l.includes("<->"))
          .map((l) => l.replace(/ bytes/g, "").replace("<->", "").trim().split(/\s+/));
        expect(st.table(t).map(convCells), `${path.basename(f)} conv,${t}`).toEqual(conv);
        const port = t === "tcp" || t === "udp";
        const ep = section(report, `${TITLES[t]} Endpoints`)
          .filter((l) => /^\S+\s+\d/.test(l))
          .map((l) => {
            const c = l.trim().split(/\s+/);
            return port ? [`${c[0]}:${c[1]}`, ...c.slice(2)] : c;
          });
        const key = (r: string[]) => r.join(" ");
        expect(st.endpoints(t).map(endpointCells).map(key).sort(), `${path.basename(f)} endpoints,${t}`).toEqual(ep.map(key).sort());
        rows += conv.length + ep.length;
      }
    }
    expect(rows).toBeGreaterThan(40);
  });

  it("a row applied as the display filter shows the packets tshark -Y shows for it", async () => {
    const f = FILES[0];
    const { index, pf } = await load(f);
    const m = new Model(new CaptureRows(index, pf));
    m.indexDone();
    const st = await statsOf(f);
    const filters = [convFilter(st.table("eth")[0]), convFilter(st.table("ip")[0]), convFilter(st.table("tcp")[1]), endpointFilter(st.endpoints("tcp")[2]), endpointFilter(st.endpoints("ip")[0])];
    expect(filters[2]).toBe("ip.addr == 10.202.0.1 && tcp.port == 46466 && ip.addr == 10.202.0.2 && tcp.port == 8080");
    for (const flt of filters) {
      expect(m.applyFilter(flt)).toBe("");
      for (let i = 0; i < 500 && m.filterProgress >= 0; i++) await new Promise((r) => setTimeout(r, 10));
      const want = spawnSync("tshark", ["-r", f, "-Y", flt, "-T", "fields", "-e", "frame.number"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).stdout.trim().split("\n").map(Number);
      expect(Array.from({ length: m.shownCount() }, (_, r) => m.packetAt(r) + 1), flt).toEqual(want);
    }
    pf.close();
  });
});
