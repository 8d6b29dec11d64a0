/**
 * A capture on another host as a source of the multi-source merge (src/capture/multi-live-source.ts): the
 * launcher's child streams pcap on stdout, read incrementally (pcap-stream.ts) into native-layout batches;
 * stderr carries the remote script's markers (tool, ssh exclusion, clock), the remote tcpdump/tsniff
 * summary (parsed into stats()) and, on failure, the cause. A host that fails is reported through
 * `onDown` with one line naming it and the cause, and its run ends normally: the other sources go on.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import type { SourceInfo } from "../capture/batch.js";
import type { RawBatchConsumer } from "../capture/live-source.js";
import type { CaptureStats, SourceEnd } from "../capture/source.js";
import { PcapStream, type PcapRecords } from "./pcap-stream.js";
import { MARK, REMOTE_SCRIPT, type Launcher } from "./transport.js";
import type { RemoteSpec } from "./url.js";

export interface RemoteSourceOptions {
  launcher: Launcher;
  /** the capture filter, compiled remotely (the ssh exclusion is added there) */
  filter?: string;
  /** `sudo -n` the remote capture when not root there */
  sudo?: boolean;
  /** force the remote tool: "tcpdump" or "tsniff" (default: tsniff when installed there) */
  tool?: "tcpdump" | "tsniff";
  /** a host's failure after it opened (connection dropped, capture error): one line, naming the host */
  onDown?: (source: RemoteSource, cause: string) => void;
  /** how long open() waits for the stream to start, ms (default 30000) */
  openTimeoutMs?: number;
}

export interface ClockEstimate {
  /** remote clock minus local clock, ms */
  offsetMs: number;
  /** the best ssh round trip, ms: the offset is within ±rtt/2 */
  rttMs: number;
}

/** A failure to open a remote source: the message names the host and the cause. */
export class RemoteError extends Error {}

const CLOCK_PINGS = 3;
/**
 * After the stop line, the transport is killed when its stream has brought nothing for STOP_IDLE_MS, or after
 * STOP_MAX_MS whatever it still brings: a stream still draining through a slow link is not cut short.
 */
const STOP_IDLE_MS = 5000;
const STOP_MAX_MS = 60000;
/**
 * The remote tool is signalled only once it has written everything it captured before stop() (DRAIN_*):
 * interrupted while blocked writing to the ssh pipe (a flood's backlog), tcpdump loses the record being
 * written (glibc's stdio discards a buffer whose write failed with EINTR, and tcpdump had already counted it
 * captured) and leaves its kernel ring unread (counted as received by filter, not captured); interrupted
 * while waiting for packets, it loses neither. A remote tsniff loses no record but reads only one more
 * batch budget at stop: it too would leave a backlog in its ring. So the stop line is sent when a record
 * stamped after the stop (in the remote clock: the measured offset) has arrived (the ring is read in order:
 * everything before is written), or when the stream has brought nothing for DRAIN_QUIET_MS (more than
 * libpcap's 1 s block timeout, after which a packet waiting in a part-filled block is written) while it was
 * being read, or at the latest DRAIN_MAX_MS after stop() (a flood that does not end: the summary then says
 * what the remote tool left unread and did not write).
 */
const DRAIN_QUIET_MS = 2000; // 1.3 s left a frame unread once in CI (a retired block still on its way through ssh)
const DRAIN_MAX_MS = 10000;
const DRAIN_TICK_MS = 100;

