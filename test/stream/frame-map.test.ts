/**
 * FrameMap (tcp.reassembled_in's frame -> frame table) answers as a Map would: random frames in and out of
 * order, frames past the dense range, 0 and negative numbers, and toMap() in frame order.
 */
import { describe, expect, it } from "vitest";
import { FrameMap } from "../../src/stream/frame-map.js";

describe("FrameMap", () => {
  it("answers get/has/size as a Map does", () => {
    const f = new FrameMap();
    const m = new Map<number, number>();
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const keys = [0, -3, 1, 2, 1023, 1024, 1025, 2 ** 26 - 1, 2 ** 26, 2 ** 26 + 5, 1.5];
    for (let i = 0; i < 5000; i++) keys.push(1 + rnd(200_000));
    for (const k of keys) {
      if (m.has(k)) continue; // first answer wins, as Reassembly sets it
      const v = 1 + rnd(300_000);
      f.set(k, v);
      m.set(k, v);
    }
    expect(f.size).toBe(m.size);
    for (const k of [...keys, 3, 99_999_999, 150_001]) {
      expect(f.get(k), String(k)).toBe(m.get(k));
      expect(f.has(k)).toBe(m.has(k));
    }
    const out = f.toMap();
    expect(new Map([...out].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...m].sort((a, b) => a[0] - b[0])));
    const dense = [...out.keys()].filter((k) => k > 0 && k < 2 ** 26 && Number.isInteger(k));
    expect(dense).toEqual([...dense].sort((a, b) => a - b));
  });

  it("copies an earlier pass's Map", () => {
    const m = new Map([[5, 9], [6, 9], [12, 40]]);
    const f = FrameMap.from(m);
    expect(f.get(6)).toBe(9);
    expect(f.get(7)).toBeUndefined();
    f.set(7, 9);
    expect(m.has(7)).toBe(false);
    expect(f.toMap()).toEqual(new Map([[5, 9], [6, 9], [7, 9], [12, 40]]));
  });
});
