/**
 * Live capture from an interface through the native addon. The addon watches libpcap's selectable fd on
 * Node's event loop and calls us once per batch with a buffer of pcap records; we index the records into a
 * reused PacketBatch (no per-packet objects) and hand it on. The filter is compiled by libpcap and attached
 * with pcap_setfilter, so on Linux the kernel drops what does not match before it reaches us.
 *
 * With `resume`, an interface that goes down or disappears does not end the capture. One that goes down
 * keeps its handle (libpcap reports the socket's ENETDOWN once and goes on; the kernel hooks the socket
 * again when the interface is up, so nothing after the up is missed, as with tcpdump): `onNotice` says it
 * went down and, when the kernel's link events (or polling) say it is up, that the capture goes on. One
 * that disappears fails its handle: the handle is closed, `onNotice` says so, and once it is back a new
 * handle is opened with the same options and filter and the
 * capture goes on into the same consumer (frame numbers, files and rotation continue). The kernel's link
 * events (netlink, in the addon) say when it comes back, so the reopen follows the `ip link set up` at once;
 * the interface is also looked at every `retryMs` (sysfs), the fallback when netlink is not available.
 * stop() while waiting ends the capture as usual.
 */
import { createBatch, ensureCapacity, type SourceInfo } from "./batch.js";
import { native, type LiveOptions, type NativeLinkWatch, type NativeLive } from "./native.js";
import { interfaceIndex, interfaceUp, isInterfaceFault } from "./live-fault.js";
import type { BatchConsumer, CaptureStats, PacketSource, SourceEnd } from "./source.js";

export interface LiveSourceOptions extends LiveOptions {
  /** BPF program from compileFilter (already compiled for this link type), or undefined for all packets */
  program?: Uint32Array;
  /** stop after this many packets (the kernel-filtered count); passed to libpcap so it stops exactly */
  count?: number;
  /** wait for an interface that goes down or disappears to come back, then go on (default: stop with an error) */
  resume?: boolean;
  /** how often to look at a down interface, in ms (default 300) */
  retryMs?: number;
  /** status lines (interface down, back up), without the program's name */
  onNotice?: (line: string) => void;
  /** the `iface` number written into batches (a MultiLiveSource numbers its interfaces; default 0) */
  ifaceIndex?: number;
}

/** Errors from opening an interface, with a hint a user can act on. */
export function liveOpenError(device: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  // The addon writes "dev: STATUS (libpcap's text": a text equal to the status is said once, the parenthesis closed.
  let msg = String(err.message);
  const m = /^(.*?: )([^()]+) \((.*?)\)?$/.exec(msg);
  if (m) msg = m[3] === m[2] || !m[3] ? m[1] + m[2] : `${m[1]}${m[2]} (${m[3]})`;
  if (err.code === "EPERM") {
    msg +=
      ". Capturing needs the CAP_NET_RAW capability (and CAP_NET_ADMIN for promiscuous mode): run it as root and let -Z drop to your user once the capture is open (sudo tsniff -Z \"$USER\" ...), or see the README (Capturing without root) for a capture group";
  } else if (err.code === "ENODEV") {
    msg += " (see `tsniff -D` for the interfaces)";
  }
  return Object.assign(new Error(msg), { code: err.code ?? "EPCAP" });
}

/**
 * Called with each native batch as it comes: `buf` holds `count` pcap records (native-endian headers,
 * fractions in nanoseconds when `nano`). Returns how many packets are still wanted (0 stops).
 */
export type RawBatchConsumer = (buf: Buffer, count: number, nano: boolean, linktype: number) => number;

/** How long a handle whose interface went is kept for its last ring block (libpcap's timeout is 100 ms). */
const GRACE_MS = 150;

const ZERO_STATS: CaptureStats = { received: 0, dropped: 0, ifDropped: 0 };

