/**
 * Test-only: the packets of the public tcpdump capture corpus, grouped by link type, in the flat layout
 * native().filterBatch takes (one buffer, per-packet offset/caplen/wirelen arrays). Reads the classic pcap
 * files with src/capture/pcap-format.ts and skips anything else (pcapng, damaged tails).
 */
import fs from "node:fs";
import path from "node:path";
import { createBatch } from "../../src/capture/batch.js";
import { detectFormat, parsePcapHeader, parsePcapRecords, PCAP_FILE_HEADER_LEN } from "../../src/capture/pcap-format.js";
import { CORPUS } from "../helpers/paths.js";

export const CORPUS_DIR = CORPUS;

/** Packets of one link type. Packet i is data[offset[i], offset[i] + caplen[i]). */
export interface PacketSet {
  /** DLT_ value, as pcap_compile wants it */
  dlt: number;
  data: Buffer;
  count: number;
  offset: Uint32Array;
  caplen: Uint32Array;
  wirelen: Uint32Array;
  /** the file each packet came from, for failure messages */
  file: string[];
}

/**
 * LINKTYPE_ values in files that differ from the DLT_ value libpcap uses on Linux (pcap-common.c's
 * linktype_to_dlt); all other values are the same in both spaces.
 */
const LINKTYPE_TO_DLT = new Map<number, number>([
  [100, 11], // ATM_RFC1483
  [101, 12], // RAW
  [102, 15], // SLIP_BSDOS
  [103, 16], // PPP_BSDOS
  [106, 19], // ATM_CLIP
]);

/** Loads every classic pcap file of `dir` (in name order) and groups its packets by link type. */
export function loadCorpus(dir = CORPUS_DIR): Map<number, PacketSet> {
  interface Pending {
    chunks: Buffer[];
    size: number;
    offset: number[];
    caplen: number[];
    wirelen: number[];
    file: string[];
  }
  const groups = new Map<number, Pending>();
  const batch = createBatch(64);
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".pcap")).sort()) {
    const bytes = fs.readFileSync(path.join(dir, name));
    if (detectFormat(bytes) !== "pcap") continue;
    const header = parsePcapHeader(bytes);
    const dlt = LINKTYPE_TO_DLT.get(header.linktype) ?? header.linktype;
    let g = groups.get(dlt);
    if (!g) groups.set(dlt, (g = { chunks: [], size: 0, offset: [], caplen: [], wirelen: [], file: [] }));
    let pos = PCAP_FILE_HEADER_LEN;
    for (;;) {
      batch.count = 0;
      let next: number;
      try {
        next = parsePcapRecords(header, bytes, pos, bytes.length, batch, 1, 0);
      } catch {
        break; // a record header libpcap would refuse: keep what came before it
      }
      if (batch.count === 0) break;
      const off = batch.offset[0]!;
      const cap = batch.caplen[0]!;
      g.offset.push(g.size);
      g.caplen.push(cap);
      g.wirelen.push(batch.wirelen[0]!);
      g.file.push(name);
      g.chunks.push(bytes.subarray(off, off + cap));
      g.size += cap;
      pos = next;
    }
  }
  const out = new Map<number, PacketSet>();
  for (const [dlt, g] of groups) {
    if (g.offset.length === 0) continue;
    out.set(dlt, {
      dlt,
      data: Buffer.concat(g.chunks),
      count: g.offset.length,
      offset: Uint32Array.from(g.offset),
      caplen: Uint32Array.from(g.caplen),
      wirelen: Uint32Array.from(g.wirelen),
      file: g.file,
    });
  }
  return out;
}

/** A small deterministic PRNG (mulberry32), so that failures reproduce. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
