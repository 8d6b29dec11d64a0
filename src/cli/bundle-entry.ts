/**
 * The entry of the CLI's one-file bundle (scripts/bundle.mjs): the CLI's main, and the library's API beside it,
 * so that a TypeScript plugin importing "tsniff" gets the very modules the running CLI uses (one Packet class,
 * one registry), not a second copy of the library loaded from dist/index.js.
 */
export { main } from "./main.js";
export * from "../index.js";
