/**
 * End to end (tmux): the display filter bar. Red while the text does not compile, green once it does (read
 * with capture-pane -e: SGR 31 / 32 before the text), completion with Tab, cursor editing, and the history kept
 * across runs in $XDG_CONFIG_HOME/tsniff/filter-history.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HTTP, TMUX, Tui } from "./tmux-helper.js";

let tui: Tui | null = null;
afterEach(() => {
  tui?.stop();
  tui = null;
});

/** The prompt line (the one above the status bar), with its escapes when asked. */
function promptLine(t: Tui, escapes = false): string {
  const l = (escapes ? t.tmux("capture-pane", "-e", "-p", "-t", "main") : t.screen()).split("\n");
  let i = l.length - 1;
  while (i > 0 && !/shown \d+ \/ \d+/.test(l[i])) i--;
  return l[i - 1] ?? "";
}

async function prompt(t: Tui, re: RegExp): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const p = promptLine(t);
    if (re.test(p)) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`prompt never matched ${re}:\n${t.screen()}`);
}

describe.skipIf(!TMUX)("tsniff --tui filter bar (issue 17)", () => {
  it("colours, completes, edits at the cursor, and keeps its history across runs", async () => {
    tui = new Tui();
    tui.start(["--tui", "-r", HTTP], 120, 30);
    await tui.ready();
    await tui.keys("/");
    await tui.type("tcp.po");
    expect((await prompt(tui, /tcp\.po/)).trimEnd()).toBe("display filter: tcp.po   tcp.port");
    expect(promptLine(tui, true)).toContain("\x1b[31mtcp.po"); // red: not a filter yet
    await tui.keys("Tab");
    await tui.type("== 80");
    expect((await prompt(tui, /== 80/)).trimEnd()).toBe("display filter: tcp.port == 80");
    expect(promptLine(tui, true)).toContain("\x1b[32mtcp.port == 80"); // green: compiles
    // cursor editing: Home, Right x4, Ctrl-K leaves "tcp."; End; Ctrl-A then typing inserts at the start
    await tui.keys("Home", "Right", "Right", "Right", "Right", "C-k");
    expect(await prompt(tui, /: tcp\. /)).toMatch(/^display filter: tcp\. {3}tcp\.ack tcp\.ack_raw /); // and the names it may go on to
    await tui.keys("C-u");
    await tui.type("udp");
    await tui.keys("C-a");
    await tui.type("!");
    await tui.keys("C-e");
    await tui.type(" or tcp.stream eq 1");
    expect((await prompt(tui, /stream eq 1/)).trimEnd()).toBe("display filter: !udp or tcp.stream eq 1");
    await tui.keys("C-w", "C-w");
    expect((await prompt(tui, /tcp\.stream/)).trimEnd()).toBe("display filter: !udp or tcp.stream");
    await tui.keys("C-w", "C-w", "C-w");
    await tui.type("tcp.port == 80");
    await tui.keys("Enter");
    await tui.waitFor(/filter: tcp\.port == 80 \| shown 21 \/ 41/);
    expect(fs.readFileSync(path.join(tui.config, "tsniff", "filter-history"), "utf8")).toBe("tcp.port == 80\n");
    await tui.keys("/", "C-u");
    await tui.type("tcp.flags.syn == 1");
    await tui.keys("Enter");
    await tui.waitFor(/filter: tcp\.flags\.syn == 1 \| shown 6 \/ 41/);
    await tui.keys("q");
    await tui.waitFor(/tui exited with 0/);
    tui.stop(true);

    tui = new Tui(tui.config);
    tui.start(["--tui", "-r", HTTP], 120, 30);
    await tui.ready();
    await tui.keys("/");
    await tui.type("ud");
    await tui.keys("Up");
    expect((await prompt(tui, /syn/)).trimEnd()).toBe("display filter: tcp.flags.syn == 1");
    await tui.keys("Up");
    expect((await prompt(tui, /port/)).trimEnd()).toBe("display filter: tcp.port == 80");
    await tui.keys("Down", "Down");
    const back = (await prompt(tui, /: ud /)).trimEnd();
    expect(back).toMatch(/^display filter: ud {3}\S/);
    const hints = back.slice("display filter: ud   ".length).split(" ");
    expect(hints).toContain("udp");
    for (const h of hints) expect(h.startsWith("ud") || h.endsWith("…")).toBe(true);
    await tui.keys("Escape", "q");
    await tui.waitFor(/tui exited with 0/);
  });
});
