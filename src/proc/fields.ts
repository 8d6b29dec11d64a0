/**
 * The "proc" pseudo-protocol of the detail outputs (-V, -T json, -T fields, -Y): the process behind a packet,
 * when one is known. Like "frame", it is not in the packet's bytes: the outputs add its node after the
 * dissection. Declared once and registered, so `-Y 'proc.comm == "curl"'` and `-e proc.pid` know it.
 */
import { registerProtocol } from "../dissectors/registry.js";
import { fields, type Protocol } from "../dissectors/types.js";
import { treeNode, type TreeNode } from "../dissectors/tree.js";
import type { ProcInfo } from "./types.js";

export const PROC_FIELDS = fields("proc", {
  pid: ["Process ID", "uint"],
  tid: ["Thread ID", "uint"],
  comm: ["Command name", "string"],
  exe: ["Executable", "string"],
  args: ["Arguments", "string"],
  uid: ["User ID", "uint"],
  cgroup: ["Cgroup", "string"],
  container_id: ["Container ID", "string"],
  pod_uid: ["Pod UID", "string"],
});

export const PROC: Protocol = {
  id: "proc",
  name: "Process",
  fields: PROC_FIELDS,
  dissect() {
    // Never in a dissector table: the outputs add the node themselves (procNode).
  },
};
registerProtocol(PROC);

/** The packet's "proc" node (it covers no bytes), with a field node per fact known. */
export function procNode(p: ProcInfo): TreeNode {
  const F = PROC_FIELDS;
  const kids: TreeNode[] = [];
  const add = (f: (typeof F)[keyof typeof F], v: string | number | undefined) => {
    if (v !== undefined) kids.push(treeNode(f.name, f.label, v, undefined, 0, 0, "field", f, undefined));
  };
  add(F.pid, p.pid);
  add(F.tid, p.tid);
  add(F.comm, p.comm);
  add(F.exe, p.exe);
  add(F.args, p.args);
  add(F.uid, p.uid);
  add(F.cgroup, p.cgroup);
  add(F.container_id, p.containerId);
  add(F.pod_uid, p.podUid);
  return treeNode("proc", `Process: ${p.comm}.${p.pid}`, null, "", 0, 0, "proto", undefined, kids);
}

/** What the one-line output appends: ptcpdump's `curl.4127`; with -v the arguments and the container. */
export function procSuffix(p: ProcInfo, verbose: number): string {
  let s = ` ${p.comm}.${p.pid}`;
  if (verbose > 0) {
    if (p.args) s += `, args ${p.args}`;
    if (p.containerId) s += `, container ${p.containerId}`;
    if (p.podUid) s += `, pod ${p.podUid}`;
  }
  return s;
}

/**
 * The pcapng packet comment, ptcpdump's format (one fact a line: PID, Cmd (the executable), Args; ThreadId;
 * UserId; ContainerId; PodUID), plus tsniff's own Comm and Cgroup lines, which ptcpdump's reader ignores.
 */
export function procComment(p: ProcInfo): string {
  const l = [`PID: ${p.pid}`, `Cmd: ${p.exe ?? p.comm}`, `Args: ${p.args ?? ""}`];
  if (p.tid !== undefined) l.push(`ThreadId: ${p.tid}`);
  if (p.uid !== undefined) l.push(`UserId: ${p.uid}`);
  if (p.containerId) l.push(`ContainerId: ${p.containerId}`);
  if (p.podUid) l.push(`PodUID: ${p.podUid}`);
  l.push(`Comm: ${p.comm}`);
  if (p.cgroup !== undefined) l.push(`Cgroup: ${p.cgroup}`);
  return l.join("\n");
}

/** The process in a packet comment written by tsniff or ptcpdump, or undefined when the comment is not one. */
export function parseProcComment(text: string): ProcInfo | undefined {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const c = line.indexOf(": ");
    if (c > 0) kv.set(line.slice(0, c), line.slice(c + 2));
    else if (line.endsWith(":")) kv.set(line.slice(0, -1), "");
  }
  const pid = Number(kv.get("PID"));
  if (!kv.has("PID") || !Number.isInteger(pid) || pid <= 0) return undefined;
  const cmd = kv.get("Cmd") || undefined;
  const num = (k: string) => {
    const v = kv.get(k);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const info: ProcInfo = { pid, comm: kv.get("Comm") ?? (cmd ? cmd.slice(cmd.lastIndexOf("/") + 1).slice(0, 15) : "") };
  if (cmd && cmd.startsWith("/")) info.exe = cmd;
  const args = kv.get("Args");
  if (args) info.args = args;
  const tid = num("ThreadId");
  if (tid !== undefined) info.tid = tid;
  const uid = num("UserId");
  if (uid !== undefined) info.uid = uid;
  if (kv.has("Cgroup")) info.cgroup = kv.get("Cgroup");
  if (kv.get("ContainerId")) info.containerId = kv.get("ContainerId");
  if (kv.get("PodUID")) info.podUid = kv.get("PodUID");
  return info;
}
