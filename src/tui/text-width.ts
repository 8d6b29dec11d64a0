/**
 * The display width of the text Ink measures, fast, for the characters the TUI's screen is made of.
 *
 * Ink measures every line of text it lays out and truncates (string-width, through widest-line, cli-truncate
 * and its output grid). string-width answers printable ASCII at once but segments anything else into
 * graphemes with Intl.Segmenter and tests each against Unicode property regexes: a packet row with a `→`
 * (every TCP/UDP Info), a separator of `─` or a tree line with `▸` took that path, and the first frame spent
 * about half its time there (issue #17: 0.3-0.4 s of Ink's first frame on a loaded machine, the ICU segmenter's
 * first use included; every row scrolled in paid it again).
 *
 * narrowWidth answers the width of a string made only of characters that are one column wide and one
 * UTF-16 unit each (no combining marks, no emoji, no East Asian wide or zero-width ones): printable ASCII,
 * Latin-1 and Latin extended letters, general punctuation, arrows, box drawing, block elements and geometric
 * shapes. Anything else answers -1: the caller asks string-width. scripts/bundle.mjs puts it in front of
 * string-width in the TUI's bundle; test/tui/text-width checks every character of the set against
 * string-width itself.
 */

/** One-column characters: see above. Left out: U+00AD (soft hyphen, zero width), U+2028/2029, and the
 * characters string-width counts as emoji (two columns): U+00A9, U+00AE, U+203C, U+2049, U+25AA/25AB,
 * U+25B6, U+25C0, U+25FB-25FE. */
export const NARROW = /^[\u0020-\u007e\u00a0-\u00a8\u00aa-\u00ac\u00af-\u02ff\u2010-\u2027\u2030-\u203b\u203d-\u2048\u204a-\u205e\u2190-\u2193\u2500-\u25a9\u25ac-\u25b5\u25b7-\u25bf\u25c1-\u25fa]*$/;

/** The width of `s` when every character is in NARROW (the string's length), else -1. */
export function narrowWidth(s: unknown, options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }): number {
  if (typeof s !== "string") return -1;
  if (options && options.ambiguousIsNarrow === false) return -1; // ambiguous characters (box drawing...) count two
  return NARROW.test(s) ? s.length : -1;
}

/** NARROW's characters and ESC (the SGR sequences Ink's lines carry). */
const NARROW_OR_ESC = /^[\u001b\u0020-\u007e\u00a0-\u00a8\u00aa-\u00ac\u00af-\u02ff\u2010-\u2027\u2030-\u203b\u203d-\u2048\u204a-\u205e\u2190-\u2193\u2500-\u25a9\u25ac-\u25b5\u25b7-\u25bf\u25c1-\u25fa]*$/;

/**
 * The grapheme clusters of `s` as Intl.Segmenter's segment() iterates them ({segment, index}), without ICU,
 * when every character of `s` is in NARROW or is ESC: each UTF-16 unit is then a cluster of its own (no
 * combining marks, joiners, CR LF or surrogates among them). null for any other string. The object each step
 * answers is reused: the caller destructures it at once (ansi-tokenize's tokenize, in the TUI's bundle).
 */
export function narrowSegments(s: string): Iterable<{ segment: string; index: number }> | null {
  if (!NARROW_OR_ESC.test(s)) return null;
  let i = 0;
  const item = { segment: "", index: 0 };
  const step = { value: item, done: false };
  const end = { value: undefined, done: true } as const;
  const it: IterableIterator<{ segment: string; index: number }> = {
    [Symbol.iterator]: () => it,
    next: () => {
      if (i >= s.length) return end as unknown as IteratorResult<{ segment: string; index: number }>;
      item.segment = s[i];
      item.index = i++;
      return step;
    },
  };
  return it;
}
