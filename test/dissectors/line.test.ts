// The byte line the dissectors write (src/dissectors/line.ts) against the string functions it replaces: each
// write must give the bytes of the string way (termSafe, then UTF-8), for random text, numbers and bytes.
import { describe, expect, it } from "vitest";
import { encode, Line } from "../../src/dissectors/line.js";
import { termSafe } from "../../src/output/escape.js";

/** A seeded generator, so that a failure can be reproduced. */
function rng(seed: number): () => number {
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
}

const SPECIAL = [0x00, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x7f, 0x80, 0x9b, 0x9f, 0xa0, 0xe9, 0xff, 0x100, 0x2028, 0x202e, 0x2066, 0xfeff, 0xd83d, 0xde00, 0xffff];

function randomText(rnd: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const k = rnd();
    if (k < 0.6) s += String.fromCharCode(0x20 + Math.floor(rnd() * 95));
    else if (k < 0.8) s += String.fromCharCode(SPECIAL[Math.floor(rnd() * SPECIAL.length)]);
    else if (k < 0.9) s += "\u{1F600}"; // a surrogate pair
    else s += String.fromCharCode(Math.floor(rnd() * 0x10000));
  }
  return s;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("Line", () => {
  it("s() writes termSafe(text) as UTF-8 (a newline not followed by a tab or space as \\n), and text() reads it back", () => {
    const rnd = rng(12345);
    const l = new Line();
    for (let t = 0; t < 3000; t++) {
      const str = randomText(rnd, Math.floor(rnd() * 40));
      l.reset();
      l.s("x:").s(str);
      const want = Buffer.from("x:" + termSafe(str.replace(/\n(?![\t ])/g, "\\n")), "utf8");
      expect(hexOf(l.view()), JSON.stringify(str)).toBe(hexOf(want));
      expect(l.text()).toBe(want.toString("utf8"));
    }
  });

  it("latin1() writes what s() writes for the same bytes read as Latin-1, every newline as \\n and every tab as \\t", () => {
    const rnd = rng(777);
    const a = new Line();
    const b = new Line();
    for (let t = 0; t < 2000; t++) {
      const bytes = Uint8Array.from({ length: Math.floor(rnd() * 30) }, () => (rnd() < 0.7 ? 0x20 + Math.floor(rnd() * 95) : Math.floor(rnd() * 256)));
      a.reset();
      b.reset();
      a.latin1(bytes, 0, bytes.length);
      const text = Buffer.from(bytes).toString("latin1").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
      b.s(text);
      expect(hexOf(a.view())).toBe(hexOf(b.view()));
      expect(a.text()).toBe(termSafe(text));
      expect(a.text()).not.toMatch(/[\n\t]/);
    }
  });

  it("numbers: u() as String(v), z() zero-padded, hex() as toString(16) padded, ip4() dotted", () => {
    const rnd = rng(99);
    const l = new Line();
    const values = [0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -123, 1.5, NaN];
    for (let t = 0; t < 2000; t++) values.push(Math.floor(rnd() * 2 ** (1 + Math.floor(rnd() * 32))));
    for (const v of values) {
      l.reset();
      l.u(v);
      expect(l.text()).toBe(String(v));
      if (v >= 0 && Number.isInteger(v)) {
        l.reset();
        l.z(v, 6);
        expect(l.text()).toBe(String(v).padStart(6, "0"));
        l.reset();
        l.hex(v, 4);
        expect(l.text()).toBe(v.toString(16).padStart(4, "0"));
      }
    }
    l.reset();
    l.ip4(Uint8Array.from([0, 10, 255, 1, 2, 3]), 1);
    expect(l.text()).toBe("10.255.1.2");
  });

  it("grows past its first buffer, and line()/bytes() append other output", () => {
    const l = new Line();
    const big = "a".repeat(5000) + "\u00e9" + "b".repeat(5000);
    l.s(big);
    const other = new Line();
    other.s("<").line(l).s(">").bytes(encode("\u2028!"));
    expect(other.text()).toBe("<" + big + ">" + termSafe("\u2028!"));
    other.cut(3);
    expect(other.text()).toBe("<aa");
  });
});
