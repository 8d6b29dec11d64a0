/**
 * A summary-only Dissector (DissectOptions.summaryOnly: the CLI's when it prints lines only) keeps no udp.stream
 * table (issue #19: memory): its lines are the ones an ordinary Dissector writes, over captures with UDP, TCP
 * and QUIC, and it refuses a detail pass rather than number streams wrongly. The CLI's lines stay tcpdump's.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector } from "../../src/dissectors/index.js";
import { FIXTURES } from "../helpers/paths.js";
import { has, tsniff } from "../helpers/run.js";

async function lines(file: string, dis: Dissector): Promise<string[]> {
  const out: string[] = [];
  let frame = 0;
  const s = await FileSource.open(file);
  await s.run((b) => {
    for (let i = 0; i < b.count; i++) out.push(dis.summary(b, i, ++frame).info);
    return Infinity;
  });
  return out;
}

const FILES = ["dns/dns-udp.pcap", "dns/mdns-llmnr.pcap", "dns/dns-tcp.pcap", "quic/quic.pcap", "http/http.pcap"].map((f) => path.join(FIXTURES, f));

describe("summary-only dissector", () => {
  it("writes the same lines as an ordinary one", async () => {
    for (const f of FILES) {
      const a = await lines(f, new Dissector());
      const b = await lines(f, new Dissector({ summaryOnly: true }));
      expect(a.length, f).toBeGreaterThan(0);
      expect(b, f).toEqual(a);
    }
  }, 120_000);

  it("refuses a detail pass", async () => {
    const dis = new Dissector({ summaryOnly: true });
    const s = await FileSource.open(FILES[0]);
    let threw = "";
    await s.run((b) => {
      try {
        dis.detail(b, 0, 1);
      } catch (e) {
        threw = (e as Error).message;
      }
      return Infinity;
    });
    expect(threw).toMatch(/summary-only/);
  }, 60_000);

  it.skipIf(!has("tcpdump"))("the CLI's -nn lines (summary-only) equal tcpdump's on UDP and TCP captures", () => {
    for (const f of FILES.slice(0, 3)) {
      const ours = tsniff(["-nn", "-r", f]).stdout.toString();
      const theirs = execFileSync("tcpdump", ["-nn", "-r", f], { env: { ...process.env, TZ: "UTC" }, stdio: ["ignore", "pipe", "ignore"] }).toString();
      expect(ours, f).toBe(theirs);
    }
  }, 120_000);
});
