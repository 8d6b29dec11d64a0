/**
 * A capture's records read into arrays (copies), for tests that rewrite, drop or compare packets: the one loop
 * over FileSource batches the tests share.
 */
import { FileSource } from "../../src/capture/file-source.js";

export interface CaptureRecord {
  sec: number;
  nsec: number;
  caplen: number;
  wirelen: number;
  linktype: number;
  /** a copy of the captured bytes */
  data: Uint8Array;
}

/** Every record of `file`, and why the reading ended ("eof" for a whole file). */
export async function readRecords(file: string): Promise<{ records: CaptureRecord[]; reason: string }> {
  const src = await FileSource.open(file);
  const records: CaptureRecord[] = [];
  const end = await src.run((b) => {
    for (let i = 0; i < b.count; i++) {
      const off = b.offset[i];
      records.push({ sec: b.tsSec[i], nsec: b.tsNsec[i], caplen: b.caplen[i], wirelen: b.wirelen[i], linktype: b.linktype[i], data: b.data.slice(off, off + b.caplen[i]) });
    }
    return Infinity;
  });
  return { records, reason: end.reason };
}
