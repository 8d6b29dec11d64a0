/**
 * `tsniff` with no arguments: on a terminal (tmux: stdin and stdout are TTYs) it opens the TUI, capturing live
 * on the default interface, the one `tcpdump -D` lists first; with stdout not a terminal it does what tcpdump
 * does (captures on that interface and prints lines, "listening on ..." on stderr).
 */
import { spawn, spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { has, TSNIFF } from "../helpers/run.js";
import { TMUX, Tui } from "./tmux-helper.js";

let tui: Tui | null = null;
afterEach(() => {
  tui?.stop();
  tui = null;
});

const first = () => /^1\.(\S+)/.exec(spawnSync("tcpdump", ["-D"], { encoding: "utf8" }).stdout)?.[1] ?? "";

describe.skipIf(!TMUX || !has("tcpdump") || process.getuid?.() !== 0)("tsniff with no arguments (issue 17)", () => {
  it("on a terminal opens the TUI live on tcpdump's default interface", async () => {
    const dev = first();
    expect(dev).not.toBe("");
    tui = new Tui();
    tui.start([]);
    const s = await tui.waitFor(/q quit {2}\? help/);
    const lines = s.split("\n").map((l) => l.trimEnd());
    const status = lines.filter((l) => l).pop()!;
    expect(status).toMatch(new RegExp(`^live ${dev} \\| shown [\\d,]+ / [\\d,]+ \\| [\\d,]+ pkt/s \\| dropped [\\d,]+`));
    expect(lines[0]).toMatch(/^ {5}No\. Time {9}Source/);
    await tui.keys("q");
    const end = await tui.waitFor(/tui exited with \d+|Discard it and quit\? \(y\/n\)/);
    if (/Discard/.test(end)) await tui.keys("y");
    await tui.waitFor(/tui exited with 0/);
  });

  it("not on a terminal captures on that interface and prints lines, as tcpdump does", async () => {
    const dev = first();
    const p = spawn(process.execPath, [TSNIFF], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    const t0 = Date.now();
    while (!/listening on.*\n/.test(err) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    p.kill("SIGTERM");
    const code = await new Promise((r) => p.on("close", r));
    // tcpdump's two lines: "tcpdump: verbose output suppressed, ..." then "listening on eth0, link-type ..."
    expect(err.split("\n")[0]).toBe("tsniff: verbose output suppressed, use -v[v]... for full protocol decode");
    expect(err.split("\n")[1]).toMatch(new RegExp(`^listening on ${dev}, link-type `));
    expect(err).not.toContain("\x1b[");
    expect(code).toBe(0);
  });
});
