/**
 * The mutation fuzzer's core (scripts/fuzz.mjs runs it; test/fuzz/ too): deterministic case generation from
 * seed captures, and the checks one case must pass when read and printed in-process through the library's
 * own machinery (FileSource, the CLI's printers), in every output mode.
 *
 * A case is fully determined by (run seed, case index): the runner regenerates a case from its index to
 * keep it when the worker that ran it hung or ran out of memory.
 *
 * Mutations:
 *  - structural, pcap: file header fields (magic byte order, version, snaplen, link type), record header
 *    fields (caplen, wire length, timestamps) set to interesting values, records dropped/duplicated/swapped;
 *  - structural, pcapng: block types, block lengths (header, trailer or both), EPB interface ids and
 *    lengths, IDB link types and snaplens, options added to SHB/IDB/EPB (if_tsresol, if_tsoffset,
 *    if_fcslen, comments with control bytes, bogus codes and lengths), blocks dropped/duplicated/swapped,
 *    random blocks inserted, the byte-order magic;
 *  - payload: bit flips, byte sets, interesting 8/16/32-bit values, splices from another packet of any seed,
 *    insertions and deletions (lengths fixed up so the record stays well-formed), text with control bytes;
 *  - truncation of the whole file at any point;
 *  - the link type of the whole file changed (every dissector gets packets it was not written for).
 */
import fs from "node:fs";
import path from "node:path";

// ---------------------------------------------------------------------------------------------------------
// Deterministic random numbers

/** A 32-bit hash of a run seed and a case index: each case gets its own stream. */
export function caseSeed(seed, index) {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32 */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Seeds

const MAX_SEED_BYTES = 128 * 1024;
const MAX_SEED_UNITS = 48;

/** Capture files under the given directories (recursively), sorted: the seed list is the same everywhere. */
export function findSeedFiles(dirs) {
  const out = [];
  const walk = (d) => {
    let ents;
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap|pcap\d*)$/i.test(e.name)) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

/**
 * A capture split into units: the file header (pcap) or blocks (pcapng), and records. Each unit is raw
 * bytes; packet units know where their payload is. Files that do not split cleanly keep what did.
 */
export function splitCapture(bytes) {
  if (bytes.length < 24) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = dv.getUint32(0, true);
  if (m === 0x0a0d0d0a) {
    if (bytes.length < 12) return null;
    const bom = dv.getUint32(8, true);
    const le = bom === 0x1a2b3c4d;
    if (!le && bom !== 0x4d3c2b1a) return null;
    const units = [];
    let total = 0;
    for (let p = 0; p + 12 <= bytes.length && units.length < MAX_SEED_UNITS && total < MAX_SEED_BYTES; ) {
      const type = dv.getUint32(p, le);
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || len % 4 || p + len > bytes.length) break;
      const b = bytes.slice(p, p + len);
      const u = { kind: "block", type, bytes: b };
      if ((type === 6 || type === 2) && len >= 32) {
        const cap = new DataView(b.buffer).getUint32(20, le);
        if (28 + cap <= len - 4) Object.assign(u, { payloadAt: 28, payloadLen: cap });
      } else if (type === 3 && len >= 16) Object.assign(u, { payloadAt: 12, payloadLen: len - 16 });
      units.push(u);
      total += len;
      p += len;
    }
    return units.length ? { format: "pcapng", le, units } : null;
  }
  let le;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) le = true;
  else if (dv.getUint32(0, false) === 0xa1b2c3d4 || dv.getUint32(0, false) === 0xa1b23c4d) le = false;
  else return null;
  const units = [{ kind: "fhdr", bytes: bytes.slice(0, 24) }];
  let total = 24;
  for (let p = 24; p + 16 <= bytes.length && units.length < MAX_SEED_UNITS && total < MAX_SEED_BYTES; ) {
    const cap = dv.getUint32(p + 8, le);
    if (p + 16 + cap > bytes.length) break;
    units.push({ kind: "rec", bytes: bytes.slice(p, p + 16 + cap), payloadAt: 16, payloadLen: cap });
    total += 16 + cap;
    p += 16 + cap;
  }
  return { format: "pcap", le, units };
}

