#!/usr/bin/env node
/**
 * The package's install script (package.json "install"). The package ships a prebuilt addon for linux-x64
 * (prebuilds/, made by scripts/prebuild.mjs when it is packed): when that loads here nothing is compiled.
 * Otherwise the addon is built with node-gyp; when that fails, one line says which Debian packages are
 * missing (the compiler's log goes to a file, named in that line) instead of node-gyp's stack.
 *
 * tsniff does not depend on this script having run: npm 11 runs a dependency's install script only when the
 * installing project allows it, and the loader (src/capture/native.ts) finds the prebuilt addon by itself.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const prebuilt = path.join(ROOT, "prebuilds", `${process.platform}-${process.arch}`, "tsniff_pcap.node");

let why = "";
if (fs.existsSync(prebuilt)) {
  try {
    require(prebuilt);
    process.exit(0); // the prebuilt addon works here: nothing to build
  } catch (e) {
    why = String(e?.message ?? e).split("\n")[0];
  }
}

/** Is a program on PATH? */
function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

// npm gives scripts the path of its own node-gyp; else the one on PATH
const gyp = process.env.npm_config_node_gyp;
const r = gyp && fs.existsSync(gyp)
  ? spawnSync(process.execPath, [gyp, "rebuild"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 })
  : spawnSync("node-gyp", ["rebuild"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20, shell: true });
if (r.status === 0) process.exit(0);

const missing = [];
const cc = process.env.CC ?? "cc";
const cxx = process.env.CXX ?? "g++";
if (!onPath(cc) || !onPath(cxx)) missing.push("g++");
if (!onPath("make")) missing.push("make");
if (!onPath("python3") && !process.env.npm_config_python && !process.env.PYTHON) missing.push("python3");
const header = ["/usr/include/pcap.h", "/usr/include/pcap/pcap.h", "/usr/local/include/pcap.h"].some((f) => fs.existsSync(f));
if (!header) missing.push("libpcap-dev");

const log = path.join(os.tmpdir(), `tsniff-build-${process.pid}.log`);
try {
  fs.writeFileSync(log, `${why ? `prebuilt addon: ${why}\n` : ""}${r.error ? `${r.error.message}\n` : ""}${r.stdout ?? ""}${r.stderr ?? ""}`);
} catch {
  /* the line below still says what is missing */
}
const prefix = why ? `the prebuilt addon does not load here (${why}) and ` : "";
process.stderr.write(
  missing.length
    ? `tsniff: ${prefix}cannot build the libpcap addon: missing ${missing.join(", ")}; install: apt-get install ${missing.join(" ")} (log: ${log})\n`
    : `tsniff: ${prefix}cannot build the libpcap addon with node-gyp (log: ${log})\n`,
);
process.exit(1);
