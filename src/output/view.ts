/**
 * One dissected packet as the detail outputs see it: the frame node, the dissector tree and the bytes the
 * nodes' offsets point into. -V, -T json, -T fields and -Y all read this one shape.
 */
import type { Ctx } from "../dissectors/types.js";
import type { TreeNode } from "../dissectors/tree.js";

export interface PacketView {
  /** the frame node first, then the protocol nodes of the dissector tree */
  roots: TreeNode[];
  /** the buffer the node offsets point into */
  data: Uint8Array;
  /** the packet is data[start, end) (captured bytes) */
  start: number;
  end: number;
  /** the dissection's summary state (info line, flags, bug) */
  ctx: Ctx;
}

/**
 * Every node by name, in tree order: field nodes under their field name, protocol nodes under the
 * protocol id. Text notes are skipped (their children are not).
 */
export function indexTree(roots: readonly TreeNode[]): Map<string, TreeNode[]> {
  const m = new Map<string, TreeNode[]>();
  const visit = (nodes: readonly TreeNode[]) => {
    for (const n of nodes) {
      if (n.kind !== "note" && n.name) {
        const a = m.get(n.name);
        if (a) a.push(n);
        else m.set(n.name, [n]);
      }
      if (n.children) visit(n.children);
    }
  };
  visit(roots);
  return m;
}
