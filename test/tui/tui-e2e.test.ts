/**
 * End to end: the real program (`tsniff --tui -r FILE`) in a tmux session of 160x45, driven with send-keys and
 * read back with capture-pane (./tmux-helper.ts: a tmux server of its own per test, killed after it, and a
 * temporary XDG_CONFIG_HOME). The live test captures ICMP on loopback while it pings (root only).
 */
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { has, ROOT, sh } from "../helpers/run.js";
import { HTTP, TMUX, Tui } from "./tmux-helper.js";

const DNS = path.join(ROOT, "fixtures", "dns", "dns-udp.pcap");

let tui: Tui | null = null;
const t = (): Tui => tui!;
const tmux = (...args: string[]): string => t().tmux(...args);
const screen = (): string => t().screen();
const waitFor = (re: RegExp, ms = 10_000): Promise<string> => t().waitFor(re, ms);
const keys = (...ks: string[]): Promise<void> => t().keys(...ks);
/** Ink's screen is up (the plain first screen drawn before it has no help line), with http.pcap's 41 packets. */
const inkReady = (): Promise<string> => t().ready();
/** `tsniff --tui ARGS` in a 160x45 tmux session of its own (./tmux-helper.ts) */
function start(args: string[], env = ""): void {
  tui = new Tui();
  t().start(["--tui", ...args], 160, 45, env);
}

afterEach(() => {
  tui?.stop();
  tui = null;
});

