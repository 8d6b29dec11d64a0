/**
 * tshark -2's first pass, for TCP reassembly: tcp.reassembled_in goes on the frames whose bytes went into a PDU
 * that a later frame completed, which a single pass only learns after it printed them. This reads the file
 * once with reassembly (every packet dissected with a sink that keeps nothing) and returns, per such frame,
 * the frame that completed its PDU; the second pass takes it as the reassembly option `known`
 * (`new Dissector({ reassembly: { known } })`, the CLI's -2).
 */
import { FileSource } from "../capture/file-source.js";
import { native } from "../capture/native.js";
import { Dissector } from "../dissectors/index.js";
import type { FieldDef, FieldValue, LayerSink } from "../dissectors/types.js";
import type { ReassemblyOptions } from "../stream/reassembly.js";

/** A detail sink that records nothing (the dissectors run as for a tree: reassembly included). */
class NoTree implements LayerSink {
  readonly on = true;
  private rec = { offset: 0, length: 0 };
  add(_f: FieldDef, _v: FieldValue, _o: number, _l: number, _d?: string): void {}
  push(_f: FieldDef, _v: FieldValue, _o: number, _l: number, _d?: string): void {}
  note(_t: string, _o: number, _l: number): void {}
  pushNote(_t: string, _o: number, _l: number): void {}
  pop(): void {}
  openProto(_id: string, _title: string, offset: number): { offset: number; length: number } {
    this.rec.offset = offset;
    this.rec.length = 0;
    return this.rec;
  }
}

export interface FirstPassOptions {
  /** a compiled capture filter: frames are numbered among the packets it passes, as the second pass numbers them */
  program?: Uint32Array;
  /** the reassembly options of the second pass (caps) */
  reassembly?: ReassemblyOptions;
}

/** Frame -> the later frame that completed the PDU its TCP bytes went into, for the whole file. */
export async function reassembledFrames(file: string, o: FirstPassOptions = {}): Promise<Map<number, number>> {
  const src = await FileSource.open(file);
  const dis = new Dissector({ reassembly: { ...o.reassembly, known: undefined } });
  const sink = new NoTree();
  const bpf = o.program ? native() : null;
  let frame = 0;
  await src.run((b) => {
    const verdict = bpf ? bpf.filterBatch(o.program!, b.data, b.offset, b.caplen, b.wirelen, b.count) : null;
    for (let i = 0; i < b.count; i++) {
      if (verdict && verdict[i] === 0) continue;
      dis.into(b, i, ++frame, sink);
    }
    return Infinity;
  });
  return dis.reassembly?.reassembledIn.toMap() ?? new Map();
}
