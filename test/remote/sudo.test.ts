/**
 * --sudo for a non-root remote user (issue #18): a system user made by this test (useradd, removed after),
 * logging in to a real sshd (hosts.ts) with its own key, authorized in its own home through a Match block of
 * that sshd's config. Without --sudo the remote tcpdump cannot open the interface: one line naming the host
 * and tcpdump's own message, exit 1. With --sudo and a sudoers drop-in for that user allowing tcpdump without
 * a password (removed after), the capture runs as `sudo -n tcpdump`: every ping is captured (the remote
 * tcpdump's own counters agree), and the stop reaches the capture through sudo (nothing left running on the
 * host). With --sudo and no drop-in, sudo's own message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has, TSNIFF } from "../helpers/run.js";
import { canRunLab, captureWhile, createLab, leftovers, type Lab } from "./hosts.js";

const SUDOERS_D = "/etc/sudoers.d";
const enabled = canRunLab() && has("tcpdump") && has("ssh") && has("sudo") && has("visudo") && has("useradd") && has("userdel") && fs.existsSync(SUDOERS_D);

/** The paths sudo may resolve `tcpdump` to (its secure_path): the rule names each that exists. */
function tcpdumpPaths(): string[] {
  const dirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  return [...new Set(dirs.map((d) => path.join(d, "tcpdump")).filter((p) => fs.existsSync(p)))];
}

describe.skipIf(!enabled)("--sudo for a non-root remote user", () => {
  const user = `tsniffsu${process.pid % 100000}`;
  const dropIn = path.join(SUDOERS_D, `tsniff-test-${user}`);
  let lab: Lab;
  let home: string;
  let keys: string;
  const run = (args: string[]) => {
    const r = spawnSync("ip", ["netns", "exec", lab.ctl, process.execPath, TSNIFF, "--ssh-option", `-F ${lab.sshConfig}`, ...args], { encoding: "utf8", timeout: 90_000 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
  const removeUser = () => {
    fs.rmSync(dropIn, { force: true });
    spawnSync("userdel", [user], { stdio: "ignore" });
  };

  beforeAll(() => {
    removeUser(); // a run killed before its afterAll
    home = fs.mkdtempSync(path.join(os.tmpdir(), "ts-remote-u-"));
    keys = fs.mkdtempSync(path.join(os.tmpdir(), "ts-remote-k-"));
    fs.chmodSync(home, 0o755);
    // a system user with no password ('*': not locked, so sshd takes its key) and a POSIX shell
    execFileSync("useradd", ["--system", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", "--password", "*", user]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", user, "-f", path.join(keys, "id")]);
    fs.mkdirSync(path.join(home, ".ssh"), { mode: 0o700 });
    fs.writeFileSync(path.join(home, ".ssh", "authorized_keys"), fs.readFileSync(path.join(keys, "id.pub")), { mode: 0o600 });
    execFileSync("chown", ["-R", `${user}:`, home]);
    lab = createLab("u", 64, [{ name: "db1", sshd: [`Match User ${user}`, `  AuthorizedKeysFile ${path.join(home, ".ssh", "authorized_keys")}`] }]);
    // the user's host alias first (ssh takes an option's first value)
    const alias = `Host dbuser\n  HostName ${lab.hosts[0].ip}\n  User ${user}\n  IdentityFile ${path.join(keys, "id")}\n\n`;
    fs.writeFileSync(lab.sshConfig, alias + fs.readFileSync(lab.sshConfig, "utf8"));
    const login = lab.exec(lab.ctl, ["ssh", "-F", lab.sshConfig, "-o", "BatchMode=yes", "dbuser", "id", "-u"]);
    if (login.status !== 0 || login.stdout.trim() === "0") throw new Error(`the test user cannot log in: ${login.stderr} ${lab.hosts[0].log()}`);
  }, 120_000);

  afterAll(() => {
    lab?.destroy();
    removeUser();
    for (const d of [home, keys]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it(
    "without --sudo: the remote tcpdump's permission error, one line naming the host; exit 1",
    () => {
      const r = run(["-i", "ssh://dbuser/eth0", "--duration", "2"]);
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("tsniff: dbuser:eth0: "));
      expect(lines, r.stderr).toHaveLength(1);
      console.log(lines[0]);
      expect(lines[0]).toMatch(/^tsniff: dbuser:eth0: tcpdump: .*(permission|not permitted)/i);
      expect(r.stderr).not.toMatch(/^\s+at |debug1|OpenSSH/m);
    },
    120_000,
  );

  it(
    "with --sudo and a sudoers rule: the capture runs as sudo -n tcpdump, every packet arrives, nothing is left running",
    async () => {
      const paths = tcpdumpPaths();
      expect(paths.length).toBeGreaterThan(0);
      fs.writeFileSync(dropIn, `${user} ALL=(root) NOPASSWD: ${paths.join(", ")}\n`, { mode: 0o440 });
      const check = spawnSync("visudo", ["-c", "-q", "-f", dropIn], { encoding: "utf8" });
      expect(check.status, check.stderr).toBe(0);
      const db1 = lab.hosts[0];
      const r = await captureWhile(lab, ["-v", "--sudo", "-i", "ssh://dbuser/eth0", "-n", "icmp"], "listening on dbuser:eth0", async () => {
        lab.exec(lab.ctl, ["ping", "-c", "4", "-i", "0.05", db1.ip]);
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^tsniff: dbuser:eth0: capturing with sudo -n tcpdump over ssh; /m);
      const out = r.stdout.toString().trim().split("\n");
      expect(out.filter((l) => /ICMP echo request/.test(l))).toHaveLength(4);
      expect(out.filter((l) => /ICMP echo reply/.test(l))).toHaveLength(4);
      // the remote tcpdump's own counters (its summary came back through sudo)
      expect(r.stderr).toMatch(/^dbuser:eth0: 8 packets captured, 8 packets received by filter, 0 packets dropped by kernel; clock offset/m);
      // sudo relayed the stop: no tcpdump, sudo or shell of the user's left on the host
      expect(await leftovers(lab, db1.ns, db1.sshd.pid)).toEqual([]);
    },
    180_000,
  );

  it(
    "with --sudo but no sudoers rule: sudo's message (a password is required), one line naming the host",
    () => {
      fs.rmSync(dropIn, { force: true });
      const r = run(["--sudo", "-i", "ssh://dbuser/eth0", "--duration", "2"]);
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("tsniff: dbuser:eth0: "));
      expect(lines, r.stderr).toHaveLength(1);
      console.log(lines[0]);
      expect(lines[0]).toMatch(/^tsniff: dbuser:eth0: sudo: .*password is required/);
    },
    120_000,
  );
});