describe.skipIf(!TMUX)("tsniff --tui in tmux", () => {
  it("shows the packets of a file, the detail tree and the bytes; q quits", async () => {
    start(["-r", HTTP]);
    const s = await inkReady();
    expect(s).toMatch(/No\.\s+Time\s+Source\s+Destination\s+Protocol\s+Length\s+Info/);
    expect(s).toMatch(/^\s+1 0\.000000\s+10\.202\.0\.1\s+10\.202\.0\.2\s+TCP\s+74 50206 → 80 \[SYN\] Seq=0 Win=64240 Len=0 /m);
    expect(s).toMatch(/^\s+4 0\.028568\s+10\.202\.0\.1\s+10\.202\.0\.2\s+HTTP\s+171 GET \/ HTTP\/1\.1$/m);
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
    const s = await waitFor(/filter: dns\.qry\.type == 28 \| shown \d+ \/ \d+ *$/m); // the pass has ended (it runs in a worker thread)
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
    await inkReady();
    await keys("?");
    const s = await waitFor(/tsniff TUI: keys/);
    expect(s).toContain("display filter");
    expect(s).toContain("save the shown packets");
    await keys("x");
    await waitFor(/▸ Frame 1:/);
  });

  it("draws the first screen before Ink, from the bundle when it is built", async () => {
    const trace = path.join(os.tmpdir(), `tsniff-tui-trace-${process.pid}`);
    start(["-r", HTTP], `TSNIFF_TUI_TRACE=${trace}`);
    await inkReady();
    await keys("q");
    await waitFor(/tui exited with 0/);
    const t = fs.readFileSync(trace, "utf8");
    fs.rmSync(trace, { force: true });
    expect(t).toMatch(/^first screen \(plain ANSI\) \d+ ms after the process started/m);
    // npm run build makes the bundle (with esbuild installed, as after npm ci); a later tsc-only build makes it
    // stale, and then the modules load one by one
    const launch = path.join(ROOT, "dist", "tuib", "launch.js");
    const fresh =
      fs.existsSync(launch) &&
      (JSON.parse(fs.readFileSync(path.join(ROOT, "dist", "tuib", "inputs.json"), "utf8")) as string[]).every((f) => fs.statSync(path.join(ROOT, f)).mtimeMs <= fs.statSync(launch).mtimeMs);
    expect(t).toMatch(fresh ? /TUI modules loaded .* from the bundle$/m : /TUI modules loaded .* from dist\/tui$/m);
  });

  it("follows the selected packet's TCP stream with s, both directions coloured, hex with x", async () => {
    start(["-r", HTTP]);
    await inkReady();
    await keys("j", "j", "j", "s");
    const s = await waitFor(/Follow TCP 10\.202\.0\.1:50206 ⇄ 10\.202\.0\.2:80 {2}\[text\]/);
    expect(s).toContain("10.202.0.1:50206 → 10.202.0.2:80: 11 packets, 631 bytes");
    expect(s).toMatch(/^GET \/ HTTP\/1\.1$/m);
    expect(s).toMatch(/^HTTP\/1\.1 200 OK$/m);
    // colours as the terminal has them: the client's lines red (31), the server's blue (34)
    const coloured = tmux("capture-pane", "-p", "-e", "-t", "main");
    expect(coloured).toMatch(/\x1b\[31mGET \/ HTTP\/1\.1/);
    expect(coloured).toMatch(/\x1b\[34mHTTP\/1\.1 200 OK/);
    await keys("x");
    await waitFor(/^00000000 {2}47 45 54 20 2f 20 48 54 {2}54 50 2f 31 2e 31 0d 0a {2}GET \/ HTTP\/1\.1\.\.$/m);
    await keys("Escape");
    await waitFor(/▸ Frame 4: 171 bytes on wire/);
  });

  it("shows conversations with c (as tshark -z conv,tcp) and the protocol hierarchy with H", async () => {
    start(["-r", HTTP]);
    await inkReady();
    await keys("c");
    const s = await waitFor(/TCP conversations/);
    expect(s).toMatch(/10\.202\.0\.1:50206\s+10\.202\.0\.2:80\s+10\s+5614\s+11\s+1365\s+21\s+6979\s+0\.000000000\s+0\.1251/);
    expect(s).toMatch(/10\.202\.0\.1:51208\s+10\.202\.0\.2:8000\s+4\s+521\s+6\s+514\s+10\s+1035\s+0\.142571000\s+0\.0198/);
    await keys("Tab");
    await waitFor(/Address A:Port/);
    await keys("q");
    await waitFor(/▸ Frame 1:/);
    await keys("H");
    const h = await waitFor(/^ {4}tcp\s+41\s+9049$/m);
    expect(h).toMatch(/^eth\s+41\s+9049$/m);
    expect(h).toMatch(/^ {2}ip\s+41\s+9049$/m);
    await keys("q", "q");
    await waitFor(/tui exited with 0/);
  });

  it("turns mouse reports on, scrolls with the wheel, selects with a click, and turns them off on exit", async () => {
    start(["-r", HTTP]);
    await inkReady();
    expect(tmux("display", "-p", "-t", "main", "#{mouse_standard_flag} #{mouse_sgr_flag}").trim()).toBe("1 1");
    // wheel down twice (SGR button 65) as raw bytes, the way a terminal sends them: 3 rows each
    const wheelDown = Buffer.from("\x1b[<65;40;10M").toString("hex").match(/../g)!;
    tmux("send-keys", "-t", "main", "-H", ...wheelDown);
    tmux("send-keys", "-t", "main", "-H", ...wheelDown);
    await waitFor(/▸ Frame 7: /);
    tmux("send-keys", "-t", "main", "-l", "\x1b[<64;40;10M"); // wheel up
    await waitFor(/▸ Frame 4: /);
    tmux("send-keys", "-t", "main", "-l", "\x1b[<0;40;3M"); // left click on screen row 3: packet 2
    await waitFor(/▸ Frame 2: /);
    // nothing of the reports was read as keys (no prompt, no help)
    expect(screen()).toMatch(/q quit {2}\? help/);
    await keys("q");
    await waitFor(/tui exited with 0/);
    expect(tmux("display", "-p", "-t", "main", "#{mouse_standard_flag} #{mouse_sgr_flag} #{alternate_on}").trim()).toBe("0 0 0");
  });

  it("gives the terminal back (mouse off, main screen) when killed by a signal", async () => {
    start(["-r", HTTP]);
    await inkReady();
    const pane = tmux("list-panes", "-t", "main", "-F", "#{pane_pid}").trim();
    const pid = spawnSync("pgrep", ["-P", pane, "-f", "tsniff"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
    expect(pid).toMatch(/^\d+$/);
    process.kill(Number(pid), "SIGTERM");
    await waitFor(/tui exited with \d+/);
    expect(tmux("display", "-p", "-t", "main", "#{mouse_standard_flag} #{mouse_sgr_flag} #{alternate_on}").trim()).toBe("0 0 0");
  });

  it("re-lays out when the terminal is resized", async () => {
    start(["-r", HTTP]);
    await inkReady();
    tmux("resize-window", "-t", "main", "-x", "100", "-y", "24");
    // the status bar moves to the last line of the 24-line screen (one is left free), the list header stays first
    // (tmux keeps the old frame's bottom lines when it shrinks the pane: wait for the new frame's cut help line)
    const small = await waitFor(/^\s+No\.\s+Time(?:.*\n){21}q quit {2}\? help .*…\n.*shown 41 \/ 41/);
    const lines = small.split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(lines[21]).toMatch(/q quit {2}\? help .*…$/); // the help line is cut to the new width
    expect(lines[0]).toMatch(/^\s+No\.\s+Time\s+Source/);
    expect(small).toContain("── Detail");
    tmux("resize-window", "-t", "main", "-x", "160", "-y", "45");
    const big = await waitFor(/^(?:.*\n){43}.*shown 41 \/ 41/);
    expect(big).toMatch(/^ +17 \d+\.\d{6} /m); // more rows fit again
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

  it.skipIf(process.getuid?.() !== 0 || !has("ping"))("live: the packets/s and drops bar above the help line, a sparkline of the last seconds", async () => {
    start(["-i", "lo", "icmp"]);
    await waitFor(/live lo \| capture: icmp \| shown 0 \/ 0/);
    sh("ping", ["-c", "10", "-i", "0.2", "127.0.0.1"]);
    // seconds with packets drawn as bars (scaled to the peak), the rate, the peak and the drops
    // (10 ICMP packets a second for 2 s: a second with at least 4 of them is seen whatever the timer's phase)
    const s = await waitFor(/^pkt\/s [ ▁▂▃▄▅▆▇█]*█[ ▁▂▃▄▅▆▇█]* \d+ now, peak (?:[4-9]|[1-9]\d+) \| dropped 0 *$/m);
    const l = s.split("\n").map((x) => x.trimEnd());
    const bar = l.findIndex((x) => x.startsWith("pkt/s "));
    expect(l[bar + 1]).toMatch(/^q quit {2}\? help/);
    expect(l[bar + 2]).toMatch(/^live lo \| capture: icmp \| shown \d+ \/ \d+ \| \d+ pkt\/s \| dropped 0/);
    await keys("q");
    await waitFor(/Discard it and quit\? \(y\/n\)/);
    await keys("y");
    await waitFor(/tui exited with 0/);
  });

  it.skipIf(process.getuid?.() !== 0)("follows a UDP stream and shows its conversation in a live capture (read back from the spool)", async () => {
    const port = 20000 + (process.pid % 20000);
    start(["-i", "lo", `udp port ${port}`]);
    await waitFor(new RegExp(`live lo \\| capture: udp port ${port} \\| shown 0 / 0`));
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    const from = sock.address().port;
    for (let i = 1; i <= 3; i++) {
      await new Promise<void>((r) => sock.send(`hello ${i}\x1b[2J\n`, port, "127.0.0.1", () => r()));
      await new Promise((r) => setTimeout(r, 50));
    }
    sock.close();
    await waitFor(/shown 3 \/ 3/);
    await keys("g", "s");
    const s = await waitFor(new RegExp(`Follow UDP 127\\.0\\.0\\.1:${from} ⇄ 127\\.0\\.0\\.1:${port}`));
    await waitFor(/^hello 3\\x1b\[2J$/m);
    expect(s).toMatch(/^hello 1\\x1b\[2J$/m);
    expect(screen()).toContain(`127.0.0.1:${from} → 127.0.0.1:${port}: 3 packets, 36 bytes`); // "hello N" ESC "[2J" LF: 12 bytes each
    await keys("Escape", "c", "Tab");
    const c = await waitFor(new RegExp(`127\\.0\\.0\\.1:${from}\\s+127\\.0\\.0\\.1:${port}\\s+0\\s+0\\s+3\\s+`));
    expect(c).toContain("UDP conversations");
    await keys("q", "q");
    await waitFor(/Discard it and quit\? \(y\/n\)/);
    await keys("y");
    await waitFor(/tui exited with 0/);
  });
});
