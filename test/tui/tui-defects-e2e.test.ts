/**
 * End to end, for the defects of issue 17: the real program (`tsniff --tui -r FILE`) in a tmux session of a
 * given size, driven with send-keys and read back with capture-pane. Each test has its own tmux server (-L)
 * and kills it.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { has, ROOT, TSNIFF } from "../helpers/run.js";

const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");
const TMUX = has("tmux");

let session = "";

function tmux(...args: string[]): string {
  return spawnSync("tmux", ["-L", session, ...args], { encoding: "utf8" }).stdout;
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

function start(args: string[], cols = 160, rows = 45): void {
  session = `tsniff-tuid-${process.pid}-${Date.now()}`;
  const cmd = [process.execPath, TSNIFF, "--tui", ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  tmux("new-session", "-d", "-s", session, "-x", String(cols), "-y", String(rows), `TZ=UTC ${cmd}; echo "tui exited with $?"; sleep 30`);
}

afterEach(() => {
  if (session) tmux("kill-server");
  session = "";
});

describe.skipIf(!TMUX)("tsniff --tui defects (issue 17)", () => {
  it("does not read Ctrl-W, Ctrl-S, Ctrl-Q (or Alt-letter) as the plain letter", async () => {
    start(["-r", HTTP]);
    await waitFor(/q quit {2}\? help[^\n]*\n.*shown 41 \/ 41/);
    await keys("C-w", "C-s", "C-q", "M-s", "j");
    // the j after them was read: the keys before it were too, and did nothing
    const s = await waitFor(/▸ Frame 2: /);
    expect(s).not.toContain("save shown packets to:");
    expect(s).not.toContain("Follow TCP");
    expect(s).not.toContain("tui exited");
    expect(s).toMatch(/^q quit {2}\? help/m);
    // the plain letters still work
    await keys("w");
    await waitFor(/^save shown packets to: tsniff-saved\.pcap/m);
    await keys("Escape", "q");
    await waitFor(/tui exited with 0/);
  });
});
