/**
 * Frame number -> frame number, for tcp.reassembled_in (Reassembly.reassembledIn): an entry for every frame whose
 * bytes went into a PDU a later frame completed, a third of a busy capture's frames. Frame numbers are dense
 * (1, 2, 3, ...), so the answers sit in an Int32Array indexed by frame (4 bytes a frame, grown by doubling)
 * instead of a Map (some 30 bytes an entry, rehashed as it grows, and marked by every full garbage collection of
 * a long read). Numbers outside the array's range (0, negative, beyond 2^26) go to a Map.
 */
const DENSE = 1 << 26;

export class FrameMap {
  private a = new Int32Array(1024);
  private other: Map<number, number> | null = null;
  private n = 0;

  /** A copy of `m`'s entries (an earlier pass's answer). */
  static from(m: Map<number, number> | undefined): FrameMap {
    const f = new FrameMap();
    if (m) for (const [k, v] of m) f.set(k, v);
    return f;
  }

  get size(): number {
    return this.n;
  }

  get(frame: number): number | undefined {
    if (frame > 0 && frame < DENSE && Number.isInteger(frame)) {
      if (frame >= this.a.length) return undefined;
      const v = this.a[frame];
      return v === 0 ? undefined : v;
    }
    return this.other?.get(frame);
  }

  has(frame: number): boolean {
    return this.get(frame) !== undefined;
  }

  /** Sets frame -> to (`to` a frame number, >= 1). */
  set(frame: number, to: number): void {
    if (frame > 0 && frame < DENSE && Number.isInteger(frame) && to > 0 && to < 2 ** 31 && Number.isInteger(to)) {
      if (frame >= this.a.length) {
        let len = this.a.length * 2;
        while (len <= frame) len *= 2;
        const b = new Int32Array(Math.min(len, DENSE));
        b.set(this.a);
        this.a = b;
      }
      if (this.a[frame] === 0) this.n++;
      this.a[frame] = to;
      return;
    }
    this.other ??= new Map();
    if (!this.other.has(frame)) this.n++;
    this.other.set(frame, to);
  }

  /** The entries as a Map, in frame order (the library's reassembledFrames). */
  toMap(): Map<number, number> {
    const m = new Map<number, number>();
    const a = this.a;
    for (let i = 1; i < a.length; i++) if (a[i] !== 0) m.set(i, a[i]);
    if (this.other) for (const [k, v] of this.other) m.set(k, v);
    return m;
  }
}
