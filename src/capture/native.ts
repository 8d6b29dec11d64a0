/**
 * The libpcap binding (native/tsniff_pcap.c), loaded once. Everything that touches libpcap goes through here.
 */
import fs from "node:fs";
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
  /** reading again after pause() (same callback and count) */
  resume(): void;
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

/** An interface's state as a netlink RTM_NEWLINK/RTM_DELLINK message gives it. */
export interface LinkEvent {
  name: string;
  index: number;
  up: boolean;
  running: boolean;
  deleted: boolean;
}
export interface NativeLinkWatch {
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
  /** prctl(PR_SET_NO_NEW_PRIVS): nothing run afterwards gains privileges (set-user-ID bits, file capabilities) */
  noNewPrivs(): void;
  Live: new (device: string, options: LiveOptions) => NativeLive;
  /**
   * Link events from the kernel (a NETLINK_ROUTE socket subscribed to RTMGRP_LINK, on the event loop): one
   * call per wakeup with the events read; `overflow` when the kernel dropped some (look at everything
   * again). Throws (code EPCAP) when netlink is not available; close() when done.
   */
  LinkWatch: new (onEvents: (events: LinkEvent[], overflow: boolean) => void) => NativeLinkWatch;
  /** native/tsniff_craft.c: sending crafted frames ("link": pcap_inject on a device; "ip4"/"ip6": a raw IPPROTO_RAW socket) */
  Sender: new (kind: "link" | "ip4" | "ip6", device?: string) => NativeSender;
  /** the source address the kernel would use towards `dst` (nothing is sent), or null without a route */
  routeSource(dst: string): string | null;
}

/** Sends `count` frames laid end to end in `buf` (lens[i] bytes each) in one call; returns how many went. */
export interface NativeSender {
  send(buf: Uint8Array, lens: Uint32Array, count: number): number;
  close(): void;
}

let cached: NativeBinding | undefined;

/** The package's directory: this module (dist/capture/native.js) and the bundles (dist/clib/, dist/cjs/) sit two levels below it. */
function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/**
 * Where the addon may be, in order: node-gyp's build (`npm run build:native`, the install script), then the
 * prebuilt one shipped in the package; or only TSNIFF_ADDON's file when that is set.
 */
export function addonCandidates(root = packageRoot()): string[] {
  // TSNIFF_ADDON: the path of another build of the addon to load instead (scripts/asan.mjs's ASan build).
  const override = process.env.TSNIFF_ADDON;
  if (override) return [path.resolve(override)];
  return [
    path.join(root, "build", "Release", "tsniff_pcap.node"),
    path.join(root, "build", "Debug", "tsniff_pcap.node"),
    path.join(root, "prebuilds", `${process.platform}-${process.arch}`, "tsniff_pcap.node"),
  ];
}

/**
 * One line saying why no addon loaded, from the errors of the candidates that exist (a file that is not there
 * says nothing): libpcap's shared library missing names the Debian package; nothing there says what builds it.
 */
export function addonError(found: { file: string; error: unknown }[]): string {
  const first = (e: unknown) => String((e as Error)?.message ?? e).split("\n")[0];
  const lib = found.find((f) => /libpcap\.so[^:]*: cannot open shared object file/.test(first(f.error)));
  if (lib) {
    const so = /(libpcap\.so[^:]*)/.exec(first(lib.error))![1];
    return `the libpcap addon cannot load: libpcap's shared library ${so} is missing; install it: apt-get install libpcap0.8 (libpcap0.8t64 on Debian 13 / Ubuntu 24.04)`;
  }
  if (found.length) return `the libpcap addon cannot load: ${first(found[0].error)}`;
  return `the libpcap addon is not built and no prebuilt one fits ${process.platform}-${process.arch}; build it: apt-get install libpcap-dev g++ make python3, then npm rebuild tsniff --allow-scripts=tsniff (-g for a global install)`;
}

/** Loads the addon (node-gyp's build, else the package's prebuilt one). A clear one-line message if neither loads. */
export function native(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const found: { file: string; error: unknown }[] = [];
  for (const c of addonCandidates()) {
    if (!process.env.TSNIFF_ADDON && !fs.existsSync(c)) continue; // TSNIFF_ADDON's file gives its own error when absent
    try {
      cached = require(c) as NativeBinding;
      return cached;
    } catch (e) {
      found.push({ file: c, error: e });
    }
  }
  const err = new Error(addonError(found));
  (err as NodeJS.ErrnoException).code = "ENOADDON";
  throw err;
}
