/**
 * The tree sink for layers that dissect a buffer of their own (a Handoff's `data`: an HDLC-escaped PPP frame
 * unescaped, as tcpdump's nd_push_buffer). Their offsets are in that buffer; the tree's nodes must point at the
 * frame (hex panes, -x/-X's link header, bytes fields read from the frame by offset), so each offset goes
 * through `map` (buffer index -> the frame offset that byte was made from; one entry more: where the last ends). A bytes field with no value of
 * its own is kept only where its bytes are the frame's (a run the map keeps contiguous: no escape inside);
 * elsewhere its value would be read from the frame's (escaped) bytes, so it is left out. Without a map (a
 * buffer that is no copy of frame bytes), every node points at `base` with length 0, as PduSink does.
 * Made only for packets that hand on such a buffer: other packets allocate nothing here.
 */
import type { FieldDef, FieldValue, LayerSink } from "./types.js";

const latin1Slice = Buffer.prototype.latin1Slice as unknown as (this: Uint8Array, from: number, to: number) => string;

export class MapSink implements LayerSink {
  readonly on = true;
  readonly texts: boolean | undefined;
  constructor(
    private readonly t: LayerSink,
    private readonly map: Int32Array | null,
    private readonly base: number,
  ) {
    this.texts = t.texts;
  }

  /** The frame offset of buffer offset i (map has one entry more than the buffer: where its last byte ends). */
  at(i: number): number {
    const m = this.map;
    if (!m || m.length === 0) return this.base;
    return m[i <= 0 ? 0 : i >= m.length ? m.length - 1 : i];
  }
  /** the frame bytes [at(off), at(off + len)) that buffer bytes [off, off + len) came from: their length */
  private len(off: number, len: number): number {
    return this.map ? Math.max(0, this.at(off + Math.max(0, len)) - this.at(off)) : 0;
  }
  /** whether buffer bytes [off, off + len) are frame bytes [at(off), at(off) + len), as they are */
  private same(off: number, len: number): boolean {
    return !!this.map && off >= 0 && off + len < this.map.length && this.len(off, len) === len;
  }

  openProto(id: string, title: string, offset: number): { offset: number; length: number } {
    const n = this.t.openProto(id, title, this.at(offset));
    // the engine reads the record's offset back and sets its length in buffer terms: keep the buffer's offset
    // here and map the length onto the frame
    const self = this;
    return {
      get offset() {
        return offset;
      },
      set offset(_v: number) {},
      get length() {
        return n.length;
      },
      set length(v: number) {
        n.length = self.len(offset, v);
      },
    };
  }
  dropProto(): void {
    this.t.dropProto?.();
  }
  add(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void {
    if (f.type === "bytes" && value === null && !this.same(offset, length)) return;
    this.t.add(f, value, this.at(offset), this.len(offset, length), display);
  }
  addLatin1(f: FieldDef, data: Uint8Array, from: number, to: number, offset: number, length: number, display?: string): void {
    const t = this.t;
    if (t.addLatin1) t.addLatin1(f, data, from, to, this.at(offset), this.len(offset, length), display);
    else t.add(f, to > from ? latin1Slice.call(data, from, to) : "", this.at(offset), this.len(offset, length), display);
  }
  push(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void {
    this.t.push(f, f.type === "bytes" && value === null && !this.same(offset, length) ? "" : value, this.at(offset), this.len(offset, length), display);
  }
  note(text: string, offset: number, length: number): void {
    this.t.note(text, this.at(offset), this.len(offset, length));
  }
  pushNote(text: string, offset: number, length: number): void {
    this.t.pushNote(text, this.at(offset), this.len(offset, length));
  }
  pop(): void {
    this.t.pop();
  }
}
