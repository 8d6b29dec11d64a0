/**
 * The TUI's list and detail pane share one dissector that sees rows in screen order, not capture order: a
 * row seen first after a jump (End, a search) must still get the tcp.stream tshark gives its frame.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { walkFields, type TreeNode } from "../../src/dissectors/index.js";
import { CaptureRows } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { FIXTURES } from "../helpers/paths.js";
import { has } from "../helpers/run.js";

describe.skipIf(!has("tshark"))("TUI rows out of capture order", () => {
  it("the detail pane's tcp.stream is tshark's when the last rows are dissected first", async () => {
    const file = path.join(FIXTURES, "http/http.pcap");
    const theirs = execFileSync("tshark", ["-r", file, "-T", "fields", "-e", "tcp.stream"], { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n");
    const index = new PacketIndex();
    await indexFile(await FileSource.open(file), index);
    const rows = new CaptureRows(index, new PacketFile(file, index));
    const bad: string[] = [];
    for (let i = index.count - 1; i >= 0; i--) {
      const { roots } = rows.detail(i);
      let v = "";
      walkFields(roots as TreeNode[], (n) => {
        if (n.kind === "field" && n.name === "tcp.stream") v = String(n.value);
      });
      if (v !== theirs[i]) bad.push(`frame ${i + 1}: tshark ${theirs[i]}, ours ${v}`);
    }
    expect(bad).toEqual([]);
  });

  it("a list row seen first after a jump is its own packet's (the catch-up reads other frames first)", async () => {
    const file = path.join(FIXTURES, "http/http.pcap");
    const ports = execFileSync("tshark", ["-r", file, "-T", "fields", "-e", "tcp.srcport"], { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n");
    const index = new PacketIndex();
    await indexFile(await FileSource.open(file), index);
    const rows = new CaptureRows(index, new PacketFile(file, index));
    const last = index.count - 1;
    expect(rows.row(last).srcport).toBe(ports[last]);
    expect(rows.row(0).srcport).toBe(ports[0]);
  });
});
