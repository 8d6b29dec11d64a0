/**
 * -T fields -e NAME ...: one line per packet, the values of the named fields separated by tabs, like
 * tshark -T fields: an absent field is an empty cell, a repeated one its values joined with ",". A protocol
 * name prints its layer's bytes as hex. Names are checked once, against the declared fields and protocols.
 */
import { getField, getProtocol } from "../dissectors/registry.js";
import { fieldText, hexOf, nodeBytes } from "./values.js";
import { indexTree, type PacketView } from "./view.js";
import type { TreeNode } from "../dissectors/tree.js";
import "./frame.js";

export class FieldListError extends Error {
  readonly code = "EFIELDS";
}

/** Checks the -e names; throws FieldListError naming the unknown ones (as tshark: "Some fields aren't valid"). */
export function checkFieldNames(names: readonly string[]): void {
  const bad = names.filter((n) => !getField(n) && !getProtocol(n));
  if (bad.length) throw new FieldListError(`some fields aren't valid: ${bad.join(", ")}`);
}

/**
 * The nodes of the asked names only, in tree order (the names' positions in `names`): no index of every node
 * of every frame (a Map and an array per name, most of it never read) for the usual handful of -e names.
 */
function collect(names: readonly string[], roots: readonly TreeNode[]): (TreeNode[] | undefined)[] {
  const out: (TreeNode[] | undefined)[] = new Array(names.length).fill(undefined);
  const visit = (nodes: readonly TreeNode[]) => {
    for (let k = 0; k < nodes.length; k++) {
      const n = nodes[k];
      if (n.kind !== "note" && n.name) {
        for (let i = 0; i < names.length; i++)
          if (names[i] === n.name) {
            const a = out[i];
            if (a) a.push(n);
            else out[i] = [n];
          }
      }
      if (n.children) visit(n.children);
    }
  };
  visit(roots);
  return out;
}

export function fieldsLine(names: readonly string[], v: PacketView): string {
  const idx = names.length <= 16 ? collect(names, v.roots) : null;
  const all = idx ? null : indexTree(v.roots);
  let s = "";
  for (let i = 0; i < names.length; i++) {
    if (i) s += "\t";
    const nodes = idx ? idx[i] : all!.get(names[i]);
    if (!nodes) continue;
    for (let j = 0; j < nodes.length; j++) {
      if (j) s += ",";
      const n = nodes[j];
      s += n.kind === "proto" ? hexOf(nodeBytes(n, v.data, v.end)) : fieldText(n, v.data, v.end);
    }
  }
  return s + "\n";
}
