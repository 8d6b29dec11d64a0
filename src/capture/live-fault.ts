/**
 * Naming what stopped a live capture. When an interface goes down (ip link set dev X down) or disappears,
 * the kernel fails the packet socket and libuv's poll reports an error that says nothing to a user ("bad
 * file descriptor"); here the interface's state tells what happened.
 */
import fs from "node:fs";

/** The interface's IFF_UP flag from sysfs: true, false, or null when the interface is gone. */
export function interfaceUp(device: string): boolean | null {
  if (device === "any" || device.includes("/")) return true;
  try {
    const flags = Number(fs.readFileSync(`/sys/class/net/${device}/flags`, "utf8").trim());
    return (flags & 1) !== 0;
  } catch {
    return null;
  }
}

/** The interface's index from sysfs, or null when it is gone (a re-created interface has a new one). */
export function interfaceIndex(device: string): number | null {
  try {
    return Number(fs.readFileSync(`/sys/class/net/${device}/ifindex`, "utf8").trim());
  } catch {
    return null;
  }
}

const FAULT_TEXT = /went down|disappeared|bad file descriptor|network is down|ENETDOWN|ENODEV|No such device|not up/i;

/**
 * Whether a live capture error is the interface going down or away (as opposed to, say, a libpcap bug):
 * the errors a capture can wait out. "any" never goes down.
 */
export function isInterfaceFault(device: string, e: Error): boolean {
  if (device === "any") return false;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENETDOWN" || code === "ENODEV") return true;
  const up = interfaceUp(device);
  return up !== true || FAULT_TEXT.test(e.message);
}

/** One line for a live capture error (without the "tsniff: " prefix). */
export function describeLiveError(device: string, e: Error): string {
  // A capture over several interfaces names the one that failed on the error.
  device = (e as { device?: string }).device ?? device;
  const code = (e as NodeJS.ErrnoException).code;
  const up = interfaceUp(device);
  if (code === "ENETDOWN" || up === false || /went down|bad file descriptor|ENETDOWN/i.test(e.message)) {
    if (up === null) return `${device}: the interface disappeared during the capture; stopped (${e.message})`;
    return `${device}: the interface went down during the capture; stopped (${e.message})`;
  }
  if (up === null || code === "ENODEV") return `${device}: the interface disappeared during the capture; stopped (${e.message})`;
  return `${device}: ${e.message}`;
}