function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export class RemoteSource {
  readonly device: string;
  readonly remote = true;
  info: SourceInfo;
  /** the remote tool as run ("tcpdump", "sudo -n tcpdump", "tsniff") */
  tool = "";
  /** the filter excluding the ssh connection, as the remote side computed it ("" without $SSH_CONNECTION) */
  exclusion = "";
  clock: ClockEstimate | null = null;
  /** packets delivered */
  captured = 0;
  /** the packets the remote tool says it captured (its summary), or null before it printed one */
  remoteCaptured: number | null = null;
  /** why the host ended other than by stop(), or null */
  downCause: string | null = null;
  /** tsniff ended the transport itself (the stop's deadline passed, a damaged stream): what was in it is lost */
  cut = false;
  private remoteStats: CaptureStats | null = null;
  private child: ChildProcessWithoutNullStreams | null = null;
  private stream = new PcapStream();
  private early: PcapRecords[] = [];
  private onRaw: RawBatchConsumer | null = null;
  private resolveRun: ((e: SourceEnd) => void) | null = null;
  private closed = false;
  private stopping = false;
  private exitCode: number | null = null;
  private remoteExit: number | null = null;
  /** the remote's (or the transport's) other stderr lines, for the cause of a failure */
  private messages: string[] = [];
  private pingSent = 0;
  private pings = 0;
  private headerWaiter: ((err?: Error) => void) | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  /** when the stop line was sent (performance.now()), 0 once the stop's deadline may no longer move */
  private stopAt = 0;
  /** the stop line was sent to the remote side */
  private stopSent = false;
  /** stop() time: performance.now() and the wall clock (ms) */
  private drainStart = 0;
  private stopWallMs = 0;
  private drainTimer: NodeJS.Timeout | null = null;
  /** performance.now() of the last data (or of the last resume: a paused stream is not a quiet one) */
  private lastDataAt = 0;
  private paused = false;
  private stderrTail = "";

  constructor(
    readonly spec: RemoteSpec,
    readonly opts: RemoteSourceOptions,
  ) {
    this.device = spec.name;
    this.info = { kind: "live", name: spec.name, linktype: 1, snaplen: 262144, nano: false };
  }

  /** Connects, measures the clock, starts the remote capture and waits for its stream's header. */
  open(): Promise<void> {
    const child = this.opts.launcher.launch(REMOTE_SCRIPT, [this.spec.iface, this.opts.filter ?? "", this.opts.sudo ? "1" : "0", this.opts.tool ?? ""]);
    this.child = child;
    registerChild(child);
    child.stdin.on("error", () => {}); // the transport gone: seen as its exit
    child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => this.onStderr(s));
    child.on("error", (e) => {
      this.messages.push(`cannot run ${this.opts.launcher.kind}: ${e.message}`);
    });
    child.on("exit", (code, signal) => {
      this.exitCode = code ?? (signal ? 128 : null);
    });
    child.on("close", () => this.onClose());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.headerWaiter = null;
        this.close();
        reject(new RemoteError(`${this.device}: the remote capture did not start within ${Math.round((this.opts.openTimeoutMs ?? 30000) / 1000)} s${this.messages.length ? ` (${this.messages[this.messages.length - 1]})` : ""}`));
      }, this.opts.openTimeoutMs ?? 30000);
      this.headerWaiter = (err) => {
        clearTimeout(timer);
        this.headerWaiter = null;
        if (err) reject(err);
        else resolve();
      };
    });
  }

  private onData(chunk: Buffer): void {
    this.lastDataAt = performance.now();
    if (this.stopSent && this.stopAt && !this.closed) this.armStopTimer();
    const hadHeader = !!this.stream.header;
    const recs = this.stream.push(chunk);
    if (!hadHeader && this.stream.header) {
      const h = this.stream.header;
      this.info = { kind: "live", name: this.device, linktype: h.linktype, snaplen: h.snaplen, nano: h.nano };
      // Nothing is read until the merge runs (the remote side and the transport buffer meanwhile).
      if (!this.onRaw) this.child?.stdout.pause();
      this.headerWaiter?.();
    }
    if (recs) {
      if (this.drainTimer && this.stampedAfterStop(recs)) this.sendStop();
      if (this.onRaw) this.deliver(recs);
      else this.early.push(recs);
    }
    if (this.stream.error && !this.downCause) {
      this.downCause = this.stream.error.message;
      if (this.headerWaiter) this.headerWaiter(new RemoteError(`${this.device}: ${this.downCause}`));
      this.terminate();
    }
  }

  private deliver(r: PcapRecords): void {
    this.captured += r.count;
    const h = this.stream.header!;
    let want: number;
    try {
      want = this.onRaw!(r.buf, r.count, h.nano, h.linktype);
    } catch {
      want = 0;
    }
    if (want === 0) {
      // nothing more is wanted (a count reached): no drain
      this.stop();
      this.sendStop();
    }
  }

  /** true when the batch's last record was stamped at or after stop() in the remote clock */
  private stampedAfterStop(r: PcapRecords): boolean {
    const h = this.stream.header;
    if (!h || !this.clock) return false;
    const sec = r.buf.readUInt32LE(r.last);
    const frac = r.buf.readUInt32LE(r.last + 4);
    const ms = sec * 1000 + (h.nano ? frac / 1e6 : frac / 1e3);
    return ms >= this.stopWallMs + this.clock.offsetMs;
  }

  private onStderr(s: string): void {
    const text = this.stderrTail + s;
    const lines = text.split("\n");
    this.stderrTail = lines.pop() ?? "";
    for (const raw of lines) this.onLine(raw.replace(/\r$/, ""));
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    if (line.startsWith(MARK)) {
      const rest = line.slice(MARK.length);
      const sp = rest.indexOf(" ");
      const key = sp < 0 ? rest : rest.slice(0, sp);
      const val = sp < 0 ? "" : rest.slice(sp + 1).trim();
      switch (key) {
        case "tool":
          this.tool = val.replace(/^.*\//, "").replace(/\s+/g, " ");
          return;
        case "exclude":
          this.exclusion = val;
          return;
        case "ready":
          this.ping();
          return;
        case "clock":
          this.clockAnswer(val);
          return;
        case "exit":
          this.remoteExit = Number(val);
          return;
        case "error":
          this.messages.push(val);
          return;
      }
      return;
    }
    // The remote tool's summary (tcpdump's and tsniff's words).
    const m = /^(\d+) packets? (captured|received by filter|dropped by kernel|dropped by interface)$/.exec(line.trim());
    if (m) {
      const st = (this.remoteStats ??= { received: 0, dropped: 0, ifDropped: 0 });
      const n = Number(m[1]);
      if (m[2] === "captured") this.remoteCaptured = n;
      else if (m[2] === "received by filter") st.received = n;
      else if (m[2] === "dropped by kernel") st.dropped = n;
      else if (m[2] === "dropped by interface") st.ifDropped = n;
      return;
    }
    if (/^(tcpdump: )?listening on /.test(line)) return;
    if (/verbose output suppressed/.test(line)) return;
    if (this.opts.launcher.isNoise?.(line)) return;
    // An ssh connection's end after tsniff stopped it is no news.
    if (this.stopping && /^Connection to .* closed|^Killed by signal/.test(line)) return;
    if (this.messages.length < 20) this.messages.push(line.trim());
  }

  private ping(): void {
    if (this.pings >= CLOCK_PINGS || !this.child) return;
    this.pingSent = wallMs();
    this.child.stdin.write("c\n");
  }

  private clockAnswer(val: string): void {
    const back = wallMs();
    this.pings++;
    if (/^\d{10,}$/.test(val)) {
      const remote = Number(val.slice(0, -9)) * 1000 + Number(val.slice(-9)) / 1e6;
      const rtt = back - this.pingSent;
      const offset = remote - (this.pingSent + back) / 2;
      if (!this.clock || rtt < this.clock.rttMs) this.clock = { offsetMs: offset, rttMs: rtt };
    }
    this.ping();
  }

  /** The cause of a failure: the remote tool's or sudo's message first, else the transport's. */
  private cause(): string {
    const msgs = this.messages;
    const tool = msgs.find((l) => /^(tcpdump|tsniff|sudo|sh|bash|[\w/.-]*tcpdump):/.test(l));
    const pick = tool ?? msgs.find((l) => !/^\(.*\)$/.test(l)) ?? msgs[0];
    if (pick) {
      // tcpdump's line and its "(SIOCGIFHWADDR: ...)" detail line as one
      const i = msgs.indexOf(pick);
      const more = msgs[i + 1] && /^\(.*\)$/.test(msgs[i + 1]) ? ` ${msgs[i + 1]}` : "";
      return escapeLine(pick + more);
    }
    if (this.remoteExit !== null) return `the remote capture exited with status ${this.remoteExit}`;
    return `the ${this.opts.launcher.kind} connection ended (status ${this.exitCode ?? "unknown"})`;
  }

  private onClose(): void {
    this.closed = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    this.endDrain();
    if (this.stderrTail) this.onLine(this.stderrTail);
    this.stderrTail = "";
    if (!this.stopping && !this.downCause) this.downCause = this.cause();
    if (this.headerWaiter) {
      this.headerWaiter(new RemoteError(`${this.device}: ${this.downCause ?? this.cause()}`));
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (!this.resolveRun || !this.closed) return;
    const resolve = this.resolveRun;
    this.resolveRun = null;
    if (this.downCause && !this.stopping) this.opts.onDown?.(this, this.downCause);
    resolve({ reason: this.stopping ? "stopped" : "eof" });
  }

  runRaw(onRaw: RawBatchConsumer): Promise<SourceEnd> {
    return new Promise((resolve) => {
      this.onRaw = onRaw;
      this.resolveRun = resolve;
      const early = this.early;
      this.early = [];
      for (const r of early) this.deliver(r);
      if (this.closed) this.finish();
      else this.child?.stdout.resume();
    });
  }

  /**
   * Stops the remote capture through the control channel: the remote tool ends, prints its summary, and
   * what it captured until then drains through. The remote side is told once its tool has written what it
   * captured before now (DRAIN_*).
   */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    const c = this.child;
    if (!c || this.closed) {
      this.finish();
      return;
    }
    this.drainStart = performance.now();
    this.stopWallMs = wallMs();
    this.drainTimer = setInterval(() => {
      const now = performance.now();
      if (now - this.drainStart >= DRAIN_MAX_MS) this.sendStop();
      else if (!this.paused && now - Math.max(this.lastDataAt, this.drainStart) >= DRAIN_QUIET_MS) this.sendStop();
    }, DRAIN_TICK_MS);
  }

  private endDrain(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
  }

  /** Sends the stop line (the remote side signals its capture) and starts the stop's deadline. */
  private sendStop(): void {
    if (this.stopSent) return;
    this.stopSent = true;
    this.endDrain();
    const c = this.child;
    if (!c || this.closed) return;
    try {
      c.stdin.write("stop\n");
      c.stdin.end();
    } catch {
      /* gone */
    }
    this.stopAt = performance.now();
    this.armStopTimer();
  }

  /** (Re)starts the stop's deadline: STOP_IDLE_MS from now, at most STOP_MAX_MS after stop(). */
  private armStopTimer(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    const left = Math.min(STOP_IDLE_MS, STOP_MAX_MS - (performance.now() - this.stopAt));
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      this.stopAt = 0; // no more re-arming
      this.cut = true;
      this.terminate();
    }, Math.max(0, left));
  }

  /** Ends the transport now (the remote side sees its channel close and stops its capture). */
  private terminate(): void {
    this.endDrain();
    this.stopSent = true;
    const c = this.child;
    if (!c || this.closed) return;
    try {
      c.stdin.destroy();
      c.kill("SIGTERM");
    } catch {
      /* gone */
    }
    this.killTimer = setTimeout(() => {
      try {
        if (!this.closed) c.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }, 2000);
  }

  pause(): void {
    this.paused = true;
    this.child?.stdout.pause();
  }

  resume(): void {
    this.paused = false;
    this.lastDataAt = performance.now();
    if (this.onRaw) this.child?.stdout.resume();
  }

  /** the stream did not end cleanly: cut by tsniff, the host down, or a partial record at its end */
  get streamCut(): boolean {
    return this.cut || this.downCause !== null || this.stream.partial > 0;
  }

  /** The remote capture's counters from its summary (null until it printed one). */
  stats(): CaptureStats | null {
    return this.remoteStats;
  }

  /** Releases a source opened but never run. */
  close(): void {
    this.stopping = true;
    this.terminate();
  }
}

