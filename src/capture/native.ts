/**
 * The libpcap binding (native/tsniff_pcap.c), loaded once. Everything that touches libpcap goes through here.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

export interface DeviceAddress {
  family: "inet" | "inet6" | "link" | "other";
  addr: string | null;
  netmask: string | null;
  broadaddr: string | null;
}
export interface Device {
  name: string;
  description: string | null;
  flags: number;
  loopback: boolean;
  up: boolean;
  running: boolean;
  wireless: boolean;
  connectionStatus: number;
  addresses: DeviceAddress[];
}
export interface LiveStats {
  received: number;
  dropped: number;
  ifDropped: number;
}
export interface LiveOptions {
  snaplen?: number;
  promisc?: boolean;
  /** kernel buffer size in bytes */
  bufferSize?: number;
  immediate?: boolean;
  nano?: boolean;
  timeoutMs?: number;
  /** 0 in+out, 1 in, 2 out */
  direction?: number;
  datalink?: number;
}
/**
 * Batch callback: `buf` holds `count` pcap records (16-byte native-endian header: sec, usec-or-nsec,
 * caplen, len; then the bytes). One call per batch, never per packet.
 */
export type BatchCallback = (err: Error | null, buf: Buffer | null, count: number, done: boolean) => void;

export interface NativeLive {
  start(cb: BatchCallback, maxCount?: number): void;
  pause(): void;
  drain(): void;
  setFilter(program: Uint32Array): void;
  stats(): LiveStats | null;
  datalink(): number;
  datalinks(): number[];
  snaplen(): number;
  isNano(): boolean;
  inject(buf: Buffer): number;
  close(): void;
}

export interface NativeBinding {
  findAllDevs(): Device[];
  /** Throws an Error with code "EFILTER" and libpcap's own message on a bad expression. */
  compile(expr: string, linktype: number, snaplen: number, optimize: number, netmask: number): Uint32Array;
  /** libpcap's bpf_filter over a batch: one return value per packet. */
  filterBatch(program: Uint32Array, buf: Uint8Array, offs: Uint32Array, caplens: Uint32Array, wirelens: Uint32Array, count: number): Uint32Array;
  libVersion(): string;
  datalinkName(dlt: number): string | null;
  datalinkDescription(dlt: number): string | null;
  datalinkValue(name: string): number;
  lookupNet(device: string): { net: number; mask: number } | null;
  Live: new (device: string, options: LiveOptions) => NativeLive;
}

let cached: NativeBinding | undefined;

/** Loads the addon built by node-gyp (`npm ci` runs it). A clear message if it is missing. */
export function native(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
  // TSNIFF_ADDON: the path of another build of the addon to load instead (scripts/asan.sh's ASan build).
  const override = process.env.TSNIFF_ADDON;
  const candidates = override ? [path.resolve(override)] : [path.join(root, "build", "Release", "tsniff_pcap.node"), path.join(root, "build", "Debug", "tsniff_pcap.node")];
  let lastErr: unknown;
  for (const c of candidates) {
    try {
      cached = require(c) as NativeBinding;
      return cached;
    } catch (e) {
      lastErr = e;
    }
  }
  const err = new Error(
    `the libpcap addon is not built (${(lastErr as Error)?.message?.split("\n")[0]}); run: apt-get install libpcap-dev && npm run build:native`,
  );
  (err as NodeJS.ErrnoException).code = "ENOADDON";
  throw err;
}
