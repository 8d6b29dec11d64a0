/** Test-only: PrintOptions with everything off, to spread modes over. */
import type { PrintOptions } from "../../src/output/printer.js";

export const BASE: PrintOptions = {
  timeFormat: "epoch",
  nano: false,
  verbose: 0,
  quiet: false,
  linkHeader: false,
  hex: 0,
  hexAscii: 0,
  ascii: false,
  detail: false,
  format: "text",
  fields: [],
};
