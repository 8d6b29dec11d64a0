/**
 * Loads every protocol module (each registers itself in the tables) and exports the engine.
 * Adding a protocol: create its file, bind it into its parents' tables, import it here.
 */
import "./link/ethernet.js";
import "./link/sll.js";
import "./link/null.js";
import "./network/ipv4.js";
import "./transport/tcp.js";
import "./transport/udp.js";

export { Dissector, type DissectResult } from "./engine.js";
export { Reader } from "./reader.js";
export * from "./types.js";
export * from "./registry.js";
export { TreeBuilder, type TreeNode, walkFields, NULL_TREE } from "./tree.js";
