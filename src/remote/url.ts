/**
 * Remote interface specs: `-i ssh://[user@]host[:port]/IFACE`. The source's name in every output is
 * `host:IFACE` (frame.interface_name, the pcapng IDB, the summary), without the user and port.
 */

export interface RemoteSpec {
  scheme: "ssh";
  user?: string;
  host: string;
  port?: number;
  iface: string;
  /** `host:iface` */
  name: string;
  /** the -i text as given */
  spec: string;
}

export class RemoteSpecError extends Error {}

export function isRemoteSpec(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/** An interface or host name that could be passed to a remote shell and command line without surprises. */
const SAFE_IFACE = /^[A-Za-z0-9_.:@-]{1,64}$/;

export function parseRemoteSpec(spec: string): RemoteSpec {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(spec);
  if (!m) throw new RemoteSpecError(`${spec}: not a remote interface (ssh://[user@]host[:port]/IFACE)`);
  const scheme = m[1].toLowerCase();
  if (scheme !== "ssh") {
    const hint = scheme === "k8s" ? " (Kubernetes pods are planned, see docs/REMOTE.md)" : "";
    throw new RemoteSpecError(`${spec}: unsupported remote scheme ${scheme}://${hint}; use ssh://[user@]host[:port]/IFACE`);
  }
  const rest = m[2];
  const slash = rest.indexOf("/");
  if (slash < 0) throw new RemoteSpecError(`${spec}: no interface: use ssh://[user@]host[:port]/IFACE (e.g. ssh://web1/eth0, or /any)`);
  const authority = rest.slice(0, slash);
  const iface = decodeURIComponent(rest.slice(slash + 1));
  if (!iface) throw new RemoteSpecError(`${spec}: no interface after the host (e.g. ssh://web1/eth0, or /any)`);
  if (!SAFE_IFACE.test(iface)) throw new RemoteSpecError(`${spec}: bad interface name ${JSON.stringify(iface)}`);
  let user: string | undefined;
  let hostport = authority;
  const at = authority.lastIndexOf("@");
  if (at >= 0) {
    user = decodeURIComponent(authority.slice(0, at));
    hostport = authority.slice(at + 1);
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/.test(user)) throw new RemoteSpecError(`${spec}: bad user name ${JSON.stringify(user)}`);
  }
  let host = hostport;
  let port: number | undefined;
  const v6 = /^\[([0-9A-Fa-f:.%a-z]+)\](?::(\d+))?$/.exec(hostport);
  if (v6) {
    host = v6[1];
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const c = hostport.lastIndexOf(":");
    if (c >= 0) {
      host = hostport.slice(0, c);
      const p = hostport.slice(c + 1);
      if (!/^\d+$/.test(p)) throw new RemoteSpecError(`${spec}: bad port ${JSON.stringify(p)}`);
      port = Number(p);
    }
    // An ssh config alias or a DNS name or an IPv4 address; never something ssh would take as an option.
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(host)) throw new RemoteSpecError(`${spec}: bad host name ${JSON.stringify(host)}`);
  }
  if (!host) throw new RemoteSpecError(`${spec}: no host`);
  if (port !== undefined && (port < 1 || port > 65535)) throw new RemoteSpecError(`${spec}: port ${port} is out of range`);
  return { scheme: "ssh", user, host, port, iface, name: `${host}:${iface}`, spec };
}
