/** "data": what no dissector claims. Nothing in the one-line summary; its length in the tree. */
import { fields, type Protocol } from "./types.js";

const F = fields("data", {
  data: ["Data", "bytes"],
  len: ["Length", "uint"],
});

export const DATA: Protocol = {
  id: "data",
  name: "Data",
  fields: F,
  dissect(r, _ctx, t) {
    const n = r.remaining;
    if (t.on) {
      const start = r.pos;
      const b = r.bytes(n);
      let hex = "";
      for (let i = 0; i < b.length && i < 4096; i++) hex += (b[i] < 16 ? "0" : "") + b[i].toString(16);
      t.add(F.data, hex, start, n);
      t.add(F.len, n, start, 0);
    } else r.skip(n);
  },
};
