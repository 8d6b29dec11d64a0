/**
 * The addon under AddressSanitizer (issue #11): scripts/asan.mjs builds native/tsniff_pcap.c with
 * -fsanitize=address into build-asan/ (cached), and each test runs one of its workloads, tsniff's file and live
 * paths, with libasan preloaded into node. Any ASan/LSan report, crash or workload that did not do its job fails.
 * A canary module with a deliberate overflow, leak and signed overflow shows that reports are seen at all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-ignore: a plain ES module script, shared with `npm run asan`
import * as asan from "../../scripts/asan.mjs";

type Result = { stderr: string; code: number | null; signal: string | null; problem: string | null; note?: string };
type Net = { destroy(): void };

function available(): string | null {
  if (spawnSync("gcc", ["--version"]).status !== 0) return "no gcc";
  try {
    asan.libasanPath();
    asan.nodeIncludeDir();
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}
const missing = available();
const d = missing ? describe.skip : describe;
if (missing) console.warn(`asan tests skipped: ${missing}`);

function expectClean(r: Result): void {
  const v = asan.verdict(r);
  if (!v.ok) expect.fail(v.why);
  expect(asan.findReports(r.stderr)).toEqual([]);
}

d("the addon under AddressSanitizer", () => {
  let dir: string;
  beforeAll(() => {
    asan.buildAsan();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-asan-test-"));
  }, 120_000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the job sees an addon's heap overflow, leak and undefined behaviour, and passes a clean run", () => {
    const mod = asan.compileAsan(path.join(asan.ROOT, "test", "native", "asan-canary.c"), path.join(dir, "canary.node"));
    const call = (fn: string): Result => {
      const r = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(mod)}).${fn}()`], { env: asan.asanEnv(), encoding: "utf8" });
      return { stderr: r.stderr, code: r.status, signal: r.signal, problem: null };
    };
    const over = call("overflow");
    expect(over.code).toBe(asan.ASAN_EXIT);
    expect(asan.verdict(over).ok).toBe(false);
    expect(asan.verdict(over).why).toMatch(/heap-buffer-overflow/);
    expect(over.stderr).toMatch(/overflow .*asan-canary\.c:14/);
    const leak = call("leak");
    expect(leak.code).toBe(asan.ASAN_EXIT);
    expect(asan.addonLeaks(leak.stderr)).toHaveLength(1);
    expect(asan.verdict(leak).why).toMatch(/Direct leak of 77 byte/);
    const ub = call("ub");
    expect(ub.code).toBe(asan.ASAN_EXIT);
    expect(asan.verdict(ub).why).toMatch(/asan-canary\.c:\d+:\d+: runtime error: signed integer overflow/);
    const fine = call("fine");
    expect(fine.code).toBe(0);
    expect(asan.verdict(fine).ok).toBe(true);
  }, 60_000);

  for (const w of asan.fileWorkloads as { name: string; run(o: object): Promise<Result> }[]) {
    it(w.name, async () => expectClean(await w.run({ quick: true })), 300_000);
  }

  const live = asan.canUseNetns() ? describe : describe.skip;
  live("live", () => {
    let net: Net;
    beforeAll(() => {
      net = asan.makeNet();
    });
    afterEach(() => asan.killStarted());
    afterAll(() => net?.destroy());
    for (const w of asan.liveWorkloads as { name: string; run(n: Net, o: object): Promise<Result> }[]) {
      it(w.name, async () => expectClean(await w.run(net, { quick: true })), 120_000);
    }
  });
});
