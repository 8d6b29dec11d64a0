/**
 * Faster text handling for Ink's frames in the TUI's bundle (scripts/bundle.mjs applies it; issue #17: Ink's
 * first frame of the packet list took 0.5-1 s on a loaded 2-core machine, most of it here). Each patch keeps
 * the package's results identical (test/tui/text-width checks them against the unpatched packages):
 *
 *   string-width/index.js           one-column text (src/tui/text-width.ts narrowWidth) answered without
 *                                   the grapheme segmenter
 *   @alcalzone/ansi-tokenize
 *     tokenize.js                   such text (and its SGR sequences) split one UTF-16 unit at a time instead
 *                                   of by Intl.Segmenter (narrowSegments)
 *     styledChars.js                characters of one style share one array of codes (it is replaced, never
 *                                   changed, when a code comes), and two neighbours with the same array need
 *                                   no diff: Ink's grid of a 160x45 screen made ~7,000 arrays and ~21,000 Sets
 *                                   per frame
 *
 * patchInkText(file, text, textWidthUrl) answers the patched text of a file it knows, or null for any other;
 * a file it knows whose text no longer has what a patch replaces is left as it is, with a warning.
 */
import path from "node:path";

const PATCHES = [
  {
    file: /[\\/]string-width[\\/]index\.js$/,
    edits: [[/export default function stringWidth\(/, "function stringWidthFull("]],
    tail: (u) => `\nimport { narrowWidth as tsniffNarrowWidth } from ${JSON.stringify(u)};\nexport default function stringWidth(s, o) {\n  const n = tsniffNarrowWidth(s, o);\n  return n >= 0 ? n : stringWidthFull(s, o);\n}\n`,
  },
  {
    file: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize\.js$/,
    edits: [[/of segmenter\.segment\(str\)\)/, "of (tsniffNarrowSegments(str) ?? segmenter.segment(str)))"]],
    tail: (u) => `\nimport { narrowSegments as tsniffNarrowSegments } from ${JSON.stringify(u)};\n`,
  },
  {
    file: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]styledChars\.js$/,
    edits: [
      [/styles: \[\.\.\.codes\],/, "styles: codes,"],
      [/ret \+= ansiCodesToString\(diffAnsiCodes\(chars\[i - 1\]\.styles, char\.styles\)\);/, "if (chars[i - 1].styles !== char.styles) ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));"],
    ],
    tail: () => "",
  },
];

export function patchInkText(file, text, textWidthUrl) {
  const p = PATCHES.find((x) => x.file.test(file));
  if (!p) return null;
  let out = text;
  for (const [re, to] of p.edits) {
    if (!re.test(out)) {
      console.error(`bundle: ${path.basename(path.dirname(file))}/${path.basename(file)} no longer has ${re}: left as it is (slower TUI frames)`);
      return null;
    }
    out = out.replace(re, to);
  }
  return out + p.tail(textWidthUrl);
}

/** The files patchInkText knows (for esbuild's onLoad filter). */
export const INK_TEXT_FILES = /[\\/](string-width[\\/]index|@alcalzone[\\/]ansi-tokenize[\\/]build[\\/](tokenize|styledChars))\.js$/;
