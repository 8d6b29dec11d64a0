/**
 * The kernel's capture buffer with process options: 8 MiB unless -B says otherwise (libpcap's default, 2 MiB,
 * lasts ~200 ms of a flood of small packets, less than the reorder window's first pass and a /proc read can
 * pause the read loop on a loaded machine: docs/PROCESS.md). Read from the kernel: the packet socket's
 * receive ring as `ss -0 -e` shows it (packet_diag), blocks times block size.
 */
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { procSkipReason, ProcNs } from "./helpers.js";

const skip = procSkipReason();
if (skip) console.log(`test/proc/buffer: skipped: ${skip}`);
let ns: ProcNs | undefined;
afterAll(() => ns?.destroy());

/** The receive ring's size in bytes of the packet socket process `pid` has, or undefined (ss cannot say). */
function ringOf(nsName: string, pid: number): number | undefined {
  const out = spawnSync("ip", ["netns", "exec", nsName, "ss", "-0", "-p", "-e"], { encoding: "utf8" }).stdout ?? "";
  // a socket's first line names its process; the lines after it (indented) describe it
  const blocks = out.split(/\n(?=\S)/);
  const mine = blocks.find((b) => b.includes(`pid=${pid},`));
  const m = mine && /ring_rx\(blk_size:(\d+),blk_nr:(\d+)/.exec(mine);
  return m ? Number(m[1]) * Number(m[2]) : undefined;
}

describe.skipIf(!!skip)("the capture buffer with process options", () => {
  it("is 8 MiB with --proc, libpcap's without it, and -B's when given", async () => {
    ns = new ProcNs("buf");
    const sizes: (number | undefined)[] = [];
    for (const args of [["--proc", "--proc-engine", "proc"], [], ["--proc", "--proc-engine", "proc", "-B", "4096"]]) {
      const { p, done } = await ns.tsniff(["-i", "lo", ...args, "-w", "/dev/null"]);
      sizes.push(ringOf(ns.name, p.pid!));
      p.kill("SIGINT");
      expect((await done).code).toBe(0);
    }
    if (sizes.every((s) => s === undefined)) {
      console.log("test/proc/buffer: ss shows no packet socket's ring here (no packet_diag): not checked");
      return;
    }
    expect(sizes[0]).toBe(8 << 20);
    expect(sizes[1]).toBeLessThan(8 << 20);
    expect(sizes[2]).toBe(4 << 20);
  }, 120_000);
});
