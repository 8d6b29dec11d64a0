/**
 * In-process sweep for the stream tests: every packet of a capture through one Dissector (detail pass), the
 * values of the fields asked for, per frame (as tshark -T fields gives them: a list per field).
 */
import { FileSource } from "../../src/capture/file-source.js";
import { Dissector, walkFields, type TreeNode } from "../../src/dissectors/index.js";

export async function fieldsOf(file: string, names: string[], opts: ConstructorParameters<typeof Dissector>[0] = {}): Promise<Map<string, string[]>[]> {
  const want = new Set(names);
  const dis = new Dissector(opts);
  const rows: Map<string, string[]>[] = [];
  let frame = 0;
  let s: FileSource;
  try {
    s = await FileSource.open(file);
  } catch {
    return rows;
  }
  try {
    await s.run((b) => {
      for (let i = 0; i < b.count; i++) {
        frame++;
        const { tree } = dis.detail(b, i, frame);
        const m = new Map<string, string[]>();
        walkFields((tree?.roots ?? []) as TreeNode[], (n) => {
          if (n.kind !== "field" || !want.has(n.name)) return;
          const v = n.value === null ? "" : typeof n.value === "boolean" ? (n.value ? "1" : "0") : String(n.value);
          const l = m.get(n.name);
          if (l) l.push(v);
          else m.set(n.name, [v]);
        });
        rows[frame - 1] = m;
      }
      return Infinity;
    });
  } catch {
    // a damaged file ends where it is damaged, as tshark's output does
  }
  return rows;
}