export class LiveSource implements PacketSource {
  readonly info: SourceInfo;
  private h: NativeLive;
  private batch = createBatch(4096);
  private stopResolve: ((end: SourceEnd) => void) | null = null;
  private lastStats: CaptureStats | null = null;
  private finished = false;
  /** the kernel filter in force (given to a reopened handle) */
  private program: Uint32Array | undefined;
  /** packets delivered so far (a reopened handle is asked for the rest of -c) */
  private delivered = 0;
  /** counters of the handles closed when the interface went down */
  private baseStats: CaptureStats = { ...ZERO_STATS };
  /** while waiting for the interface to come back */
  private retry: NodeJS.Timeout | null = null;
  /** the handle whose interface went (drained once more, then closed) */
  private faulted: NativeLive | null = null;
  /** a handle was closed for a fault (baseStats counts) */
  private reopened = false;
  /** the kernel's link events while waiting for the interface (null: not waiting, or netlink unavailable) */
  private links: NativeLinkWatch | null = null;
  /** the interface went down and the handle waits for it (kept: see the class comment) */
  private linkDown = false;
  /** polling for the interface to be up again while linkDown (the fallback without netlink) */
  private linkPoll: NodeJS.Timeout | null = null;
  /** times the capture was resumed */
  resumed = 0;

  constructor(
    readonly device: string,
    private opts: LiveSourceOptions = {},
  ) {
    this.h = this.open();
    this.info = {
      kind: "live",
      name: device,
      linktype: this.h.datalink(),
      snaplen: this.h.snaplen(),
      nano: this.h.isNano(),
      interfaces: [{ name: device, linktype: this.h.datalink(), snaplen: this.h.snaplen() }],
    };
  }

  /** Opens and activates a handle with this source's options and filter. */
  private open(): NativeLive {
    let h: NativeLive;
    try {
      h = new (native().Live)(this.device, this.opts);
    } catch (e) {
      throw liveOpenError(this.device, e);
    }
    const program = this.program ?? this.opts.program;
    if (program) {
      try {
        h.setFilter(program);
      } catch (e) {
        h.close();
        throw e;
      }
      this.program = program;
    }
    return h;
  }

