/**
 * A built packet is a stack of layers, lowest first: `Ether().over(IP({ dst })).over(UDP()).over(DNS(...))`
 * or `stack(Ether(), IP({ dst }), UDP(), DNS(...))`, typed as the tuple of its layers so that
 * `pkt.layer("udp")` is a UdpLayer. bytes() lays the layers out in one buffer:
 *   1. each layer says its size (its header; Raw and DNS their whole encoding),
 *   2. headers are written bottom-up, each knowing the layers around it (an Ethernet type, an IP protocol
 *      and lengths come from what is above unless set),
 *   3. checksums are computed top-down, so a UDP/TCP checksum covers its finished payload and an IP
 *      pseudo-header already written below it.
 * Layers are immutable: with() gives a changed copy.
 */
import { Packet } from "../api/packet.js";
import { CraftError } from "./addr.js";
import type { ArpLayer, Dot1QLayer, EtherLayer, ICMPLayer, ICMPv6Layer, IPLayer, IPv6Layer, RawLayer, TCPLayer, UDPLayer } from "./layers.js";
import type { DNSLayer } from "./dns.js";

/** What a layer sees while its stack is built. */
export interface BuildEnv {
  readonly layers: readonly Layer[];
  /** where each layer starts */
  readonly offs: number[];
  /** each layer's own size */
  readonly sizes: number[];
  /** the whole packet's length */
  total: number;
  /** the source MAC when none is set (the sending interface's, from sendp) */
  srcMac?: string;
  /** the destination MAC when none is set (the next hop's, resolved by sendp) */
  dstMac?: string;
}

export abstract class Layer<K extends string = string> {
  abstract readonly kind: K;
  /** this layer's size in bytes (header, or whole encoding for Raw/DNS) */
  abstract size(env: BuildEnv, i: number): number;
  /** writes the layer at env.offs[i] (bottom-up: the layers below are written) */
  abstract write(b: Uint8Array, env: BuildEnv, i: number): void;
  /** checksums and anything else that covers the layers above (top-down: those are final) */
  finish(_b: Uint8Array, _env: BuildEnv, _i: number): void {}
  /** A stack of this layer with `upper` over it. */
  over<U extends Layer>(upper: U): Stack<[this, U]> {
    return new Stack([this, upper]);
  }
  /** This layer alone, as bytes. */
  bytes(): Buffer {
    return new Stack([this]).bytes();
  }
}

/** Every layer tsniff builds. */
export type KnownLayer = EtherLayer | Dot1QLayer | ArpLayer | IPLayer | IPv6Layer | ICMPLayer | ICMPv6Layer | UDPLayer | TCPLayer | DNSLayer | RawLayer;

/**
 * A layer kind -> its layer type: from the stack's own layers when it is typed (a tuple), else (a Stack of any
 * layers, as sr() gives back for untyped input) the known layer of that kind.
 */
export type LayerOf<L extends readonly Layer[], K extends string> = [Extract<L[number], { kind: K }>] extends [never] ? Extract<KnownLayer, { kind: K }> : Extract<L[number], { kind: K }>;

export class Stack<L extends readonly Layer[] = readonly Layer[]> {
  constructor(readonly layers: L) {
    if (layers.length === 0) throw new CraftError("a packet needs at least one layer");
    for (const l of layers) if (!(l instanceof Layer)) throw new CraftError(`not a layer: ${String(l)}`);
  }

  /** This stack with `upper` over its top layer. */
  over<U extends Layer>(upper: U): Stack<[...L, U]> {
    return new Stack([...this.layers, upper] as [...L, U]);
  }

  /** The first layer of this kind (typed by the stack's layers). */
  layer<K extends L[number]["kind"]>(kind: K): LayerOf<L, K> {
    const l = this.layers.find((x) => x.kind === kind);
    if (!l) throw new CraftError(`this packet has no ${kind} layer`);
    return l as LayerOf<L, K>;
  }

  has(kind: string): boolean {
    return this.layers.some((x) => x.kind === kind);
  }

  /** The same stack with layer `i` replaced. */
  replace<I extends number & keyof L>(i: I, layer: L[I]): Stack<L> {
    const a = [...this.layers];
    a[i] = layer;
    return new Stack(a as unknown as L);
  }

  /** The packet's bytes, lengths and checksums computed where they were not set. */
  bytes(o: { srcMac?: string; dstMac?: string } = {}): Buffer {
    const n = this.layers.length;
    const env: BuildEnv = { layers: this.layers, offs: new Array<number>(n), sizes: new Array<number>(n), total: 0, srcMac: o.srcMac, dstMac: o.dstMac };
    let total = 0;
    for (let i = 0; i < n; i++) {
      env.offs[i] = total;
      total += env.sizes[i] = this.layers[i].size(env, i);
    }
    env.total = total;
    const b = Buffer.allocUnsafe(total).fill(0); // from the pool: cheaper than alloc() for small packets
    for (let i = 0; i < n; i++) this.layers[i].write(b, env, i);
    for (let i = n - 1; i >= 0; i--) this.layers[i].finish(b, env, i);
    return b;
  }

  /** The link type of bytes(): Ethernet when the stack starts with Ether, raw IP when it starts with IP. */
  get linktype(): number {
    return linktypeOf(this.layers[0].kind);
  }

  /** bytes() read back by tsniff's own dissector. */
  dissect(): Packet {
    return Packet.fromBytes(this.bytes(), { linktype: this.linktype });
  }

  /** The one-line summary tsniff prints for bytes(). */
  summary(): string {
    return this.dissect().summary();
  }

  toString(): string {
    return this.layers.map((l) => l.kind).join("/");
  }
}

/** LINKTYPE_ of a stack starting with a layer of this kind (1 Ethernet, 101 raw IP). */
export function linktypeOf(kind: string): number {
  return kind === "eth" ? 1 : kind === "ip" || kind === "ipv6" ? 101 : 147; // 147: user-defined, read as data
}

/** A stack of the given layers, lowest first. */
export function stack<L extends Layer[]>(...layers: L): Stack<L> {
  return new Stack(layers);
}

/** Something sendable: a stack or a single layer. */
export type Crafted = Stack | Layer;

export function asStack(p: Crafted): Stack {
  return p instanceof Stack ? p : new Stack([p]);
}

/** The nearest layer below i of one of these kinds, and its index (-1 when none). */
export function below(env: BuildEnv, i: number, ...kinds: string[]): number {
  for (let j = i - 1; j >= 0; j--) if (kinds.includes(env.layers[j].kind)) return j;
  return -1;
}

/** The kind of the layer just above i ("" at the top). */
export function aboveKind(env: BuildEnv, i: number): string {
  return i + 1 < env.layers.length ? env.layers[i + 1].kind : "";
}