/** Loads and splits the seeds (files that are not captures are left out). */
export function loadSeeds(files) {
  const seeds = [];
  for (const f of files) {
    let b;
    try {
      b = new Uint8Array(fs.readFileSync(f));
    } catch {
      continue;
    }
    const s = splitCapture(b);
    if (s) seeds.push({ name: f, ...s });
  }
  return seeds;
}

// ---------------------------------------------------------------------------------------------------------
// Mutations

const INTERESTING32 = [0, 1, 2, 3, 4, 7, 8, 11, 12, 15, 16, 24, 28, 31, 32, 63, 64, 127, 128, 255, 256, 1500, 4095, 4096, 65535, 65536, 262143, 262144, 262145, 1 << 20, (1 << 24) - 1, 16 << 20, (16 << 20) + 4, 128 << 20, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff];
const INTERESTING16 = [0, 1, 2, 4, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING8 = [0, 1, 0x0a, 0x0d, 0x1b, 0x7f, 0x80, 0x9b, 0xc0, 0xff];
/** Link types with dissectors or special limits. */
const LINKTYPES = [0, 1, 6, 7, 8, 9, 10, 12, 101, 104, 105, 108, 113, 117, 119, 127, 138, 143, 147, 161, 163, 192, 197, 201, 220, 227, 228, 229, 231, 239, 249, 252, 276, 279, 0xffff];
/** Text that must not reach a terminal raw. */
const NASTY = ["\n12:34:56.000000 IP 6.6.6.6.53 > 7.7.7.7.53: FAKE\n", "\r\x1b[2J\x1b]0;t\x07", "\x00\x01\x7f\x80\x9b\xc2\x9b", "\u2028\u202e\ufeff", "\t\n\t0x0000:  ", "%s%n%x"];

function get32(b, p, le) {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(p, le);
}
function set32(b, p, v, le) {
  if (p + 4 <= b.length) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(p, v >>> 0, le);
}
function set16(b, p, v, le) {
  if (p + 2 <= b.length) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(p, v & 0xffff, le);
}

/** A pcapng block of `type` around `body` (padded to 4), in the given byte order. */
function makeBlock(type, body, le) {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = new Uint8Array(len);
  set32(b, 0, type, le);
  set32(b, 4, len, le);
  b.set(body, 8);
  set32(b, len - 4, len, le);
  return b;
}

function option(code, value, le) {
  const pad = (4 - (value.length % 4)) % 4;
  const o = new Uint8Array(4 + value.length + pad);
  set16(o, 0, code, le);
  set16(o, 2, value.length, le);
  o.set(value, 4);
  return o;
}

const latin1 = (s) => Uint8Array.from(Buffer.from(s, "latin1"));
const utf8 = (s) => Uint8Array.from(Buffer.from(s, "utf8"));

/** Replaces a packet unit's payload (lengths fixed up: the record stays well-formed). */
function withPayload(u, payload, fmt, le) {
  if (fmt === "pcap") {
    const b = new Uint8Array(16 + payload.length);
    b.set(u.bytes.subarray(0, 16));
    set32(b, 8, payload.length, le);
    set32(b, 12, Math.max(payload.length, get32(u.bytes, 12, le)), le);
    b.set(payload, 16);
    return { ...u, bytes: b, payloadLen: payload.length };
  }
  const head = u.bytes.subarray(8, u.payloadAt);
  const optsAt = u.payloadAt + ((u.payloadLen + 3) & ~3);
  const opts = u.bytes.subarray(Math.min(optsAt, u.bytes.length - 4), u.bytes.length - 4);
  const body = new Uint8Array(head.length + ((payload.length + 3) & ~3) + opts.length);
  body.set(head);
  body.set(payload, head.length);
  body.set(opts, head.length + ((payload.length + 3) & ~3));
  const b = makeBlock(u.type, body, le);
  if (u.type === 3) set32(b, 8, payload.length, le);
  else {
    set32(b, 20, payload.length, le);
    set32(b, 24, Math.max(payload.length, get32(u.bytes, 24, le)), le);
  }
  return { ...u, bytes: b, payloadLen: payload.length };
}

function payloadMutation(r, u, fmt, le, seeds) {
  const p = u.bytes.slice(u.payloadAt, u.payloadAt + u.payloadLen);
  const at = () => r.int(Math.max(1, p.length));
  switch (r.int(9)) {
    case 0: // bit flips
      for (let k = 1 + r.int(8); k > 0 && p.length; k--) p[at()] ^= 1 << r.int(8);
      return { ...u, bytes: withBytes(u, p) };
    case 1: // byte sets
      for (let k = 1 + r.int(8); k > 0 && p.length; k--) p[at()] = r.chance(0.5) ? r.pick(INTERESTING8) : r.int(256);
      return { ...u, bytes: withBytes(u, p) };
    case 2: {
      // interesting 16/32-bit values, either byte order
      const q = at();
      const big = r.chance(0.5);
      const v = r.chance(0.5) ? r.pick(INTERESTING16) : r.pick(INTERESTING32);
      if (r.chance(0.5)) set16(p, q, v, !big);
      else set32(p, q, v, !big);
      return { ...u, bytes: withBytes(u, p) };
    }
    case 3: {
      // splice: bytes from another packet (any seed) over this one from some offset
      const other = randomPacket(r, seeds);
      if (!other) return u;
      const src = other.bytes.subarray(other.payloadAt, other.payloadAt + other.payloadLen);
      const from = r.int(Math.max(1, src.length));
      const to = at();
      const n = Math.min(src.length - from, r.int(256) + 1);
      const out = new Uint8Array(Math.max(p.length, to + n));
      out.set(p);
      out.set(src.subarray(from, from + n), to);
      return withPayload(u, out, fmt, le);
    }
    case 4: {
      // insert bytes (random, or text a terminal must not see raw)
      const ins = r.chance(0.5) ? latin1(r.pick(NASTY)) : Uint8Array.from({ length: 1 + r.int(64) }, () => r.int(256));
      const q = at();
      const out = new Uint8Array(p.length + ins.length);
      out.set(p.subarray(0, q));
      out.set(ins, q);
      out.set(p.subarray(q), q + ins.length);
      return withPayload(u, out, fmt, le);
    }
    case 5: {
      // delete a run
      const q = at();
      const n = 1 + r.int(Math.max(1, Math.min(64, p.length - q)));
      const out = new Uint8Array(Math.max(0, p.length - n));
      out.set(p.subarray(0, q));
      out.set(p.subarray(q + n), q);
      return withPayload(u, out, fmt, le);
    }
    case 6: // cut the payload short (the captured length shrinks)
      return withPayload(u, p.subarray(0, r.int(p.length + 1)), fmt, le);
    case 7: {
      // overwrite with nasty text where text protocols keep names (anywhere, really)
      const t = latin1(r.pick(NASTY));
      const q = at();
      for (let k = 0; k < t.length && q + k < p.length; k++) p[q + k] = t[k];
      return { ...u, bytes: withBytes(u, p) };
    }
    default: {
      // many random bytes
      for (let k = 1 + r.int(32); k > 0 && p.length; k--) p[at()] = r.int(256);
      return { ...u, bytes: withBytes(u, p) };
    }
  }
}

function withBytes(u, p) {
  const b = u.bytes.slice();
  b.set(p.subarray(0, u.payloadLen), u.payloadAt);
  return b;
}

function randomPacket(r, seeds) {
  for (let tries = 0; tries < 4; tries++) {
    const s = r.pick(seeds);
    const ps = s.units.filter((u) => u.payloadLen > 0);
    if (ps.length) return r.pick(ps);
  }
  return null;
}

function pcapStructural(r, units, le) {
  const u = r.int(units.length);
  const b = units[u].bytes.slice();
  if (units[u].kind === "fhdr") {
    switch (r.int(5)) {
      case 0:
        set32(b, 16, r.pick(INTERESTING32), le); // snaplen
        break;
      case 1:
        set32(b, 20, r.chance(0.8) ? r.pick(LINKTYPES) : r.int(0x10000) | (r.chance(0.2) ? r.int(64) << 26 : 0), le);
        break;
      case 2:
        set16(b, 4, r.pick(INTERESTING16), le); // version
        break;
      case 3:
        set32(b, 0, r.pick([0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1]), true); // magic, either order
        break;
      default:
        b[r.int(24)] = r.int(256);
    }
    units[u] = { ...units[u], bytes: b };
    return;
  }
  switch (r.int(4)) {
    case 0: {
      // caplen or wire length to an interesting value (the bytes stay: the next records misalign)
      set32(b, r.chance(0.6) ? 8 : 12, r.pick(INTERESTING32), le);
      units[u] = { ...units[u], bytes: b };
      return;
    }
    case 1:
      set32(b, r.chance(0.5) ? 0 : 4, r.pick(INTERESTING32), le); // timestamps
      units[u] = { ...units[u], bytes: b };
      return;
    case 2: // drop, duplicate or swap records
      listOp(r, units, 1);
      return;
    default:
      b[r.int(16)] = r.int(256);
      units[u] = { ...units[u], bytes: b };
  }
}

/** Drops, duplicates or swaps units (never the first `keep`). */
function listOp(r, units, keep) {
  if (units.length <= keep) return;
  const i = keep + r.int(units.length - keep);
  const j = keep + r.int(units.length - keep);
  switch (r.int(3)) {
    case 0:
      units.splice(i, 1);
      break;
    case 1:
      units.splice(i, 0, units[j]);
      break;
    default:
      [units[i], units[j]] = [units[j], units[i]];
  }
}

function pcapngStructural(r, units, le, seeds) {
  const u = r.int(units.length);
  const unit = units[u];
  const b = unit.bytes.slice();
  switch (r.int(9)) {
    case 0: // block type
      set32(b, 0, r.pick([0x0a0d0d0a, 1, 2, 3, 4, 5, 6, 9, 10, 0xbad, 0x40000bad, 0x80000001, r.int(0x100)]), le);
      break;
    case 1: {
      // block length: header, trailer or both
      const v = r.chance(0.5) ? r.pick(INTERESTING32) : (b.length + (r.int(9) - 4) * 4) >>> 0;
      const where = r.int(3);
      if (where !== 1) set32(b, 4, v, le);
      if (where !== 0) set32(b, b.length - 4, v, le);
      break;
    }
    case 2: // EPB/PB/SPB fields: interface id, lengths
      if (unit.type === 6 || unit.type === 2) set32(b, r.pick([8, 20, 24]), r.chance(0.3) ? r.int(4) : r.pick(INTERESTING32), le);
      else if (unit.type === 3) set32(b, 8, r.pick(INTERESTING32), le);
      else b[8 + r.int(Math.max(1, b.length - 12))] = r.int(256);
      break;
    case 3: // IDB link type / snaplen
      if (unit.type === 1) {
        if (r.chance(0.5)) set16(b, 8, r.pick(LINKTYPES), le);
        else set32(b, 12, r.pick(INTERESTING32), le);
      } else b[r.int(b.length)] = r.int(256);
      break;
    case 4: {
      // an option added to a SHB/IDB/EPB/ISB (at the end of the options, before any opt_endofopt's place)
      if (![0x0a0d0d0a, 1, 6, 5].includes(unit.type)) break;
      const code = r.pick([1, 2, 3, 4, 9, 13, 14, 0x8000 | r.int(16), r.int(0x10000)]);
      let value;
      if (code === 9) value = Uint8Array.of(r.pick([0, 3, 6, 9, 10, 19, 20, 30, 63, 64, 127, 0x80, 0x89, 0x9f, 0xa0, 0xbf, 0xc0, 0xff]));
      else if (code === 14) {
        value = new Uint8Array(8);
        set32(value, 0, r.pick(INTERESTING32), le);
        set32(value, 4, r.pick(INTERESTING32), le);
      } else if (code === 13) value = Uint8Array.of(r.int(256));
      else if (r.chance(0.6)) value = utf8(r.pick(NASTY) + "comment");
      else value = Uint8Array.from({ length: r.int(40) }, () => r.int(256));
      let o = option(code, value, le);
      if (r.chance(0.15)) set16(o, 2, r.pick(INTERESTING16), le); // an option length that lies
      const body = unit.bytes.subarray(8, unit.bytes.length - 4);
      const nb = new Uint8Array(body.length + o.length);
      nb.set(body);
      nb.set(o, body.length);
      units[u] = { ...unit, bytes: makeBlock(get32(unit.bytes, 0, le), nb, le) };
      return;
    }
    case 5: // drop, duplicate or swap blocks (the SHB may move too)
      listOp(r, units, r.chance(0.9) ? 1 : 0);
      return;
    case 6: {
      // insert a block: random type and body, or a copy from another seed
      const other = r.pick(seeds);
      const blk =
        other.format === "pcapng" && other.le === le && r.chance(0.5)
          ? r.pick(other.units).bytes
          : makeBlock(r.pick([1, 2, 3, 4, 5, 6, 10, 0xbad, r.int(64)]), Uint8Array.from({ length: r.int(64) }, () => r.int(256)), le);
      units.splice(1 + r.int(units.length), 0, { kind: "block", type: get32(blk, 0, le), bytes: blk });
      return;
    }
    case 7: // the section's byte-order magic or version
      if (unit.type === 0x0a0d0d0a) {
        if (r.chance(0.5)) set32(b, 8, r.pick([0x1a2b3c4d, 0x4d3c2b1a, 0]), true);
        else set16(b, 12, r.pick([0, 1, 2, 0xffff]), le);
      }
      break;
    default:
      b[r.int(b.length)] = r.int(256);
  }
  units[u] = { ...unit, bytes: b };
}

/** Case `index` of run `seed`: the mutated file's bytes and what was done (for the report). */
export function makeCase(seeds, seed, index) {
  const r = rng(caseSeed(seed, index));
  const s = seeds[r.int(seeds.length)];
  const units = s.units.slice();
  const ops = [];
  const n = 1 + r.int(r.chance(0.2) ? 12 : 4);
  for (let k = 0; k < n; k++) {
    const what = r.next();
    if (what < 0.7) {
      // payload mutations: one packet, or (a third of the time) a spray over several
      const ps = units.map((u, i) => [u, i]).filter(([u]) => u.payloadLen > 0);
      if (!ps.length) continue;
      for (let k = r.chance(0.33) ? 2 + r.int(8) : 1; k > 0; k--) {
        const [, i] = r.pick(ps);
        units[i] = payloadMutation(r, units[i], s.format, s.le, seeds);
      }
      ops.push("payload");
    } else if (what < 0.96) {
      if (s.format === "pcap") pcapStructural(r, units, s.le);
      else pcapngStructural(r, units, s.le, seeds);
      ops.push("structure");
    } else ops.push("truncate");
  }
  if (r.chance(0.15)) {
    // the same bytes under another link type: every dissector gets packets it was not written for
    const lt = r.pick(LINKTYPES);
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      if (u.kind === "fhdr" || (u.kind === "block" && get32(u.bytes, 0, s.le) === 1 && u.bytes.length >= 16)) {
        const b = u.bytes.slice();
        if (u.kind === "fhdr") set32(b, 20, lt, s.le);
        else set16(b, 8, lt, s.le);
        units[i] = { ...u, bytes: b };
      }
    }
    ops.push("relink");
  }
  let total = 0;
  for (const u of units) total += u.bytes.length;
  let bytes = new Uint8Array(total);
  let p = 0;
  for (const u of units) {
    bytes.set(u.bytes, p);
    p += u.bytes.length;
  }
  if (ops.includes("truncate")) bytes = bytes.slice(0, r.int(bytes.length + 1));
  return { bytes, seed: s.name, format: s.format, ops };
}

