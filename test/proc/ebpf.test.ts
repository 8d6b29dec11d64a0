/**
 * The eBPF engine (the default where it loads): the scenario of the /proc engine's test, and what only eBPF
 * can do: dig, which lives a few milliseconds, has each of its packets attributed to its pid, from its first
 * one. When eBPF cannot load (a bad object, no BTF) the capture falls back to /proc with a one-line reason.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { has, ROOT } from "../helpers/run.js";
import { procSkipReason, ProcNs, rows, sleep } from "./helpers.js";
import { DNS_PORT, expectLongLivedRight, runScenario } from "./scenario.js";

const built = fs.existsSync(path.join(ROOT, "build", "Release", "tsniff_bpf.node")) && fs.existsSync(path.join(ROOT, "build", "bpf", "proc.bpf.o"));
const skip = procSkipReason() ?? (fs.existsSync("/sys/kernel/btf/vmlinux") ? undefined : "no kernel BTF") ?? (built ? undefined : "eBPF part not built (node scripts/build-bpf.mjs)");
if (skip) console.log(`test/proc/ebpf: skipped: ${skip}`);
const made: ProcNs[] = [];
const ns = (tag: string) => {
  const n = new ProcNs(tag);
  made.push(n);
  return n;
};
afterAll(() => made.forEach((n) => n.destroy()));

describe.skipIf(!!skip)("eBPF engine", () => {
  it("attributes long-lived flows, and a short-lived dig from its first packet", async () => {
    const s = await runScenario(ns("e"), ["--proc-engine", "ebpf"]);
    expectLongLivedRight(s);
    expect(s.stderr).toContain("process attribution: eBPF engine\n");
    if (has("dnsmasq") && has("dig")) {
      const q = s.pkts.filter((k) => k.dport === DNS_PORT);
      const a = s.pkts.filter((k) => k.sport === DNS_PORT);
      expect(q.length).toBeGreaterThan(0);
      expect(a.length).toBeGreaterThan(0);
      for (const k of q) expect(k).toEqual({ ...k, pid: s.pids.dig, comm: "dig" });
      for (const k of a) expect(k.pid).toBe(s.pids.dnsmasq);
    }
  });

  it("falls back to /proc with a one-line reason when the object does not load", async () => {
    const n = ns("f");
    const t = await n.tsniff(["-i", "lo", "--proc"], { TSNIFF_BPF_OBJ: path.join(ROOT, "package.json") });
    await sleep(500);
    t.p.kill("SIGINT");
    const r = await t.done;
    const lines = r.stderr.split("\n");
    const reason = lines.filter((l) => l.startsWith("tsniff: eBPF unavailable"));
    expect(reason).toHaveLength(1);
    expect(reason[0]).toMatch(/^tsniff: eBPF unavailable: cannot open the eBPF object: .+; using \/proc$/);
    expect(r.stderr).not.toMatch(/libbpf:/);
    expect(r.stderr).toContain("process attribution: /proc engine (eBPF unavailable: ");
  });

  it("says 'no BTF' when the kernel has none", async () => {
    const n = ns("g");
    const t = await n.tsniff(["-i", "lo", "--proc", "-T", "fields", "-e", "proc.pid"], { TSNIFF_BTF: "/nonexistent/vmlinux" });
    await sleep(500);
    t.p.kill("SIGINT");
    const r = await t.done;
    expect(r.stderr).toContain("tsniff: eBPF unavailable: no BTF (/nonexistent/vmlinux is missing); using /proc\n");
    expect(rows(r.stdout)).toEqual([]);
  });
});
