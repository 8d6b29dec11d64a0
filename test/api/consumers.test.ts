/**
 * The library half of issue 14 from a CommonJS and an ES module consumer (dist/cjs/index.cjs, dist/index.js):
 * rdpcap, wrpcap, openWriter, kept packets, payload, prn's printed string: the same results both ways, and the
 * files they write read by tcpdump as the original.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT } from "../helpers/run.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-lib-consumers-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const FILE = path.join(ROOT, "fixtures", "http", "http.pcap");

const body = (out: string) => `
(async () => {
  const pk = await t.rdpcap(${JSON.stringify(FILE)});
  const kept = [];
  await t.sniff({ offline: ${JSON.stringify(FILE)}, store: false, prn: (p) => { kept.push(p); return p.frame === 4 ? "frame " + p.frame + " " + p.layer("tcp").payload.length + " " + p.get("http.request.method") : undefined; } });
  const n = await t.wrpcap(${JSON.stringify(out + ".pcap")}, kept);
  const w = t.openWriter(${JSON.stringify(out + ".pcapng")});
  for (const p of pk) w.write(p);
  w.close();
  console.log(JSON.stringify([pk.length, n, w.count, kept[40].borrowed, kept[3].tcp.srcport, Buffer.from(kept[3].payload).subarray(0, 8).toString()]));
})();
`;

it("CommonJS require() and ESM import: rdpcap, sniff keeping packets, wrpcap, openWriter", () => {
  const want = spawnSync("tcpdump", ["-nn", "-tt", "-r", FILE], { encoding: "utf8" }).stdout;
  expect(want.length).toBeGreaterThan(0);
  const outs: string[] = [];
  for (const kind of ["cjs", "mjs"]) {
    const out = path.join(dir, `out-${kind}`);
    const f = path.join(dir, `consumer.${kind}`);
    const head = kind === "cjs" ? `const t = require(${JSON.stringify(path.join(ROOT, "dist", "cjs", "index.cjs"))});` : `const t = await import(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});`;
    fs.writeFileSync(f, `${head}\n${body(out)}`);
    const r = spawnSync(process.execPath, [f], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr, f).toBe("");
    expect(r.status).toBe(0);
    outs.push(r.stdout);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["frame 4 105 GET", JSON.stringify([41, 41, 41, false, 50206, "GET / HT"])]);
    for (const ext of [".pcap", ".pcapng"]) expect(spawnSync("tcpdump", ["-nn", "-tt", "-r", out + ext], { encoding: "utf8" }).stdout).toBe(want);
  }
  expect(outs[0]).toBe(outs[1]);
});
