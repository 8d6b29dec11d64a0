/**
 * The prompts' line editing (display filter, capture filter, save path, column name): a cursor moved with
 * Left/Right/Home/End/Ctrl-A/Ctrl-E, Backspace, Ctrl-D (the character under the cursor), Ctrl-W (the word
 * before the cursor), Ctrl-U (everything before it), Ctrl-K (everything after it); and the completion of the
 * word under the cursor from a list of names (the registry's protocols and fields for a display filter).
 *
 * Ink reports both Backspace (0x7f) and Delete (ESC [3~) as `delete`: both delete the character before the
 * cursor, as most terminals' Backspace does; Ctrl-D deletes the one under it.
 */
import { allFields, allProtocols } from "../dissectors/registry.js";
import type { KeyFlags } from "./model.js";

export interface LineState {
  text: string;
  cursor: number;
}

/** Applies an editing key; returns false when the key is not one of them (the caller handles it). */
export function editLine(s: LineState, input: string, k: KeyFlags): boolean {
  const t = s.text;
  const c = Math.max(0, Math.min(t.length, s.cursor));
  if (k.leftArrow) s.cursor = Math.max(0, c - 1);
  else if (k.rightArrow) s.cursor = Math.min(t.length, c + 1);
  else if (k.home || (k.ctrl && input === "a")) s.cursor = 0;
  else if (k.end || (k.ctrl && input === "e")) s.cursor = t.length;
  else if (k.backspace || k.delete) {
    if (c > 0) {
      s.text = t.slice(0, c - 1) + t.slice(c);
      s.cursor = c - 1;
    }
  } else if (k.ctrl && input === "d") s.text = t.slice(0, c) + t.slice(c + 1);
  else if (k.ctrl && input === "w") {
    let b = c;
    while (b > 0 && t[b - 1] === " ") b--;
    while (b > 0 && t[b - 1] !== " ") b--;
    s.text = t.slice(0, b) + t.slice(c);
    s.cursor = b;
  } else if (k.ctrl && input === "u") {
    s.text = t.slice(c);
    s.cursor = 0;
  } else if (k.ctrl && input === "k") s.text = t.slice(0, c);
  else if (input && !k.ctrl && !k.meta && !k.tab && !k.upArrow && !k.downArrow && !k.escape && !k.return) {
    const ins = input.replace(/[\x00-\x1f\x7f]/g, "");
    s.text = t.slice(0, c) + ins + t.slice(c);
    s.cursor = c + ins.length;
  } else return false;
  return true;
}

/** The word the cursor is at the end of: letters, digits, '.', '_', '-' (a field or protocol name). */
export function wordAt(text: string, cursor: number): { start: number; word: string } {
  let b = cursor;
  while (b > 0 && /[A-Za-z0-9._-]/.test(text[b - 1])) b--;
  return { start: b, word: text.slice(b, cursor) };
}

let names: string[] | null = null;
/** Every protocol and field name of the registry, sorted (made once). */
export function filterNames(): string[] {
  if (!names) {
    const set = new Set<string>();
    for (const p of allProtocols()) if (p.id) set.add(p.id);
    for (const f of allFields()) if (f.name) set.add(f.name);
    names = [...set].sort();
  }
  return names;
}

/** The names that start with the word at the cursor (at most `max`; none for an empty word). */
export function candidates(s: LineState, list: readonly string[], max = 50): string[] {
  const { word } = wordAt(s.text, s.cursor);
  if (!word) return [];
  const out: string[] = [];
  // binary search to the first name >= word, then the run of names starting with it
  let lo = 0,
    hi = list.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (list[m] < word) lo = m + 1;
    else hi = m;
  }
  for (let i = lo; i < list.length && list[i].startsWith(word) && out.length < max; i++) out.push(list[i]);
  return out;
}

/**
 * Tab: completes the word at the cursor to the candidates' longest common prefix (a single candidate in full,
 * then a space when it is not a protocol with fields under it). Returns the candidates (for the hint line).
 */
export function complete(s: LineState, list: readonly string[]): string[] {
  const all = candidates(s, list, 1e9);
  if (!all.length) return [];
  const { start, word } = wordAt(s.text, s.cursor);
  let prefix = all[0];
  for (const n of all) {
    let i = 0;
    while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
    prefix = prefix.slice(0, i);
  }
  if (prefix.length >= word.length) {
    const done = all.length === 1 && !list.some((n) => n.startsWith(prefix + "."));
    const ins = prefix + (done && s.text[s.cursor] !== " " ? " " : "");
    s.text = s.text.slice(0, start) + ins + s.text.slice(s.cursor);
    s.cursor = start + ins.length;
  }
  return all.length === 1 ? [] : all.slice(0, 50);
}
