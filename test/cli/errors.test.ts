/**
 * -w failures and -d without privileges (issue #11, item 6): one line naming the file and the cause in the C
 * library's words, a non-zero exit, and "saved" said only of files that still exist.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { has, ROOT, TSNIFF, tsniff } from "../helpers/run.js";

const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");
const ROOTED = process.getuid?.() === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-h3-errors-"));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync("umount", [m]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const oneLine = (s: string) => s.split("\n").filter((l) => l && !l.startsWith("reading from file"));
const count = (file: string) => spawnSync("tcpdump", ["-n", "-r", file]).stdout.toString().split("\n").filter(Boolean).length;

describe("-w errors", () => {
  it("-w /proc/version: the path and the cause (no Node error text), exit 1", () => {
    const r = tsniff(["-r", HTTP, "-w", "/proc/version"]);
    expect(r.status).toBe(1);
    const lines = oneLine(r.stderr.toString());
    // root may open it and gets EIO at the first write; others may not open it at all
    expect(lines).toEqual([ROOTED ? "tsniff: /proc/version: Input/output error" : "tsniff: /proc/version: Permission denied"]);
  });

  it.skipIf(!ROOTED)("a read-only file system: 'Read-only file system' with the path, exit 1 (tmpfs remounted ro)", () => {
    const m = path.join(dir, "ro");
    fs.mkdirSync(m);
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tsniff-h3-ro", m]).status).toBe(0);
    mounts.push(m);
    expect(spawnSync("mount", ["-o", "remount,ro", m]).status).toBe(0);
    const out = path.join(m, "x.pcap");
    const r = tsniff(["-r", HTTP, "-w", out]);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr.toString())).toEqual([`tsniff: ${out}: Read-only file system`]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it.skipIf(!has("tcpdump"))("a rotation that can't open its next file: the packets before are saved (and they are)", () => {
    const d = path.join(dir, "rot-saved");
    fs.mkdirSync(d);
    fs.mkdirSync(path.join(d, "cap1")); // the second file's name is taken by a directory
    const r = tsniff(["-r", HTTP, "-C", "2k", "-w", path.join(d, "cap")]);
    expect(r.status).toBe(1);
    const lines = oneLine(r.stderr.toString());
    expect(lines).toHaveLength(1);
    const m = new RegExp(`^tsniff: ${d}/cap1: Is a directory; stopped, the (\\d+) packets before are saved$`).exec(lines[0]);
    expect(m, lines[0]).not.toBe(null);
    expect(count(path.join(d, "cap"))).toBe(Number(m![1]));
  });

  it("the directory removed during the capture: the packets before are not said to be saved (their files are no longer there)", () => {
    const d = path.join(dir, "rot-gone");
    fs.mkdirSync(d);
    // A plugin (a real program in the capture) removes the directory at the third packet; the next rotation fails.
    const plugin = path.join(dir, "rm-dir.mjs");
    fs.writeFileSync(plugin, `import fs from "node:fs";\nlet n = 0;\nexport function onPacket() { if (++n === 3) fs.rmSync(${JSON.stringify(d)}, { recursive: true }); }\n`);
    const r = tsniff(["-r", HTTP, "-C", "2k", "-w", path.join(d, "cap"), "--script", plugin]);
    expect(r.status).toBe(1);
    const lines = oneLine(r.stderr.toString());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^tsniff: ${d}/cap1: No such file or directory; stopped, and the \\d+ packets before were written to a file that is no longer there: ${d} was removed or moved$`));
    expect(fs.existsSync(d)).toBe(false);
  });
});

describe.skipIf(!ROOTED || !has("tcpdump"))("-d without -i, without privileges", () => {
  const nobody = spawnSync("id", ["-u", "nobody"]).stdout.toString().trim();
  const uid = Number(nobody);
  const gid = Number(spawnSync("id", ["-g", "nobody"]).stdout.toString().trim());
  const as = (cmd: string, args: string[]) => spawnSync(cmd, args, { uid, gid, cwd: "/", env: { PATH: process.env.PATH, TZ: "UTC" } });

  it("compiles for Ethernet with tcpdump's warning, the same program tcpdump prints as that user", () => {
    for (const f of ["tcp", "udp port 53 or icmp", "tcp[tcpflags] & tcp-syn != 0", "ip6 and dst port 443"]) {
      const mine = as(process.execPath, [TSNIFF, "-d", f]);
      const theirs = as("tcpdump", ["-d", f]);
      expect(mine.status, mine.stderr.toString()).toBe(0);
      expect(theirs.status).toBe(0);
      expect(mine.stdout.toString()).toBe(theirs.stdout.toString());
      expect(mine.stderr.toString()).toBe(theirs.stderr.toString()); // "Warning: assuming Ethernet"
    }
  });

  it("with -i the interface is still required: one line, exit 1", () => {
    const r = as(process.execPath, [TSNIFF, "-i", "lo", "-d", "tcp"]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString().trim().split("\n")).toHaveLength(1);
    expect(r.stderr.toString()).toMatch(/^tsniff: lo: You don't have permission/);
  });
});
