#!/usr/bin/env node
/**
 * The prebuilt addon shipped in the package (run by `npm pack`/`npm publish` through "prepack"):
 * native/ and binding.gyp are compiled with node-gyp in a temporary directory (the working tree's build/ is
 * left alone) and the result is copied to prebuilds/<platform>-<arch>/tsniff_pcap.node, the layout
 * src/capture/native.ts and scripts/install.mjs look for. A Node-API addon: one build serves every Node
 * version. "postpack" removes prebuilds/ again (`--clean`), so a working tree never runs a stale one.
 * Never committed (.gitignore).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PREBUILDS = path.join(ROOT, "prebuilds");
if (process.argv.includes("--clean")) {
  fs.rmSync(PREBUILDS, { recursive: true, force: true });
  process.exit(0);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-prebuild-"));
try {
  fs.cpSync(path.join(ROOT, "binding.gyp"), path.join(tmp, "binding.gyp"));
  fs.cpSync(path.join(ROOT, "native"), path.join(tmp, "native"), { recursive: true });
  const gyp = process.env.npm_config_node_gyp;
  const r = gyp && fs.existsSync(gyp)
    ? spawnSync(process.execPath, [gyp, "rebuild"], { cwd: tmp, encoding: "utf8", maxBuffer: 64 << 20 })
    : spawnSync("node-gyp", ["rebuild"], { cwd: tmp, encoding: "utf8", maxBuffer: 64 << 20, shell: true });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ""}${r.stderr ?? ""}`);
    console.error("prebuild: node-gyp failed: the package would have no prebuilt addon");
    process.exit(1);
  }
  const dir = path.join(PREBUILDS, `${process.platform}-${process.arch}`);
  fs.rmSync(PREBUILDS, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, "tsniff_pcap.node");
  fs.copyFileSync(path.join(tmp, "build", "Release", "tsniff_pcap.node"), out);
  spawnSync("strip", ["--strip-unneeded", out], { stdio: "ignore" }); // smaller; harmless when strip is absent
  console.error(`prebuild: ${path.relative(ROOT, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KiB)`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
