/**
 * "Hosts" for remote-capture tests: network namespaces on one bridge, each running a real OpenSSH server
 * (/usr/sbin/sshd -D -e) started here with a generated host key, its own sshd_config (no PAM, root login by
 * key only, a pid file) and an authorized key generated for the test. tsniff runs in a "control" namespace
 * holding the bridge, with a temporary ssh_config (-F: identity, known_hosts with the generated host keys,
 * never ~/.ssh). Addresses 10.203.SUBNET.0/24 exist only inside these namespaces.
 *
 * One host can have tsniff on its PATH (a wrapper script in the temp dir pointing at this checkout's
 * bin/tsniff, put first on the PATH by sshd's SetEnv); the others have only tcpdump.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ip, offloadsOff, removeNetns } from "../helpers/netns.js";
import { ROOT } from "../helpers/paths.js";
import { collect, sleep, tsniffBg, waitForStderr } from "../helpers/run.js";

export interface Host {
  name: string;
  ns: string;
  ip: string;
  iface: string;
  sshd: ChildProcess;
  /** the sshd log (its -e output) */
  log: () => string;
}

export interface Lab {
  ctl: string;
  ctlIp: string;
  dir: string;
  sshConfig: string;
  hosts: Host[];
  /** runs a command in a namespace */
  exec(ns: string, cmd: string[], opts?: { timeout?: number }): { status: number | null; stdout: string; stderr: string };
  /** pids of the processes in a host's namespace, with their command names */
  procs(ns: string): { pid: number; comm: string; args: string }[];
  destroy(): void;
}

export function canRunLab(): boolean {
  return process.getuid?.() === 0 && fs.existsSync("/usr/sbin/sshd") && spawnSync("ip", ["netns", "list"]).status === 0 && spawnSync("ssh-keygen", ["-?"]).error === undefined;
}