// ---------------------------------------------------------------------------------------------------------
// Checks: one case read and printed in every output mode, in-process

/** The output modes: what the CLI's flags make of PrintOptions (see src/cli/args.ts). */
export const MODES = [
  { name: "-nn", o: {} },
  { name: "-q", o: { quiet: true } },
  { name: "-v", o: { verbose: 1 } },
  { name: "-vvv -e", o: { verbose: 3, linkHeader: true } },
  { name: "-x", o: { hex: 1 } },
  { name: "-XX -vv", o: { hexAscii: 2, verbose: 2 } },
  { name: "-A", o: { ascii: true } },
  { name: "-tttt -v", o: { timeFormat: "date", verbose: 1 }, ts: /^-?\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6,} / },
  { name: "-ttt", o: { timeFormat: "delta" }, ts: /^ *-?\d+:\d\d:\d\d\.\d{6,} / },
  { name: "-V", o: { detail: true } },
  { name: "-V -X", o: { detail: true, hexAscii: 1 } },
  { name: "-T json", o: { format: "json" } },
  { name: "-T fields", o: { format: "fields", fields: ["frame.number", "frame.len", "eth.src", "ip.src", "ip.dst", "ipv6.src", "tcp.srcport", "udp.dstport", "dns.qry.name", "http.host", "http.request.uri", "tls.handshake.extensions_server_name"] } },
];

