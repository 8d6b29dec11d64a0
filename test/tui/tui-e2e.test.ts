/**
 * End to end: the real program (`tsniff --tui -r FILE`) in a tmux session of 160x45, driven with send-keys and
 * read back with capture-pane. Each test kills its tmux server. The live test captures ICMP on loopback while
 * it pings (root only).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { has, ROOT, sh, TSNIFF } from "../helpers/run.js";

const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");
const DNS = path.join(ROOT, "fixtures", "dns", "dns-udp.pcap");
const TMUX = has("tmux");

let session = "";

/** Each test has its own tmux server (-L): killing it touches no other tmux session on the machine. */
function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-L", session, ...args], { encoding: "utf8" });
  return r.stdout;
}

function screen(): string {
  return tmux("capture-pane", "-p", "-t", session);
}

async function waitFor(re: RegExp, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  let s = "";
  while (Date.now() < end) {
    s = screen();
    if (re.test(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`screen never matched ${re}:\n${s}`);
}

/** Sends keys one at a time (tmux would otherwise deliver Esc+key as Alt-key). */
async function keys(...ks: string[]): Promise<void> {
  for (const k of ks) {
    tmux("send-keys", "-t", session, k);
    await new Promise((r) => setTimeout(r, 60));
  }
}

function start(args: string[]): void {
  session = `tsniff-tui-${process.pid}-${Date.now()}`;
  const cmd = [process.execPath, TSNIFF, "--tui", ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", `TZ=UTC ${cmd}; echo "tui exited with $?"; sleep 30`);
}

afterEach(() => {
  if (session) tmux("kill-server");
  session = "";
});

describe.skipIf(!TMUX)("tsniff --tui in tmux", () => {
  it("shows the packets of a file, the detail tree and the bytes; q quits", async () => {
    start(["-r", HTTP]);
    const s = await waitFor(/shown 41 \/ 41/);
    expect(s).toMatch(/No\.\s+Time\s+Source\s+Destination\s+Protocol\s+Length\s+Info/);
    expect(s).toMatch(/^\s+1 0\.000000\s+10\.202\.0\.1\s+10\.202\.0\.2\s+TCP\s+74 Flags \[S\]/m);
    expect(s).toMatch(/^\s+4 0\.028568\s+10\.202\.0\.1\s+10\.202\.0\.2\s+HTTP\s+171 HTTP: GET \/ HTTP\/1\.1/m);
    expect(s).toContain("▸ Frame 1: 74 bytes on wire");
    expect(s).toContain("▸ Internet Protocol Version 4");
    expect(s).toMatch(/^0000  02 00 0a ca 00 02 02 00  0a ca 00 01 08 00 45 00  \.+E\./m);
    await keys("j", "j", "j");
    await waitFor(/▸ Frame 4: 171 bytes on wire/);
    await keys("q");
    await waitFor(/tui exited with 0/);
  });

  it("applies a display filter typed after /, and shows an error for a bad one", async () => {
    start(["-r", DNS]);
    const first = await waitFor(/shown (\d+) \/ \1\b/);
    const total = Number(/shown (\d+) \//.exec(first)![1]);
    await keys("/", "dns.qry.type == 28", "Enter");
    const s = await waitFor(/filter: dns\.qry\.type == 28 \| shown \d+ \//);
    const shown = Number(/shown (\d+) \//.exec(s)![1]);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(total);
    const rows = s.split("\n").filter((l) => /^\s+\d+ \d+\.\d{6} /.test(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toMatch(/AAAA/);
    await keys("/", "C-u", "dns.nosuch", "Enter");
    await waitFor(/display filter error at 1/);
    await keys("Escape");
    await waitFor(/q quit {2}\? help/);
  });

  it("opens the help overlay with ? and closes it with any key", async () => {
    start(["-r", HTTP]);
    await waitFor(/shown 41 \/ 41/);
    await keys("?");
    const s = await waitFor(/tsniff TUI: keys/);
    expect(s).toContain("display filter");
    expect(s).toContain("save the shown packets");
    await keys("x");
    await waitFor(/▸ Frame 1:/);
  });

  it.skipIf(process.getuid?.() !== 0 || !has("ping"))("captures live on loopback, follows the tail, and asks before discarding", async () => {
    start(["-i", "lo", "icmp"]);
    await waitFor(/live lo \| capture: icmp \| shown 0 \/ 0/);
    sh("ping", ["-c", "3", "-i", "0.2", "127.0.0.1"]);
    // At least our 6 packets (other tests may ping loopback at the same time).
    const s = await waitFor(/shown ([6-9]|\d\d+) \/ \1 \| .*following .*unsaved/);
    expect(s).toMatch(/^\s+\d+ \d+\.\d{6}\s+127\.0\.0\.1\s+127\.0\.0\.1\s+ICMP\s+98 ICMP echo request, id \d+, seq 1/m);
    expect(s).toMatch(/^\s+\d+ \d+\.\d{6}\s+127\.0\.0\.1\s+127\.0\.0\.1\s+ICMP\s+98 ICMP echo reply, id \d+, seq 3/m);
    await keys("q");
    await waitFor(/Discard it and quit\? \(y\/n\)/);
    await keys("y");
    await waitFor(/tui exited with 0/);
  });
});
