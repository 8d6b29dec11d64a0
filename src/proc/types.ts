/**
 * What tsniff knows about the process behind a packet (`packet.proc`, the proc.* fields). Every field but
 * `pid` may be missing: the /proc engine does not know the thread, a process that exited took its exe along.
 */
export interface ProcInfo {
  /** process id (thread group id) of the socket's owner */
  pid: number;
  /** thread id that made the socket's last recorded call (eBPF engine only) */
  tid?: number;
  /** the task's name (/proc/PID/comm, at most 15 bytes) */
  comm: string;
  /** the executable's path (/proc/PID/exe) */
  exe?: string;
  /** the command line, arguments joined by spaces (/proc/PID/cmdline) */
  args?: string;
  /** real user id */
  uid?: number;
  /** cgroup v2 path (/proc/PID/cgroup's "0::" line) */
  cgroup?: string;
  /** container id found in the cgroup path (docker, containerd, cri-o, podman), full length */
  containerId?: string;
  /** Kubernetes pod uid found in the cgroup path */
  podUid?: string;
}

/** A packet's flow as seen on the wire: IP protocol, source and destination address (canonical text) and port. */
export interface Tuple {
  proto: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
