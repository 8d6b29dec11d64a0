/**
 * -Z USER: after the capture handle is open, become USER (its group, its supplementary groups, then its
 * uid), as tcpdump does; files written afterwards are created as that user. Root is needed to do it; the
 * handle stays usable because the kernel checked the capabilities when it was opened.
 */
import { execFileSync } from "node:child_process";

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
}

/** The passwd entry of a user name or number (getent, so NSS users work too). */
export function lookupUser(user: string): UserEntry {
  let line: string;
  try {
    line = execFileSync("getent", ["passwd", user], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0];
  } catch {
    throw Object.assign(new Error(`Couldn't find user '${user}'`), { code: "ENOUSER" });
  }
  const f = line.split(":");
  if (f.length < 4) throw Object.assign(new Error(`Couldn't find user '${user}'`), { code: "ENOUSER" });
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]) };
}

/** Drops to `user`; throws a clear error (code EPERM) when this process may not. */
export function dropPrivileges(user: string): UserEntry {
  const u = lookupUser(user);
  try {
    (process as unknown as { initgroups?: (u: string, g: number) => void }).initgroups?.(u.name, u.gid);
    process.setgid?.(u.gid);
    process.setuid?.(u.uid);
  } catch (e) {
    throw Object.assign(new Error(`Couldn't change to user '${user}': ${(e as Error).message}`), { code: "EPERM" });
  }
  if (process.getuid?.() !== u.uid || process.geteuid?.() !== u.uid) {
    throw Object.assign(new Error(`Couldn't change to user '${user}'`), { code: "EPERM" });
  }
  return u;
}
