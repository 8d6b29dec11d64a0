/**
 * Which processes' packets to keep: --pid (with --follow-forks their descendants), --pname, --uid,
 * --container. Values of one option are alternatives; different options must all hold.
 */
import { parentOf } from "./procfs.js";
import { containerMatches } from "./container.js";
import type { ProcInfo } from "./types.js";

export interface ProcSelection {
  pids?: number[];
  followForks?: boolean;
  pnames?: string[];
  uids?: number[];
  containers?: string[];
}

export function selectionActive(s: ProcSelection): boolean {
  return !!(s.pids?.length || s.pnames?.length || s.uids?.length || s.containers?.length);
}

export class ProcSelector {
  private pids: Set<number> | null;
  private pnames: Set<string> | null;
  private uids: Set<number> | null;
  /** pid -> whether it descends from a selected pid (--follow-forks), found once per pid */
  private descends = new Map<number, boolean>();

  constructor(private s: ProcSelection) {
    this.pids = s.pids?.length ? new Set(s.pids) : null;
    this.pnames = s.pnames?.length ? new Set(s.pnames) : null;
    this.uids = s.uids?.length ? new Set(s.uids) : null;
  }

  /** Adds a pid to follow (the command started by `-- cmd`). */
  addPid(pid: number): void {
    (this.pids ??= new Set()).add(pid);
    this.descends.clear();
  }

  private pidMatches(pid: number): boolean {
    if (this.pids!.has(pid)) return true;
    if (!this.s.followForks) return false;
    let d = this.descends.get(pid);
    if (d === undefined) {
      d = false;
      let p: number | undefined = pid;
      for (let k = 0; k < 64 && p !== undefined && p > 1; k++) {
        p = parentOf(p);
        if (p !== undefined && this.pids!.has(p)) {
          d = true;
          break;
        }
      }
      this.descends.set(pid, d);
    }
    return d;
  }

  matches(info: ProcInfo | undefined): boolean {
    if (!info) return false;
    if (this.pids && !this.pidMatches(info.pid)) return false;
    if (this.pnames && !this.pnames.has(info.comm) && !(info.exe && this.pnames.has(info.exe.slice(info.exe.lastIndexOf("/") + 1)))) return false;
    if (this.uids && (info.uid === undefined || !this.uids.has(info.uid))) return false;
    if (this.s.containers?.length && !this.s.containers.some((c) => containerMatches(c, info.containerId) || c === info.podUid)) return false;
    return true;
  }
}