const BASE = { timeFormat: "default", nano: false, verbose: 0, quiet: false, linkHeader: false, hex: 0, hexAscii: 0, ascii: false, detail: false, format: "text", fields: [] };

/** Raw control characters in output text: C0 but newline and tab, DEL, C1, and the Unicode separators/overrides. */
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
/** The start of a packet's line in the default time format. */
const TS_LINE = /^\d\d:\d\d:\d\d\.\d{6,} /;

/**
 * The index of the first line after a packet's first that starts unindented, or -1. Continuation lines
 * (-v details, dumps) start with a tab or a space; the only dissector-made unindented line is the inner
 * packet after a VXLAN header ("... vni N" / "... instance N", as tcpdump prints it). Anything else is text
 * from the packet that broke the line.
 */
function unindented(text) {
  const lines = text.split("\n");
  for (let k = 1; k < lines.length; k++) {
    const l = lines[k];
    if (l === "" && k === lines.length - 1) break;
    if (l[0] === "\t" || l[0] === " ") continue;
    if (/(?:vni|instance) \d+$/.test(lines[k - 1])) continue;
    return k;
  }
  return -1;
}

/** The fields of `wanted` the library knows (a field renamed elsewhere must not stop the fuzzer), found once. */
let fieldsCache = null;
function knownFields(lib, wanted, info) {
  if (fieldsCache) return fieldsCache;
  const ok = [];
  for (const f of wanted) {
    try {
      lib.createPrinter({ ...BASE, format: "fields", fields: [f] }, info);
      ok.push(f);
    } catch {
      /* unknown here: left out */
    }
  }
  fieldsCache = ok.length ? ok : ["frame.number"];
  return fieldsCache;
}

