/**
 * -Z USER: after the capture handle is open, become USER (its group, its supplementary groups, then its
 * uid), as tcpdump does; files written afterwards are created as that user. Root is needed to do it; the
 * handle stays usable because the kernel checked the capabilities when it was opened.
 */
import { createRequire } from "node:module";
import type * as ChildProcess from "node:child_process";
// loaded on first use: requiring node:child_process costs ~5 ms of every start-up (issue #19)
let cpModule: typeof ChildProcess | undefined;
const childProcess = (): typeof ChildProcess => (cpModule ??= createRequire(import.meta.url)("node:child_process") as typeof ChildProcess);
import fs from "node:fs";
import { native } from "./native.js";

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
}

/** The passwd entry of a user name or number (getent, so NSS users work too). */
export function lookupUser(user: string): UserEntry {
  let line: string;
  try {
    line = childProcess().execFileSync("getent", ["passwd", user], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0];
  } catch {
    throw Object.assign(new Error(`Couldn't find user '${user}'`), { code: "ENOUSER" });
  }
  const f = line.split(":");
  if (f.length < 4) throw Object.assign(new Error(`Couldn't find user '${user}'`), { code: "ENOUSER" });
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]) };
}

/** The capability sets of this process (/proc/self/status CapEff, CapPrm, CapAmb), as hex; undefined off Linux. */
export function capabilities(): { eff: bigint; prm: bigint; amb: bigint } | undefined {
  let status: string;
  try {
    status = fs.readFileSync("/proc/self/status", "utf8");
  } catch {
    return undefined;
  }
  const get = (k: string) => {
    const m = new RegExp(`^${k}:\\s*([0-9a-f]+)`, "m").exec(status);
    return m ? BigInt("0x" + m[1]) : 0n;
  };
  return { eff: get("CapEff"), prm: get("CapPrm"), amb: get("CapAmb") };
}

/**
 * Drops to `user`: its supplementary groups (initgroups), its group, then its uid. After setuid from root
 * the kernel clears the permitted, effective and ambient capabilities (no keepcaps is ever set); every step
 * is checked afterwards, and a drop that left anything behind is an error (code EPERM), never a warning.
 * Then no_new_privs is set, so nothing the process runs afterwards can regain privileges through set-user-ID
 * programs or file capabilities.
 */
export function dropPrivileges(user: string): UserEntry {
  const u = lookupUser(user);
  const p = process as unknown as { initgroups?: (u: string, g: number) => void; setgroups?: (g: number[]) => void };
  try {
    if (p.initgroups) p.initgroups(u.name, u.gid);
    else p.setgroups?.([u.gid]);
    process.setgid?.(u.gid);
    process.setuid?.(u.uid);
  } catch (e) {
    throw Object.assign(new Error(`Couldn't change to user '${user}': ${(e as Error).message}`), { code: "EPERM" });
  }
  const fail = (what: string) => {
    throw Object.assign(new Error(`Couldn't change to user '${user}': ${what}`), { code: "EPERM" });
  };
  if (process.getuid?.() !== u.uid || process.geteuid?.() !== u.uid) fail("the user id did not change");
  if (process.getgid?.() !== u.gid || process.getegid?.() !== u.gid) fail("the group id did not change");
  if (u.uid !== 0) {
    const caps = capabilities();
    if (caps && (caps.eff || caps.prm || caps.amb)) fail("capabilities are left after the drop");
  }
  // No way back up for anything started afterwards (a plugin's child process running a set-user-ID program).
  try {
    native().noNewPrivs();
  } catch (e) {
    fail((e as Error).message);
  }
  return u;
}
