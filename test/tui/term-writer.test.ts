/**
 * src/tui/term-writer.ts's FrameWriter on frames shaped as Ink writes them (ink/build/log-update.js's standard
 * mode: begin synchronized update, eraseLines of the last frame's lines, the frame, end), checked against
 * ansi-escapes' own eraseLines. What the screen then shows is checked end to end (frame-writer-e2e).
 */
import ansiEscapes from "ansi-escapes";
import { describe, expect, it } from "vitest";
import { FrameWriter, SYNC_BEGIN, SYNC_END } from "../../src/tui/term-writer.js";

const ink = (lines: string[], prevCount: number) => SYNC_BEGIN + ansiEscapes.eraseLines(prevCount) + lines.join("\n") + "\n" + SYNC_END;

describe("FrameWriter", () => {
  const a = ["\x1b[1mhead\x1b[22m", "row 1", "\x1b[7mrow 2\x1b[27m", "row 3", "status"];
  it("writes the first frame whole, then only the changed lines, leaving the cursor below the frame", () => {
    const w = new FrameWriter();
    expect(w.write(ink(a, 0))).toBe(ink(a, 0));
    const b = a.slice();
    b[1] = "\x1b[7mrow 1\x1b[27m";
    b[2] = "row 2";
    // the cursor is on line 5 (below the frame's 5 lines): up 4 to line 1, rewrite, down to line 2, rewrite, down 3
    expect(w.write(ink(b, a.length + 1))).toBe(`${SYNC_BEGIN}\x1b[4A\r\x1b[2K${b[1]}\x1b[1B\r\x1b[2K${b[2]}\x1b[3B\r${SYNC_END}`);
    // nothing changed but the last line
    const c = b.slice();
    c[4] = "status 2";
    expect(w.write(ink(c, b.length + 1))).toBe(`${SYNC_BEGIN}\x1b[1A\r\x1b[2K${c[4]}\x1b[1B\r${SYNC_END}`);
    expect([w.whole, w.partial]).toEqual([1, 2]);
  });
  it("writes a frame whole when the screen is not known", () => {
    const w = new FrameWriter();
    w.write(ink(a, 0));
    // another line count, Ink's count of its last lines not ours, a cursor move inside the frame
    const more = [...a, "extra"];
    expect(w.write(ink(more, a.length + 1))).toBe(ink(more, a.length + 1));
    expect(w.write(ink(a, 3))).toBe(ink(a, 3));
    const moved = ["\x1b[2Crow", ...a.slice(1)];
    expect(w.write(ink(moved, a.length + 1))).toBe(ink(moved, a.length + 1));
    // ... and the frame after it too (the screen is not known after one it could not read)
    expect(w.write(ink(a, a.length + 1))).toBe(ink(a, a.length + 1));
    // a write that is not a frame (Ink clearing its lines on a resize) makes the next frame whole; OSC 52 does not
    w.write(ansiEscapes.eraseLines(a.length + 1));
    expect(w.write(ink(a, 0))).toBe(ink(a, 0));
    w.write("\x1b]52;c;aGk=\x07");
    const b = a.slice();
    b[3] = "x";
    expect(w.write(ink(b, a.length + 1))).toBe(`${SYNC_BEGIN}\x1b[2A\r\x1b[2K${b[3]}\x1b[2B\r${SYNC_END}`);
  });
});
