/**
 * The TUI's state, kept out of React so it can be tested and driven without a terminal: the packet index,
 * the rows shown (all, or the display filter's matches), the selection and scroll position, the detail tree
 * of the selected packet, prompts and the status line. Components subscribe; `changed()` coalesces
 * notifications to at most one per RENDER_MS (about 10 per second), never one per packet. Keys notify at
 * once (`changed(true)`), so the screen answers them without waiting.
 *
 * Everything from the wire is escaped (lineSafe, which is termSafe plus newlines and tabs) before it
 * reaches a row.
 */
import { Dissector } from "../dissectors/index.js";
import type { TreeNode } from "../dissectors/tree.js";
import { compileDisplayFilter, type DisplayFilter } from "../filter/display.js";
import { lineSafe } from "../output/escape.js";
import { FrameBuilder } from "../output/frame.js";
import { indexTree } from "../output/view.js";
import { columnName, DEFAULT_COLUMNS, fieldCell, parseColumn, parseColumns, tcpInfo, udpInfo, WindowScales, type ColumnSpec } from "./columns.js";
import { cellText, RATE_SAMPLES } from "./text.js";
import { HISTORY_MAX } from "./config.js";
import { compileRules, ruleFor, type ColourRule } from "./colouring.js";
import { candidates, complete, editLine, filterNames, wordAt } from "./line-edit.js";
import type { PacketFile, PacketIndex } from "./packet-index.js";
import type { FilterThread, ScanSpec, ThreadPass } from "./filter-thread.js";
import type { AnswerMsg } from "./filter-worker.js";
import { CaptureStats, convFilter, endpointFilter, type ConvType } from "./stats.js";
import { endpointsOf, hexLineText, StreamData, StreamReader, StreamScan, streamKeyOf, textLineText, type StreamKey } from "./stream.js";

export const RENDER_MS = 100;
/** a running pass's progress is drawn this often at most (./Model.passChanged) */
export const PASS_RENDER_MS = 500;
const LRU_MAX = 4096;

export type { Row } from "./text.js";
import type { Row } from "./text.js";

/** One visible line of the detail tree. */
export interface TreeLine {
  node: TreeNode;
  depth: number;
  key: string;
  hasChildren: boolean;
  open: boolean;
}

export type Pane = "list" | "detail" | "hex";
/** What fills the screen above the prompt: the three packet panes, a followed stream, or the statistics. */
export type View = "packets" | "stream" | "stats" | "columns";
export type StatsTab = ConvType | "phs";
export const STATS_TABS: StatsTab[] = ["eth", "ip", "ipv6", "tcp", "udp", "phs"];
export type PromptKind = "filter" | "save" | "quit" | "capture" | "column" | "goto" | "find" | "savemarked";
/** What Ctrl-F looks for: packets matching a display filter, holding these hex bytes, or holding this text */
export type FindMode = "filter" | "hex" | "string";
export const FIND_MODES: FindMode[] = ["filter", "hex", "string"];

export interface Prompt {
  kind: PromptKind;
  text: string;
  error: string;
  /** the cursor's position in text */
  cursor: number;
  /** display filter: the text compiles (true), does not (false), or is empty (null) */
  valid: boolean | null;
  /** completion candidates for the word at the cursor (shown after the text) */
  hints: string[];
  /** history position while browsing with Up/Down (-1: the line being typed), and that line */
  histPos: number;
  draft: string;
}

/** Where rows come from: a real capture (PacketFile) or, in tests, a function. */
export interface RowSource {
  count(): number;
  row(i: number): Row;
}

export interface StatusInfo {
  /** "file" or "live" */
  mode: "file" | "live";
  /** file path or interface */
  name: string;
  captureFilter: string;
  /** indexing (file) progress 0..1, 1 when done */
  progress: number;
  done: boolean;
  /** live: packets per second, kernel drops */
  rate: number;
  dropped: number;
  ifDropped: number;
  error: string;
  /** live: the sources (remote hosts) that failed, each "web1:eth0: cause" (the others go on) */
  down?: string;
  /** live: shown packets saved with `w` since the last change */
  saved: boolean;
  message: string;
}

/** A running display-filter pass. */
interface FilterJob {
  filter: DisplayFilter;
  text: string;
  next: number;
  matches: Uint32Array;
  count: number;
  cancelled: boolean;
  /** the pass's own dissector: it sees the packets in order from the first, so tcp.stream / udp.stream number as tshark's */
  dis: Dissector;
  /** the pass's frame nodes (it sees every packet in order: frame.time_delta and time_relative as tshark's) */
  frames: FrameBuilder;
  /** the packet selected when the filter was applied (-1: none, or the user has moved since): it stays selected if it matches, as in Wireshark */
  keep: number;
  /** its row among the matches, once the pass has found it (-1 until then) */
  keepRow: number;
  /** the pass runs in the worker thread (./filter-thread.ts); null: in slices in this thread */
  thread: ThreadPass | null;
}

/** A running pass over the packets for the stream or the statistics (run in slices like the display filter). */
interface ScanJob {
  kind: "stream" | "stats" | "sort";
  next: number;
  /** packets to visit: fixed for a live capture; a file being indexed is followed until its end */
  end: number;
  cancelled: boolean;
  visit(i: number, bytes: Uint8Array): void;
  /** the pass ended (complete: every packet visited) */
  done(complete: boolean): void;
  /** the pass runs in the worker thread (answered there); null: in slices in this thread */
  thread: ThreadPass | null;
}

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** "IP a.p > b.q: rest" -> "rest": the list has its own address columns. */
export function infoColumn(info: string, net: string): string {
  if (net && info.startsWith(net + " ")) {
    // the ": " after the destination (an IPv6 source "::" holds one of its own: "IP6 :: > ff02::1: ICMP6, ...")
    const gt = info.indexOf(" > ");
    const c = info.indexOf(": ", gt >= 0 ? gt + 3 : 0);
    if (c > 0) info = info.slice(c + 2);
  }
  // A transport line with an application summary after it: the application's words ("HTTP: GET / ...").
  const m = /, length \d+: (.+)$/.exec(info);
  return m ? m[1] : info;
}

/**
 * Reads, dissects and caches rows of a capture. The summary pass runs only for rows asked for (those on
 * screen), and its results are kept in a small LRU cache.
 */
