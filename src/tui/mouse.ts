/**
 * Mouse reporting while the TUI runs: the terminal is asked for button events (1000) in SGR encoding (1006),
 * and answers with `ESC [ < button ; column ; row M` (press) or `m` (release). Ink's input parser delivers
 * such a report as one CSI sequence, which useInput hands over without the ESC: `parseMouse` recognises it
 * before the key handler sees it. Wheel up/down are buttons 64/65 (plus modifier bits 4, 8, 16).
 * Terminals that send no reports (or a user who turned mouse mode off) simply leave the keys.
 */

/** Turns reporting on (button events, SGR encoding) / off again. */
export const MOUSE_ON = "\x1b[?1000h\x1b[?1006h";
export const MOUSE_OFF = "\x1b[?1006l\x1b[?1000l";

export interface MouseReport {
  kind: "wheel" | "press" | "release";
  /** wheel: +1 down, -1 up */
  wheel: number;
  /** button number without modifier bits (0 left, 1 middle, 2 right) */
  button: number;
  /** 0-based screen column and row */
  x: number;
  y: number;
}

const SGR = /^\x1b?\[<(\d+);(\d+);(\d+)([Mm])$/;

/** The report in one input event (with or without its ESC), or null when the input is not one. */
export function parseMouse(input: string): MouseReport | null {
  const m = SGR.exec(input);
  if (!m) return null;
  const b = Number(m[1]);
  const x = Number(m[2]) - 1;
  const y = Number(m[3]) - 1;
  const base = b & ~(4 | 8 | 16);
  if (base === 64 || base === 65) return { kind: "wheel", wheel: base === 64 ? -1 : 1, button: base, x, y };
  if (base & 32) return { kind: "release", wheel: 0, button: base & 3, x, y }; // motion: ignored as a release
  return { kind: m[4] === "M" ? "press" : "release", wheel: 0, button: base & 3, x, y };
}

/** Lines one wheel notch scrolls. */
export const WHEEL_LINES = 3;
