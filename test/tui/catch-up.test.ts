/**
 * A row far past the frames the list's dissector has run (End on a large file) is drawn at once from a scratch
 * dissector, then made again once the catch-up (run in slices by the model) has run the frames before it: the
 * stream numbers end up tshark's, and the key that jumped there never waits for the catch-up. The gap that
 * makes a row provisional is lowered to 4 frames so that fixtures/http/http.pcap (41 frames) has such rows.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { walkFields, type TreeNode } from "../../src/dissectors/index.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { statusText } from "../../src/tui/text.js";
import { has, ROOT } from "../helpers/run.js";

const FILE = path.join(ROOT, "fixtures", "http", "http.pcap");
const GAP = CaptureRows.syncGap;
afterEach(() => {
  CaptureRows.syncGap = GAP;
});

function field(roots: TreeNode[], name: string): string {
  let v = "";
  walkFields(roots, (n) => {
    if (n.kind === "field" && n.name === name && !v) v = String(n.value);
  });
  return v;
}

async function open(): Promise<CaptureRows> {
  const index = new PacketIndex();
  await indexFile(await FileSource.open(FILE), index);
  return new CaptureRows(index, new PacketFile(FILE, index));
}

describe.skipIf(!has("tshark"))("TUI stream numbering catch-up", () => {
  const theirs = () => execFileSync("tshark", ["-r", FILE, "-T", "fields", "-e", "tcp.stream"], { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n");

  it("a far row is provisional until catchUp() has run the frames before it, then its tree has tshark's tcp.stream", async () => {
    CaptureRows.syncGap = 4;
    const rows = await open();
    const last = rows.count() - 1;
    let behind = 0;
    rows.onBehind = () => behind++;
    expect(rows.inOrderAt(last)).toBe(false);
    rows.row(last);
    expect(behind).toBe(1);
    expect(rows.catchUpProgress()).toBe(0);
    // a deadline already past still makes progress (a block of frames per call)
    let calls = 0;
    while (rows.catchUp(0) && calls < 1000) calls++;
    expect(rows.catchUpProgress()).toBe(-1);
    expect(rows.inOrderAt(last)).toBe(true);
    const want = theirs();
    for (let i = last; i >= last - 3; i--) expect(`${i + 1}: ${field(rows.detail(i).roots, "tcp.stream")}`).toBe(`${i + 1}: ${want[i]}`);
  });

  it("the model runs the catch-up by itself after End, shows its progress, then redraws the detail pane from the shared dissector", async () => {
    CaptureRows.syncGap = 4;
    const rows = await open();
    const m = new Model(rows);
    m.indexDone();
    m.moveTo(0, false);
    const last = rows.count() - 1;
    m.moveTo(last);
    for (let r = Math.max(0, last - m.listHeight + 1); r <= last; r++) rows.row(r); // the rows drawn
    expect(statusText(m)).toMatch(/numbering streams \d+%/);
    const end = Date.now() + 10_000;
    while (m.catchUpProgress() >= 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(m.catchUpProgress()).toBe(-1);
    expect(statusText(m)).not.toMatch(/numbering/);
    expect(field(m.roots, "tcp.stream")).toBe(theirs()[last]);
    expect(rows.row(last).no).toBe(last + 1);
    m.dispose();
  });
});
