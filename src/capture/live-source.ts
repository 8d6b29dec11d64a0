/**
 * Live capture from an interface through the native addon. The addon watches libpcap's selectable fd on
 * Node's event loop and calls us once per batch with a buffer of pcap records; we index the records into a
 * reused PacketBatch (no per-packet objects) and hand it on. The filter is compiled by libpcap and attached
 * with pcap_setfilter, so on Linux the kernel drops what does not match before it reaches us.
 */
import { createBatch, ensureCapacity, type SourceInfo } from "./batch.js";
import { native, type LiveOptions, type NativeLive } from "./native.js";
import type { BatchConsumer, CaptureStats, PacketSource, SourceEnd } from "./source.js";

export interface LiveSourceOptions extends LiveOptions {
  /** BPF program from compileFilter (already compiled for this link type), or undefined for all packets */
  program?: Uint32Array;
  /** stop after this many packets (the kernel-filtered count); passed to libpcap so it stops exactly */
  count?: number;
}

/** Errors from opening an interface, with a hint a user can act on. */
export function liveOpenError(device: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  let msg = err.message;
  if (err.code === "EPERM") {
    msg +=
      ". Capturing needs the CAP_NET_RAW capability (and CAP_NET_ADMIN for promiscuous mode): run as root, or grant it with `sudo setcap cap_net_raw,cap_net_admin=eip \"$(readlink -f \"$(command -v node)\")\"`";
  } else if (err.code === "ENODEV") {
    msg += " (see `tsniff -D` for the interfaces)";
  }
  return Object.assign(new Error(msg), { code: err.code ?? "EPCAP" });
}

export class LiveSource implements PacketSource {
  readonly info: SourceInfo;
  private h: NativeLive;
  private batch = createBatch(4096);
  private stopResolve: ((end: SourceEnd) => void) | null = null;
  private lastStats: CaptureStats | null = null;
  private finished = false;

  constructor(
    readonly device: string,
    private opts: LiveSourceOptions = {},
  ) {
    try {
      this.h = new (native().Live)(device, opts);
    } catch (e) {
      throw liveOpenError(device, e);
    }
    if (opts.program) {
      try {
        this.h.setFilter(opts.program);
      } catch (e) {
        this.h.close();
        throw e;
      }
    }
    this.info = { kind: "live", name: device, linktype: this.h.datalink(), snaplen: this.h.snaplen(), nano: this.h.isNano() };
  }

  /** Sends a raw frame (with its link-layer header) out of the interface (pcap_inject); returns bytes sent. */
  inject(frame: Uint8Array): number {
    return this.h.inject(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  /** The link types this interface offers (tcpdump -L). */
  datalinks(): number[] {
    return this.h.datalinks();
  }

  /** Replaces the kernel filter while capturing (the TUI's `f`). */
  setFilter(program: Uint32Array): void {
    this.h.setFilter(program);
  }

  run(onBatch: BatchConsumer): Promise<SourceEnd> {
    return new Promise((resolve) => {
      const finish = (end: SourceEnd) => {
        if (this.finished) return;
        this.finished = true;
        this.lastStats = this.safeStats();
        this.h.close();
        resolve(end);
      };
      this.stopResolve = finish;
      const b = this.batch;
      const linktype = this.info.linktype;
      const mult = this.info.nano ? 1 : 1000;
      this.h.start((err, buf, count, done) => {
        if (this.finished) return;
        if (buf && count > 0) {
          // Index the records: [sec, frac, caplen, len] native-endian (little-endian on our targets).
          if (count > b.offset.length) ensureCapacity(b, count);
          const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
          let pos = 0;
          for (let i = 0; i < count; i++) {
            const cap = dv.getUint32(pos + 8, true);
            b.tsSec[i] = dv.getUint32(pos, true);
            b.tsNsec[i] = dv.getUint32(pos + 4, true) * mult;
            b.caplen[i] = cap;
            b.wirelen[i] = dv.getUint32(pos + 12, true);
            b.offset[i] = pos + 16;
            b.linktype[i] = linktype;
            b.iface[i] = 0;
            pos += 16 + cap;
          }
          b.data = buf;
          b.count = count;
          b.raw = true;
          b.rawNano = this.info.nano;
          let want: number;
          try {
            want = onBatch(b);
          } catch (e) {
            finish({ reason: "error", error: e as Error });
            return;
          }
          if (want <= 0) return finish({ reason: "count" });
        }
        if (err) return finish({ reason: "error", error: err });
        if (done) return finish({ reason: "count" });
      }, this.opts.count ?? 0);
    });
  }

  /** Releases the handle of a source that was opened but never run (tsniff -d, -L). */
  close(): void {
    if (!this.stopResolve) this.h.close();
  }

  /** Stops capturing: whatever libpcap already holds is delivered first, then run() resolves. */
  stop(): void {
    if (this.finished || !this.stopResolve) return;
    const finish = this.stopResolve;
    try {
      this.h.drain();
    } catch {
      /* the handle may already be failing; we are stopping anyway */
    }
    finish({ reason: "stopped" });
  }

  private safeStats(): CaptureStats | null {
    try {
      return this.h.stats();
    } catch {
      return null;
    }
  }

  stats(): CaptureStats | null {
    return this.finished ? this.lastStats : this.safeStats() ?? this.lastStats;
  }
}
