/**
 * The tcpdump corpus dissected with a key log of random secrets (and TCP reassembly on, as --keylog makes it):
 * no dissector bug on any packet, whatever TLS-looking bytes the captures hold.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector } from "../../src/dissectors/index.js";
import { addKeyLogText, clearKeyLog } from "../../src/tls/keylog.js";
import { CORPUS } from "../helpers/paths.js";

afterAll(() => clearKeyLog());

it("the corpus with a random key log: no dissector bug", async () => {
  clearKeyLog();
  const labels = ["CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"];
  expect(addKeyLogText(labels.map((l) => `${l} ${randomBytes(32).toString("hex")} ${randomBytes(48).toString("hex")}`).join("\n"))).toBe(5);
  const files = fs.existsSync(CORPUS) ? fs.readdirSync(CORPUS).filter((f) => /\.(pcap|pcapng)$/.test(f)) : [];
  const bugs: string[] = [];
  let packets = 0;
  for (const f of files) {
    const dis = new Dissector({ reassembly: {} });
    let s: FileSource;
    try {
      s = await FileSource.open(path.join(CORPUS, f));
    } catch {
      continue;
    }
    let frame = 0;
    try {
      await s.run((b) => {
        for (let i = 0; i < b.count; i++) {
          const { ctx } = dis.detail(b, i, ++frame);
          packets++;
          if (ctx.bug) bugs.push(`${f} #${frame}: ${ctx.bug}`);
        }
        return Infinity;
      });
    } catch {
      // a damaged file ends where it is damaged
    }
  }
  expect(packets).toBeGreaterThan(0);
  expect(bugs).toEqual([]);
}, 300_000);
