/**
 * The shapes every dissector shares: field declarations (named like Wireshark's, declared once and used by the
 * tree, JSON, -T fields and -Y alike), the tree sink, the per-packet context and the protocol record.
 */
import type { Reader } from "./reader.js";
import type { Line } from "./line.js";
import type { Pdu, PduLength, ReassemblyOptions } from "../stream/reassembly.js";

export type FieldType = "uint" | "int" | "bool" | "string" | "bytes" | "ipv4" | "ipv6" | "ether" | "float" | "time" | "none";
export type FieldValue = number | string | boolean | null;

export interface FieldDef {
  /** filter name, e.g. "ip.src" */
  name: string;
  /** a small number unique to this declaration (0, 1, 2, ...): outputs index per-field tables by it */
  id: number;
  /** human label, e.g. "Source Address" */
  label: string;
  type: FieldType;
  /** display base for integers */
  base?: "dec" | "hex";
  /** names of values, e.g. ETHERTYPE */
  values?: Readonly<Record<number, string>>;
  /** how the display spells the value besides the number: "bytes" gives "60 bytes (480 bits)" */
  unit?: "bytes";
  /** hex digits tshark prints for a hex field (its FT_UINTn width) when that is not the bytes it covers */
  digits?: number;
  /** Wireshark's hidden fields (e.g. ip.version in IPv6): in -T fields, JSON and filters, not in -V's tree */
  hidden?: boolean;
}

let fieldCount = 0;

/** Declares a protocol's fields: `const F = fields("udp", { srcport: ["Source Port", "uint"], ... })`. */
export function fields<K extends string>(
  proto: string,
  defs: Record<K, [label: string, type: FieldType, opts?: { base?: "dec" | "hex"; values?: Readonly<Record<number, string>>; name?: string; unit?: "bytes"; digits?: number; hidden?: boolean }]>,
): Record<K, FieldDef> {
  const out = {} as Record<K, FieldDef>;
  for (const k of Object.keys(defs) as K[]) {
    const [label, type, opts] = defs[k];
    // every declaration has the same properties (absent ones undefined): one object shape, so the writers'
    // reads of f.id and f.type stay monomorphic
    out[k] = { name: opts?.name ?? `${proto}.${k}`, id: fieldCount++, label, type, base: opts?.base, values: opts?.values, unit: opts?.unit, digits: opts?.digits || undefined, hidden: opts?.hidden || undefined };
  }
  return out;
}

/**
 * Where dissectors record fields. In the summary pass it is a no-op sink (`on` is false): dissectors may skip
 * work that only the tree needs by testing `t.on`.
 */
