/**
 * Keeps the TUI's heap near what it holds (issue #17: RSS < 200 MB at every moment on a million packets).
 *
 * Measured in the TUI (heap snapshots after End and during the passes): the main thread holds ~17 MB of live
 * objects, yet its heap grew to 70-110 MB. V8 sizes the old generation's first limit from the heap's maximum
 * (a few GB here), not from what is live, so the garbage that Ink's frames and the passes' answers promote
 * (the young generation is kept at 1 MB semi-spaces: ./index.ts) piles up for a long time before the first
 * full collection, and the pages it took stay resident. The maximum cannot be set once the process runs (the
 * worker gets its own through resourceLimits: ./filter-thread.ts), so the TUI collects itself: when the heap
 * holds `margin` more than after the last full collection, at a moment no key waits. After such a collection
 * V8 sets its own limit from the live size, and frees the pages left empty.
 *
 * The collector is V8's `gc`, exposed with --expose-gc (set at run time: `gc` is then on new contexts, so one
 * is made to take it from). Without it (a V8 that refuses the flag) nothing is done.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collector: (() => void) | null | undefined;

/** V8's full collection, or null. */
export function fullGc(): (() => void) | null {
  if (collector === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const f = runInNewContext("typeof gc === 'function' ? gc : null") as (() => void) | null;
      collector = f;
    } catch {
      collector = null;
    }
  }
  return collector;
}

const MB = 1048576;

export class HeapKeeper {
  /** heap used after the last full collection (bytes) */
  live = 0;
  /** full collections made, and the time they took (ms) */
  collections = 0;
  ms = 0;

  constructor(readonly margin = 12 * MB) {
    this.live = getHeapStatistics().used_heap_size;
  }

  /** Collects when the heap grew `margin` past what was live; true when it did. */
  check(): boolean {
    const used = getHeapStatistics().used_heap_size;
    if (used < this.live + this.margin) return false;
    const gc = fullGc();
    if (!gc) return false;
    const t = performance.now();
    gc();
    this.ms += performance.now() - t;
    this.collections++;
    this.live = getHeapStatistics().used_heap_size;
    return true;
  }
}
