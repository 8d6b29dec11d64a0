#!/usr/bin/env node
/**
 * Writes src/capture/dlt-names.ts: libpcap's names and descriptions of the link types (pcap_datalink_val_to_name
 * and _to_description for 0..511), asked of the built addon (npm run build:native first). The table lets
 * `tsniff -r FILE` without a filter print its "link-type EN10MB (Ethernet)" line without loading the addon
 * (issue #19: start-up); test/capture/dlt-names.test.ts checks it against the addon.
 *
 *   node scripts/gen-dlt-names.mjs
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const b = createRequire(import.meta.url)(path.join(ROOT, "build", "Release", "tsniff_pcap.node"));
const rows = [];
for (let d = 0; d < 512; d++) {
  const n = b.datalinkName(d);
  if (n) rows.push(`  [${d}, ${JSON.stringify(n)}, ${JSON.stringify(b.datalinkDescription(d) ?? "")}],`);
}
fs.writeFileSync(
  path.join(ROOT, "src", "capture", "dlt-names.ts"),
  `/**
 * libpcap's link type names and descriptions (made by scripts/gen-dlt-names.mjs from the addon; libpcap ${b.libVersion().replace(/^libpcap version /, "").split(" ")[0]}):
 * what tcpdump prints in "link-type EN10MB (Ethernet)", known without loading the addon.
 */
const TABLE: [number, string, string][] = [
${rows.join("\n")}
];
let byDlt: Map<number, [string, string]> | undefined;

/** [name, description ("" when libpcap has none)] of a link type, or undefined when libpcap has no name for it. */
export function dltName(dlt: number): [string, string] | undefined {
  if (!byDlt) byDlt = new Map(TABLE.map(([d, n, desc]) => [d, [n, desc]]));
  return byDlt.get(dlt);
}
`,
);
console.error(`src/capture/dlt-names.ts: ${rows.length} link types`);
