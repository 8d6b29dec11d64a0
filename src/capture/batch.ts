/**
 * A batch of packets: the unit that moves through tsniff. Sources (live, pcap, pcapng) fill one and hand it
 * to the pipeline synchronously; the arrays are reused for the next batch, so a consumer that keeps a packet
 * beyond the call must copy it (`copyPacket`). No per-packet objects are allocated to carry a batch.
 */
export interface PacketBatch {
  /** backing bytes; packet i is data[offset[i], offset[i] + caplen[i]) */
  data: Uint8Array;
  count: number;
  offset: Uint32Array;
  caplen: Uint32Array;
  /** original (on-the-wire) length */
  wirelen: Uint32Array;
  /** whole seconds since the epoch (may exceed 2^32 in pcapng) */
  tsSec: Float64Array;
  /**
   * nanoseconds within the second; a malformed microsecond file's fraction can be a second or more, shown as
   * it is by tcpdump (".1159821166"), so this holds up to 2^32 microseconds: not a Uint32Array
   */
  tsNsec: Float64Array;
  /** link type of each packet (a pcapng file may mix interfaces) */
  linktype: Int32Array;
  /** interface index (pcapng IDB number; 0 for pcap and a single live interface; SourceInfo.interfaces[i] live) */
  iface: Uint32Array;
  /**
   * True when `data` holds the packets as contiguous little-endian pcap records (16-byte header then bytes,
   * header at offset[i] - 16), with nanosecond fractions when `rawNano`: a writer can copy a run in one go.
   */
  raw: boolean;
  rawNano: boolean;
  /**
   * Packets whose record was longer than the file's snapshot length, by index: the record header's captured
   * length (the packet is cut to the snapshot length, as libpcap cuts it, for filters and the one-line output;
   * tshark's frame.cap_len is the record's). Absent or empty when no record was cut (cleared per batch).
   */
  cut?: Map<number, number>;
}

export function createBatch(capacity = 4096): PacketBatch {
  return {
    data: new Uint8Array(0),
    count: 0,
    offset: new Uint32Array(capacity),
    caplen: new Uint32Array(capacity),
    wirelen: new Uint32Array(capacity),
    tsSec: new Float64Array(capacity),
    tsNsec: new Float64Array(capacity),
    linktype: new Int32Array(capacity),
    iface: new Uint32Array(capacity),
    raw: false,
    rawNano: false,
  };
}

type NumberArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A copy of a typed array with room for `size` elements (the per-packet columns grow by doubling). */
export function grown<T extends NumberArray>(a: T, size: number): T {
  const x = new (a.constructor as new (n: number) => T)(size);
  x.set(a);
  return x;
}

/** Grows the per-packet arrays (amortised: doubling) so that index `n` fits. */
export function ensureCapacity(b: PacketBatch, n: number): void {
  if (n < b.offset.length) return;
  let cap = b.offset.length || 1;
  while (cap <= n) cap *= 2;
  b.offset = grown(b.offset, cap);
  b.caplen = grown(b.caplen, cap);
  b.wirelen = grown(b.wirelen, cap);
  b.tsSec = grown(b.tsSec, cap);
  b.tsNsec = grown(b.tsNsec, cap);
  b.linktype = grown(b.linktype, cap);
  b.iface = grown(b.iface, cap);
}

/** Information about where packets come from, known when the source opens. */
export interface SourceInfo {
  /** "live", "pcap" or "pcapng" */
  kind: "live" | "pcap" | "pcapng";
  /** interface name or file path ("-" for stdin) */
  name: string;
  /** link type of the first (or only) interface */
  linktype: number;
  snaplen: number;
  /** true when timestamps were recorded with nanosecond resolution */
  nano: boolean;
  /**
   * Live captures: the interfaces, indexed by the batch's `iface` numbers (one for -i X, several for
   * -i X -i Y). Each has its own link type and snapshot length (a pcapng writer gives each its own IDB).
   */
  interfaces?: LiveInterface[];
  /**
   * pcapng files: each interface's name (if_name, "unknown" without one) by the batch's `iface` numbers; the
   * array grows as the file declares interfaces (frame.interface_name, as tshark reads it).
   */
  interfaceNames?: readonly string[];
}

export interface LiveInterface {
  name: string;
  /** a remote source (-i ssh://host/IFACE): its name is "host:IFACE" */
  remote?: boolean;
  linktype: number;
  snaplen: number;
}
