/**
 * The prompts' line editing, the display filter's validity and completion from the registry, and the filter
 * history kept in the config directory (a temporary XDG directory), through the model as keys drive it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getField, getProtocol } from "../../src/dissectors/registry.js";
import { configureModel } from "../../src/tui/config.js";
import { candidates, complete, editLine, filterNames, type LineState } from "../../src/tui/line-edit.js";
import { Model, type KeyFlags, type RowSource } from "../../src/tui/model.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tui-fbar-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const none: RowSource = { count: () => 0, row: () => ({ no: 1, time: "", src: "", dst: "", proto: "", len: 0, info: "" }) };

function typeInto(m: Model, ...keys: (string | KeyFlags)[]): void {
  for (const k of keys) {
    if (typeof k === "string") for (const c of k) m.key(c, {});
    else m.key("", k);
  }
}

describe("line editing", () => {
  it("moves the cursor and edits at it", () => {
    const s: LineState = { text: "ip.src == 1", cursor: 11 };
    editLine(s, "", { home: true });
    expect(s.cursor).toBe(0);
    editLine(s, "!", {});
    expect(s).toEqual({ text: "!ip.src == 1", cursor: 1 });
    editLine(s, "", { end: true });
    editLine(s, "", { leftArrow: true });
    editLine(s, "", { leftArrow: true });
    editLine(s, "", { backspace: true }); // the '=' before the cursor
    expect(s).toEqual({ text: "!ip.src = 1", cursor: 9 });
    editLine(s, "e", { ctrl: true });
    expect(s.cursor).toBe(11);
    editLine(s, "a", { ctrl: true });
    expect(s.cursor).toBe(0);
    editLine(s, "", { rightArrow: true });
    editLine(s, "d", { ctrl: true }); // deletes under the cursor
    expect(s).toEqual({ text: "!p.src = 1", cursor: 1 });
    editLine(s, "", { end: true });
    editLine(s, "w", { ctrl: true });
    expect(s).toEqual({ text: "!p.src = ", cursor: 9 });
    editLine(s, "w", { ctrl: true });
    expect(s).toEqual({ text: "!p.src ", cursor: 7 });
    s.cursor = 3;
    editLine(s, "k", { ctrl: true });
    expect(s).toEqual({ text: "!p.", cursor: 3 });
    s.cursor = 1;
    editLine(s, "u", { ctrl: true });
    expect(s).toEqual({ text: "p.", cursor: 0 });
    expect(editLine(s, "", { upArrow: true })).toBe(false);
    editLine(s, "\x1b[31mx", {});
    expect(s.text).toBe("[31mxp."); // control characters never get in
  });

  it("completes protocol and field names from the registry", () => {
    const names = filterNames();
    expect(names.length).toBeGreaterThan(500);
    for (const n of names) expect(!!getField(n) || !!getProtocol(n), n).toBe(true);
    let s: LineState = { text: "tcp.srcp", cursor: 8 };
    expect(complete(s, names)).toEqual([]);
    expect(s).toEqual({ text: "tcp.srcport ", cursor: 12 });
    s = { text: "udp.s && x", cursor: 5 };
    const c = complete(s, names);
    expect(c).toEqual(names.filter((n) => n.startsWith("udp.s")));
    expect(c.length).toBeGreaterThan(1);
    expect(s.text).toBe(`udp.s${commonTail(c, 5)} && x`);
    expect(candidates({ text: "", cursor: 0 }, names)).toEqual([]);
    expect(candidates({ text: "zzzz", cursor: 4 }, names)).toEqual([]);
  });
});

function commonTail(c: string[], from: number): string {
  let p = c[0];
  for (const n of c) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p.slice(from);
}

describe("filter prompt", () => {
  it("says while typing whether the filter compiles, and shows completions", () => {
    const m = new Model(none);
    typeInto(m, "/");
    expect(m.prompt!.valid).toBe(null);
    typeInto(m, "tcp.por");
    expect(m.prompt!.valid).toBe(false);
    expect(m.prompt!.hints).toEqual(["tcp.port"]);
    typeInto(m, { tab: true });
    expect(m.prompt!.text).toBe("tcp.port ");
    expect(m.prompt!.valid).toBe(true); // a field alone is a filter
    typeInto(m, "== ");
    expect(m.prompt!.valid).toBe(false);
    typeInto(m, "80");
    expect(m.prompt!.valid).toBe(true);
  });

  it("keeps the history across runs in the config directory, Up/Down browse it", () => {
    const dir = path.join(tmp, "h", "tsniff");
    const m = new Model(none);
    configureModel(m, dir);
    // applyFilter needs a capture: the history keeps only what applied, so fake an empty one with the hook
    m.history = [];
    (m as unknown as { remember(t: string): void }).remember("dns");
    (m as unknown as { remember(t: string): void }).remember("tcp.port == 80");
    (m as unknown as { remember(t: string): void }).remember("dns"); // again: moves to the end
    expect(fs.readFileSync(path.join(dir, "filter-history"), "utf8")).toBe("tcp.port == 80\ndns\n");
    const m2 = new Model(none);
    configureModel(m2, dir);
    expect(m2.history).toEqual(["tcp.port == 80", "dns"]);
    typeInto(m2, "/", "ud");
    typeInto(m2, { upArrow: true });
    expect(m2.prompt!.text).toBe("dns");
    typeInto(m2, { upArrow: true });
    expect(m2.prompt!.text).toBe("tcp.port == 80");
    typeInto(m2, { upArrow: true });
    expect(m2.prompt!.text).toBe("tcp.port == 80");
    typeInto(m2, { downArrow: true }, { downArrow: true });
    expect(m2.prompt!.text).toBe("ud"); // back to the line being typed
    expect(m2.prompt!.cursor).toBe(2);
  });
});
