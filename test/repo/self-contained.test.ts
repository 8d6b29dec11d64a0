/**
 * The repository is self-contained (issue 12): a fresh clone with nothing beside it finds every file its tests
 * read. No tracked file outside fixtures/ names a machine path or a directory beside the checkout, and the
 * tcpdump corpus the tests use is in the repository.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, ROOT } from "../helpers/paths.js";

// Built from pieces so that this file does not match itself.
const FORBIDDEN = ["/" + "work/", ".." + "/shared", "/" + "tmp/tsniff"];
const SKIP_DIRS = new Set([".git", "node_modules", "dist", "build", "fixtures"]);

/** The tracked files (git ls-files), or, outside a git checkout, every file but the build outputs. */
function trackedFiles(): string[] {
  const r = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status === 0 && r.stdout.length > 0) return r.stdout.split("\0").filter(Boolean);
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(p)) walk(p);
      } else if (e.isFile()) out.push(p);
    }
  };
  walk("");
  return out;
}

describe("a fresh clone passes its own tests", () => {
  it("no tracked file outside fixtures/ names a machine path or a directory beside the checkout", () => {
    const files = trackedFiles().filter((f) => !f.startsWith("fixtures/"));
    expect(files).toContain("package.json");
    const hits: string[] = [];
    for (const f of files) {
      const p = path.join(ROOT, f);
      if (!fs.existsSync(p) || !fs.statSync(p).isFile()) continue; // deleted in the work tree, not yet committed
      const text = fs.readFileSync(p, "latin1");
      text.split("\n").forEach((line, i) => {
        for (const word of FORBIDDEN) if (line.includes(word)) hits.push(`${f}:${i + 1}: ${word}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it("the tcpdump corpus is in the repository, with its licence", () => {
    expect(path.relative(ROOT, CORPUS).split(path.sep).join("/")).toBe("fixtures/corpus/tcpdump");
    const captures = fs.readdirSync(CORPUS).filter((f) => /\.pcap(ng)?$/.test(f));
    expect(captures.length).toBe(830);
    expect(fs.readFileSync(path.join(CORPUS, "LICENSE"), "utf8")).toMatch(/Redistribution and use/);
  });

  it("the recorded tshark answers name corpus files by repository-relative paths that exist", () => {
    const golden = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "output", "golden", "tshark.json"), "utf8")) as Record<string, string>;
    const files = new Set<string>();
    for (const key of Object.keys(golden)) {
      const args = key.split("\u0000");
      const r = args.indexOf("-r");
      expect(r, key).toBeGreaterThanOrEqual(0);
      files.add(args[r + 1]);
    }
    expect(files.size).toBeGreaterThan(0);
    for (const f of files) {
      expect(path.isAbsolute(f), f).toBe(false);
      expect(fs.existsSync(path.join(ROOT, f)), f).toBe(true);
    }
  });
});
