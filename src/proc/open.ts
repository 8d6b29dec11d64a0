/**
 * Choosing the engine: eBPF when it loads, else /proc, and the one-line reason why the better one did not run.
 * `--proc-engine` forces one (a forced eBPF that cannot load is an error, not a fallback).
 */
import type { Engine, EngineName } from "./engine.js";
import { ProcEngine } from "./proc-engine.js";

export class ProcError extends Error {}

export interface OpenedEngine {
  engine: Engine;
  /** "" when the best engine runs; otherwise why not, in one line ("eBPF unavailable: no BTF; using /proc") */
  reason: string;
}

/** The eBPF engine's loader, or why it cannot be had; imported lazily so that nothing of it loads otherwise. */
async function tryEbpf(): Promise<Engine | string> {
  try {
    const m = (await import("./ebpf-engine.js" as string)) as { openEbpfEngine?: () => Engine | string };
    if (!m.openEbpfEngine) return "not built";
    return m.openEbpfEngine();
  } catch (e) {
    return `not built (${(e as Error).message.split("\n")[0]})`;
  }
}

export async function openEngine(pref: EngineName | undefined, refreshMs: number): Promise<OpenedEngine> {
  if (pref !== "proc") {
    const e = await tryEbpf();
    if (typeof e !== "string") return { engine: e, reason: "" };
    if (pref === "ebpf") throw new ProcError(`--proc-engine ebpf: eBPF unavailable: ${e}`);
    const p = new ProcEngine(refreshMs || 100);
    p.refresh();
    return { engine: p, reason: `eBPF unavailable: ${e}; using /proc` };
  }
  const p = new ProcEngine(refreshMs || 100);
  p.refresh();
  return { engine: p, reason: "forced by --proc-engine proc" };
}