/** Remote capture children still running when tsniff exits are ended (their remote side then stops too). */
const live = new Set<ChildProcessWithoutNullStreams>();
let exitHook = false;
function registerChild(c: ChildProcessWithoutNullStreams): void {
  live.add(c);
  c.on("close", () => live.delete(c));
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => {
      for (const x of live) {
        try {
          x.kill("SIGTERM");
        } catch {
          /* gone */
        }
      }
    });
  }
}

/** A remote message is shown escaped: no control character reaches the terminal. */
function escapeLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Opens several remote sources at once; failures are returned with their messages, the rest opened. */
export async function openRemotes(sources: RemoteSource[]): Promise<{ opened: RemoteSource[]; failed: { source: RemoteSource; message: string }[] }> {
  const res = await Promise.allSettled(sources.map((s) => s.open()));
  const opened: RemoteSource[] = [];
  const failed: { source: RemoteSource; message: string }[] = [];
  res.forEach((r, k) => {
    if (r.status === "fulfilled") opened.push(sources[k]);
    else failed.push({ source: sources[k], message: r.reason instanceof Error ? r.reason.message : String(r.reason) });
  });
  return { opened, failed };
}

/** The -v and summary words for a host's clock: "clock offset +1.234 ms (±0.180 ms, ssh round trip 0.360 ms)". */
export function describeClock(c: ClockEstimate | null): string {
  if (!c) return "clock offset unknown (the remote date has no %N)";
  const sign = c.offsetMs >= 0 ? "+" : "-";
  return `clock offset ${sign}${Math.abs(c.offsetMs).toFixed(3)} ms (±${(c.rttMs / 2).toFixed(3)} ms, round trip ${c.rttMs.toFixed(3)} ms)`;
}
