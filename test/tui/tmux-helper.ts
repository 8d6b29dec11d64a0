/**
 * The TUI's end-to-end tests' driver: the real program (`tsniff --tui ...`) in a tmux session of a given size,
 * on a tmux server of its own (-L, killed by stop(), which removes its socket too), with XDG_CONFIG_HOME set to a temporary directory so the
 * user's config is never read or written. Keys are sent one at a time (tmux would otherwise deliver Esc+key as
 * Alt-key); the screen is read back with capture-pane.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has, ROOT, TSNIFF } from "../helpers/run.js";

export const TMUX = has("tmux");
export const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");

export class Tui {
  readonly session = `ts-tui-x-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  readonly config: string;
  constructor(config?: string) {
    this.config = config ?? fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tui-xdg-"));
  }
  tmux(...args: string[]): string {
    return spawnSync("tmux", ["-L", this.session, ...args], { encoding: "utf8" }).stdout;
  }
  start(args: string[], cols = 160, rows = 45, env = ""): void {
    const cmd = [process.execPath, TSNIFF, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
    this.tmux("new-session", "-d", "-s", "main", "-c", ROOT, "-x", String(cols), "-y", String(rows), `TZ=UTC XDG_CONFIG_HOME='${this.config}' ${env} ${cmd}; echo "tui exited with $?"; sleep 60`);
  }
  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", "main");
  }
  lines(): string[] {
    return this.screen().split("\n");
  }
  async waitFor(re: RegExp, ms = 20_000): Promise<string> {
    const end = Date.now() + ms;
    let s = "";
    while (Date.now() < end) {
      s = this.screen();
      if (re.test(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`screen never matched ${re}:\n${s}`);
  }
  async keys(...ks: string[]): Promise<void> {
    for (const k of ks) {
      this.tmux("send-keys", "-t", "main", k);
      await new Promise((r) => setTimeout(r, 80));
    }
  }
  /** Types text literally (no key names). */
  async type(text: string): Promise<void> {
    this.tmux("send-keys", "-t", "main", "-l", text);
    await new Promise((r) => setTimeout(r, 80));
  }
  /** Ink's screen is up (the plain first screen has no help line) with `n` packets. */
  ready(n = 41): Promise<string> {
    return this.waitFor(new RegExp(`q quit {2}\\? help[^\\n]*\\n.*shown ${n} / ${n}`));
  }
  stop(keepConfig = false): void {
    // tmux leaves its server's socket file behind after kill-server: remove it too (one per test otherwise)
    const socket = this.tmux("display-message", "-p", "#{socket_path}").trim();
    this.tmux("kill-server");
    if (socket.endsWith(`/${this.session}`)) fs.rmSync(socket, { force: true });
    if (!keepConfig) fs.rmSync(this.config, { recursive: true, force: true });
  }
}
