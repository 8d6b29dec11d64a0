/**
 * -V: the whole detail tree, like tshark -V: a heading per protocol, then its fields as indented
 * "Label: value" lines (four spaces a level), a blank line after each packet. Every line is one line:
 * packet text cannot break it or reach the terminal as a control character.
 */
import type { TreeNode } from "../dissectors/tree.js";
import { lineSafe } from "./escape.js";
import type { PacketView } from "./view.js";

const INDENT = ["", "    ", "        ", "            ", "                "];
function indent(depth: number): string {
  return depth < INDENT.length ? INDENT[depth] : " ".repeat(depth * 4);
}

function nodeLine(n: TreeNode): string {
  // The payload nobody claimed is handed to a "data" stand-in named after its parent (the list's Protocol
  // column says "UDP"); its heading says what it is.
  if (n.kind === "proto" && n.name === "data" && !n.label.startsWith("Data")) return `Data (${n.length} byte${n.length === 1 ? "" : "s"})`;
  if (n.kind !== "field") return n.label;
  if (n.display === "" && n.value === null) return n.label;
  return `${n.label}: ${n.display}`;
}

/**
 * Wireshark's hidden fields: "either side" aliases such as eth.addr, ip.addr and tcp.port repeat a field shown
 * just before (same bytes, same value). They exist for filters and JSON; the tree shows them once.
 */
function isAlias(n: TreeNode, siblings: readonly TreeNode[], i: number): boolean {
  if (n.field?.hidden) return true;
  if (n.kind !== "field" || !/\.(addr|port)$/.test(n.name)) return false;
  for (let j = 0; j < i; j++) {
    const s = siblings[j];
    if (s.kind === "field" && s.name !== n.name && s.offset === n.offset && s.length === n.length && s.value === n.value) return true;
  }
  return false;
}

function lines(nodes: readonly TreeNode[], depth: number, out: string[]): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (isAlias(n, nodes, i)) continue;
    out.push(indent(depth) + lineSafe(nodeLine(n)));
    if (n.children && n.children.length) lines(n.children, depth + 1, out);
  }
}

/** The tree text of one packet, ending with a blank line. */
export function detailText(v: PacketView): string {
  const out: string[] = [];
  lines(v.roots, 0, out);
  const ctx = v.ctx;
  if (ctx.truncated || ctx.malformed || ctx.bug) {
    out.push("[Expert Info]");
    if (ctx.truncated) out.push(`    [Packet size limited during capture: ${lineSafe(ctx.layers[ctx.layers.length - 1] ?? "")} truncated]`);
    if (ctx.malformed) out.push(`    [Malformed Packet: ${lineSafe(ctx.malformedReason || ctx.layers[ctx.layers.length - 1] || "")}]`);
    if (ctx.bug) out.push(`    [Dissector bug: ${lineSafe(ctx.bug)}]`);
  }
  return out.join("\n") + "\n\n";
}
