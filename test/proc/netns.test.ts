/**
 * Two network namespaces using the same addresses and ports at the same time (as two containers do: each
 * has its own 127.0.0.1): the scenario of scenario.ts runs in both at once, a tsniff in each, and every
 * packet must carry the pid of its own namespace's process, never the other namespace's twin. Both engines.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/run.js";
import { procSkipReason, ProcNs } from "./helpers.js";
import { expectLongLivedRight, runScenario, type Scenario } from "./scenario.js";

const built = fs.existsSync(path.join(ROOT, "build", "Release", "tsniff_bpf.node")) && fs.existsSync(path.join(ROOT, "build", "bpf", "proc.bpf.o")) && fs.existsSync("/sys/kernel/btf/vmlinux");
const skip = procSkipReason();
if (skip) console.log(`test/proc/netns: skipped: ${skip}`);
const made: ProcNs[] = [];
const ns = (tag: string) => {
  const n = new ProcNs(tag);
  made.push(n);
  return n;
};
afterAll(() => made.forEach((n) => n.destroy()));

/** Every attributed packet's pid is one of the scenario's own programs (never the twin namespace's). */
function ownPidsOnly(s: Scenario, other: Scenario): void {
  const own = new Set(Object.values(s.pids).filter((p) => p !== undefined));
  const theirs = new Set(Object.values(other.pids).filter((p) => p !== undefined));
  for (const k of s.pkts) {
    if (k.pid === undefined) continue;
    expect(theirs.has(k.pid), `packet ${JSON.stringify(k)} got the other namespace's pid`).toBe(false);
    expect(own.has(k.pid), `packet ${JSON.stringify(k)}: pid of none of this namespace's programs`).toBe(true);
  }
}

describe.skipIf(!!skip)("two namespaces with the same addresses and ports at once", () => {
  it.skipIf(!built)("eBPF engine: each packet goes to its own namespace's process", async () => {
    const [a, b] = await Promise.all([runScenario(ns("twin-ea"), ["--proc-engine", "ebpf"]), runScenario(ns("twin-eb"), ["--proc-engine", "ebpf"])]);
    expectLongLivedRight(a);
    expectLongLivedRight(b);
    ownPidsOnly(a, b);
    ownPidsOnly(b, a);
  });

  it("/proc engine: each packet goes to its own namespace's process", async () => {
    const [a, b] = await Promise.all([runScenario(ns("twin-pa"), ["--proc-engine", "proc"]), runScenario(ns("twin-pb"), ["--proc-engine", "proc"])]);
    expectLongLivedRight(a, { firstMayMiss: true });
    expectLongLivedRight(b, { firstMayMiss: true });
    ownPidsOnly(a, b);
    ownPidsOnly(b, a);
  });
});
