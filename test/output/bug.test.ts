/** A dissector that throws: every mode still prints, and printer.ctx.bug names it (what the corpus sweep counts). */
import { describe, expect, it } from "vitest";
import { bind } from "../../src/dissectors/registry.js";
import { createPrinter } from "../../src/output/printer.js";
import { batchOf, INFO, packet } from "./helpers.js";
import { BASE } from "./options.js";

bind("udp.port", 31337, {
  id: "thrower",
  name: "Thrower",
  dissect(r) {
    r.u8();
    throw new Error("boom");
  },
});

describe("a dissector bug", () => {
  const b = batchOf([packet({ proto: "udp", sport: 40000, dport: 31337, payload: "xyz" })]);
  for (const m of [{}, { detail: true }, { format: "json" as const }, { hexAscii: 1 }, { displayFilter: "thrower" }]) {
    it(JSON.stringify(m), () => {
      const p = createPrinter({ ...BASE, ...m }, INFO);
      const out = p(b, 0, 1);
      expect(p.ctx.bug).toBe("thrower");
      expect(out.length).toBeGreaterThan(0);
      if ("detail" in m) expect(out).toMatch(/\[Dissector bug, protocol Thrower: boom\]/);
      if ("format" in m) expect(JSON.parse(out)["_ws.expert"]).toMatchObject({ bug: "thrower" });
    });
  }
});