export interface TreeSink {
  readonly on: boolean;
  /**
   * false: the sink never shows a field's display text when the field has a value (the -T json writer), so
   * a dissector may leave out texts that cost something to make. Absent or true: texts are shown (-V).
   */
  readonly texts?: boolean;
  /** a field with its value and byte range (absolute offsets) */
  add(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void;
  /** like add, and following adds go beneath it until pop() */
  push(f: FieldDef, value: FieldValue, offset: number, length: number, display?: string): void;
  /** a text-only line (no filterable value), e.g. an option's summary */
  note(text: string, offset: number, length: number): void;
  /** a subtree headed by text */
  pushNote(text: string, offset: number, length: number): void;
  pop(): void;
  /**
   * Optional: a text field whose value is the bytes data[from, to) as Latin-1, given as the bytes (the -T json
   * writer spells them straight from there, with no string made: a reassembled HTTP body). Sinks without it
   * get add() with the string. The bytes must stay as they are until the packet is written.
   */
  addLatin1?(f: FieldDef, data: Uint8Array, from: number, to: number, offset: number, length: number, display?: string): void;
  /**
   * Optional (the -T json writer): a run of fields whose values are all given by (`run`, `key`), none of them a
   * bytes field, each once in its protocol. true: the run was written before and is added again as those bytes;
   * the caller adds nothing. false: the caller adds the fields, then calls endRun(run, key). `run`: from sinkRun().
   */
  cachedRun?(run: number, key: number): boolean;
  endRun?(run: number, key: number): void;
}

let runCount = 0;
/** A new run id for TreeSink.cachedRun (one per place in a dissector that adds such a run). */
export function sinkRun(): number {
  return runCount++;
}

/** A tree sink the engine also opens protocol layers on (TreeBuilder; the -T json writer's JsonSink). */
export interface LayerSink extends TreeSink {
  /** a protocol layer starting at offset; the engine sets the returned record's length when the layer ends */
  openProto(id: string, title: string, offset: number): { offset: number; length: number };
  /** removes the layer just opened, with what it holds (see Ctx.noNode) */
  dropProto?(): void;
}

export interface DissectOptions {
  /** -v count */
  verbose: number;
  /** -q */
  quiet: boolean;
  /** -e: the link layer prints its header */
  linkHeader: boolean;
  /**
   * TCP reassembly in the detail pass (the tree: -V, -T json/fields, -Y, the library's fields): PDUs that span
   * segments are dissected on the frame that completes them (src/stream/). The one-line summary never
   * reassembles (tcpdump's lines). On by default ({}: the default caps); false turns it off. It costs about
   * 1.5x CPU on -T json of the benchmark capture (docs/BENCHMARKS.md; 1.7x before session 7), above the
   * issue's 25%: not solved yet.
   */
  reassembly?: ReassemblyOptions | false;
  /**
   * The run asks for summaries only (tcpdump's lines, never a tree): state kept for the tree alone is not kept
   * (udp.stream's conversation table: 1.5 MB and a lookup per datagram on the 1M-packet benchmark capture, issue
   * #19). Such a Dissector refuses a detail pass, whose stream numbers would be wrong.
   */
  summaryOnly?: boolean;
}

/** Values a dissector hands to the next layer's lookup. */
export interface Handoff {
  table: string;
  key: number | string;
  /** a second key tried after the first (the higher port) */
  key2?: number;
  /**
   * The protocol that writes the one-line summary when tcpdump picks another printer than the table's lookup
   * (UDP: tcpdump tries ports in its own order, Wireshark the lower port first); null: the table's pick writes
   * both. In a detail pass both run: this one for the line only, the table's pick for the tree (its line text
   * dropped); the summary pass runs this one alone. Set after ctx.next(), which clears it.
   */
  line?: Protocol | null;
  /**
   * A buffer of the layer's own that the next layers dissect instead of the frame's bytes (tcpdump's
   * nd_push_buffer: an HDLC-escaped PPP frame unescaped), from `start` to `end`; null: the frame's bytes.
   * Set after ctx.next(), which clears it. The next layers' offsets are in this buffer: the tree's nodes are
   * mapped back onto the frame through `map` (buffer index -> the frame offset its byte was made from; one
   * entry more than the buffer's bytes: where the last one ends), so that -x/-X and the hex
   * pane highlight the frame's bytes they came from; a bytes field whose buffer bytes differ from the
   * frame's there is left out of the tree (its value would be read from the frame).
   */
  data?: Uint8Array | null;
  start?: number;
  end?: number;
  map?: Int32Array | null;
}

/**
 * Per-packet state, reused from packet to packet (no allocation per packet). Dissectors append to `line`
 * in tcpdump's words (bytes, escaped as they are written: see line.ts), and set addresses/ports that upper
 * layers and outputs use.
 */
export interface Ctx {
  frame: number;
  linktype: number;
  caplen: number;
  wirelen: number;
  tsSec: number;
  tsNsec: number;
  opts: DissectOptions;
  /** the one-line summary being built, in tcpdump's format: dissectors append to it */
  readonly line: Line;
  /** the line as text (reading it decodes the line; assigning replaces it) */
  info: string;
  /** "IP", "IP6" or "" : the network layer that transports print their addresses after */
  net: string;
  src: string;
  dst: string;
  /** IPv4 source and destination as numbers (-1 when the network layer is not IPv4): cheap keys */
  src4: number;
  dst4: number;
  /** the network layer already printed "src > dst: " (e.g. not TCP/UDP, or a fragment) */
  addrPrinted: boolean;
  /** the packet is an IP fragment (more fragments follow, or a non-zero offset): no checksums over the payload */
  fragmented: boolean;
  /**
   * True when this packet is the one dissected just before (a detail pass after its summary pass): state that
   * lasts across packets must then read as it did for the first pass, not be updated twice.
   */
  again: boolean;
  /**
   * True when a tree is asked for a frame earlier than the last one dissected with a tree (the library's stored
   * packets, asked out of capture order): stream state (TCP reassembly) has moved past it, so the frame is
   * dissected on its own, segment by segment, rather than fed again (which would report PDUs on wrong frames).
   */
  late: boolean;
  /**
   * Where the innermost IPv6 header's source address is in the packet's bytes (absolute; the destination
   * follows it), for pseudo-header checksums; -1 without an IPv6 layer.
   */
  ip6Src: number;
  /** the innermost IP header's TTL / hop limit (-1 without one): VRRP prints it when it is not 255 */
  ttl: number;
  /**
   * Where a source route's final destination is in the packet's bytes (absolute; an IPv4 LSRR/SSRR option's
   * last address, an IPv6 routing header's: types 0 and 2 the last address, segment routing segment 0), which
   * pseudo-header checksums use instead of the header's destination (RFC 8200 8.1), as tcpdump does; -1
   * without one.
   */
  routeDst: number;
  /** IP protocol number / next header, -1 when none */
  ipProto: number;
  srcPort: number;
  dstPort: number;
  /** the TCP flags (tcp.flags, 12 bits) of the outermost TCP header, -1 without one: the library's cheap tcp.flags */
  tcpFlags: number;
  /**
   * Text a layer asks to end the line with, after what the layers it hands on print (ICMP's multi-part
   * extension comes after the quoted packet, as tcpdump prints it); "" for none.
   */
  tail: string;
  /** protocol ids of the layers, in order */
  layers: string[];
  /** top-most protocol's display name (the list's Protocol column) */
  protoName: string;
  truncated: boolean;
  malformed: boolean;
  /** a dissector threw: its id */
  bug: string | null;
  /** state that lasts across packets (TCP relative sequence numbers, flows), owned by the Dissector */
  state: Map<string, unknown>;
  /**
   * Set by TCP when reassembly took the segment's payload: the rest of this segment's layers write the line
   * only (tcpdump's words, segment by segment), and the PDUs completed here (none when the segment only adds
   * to an unfinished one) are dissected into the tree by `pduProto`, each over its own bytes.
   */
  pdus: Pdu[] | null;
  pduProto: Protocol | null;
  /**
   * Set by a dissector that hands all of its bytes on to another (HTTP to HTTP/2 on an h2c connection): its
   * layer stays in frame.protocols, but it gets no node in the tree (tshark's `-Y http` does not match it).
   */
  noNode: boolean;
  /**
   * Plaintext that a layer decrypted in this frame (TLS with a key log: src/tls/), each dissected into the tree
   * by its protocol over its own bytes after the frame's other layers (detail pass only).
   */
  decrypted: { data: Uint8Array; proto: Protocol }[] | null;
  /** the plaintext of every TLS record decrypted in this frame, in order (-x/-X, the library's packet.decrypted) */
  plaintexts: Uint8Array[] | null;
  /**
   * Set by a layer whose payload tshark decodes but tcpdump does not (ERSPAN in GRE): the line's byte length
   * to keep; what the layers after it write to the line is dropped once the packet is done (the tree and the
   * fields keep them). -1: none.
   */
  lineHold: number;
  /** how many layers ctx.layers had when lineHold was set (the engine keeps it): the line's protocols; -1: none */
  lineHoldLayers: number;
  /**
   * Set by a layer whose payload tcpdump decodes but tshark does not (OTV on UDP port 8472): the layers after
   * it write the line only, not the tree (nor ctx.layers), as after TCP reassembly took a segment.
   */
  lineOnly: boolean;
  /**
   * Where the frame's bytes end (absolute) when an IPv4 total length claims more: tcpdump hands the upper
   * layer the claimed length, Wireshark the frame's (tcp.len counts only what the frame holds); -1: none.
   */
  frameEnd: number;
  /** hand off to a table; returned from dissect() */
  next(table: string, key: number | string, key2?: number): Handoff;
  /** marks the packet malformed with a reason (shown in the tree) */
  markMalformed(reason: string): void;
  malformedReason: string;
}

export interface Protocol {
  /** id and filter prefix, e.g. "udp" */
  id: string;
  /** display name, e.g. "UDP" */
  name: string;
  /** the name in tcpdump's truncation marker " [|ether]" when it differs from the id */
  truncName?: string;
  /** the protocol's fields, for listings and the display filter */
  fields?: Record<string, FieldDef>;
  /** the tree's protocol heading, e.g. "Internet Protocol Version 4"; default: name */
  title?: string;
  /**
   * Decodes from r.pos. Returns the next table and key(s), or nothing when the payload is not for another
   * dissector. The payload is what remains in r (r.pos to r.rep, captured to r.cap): narrow it with r.limit().
   */
  dissect(r: Reader, ctx: Ctx, t: TreeSink): Handoff | void;
  /** Called even when its parent hands on no bytes at all (tcpdump's printer then prints its cut marker). */
  onEmpty?: boolean;
  /**
   * For TCP reassembly: the length of the PDU starting at d[off] (see src/stream/reassembly.ts PduLength).
   * Protocols without it are dissected segment by segment.
   */
  pduLength?: PduLength;
  /** For heuristic registration: a cheap look at the payload; must not throw. */
  heuristic?(r: Reader, ctx: Ctx): boolean;
}
