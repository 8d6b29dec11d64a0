/** tshark's `-T fields` output of a capture file as rows, and counts by a field (capture and remote tests). */
import { sh } from "./run.js";

/** tshark's fields, one array per packet (throws with tshark's message when it fails). */
export function fieldRows(file: string, ...names: string[]): string[][] {
  const r = sh("tshark", ["-r", file, "-T", "fields", ...names.flatMap((n) => ["-e", n])]);
  if (r.status !== 0) throw new Error(`tshark -r ${file} failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout
    .toString()
    .split("\n")
    .filter((l) => l.length)
    .map((l) => l.split("\t"));
}

/** How many packets of each value of the first field. */
export function tally(rows: string[][]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const r of rows) t[r[0]] = (t[r[0]] ?? 0) + 1;
  return t;
}
