/**
 * Test-only: tshark's answers, recorded. tshark takes most of a second to start, so its output for each
 * argument list is kept in golden/tshark.json (committed with the tests) and tshark is run only for argument
 * lists not recorded yet, or for all of them with TSNIFF_REGEN_GOLDEN=1. Without tshark and without a
 * recording, the answer is null and the caller skips. Paths inside the repository are recorded relative to its
 * root (fixtures/corpus/tcpdump/x.pcap), so the recording holds in any clone.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { repoRelative } from "../helpers/paths.js";

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden", "tshark.json");
const regen = process.env.TSNIFF_REGEN_GOLDEN === "1";
let cache: Record<string, string> | null = null;
let dirty = false;
let have: boolean | null = null;

function load(): Record<string, string> {
  if (!cache) cache = !regen && fs.existsSync(FILE) ? (JSON.parse(fs.readFileSync(FILE, "utf8")) as Record<string, string>) : {};
  return cache;
}

export function tsharkAvailable(): boolean {
  if (have === null) have = spawnSync("tshark", ["--version"], { encoding: "utf8" }).status === 0;
  return have;
}

/** tshark's stdout for these arguments, or null when it is neither recorded nor runnable. */
export function tshark(args: string[]): string | null {
  const c = load();
  const key = args.map(repoRelative).join("\u0000");
  if (key in c) return c[key];
  if (!tsharkAvailable()) return null;
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(" ")}: ${r.stderr}`);
  c[key] = r.stdout;
  dirty = true;
  return r.stdout;
}

/** Writes new answers back (call from afterAll). */
export function saveTshark(): void {
  if (!dirty || !cache) return;
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(cache).sort()) sorted[k] = cache[k];
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  fs.writeFileSync(FILE, JSON.stringify(sorted, null, 0).replace(/","/g, '",\n"') + "\n");
  dirty = false;
}

/**
 * tshark's `-T fields` lines for a file, live (not recorded: the corpus comparisons run tshark as the oracle each
 * time), split into cells; null when tshark fails. Asynchronous, so that several files' runs can overlap.
 */
export function tsharkCells(file: string, fields: readonly string[]): Promise<string[][] | null> {
  const args = ["-r", file, "-T", "fields", "-E", "separator=/t"];
  for (const n of fields) args.push("-e", n);
  return new Promise((resolve) => {
    const p = spawn("tshark", args, { stdio: ["ignore", "pipe", "ignore"] });
    const out: Buffer[] = [];
    p.stdout.on("data", (c: Buffer) => out.push(c));
    p.on("error", () => resolve(null));
    p.on("close", (code) => resolve(code === 0 ? Buffer.concat(out).toString("utf8").split("\n").filter((l) => l !== "").map((l) => l.split("\t")) : null));
  });
}
