/**
 * The TUI's config directory, `$XDG_CONFIG_HOME/tsniff` (`~/.config/tsniff` when XDG_CONFIG_HOME is unset or
 * not absolute, as the XDG spec says):
 *
 *   tui.json         {"columns": [...], "colouring": [...], "split": N}: the packet list's columns (built-in
 *                    names or field names as -e takes them), the user's colouring rules (./colouring.ts) and
 *                    the rows + and - gave the list (more, or fewer when negative, than the default layout)
 *   filter-history   the display filters applied, one a line, newest last (at most HISTORY_MAX)
 *
 * A missing file is the defaults; an unreadable or malformed one is reported on the status line (never a
 * crash) and left as it is until the user changes something. Writes go to a temporary file renamed over the
 * old one, so an interrupted write never leaves half a file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileRules } from "./colouring.js";

export const HISTORY_MAX = 200;

export interface TuiConfig {
  columns?: string[];
  colouring?: unknown[];
  split?: number;
  [k: string]: unknown;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const x = env.XDG_CONFIG_HOME;
  const base = x && path.isAbsolute(x) ? x : path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "tsniff");
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Reads tui.json: the config ({} when there is none) and an error text ("" when none). */
export function loadConfig(dir = configDir()): { config: TuiConfig; error: string } {
  const file = path.join(dir, "tui.json");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { config: {}, error: "" };
    return { config: {}, error: `cannot read ${file}: ${(e as Error).message}` };
  }
  try {
    const c = JSON.parse(text) as unknown;
    if (!c || typeof c !== "object" || Array.isArray(c)) throw new Error("not a JSON object");
    const cfg = c as TuiConfig;
    if (cfg.columns !== undefined && !Array.isArray(cfg.columns)) throw new Error('"columns" is not a list');
    if (cfg.colouring !== undefined && !Array.isArray(cfg.colouring)) throw new Error('"colouring" is not a list');
    if (cfg.split !== undefined && !Number.isInteger(cfg.split)) throw new Error('"split" is not a whole number');
    return { config: cfg, error: "" };
  } catch (e) {
    return { config: {}, error: `${file}: ${(e as Error).message}` };
  }
}

/** Writes tui.json; returns an error text or "". */
export function saveConfig(config: TuiConfig, dir = configDir()): string {
  try {
    writeAtomic(path.join(dir, "tui.json"), JSON.stringify(config, null, 2) + "\n");
    return "";
  } catch (e) {
    return `cannot save the config: ${(e as Error).message}`;
  }
}

export function loadHistory(dir = configDir()): string[] {
  try {
    return fs
      .readFileSync(path.join(dir, "filter-history"), "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .slice(-HISTORY_MAX);
  } catch {
    return [];
  }
}

export function saveHistory(lines: string[], dir = configDir()): string {
  try {
    writeAtomic(path.join(dir, "filter-history"), lines.slice(-HISTORY_MAX).join("\n") + "\n");
    return "";
  } catch (e) {
    return `cannot save the filter history: ${(e as Error).message}`;
  }
}

/**
 * Gives a model the user's config: its columns, and a hook that saves them (keeping the file's other keys).
 * Returns the config read, for the other parts that use it.
 */
export function configureModel(m: import("./model.js").Model, dir = configDir()): TuiConfig {
  const { config, error } = loadConfig(dir);
  if (config.columns) m.loadColumns(config.columns);
  if (config.split !== undefined) m.split = config.split;
  const rules = compileRules(config.colouring ?? []);
  m.setColourRules(rules);
  const bad = rules.skipped.filter((s) => s.user);
  if (bad.length) m.status.message = `colouring rules left out: ${bad.map((s) => `${s.name} (${s.reason})`).join(", ")}`;
  if (error) m.status.message = error;
  m.history = loadHistory(dir);
  m.onHistory = (lines) => saveHistory(lines, dir);
  m.onConfig = (columns) => {
    const now = loadConfig(dir);
    if (now.error) return `${now.error}: not overwritten`;
    return saveConfig({ ...now.config, columns }, dir);
  };
  m.onSplit = (split) => {
    const now = loadConfig(dir);
    if (now.error) return `${now.error}: not overwritten`;
    return saveConfig({ ...now.config, split }, dir);
  };
  return config;
}
