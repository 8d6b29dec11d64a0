/**
 * Plugins and privileges (issue #11, item 3): with -Z a plugin is loaded only after the drop, so neither its
 * top-level code nor its onStart can read what root can (/etc/shadow), and no descriptor opened "at import"
 * can predate the drop; the drop leaves no capability; plugin files that others could change are refused.
 * Live parts capture real loopback traffic inside a network namespace of this test (h3p...), removed after.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPluginTrust } from "../../src/plugins/trust.js";
import { collect, ROOT, tsniff, TSNIFF, waitForStderr } from "../helpers/run.js";

const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");
const ROOTED = process.getuid?.() === 0;
const NOBODY = spawnSync("id", ["-u", "nobody"]).stdout?.toString().trim();
const NOBODY_UID = NOBODY ? Number(NOBODY) : NaN;
const NOBODY_GID = NOBODY ? Number(spawnSync("id", ["-g", "nobody"]).stdout.toString().trim()) : NaN;
const NS = `h3p${process.pid % 100000}`;
const canNs = ROOTED && spawnSync("ip", ["netns", "list"]).status === 0;

// A directory every user can read (plugins run as nobody must read their file), only root can write.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-h3-priv-"));
fs.chmodSync(dir, 0o755);

function write(name: string, text: string, mode = 0o644): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  fs.chmodSync(f, mode);
  return f;
}

/** What a plugin reports about itself, as a JSON line on stderr tagged `tag`. */
const probe = (tag: string) => `(() => {
  const fs = require("node:fs");
  let shadow = "read";
  try { fs.readFileSync("/etc/shadow"); } catch (e) { shadow = e.code; }
  const st = fs.readFileSync("/proc/self/status", "utf8");
  const f = (k) => (new RegExp("^" + k + ":\\\\s*(.*)$", "m").exec(st) || [])[1];
  process.stderr.write(${JSON.stringify(tag)} + " " + JSON.stringify({ shadow, uid: f("Uid"), gid: f("Gid"), groups: f("Groups"), capEff: f("CapEff"), capPrm: f("CapPrm"), capAmb: f("CapAmb"), noNewPrivs: f("NoNewPrivs") }) + "\\n");
})()`;

const PLUGIN = `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
${probe("H3TOP")};
let fd = -1;
try { fd = require("node:fs").openSync("/etc/shadow", "r"); } catch {}
let n = 0;
export function onStart() { ${probe("H3START")}; }
export function onPacket() { n++; }
export function onStop() {
  let leaked = "no descriptor";
  if (fd >= 0) { try { leaked = String(require("node:fs").readFileSync(fd).length); } catch (e) { leaked = e.code; } }
  process.stderr.write("H3STOP " + JSON.stringify({ n, leaked }) + "\\n");
}
`;

function report(stderr: string, tag: string): Record<string, string> {
  const line = stderr.split("\n").find((l) => l.startsWith(tag + " "));
  expect(line, `${tag} in: ${stderr}`).toBeDefined();
  return JSON.parse(line!.slice(tag.length + 1)) as Record<string, string>;
}

