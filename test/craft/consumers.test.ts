/**
 * The builder as a CommonJS and as an ES module consumer get it (dist/cjs/index.cjs, dist/index.js): the same
 * bytes as the library in-process, and the same packet read back. (The typed use is examples/craft-probe.ts,
 * type-checked by test/examples/typecheck.test.ts.)
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { DNS, Ether, IP, TCP, UDP } from "../../src/index.js";
import { ROOT } from "../helpers/run.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-craft-consumers-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const BODY = `
const a = t.Ether({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }).over(t.IP({ src: "10.3.0.1", dst: "10.3.0.2" })).over(t.UDP({ sport: 5353 })).over(t.DNS({ id: 5, qd: [{ name: "c.test", type: "AAAA" }] }));
const b = t.stack(t.Ether({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }), t.IP({ src: "10.3.0.1", dst: "10.3.0.2" }), t.TCP({ dport: 443, options: [["MSS", 1200]] }));
console.log(JSON.stringify([Buffer.from(a.bytes()).toString("hex"), a.dissect().get("dns.qry.name"), Buffer.from(b.bytes()).toString("hex"), b.dissect().get("tcp.options.mss_val")]));
let err = "";
try { t.UDP({ sport: -1 }).bytes(); } catch (e) { err = e instanceof t.CraftError ? e.message : "not a CraftError"; }
console.log(err);
`;

it("CommonJS require() and ESM import build the same bytes as the library", () => {
  const cjs = path.join(dir, "consumer.cjs");
  fs.writeFileSync(cjs, `const t = require(${JSON.stringify(path.join(ROOT, "dist", "cjs", "index.cjs"))});\n${BODY}`);
  const esm = path.join(dir, "consumer.mjs");
  fs.writeFileSync(esm, `const t = await import(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});\n${BODY}`);
  const a = Ether({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }).over(IP({ src: "10.3.0.1", dst: "10.3.0.2" })).over(UDP({ sport: 5353 })).over(DNS({ id: 5, qd: [{ name: "c.test", type: "AAAA" }] }));
  const b = Ether({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }).over(IP({ src: "10.3.0.1", dst: "10.3.0.2" })).over(TCP({ dport: 443, options: [["MSS", 1200]] }));
  const want = JSON.stringify([a.bytes().toString("hex"), "c.test", b.bytes().toString("hex"), 1200]);
  for (const f of [cjs, esm]) {
    const r = spawnSync(process.execPath, [f], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr, f).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual([want, "UDP sport -1 is out of range (0-65535)"]);
  }
});
