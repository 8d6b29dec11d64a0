/**
 * The tree sink for a PDU made by TCP reassembly. Its fields' offsets are in the PDU's own bytes, not the
 * frame's, and the outputs read a field's bytes from the frame by offset (hex panes, bytes fields, `contains`):
 * so every node of a PDU points at the start of the frame's TCP payload with length 0, and a bytes field that
 * carries no value of its own (its value would be read from the frame) is left out. Text and number values
 * (dns.qry.name, http.file_data, tls.record.length ...) are the PDU's.
 */
import type { FieldDef, FieldValue, LayerSink } from "./types.js";

const latin1Slice = Buffer.prototype.latin1Slice as unknown as (this: Uint8Array, from: number, to: number) => string;

export class PduSink implements LayerSink {
  readonly on = true;
  private t: LayerSink | null = null;
  private base = 0;

  over(t: LayerSink, base: number): this {
    this.t = t;
    this.base = base;
    return this;
  }
  openProto(id: string, title: string, _offset: number): { offset: number; length: number } {
    const n = this.t!.openProto(id, title, this.base);
    // the engine sets the length from the PDU reader's position: a record of its own keeps the node at 0
    return {
      get offset() {
        return n.offset;
      },
      set offset(_v: number) {},
      get length() {
        return 0;
      },
      set length(_v: number) {
        n.length = 0;
      },
    };
  }
  dropProto(): void {
    this.t!.dropProto?.();
  }
  add(f: FieldDef, value: FieldValue, _offset: number, _length: number, display?: string): void {
    if (f.type === "bytes" && value === null) return;
    this.t!.add(f, value, this.base, 0, display);
  }
  addLatin1(f: FieldDef, data: Uint8Array, from: number, to: number, _offset: number, _length: number, display?: string): void {
    const t = this.t!;
    if (t.addLatin1) t.addLatin1(f, data, from, to, this.base, 0, display);
    else t.add(f, to > from ? latin1Slice.call(data, from, to) : "", this.base, 0, display);
  }
  push(f: FieldDef, value: FieldValue, _offset: number, _length: number, display?: string): void {
    this.t!.push(f, f.type === "bytes" && value === null ? "" : value, this.base, 0, display);
  }
  note(text: string, _offset: number, _length: number): void {
    this.t!.note(text, this.base, 0);
  }
  pushNote(text: string, _offset: number, _length: number): void {
    this.t!.pushNote(text, this.base, 0);
  }
  pop(): void {
    this.t!.pop();
  }
}
