/**
 * The live capture's packets/s and drops bar (issue 17): a line of its own above the prompt line with the rate
 * of the last seconds as a sparkline, the current rate, the peak and the drops; the text function alone, then
 * the App drawn by ink-testing-library in live mode (the panes give it a line) and in file mode (no bar).
 */
import React from "react";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { App } from "../../src/tui/app.js";
import { Model, type Row, type RowSource } from "../../src/tui/model.js";
import { layout, rateBar, RATE_SAMPLES } from "../../src/tui/text.js";

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

function rows(n: number): RowSource {
  return { count: () => n, row: (i: number): Row => ({ no: i + 1, time: "0.000000", src: "10.0.0.1", dst: "10.0.0.2", proto: "UDP", len: 60, info: `row ${i + 1}` }) };
}

describe("rate bar text", () => {
  it("scales the seconds to the highest shown: blank for none, ▁ for the least, █ for the peak", () => {
    const b = rateBar([0, 1, 4, 8, 2, 0, 8], [0, 0, 0, 0, 0, 0, 0], 0, 80);
    expect(b.head).toBe("pkt/s ");
    expect(b.spark).toBe(" ▁▄█▂ █");
    expect(b.tail).toBe(" 8 now, peak 8 | dropped 0");
    expect(b.dropAt).toEqual([false, false, false, false, false, false, false]);
  });

  it("flags the seconds with drops, and says the drops of the last 10 seconds", () => {
    const b = rateBar([100, 2000, 1500], [0, 30, 12], 42, 80);
    expect(b.spark).toBe("▁█▆");
    expect(b.dropAt).toEqual([false, true, true]);
    expect(b.tail).toBe(" 1,500 now, peak 2,000 | dropped 42 (+42 in 10 s)");
  });

  it("keeps the newest seconds that fit the width, the text whole", () => {
    const rates = Array.from({ length: 296 }, (_, i) => (i % 8) + 1); // ends with 1..8
    const b = rateBar(rates, new Array(296).fill(0), 0, 60);
    expect((b.head + b.spark + b.tail).length).toBeLessThanOrEqual(60);
    expect(b.spark.length).toBe(60 - b.head.length - b.tail.length);
    expect(b.spark.endsWith("▁▂▃▄▅▆▇█")).toBe(true); // the newest on the right
    expect(rateBar([], [], 0, 60).spark).toBe("");
  });

  it("the model keeps RATE_SAMPLES seconds", () => {
    const m = new Model(rows(0));
    for (let i = 0; i < RATE_SAMPLES + 10; i++) m.sampleRate(i, i % 2);
    expect(m.rates.length).toBe(RATE_SAMPLES);
    expect(m.rates[0]).toBe(10);
    expect(m.drops[RATE_SAMPLES - 1]).toBe((RATE_SAMPLES + 9) % 2);
  });
});

describe("rate bar on the screen", () => {
  const draw = (m: Model, cols: number, height: number) => {
    const { lastFrame, unmount } = render(React.createElement(App, { model: m, width: cols, height }));
    const l = strip(lastFrame()!).split("\n");
    unmount();
    return l;
  };

  it("live: a line above the help line; the panes give it one row", () => {
    const m = new Model(rows(30));
    m.status.mode = "live";
    m.status.name = "lo";
    m.status.rate = 3;
    m.status.dropped = 5;
    for (const [r, d] of [
      [0, 0],
      [2, 0],
      [4, 5],
      [3, 0],
    ])
      m.sampleRate(r, d);
    m.moveTo(0, false);
    const l = draw(m, 80, 24);
    expect(l.length).toBe(23);
    expect(l[20]).toBe("pkt/s  ▄█▆ 3 now, peak 4 | dropped 5 (+5 in 10 s)");
    expect(l[21]).toMatch(/^q quit {2}\? help/);
    expect(l[22]).toMatch(/^live lo \| shown 30 \/ 30 \| 3 pkt\/s \| dropped 5/);
    // the list, detail and bytes panes have the rows of a 23-line screen
    const L = layout(23);
    expect(l.findIndex((x) => x.startsWith("── Detail"))).toBe(L.list + 1);
  });

  it("a file has no bar; nor has a live capture at the smallest size (the status line has the rate)", () => {
    const f = new Model(rows(30));
    f.status.name = "x.pcap";
    f.indexDone();
    f.moveTo(0, false);
    const l = draw(f, 80, 24);
    expect(l.some((x) => x.startsWith("pkt/s"))).toBe(false);
    expect(l.findIndex((x) => x.startsWith("── Detail"))).toBe(layout(24).list + 1);
    const m = new Model(rows(30));
    m.status.mode = "live";
    m.sampleRate(7, 0);
    m.moveTo(0, false);
    const s = draw(m, 40, 10);
    expect(s.some((x) => x.startsWith("pkt/s"))).toBe(false);
    expect(s[8]).toMatch(/pkt\/s/);
  });
});
