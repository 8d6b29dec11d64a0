#!/usr/bin/env node
/**
 * bench/tui.mjs's measuring floor: a terminal program that does nothing but answer keys. It draws a screen of
 * text once, then on each key rewrites one line (a counter) with one write. The time tmux shows that change
 * after send-keys is what tmux, send-keys and capture-pane (and the load) add to any program's answer.
 * `q` quits.
 */
const out = process.stdout;
const cols = out.columns || 80;
const rows = out.rows || 24;
let n = 0;
const line = () => `\x1b[1;1H\x1b[7mkeys answered: ${n}\x1b[0m\x1b[K`;
out.write("\x1b[?1049h\x1b[2J\x1b[H" + Array.from({ length: rows - 1 }, (_, i) => `${String(i).padStart(4)} ${"floor ".repeat(cols)}`.slice(0, cols)).join("\r\n") + line());
process.stdin.setRawMode(true);
process.stdin.on("data", (b) => {
  if (b.includes(0x71)) {
    out.write("\x1b[?1049l");
    process.exit(0);
  }
  n++;
  out.write(line());
});