/** `prefix`: the namespaces' names start with it (each test file's helper has its own: ts-remote-, ts-rtui-). */
export function createLab(tag: string, subnet: number, hostSpecs: { name: string; tsniff?: boolean; sshd?: string[] }[], prefix = "ts-remote-"): Lab {
  const id = `${tag}${process.pid % 10000}`;
  const ctl = `${prefix}${id}-c`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-remote-"));
  const hosts: Host[] = [];
  const nsList = [ctl, ...hostSpecs.map((_, k) => `${prefix}${id}-${k}`)];
  const destroy = () => {
    for (const h of hosts) {
      try {
        h.sshd.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }
    // every process still in the namespace too (a remote capture left behind would be a bug the tests report)
    for (const ns of nsList) removeNetns(ns);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  destroy();
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync("/run/sshd", { recursive: true }); // sshd's privilege separation directory (Debian's package makes it at boot)
  const exec = (ns: string, cmd: string[], opts: { timeout?: number } = {}) => {
    const r = spawnSync("ip", ["netns", "exec", ns, ...cmd], { encoding: "utf8", timeout: opts.timeout ?? 30000 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
  try {
    ip("netns", "add", ctl);
    ip("-n", ctl, "link", "set", "lo", "up");
    ip("-n", ctl, "link", "add", "br0", "type", "bridge");
    ip("-n", ctl, "addr", "add", `10.203.${subnet}.1/24`, "dev", "br0");
    ip("-n", ctl, "link", "set", "br0", "up");
    // keys: the client's (authorized on every host), a wrong one (authorized nowhere), one host key per host
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "tsniff-test", "-f", path.join(dir, "id")]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "tsniff-test-wrong", "-f", path.join(dir, "id_wrong")]);
    fs.writeFileSync(path.join(dir, "authorized_keys"), fs.readFileSync(path.join(dir, "id.pub")), { mode: 0o600 });
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "tsniff"), `#!/bin/sh\nexec ${process.execPath} ${path.join(ROOT, "bin", "tsniff")} "$@"\n`, { mode: 0o755 });
    let known = "";
    let config = "";
    hostSpecs.forEach((spec, k) => {
      const ns = nsList[k + 1];
      const addr = `10.203.${subnet}.${k + 2}`;
      const hv = `h${id}${k}`.slice(0, 15);
      const cv = `c${id}${k}`.slice(0, 15);
      ip("netns", "add", ns);
      ip("link", "add", cv, "type", "veth", "peer", "name", hv);
      ip("link", "set", cv, "netns", ctl);
      ip("link", "set", hv, "netns", ns);
      ip("-n", ctl, "link", "set", cv, "master", "br0");
      ip("-n", ctl, "link", "set", cv, "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", hv, "name", "eth0");
      ip("-n", ns, "addr", "add", `${addr}/24`, "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      offloadsOff(ns, "eth0");
      const hk = path.join(dir, `host${k}`);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", spec.name, "-f", hk]);
      const pathDirs = [...(spec.tsniff ? [path.join(dir, "bin")] : []), path.dirname(process.execPath), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
      const cfg = path.join(dir, `sshd_config${k}`);
      fs.writeFileSync(
        cfg,
        [
          `ListenAddress ${addr}`,
          "Port 22",
          `HostKey ${hk}`,
          `PidFile ${path.join(dir, `sshd${k}.pid`)}`,
          `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
          "PermitRootLogin prohibit-password",
          "PubkeyAuthentication yes",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "StrictModes no",
          "PrintMotd no",
          `SetEnv PATH=${pathDirs.join(":")}`,
          // the test's own lines (a Match block for another user)
          ...(spec.sshd ?? []),
          "",
        ].join("\n"),
      );
      const log: string[] = [];
      const sshd = spawn("ip", ["netns", "exec", ns, "/usr/sbin/sshd", "-D", "-e", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
      sshd.stderr!.on("data", (d: Buffer) => log.push(d.toString()));
      known += `${addr} ${fs.readFileSync(hk + ".pub", "utf8").split(" ").slice(0, 2).join(" ")}\n`;
      config += `Host ${spec.name} ${addr}\n  HostName ${addr}\n  User root\n  IdentityFile ${path.join(dir, "id")}\n\n`;
      hosts.push({ name: spec.name, ns, ip: addr, iface: "eth0", sshd, log: () => log.join("") });
    });
    fs.writeFileSync(path.join(dir, "known_hosts"), known);
    // The wrong key, for one alias; every other host with the right one.
    config += `Host wrongkey\n  HostName ${hosts[0].ip}\n  User root\n  IdentityFile ${path.join(dir, "id_wrong")}\n\n`;
    config += `Host *\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile ${path.join(dir, "known_hosts")}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n`;
    fs.writeFileSync(path.join(dir, "ssh_config"), config);
    // Wait for every sshd to listen.
    for (const h of hosts) {
      const until = Date.now() + 20000;
      for (;;) {
        const r = exec(ctl, ["ssh", "-F", path.join(dir, "ssh_config"), "-o", "BatchMode=yes", h.name, "true"], { timeout: 15000 });
        if (r.status === 0) break;
        if (Date.now() > until) throw new Error(`sshd in ${h.ns} does not answer: ${r.stderr.trim()} / ${h.log()}`);
        spawnSync("sleep", ["0.2"]);
      }
    }
  } catch (e) {
    destroy();
    throw e;
  }
  const procs = (ns: string) => {
    const pids = (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean);
    const out: { pid: number; comm: string; args: string }[] = [];
    for (const p of pids) {
      try {
        const comm = fs.readFileSync(`/proc/${p}/comm`, "utf8").trim();
        const args = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" ").trim();
        out.push({ pid: Number(p), comm, args });
      } catch {
        /* gone */
      }
    }
    return out;
  };
  return { ctl, ctlIp: `10.203.${subnet}.1`, dir, sshConfig: path.join(dir, "ssh_config"), hosts, exec, procs, destroy };
}

/** Waits until no process but the sshd listener is left in a host's namespace; returns what is left. */
export async function leftovers(lab: Lab, ns: string, listener: number | undefined): Promise<string[]> {
  let left: string[] = [];
  for (let k = 0; k < 50; k++) {
    left = lab
      .procs(ns)
      .filter((p) => p.pid !== listener)
      .map((p) => `${p.pid} ${p.args}`);
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
  return left;
}

/**
 * Runs tsniff ARGS in the lab's control namespace with its ssh_config; once `ready` is on its stderr and
 * `settleMs` (500) more have passed, runs `during` (the traffic), waits `afterMs` (2000), stops it with SIGINT
 * and returns how it ended.
 */
export async function captureWhile(
  lab: Lab,
  args: string[],
  ready: string,
  during: (p: ChildProcess) => unknown,
  opts: { settleMs?: number; afterMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }> {
  const p = tsniffBg(["--ssh-option", `-F ${lab.sshConfig}`, ...args], { ns: lab.ctl });
  const res = collect(p);
  try {
    await waitForStderr(p, ready, 60_000);
    await sleep(opts.settleMs ?? 500);
    await during(p);
    await sleep(opts.afterMs ?? 2000);
  } finally {
    p.kill("SIGINT");
  }
  return res;
}

/** A host's own tcpdump, the oracle: started in its namespace, writing a file. */
export function hostTcpdump(lab: Lab, ns: string, file: string, filter: string): ChildProcess {
  return spawn("ip", ["netns", "exec", ns, "tcpdump", "-i", "eth0", "-U", "-w", file, filter], { stdio: ["ignore", "ignore", "pipe"] });
}

/** Stops a host's tcpdump and counts the packets of its file (tcpdump -nn -r). */
export async function stopAndCount(p: ChildProcess, file: string): Promise<number> {
  const done = collect(p);
  p.kill("SIGINT");
  await done;
  const r = spawnSync("tcpdump", ["-nn", "-r", file], { encoding: "utf8" });
  return (r.stdout ?? "").split("\n").filter((l) => l.length).length;
}
