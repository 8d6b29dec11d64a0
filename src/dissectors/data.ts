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
      const hex = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 4096)).toString("hex");
      t.add(F.data, hex, start, n);
      t.add(F.len, n, start, 0);
    } else r.skip(n);
  },
};

/**
 * A link type no dissector reads: the line says so instead of staying empty (tcpdump refuses such a file; tsniff
 * reads it, shows what it can: -x/-X dump the bytes, the tree has them as data).
 */
export const UNKNOWN_LINK: Protocol = {
  id: "data",
  name: "Data",
  fields: F,
  dissect(r, ctx, t) {
    ctx.line.s(`link-type ${ctx.linktype} not decoded, length ${r.reportedRemaining}`);
    return DATA.dissect(r, ctx, t);
  },
};