export class CaptureRows implements RowSource {
  private dis = new Dissector();
  private cache = new Map<number, Row>();
  constructor(
    readonly index: PacketIndex,
    readonly file: PacketFile,
  ) {}
  count(): number {
    return this.index.count;
  }
  /**
   * The sources' names by PacketIndex.iface (a live capture: "eth0", "web1:eth0"): each frame then has
   * frame.interface_id and frame.interface_name (the Host column, `frame.interface_name == "web1:eth0"`).
   */
  ifaceNames: readonly string[] | undefined;
  /** A frame-node builder for this capture's packets. */
  frameBuilder(): FrameBuilder {
    return new FrameBuilder(!!this.ifaceNames, this.ifaceNames);
  }
  /** custom columns' field names (set by the model from its columns; the cache is dropped when they change) */
  private fields: string[] = [];
  private ws = new WindowScales();
  setFields(fields: string[]): void {
    if (fields.join("\n") === this.fields.join("\n")) return;
    this.fields = fields;
    this.cache.clear();
  }
  row(i: number): Row {
    const hit = this.cache.get(i);
    if (hit) {
      this.cache.delete(i);
      this.cache.set(i, hit);
      return hit;
    }
    if (this.far(i)) {
      // made at once with the scratch dissector; made again once the catch-up has reached it
      const p = this.provisional.get(i);
      if (p) return p;
      const r = this.makeRow(i, this.file.read(i), this.scratch, this.ws);
      this.provisional.set(i, r);
      if (this.provisional.size > LRU_MAX) this.provisional.delete(this.provisional.keys().next().value as number);
      return r;
    }
    this.inOrder(i, this.dis); // before reading i: the catch-up reads into the same scratch bytes
    const r = this.makeRow(i, this.file.read(i), this.dis, this.ws);
    this.cache.set(i, r);
    if (this.cache.size > LRU_MAX) this.cache.delete(this.cache.keys().next().value as number);
    return r;
  }
  /**
   * Frames [0, seen) went through the shared dissector. Rows come in screen order (End, a search jump): the
   * frames before one seen first are run through it first (summary pass), so conversations get tshark's
   * tcp.stream / udp.stream numbers, which count in capture order. A few thousand frames are run at once; a
   * row farther than that (End on a million packets: seconds of work) is made at once with a scratch
   * dissector (provisional: its stream numbers and relative sequence numbers may differ) while catchUp(),
   * called in slices by the model, runs the frames before it; the row is made again once they have run.
   */
  private seen = 0;
  /** frames the shared dissector runs at once before a row (more: the row is provisional) */
  static syncGap = 2048;
  private scratch = new Dissector();
  private provisional = new Map<number, Row>();
  /** the catch-up runs the frames before this one (-1: none waiting) */
  private target = -1;
  /** called when a provisional row or tree was made (the model then schedules catchUp slices) */
  onBehind: (() => void) | null = null;
  private far(i: number): boolean {
    if (i - this.seen <= CaptureRows.syncGap) return false;
    if (this.target < 0 || i < this.target) {
      const idle = this.target < 0;
      this.target = i;
      if (idle) this.onBehind?.();
    }
    return true;
  }
  /** the catch-up's progress towards the row waiting for it (0..1), or -1 when no row waits */
  catchUpProgress(): number {
    return this.target < 0 ? -1 : this.seen / Math.max(1, this.target);
  }
  /** Packet i's row and tree are the shared dissector's (not provisional). */
  inOrderAt(i: number): boolean {
    return i - this.seen <= CaptureRows.syncGap;
  }
  /**
   * Runs the frames before the row waiting for them through the shared dissector until `deadline`
   * (Date.now()); returns true while some are left. Provisional rows it has reached are dropped (made again).
   */
  catchUp(deadline: number): boolean {
    if (this.target < 0) return false;
    const ix = this.index;
    const dis = this.dis;
    const end = Math.min(this.target, ix.count);
    // a block at least per call, however late
    do {
      const stop = Math.min(end, this.seen + 256);
      for (let j = this.seen; j < stop; j++) {
        dis.dissectBytes(this.file.readSeq(j), ix.linktype[j], { wirelen: ix.wirelen[j], tsSec: ix.tsSec[j], tsNsec: ix.tsNsec[j], frame: j + 1 });
      }
      this.seen = Math.max(this.seen, stop);
    } while (this.seen < end && Date.now() < deadline);
    if (this.seen < end) return true;
    this.target = -1;
    this.provisional.clear();
    return false;
  }
  private inOrder(i: number, dis: Dissector): void {
    if (dis !== this.dis) return;
    const ix = this.index;
    for (; this.seen < i; this.seen++) {
      const j = this.seen;
      dis.dissectBytes(this.file.read(j), ix.linktype[j], { wirelen: ix.wirelen[j], tsSec: ix.tsSec[j], tsNsec: ix.tsNsec[j], frame: j + 1 });
    }
    if (this.seen === i) this.seen = i + 1;
  }
  /** Packet i's row from its bytes (with the given dissector: the sort pass has its own). */
  makeRow(i: number, bytes: Uint8Array, dis: Dissector, ws: WindowScales, fields = this.fields): Row {
    this.inOrder(i, dis);
    const ix = this.index;
    const meta = { wirelen: ix.wirelen[i], tsSec: ix.tsSec[i], tsNsec: ix.tsNsec[i], frame: i + 1, tree: true };
    const { ctx, tree } = dis.dissectBytes(bytes, ix.linktype[i], meta);
    let roots = tree!.roots;
    if (fields.length) {
      const fb = this.frameBuilder();
      if (ix.count) fb.build({ ...ctx, tsSec: ix.tsSec[0], tsNsec: ix.tsNsec[0] }, 0, []);
      roots = [fb.build(ctx, 0, roots, ix.iface[i]), ...roots];
    }
    const idx = indexTree(roots);
    const proto = ctx.protoName;
    // Wireshark's TCP / UDP Info when the transport is on top (or the application said nothing of its own),
    // else the application's words without the "HTTP: " tcpdump puts before them
    let info = infoColumn(ctx.info, ctx.net);
    if (info.startsWith(proto + ": ")) info = info.slice(proto.length + 2);
    const tInfo = tcpInfo(idx, ws); // (also notes a SYN's window scale, whatever is on top)
    if (proto === "TCP" || proto === "UDP" || !info || info === proto) info = tInfo ?? udpInfo(idx) ?? info;
    const port = (n: string) => {
      const v = idx.get(n)?.[0]?.value;
      return typeof v === "number" ? String(v) : "";
    };
    const r: Row = {
      no: i + 1,
      time: relTime(ix, i),
      src: lineSafe(ctx.src),
      dst: lineSafe(ctx.dst),
      proto: lineSafe(proto),
      len: ix.wirelen[i],
      info: lineSafe(info),
      srcport: port("tcp.srcport") || port("udp.srcport") || port("sctp.srcport"),
      dstport: port("tcp.dstport") || port("udp.dstport") || port("sctp.dstport"),
    };
    if (fields.length) {
      r.cells = {};
      for (const f of fields) r.cells[f] = lineSafe(fieldCell(idx, f, bytes));
    }
    return r;
  }
  /** The summary pass of packet i with a dissector of its own (no state shared with the list). */
  summaryOf(i: number, dis = new Dissector()): ReturnType<Dissector["dissectBytes"]>["ctx"] {
    const ix = this.index;
    return dis.dissectBytes(this.file.read(i), ix.linktype[i], { wirelen: ix.wirelen[i], tsSec: ix.tsSec[i], tsNsec: ix.tsNsec[i], frame: i + 1 }).ctx;
  }
  /** The detail pass of packet i: its frame node and tree, and a copy of its bytes. */
  detail(i: number): { roots: TreeNode[]; bytes: Uint8Array } {
    const ix = this.index;
    const bytes = this.file.readCopy(i);
    return { roots: this.tree(bytes, i), bytes };
  }
  /** Detail tree (frame node first) of packet i whose bytes are given. */
  tree(bytes: Uint8Array, i: number, dis = this.dis, frames?: FrameBuilder): TreeNode[] {
    if (dis === this.dis && this.far(i)) dis = this.scratch;
    this.inOrder(i, dis);
    const ix = this.index;
    const { ctx, tree } = dis.dissectBytes(bytes, ix.linktype[i], { wirelen: ix.wirelen[i], tsSec: ix.tsSec[i], tsNsec: ix.tsNsec[i], frame: i + 1, tree: true });
    // a pass over every packet in order (the display filter) has its own: frame.time_delta from the packet before
    if (frames) return [frames.build(ctx, 0, tree!.roots, ix.iface[i]), ...tree!.roots];
    const fb = this.frameBuilder();
    if (ix.count) fb.build({ ...ctx, tsSec: ix.tsSec[0], tsNsec: ix.tsNsec[0] }, 0, []); // times relative to the first packet
    const frame = fb.build(ctx, 0, tree!.roots, ix.iface[i]);
    return [frame, ...tree!.roots];
  }
}

/** Seconds since the first packet, microseconds. */
export function relTime(ix: PacketIndex, i: number): string {
  let s = ix.tsSec[i] - ix.tsSec[0];
  let ns = ix.tsNsec[i] - ix.tsNsec[0];
  if (ns < 0) {
    ns += 1e9;
    s -= 1;
  }
  return `${s}.${String(Math.floor(ns / 1000)).padStart(6, "0")}`;
}

export class Model {
  // ---- list
  /** matches of the display filter (packet indices), or null: every packet is shown */
  matches: Uint32Array | null = null;
  matchCount = 0;
  filterText = "";
  /** selected row (index into the shown rows) and first row on screen */
  selected = 0;
  top = 0;
  /** rows the list shows (set by the layout) */
  listHeight = 10;
  /** live: the selection follows new packets */
  follow = false;
  /** live: the view is frozen at this many rows (capture continues) */
  pausedAt = -1;
  focus: Pane = "list";
  /** z: the focused pane fills the screen (Tab then switches which) */
  maximised = false;
  /** + and -: rows the list has more (or fewer) than the layout gives it (the layout clamps it) */
  split = 0;
  help = false;
  prompt: Prompt | null = null;
  /** running display filter: 0..1, or -1 when none */
  filterProgress = -1;
  private job: FilterJob | null = null;
  /** runs display filter passes on the second core (set by the front end for a capture); null: in this thread */
  filterThread: FilterThread | null = null;

  // ---- follow stream and statistics views
  view: View = "packets";
  /** running stream or statistics pass: 0..1, or -1 when none */
  scanProgress = -1;
  private scan: ScanJob | null = null;
  private scanPending = false;
  stream: StreamData | null = null;
  streamReader: StreamReader | null = null;
  /** the stream view shows hex (else text) */
  streamHex = false;
  streamTop = 0;
  /** the view the followed stream was opened from: Esc goes back to it */
  streamFrom: View = "packets";
  /** lines the stream and statistics views show (set by the layout) */
  viewHeight = 20;
  stats: CaptureStats | null = null;
  statsTab: StatsTab = "tcp";
  /** the statistics view shows the tab's endpoints (else its conversations) */
  statsEndpoints = false;
  statsSel = 0;
  statsTop = 0;

  // ---- columns and sort
  columns: ColumnSpec[] = DEFAULT_COLUMNS.map(parseColumn);
  /** the columns view's selected column */
  colSel = 0;
  /** the list sorted by a column (index into columns), or null: capture order */
  sort: { column: number; desc: boolean } | null = null;
  /** sorted: shown row r is base row order[r] (base rows: every packet, or the filter's matches); rows past its end keep their order */
  order: Uint32Array | null = null;
  /** saves the config (columns): set by the front end; returns an error text or "" */
  onConfig: ((columns: string[]) => string) | null = null;
  /** saves the split (+ and -): set by the front end; returns an error text or "" */
  onSplit: ((split: number) => string) | null = null;

