/**
 * Where the tests find their data: everything is relative to the repository root, computed from this file's
 * location, so a fresh clone with nothing beside it finds the same files (issue 12).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the directory holding package.json). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Test captures made by scripts in the repository. */
export const FIXTURES = path.join(ROOT, "fixtures");
/** tcpdump's test corpus (830 captures, BSD licence), copied into fixtures/corpus/tcpdump. */
export const CORPUS = path.join(FIXTURES, "corpus", "tcpdump");

/** A path as it is recorded in golden files: relative to ROOT (with "/") when it lies inside the repository. */
export function repoRelative(p: string): string {
  const rel = path.relative(ROOT, p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : p;
}
