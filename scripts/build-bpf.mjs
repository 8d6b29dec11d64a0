#!/usr/bin/env node
/**
 * Builds the eBPF part of process attribution (docs/PROCESS.md), where it can be built; never fails the
 * build: without clang, bpftool, libbpf's headers or kernel BTF it says why in one line and tsniff uses its
 * /proc engine.
 *   build/bpf/vmlinux.h      bpftool btf dump file /sys/kernel/btf/vmlinux format c (this kernel's types; CO-RE)
 *   build/bpf/proc.bpf.o     clang -target bpf -g -O2 native/bpf/proc.bpf.c
 *   build/Release/tsniff_bpf.node   the loader addon (native/tsniff_bpf.c, -lbpf -lelf)
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "build", "bpf");
const ADDON = path.join(ROOT, "build", "Release", "tsniff_bpf.node");
const BTF = "/sys/kernel/btf/vmlinux";

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}
function skip(why) {
  console.log(`tsniff: eBPF process attribution not built: ${why}; the /proc engine is used instead`);
  process.exit(0);
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0) skip(`${cmd} failed: ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" | ")}`);
  return r;
}
function nodeHeaders() {
  const v = process.version.slice(1);
  const dirs = [
    path.join(os.homedir(), ".cache", "node-gyp", v, "include", "node"),
    path.join(path.dirname(process.execPath), "..", "include", "node"),
    "/usr/include/node",
  ];
  return dirs.find((d) => fs.existsSync(path.join(d, "node_api.h")));
}

const missing = ["clang", "bpftool", "cc"].filter((c) => !has(c));
if (missing.length) skip(`missing ${missing.join(", ")} (Debian: apt-get install clang bpftool libbpf-dev libelf-dev)`);
if (!fs.existsSync("/usr/include/bpf/libbpf.h")) skip("libbpf's headers are missing (Debian: apt-get install libbpf-dev libelf-dev)");
if (!fs.existsSync(BTF)) skip(`no kernel BTF (${BTF})`);
const headers = nodeHeaders();
if (!headers) skip("Node's headers (node_api.h) are missing (npx node-gyp install fetches them)");

fs.mkdirSync(OUT, { recursive: true });
fs.mkdirSync(path.dirname(ADDON), { recursive: true });
const vmlinux = run("bpftool", ["btf", "dump", "file", BTF, "format", "c"]);
fs.writeFileSync(path.join(OUT, "vmlinux.h"), vmlinux.stdout);
const arch = { x64: "x86", arm64: "arm64", arm: "arm", s390x: "s390", ppc64: "powerpc", riscv64: "riscv" }[process.arch] ?? process.arch;
run("clang", ["-target", "bpf", "-g", "-O2", `-D__TARGET_ARCH_${arch}`, "-I", OUT, "-c", path.join(ROOT, "native", "bpf", "proc.bpf.c"), "-o", path.join(OUT, "proc.bpf.o")]);
run("cc", ["-O2", "-Wall", "-Wno-unused-parameter", "-shared", "-fPIC", "-I", headers, "-DNODE_GYP_MODULE_NAME=tsniff_bpf", path.join(ROOT, "native", "tsniff_bpf.c"), "-lbpf", "-lelf", "-o", ADDON]);
console.log("tsniff: eBPF process attribution built (build/bpf/proc.bpf.o, build/Release/tsniff_bpf.node)");