  // ---- colouring rules (./colouring.ts): computed only for the rows drawn, cached by packet
  colouring = true;
  colourRules: ColourRule[] = compileRules().rules;
  /** rules left out (their filters do not compile here), for the status line */
  colourSkipped: { name: string; reason: string; user: boolean }[] = [];
  private colourCache = new Map<number, ColourRule | null>();
  private colourDis = new Dissector();

  // ---- detail of the selected packet
  detailFor = -1;
  roots: TreeNode[] = [];
  bytes: Uint8Array = new Uint8Array(0);
  expanded = new Set<string>();
  treeCursor = 0;
  treeTop = 0;
  detailHeight = 8;
  hexTop = 0;
  hexHeight = 6;

  status: StatusInfo = { mode: "file", name: "", captureFilter: "", progress: 0, done: false, rate: 0, dropped: 0, ifDropped: 0, error: "", saved: true, message: "" };
  quit = false;
  /** live: packets a second and packets dropped a second, one sample a second, oldest first (the rate bar) */
  rates: number[] = [];
  drops: number[] = [];
  /** live: a second's sample for the rate bar (kept to RATE_SAMPLES) */
  sampleRate(rate: number, dropped: number): void {
    this.rates.push(rate);
    this.drops.push(dropped);
    if (this.rates.length > RATE_SAMPLES) {
      this.rates.shift();
      this.drops.shift();
    }
  }
  /** performance.now() of the last key not yet drawn (for TSNIFF_TUI_TRACE), 0 when none */
  lastKeyAt = 0;

  // ---- notification
  version = 0;
  private listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private lastEmit = 0;

  /** Hooks the front end sets: save shown packets, apply a capture filter (live). Return an error text or "". */
  onSave: ((path: string, which?: number[]) => string) | null = null;
  /** copies text to the clipboard (OSC 52) */
  onCopy: ((text: string) => void) | null = null;

  // ---- marks and find
  /** marked packets (indices) */
  marks = new Set<number>();
  findMode: FindMode = "filter";
  /** the last search (n / N repeat it) */
  lastFind: { mode: FindMode; text: string } | null = null;
  private findJob: { cancelled: boolean } | null = null;
  onCaptureFilter: ((expr: string) => string) | null = null;
  onQuit: (() => void) | null = null;

  constructor(readonly rows: RowSource) {
    if (rows instanceof CaptureRows) rows.onBehind = () => this.scheduleCatchUp();
  }

  // ------------------------------------------------------------------ stream numbering catch-up

  private catchUpTimer: NodeJS.Timeout | null = null;
  /** the detail pane shows a provisional tree (./CaptureRows: made before the catch-up reached it) */
  private detailProvisional = false;
  private scheduleCatchUp(delay = 0): void {
    if (!this.catchUpTimer) this.catchUpTimer = setTimeout(this.pumpCatchUp, delay);
  }
  /** A slice of the catch-up (the frames before a row seen first far from the others); a display filter or a scan pass goes first. */
  private pumpCatchUp = (): void => {
    this.catchUpTimer = null;
    const rows = this.rows as CaptureRows;
    if (this.quit) return;
    if (this.pumpPending || this.scanPending) return this.scheduleCatchUp(50);
    const more = rows.catchUp(Date.now() + 30);
    if (more) this.scheduleCatchUp();
    else if (this.detailProvisional) {
      // the detail pane's tree again, from the shared dissector, where the user was in it
      const { treeCursor, treeTop, hexTop } = this;
      this.detailFor = -2;
      this.loadDetail();
      Object.assign(this, { treeCursor, treeTop, hexTop });
    }
    this.passChanged(!more);
  };
  /** the catch-up's progress (0..1), -1 when it is not running */
  catchUpProgress(): number {
    return this.rows instanceof CaptureRows ? this.rows.catchUpProgress() : -1;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Something changed: notify now (`urgent`: a key) or within RENDER_MS. */
  changed(urgent = false): void {
    this.version++;
    const now = Date.now();
    if (urgent || now - this.lastEmit >= RENDER_MS) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.emit();
      return;
    }
    if (!this.timer) this.timer = setTimeout(() => this.emit(), RENDER_MS - (now - this.lastEmit));
  }

