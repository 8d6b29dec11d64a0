/**
 * Container ids and pod uids from a cgroup path, as the runtimes name their cgroups:
 *   docker (systemd driver)   /system.slice/docker-<64 hex>.scope
 *   docker (cgroupfs driver)  /docker/<64 hex>
 *   containerd (CRI)          .../cri-containerd-<64 hex>.scope, or /kubepods/.../<64 hex>
 *   cri-o                     .../crio-<64 hex>.scope (crio-conmon-<id> is its monitor, not the container)
 *   podman                    .../libpod-<64 hex>.scope
 *   Kubernetes pods           .../kubepods-burstable-pod<uid with _>.slice/... or /kubepods/burstable/pod<uid>/...
 */
const ID = /(?:^|[/-])(?:docker|cri-containerd|crio|libpod|containerd)?-?([0-9a-f]{64})(?:\.scope)?(?:\/|$)/;
const POD = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?:\/|$)/;

export function containerIdOf(cgroup: string): string | undefined {
  // The last id in the path is the container's (a pod's cgroup holds its containers').
  let found: string | undefined;
  for (const part of cgroup.split("/")) {
    if (part.startsWith("crio-conmon-")) continue;
    const m = ID.exec(part);
    if (m) found = m[1];
  }
  return found;
}

export function podUidOf(cgroup: string): string | undefined {
  const m = POD.exec(cgroup);
  return m ? m[1].replace(/_/g, "-") : undefined;
}

/** Whether `id` (a full id or a prefix of at least 4 hex digits, as docker accepts) names `full`. */
export function containerMatches(id: string, full: string | undefined): boolean {
  return !!full && full.startsWith(id.toLowerCase());
}
