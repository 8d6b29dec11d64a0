#!/usr/bin/env node
// Compares tsniff's one-line output with `tcpdump -nn -t -r` for capture files (default: the corpus in fixtures/corpus/tcpdump)
// and reports the share of equal lines, plus a sample of differences. A development aid, not a test:
//   node scripts/compare-tcpdump.mjs [-v] [-e] [--show N] [--grep WORD] [files...]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileSource } from "../dist/capture/file-source.js";
import { Dissector } from "../dist/dissectors/index.js";
import { termSafe } from "../dist/output/escape.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const verbose = args.filter((a) => a === "-v").length;
const linkHeader = args.includes("-e");
const showN = Number(args[args.indexOf("--show") + 1] ?? 0) || (args.includes("--show") ? 20 : 0);
const grep = args.includes("--grep") ? args[args.indexOf("--grep") + 1] : null;
let files = args.filter((a, i) => !a.startsWith("-") && !["--show", "--grep"].includes(args[i - 1]));
if (files.length === 0) {
  const dir = path.join(root, "fixtures", "corpus", "tcpdump");
  files = fs.readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(dir, f));
}
let total = 0, same = 0;
const diffs = [];
for (const f of files) {
  const td = spawnSync("tcpdump", ["-nn", "-t", ...(verbose ? ["-" + "v".repeat(verbose)] : []), ...(linkHeader ? ["-e"] : []), "-r", f], { maxBuffer: 1 << 28 });
  let theirs = td.stdout.toString().split("\n");
  if (theirs[theirs.length - 1] === "") theirs.pop();
  const ours = [];
  let src;
  try { src = await FileSource.open(f); } catch { continue; }
  const dis = new Dissector({ verbose, linkHeader });
  let frame = 0;
  // -v: one entry per packet (its continuation lines included), as tcpdump's lines are joined below.
  await src.run((b) => { for (let i = 0; i < b.count; i++) { const t = termSafe(dis.summary(b, i, ++frame).info); if (verbose) ours.push(t); else ours.push(...t.split("\n")); } return Infinity; });
  // -v output spans lines; compare whole text per packet by joining tcpdump's continuation lines.
  if (verbose) {
    const joined = [];
    for (const l of theirs) { if (/^(\t| {2})/.test(l) && joined.length) joined[joined.length - 1] += "\n" + l; else joined.push(l); }
    theirs = joined;
  }
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = ours[i] ?? "<none>", b = theirs[i] ?? "<none>";
    if (grep && !b.includes(grep) && !a.includes(grep)) continue;
    total++;
    if (a === b) same++;
    else diffs.push({ f: path.basename(f), i: i + 1, a, b });
  }
}
console.log(`${same}/${total} lines equal (${((100 * same) / Math.max(total, 1)).toFixed(1)}%) over ${files.length} files`);
const byFile = new Map();
for (const d of diffs) byFile.set(d.f, (byFile.get(d.f) ?? 0) + 1);
console.log("most differing files:", [...byFile].sort((x, y) => y[1] - x[1]).slice(0, 15).map(([f, n]) => `${f}:${n}`).join(" "));
for (const d of diffs.slice(0, showN)) console.log(`--- ${d.f} #${d.i}\n ours: ${d.a}\ntheirs: ${d.b}`);
