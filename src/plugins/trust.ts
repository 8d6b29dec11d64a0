/**
 * Which plugin files tsniff agrees to load. A plugin is code that runs with the capture's privileges (root,
 * or the -Z user after the drop), so whoever can change the file, or rename anything on its path, can run
 * code as that user. The rule (sudo's stance for the files it trusts; tcpdump loads no code at all):
 *
 *   - the file and every directory above it (the path as given and, through symbolic links, the real one)
 *     belong to root or to the user the plugin will run as (the -Z user; without -Z, whoever runs tsniff);
 *   - the file is writable by nobody else: not by others, and by its group only when that group is root's
 *     (gid 0);
 *   - a directory is writable by nobody else either, except with the sticky bit (like /tmp): there nobody
 *     can rename or remove an entry they do not own, and the entry below it is checked by the rules above.
 *
 * A symbolic link's own mode means nothing; its owner must be trusted like a directory's.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type * as ChildProcess from "node:child_process";
// loaded on first use: requiring node:child_process costs ~5 ms of every start-up (issue #19)
let cpModule: typeof ChildProcess | undefined;
const childProcess = (): typeof ChildProcess => (cpModule ??= createRequire(import.meta.url)("node:child_process") as typeof ChildProcess);

/** The user a plugin will run as. */
export interface TrustedUser {
  uid: number;
  /** for messages */
  name?: string;
}

export class UntrustedPlugin extends Error {
  readonly code = "EUNTRUSTED";
}

function userName(uid: number): string {
  try {
    const line = childProcess().execFileSync("getent", ["passwd", String(uid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const name = line.split(":")[0];
    if (name) return `${name} (uid ${uid})`;
  } catch {
    /* no name: the number */
  }
  return `uid ${uid}`;
}

const octal = (mode: number) => "0" + (mode & 0o7777).toString(8);

/**
 * Throws (code EUNTRUSTED, one line naming the path at fault and why) unless `spec` may be loaded as a plugin
 * running as `user` (default: the effective user of this process). Returns the file's real path.
 */
export function checkPluginTrust(spec: string, user?: TrustedUser): string {
  const uid = user?.uid ?? process.geteuid?.() ?? 0;
  const who = uid === 0 ? "root" : `root or ${user?.name ?? userName(uid)}`;
  const refuse = (p: string, why: string): never => {
    throw new UntrustedPlugin(
      `${spec}: refusing to load the plugin: ${p} ${why}; a plugin runs with the capture's privileges, so it and every directory above it may be writable only by ${who} (see README, Plugins)`,
    );
  };
  const abs = path.resolve(spec);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw Object.assign(new Error(`${spec}: No such file or directory`), { code });
    if (code === "EACCES") throw Object.assign(new Error(`${spec}: Permission denied`), { code });
    throw Object.assign(new Error(`${spec}: ${(e as Error).message}`), { code });
  }

  const checked = new Set<string>();
  const check = (p: string) => {
    if (checked.has(p)) return;
    checked.add(p);
    const st = fs.lstatSync(p);
    if (st.uid !== 0 && st.uid !== uid) refuse(p, `belongs to ${userName(st.uid)}`);
    if (st.isSymbolicLink()) return;
    const other = (st.mode & 0o002) !== 0;
    const group = (st.mode & 0o020) !== 0 && st.gid !== 0;
    if (!other && !group) return;
    if (st.isDirectory() && (st.mode & 0o1000)) return; // sticky, like /tmp
    const by = other ? "everyone" : `its group (gid ${st.gid})`;
    refuse(p, `is writable by ${by} (mode ${octal(st.mode)}${st.isDirectory() ? ", no sticky bit" : ""})`);
  };
  const chain = (p: string) => {
    const parts: string[] = [];
    for (let q = p; ; q = path.dirname(q)) {
      parts.push(q);
      if (path.dirname(q) === q) break;
    }
    return parts;
  };
  // The path as given (its symbolic links' owners), then the real path the import will read.
  for (const p of chain(abs)) check(p);
  for (const p of chain(real)) check(p);
  const st = fs.statSync(real);
  if (!st.isFile()) throw Object.assign(new Error(`${spec}: not a regular file`), { code: "EPLUGIN" });
  return real;
}