  private emit(): void {
    this.timer = null;
    this.lastEmit = Date.now();
    for (const l of this.listeners) l();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.job) this.job.cancelled = true;
    this.filterThread?.close();
    if (this.scan) this.scan.cancelled = true;
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    this.catchUpTimer = null;
  }

  // ------------------------------------------------------------------ rows

  /** Rows shown (the filter's matches, or every packet; frozen while paused). */
  shownCount(): number {
    const n = this.matches ? this.matchCount : this.rows.count();
    return this.pausedAt >= 0 ? Math.min(n, this.pausedAt) : n;
  }

  /** Packet index of shown row r. */
  packetAt(r: number): number {
    if (this.order && r < this.order.length) r = this.order[r];
    return this.matches ? this.matches[r] : r;
  }

  selectedPacket(): number {
    return this.shownCount() === 0 ? -1 : this.packetAt(this.selected);
  }

  /** New packets arrived (indexing or live): follow the tail when asked, refresh the filter pass. */
  grew(): void {
    if (this.job && !this.pumpPending) this.pumpFilter();
    if (this.scan && !this.scanPending) this.pumpScan();
    if (this.follow && this.pausedAt < 0) this.moveTo(this.shownCount() - 1, false);
    this.loadDetail();
    this.changed();
  }

  private clampTop(): void {
    const n = this.shownCount();
    const h = Math.max(1, this.listHeight);
    if (this.selected < this.top) this.top = this.selected;
    if (this.selected >= this.top + h) this.top = this.selected - h + 1;
    this.top = Math.max(0, Math.min(this.top, Math.max(0, n - h)));
  }

  moveTo(r: number, byUser = true): void {
    const n = this.shownCount();
    this.selected = Math.max(0, Math.min(n - 1, r));
    if (n === 0) this.selected = 0;
    if (byUser && this.status.mode === "live") this.follow = this.selected >= n - 1;
    if (byUser && this.job) this.job.keep = -1; // the user's choice wins over the packet kept from before the filter
    this.clampTop();
    this.loadDetail();
  }

  /** Dissects the selected packet for the detail and hex panes (only when the selection changes). */
  loadDetail(): void {
    const p = this.selectedPacket();
    if (p === this.detailFor) return;
    this.detailFor = p;
    this.treeCursor = 0;
    this.treeTop = 0;
    this.hexTop = 0;
    if (p < 0 || !(this.rows instanceof CaptureRows)) {
      this.roots = [];
      this.bytes = new Uint8Array(0);
      return;
    }
    this.detailProvisional = !this.rows.inOrderAt(p);
    const d = this.rows.detail(p);
    this.roots = d.roots;
    this.bytes = d.bytes;
    // the rule that coloured the row, in the frame's tree as Wireshark shows it
    const rule = this.colourOf(p);
    const frame = d.roots[0];
    if (rule && frame) {
      const note = (label: string): TreeNode => ({ name: "", label: lineSafe(label), value: null, display: "", offset: 0, length: 0, kind: "note" });
      frame.children = [...(frame.children ?? []), note(`[Coloring Rule Name: ${rule.name}]`), note(`[Coloring Rule String: ${rule.filter}]`)];
    }
  }

  // ------------------------------------------------------------------ colouring

  /** Sets the colouring rules (the user's, then the defaults: compileRules). */
  setColourRules(c: { rules: ColourRule[]; skipped: { name: string; reason: string; user: boolean }[] }): void {
    this.colourRules = c.rules;
    this.colourSkipped = c.skipped;
    this.colourCache.clear();
    this.detailFor = -2;
    this.loadDetail();
  }

  /** The rule colouring packet p (null: none, or colouring is off). Called for the rows on screen only. */
  colourOf(p: number): ColourRule | null {
    if (!this.colouring || !(this.rows instanceof CaptureRows) || p < 0) return null;
    const hit = this.colourCache.get(p);
    if (hit !== undefined) return hit;
    const bytes = this.rows.file.readCopy(p);
    const rule = ruleFor(this.colourRules, { roots: this.rows.tree(bytes, p, this.colourDis), data: bytes, end: bytes.length });
    this.colourCache.set(p, rule);
    if (this.colourCache.size > LRU_MAX) this.colourCache.delete(this.colourCache.keys().next().value as number);
    return rule;
  }

  /** R: colouring on / off. */
  toggleColouring(): void {
    this.colouring = !this.colouring;
    this.colourCache.clear();
    this.detailFor = -2;
    this.loadDetail();
    const user = this.colourRules.filter((r) => r.user).length;
    const skipped = this.colourSkipped.filter((s) => s.user);
    this.status.message = this.colouring
      ? `colouring on: ${this.colourRules.length} rules (${user} yours)${skipped.length ? `; left out: ${skipped.map((s) => `${s.name} (${s.reason})`).join(", ")}` : ""}`
      : "colouring off";
  }

  // ------------------------------------------------------------------ detail tree

  treeLines(): TreeLine[] {
    const out: TreeLine[] = [];
    const walk = (nodes: TreeNode[], depth: number, prefix: string) => {
      nodes.forEach((n, i) => {
        const key = prefix + i;
        const hasChildren = !!n.children && n.children.length > 0;
        const open = hasChildren && this.expanded.has(key);
        out.push({ node: n, depth, key, hasChildren, open });
        if (open) walk(n.children!, depth + 1, key + "/");
      });
    };
    walk(this.roots, 0, "");
    return out;
  }

  /** The byte range the hex pane highlights: the tree node under the cursor. */
  highlight(): { offset: number; length: number } | null {
    const lines = this.treeLines();
    const l = lines[this.treeCursor];
    if (!l) return null;
    return { offset: l.node.offset, length: l.node.length };
  }

  private treeMove(d: number): void {
    const n = this.treeLines().length;
    this.treeCursor = Math.max(0, Math.min(n - 1, this.treeCursor + d));
    if (this.treeCursor < this.treeTop) this.treeTop = this.treeCursor;
    if (this.treeCursor >= this.treeTop + this.detailHeight) this.treeTop = this.treeCursor - this.detailHeight + 1;
    const h = this.highlight();
    if (h) {
      const line = Math.floor(h.offset / 16);
      if (line < this.hexTop || line >= this.hexTop + this.hexHeight) this.hexTop = line;
    }
  }

  private toggle(open?: boolean): void {
    const l = this.treeLines()[this.treeCursor];
    if (!l || !l.hasChildren) return;
    const want = open ?? !l.open;
    if (want) this.expanded.add(l.key);
    else this.expanded.delete(l.key);
    if (want && !l.open) {
      // the children just shown come into view (as many as fit, the node itself staying on screen)
      const lines = this.treeLines();
      let last = this.treeCursor;
      while (last + 1 < lines.length && lines[last + 1].depth > l.depth) last++;
      const bottom = Math.min(last, this.treeCursor + this.detailHeight - 1);
      if (bottom >= this.treeTop + this.detailHeight) this.treeTop = bottom - this.detailHeight + 1;
    }
  }

  // ------------------------------------------------------------------ display filter

  /** Compiles and starts applying a display filter; returns the error text or "". Empty clears it. */
  applyFilter(text: string): string {
    if (this.job) this.job.cancelled = true;
    if (this.job?.thread) this.filterThread?.cancel(); // (not a statistics or stream pass the worker runs)
    this.job = null;
    this.filterProgress = -1;
    const keep = this.selectedPacket();
    this.clearSort();
    if (!text.trim()) {
      this.matches = null;
      this.matchCount = 0;
      this.filterText = "";
      this.restoreSelection(keep);
      return "";
    }
    let filter: DisplayFilter;
    try {
      filter = compileDisplayFilter(text);
    } catch (e) {
      return (e as Error).message;
    }
    if (!(this.rows instanceof CaptureRows)) return "display filters need a capture";
    this.filterText = text;
    this.matches = new Uint32Array(1024);
    this.matchCount = 0;
    this.selected = 0;
    this.top = 0;
    const job: FilterJob = { filter, text, next: 0, matches: this.matches, count: 0, cancelled: false, dis: new Dissector(), frames: this.rows.frameBuilder(), keep, keepRow: -1, thread: null };
    this.job = job;
    this.filterProgress = 0;
    const ft = this.filterThread;
    // (a statistics or stream pass in the worker keeps it: this filter then runs here)
    if (ft && !ft.broken && !this.scan?.thread) {
      job.thread = ft.start(
        text,
        this.rows.ifaceNames,
        (m) => {
          if (m.type === "matches") this.threadMatches(job, m.to, m.list);
        },
        (message) => {
          if (this.job !== job) return;
          // the worker failed: the pass starts again in this thread
          this.status.error = lineSafe(`${message} (filtering in the main thread)`);
          this.applyFilter(text);
        },
      );
    }
    if (!this.pumpPending) this.pumpFilter(); // else the slice already scheduled takes up the new job
    return "";
  }

  private restoreSelection(p: number): void {
    if (p < 0) return this.moveTo(0, false);
    let r = p;
    if (this.matches) {
      // The first match at or after p (binary search: matches are in packet order).
      let lo = 0,
        hi = this.matchCount;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (this.matches[m] < p) lo = m + 1;
        else hi = m;
      }
      r = lo;
    }
    this.moveTo(r, false);
  }

  /** Runs the filter pass for a slice of time, then yields to the event loop (keys stay live). */
  /** a pumpFilter slice is already scheduled (only one chain of slices runs at a time) */
  private pumpPending = false;
  private pumpFilter = (): void => {
    this.pumpPending = false;
    const job = this.job;
    if (!job || job.cancelled || !(this.rows instanceof CaptureRows)) return;
    const rows = this.rows;
    const total = rows.count();
    if (job.thread) {
      // the worker has the pass: send it what the index has more; finish when it has answered every packet
      this.filterThread!.pump();
      if (job.next >= total) this.filterAdvanced(job, this.matchCount);
      return;
    }
    const before = this.matchCount;
    job.next = this.slice(job.next, total, (i, bytes) => {
      const roots = rows.tree(bytes, i, job.dis, job.frames);
      if (job.filter({ roots, data: bytes, end: bytes.length })) {
        if (i === job.keep) job.keepRow = job.count;
        if (job.count >= job.matches.length) {
          const m = new Uint32Array(job.matches.length * 2);
          m.set(job.matches);
          job.matches = m;
        }
        job.matches[job.count++] = i;
      }
    });
    this.filterAdvanced(job, before);
  };

  /** The worker's matches of packets [.., to): added to the shown rows. */
  private threadMatches(job: FilterJob, to: number, list: Uint32Array): void {
    if (this.job !== job || job.cancelled) return;
    const before = this.matchCount;
    if (job.count + list.length > job.matches.length) {
      const m = new Uint32Array(Math.max(job.matches.length * 2, job.count + list.length));
      m.set(job.matches.subarray(0, job.count));
      job.matches = m;
    }
    for (let k = 0; k < list.length; k++) {
      if (list[k] === job.keep) job.keepRow = job.count;
      job.matches[job.count++] = list[k];
    }
    job.next = to;
    this.filterAdvanced(job, before);
  }

  /** The pass got further (`before`: the matches shown until now): rows, selection, progress, the next slice. */
  private filterAdvanced(job: FilterJob, before: number): void {
    const total = this.rows.count();
    const hadNone = before === 0;
    this.matches = job.matches;
    this.matchCount = job.count;
    if (job.keep >= 0 && job.keepRow >= 0 && !this.follow) {
      this.moveTo(job.keepRow, false); // the packet selected before stays selected (it matches)
      job.keep = -1;
    } else if (hadNone && job.count > 0) this.moveTo(0, false);
    else if (this.follow && this.pausedAt < 0) this.moveTo(this.shownCount() - 1, false);
    if (job.next < total) {
      this.filterProgress = total ? job.next / total : 0;
      if (!job.thread) {
        this.pumpPending = true;
        setImmediate(this.pumpFilter);
      }
    } else {
      // Caught up. Live captures and files still being indexed call grew() when more packets come.
      this.filterProgress = this.status.done || this.status.mode === "live" ? -1 : job.next / Math.max(1, total);
      if (this.status.done && this.status.mode === "file") {
        this.job = null;
        if (job.thread) this.filterThread?.finish(); // the worker drops the pass's state
      }
    }
    if (this.matchCount === 0) this.loadDetail();
    // a frame when new matches land on the rows drawn or the pass ended; else only the progress moved
    const onScreen = this.matchCount !== before && before < this.top + this.listHeight;
    this.passChanged(onScreen || this.filterProgress < 0 || this.job !== job);
  }

  /**
   * Visits packets [from, to) in file order (read-ahead reads) for a slice of time (40 ms), then returns where
   * it stopped: the display filter, stream and statistics passes share it, and the event loop (keys) runs
   * between slices.
   */
  private slice(from: number, to: number, visit: (i: number, bytes: Uint8Array) => void): number {
    const file = (this.rows as CaptureRows).file;
    const deadline = Date.now() + 40;
    while (from < to && Date.now() < deadline) {
      const end = Math.min(to, from + 256);
      for (let i = from; i < end; i++) visit(i, file.readSeq(i));
      from = end;
    }
    return from;
  }

  /** Starts a stream or statistics pass over every packet (the display filter does not apply). */
  private startScan(kind: ScanJob["kind"], visit: (i: number, bytes: Uint8Array) => void, done: (complete: boolean) => void, worker?: { spec: ScanSpec; onAnswer: (m: AnswerMsg) => void }): void {
    this.stopScan();
    const end = this.status.mode === "live" ? this.rows.count() : -1;
    const job: ScanJob = { kind, next: 0, end, cancelled: false, visit, done, thread: null };
    this.scan = job;
    this.scanProgress = 0;
    // In the worker when it is free (a display filter still running keeps it: the pass then runs here): the
    // pass's dissection and tables stay out of this thread's heap (issue #17: RSS).
    const ft = this.filterThread;
    // (a live capture's scan has a fixed end: the packets it had when asked)
    const small = (end >= 0 || this.status.done) && (end >= 0 ? end : this.rows.count()) < Model.scanThreadMin;
    if (worker && !small && ft && !ft.broken && !ft.busy()) {
      job.thread = ft.start(
        { ...worker.spec, end },
        (this.rows as CaptureRows).ifaceNames,
        (m) => {
          if (this.scan !== job || job.cancelled) return;
          worker.onAnswer(m);
          job.next = m.to;
          this.pumpScan();
        },
        (message) => {
          if (this.scan !== job) return;
          // the worker failed: the pass starts again in this thread
          this.status.error = lineSafe(`${message} (counting in the main thread)`);
          this.scan = null;
          this.startScan(kind, visit, done);
        },
      );
    }
    if (!this.scanPending) this.pumpScan();
  }

  /**
   * Scans of fewer packets than this stay in this thread (done within the first slice, where the worker's
   * start and messages would only add time); a file still being indexed goes to the worker.
   */
  static scanThreadMin = 20_000;

  /** The running scan, cancelled (its worker pass too). */
  private stopScan(): void {
    const job = this.scan;
    if (!job) return;
    job.cancelled = true;
    if (job.thread) this.filterThread?.cancel();
  }

  private pumpScan = (): void => {
    this.scanPending = false;
    const job = this.scan;
    if (!job || job.cancelled || !(this.rows instanceof CaptureRows)) return;
    const fileDone = this.status.mode === "live" || this.status.done;
    const total = job.end >= 0 ? job.end : this.rows.count();
    if (job.thread) this.filterThread!.pump(); // the worker answers: onAnswer moves job.next
    else job.next = this.slice(job.next, total, job.visit);
    if (job.next < total) {
      this.scanProgress = total ? job.next / total : 0;
      if (!job.thread) {
        this.scanPending = true;
        setImmediate(this.pumpScan);
      }
    } else if (fileDone) {
      this.scan = null;
      this.scanProgress = -1;
      if (job.thread) this.filterThread!.finish(); // the worker drops the pass's state
      job.done(true);
    } else {
      // the file is still being indexed: grew() and indexDone() take it up again
      this.scanProgress = this.status.progress;
      job.done(false);
    }
    this.passChanged(this.scan !== job);
  };

  /**
   * A slice of a pass (filter, scan, catch-up) changed something: its progress on the status line, or more
   * (`now`: rows drawn, the pass's end). Progress alone is drawn at most every PASS_RENDER_MS: a frame costs
   * Ink 10-50 ms, which the pass would otherwise lose ten times a second. Keys draw at once anyway.
   */
  private lastPassFrame = 0;
  private passChanged(now: boolean): void {
    const t = Date.now();
    if (!now && t - this.lastPassFrame < PASS_RENDER_MS) {
      this.version++; // drawn with the next frame
      return;
    }
    this.lastPassFrame = t;
    this.changed();
  }

  /** Stops a running stream or statistics pass: what was found so far stays shown. */
  cancelScan(): boolean {
    const job = this.scan;
    if (!job) return false;
    this.stopScan();
    this.scan = null;
    this.scanProgress = -1;
    job.done(false);
    this.status.message =
      job.kind === "sort" ? "sort stopped: the list keeps its order" : `${job.kind === "stream" ? "follow stream" : "statistics"} stopped at packet ${job.next}: what was found so far is shown`;
    return true;
  }

  /** What the scan is, for the status bar ("" when none runs). */
  scanLabel(): string {
    return this.scan ? (this.scan.kind === "stream" ? "following stream" : this.scan.kind === "sort" ? "sorting" : "statistics") : "";
  }

  /** `s`: follows the TCP or UDP conversation of the selected packet (or of `key`). */
  followStream(key?: StreamKey): void {
    if (!(this.rows instanceof CaptureRows)) {
      this.status.message = "follow stream needs a capture";
      return;
    }
    const rows = this.rows;
    if (!key) {
      const p = this.selectedPacket();
      if (p < 0) return;
      const dis = new Dissector();
      rows.summaryOf(p, dis);
      const k = streamKeyOf(endpointsOf(dis, rows.file.read(p), rows.index.linktype[p], rows.index.wirelen[p]));
      if (!k) {
        this.status.message = "the selected packet is not TCP or UDP: no stream to follow";
        return;
      }
      key = k;
    }
    const data = new StreamData(key);
    const scan = new StreamScan(data, (i) => rows.index.linktype[i]);
    this.stream = data;
    this.streamReader = new StreamReader(data, (pkt) => rows.file.read(pkt));
    this.streamTop = 0;
    this.streamFrom = this.view === "stats" ? "stats" : "packets";
    this.view = "stream";
    this.startScan(
      "stream",
      (i, bytes) => scan.visit(i, bytes, rows.index.wirelen[i]),
      (complete) => {
        if (complete) data.finish();
      },
      {
        spec: { kind: "stream", key, end: -1 },
        onAnswer: (m) => {
          if (m.type !== "segments") return;
          // the worker found where the packets' payloads are: their bytes are read here (only this stream's)
          data.key = m.key;
          if (data.streamIndex < 0) data.streamIndex = m.streamIndex;
          const g = m.segs;
          for (let j = 0; j < g.length; j += 6) {
            const bytes = rows.file.read(g[j]);
            data.add(g[j], g[j + 1], bytes.subarray(g[j + 2], g[j + 2] + g[j + 3]), g[j + 2], g[j + 4], g[j + 5] === 1);
          }
        },
      },
    );
  }

  /** `c` / `H`: the statistics view; computed once (again when the capture has grown since). */
  showStats(tab: StatsTab): void {
    this.view = "stats";
    this.statsTab = tab;
    this.statsEndpoints = false;
    this.statsSel = 0;
    this.statsTop = 0;
    if (!(this.rows instanceof CaptureRows)) return;
    const rows = this.rows;
    if (this.stats && (this.scan?.kind === "stats" || (this.stats.packets === rows.count() && (this.status.done || this.status.mode === "live")))) return;
    const st = new CaptureStats();
    this.stats = st;
    const ix = rows.index;
    this.startScan(
      "stats",
      (i, bytes) => st.visit(bytes, ix.linktype[i], ix.wirelen[i], ix.tsSec[i], ix.tsNsec[i], i),
      () => {},
      { spec: { kind: "stats", end: -1 }, onAnswer: (m) => m.type === "stats" && st.apply(m.delta) },
    );
  }

  cancelFilter(): void {
    if (this.job && this.filterProgress >= 0) {
      this.job.cancelled = true;
      if (this.job.thread) this.filterThread?.cancel();
      this.job = null;
      this.filterProgress = -1;
      this.status.message = `filter cancelled: ${this.matchCount} matches so far are shown`;
    }
  }

  /** Called when a file's indexing ends: a filter pass that had caught up is finished too. */
  indexDone(): void {
    this.status.done = true;
    this.status.progress = 1;
    if (this.job && !this.pumpPending) this.pumpFilter();
    if (this.scan && !this.scanPending) this.pumpScan();
    this.changed();
  }

  // ------------------------------------------------------------------ keys

  /** Ink's input: the typed text and its key flags. */
  key(input: string, k: KeyFlags): void {
    if (input.length > 1 && !k.ctrl && !k.escape) {
      // Keys typed faster than the terminal is read arrive as one chunk ("jj", "http\r"): one at a time.
      for (const c of input) {
        if (c === "\r" || c === "\n") this.key("", { return: true });
        else if (c === "\t") this.key("", { tab: true });
        else if (c === "\x7f" || c === "\b") this.key("", { backspace: true });
        else if (c === "\x1b") this.key("", { escape: true });
        else this.key(c, { shift: c >= "A" && c <= "Z" });
      }
      return;
    }
    this.status.message = "";
    if (!this.lastKeyAt) this.lastKeyAt = performance.now();
    if (this.prompt) return this.promptKey(input, k), this.changed(true);
    if (this.help) {
      this.help = false;
      return this.changed(true);
    }
    // Ctrl (or Alt) with a letter is not the letter: only the keys meant to use it react (Ctrl-F, Ctrl-B)
    if ((k.ctrl || k.meta) && input && !(k.ctrl && (input === "f" || input === "b" || input === "g"))) return this.changed(true);
    if (this.view === "columns") return this.columnsKey(input, k), this.changed(true);
    if (this.view !== "packets") return this.viewKey(input, k), this.changed(true);
    const page = Math.max(1, this.listHeight - 1);
    switch (true) {
      case input === "q":
        if (this.status.mode === "live" && !this.status.saved && this.rows.count() > 0) this.openPrompt("quit", "");
        else this.requestQuit();
        break;
      case input === "?":
        this.help = true;
        break;
      case input === "/":
        this.openPrompt("filter", this.filterText);
        break;
      case k.escape:
        if (this.findJob) {
          this.findJob.cancelled = true;
          this.findJob = null;
          this.status.message = "find stopped";
        } else if (!this.cancelScan()) this.cancelFilter();
        break;
      case input === "s":
        this.followStream();
        break;
      case input === "c":
        this.showStats("tcp");
        break;
      case input === "H":
        this.showStats("phs");
        break;
      case input === "C":
        this.view = "columns";
        this.colSel = Math.min(this.colSel, this.columns.length - 1);
        break;
      case k.tab:
        this.focus = k.shift ? (this.focus === "list" ? "hex" : this.focus === "hex" ? "detail" : "list") : this.focus === "list" ? "detail" : this.focus === "detail" ? "hex" : "list";
        break;
      case input === "p" && this.status.mode === "live":
        this.pausedAt = this.pausedAt >= 0 ? -1 : this.shownCount();
        if (this.pausedAt < 0 && this.follow) this.moveTo(this.shownCount() - 1, false);
        break;
      case input === "w":
        this.openPrompt("save", "tsniff-saved.pcap");
        break;
      case input === ":" || (k.ctrl && input === "g"):
        this.openPrompt("goto", "");
        break;
      case k.ctrl && input === "f":
        this.openPrompt("find", this.lastFind?.text ?? "");
        break;
      case input === "n" || input === "N":
        if (this.lastFind) this.find(this.lastFind.mode, this.lastFind.text, input === "N" ? -1 : 1);
        else this.status.message = "no search yet: Ctrl-F finds";
        break;
      case input === "m":
        this.toggleMark();
        break;
      case input === "." || input === ",":
        this.nextMark(input === "." ? 1 : -1);
        break;
      case input === "W":
        if (!this.marks.size) this.status.message = "no marked packets (m marks one)";
        else this.openPrompt("savemarked", "tsniff-marked.pcap");
        break;
      case input === "R":
        this.toggleColouring();
        break;
      case input === "z":
        this.maximised = !this.maximised;
        break;
      case input === "+" || input === "=" || input === "-":
        this.moveSplit(input === "-" ? -1 : 1);
        break;
      case input === "y":
        this.copy(false);
        break;
      case input === "Y":
        this.copy(true);
        break;
      case input === "f" && this.status.mode === "live":
        this.openPrompt("capture", this.status.captureFilter);
        break;
      default:
        if (this.focus === "list") this.listKey(input, k, page);
        else if (this.focus === "detail") this.detailKey(input, k);
        else this.hexKey(input, k);
    }
    this.changed(true);
  }

  /** Back to the packets; leaving a followed stream filters them on it (`tcp.stream eq N`), as Wireshark does. */
  private leaveView(): void {
    const s = this.view === "stream" ? this.stream : null;
    this.view = s ? this.streamFrom : "packets";
    if (s && s.streamIndex >= 0) this.applyFilter(`${s.key.proto === 6 ? "tcp" : "udp"}.stream eq ${s.streamIndex}`);
  }

  /** Keys in the stream and statistics views: scroll, switch (x: hex/text, Tab: tab), Esc/q back. */
  private viewKey(input: string, k: KeyFlags): void {
    if (k.escape) {
      if (!this.cancelScan()) this.leaveView();
      return;
    }
    if (input === "q" || (this.view === "stream" && input === "s") || (this.view === "stats" && input === "c")) {
      this.cancelScan();
      this.leaveView();
      return;
    }
    if (input === "?") {
      this.help = true;
      return;
    }
    const page = Math.max(1, this.viewHeight - 1);
    let d = 0;
    if (k.downArrow || input === "j") d = 1;
    else if (k.upArrow || input === "k") d = -1;
    else if (k.pageDown || input === " " || (k.ctrl && input === "f")) d = page;
    else if (k.pageUp || input === "b" || (k.ctrl && input === "b")) d = -page;
    else if (input === "g" || k.home) d = -Infinity;
    else if (input === "G" || k.end) d = Infinity;
    if (this.view === "stream") {
      if (input === "x" || k.tab) {
        // keep the same bytes at the top
        const s = this.stream;
        if (s && s.count) {
          const pos = this.streamHex ? s.hexLine(Math.min(this.streamTop, Math.max(0, s.hexLines - 1))).start : s.textLine(this.streamTop).start;
          this.streamHex = !this.streamHex;
          this.streamTop = this.streamHex ? this.hexLineAt(pos) : this.textLineAt(pos);
        } else this.streamHex = !this.streamHex;
      } else if (d) this.scrollStream(d);
      return;
    }
    // stats
    if (k.tab) {
      const i = STATS_TABS.indexOf(this.statsTab);
      this.statsTab = STATS_TABS[(i + (k.shift ? STATS_TABS.length - 1 : 1)) % STATS_TABS.length];
      this.statsSel = 0;
      this.statsTop = 0;
    } else if (input === "H") {
      this.statsTab = "phs";
      this.statsSel = this.statsTop = 0;
    } else if (input === "e" && this.statsTab !== "phs") {
      this.statsEndpoints = !this.statsEndpoints;
      this.statsSel = this.statsTop = 0;
    } else if (d) this.statsMove(d);
    else if (this.stats && this.statsTab !== "phs" && (k.return || input === "s" || input === "a")) {
      const tab = this.statsTab;
      if (this.statsEndpoints) {
        const e = this.stats.endpoints(tab)[this.statsSel];
        if (e) this.applyFromStats(endpointFilter(e));
        return;
      }
      const c = this.stats.table(tab)[this.statsSel];
      if (!c) return;
      // Enter (or s) on a TCP or UDP conversation follows it; a applies any row as the display filter
      if (input !== "a" && c.proto) this.followStream({ proto: c.proto, aAddr: c.aAddr, aPort: c.aPort, bAddr: c.bAddr, bPort: c.bPort });
      else this.applyFromStats(convFilter(c));
    }
  }

  /** The stream view's lines from streamTop: escaped text (or hex) and direction. */
  streamLines(n: number): { text: string; dir: number }[] {
    const s = this.stream;
    const rd = this.streamReader;
    if (!s || !rd) return [];
    const out: { text: string; dir: number }[] = [];
    const count = s.lineCount(this.streamHex);
    for (let l = this.streamTop; l < Math.min(count, this.streamTop + n); l++) {
      if (this.streamHex) {
        const h = s.hexLine(l);
        out.push({ text: hexLineText(rd.bytes(h.start, h.len), h.dirOff), dir: h.dir });
      } else {
        const t = s.textLine(l);
        out.push({ text: textLineText(rd.bytes(t.start, t.len)), dir: t.dir });
      }
    }
    return out;
  }

  /** Rows in the statistics tab shown. */
  statsRows(): number {
    if (!this.stats) return 0;
    if (this.statsTab === "phs") return this.stats.phsLines().length;
    return this.statsEndpoints ? this.stats.endpoints(this.statsTab).length : this.stats.table(this.statsTab).length;
  }

  /** A statistics row applied as the display filter: back to the packets, filtered. */
  private applyFromStats(filter: string): void {
    this.cancelScan();
    const err = this.applyFilter(filter);
    if (err) {
      this.status.message = err;
      return;
    }
    this.remember(filter);
    this.view = "packets";
  }

  statsMove(d: number): void {
    const n = this.statsRows();
    const h = Math.max(1, this.viewHeight - 3);
    this.statsSel = Math.max(0, Math.min(n - 1, this.statsSel + (Number.isFinite(d) ? d : d > 0 ? n : -n)));
    if (this.statsSel < this.statsTop) this.statsTop = this.statsSel;
    if (this.statsSel >= this.statsTop + h) this.statsTop = this.statsSel - h + 1;
  }

  scrollStream(d: number): void {
    const s = this.stream;
    if (!s) return;
    const n = s.lineCount(this.streamHex);
    const max = Math.max(0, n - this.viewHeight);
    this.streamTop = Math.max(0, Math.min(max, this.streamTop + (Number.isFinite(d) ? d : d > 0 ? n : -n)));
  }

  private textLineAt(pos: number): number {
    const s = this.stream!;
    let lo = 0,
      hi = Math.max(0, s.lineCount(false) - 1);
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (s.textLine(m).start <= pos) lo = m;
      else hi = m - 1;
    }
    return lo;
  }

  private hexLineAt(pos: number): number {
    const s = this.stream!;
    let lo = 0,
      hi = Math.max(0, s.hexLines - 1);
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (s.hexLine(m).start <= pos) lo = m;
      else hi = m - 1;
    }
    return lo;
  }

  /** The mouse wheel (`lines` > 0: down): scrolls the list, the stream or the statistics. */
  wheel(lines: number): void {
    if (!this.lastKeyAt) this.lastKeyAt = performance.now();
    if (this.help || this.prompt) return;
    if (this.view === "stream") this.scrollStream(lines);
    else if (this.view === "stats") this.statsMove(lines);
    else if (this.focus === "detail") this.treeMove(lines);
    else if (this.focus === "hex") this.hexKey("", lines > 0 ? { downArrow: true } : { upArrow: true });
    else this.moveTo(this.selected + lines);
    this.changed(true);
  }

  /** A click at screen row y (0-based): selects the packet row under it (the list is on top). */
  click(y: number): void {
    if (this.help || this.prompt || this.view !== "packets") return;
    if (this.maximised && this.focus !== "list") return; // the detail or bytes pane alone: no list under the click
    const r = this.top + (y - 1); // line 0 is the list header
    if (y >= 1 && y <= this.listHeight && r < this.shownCount()) {
      if (!this.lastKeyAt) this.lastKeyAt = performance.now();
      this.focus = "list";
      this.moveTo(r);
      this.changed(true);
    }
  }

  private listKey(input: string, k: KeyFlags, page: number): void {
    if (k.downArrow || input === "j") this.moveTo(this.selected + 1);
    else if (k.upArrow || input === "k") this.moveTo(this.selected - 1);
    else if (k.pageDown || input === " ") this.moveTo(this.selected + page);
    else if (k.pageUp || input === "b" || (k.ctrl && input === "b")) this.moveTo(this.selected - page);
    else if (input === "g" || k.home) this.moveTo(0);
    else if (input === "G" || k.end) {
      this.moveTo(this.shownCount() - 1);
      if (this.status.mode === "live") this.follow = true;
    } else if (k.return) this.focus = "detail";
  }

  private detailKey(input: string, k: KeyFlags): void {
    if (k.downArrow || input === "j") this.treeMove(1);
    else if (k.upArrow || input === "k") this.treeMove(-1);
    else if (k.pageDown) this.treeMove(this.detailHeight - 1);
    else if (k.pageUp) this.treeMove(-(this.detailHeight - 1));
    else if (input === "g") this.treeMove(-1e9);
    else if (input === "G") this.treeMove(1e9);
    else if (k.return || input === " ") this.toggle();
    else if (k.rightArrow || input === "l") this.toggle(true);
    else if (k.leftArrow || input === "h") this.toggle(false);
    // ensure the cursor stays on screen after a collapse
    this.treeMove(0);
  }

  private hexKey(input: string, k: KeyFlags): void {
    const lines = Math.ceil(this.bytes.length / 16);
    const max = Math.max(0, lines - this.hexHeight);
    if (k.downArrow || input === "j") this.hexTop = Math.min(max, this.hexTop + 1);
    else if (k.upArrow || input === "k") this.hexTop = Math.max(0, this.hexTop - 1);
    else if (k.pageDown || input === " ") this.hexTop = Math.min(max, this.hexTop + this.hexHeight);
    else if (k.pageUp) this.hexTop = Math.max(0, this.hexTop - this.hexHeight);
    else if (input === "g") this.hexTop = 0;
    else if (input === "G") this.hexTop = max;
  }

  /** filter history, oldest first (kept across runs in the config directory) */
  history: string[] = [];
  onHistory: ((lines: string[]) => string) | null = null;

  openPrompt(kind: PromptKind, text: string): void {
    this.prompt = { kind, text, error: "", cursor: text.length, valid: null, hints: [], histPos: -1, draft: "" };
    if (kind === "filter") this.checkPrompt();
  }

  /** The filter prompt's validity and completion hints, after each edit. */
  private checkPrompt(): void {
    const p = this.prompt;
    if (!p) return;
    if (p.kind === "filter") {
      if (!p.text.trim()) p.valid = null;
      else
        try {
          compileDisplayFilter(p.text);
          p.valid = true;
        } catch {
          p.valid = false;
        }
    }
    p.hints = p.kind === "filter" || p.kind === "column" ? candidates(p, filterNames(), 12).filter((n) => n !== wordAt(p.text, p.cursor).word) : [];
  }

  private remember(text: string): void {
    if (!text.trim()) return;
    const h = this.history.filter((l) => l !== text);
    h.push(text);
    this.history = h.slice(-HISTORY_MAX);
    const err = this.onHistory?.(this.history);
    if (err) this.status.message = err;
  }

  private promptKey(input: string, k: KeyFlags): void {
    const p = this.prompt!;
    if (p.kind === "quit") {
      if (input === "y" || input === "Y") this.requestQuit();
      else this.prompt = null;
      return;
    }
    if (k.escape) {
      this.prompt = null;
      return;
    }
    if (k.return) {
      let err = "";
      if (p.kind === "filter") {
        err = this.applyFilter(p.text);
        if (!err) this.remember(p.text);
      }
      else if (p.kind === "save") {
        err = this.onSave ? this.onSave(p.text) : "saving is not available";
        if (!err) this.status.message = `saved ${this.shownCount()} packets to ${lineSafe(p.text)}`;
      } else if (p.kind === "capture") err = this.onCaptureFilter ? this.onCaptureFilter(p.text) : "not a live capture";
      else if (p.kind === "column") err = this.addColumn(p.text);
      else if (p.kind === "goto") err = this.goTo(p.text);
      else if (p.kind === "find") err = this.find(this.findMode, p.text, 1);
      else if (p.kind === "savemarked") {
        const which = [...this.marks].sort((a, b) => a - b);
        err = this.onSave ? this.onSave(p.text, which) : "saving is not available";
        if (!err) this.status.message = `saved ${which.length} marked packet${which.length === 1 ? "" : "s"} to ${lineSafe(p.text)}`;
      }
      if (err) p.error = err;
      else this.prompt = null;
      return;
    }
    if (k.tab && p.kind === "find") {
      this.findMode = FIND_MODES[(FIND_MODES.indexOf(this.findMode) + (k.shift ? FIND_MODES.length - 1 : 1)) % FIND_MODES.length];
      p.error = "";
      return;
    }
    if (k.tab && (p.kind === "filter" || p.kind === "column")) {
      p.error = "";
      const more = complete(p, filterNames());
      this.checkPrompt();
      p.hints = more.slice(0, 12);
      return;
    }
    if ((k.upArrow || k.downArrow) && p.kind === "filter") {
      // history: Up goes back, Down forward, past the newest to the line being typed
      const h = this.history;
      if (!h.length) return;
      if (p.histPos < 0) p.draft = p.text;
      let pos = p.histPos < 0 ? h.length : p.histPos;
      pos = k.upArrow ? Math.max(0, pos - 1) : pos + 1;
      if (pos >= h.length) {
        p.histPos = -1;
        p.text = p.draft;
      } else {
        p.histPos = pos;
        p.text = h[pos];
      }
      p.cursor = p.text.length;
      p.error = "";
      this.checkPrompt();
      return;
    }
    if (editLine(p, input, k)) {
      p.error = "";
      this.checkPrompt();
    }
  }

  // ------------------------------------------------------------------ columns and sort

  /**
   * + and -: the list a row taller or shorter (at least 2 rows, and 1 each for the detail and bytes panes), saved
   * in the config. From a maximised pane, the three panes come back first (the layout clamps that split).
   */
  moveSplit(d: number): void {
    if (this.maximised) {
      this.maximised = false;
      this.split += d;
    } else {
      const pool = this.listHeight + this.detailHeight + this.hexHeight;
      const list = Math.max(2, Math.min(pool - 2, this.listHeight + d));
      this.split += list - this.listHeight;
    }
    if (this.onSplit) {
      const err = this.onSplit(this.split);
      if (err) this.status.message = err;
    }
  }

  /** Sets the list's columns (the custom ones' fields go to the row maker) and saves them when `save`. */
  setColumns(cols: ColumnSpec[], save = true): void {
    const sorted = this.sort ? this.columns[this.sort.column] : null;
    this.columns = cols;
    if (this.rows instanceof CaptureRows) this.rows.setFields(cols.filter((c) => c.kind === "field").map((c) => c.field!));
    if (sorted) {
      const i = cols.indexOf(sorted);
      if (i < 0) this.clearSort();
      else this.sort!.column = i;
    }
    if (save && this.onConfig) {
      const err = this.onConfig(cols.map(columnName));
      if (err) this.status.message = err;
    }
  }

  /** Applies a config's column names (unknown ones are left out and said on the status line). */
  loadColumns(names: readonly unknown[]): void {
    const { columns, errors } = parseColumns(names);
    if (columns.length) this.setColumns(columns, false);
    if (errors.length) this.status.message = `config: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`;
  }

  addColumn(name: string): string {
    if (!name.trim()) return "a field name, as -e takes it (proc.comm, tcp.stream, frame.interface_name ...)";
    let c: ColumnSpec;
    try {
      c = parseColumn(name);
    } catch (e) {
      return (e as Error).message;
    }
    const cols = this.columns.slice();
    const at = Math.min(cols.length, this.colSel + 1);
    cols.splice(at, 0, c);
    this.colSel = at;
    this.setColumns(cols);
    return "";
  }

  clearSort(): void {
    if (this.scan?.kind === "sort") this.cancelScan();
    this.sort = null;
    this.order = null;
  }

  /** Sorts the shown rows by column `col` (again: the other way). Cheap columns at once; others in a pass. */
  sortBy(col: number): void {
    const spec = this.columns[col];
    if (!spec) return;
    const desc = this.sort?.column === col ? !this.sort.desc : false;
    const keep = this.selectedPacket();
    if (this.scan?.kind === "sort") this.cancelScan();
    const n = this.shownCount();
    const base = (r: number) => (this.matches ? this.matches[r] : r);
    const finish = (key: (p: number) => number | string) => {
      const idx = new Uint32Array(n);
      for (let r = 0; r < n; r++) idx[r] = r;
      const keys = new Array<number | string>(n);
      for (let r = 0; r < n; r++) keys[r] = key(base(r));
      const sgn = desc ? -1 : 1;
      const sorted = Array.from(idx).sort((a, b) => {
        const x = keys[a],
          y = keys[b];
        const c = typeof x === "number" && typeof y === "number" ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
        return c ? sgn * c : a - b;
      });
      this.sort = { column: col, desc };
      this.order = Uint32Array.from(sorted);
      this.status.message = `sorted by ${spec.title}${desc ? " (descending)" : ""}`;
      // the selected packet stays selected
      let r = 0;
      for (let i = 0; i < n; i++) if (this.packetAt(i) === keep) r = i;
      this.moveTo(r, false);
      this.detailFor = -2;
      this.loadDetail();
    };
    if (!(this.rows instanceof CaptureRows) || spec.kind === "no" || spec.kind === "len" || spec.kind === "time") {
      const rows = this.rows;
      const ix = rows instanceof CaptureRows ? rows.index : null;
      finish((p) => (spec.kind === "no" ? p : spec.kind === "len" ? (ix ? ix.wirelen[p] : rows.row(p).len) : ix ? ix.tsSec[p] * 1e9 + ix.tsNsec[p] : p));
      return;
    }
    const rows = this.rows;
    const dis = new Dissector();
    const ws = new WindowScales();
    const fields = spec.kind === "field" ? [spec.field!] : [];
    const total = rows.count();
    const keys = new Array<number | string>(total);
    this.startScan(
      "sort",
      (i, bytes) => {
        const v = cellText(rows.makeRow(i, bytes, dis, ws, fields), spec);
        const num = v !== "" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
        keys[i] = Number.isNaN(num) ? v : num;
      },
      (complete) => {
        if (complete) finish((p) => keys[p] ?? "");
      },
    );
  }

  /** Keys of the columns view: move, reorder (J/K or Shift-↓/↑), add (a), delete (d), sort (Enter/s), capture order (n). */
  private columnsKey(input: string, k: KeyFlags): void {
    const n = this.columns.length;
    if (k.escape || input === "q" || input === "C") {
      if (!(k.escape && this.cancelScan())) this.view = "packets";
      return;
    }
    if (input === "?") {
      this.help = true;
      return;
    }
    if ((k.downArrow && !k.shift) || input === "j") this.colSel = Math.min(n - 1, this.colSel + 1);
    else if ((k.upArrow && !k.shift) || input === "k") this.colSel = Math.max(0, this.colSel - 1);
    else if (input === "J" || input === "K" || ((k.downArrow || k.upArrow) && k.shift)) {
      const d = input === "J" || k.downArrow ? 1 : -1;
      const to = this.colSel + d;
      if (to < 0 || to >= n) return;
      const cols = this.columns.slice();
      [cols[this.colSel], cols[to]] = [cols[to], cols[this.colSel]];
      this.colSel = to;
      this.setColumns(cols);
    } else if (input === "a") this.openPrompt("column", "");
    else if (input === "d" || k.delete) {
      if (n <= 1) {
        this.status.message = "the list keeps at least one column";
        return;
      }
      const cols = this.columns.slice();
      cols.splice(this.colSel, 1);
      this.colSel = Math.min(this.colSel, cols.length - 1);
      this.setColumns(cols);
    } else if (k.return || input === "s") {
      this.sortBy(this.colSel);
      this.view = "packets";
    } else if (input === "n") {
      const keep = this.selectedPacket();
      this.clearSort();
      this.restoreSelection(keep);
      this.status.message = "capture order";
    } else if (input === "r") {
      this.setColumns(DEFAULT_COLUMNS.map(parseColumn));
      this.colSel = 0;
    }
  }

  // ------------------------------------------------------------------ go to, marks, find, copy

  /** Selects packet number `text` (1-based) if it is shown; returns an error text or "". */
  goTo(text: string): string {
    const n = Number(text.trim());
    if (!/^\d+$/.test(text.trim()) || n < 1 || n > this.rows.count()) return `no packet ${lineSafe(text.trim())} (1-${this.rows.count()})`;
    const p = n - 1;
    const count = this.shownCount();
    for (let r = 0; r < count; r++)
      if (this.packetAt(r) === p) {
        this.focus = "list";
        this.moveTo(r);
        return "";
      }
    return `packet ${n} is not shown (the display filter hides it)`;
  }

  toggleMark(): void {
    const p = this.selectedPacket();
    if (p < 0) return;
    if (this.marks.has(p)) this.marks.delete(p);
    else this.marks.add(p);
    this.status.message = `${this.marks.has(p) ? "marked" : "unmarked"} packet ${p + 1} (${this.marks.size} marked)`;
  }

  /** Selects the next (d = 1) or previous (-1) marked packet among the shown rows, wrapping around. */
  nextMark(d: number): void {
    const n = this.shownCount();
    if (!this.marks.size || !n) {
      this.status.message = "no marked packets (m marks one)";
      return;
    }
    for (let k = 1; k <= n; k++) {
      const r = (((this.selected + d * k) % n) + n) % n;
      if (this.marks.has(this.packetAt(r))) {
        this.moveTo(r);
        return;
      }
    }
    this.status.message = "no marked packet is shown";
  }

  /**
   * Ctrl-F: the next shown packet (from the selection, wrapping) that matches a display filter, holds the
   * hex bytes, or holds the text (case-sensitive, in the packet's bytes). Runs in slices; Esc stops it.
   */
  find(mode: FindMode, text: string, d: number): string {
    if (!(this.rows instanceof CaptureRows)) return "find needs a capture";
    const rows = this.rows;
    let test: (i: number, bytes: Uint8Array, dis: Dissector) => boolean;
    if (mode === "filter") {
      let f: DisplayFilter;
      try {
        f = compileDisplayFilter(text);
      } catch (e) {
        return (e as Error).message;
      }
      test = (i, bytes, dis) => f({ roots: rows.tree(bytes, i, dis), data: bytes, end: bytes.length });
    } else {
      let needle: Uint8Array;
      if (mode === "hex") {
        const h = text.replace(/^0x/i, "").replace(/[\s:.-]/g, "");
        if (!h || h.length % 2 || /[^0-9a-f]/i.test(h)) return "hex bytes: pairs of hex digits (47 45 54, 474554, 47:45:54)";
        needle = Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
      } else {
        if (!text) return "the text to find";
        needle = new TextEncoder().encode(text);
      }
      test = (_i, bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(needle) >= 0;
    }
    this.lastFind = { mode, text };
    if (this.findJob) this.findJob.cancelled = true;
    const job = { cancelled: false };
    this.findJob = job;
    const n = this.shownCount();
    const start = this.selected;
    const dis = new Dissector();
    let k = 1;
    const what = `${mode === "filter" ? "filter" : mode === "hex" ? "bytes" : "text"} ${lineSafe(text)}`;
    const step = () => {
      if (job.cancelled) return;
      const deadline = Date.now() + 40;
      while (k <= n && Date.now() < deadline) {
        const r = (((start + d * k) % n) + n) % n;
        k++;
        const p = this.packetAt(r);
        if (test(p, rows.file.readCopy(p), dis)) {
          this.findJob = null;
          this.focus = "list";
          this.moveTo(r);
          this.status.message = `found ${what} in packet ${p + 1}${r === start ? " (the only one)" : ""}`;
          this.changed(true);
          return;
        }
      }
      if (k > n) {
        this.findJob = null;
        this.status.message = `not found: ${what}`;
        this.changed(true);
        return;
      }
      this.status.message = `finding ${what}: ${Math.floor(((k - 1) / n) * 100)}% (Esc stops)`;
      this.changed();
      setImmediate(step);
    };
    if (n) step();
    else this.status.message = "no packets to search";
    return "";
  }

  /** y: the selected tree line's value (or the packet's summary in the list); Y: the hex of the highlighted bytes (or of the packet). */
  copy(hex: boolean): void {
    const p = this.selectedPacket();
    if (p < 0) return;
    let text: string;
    let what: string;
    const line = this.focus !== "list" ? this.treeLines()[this.treeCursor] : undefined;
    if (hex) {
      const h = line ? { offset: line.node.offset, length: line.node.length } : { offset: 0, length: this.bytes.length };
      const b = this.bytes.subarray(h.offset, h.offset + Math.max(0, h.length));
      text = Buffer.from(b).toString("hex");
      what = `${b.length} byte${b.length === 1 ? "" : "s"} as hex`;
    } else if (line) {
      const n = line.node;
      text = n.kind === "field" ? (n.display !== "" ? n.display : String(n.value ?? "")) : n.label;
      what = n.name ? n.name : "the line";
    } else {
      const r = this.rows.row(p);
      text = `${r.no} ${r.time} ${r.src} → ${r.dst} ${r.proto} ${r.len} ${r.info}`;
      what = `packet ${p + 1}'s summary`;
    }
    if (!this.onCopy) {
      this.status.message = "copy needs a terminal";
      return;
    }
    this.onCopy(text);
    this.status.message = `copied ${what} (OSC 52)`;
  }

  requestQuit(): void {
    this.quit = true;
    this.onQuit?.();
  }
}

/** The subset of Ink's Key this model reads. */
export interface KeyFlags {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

export function clockText(sec: number): string {
  const d = new Date(sec * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
