/** The TUI's components and model with ink-testing-library: windowing, selection, filter errors, hex highlighting. */
import path from "node:path";
import React from "react";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { App } from "../../src/tui/app.js";
import { CaptureRows, Model, type Row, type RowSource } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { hexLine, HexPane, PacketList } from "../../src/tui/views.js";
import { ROOT } from "../helpers/run.js";
import { until } from "../helpers/until.js";

const HTTP = path.join(ROOT, "fixtures", "http", "http.pcap");
const DNS = path.join(ROOT, "fixtures", "dns", "dns-udp.pcap");

function fakeRows(n: number): RowSource & { calls: number } {
  const src = {
    calls: 0,
    count: () => n,
    row(i: number): Row {
      src.calls++;
      return { no: i + 1, time: "0.000000", src: "10.0.0.1", dst: "10.0.0.2", proto: i % 2 ? "UDP" : "TCP", len: 60, info: `fake row ${i + 1}` };
    },
  };
  return src;
}

const tick = () => new Promise((r) => setTimeout(r, 30));
// frames are drawn when Ink gets to them: what a frame shows is awaited (until), what the model holds is not

async function openModel(file: string): Promise<{ m: Model; pf: PacketFile }> {
  const index = new PacketIndex();
  const src = await FileSource.open(file);
  await indexFile(src, index);
  const pf = new PacketFile(file, index);
  const m = new Model(new CaptureRows(index, pf));
  m.indexDone();
  m.moveTo(0, false);
  return { m, pf };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe("packet list", () => {
  it("renders only the visible rows of a million", () => {
    const rows = fakeRows(1_000_000);
    const { lastFrame, unmount } = render(
      React.createElement(PacketList, { count: 1_000_000, rowAt: (r: number) => rows.row(r), top: 500_000, height: 20, selected: 500_005, width: 120 }),
    );
    cleanups.push(unmount);
    const frame = lastFrame()!;
    expect(rows.calls).toBe(20);
    const lines = frame.split("\n");
    expect(lines.length).toBe(21); // header + 20 rows
    expect(lines[0]).toMatch(/No\.\s+Time\s+Source\s+Destination\s+Protocol\s+Length\s+Info/);
    expect(lines[1]).toMatch(/^\s*500001 /);
    expect(lines[20]).toMatch(/^\s*500020 /);
    expect(frame).not.toContain("500021");
  });

  it("moves the selection and scrolls the window with the keys (j, k, PgDn, G, g)", async () => {
    const rows = fakeRows(1_000_000);
    const m = new Model(rows);
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 120, height: 40 }));
    cleanups.push(unmount);
    await tick();
    stdin.write("j");
    stdin.write("j");
    await tick();
    expect(m.selected).toBe(2);
    stdin.write("G");
    await tick();
    expect(m.selected).toBe(999_999);
    await until(() => lastFrame()!.includes("shown 1,000,000 / 1,000,000"), "the frame after G");
    expect(lastFrame()).toContain("1000000 ");
    stdin.write("k");
    await tick();
    expect(m.selected).toBe(999_998);
    stdin.write("g");
    await tick();
    expect(m.selected).toBe(0);
    expect(m.top).toBe(0);
    stdin.write("\x1b[6~"); // PgDn
    await tick();
    expect(m.selected).toBe(m.listHeight - 1);
    // Each frame asked only for the rows on screen (a few frames of ~listHeight rows, not a million).
    expect(rows.calls).toBeLessThan(m.listHeight * 20);
  });
});

describe("display filter", () => {
  it("shows a bad filter's error inline and keeps the prompt; Esc cancels", async () => {
    const { m, pf } = await openModel(HTTP);
    cleanups.push(() => pf.close());
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 140, height: 40 }));
    cleanups.push(unmount);
    await tick();
    stdin.write("/");
    await tick();
    stdin.write("nosuch.field == 1");
    await tick();
    stdin.write("\r");
    await tick();
    await until(() => /display filter error at \d+/.test(lastFrame()!), "the filter's error on screen");
    expect(lastFrame()).toContain("display filter: nosuch.field == 1");
    expect(m.prompt).not.toBeNull();
    stdin.write("\x1b");
    await tick();
    expect(m.prompt).toBeNull();
    expect(m.filterText).toBe("");
    await until(() => lastFrame()!.includes("shown 41 / 41"), "the unfiltered list");
  });

  it("applies a filter to every packet", async () => {
    const { m, pf } = await openModel(DNS);
    cleanups.push(() => pf.close());
    expect(m.applyFilter("dns.flags.response == 1")).toBe("");
    for (let i = 0; i < 100 && m.filterProgress >= 0; i++) await tick();
    expect(m.matchCount).toBeGreaterThan(0);
    expect(m.matchCount).toBeLessThan(m.rows.count());
    for (let r = 0; r < m.shownCount(); r++) expect(m.rows.row(m.packetAt(r)).info).toMatch(/\*? \d+\/\d+\/\d+/);
  });
});

describe("detail and hex panes", () => {
  it("highlights the bytes of the selected tree field", () => {
    const bytes = new Uint8Array(40).map((_, i) => i);
    const segs = hexLine(bytes, 0, 2, 6); // bytes 2..5 of the first line
    const hl = segs.filter((s) => s.hl).map((s) => s.text);
    expect(hl[0]).toBe("02 03 04 05");
    expect(hl[1]).toBe("...."); // the ASCII column too
    expect(segs.map((s) => s.text).join("")).toMatch(/^0000  00 01 02 03 04 05 06 07  08 09/);
    const { lastFrame, unmount } = render(React.createElement(HexPane, { bytes, top: 0, height: 3, highlight: { offset: 2, length: 4 } }));
    cleanups.push(unmount);
    expect(lastFrame()).toContain("0010  10 11 12 13");
  });

  it("expands the tree with Enter and highlights the field under the cursor", async () => {
    const { m, pf } = await openModel(HTTP);
    cleanups.push(() => pf.close());
    const { lastFrame, stdin, unmount } = render(React.createElement(App, { model: m, width: 140, height: 44 }));
    cleanups.push(unmount);
    await until(() => lastFrame()!.includes("▸ Internet Protocol Version 4"), "the detail tree");
    stdin.write("\t"); // detail pane
    await tick();
    stdin.write("j");
    await tick();
    stdin.write("j");
    await tick();
    stdin.write("\r"); // expand IPv4
    await tick();
    await until(() => lastFrame()!.includes("▾ Internet Protocol Version 4"), "IPv4 expanded");
    const lines = m.treeLines();
    const ip = lines.findIndex((l) => l.node.name === "ip");
    const src = lines.findIndex((l) => l.node.name === "ip.src");
    expect(src).toBeGreaterThan(ip);
    while (m.treeCursor < src) {
      stdin.write("j");
      await tick();
    }
    expect(m.highlight()).toEqual({ offset: 26, length: 4 }); // ip.src in an Ethernet frame
    await until(() => /Source Address: 10\.202\.0\.1/.test(lastFrame()!), "ip.src in the tree");
  });
});
