/** Interface discovery (tcpdump -D) and the default interface choice. */
import { native, type Device } from "./native.js";

export function listDevices(): Device[] {
  return native().findAllDevs();
}

/** tcpdump's -D lines: "1.eth0 [Up, Running, Connected]", "[none]" without flags. */
export function formatDeviceList(devs: Device[]): string {
  const CONNECTED = 0x10,
    DISCONNECTED = 0x20,
    UNKNOWN = 0;
  return devs
    .map((d, i) => {
      const flags: string[] = [];
      if (d.up) flags.push("Up");
      if (d.running) flags.push("Running");
      if (d.wireless) flags.push("Wireless");
      if (d.loopback) flags.push("Loopback");
      const cs = d.connectionStatus;
      if (cs === CONNECTED) flags.push(d.wireless ? "Associated" : "Connected");
      else if (cs === DISCONNECTED) flags.push(d.wireless ? "Not associated" : "Disconnected");
      else if (cs === UNKNOWN) flags.push(d.wireless ? "Association status unknown" : "Connection status unknown");
      const desc = d.description ? ` (${d.description})` : "";
      return `${i + 1}.${d.name}${desc} [${flags.length ? flags.join(", ") : "none"}]`;
    })
    .join("\n");
}

/**
 * The default interface, as tcpdump chooses it: the first device that is up and not loopback (libpcap
 * sorts devices so that the best candidates come first). Falls back to the first device.
 */
export function defaultDevice(): string {
  const devs = listDevices();
  const pick = devs.find((d) => d.up && !d.loopback && d.name !== "any") ?? devs.find((d) => d.name !== "any") ?? devs[0];
  if (!pick) throw Object.assign(new Error("no suitable device found"), { code: "ENODEV" });
  return pick.name;
}

/** "-i 2" picks the second device of -D, as tcpdump does. */
export function resolveDevice(name: string): string {
  if (/^\d+$/.test(name)) {
    const devs = listDevices();
    const n = Number(name);
    if (n >= 1 && n <= devs.length && !devs.some((d) => d.name === name)) return devs[n - 1].name;
  }
  return name;
}
