/**
 * The split set with + and - (issue 17) is saved in tui.json as "split" (rows more, or fewer, than the default
 * layout gives the list), kept beside the file's other keys, read back by the next model, clamped where the
 * layout clamps it; the plain first screen drawn before Ink uses it too (else Ink's first frame would jump).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import React from "react";
import { render } from "ink-testing-library";
import { afterAll, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { App } from "../../src/tui/app.js";
import { configureModel, loadConfig } from "../../src/tui/config.js";
import { firstScreenLines } from "../../src/tui/first-screen.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { layout } from "../../src/tui/text.js";
import { ROOT } from "../helpers/run.js";

const FILE = path.join(ROOT, "fixtures", "http", "http.pcap");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tui-split-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

async function open(): Promise<Model> {
  const index = new PacketIndex();
  await indexFile(await FileSource.open(FILE), index);
  const m = new Model(new CaptureRows(index, new PacketFile(FILE, index)));
  m.indexDone();
  m.moveTo(0, false);
  return m;
}

/** The layout's heights at 160x45 (as app.tsx sets them): list 17, detail 14, bytes 8. */
function at160x45(m: Model): void {
  const L = layout(45);
  Object.assign(m, { listHeight: L.list + m.split, detailHeight: L.detail, hexHeight: L.hex - m.split });
}

describe("the split in the config file", () => {
  it("+ and - save it beside the file's other keys; a new model reads it", async () => {
    const dir = path.join(tmp, "a");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "tui.json"), JSON.stringify({ columns: ["no", "info"], mine: 1 }));
    const m = await open();
    configureModel(m, dir);
    at160x45(m);
    for (const k of ["+", "+", "+"]) m.key(k, {});
    expect(JSON.parse(fs.readFileSync(path.join(dir, "tui.json"), "utf8"))).toEqual({ columns: ["no", "info"], mine: 1, split: 3 });
    at160x45(m);
    m.key("-", {});
    expect(loadConfig(dir).config.split).toBe(2);
    const m2 = await open();
    configureModel(m2, dir);
    expect(m2.split).toBe(2);
    expect(m2.columns.map((c) => c.kind)).toEqual(["no", "info"]);
  });

  it("is clamped as the layout clamps it (2 list rows; 1 row each below) before it is saved", async () => {
    const dir = path.join(tmp, "b");
    const m = await open();
    configureModel(m, dir);
    at160x45(m);
    for (let i = 0; i < 40; i++) {
      m.key("+", {});
      at160x45(m);
    }
    expect(loadConfig(dir).config.split).toBe(39 - 2 - 17); // the list 37 rows of the 39
    for (let i = 0; i < 60; i++) {
      m.key("-", {});
      at160x45(m);
    }
    expect(loadConfig(dir).config.split).toBe(2 - 17);
  });

  it("a split that is not a whole number is reported and the file not overwritten", async () => {
    const dir = path.join(tmp, "c");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "tui.json"), '{"split": "big"}');
    const m = await open();
    configureModel(m, dir);
    expect(m.status.message).toMatch(/"split" is not a whole number/);
    expect(m.split).toBe(0);
    at160x45(m);
    m.key("+", {});
    expect(m.status.message).toMatch(/not overwritten/);
    expect(fs.readFileSync(path.join(dir, "tui.json"), "utf8")).toBe('{"split": "big"}');
  });

  for (const split of [5, -6]) {
    it(`the plain first screen puts the separators where Ink's first frame does with a saved split of ${split}`, async () => {
      const dir = path.join(tmp, `d${split}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "tui.json"), JSON.stringify({ split }));
      const mk = async () => {
        const m = await open();
        configureModel(m, dir);
        m.status.name = "http.pcap";
        return m;
      };
      const ours = firstScreenLines(await mk(), 160, 45).map(strip);
      const { lastFrame, unmount } = render(React.createElement(App, { model: await mk(), width: 160, height: 45 }));
      const ink = lastFrame()!.split("\n");
      unmount();
      const seps = (ls: string[]) => ls.flatMap((l, i) => (l.startsWith("── ") ? [`${i} ${l.slice(3, l.indexOf(" ─"))}`] : []));
      expect(seps(ours)).toEqual(seps(ink));
      expect(seps(ink)[0]).toBe(`${18 + split} Detail`);
      for (let i = 0; i <= 17 + split; i++) expect(ours[i].trimEnd(), `line ${i}`).toBe(ink[i].trimEnd());
    });
  }
});