beforeAll(() => {
  if (!canNs) return;
  spawnSync("ip", ["netns", "del", NS]);
  execFileSync("ip", ["netns", "add", NS]);
  execFileSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
});
afterAll(() => {
  if (canNs) spawnSync("ip", ["netns", "del", NS]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ROOTED || !NOBODY)("--script with -Z: plugins load after the privilege drop", () => {
  it("without -Z the probe does read /etc/shadow as root (the probe can tell)", () => {
    const p = write("probe-root.mjs", PLUGIN);
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const top = report(r.stderr.toString(), "H3TOP");
    expect(top.shadow).toBe("read");
    expect(top.uid.split(/\s+/)[0]).toBe("0");
    expect(top.noNewPrivs).toBe("0"); // the probe can tell: no_new_privs comes with -Z
  });

  it("-r with -Z nobody: top level and onStart run as nobody (EACCES on /etc/shadow, no capabilities, nobody's groups)", () => {
    const p = write("probe-file.mjs", PLUGIN);
    const r = tsniff(["-r", HTTP, "-Z", "nobody", "--script", p]);
    const err = r.stderr.toString();
    expect(r.status, err).toBe(0);
    for (const tag of ["H3TOP", "H3START"]) {
      const s = report(err, tag);
      expect(s.shadow).toBe("EACCES");
      expect(s.uid.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY_UID)));
      expect(s.gid.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY_GID)));
      expect(s.groups.split(/\s+/).filter(Boolean)).not.toContain("0");
      expect(BigInt("0x" + s.capEff)).toBe(0n);
      expect(BigInt("0x" + s.capPrm)).toBe(0n);
      expect(BigInt("0x" + s.capAmb)).toBe(0n);
      expect(s.noNewPrivs).toBe("1"); // no set-user-ID way back for what the plugin starts
    }
    const stop = report(err, "H3STOP");
    expect(stop.leaked).toBe("no descriptor"); // the open at import failed: nothing opened as root to keep
    // The capture itself worked: the plugin saw every packet and the lines were printed.
    const lines = r.stdout.toString().trim().split("\n").filter(Boolean).length;
    expect(lines).toBeGreaterThan(0);
    expect(Number(stop.n)).toBe(lines);
  });

  it("a .ts plugin with -Z nobody is transpiled into a 0700 directory of nobody's", () => {
    const p = write(
      "probe-ts.ts",
      `import fs from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
const d = path.dirname(fileURLToPath(import.meta.url));
const st = fs.statSync(d);
let shadow: string = "read";
try { fs.readFileSync("/etc/shadow"); } catch (e) { shadow = (e as NodeJS.ErrnoException).code ?? "?"; }
process.stderr.write("H3TS " + JSON.stringify({ dir: d, uid: st.uid, mode: (st.mode & 0o7777).toString(8), shadow }) + "\\n");
export function onPacket(): void {}
`,
    );
    const r = tsniff(["-r", HTTP, "-Z", "nobody", "--script", p]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const s = report(r.stderr.toString(), "H3TS");
    expect(s.dir).not.toBe(dir); // it ran from the transpiled copy
    expect(Number(s.uid)).toBe(NOBODY_UID);
    expect(s.mode).toBe("700");
    expect(s.shadow).toBe("EACCES");
  });

  it.skipIf(!canNs)("live -i lo with -Z nobody: the probe runs as nobody and the capture still sees the traffic", async () => {
    const p = write("probe-live.mjs", PLUGIN);
    const child = spawn("ip", ["netns", "exec", NS, process.execPath, TSNIFF, "-i", "lo", "-Z", "nobody", "-c", "20", "--script", p, "udp port 9"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const done = collect(child);
    await waitForStderr(child, "H3START", 30_000);
    execFileSync("ip", [
      "netns",
      "exec",
      NS,
      process.execPath,
      "-e",
      `const s = require("dgram").createSocket("udp4"); let k = 0; const go = () => { if (k++ >= 40) return s.close(); s.send("x", 9, "127.0.0.1", go); }; go();`,
    ]);
    const timer = setTimeout(() => child.kill("SIGINT"), 20_000);
    const r = await done;
    clearTimeout(timer);
    expect(r.code, r.stderr).toBe(0);
    const top = report(r.stderr, "H3TOP");
    expect(top.shadow).toBe("EACCES");
    expect(top.uid.split(/\s+/)[0]).toBe(String(NOBODY_UID));
    expect(BigInt("0x" + top.capEff)).toBe(0n);
    expect(report(r.stderr, "H3START").shadow).toBe("EACCES");
    expect(report(r.stderr, "H3STOP").n).toBe(20);
    expect(r.stderr).toMatch(/^20 packets captured$/m);
  });

  it("a plugin the -Z user can't read: one line saying so (not 'No such file'), exit 1", () => {
    const d = path.join(dir, "private");
    fs.mkdirSync(d, { mode: 0o700 });
    fs.chmodSync(d, 0o700);
    const p = path.join(d, "p.mjs");
    fs.writeFileSync(p, "export function onPacket() {}\n");
    const r = tsniff(["-r", HTTP, "-Z", "nobody", "--script", p]);
    expect(r.status).toBe(1);
    const err = r.stderr.toString().split("\n").filter((l) => l && !l.startsWith("reading from file"));
    expect(err).toEqual([`tsniff: ${p}: Permission denied for user nobody: with -Z plugins load after the drop, so the file and every directory above it must be readable by nobody`]);
  });

  it("a plugin owned by nobody is refused as root, accepted with -Z nobody (it runs as nobody then)", () => {
    const p = write("owned-by-nobody.mjs", PLUGIN);
    fs.chownSync(p, NOBODY_UID, NOBODY_GID);
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status).toBe(1);
    const err = r.stderr.toString();
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain(`${p}: refusing to load the plugin: ${p} belongs to nobody (uid ${NOBODY_UID})`);
    expect(err).not.toContain("H3TOP"); // never ran
    const z = tsniff(["-r", HTTP, "-Z", "nobody", "--script", p]);
    expect(z.status, z.stderr.toString()).toBe(0);
    expect(report(z.stderr.toString(), "H3TOP").shadow).toBe("EACCES");
  });
});

