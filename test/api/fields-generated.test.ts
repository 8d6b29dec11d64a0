/**
 * The generated field types (scripts/gen-field-types.mjs -> src/api/fields.generated.ts): up to date with the
 * dissector registry, and they make Packet.get() typed: test/api/types/fields.ts compiles with tsc --strict and
 * its `@ts-expect-error` lines (a misspelled field, a wrong value type, an unknown layer) are errors.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT } from "../helpers/run.js";
import { allFields } from "../../src/dissectors/registry.js";
import "../../src/dissectors/index.js";
import "../../src/output/frame.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-fields-tsc-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("src/api/fields.generated.ts is what the registry gives (run node scripts/gen-field-types.mjs)", () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "gen-field-types.mjs"), "--check"], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  // and it names every registered field
  const text = fs.readFileSync(path.join(ROOT, "src", "api", "fields.generated.ts"), "utf8");
  for (const f of allFields()) expect(text).toContain(`  ${JSON.stringify(f.name)}: `);
});

it("get() is typed by FieldName: a misspelled field fails to compile", () => {
  // One tsc run over the file as committed and a copy without its @ts-expect-error lines: the first is clean,
  // the copy fails on exactly those lines.
  const typed = path.join(ROOT, "test", "api", "types", "fields.ts");
  const bare = path.join(ROOT, "test", "api", "types", `.bare-${process.pid}.ts`);
  fs.writeFileSync(bare, fs.readFileSync(typed, "utf8").replace(/\/\/ @ts-expect-error.*\n/g, ""));
  try {
    const config = path.join(dir, "tsconfig.json");
    fs.writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [path.join(ROOT, "node_modules", "@types")] },
        files: [typed, bare],
      }),
    );
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", config], { encoding: "utf8", timeout: 240_000 });
    const errors = r.stdout.split("\n").filter((l) => /error TS\d+/.test(l));
    expect(errors.filter((l) => !l.includes(".bare-")), r.stdout).toEqual([]);
    expect(errors, r.stdout).toHaveLength(4);
    expect(r.stdout).toMatch(/"dns\.qry\.nmae"/);
  } finally {
    fs.rmSync(bare, { force: true });
  }
}, 240_000);
