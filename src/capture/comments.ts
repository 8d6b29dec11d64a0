/**
 * Packet comments on their way to a pcapng file: a plugin's ctx.comment(pkt, text) records one by frame
 * number while the packet is being decided, and the -w writer takes it when it writes that frame (as the
 * EPB's opt_comment, the same code that writes the flight recorder's trigger reason). Packets without a
 * comment cost one Map lookup on an empty map.
 *
 * Comments on packets that are never written (dropped by a plugin, past -c) are forgotten: the runner drops
 * them, and the store keeps at most MAX entries (the oldest go first), so it cannot grow without bound.
 */
const MAX = 10000;

export class PacketComments {
  private byFrame = new Map<number, string>();
  /** comments given so far (written or not) */
  added = 0;

  /** Adds a comment to frame `frame`; several on one packet are joined by "; ". */
  add(frame: number, text: string): void {
    if (!text) return;
    this.added++;
    const prev = this.byFrame.get(frame);
    if (prev !== undefined) {
      this.byFrame.set(frame, `${prev}; ${text}`);
      return;
    }
    if (this.byFrame.size >= MAX) this.byFrame.delete(this.byFrame.keys().next().value as number);
    this.byFrame.set(frame, text);
  }

  /** The comment of `frame`, removed from the store (undefined when there is none). */
  take(frame: number): string | undefined {
    if (this.byFrame.size === 0) return undefined;
    const c = this.byFrame.get(frame);
    if (c !== undefined) this.byFrame.delete(frame);
    return c;
  }

  /** Forgets the comment of a packet that will not be written. */
  drop(frame: number): void {
    if (this.byFrame.size) this.byFrame.delete(frame);
  }

  get size(): number {
    return this.byFrame.size;
  }
}