describe("plugin files others could change are refused (trust.ts)", () => {
  const me = process.geteuid?.() ?? 0;
  const plain = write("ok.mjs", "export function onPacket() {}\n");

  it("a file writable only by its owner, in directories only root or the owner can write, is accepted", () => {
    expect(checkPluginTrust(plain)).toBe(fs.realpathSync(plain));
  });

  it("CLI: a world-writable plugin file: one line, exit 1, the plugin never runs", () => {
    const p = write("world.mjs", `process.stderr.write("RAN\\n"); export function onPacket() {}\n`, 0o666);
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status).toBe(1);
    const err = r.stderr.toString();
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain(`tsniff: ${p}: refusing to load the plugin: ${p} is writable by everyone (mode 0666); a plugin runs with the capture's privileges`);
    expect(err).toContain(me === 0 ? "may be writable only by root (see README" : "may be writable only by root or ");
    expect(err).not.toContain("RAN");
    expect(r.stdout.length).toBe(0); // refused before anything was read
  });

  it("CLI: a plugin in a world-writable directory without the sticky bit is refused", () => {
    const d = path.join(dir, "open");
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o777);
    const p = path.join(d, "p.mjs");
    fs.writeFileSync(p, `process.stderr.write("RAN\\n"); export function onPacket() {}\n`);
    const r = tsniff(["-r", HTTP, "--script", p]);
    expect(r.status).toBe(1);
    const err = r.stderr.toString();
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain(`refusing to load the plugin: ${d} is writable by everyone (mode 0777, no sticky bit)`);
    expect(err).not.toContain("RAN");
    expect(err).not.toMatch(/\n\s+at /); // no stack
  });

  it("a sticky world-writable directory (like /tmp) is accepted when the file in it is the owner's alone", () => {
    const d = path.join(dir, "sticky");
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o1777);
    const p = path.join(d, "p.mjs");
    fs.writeFileSync(p, "export function onPacket() {}\n");
    expect(checkPluginTrust(p)).toBe(fs.realpathSync(p));
    const r = tsniff(["-r", HTTP, "-c", "1", "--script", p]);
    expect(r.status, r.stderr.toString()).toBe(0);
  });

  it("a group-writable file is refused unless its group is root's", () => {
    const p = write("group.mjs", "export function onPacket() {}\n", 0o664);
    if (ROOTED) {
      fs.chownSync(p, 0, 0);
      expect(checkPluginTrust(p)).toBe(fs.realpathSync(p)); // group root: root's own
      fs.chownSync(p, 0, 12345);
    }
    expect(() => checkPluginTrust(p)).toThrow(/is writable by its group \(gid \d+\) \(mode 0664\)/);
  });

  it("a symbolic link in a world-writable directory is refused even when its target is fine", () => {
    const d = path.join(dir, "links");
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o777);
    const l = path.join(d, "link.mjs");
    fs.symlinkSync(plain, l);
    expect(() => checkPluginTrust(l)).toThrow(new RegExp(`${d} is writable by everyone`));
  });

  it("a good link to a file in a world-writable directory is refused (the real path is checked too)", () => {
    const d = path.join(dir, "target-open");
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o777);
    const t = path.join(d, "t.mjs");
    fs.writeFileSync(t, "export function onPacket() {}\n");
    const l = path.join(dir, "good-link.mjs");
    fs.symlinkSync(t, l);
    expect(() => checkPluginTrust(l)).toThrow(new RegExp(`${d} is writable by everyone`));
  });

  it("a missing file is the usual one line", () => {
    const r = tsniff(["-r", HTTP, "--script", path.join(dir, "nope.mjs")]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe(`tsniff: ${path.join(dir, "nope.mjs")}: No such file or directory\n`);
  });
});
