/**
 * The TUI bundle's faster text handling for Ink (scripts/ink-text-patch.mjs, src/tui/text-width.ts) must answer
 * exactly what the packages it patches answer: each patched file is written to a temporary directory and
 * loaded beside the original, and both are asked the same questions (every character of the one-column set,
 * the first screen's lines of a capture with their SGR styles, and text the fast paths must leave alone).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { firstScreenLines } from "../../src/tui/first-screen.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { NARROW, narrowWidth } from "../../src/tui/text-width.js";
import { ROOT } from "../helpers/run.js";
// @ts-expect-error a script module without types
import { patchInkText } from "../../scripts/ink-text-patch.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-text-width-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const textWidth = path.join(ROOT, "src", "tui", "text-width.ts");

// bare imports from the copies find the project's packages (and, first, those nested where the original is)
fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(tmp, "node_modules"));

/** The package directory's .js files copied to tmp/name with the patches. */
function patchedCopy(dir: string, name: string): string {
  const out = path.join(tmp, name);
  fs.mkdirSync(out, { recursive: true });
  const nested = dir.slice(0, dir.lastIndexOf(`${path.sep}node_modules${path.sep}`) + "/node_modules".length);
  if (nested !== path.join(ROOT, "node_modules") && fs.realpathSync(nested) !== fs.realpathSync(path.join(ROOT, "node_modules"))) fs.symlinkSync(nested, path.join(out, "node_modules"));
  let patched = 0;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".js"))) {
    const file = path.join(dir, f);
    let text = fs.readFileSync(file, "utf8");
    const p = patchInkText(file, text, textWidth) as string | null;
    if (p !== null) (text = p), patched++;
    fs.writeFileSync(path.join(out, f), text);
  }
  expect(patched).toBeGreaterThan(0); // the package still has what the patches replace
  return out;
}

type Width = (s: string, o?: object) => number;
const NM = path.join(ROOT, "node_modules");
const widthDirs = [path.join(NM, "string-width"), path.join(NM, "wrap-ansi", "node_modules", "string-width")].filter((d) => fs.existsSync(path.join(d, "index.js")));
const tokDir = path.join(NM, "@alcalzone", "ansi-tokenize", "build");

/** text the fast paths must leave to the packages: wide, zero-width, combining, emoji, controls, CR LF */
const HARD = ["日本語", "a\u0301b", "e\u0308", "\u00ad", "x\u200by", "👍", "👨‍👩‍👧", "1\u20e3", "\u203c", "\u25fd", "\u2028", "tab\there", "\r\n", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "\u009b31mx", "ﾃｽﾄ", "한국어"];

describe("Ink text patches (TUI bundle)", () => {
  it("string-width: every one-column character and the hard cases answer as the package does", async () => {
    expect(widthDirs.length).toBeGreaterThan(0);
    const chars: string[] = [];
    for (let c = 0; c < 0x3000; c++) if (NARROW.test(String.fromCharCode(c))) chars.push(String.fromCharCode(c));
    expect(chars.length).toBeGreaterThan(1000);
    for (const [k, dir] of widthDirs.entries()) {
      const orig = (await import(pathToFileURL(path.join(dir, "index.js")).href)).default as Width;
      const fast = (await import(pathToFileURL(path.join(patchedCopy(dir, `sw${k}`), "index.js")).href)).default as Width;
      const wrong = chars.filter((ch) => orig(ch) !== 1);
      expect(wrong.map((c) => c.charCodeAt(0).toString(16))).toEqual([]);
      for (const s of [...chars, chars.join(""), ...HARD, ...HARD.map((h) => `ab ${h} → ─`), ""]) {
        expect(fast(s), JSON.stringify(s)).toBe(orig(s));
        expect(fast(s, { ambiguousIsNarrow: false }), JSON.stringify(s)).toBe(orig(s, { ambiguousIsNarrow: false }));
        if (narrowWidth(s) >= 0) expect(narrowWidth(s)).toBe(orig(s));
      }
    }
  });

  it("ansi-tokenize: the same tokens, styled characters and strings for the first screen's lines and the hard cases", async () => {
    const file = path.join(ROOT, "fixtures", "tls", "tls.pcap");
    const index = new PacketIndex();
    await indexFile(await FileSource.open(file), index);
    const pf = new PacketFile(file, index);
    const m = new Model(new CaptureRows(index, pf));
    m.moveTo(3, false);
    const lines = firstScreenLines(m, 160, 45);
    pf.close();
    expect(lines.some((l) => l.includes("→") && l.includes("\x1b["))).toBe(true);
    const sgr = ["\x1b[1;4mhead\x1b[0m", "\x1b[38;5;0;48;5;153mrow → 80 [SYN]\x1b[0m", "\x1b[31mred\x1b[39m plain \x1b[1m\x1b[2mbold dim\x1b[22m", "\x1b[7m status \x1b[27m─── end"];
    const samples = [...lines, ...sgr, ...HARD, ...HARD.map((h) => `\x1b[32m→ ${h}\x1b[0m x`)];
    const orig = await import(pathToFileURL(path.join(tokDir, "index.js")).href);
    const fast = await import(pathToFileURL(path.join(patchedCopy(tokDir, "tok"), "index.js")).href);
    for (const s of samples) {
      const t0 = orig.tokenize(s);
      expect(fast.tokenize(s), JSON.stringify(s)).toEqual(t0);
      const c0 = orig.styledCharsFromTokens(t0);
      const c1 = fast.styledCharsFromTokens(fast.tokenize(s));
      expect(c1, JSON.stringify(s)).toEqual(c0);
      expect(fast.styledCharsToString(c1), JSON.stringify(s)).toBe(orig.styledCharsToString(c0));
      // a line cut as Ink's output cuts it
      expect(fast.styledCharsToString(c1.slice(2, 40))).toBe(orig.styledCharsToString(c0.slice(2, 40)));
    }
  });
});
