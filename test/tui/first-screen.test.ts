/**
 * The first screen drawn with plain ANSI while Ink loads must put the same characters where Ink's first frame
 * puts them (so Ink draws over it without a jump): compared line by line with the App rendered by
 * ink-testing-library for the same capture and terminal size.
 */
import path from "node:path";
import React from "react";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { App } from "../../src/tui/app.js";
import { firstScreenKeys, firstScreenLines } from "../../src/tui/first-screen.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { fmtCount, layout, splitPanes } from "../../src/tui/text.js";
import { ROOT } from "../helpers/run.js";

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

describe("first screen", () => {
  for (const [cols, rows] of [
    [160, 45],
    [100, 24],
    [80, 30],
  ]) {
    it(`draws the list, separators and status bar where Ink draws them (${cols}x${rows})`, async () => {
      const file = path.join(ROOT, "fixtures", "tls", "tls.pcap");
      const index = new PacketIndex();
      await indexFile(await FileSource.open(file), index);
      const pf = new PacketFile(file, index);
      try {
        const mk = () => {
          const m = new Model(new CaptureRows(index, pf));
          m.status.name = "tls.pcap";
          m.indexDone();
          m.moveTo(0, false);
          return m;
        };
        const ours = firstScreenLines(mk(), cols, rows).map(strip);
        const { lastFrame, unmount } = render(React.createElement(App, { model: mk(), width: cols, height: rows }));
        const ink = lastFrame()!.split("\n");
        unmount();
        expect(ours.length).toBe(rows - 1);
        expect(ink.length).toBe(rows - 1);
        const L = layout(rows);
        // header and rows, the two separators, the status bar: identical (Ink trims trailing spaces)
        for (let i = 0; i <= L.list; i++) expect(ours[i].trimEnd(), `line ${i}`).toBe(ink[i].trimEnd());
        const sep1 = L.list + 1;
        const mm = mk(); // the detail and hex panes share their lines by the packet's tree and bytes, as Ink does
        const sep2 = sep1 + splitPanes(L, mm.treeLines().length, Math.ceil(mm.bytes.length / 16)).detail + 1;
        expect(ours[sep1]).toBe(ink[sep1]);
        expect(ours[sep2]).toBe(ink[sep2]);
        expect(ours[rows - 2].trimEnd()).toBe(ink[rows - 2].trimEnd());
        expect(ours[1]).toMatch(/^\s+1 0\.000000 /);
        // the detail and bytes panes: the first packet's tree and bytes, as Ink draws them
        for (let i = sep1 + 1; i < rows - 3; i++) if (i !== sep2) expect(ours[i].trimEnd(), `line ${i}`).toBe(ink[i].trimEnd());
        expect(ours[sep1 + 1]).toMatch(/Frame 1:/);
        expect(ours[sep2 + 1]).toMatch(/^0000 {2}[0-9a-f]{2} /);
      } finally {
        pf.close();
      }
    });
  }

  it("answers only moves in the list itself (the keys Ink must read are left whole)", () => {
    expect(firstScreenKeys("jjk")).toEqual(["j", "j", "k"]);
    expect(firstScreenKeys("\x1b[B\x1b[6~ b\x1bOAg\x1b[H")).toEqual(["\x1b[B", "\x1b[6~", " ", "b", "\x1bOA", "g", "\x1b[H"]);
    for (const k of ["G", "q", "/", "j/", "\x1b", "\x1b[F", "\x1b[C", "\t", "\r", "\x03", "s", "jx"]) expect(firstScreenKeys(k), JSON.stringify(k)).toBeNull();
  });

  it("formats counts with thousands separators", () => {
    expect([0, 7, 999, 1000, 65535, 1_000_000, -4321].map(fmtCount)).toEqual(["0", "7", "999", "1,000", "65,535", "1,000,000", "-4,321"]);
  });
});