export class CheckFailure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/**
 * Reads `file` with FileSource and prints every packet in every mode through createPrinter (and the byte
 * paths the CLI uses: writeLine, json bytes). Throws CheckFailure for a broken promise (an exception, a
 * dissector that threw and was caught by the engine, text that breaks the rules); returns a summary.
 * `lib`: { FileSource, FileDamage, createPrinter, Line }.
 */
export async function checkFile(lib, file, opts = {}) {
  const maxPackets = opts.maxPackets ?? 200;
  const memLimit = opts.memLimit ?? 1536 * 1024 * 1024;
  let src;
  try {
    src = await lib.FileSource.open(file, { batchSize: 64 });
  } catch (e) {
    // A file refused at open must say why in one line, with a code the CLI maps to a clean exit.
    if (e && e.code && typeof e.message === "string" && !e.message.includes("\n")) return { packets: 0, refused: true };
    throw new CheckFailure("exception", `open: ${e && e.stack ? e.stack : e}`);
  }
  const printers = [];
  for (const m of MODES) {
    const o = { ...BASE, ...m.o };
    if (o.format === "fields") o.fields = knownFields(lib, o.fields, src.info);
    try {
      printers.push({ m, o, p: lib.createPrinter(o, src.info) });
    } catch (e) {
      // Not the input's doing (the printers do not read it): the run stops instead of keeping every case.
      src.stop();
      await src.run(() => 0).catch(() => {});
      throw new CheckFailure("setup", `createPrinter ${m.name}: ${e && e.stack ? e.stack : e}`);
    }
  }
  const line = new lib.Line();
  const dec = new TextDecoder();
  let frame = 0;
  let failure = null;
  const checkText = (m, s, what) => {
    if (RAW_CONTROL.test(s)) {
      const k = s.search(RAW_CONTROL);
      throw new CheckFailure("control", `${m.name} ${what}: raw control U+${s.charCodeAt(k).toString(16).padStart(4, "0")} in ${JSON.stringify(s.slice(Math.max(0, k - 40), k + 20))}`);
    }
  };
  const onPacket = (b, i) => {
    frame++;
    for (const { m, o, p } of printers) {
      let s;
      try {
        s = p(b, i, frame);
      } catch (e) {
        throw new CheckFailure("exception", `${m.name}, frame ${frame}: ${e && e.stack ? e.stack : e}`);
      }
      // A dissector that threw: the engine caught it and shows the rest as data, but it is a bug to report.
      if (p.ctx && p.ctx.bug) throw new CheckFailure("dissector-bug", `${m.name}, frame ${frame}: dissector bug in '${p.ctx.bug}'`);
      if (o.format === "json") {
        if (s.includes("\n") && s.indexOf("\n") !== s.length - 1) throw new CheckFailure("output", `${m.name}, frame ${frame}: a JSON record spans lines`);
        try {
          JSON.parse(s);
        } catch (e) {
          throw new CheckFailure("output", `${m.name}, frame ${frame}: not JSON (${e.message}): ${s.slice(0, 200)}`);
        }
        checkText(m, s, `frame ${frame}`);
        if (p.bytes) {
          const bs = p.bytes(b, i, frame);
          if (bs) {
            const t = dec.decode(bs);
            try {
              JSON.parse(t);
            } catch (e) {
              throw new CheckFailure("output", `${m.name} bytes, frame ${frame}: not JSON (${e.message})`);
            }
          }
        }
        continue;
      }
      checkText(m, s, `frame ${frame}`);
      if (o.format === "fields") {
        if (s.split("\n").length !== 2) throw new CheckFailure("output", `${m.name}, frame ${frame}: ${s.split("\n").length - 1} lines for one packet`);
        continue;
      }
      if (o.detail) {
        if (s.split("\n").some((l) => TS_LINE.test(l))) throw new CheckFailure("output", `${m.name}, frame ${frame}: a tree line looks like a packet's line`);
        continue;
      }
      // A record whose header is impossible is tcpdump's one line, no time, nothing of the packet's bytes.
      if (/^( *\d+ {2})?\[Invalid header: [a-z0-9=<>(), ]+\]\n$/.test(s)) continue;
      // One-line modes: exactly one line that starts like a packet's (the -A body is the payload's own text).
      const body = o.ascii ? s.slice(0, s.indexOf("\n") + 1) : s;
      const tsLine = m.ts ?? TS_LINE;
      const starts = body.split("\n").filter((l) => tsLine.test(l)).length;
      if (starts !== 1) throw new CheckFailure("output", `${m.name}, frame ${frame}: ${starts} lines start like a packet's: ${JSON.stringify(s.slice(0, 300))}`);
      const bad = unindented(body);
      if (bad >= 0) throw new CheckFailure("output", `${m.name}, frame ${frame}: line ${bad + 1} of the packet's text starts unindented: ${JSON.stringify(s.slice(0, 300))}`);
      if (p.writeLine) {
        line.reset();
        try {
          p.writeLine(b, i, frame, line);
        } catch (e) {
          throw new CheckFailure("exception", `${m.name} writeLine, frame ${frame}: ${e && e.stack ? e.stack : e}`);
        }
        const t = dec.decode(line.view());
        checkText(m, t, `writeLine frame ${frame}`);
        if (!o.ascii && t.split("\n").filter((l) => tsLine.test(l)).length !== 1) throw new CheckFailure("output", `${m.name} writeLine, frame ${frame}: not one packet line`);
      }
    }
  };
  let end;
  try {
    end = await src.run((b) => {
      try {
        for (let i = 0; i < b.count && frame < maxPackets; i++) onPacket(b, i);
      } catch (e) {
        failure = e;
        return 0;
      }
      if (process.memoryUsage.rss() > memLimit) {
        failure = new CheckFailure("memory", `RSS ${Math.round(process.memoryUsage.rss() / 1048576)} MB after frame ${frame}`);
        return 0;
      }
      return frame < maxPackets ? Infinity : 0;
    });
  } catch (e) {
    throw new CheckFailure("exception", `run: ${e && e.stack ? e.stack : e}`);
  }
  if (failure) throw failure instanceof CheckFailure ? failure : new CheckFailure("exception", String(failure && failure.stack ? failure.stack : failure));
  if (end.reason === "error") {
    const e = end.error;
    if (!(e instanceof lib.FileDamage)) throw new CheckFailure("exception", `run ended with a non-damage error: ${e && e.stack ? e.stack : e}`);
    if (e.message.includes("\n")) throw new CheckFailure("output", `a damage message spans lines: ${JSON.stringify(e.message)}`);
    checkText({ name: "damage" }, e.message, "message");
  }
  return { packets: frame, end: end.reason };
}