  /** Sends a raw frame (with its link-layer header) out of the interface (pcap_inject); returns bytes sent. */
  inject(frame: Uint8Array): number {
    return this.h.inject(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  /** The link types this interface offers (tcpdump -L). */
  datalinks(): number[] {
    return this.h.datalinks();
  }

  /** Replaces the kernel filter while capturing (the TUI's `f`); a reopened handle gets it too. */
  setFilter(program: Uint32Array): void {
    this.h.setFilter(program);
    this.program = program;
  }

  run(onBatch: BatchConsumer): Promise<SourceEnd> {
    const b = this.batch;
    const iface = this.opts.ifaceIndex ?? 0;
    return this.runRaw((buf, count, nano, linktype) => {
      // Index the records: [sec, frac, caplen, len] native-endian (little-endian on our targets).
      if (count > b.offset.length) ensureCapacity(b, count);
      const mult = nano ? 1 : 1000;
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
        b.iface[i] = iface;
        pos += 16 + cap;
      }
      b.data = buf;
      b.count = count;
      b.raw = true;
      b.rawNano = nano;
      return onBatch(b);
    });
  }

  /** Like run(), but hands on the native batches as they are (a MultiLiveSource merges them). */
  runRaw(onRaw: RawBatchConsumer): Promise<SourceEnd> {
    return new Promise((resolve) => {
      const finish = (end: SourceEnd) => {
        if (this.finished) return;
        this.finished = true;
        if (this.retry) clearTimeout(this.retry);
        this.retry = null;
        this.endLinkDown();
        this.lastStats = this.safeStats();
        this.h.close();
        resolve(end);
      };
      this.stopResolve = finish;
      this.startHandle(onRaw, finish);
    });
  }

  private startHandle(onRaw: RawBatchConsumer, finish: (end: SourceEnd) => void): void {
    const h = this.h;
    const linktype = h.datalink();
    const nano = h.isNano();
    const count = this.opts.count ? Math.max(1, this.opts.count - this.delivered) : 0;
    h.start((err, buf, n, done) => {
      if (this.finished || h !== this.h) return;
      if (buf && n > 0) {
        this.delivered += n;
        let want: number;
        try {
          want = onRaw(buf, n, nano, linktype);
        } catch (e) {
          finish({ reason: "error", error: e as Error });
          return;
        }
        if (want <= 0) return finish({ reason: "count" });
      }
      if (err && (err as NodeJS.ErrnoException).code === "ELINKDOWN") {
        // Went down: the handle is kept and goes on when the interface is up again.
        if (!this.opts.resume) return finish({ reason: "error", error: Object.assign(err, { device: this.device }) });
        this.wentDown(h, onRaw, finish);
        if (done) return finish({ reason: "count" });
        return;
      }
      if (err) {
        if (this.faulted === h) return; // the last drain of a handle whose interface went: already waiting
        this.endLinkDown();
        if (this.opts.resume && isInterfaceFault(this.device, err)) return this.waitForInterface(onRaw, finish);
        return finish({ reason: "error", error: Object.assign(err, { device: this.device }) });
      }
      if (done) return finish({ reason: "count" });
    }, count);
  }

  /**
   * The interface went down but the handle stays: say so, and say when it is up again. If it is deleted
   * meanwhile (the kernel then unbinds the socket without an error) or comes back as another interface
   * (a new index), the handle is dead: it is closed and a new one opened, as for one that disappeared.
   */
  private wentDown(h: NativeLive, onRaw: RawBatchConsumer, finish: (end: SourceEnd) => void): void {
    if (this.linkDown) return; // libpcap may say it more than once
    this.linkDown = true;
    const index = interfaceIndex(this.device);
    this.opts.onNotice?.(`${this.device}: interface went down; waiting for it to come back`);
    const check = () => {
      if (!this.linkDown || this.finished || this.h !== h) return;
      const now = interfaceIndex(this.device);
      if (now === null || now !== index) {
        // gone, or another interface of that name: this handle will see nothing more
        this.endLinkDown();
        this.waitForInterface(onRaw, finish, true);
        return;
      }
      if (interfaceUp(this.device) !== true) return;
      this.endLinkDown();
      this.resumed++;
      this.opts.onNotice?.(`${this.device}: interface is back up; capture resumed`);
    };
    const poll = () => {
      this.linkPoll = null;
      check();
      if (this.linkDown && !this.finished) this.linkPoll = setTimeout(poll, this.opts.retryMs ?? 300);
    };
    this.watchLinks(check, true);
    this.linkPoll = setTimeout(poll, this.opts.retryMs ?? 300);
  }

  private endLinkDown(): void {
    this.linkDown = false;
    if (this.linkPoll) clearTimeout(this.linkPoll);
    this.linkPoll = null;
    this.unwatchLinks();
  }

  /**
   * The interface went away (or its handle failed): close the handle and wait until it can be reopened. The kernel's link
   * events wake us as soon as it is up again; every retryMs we also look (the fallback without netlink).
   */
  private waitForInterface(onRaw: RawBatchConsumer, finish: (end: SourceEnd) => void, disappeared = false): void {
    const h = this.h;
    if (this.faulted === h) return; // the grace drain below failing again
    this.faulted = h;
    const gone = disappeared || interfaceUp(this.device) === null;
    this.opts.onNotice?.(`${this.device}: interface ${gone ? "disappeared" : "went down"}; waiting for it to come back`);
    const retryMs = this.opts.retryMs ?? 300;
    let released = false;
    // Packets the kernel still held in a ring block when the interface went are handed over when the block
    // times out (libpcap's timeout, 100 ms): one more drain after that keeps them, then the handle closes.
    // When the interface is back before that, the drain happens then.
    let grace: NodeJS.Timeout | null = setTimeout(() => {
      grace = null;
      if (!this.finished) release();
    }, GRACE_MS);
    const release = () => {
      if (grace) clearTimeout(grace);
      grace = null;
      if (released) return;
      released = true;
      try {
        h.drain();
      } catch {
        /* nothing more to have */
      }
      try {
        const st = h.stats(); // this handle's own counters, kept before it closes
        if (st) this.addBase(st);
      } catch {
        /* a failed handle may not answer; its counts are lost */
      }
      this.reopened = true;
      h.close();
    };
    const attempt = () => {
      if (this.retry) clearTimeout(this.retry);
      this.retry = null;
      if (this.finished) return;
      // Down: wait. Up, or unknown to sysfs (gone, or a sysfs of another namespace): try to open it, which
      // fails at once (no ring is set up) while it does not exist.
      if (interfaceUp(this.device) !== false) {
        release();
        if (this.finished) return;
        try {
          this.h = this.open();
        } catch {
          this.retry = setTimeout(attempt, retryMs);
          return;
        }
        this.unwatchLinks();
        this.resumed++;
        this.opts.onNotice?.(`${this.device}: interface is back up; capture resumed`);
        this.startHandle(onRaw, finish);
        return;
      }
      this.retry = setTimeout(attempt, retryMs);
    };
    this.watchLinks(() => {
      if (!this.finished && this.faulted === h && this.h === h) attempt();
    });
    // Already up again (a quick down and up): as soon as the old handle's last block is in.
    this.retry = setTimeout(attempt, interfaceUp(this.device) === true ? GRACE_MS : GRACE_MS + retryMs);
  }

  /**
   * Listens to the kernel's link events for this interface: `onChange()` when it is (or may be) up, after an
   * `ip link set up`, a re-created interface, or events the kernel dropped; with `anyChange`, for any event
   * of the interface (deleted too). Without netlink (an old kernel, a seccomp policy), nothing: the caller's
   * polling finds the interface.
   */
  private watchLinks(onChange: () => void, anyChange = false): void {
    this.unwatchLinks();
    const LinkWatch = native().LinkWatch;
    if (!LinkWatch) return;
    try {
      this.links = new LinkWatch((events, overflow) => {
        let hit = overflow;
        for (const e of events) if (e.name === this.device) hit = anyChange || (e.up && !e.deleted);
        if (hit) onChange();
      });
    } catch {
      this.links = null;
    }
  }

  private unwatchLinks(): void {
    const l = this.links;
    this.links = null;
    l?.close();
  }

  /**
   * Stops reading for a while (the kernel keeps filling its buffer, then drops and counts what does not fit):
   * backpressure for a consumer that fell behind. resume() reads again.
   */
  pause(): void {
    if (!this.finished) this.h.pause();
  }

  resume(): void {
    if (!this.finished) this.h.resume();
  }

  /** True while the interface is down and the capture waits for it. */
  get waiting(): boolean {
    return this.retry !== null || this.linkDown;
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
      /* the handle may already be failing (or closed while waiting); we are stopping anyway */
    }
    finish({ reason: "stopped" });
  }

  private addBase(s: CaptureStats): void {
    this.baseStats.received += s.received;
    this.baseStats.dropped += s.dropped;
    this.baseStats.ifDropped += s.ifDropped;
  }

  /** The kernel's counters of the current handle plus those of handles closed before (resumed captures). */
  private safeStats(): CaptureStats | null {
    let s: CaptureStats | null;
    try {
      s = this.h.stats();
    } catch {
      s = null;
    }
    const base = this.baseStats;
    if (!s) return this.reopened ? { ...base } : null;
    return { received: base.received + s.received, dropped: base.dropped + s.dropped, ifDropped: base.ifDropped + s.ifDropped };
  }

  stats(): CaptureStats | null {
    return this.finished ? this.lastStats : this.safeStats() ?? this.lastStats;
  }
}
