/**
 * Tree sinks: NULL_TREE for the summary pass (records nothing), TreeBuilder for the detail pass (selected
 * row, -V, JSON, -Y, plugins). Nodes keep absolute byte offsets and lengths so the hex pane can highlight.
 */
import type { FieldDef, FieldValue, TreeSink } from "./types.js";

export interface TreeNode {
  /** field name ("ip.src"), protocol id for protocol nodes, "" for text notes */
  name: string;
  label: string;
  value: FieldValue;
  /** display text of the value */
  display: string;
  offset: number;
  length: number;
  kind: "proto" | "field" | "note";
  field?: FieldDef;
  children?: TreeNode[];
}

/**
 * Every tree node is made here, as one class: the outputs walk thousands of nodes per second, and nodes of
 * one shape keep those property reads monomorphic (several shapes made them megamorphic, the slowest kind of
 * property read). A field's display text is made when first read: -T json and -Y never read most of them.
 */
class Node implements TreeNode {
  constructor(
    public name: string,
    public label: string,
    public value: FieldValue,
    private shown: string | undefined,
    public offset: number,
    public length: number,
    public kind: TreeNode["kind"],
    public field: FieldDef | undefined,
    public children: TreeNode[] | undefined,
  ) {}
  get display(): string {
    if (this.shown === undefined) this.shown = this.field ? formatValue(this.field, this.value) : "";
    return this.shown;
  }
  set display(s: string) {
    this.shown = s;
  }
}

/** A tree node; `display` undefined means "the field's value, formatted" (made on first read). */
export function treeNode(
  name: string,
  label: string,
  value: FieldValue,
  display: string | undefined,
  offset: number,
  length: number,
  kind: TreeNode["kind"],
  field: FieldDef | undefined,
  children: TreeNode[] | undefined,
): TreeNode {
  return new Node(name, label, value, display, offset, length, kind, field, children);
}

export const NULL_TREE: TreeSink = {
  on: false,
  add() {},
  push() {},
  note() {},
  pushNote() {},
  pop() {},
};

const HEX = "0123456789abcdef";

export function formatValue(f: FieldDef, v: FieldValue): string {
  if (v === null) return "";
  if (f.type === "time") return `${v} seconds`;
  if (f.unit === "bytes" && typeof v === "number") return `${v} byte${v === 1 ? "" : "s"} (${v * 8} bits)`;
  if (typeof v === "number") {
    const named = f.values?.[v];
    const num = f.base === "hex" ? "0x" + (v >>> 0).toString(16).padStart(f.type === "uint" && v > 0xffff ? 8 : v > 0xff ? 4 : 2, "0") : String(v);
    return named !== undefined ? `${named} (${num})` : num;
  }
  if (typeof v === "boolean") return v ? "True" : "False";
  return v;
}

/** Hex text of bytes, "aa:bb:cc" style (Wireshark's bytes display). */
export function hexBytes(b: Uint8Array, sep = ":"): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    if (i && sep) s += sep;
    s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  }
  return s;
}

export class TreeBuilder implements TreeSink {
  readonly on = true;
  roots: TreeNode[] = [];
  private stack: TreeNode[][] = [];
  private cur: TreeNode[] = this.roots;
  private last: TreeNode | null = null;

  reset(): void {
    this.roots = [];
    this.stack = [];
    this.cur = this.roots;
    this.last = null;
  }

  /** Opens a protocol layer; the engine closes it. */
  openProto(id: string, title: string, offset: number): TreeNode {
    this.stack.length = 0;
    this.cur = this.roots;
    const n = treeNode(id, title, null, "", offset, 0, "proto", undefined, []);
    this.roots.push(n);
    this.cur = n.children!;
    return n;
  }

  dropProto(): void {
    this.roots.pop();
    this.stack.length = 0;
    this.cur = this.roots;
  }

  add(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void {
    const n = treeNode(f.name, f.label, value, display, offset, length, "field", f, undefined);
    this.cur.push(n);
    this.last = n;
  }
  push(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void {
    this.add(f, value, offset, length, display);
    const n = this.last!;
    n.children = [];
    this.stack.push(this.cur);
    this.cur = n.children;
  }
  note(text: string, offset: number, length: number): void {
    this.cur.push(treeNode("", text, null, "", offset, length, "note", undefined, undefined));
  }
  pushNote(text: string, offset: number, length: number): void {
    const n = treeNode("", text, null, "", offset, length, "note", undefined, []);
    this.cur.push(n);
    this.stack.push(this.cur);
    this.cur = n.children!;
  }
  pop(): void {
    const prev = this.stack.pop();
    if (prev) this.cur = prev;
  }
}

/** Visits every field node (depth first). */
export function walkFields(nodes: TreeNode[], fn: (n: TreeNode, proto: string) => void, proto = ""): void {
  for (const n of nodes) {
    const p = n.kind === "proto" ? n.name : proto;
    if (n.kind !== "note" || n.children) fn(n, p);
    if (n.children) walkFields(n.children, fn, p);
  }
}
