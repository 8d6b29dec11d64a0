/**
 * examples/ are documentation: each one type-checks with tsc --strict (module nodenext, "tsniff" resolved to
 * this package's own types, dist/index.d.ts, by its name) as a user's plugin would. examples.test.ts runs them.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT } from "../helpers/run.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-examples-tsc-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("every example passes tsc --strict", () => {
  const examples = fs.readdirSync(path.join(ROOT, "examples")).filter((f) => /\.m?ts$/.test(f));
  expect(examples.length).toBeGreaterThan(0);
  const config = path.join(dir, "tsconfig.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: ["node"], typeRoots: [path.join(ROOT, "node_modules", "@types")] },
      files: examples.map((f) => path.join(ROOT, "examples", f)),
    }),
  );
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", config], { encoding: "utf8", timeout: 120_000 });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
}, 120_000);
