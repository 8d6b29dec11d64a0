/**
 * src/capture/dlt-names.ts (scripts/gen-dlt-names.mjs) against the addon it was made from: every link type in
 * the table has libpcap's name and description, and the table has nearly all libpcap names (a newer libpcap
 * may name more: those fall back to the addon) (issue #19: `-r FILE` without a filter prints its link type
 * without loading the addon).
 */
import { describe, expect, it } from "vitest";
import { dltName } from "../../src/capture/dlt-names.js";
import { native } from "../../src/capture/native.js";
import { linktypeLabel } from "../../src/output/linktype.js";

describe("link type names without the addon", () => {
  it("are libpcap's, for every link type 0..511", () => {
    const b = native();
    let named = 0;
    for (let d = 0; d < 512; d++) {
      const name = b.datalinkName(d);
      const known = dltName(d);
      if (!name) {
        expect(known, `DLT ${d}`).toBeUndefined();
        continue;
      }
      if (!known) continue;
      named++;
      expect(known, `DLT ${d}`).toEqual([name, b.datalinkDescription(d) ?? ""]);
    }
    expect(named).toBeGreaterThan(140);
    expect(linktypeLabel(1)).toBe("EN10MB (Ethernet)");
    expect(linktypeLabel(276)).toBe(`LINUX_SLL2 (${b.datalinkDescription(276)})`);
  });
});
