/**
 * pcap files: reading (byte orders, precisions), writing (read back identically by tcpdump, tshark, capinfos),
 * filtering files with libpcap's verdicts, and damage: truncated and corrupt files keep every good packet.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CORPUS, has, sh, tsniff } from "../helpers/run.js";
import { FileSource } from "../../src/capture/file-source.js";
import { makePcapHeader } from "../../src/capture/pcap-format.js";
import { epb, idb, shb } from "../../src/capture/pcapng-writer-format.js";

/** Record sizes from a seeded generator: mostly small, some up to `max`, so records straddle every chunk end. */
function sizes(count: number, max: number, seed: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const r = (seed >>> 0) / 2 ** 32;
    out.push(r < 0.7 ? 60 + Math.floor(r * 1400) : Math.max(60, Math.floor(((r - 0.7) / 0.3) * max)));
  }
  return out;
}
/** Packet i's bytes: its index, then a pattern from it (any misplaced byte shows). */
function packetBytes(i: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  new DataView(b.buffer).setUint32(0, i);
  for (let k = 4; k < n; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}
/** Reads a file with FileSource: per packet its bytes (copied) and where they are in the file. */
async function readAll(file: string): Promise<{ data: Uint8Array[]; at: number[] }> {
  const src = await FileSource.open(file);
  const data: Uint8Array[] = [];
  const at: number[] = [];
  const end = await src.run((b) => {
    for (let i = 0; i < b.count; i++) {
      data.push(b.data.slice(b.offset[i], b.offset[i] + b.caplen[i]));
      at.push(src.batchFileOffset + b.offset[i]);
    }
    return Infinity;
  });
  expect(end.reason).toBe("eof");
  return { data, at };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-files-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const corpusFiles = fs.existsSync(CORPUS) ? fs.readdirSync(CORPUS).filter((f) => f.endsWith(".pcap")) : [];
/** Classic pcap corpus files whose records tcpdump reads to the end without a file error. */
function cleanPcaps(limit: number): string[] {
  const out: string[] = [];
  for (const f of corpusFiles) {
    const p = path.join(CORPUS, f);
    const head = fs.readFileSync(p).subarray(0, 4).toString("hex");
    if (!["d4c3b2a1", "a1b2c3d4", "4d3cb2a1", "a1b23c4d"].includes(head)) continue;
    out.push(p);
    if (out.length >= limit) break;
  }
  return out;
}

function magicOf(file: string): string {
  return fs.readFileSync(file).subarray(0, 4).toString("hex");
}

describe("reading pcap files", { timeout: 300_000 }, () => {
  it("reads big-endian, little-endian, microsecond and nanosecond files like tcpdump", () => {
    const all = cleanPcaps(10_000);
    const kinds = new Map<string, string>();
    for (const f of all) if (!kinds.has(magicOf(f))) kinds.set(magicOf(f), f);
    expect(kinds.size).toBeGreaterThanOrEqual(2);
    for (const [magic, f] of kinds) {
      const ours = tsniff(["-nn", "-tt", "-r", f]);
      const theirs = sh("tcpdump", ["-nn", "-tt", "-r", f]);
      // Times, counts and the file-level outcome agree; protocol text is compared in the dissector tests.
      const times = (b: Buffer) =>
        b
          .toString()
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split(" ")[0]);
      expect(times(ours.stdout), `${magic} ${f}`).toEqual(times(theirs.stdout));
    }
  });

  it("a nanosecond file made by editcap reads with 9-digit times equal to tcpdump's", () => {
    if (!has("editcap")) return;
    const src = cleanPcaps(1)[0];
    const ns = path.join(dir, "nano.pcap");
    expect(sh("editcap", ["-F", "nsecpcap", src, ns]).status).toBe(0);
    expect(magicOf(ns)).toBe("4d3cb2a1");
    const ours = tsniff(["--time-stamp-precision=nano", "-nn", "-tt", "-r", ns]).stdout.toString();
    const theirs = sh("tcpdump", ["--time-stamp-precision=nano", "-nn", "-tt", "-r", ns]).stdout.toString();
    const first = (s: string) => s.split("\n").filter(Boolean).map((l) => l.split(" ")[0]);
    expect(first(ours)).toEqual(first(theirs));
    expect(first(ours)[0]).toMatch(/^\d+\.\d{9}$/);
  });
});

describe("reading in chunks (the next chunk is read while this one is parsed)", { timeout: 300_000 }, () => {
  it("pcap: records cut at chunk ends arrive whole, in order, at their file offsets; capinfos counts the same", async () => {
    const lens = sizes(3000, 262144, 12345); // about 60 MB: records cross a dozen chunk ends
    const parts: Uint8Array[] = [makePcapHeader(1, 262144, false)];
    const offsets: number[] = [];
    let pos = 24;
    lens.forEach((n, i) => {
      const h = new Uint8Array(16);
      const dv = new DataView(h.buffer);
      dv.setUint32(0, 1000 + i, true);
      dv.setUint32(8, n, true);
      dv.setUint32(12, n, true);
      parts.push(h, packetBytes(i, n));
      offsets.push(pos + 16);
      pos += 16 + n;
    });
    const file = path.join(dir, "chunks.pcap");
    fs.writeFileSync(file, Buffer.concat(parts));
    const { data, at } = await readAll(file);
    expect(data.length).toBe(lens.length);
    const whole = fs.readFileSync(file);
    for (let i = 0; i < lens.length; i++) {
      expect(Buffer.from(data[i]).equals(Buffer.from(packetBytes(i, lens[i]))), `packet ${i}`).toBe(true);
      expect(at[i], `packet ${i}`).toBe(offsets[i]);
    }
    expect(Buffer.from(whole.subarray(at[17], at[17] + lens[17])).equals(Buffer.from(data[17]))).toBe(true);
    if (has("capinfos")) expect(Number(sh("capinfos", ["-M", "-c", "-T", "-r", file]).stdout.toString().trim().split("\t").pop())).toBe(lens.length);
  });

  it("pcapng: blocks bigger than the room kept for a cut record (1 MB) arrive whole", async () => {
    const lens = [100, 3 << 20, 200, 5 << 20, 64, 1 << 20, 2500000, 70, 4 << 20, 60];
    // D-Bus (231): the link type whose packets libpcap (and so tsniff) reads up to 128 MiB.
    const parts: Uint8Array[] = [shb(), idb(231, 0)];
    lens.forEach((n, i) => parts.push(epb(0, false, 1000 + i, 0, n, n, packetBytes(i, n))));
    const file = path.join(dir, "big-blocks.pcapng");
    fs.writeFileSync(file, Buffer.concat(parts));
    const { data } = await readAll(file);
    expect(data.map((d) => d.length)).toEqual(lens);
    for (let i = 0; i < lens.length; i++) expect(Buffer.from(data[i]).equals(Buffer.from(packetBytes(i, lens[i]))), `packet ${i}`).toBe(true);
  });
});

describe("writing pcap files", { timeout: 300_000 }, () => {
  it("-r F -w G writes exactly the file tcpdump writes, and tshark/capinfos read it", () => {
    for (const f of cleanPcaps(25)) {
      const a = path.join(dir, "a.pcap"),
        b = path.join(dir, "b.pcap");
      const r = tsniff(["-r", f, "-w", a]);
      expect(r.status, r.stderr.toString()).toBe(0);
      sh("tcpdump", ["-r", f, "-w", b]);
      // Same records; the header may differ only where tcpdump copies the input's snaplen and link-type fields.
      const x = fs.readFileSync(a),
        y = fs.readFileSync(b);
      expect(x.subarray(24).equals(y.subarray(24)), f).toBe(true);
      expect(x.readUInt32LE(20)).toBe(y.readUInt32LE(20));
    }
  });

  it("files written by tsniff read back identically in tshark and capinfos", () => {
    if (!has("tshark")) return;
    const f = cleanPcaps(5)[4] ?? cleanPcaps(1)[0];
    const out = path.join(dir, "rt.pcap");
    expect(tsniff(["-r", f, "-w", out]).status).toBe(0);
    const fieldsOf = (file: string) => sh("tshark", ["-r", file, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.protocols"]).stdout.toString();
    expect(fieldsOf(out)).toBe(fieldsOf(f));
    const ci = sh("capinfos", ["-c", "-M", out]);
    expect(ci.status).toBe(0);
  });

  it("-r F -w G EXPR keeps exactly the packets libpcap's filter keeps (tcpdump's output)", () => {
    // One file per link type (the filter is compiled for each file's link type), several filters each.
    const filters = ["tcp", "udp port 53", "ip6", "arp or icmp", "ip[8] < 64", "greater 200", "vlan", "not ip"];
    const byType = new Map<number, string>();
    for (const f of cleanPcaps(10_000)) {
      const b = fs.readFileSync(f).subarray(0, 24);
      const lt = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d ? b.readUInt32LE(20) : b.readUInt32BE(20);
      if (!byType.has(lt) && fs.statSync(f).size > 1000) byType.set(lt, f);
    }
    const files = [...byType.values()].slice(0, 10);
    expect(files.length).toBeGreaterThanOrEqual(8);
    let compared = 0;
    for (const f of files) {
      for (const flt of filters) {
        const a = path.join(dir, "fa.pcap"),
          b = path.join(dir, "fb.pcap");
        const td = sh("tcpdump", ["-r", f, "-w", b, flt]);
        const ts = tsniff(["-r", f, "-w", a, flt]);
        if (td.status !== 0) {
          // libpcap refuses this filter for this link type: so must we, with the same words.
          expect(ts.status, `${f} ${flt}`).toBe(1);
          const msg = td.stderr.toString().trim().split("\n").pop()!.replace(/^tcpdump: /, "");
          expect(ts.stderr.toString()).toContain(msg);
          continue;
        }
        expect(ts.status, `${f} ${flt}: ${ts.stderr}`).toBe(0);
        expect(fs.readFileSync(a).subarray(24).equals(fs.readFileSync(b).subarray(24)), `${f} ${flt}`).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(30);
  }, 300_000);

  it("--time-stamp-precision=nano writes a nanosecond file from a nanosecond source", () => {
    if (!has("editcap")) return;
    const ns = path.join(dir, "nano2.pcap"),
      out = path.join(dir, "nano-out.pcap");
    sh("editcap", ["-F", "nsecpcap", cleanPcaps(1)[0], ns]);
    expect(tsniff(["-r", ns, "-w", out]).status).toBe(0);
    expect(magicOf(out)).toBe("4d3cb2a1");
    expect(fs.readFileSync(out).subarray(24).equals(fs.readFileSync(ns).subarray(24))).toBe(true);
  });

  it("an unwritable -w path is one clear line and exit 1", () => {
    const r = tsniff(["-r", cleanPcaps(1)[0], "-w", "/nonexistent-dir/x.pcap"]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/^tsniff: \/nonexistent-dir\/x\.pcap: No such file or directory$/m);
    expect(r.stderr.toString()).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("a full disk stops writing, says so, and leaves a valid file", () => {
    if (process.getuid?.() !== 0) return;
    const mnt = path.join(dir, "small");
    fs.mkdirSync(mnt);
    if (sh("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt]).status !== 0) return;
    try {
      // Input bigger than the disk: the biggest corpus pcap, repeated via several reads if needed.
      const big = cleanPcaps(10_000).sort((x, y) => fs.statSync(y).size - fs.statSync(x).size)[0];
      expect(fs.statSync(big).size).toBeGreaterThan(300_000);
      const out = path.join(mnt, "full.pcap");
      const r = tsniff(["-r", big, "-w", out]);
      expect(r.status).toBe(1);
      const err = r.stderr.toString();
      expect(err).toMatch(/No space left on device/);
      expect(err).not.toMatch(/\bat .*\.js:\d+/);
      const td = sh("tcpdump", ["-r", out]);
      expect(td.status, td.stderr.toString()).toBe(0); // every record whole
      const n = td.stdout.toString().trim().split("\n").length;
      expect(n).toBeGreaterThan(0);
      expect(err).toContain(`the ${n} packets before are saved`);
    } finally {
      sh("umount", [mnt]);
    }
  });
});

describe("damaged files", () => {
  it("a truncated file keeps every good packet and reports the byte offset, exit 1", async () => {
    const src = cleanPcaps(30).find((f) => fs.statSync(f).size > 2000)!;
    const data = fs.readFileSync(src);
    for (const cut of [Math.floor(data.length / 2) + 3, data.length - 5, 30]) {
      const f = path.join(dir, `trunc-${cut}.pcap`);
      fs.writeFileSync(f, data.subarray(0, cut));
      const r = tsniff(["-nn", "-r", f]);
      expect(r.status).toBe(1);
      const err = r.stderr.toString().trim().split("\n");
      expect(err.length).toBe(2); // "reading from file ..." then the damage
      expect(err[1]).toMatch(/^tsniff: .*truncated.*byte offset \d+/);
      // tcpdump prints the same good packets before it stops.
      const td = sh("tcpdump", ["-nn", "-r", f]);
      const ours = r.stdout.toString().split("\n").filter(Boolean).length;
      const theirs = td.stdout.toString().split("\n").filter(Boolean).length;
      expect(ours).toBe(theirs);
      const off = Number(/byte offset (\d+)/.exec(err[1])![1]);
      expect(off).toBeLessThanOrEqual(cut);
      expect(off).toBeGreaterThanOrEqual(24);
      // -w keeps them too, in a valid file.
      const w = path.join(dir, `trunc-out-${cut}.pcap`);
      expect(tsniff(["-r", f, "-w", w]).status).toBe(1);
      const back = sh("tcpdump", ["-nn", "-r", w]);
      expect(back.status).toBe(0);
      expect(back.stdout.toString().split("\n").filter(Boolean).length).toBe(theirs);
    }
  });

  it("a record with an impossible length is damage at its offset; packets before it are kept", () => {
    const src = cleanPcaps(30).find((f) => fs.statSync(f).size > 2000)!;
    const data = Buffer.from(fs.readFileSync(src));
    const le = data.readUInt32LE(0) === 0xa1b2c3d4 || data.readUInt32LE(0) === 0xa1b23c4d;
    // Find the 3rd record and give it a captured length of 1 GB.
    let off = 24;
    for (let i = 0; i < 2; i++) off += 16 + (le ? data.readUInt32LE(off + 8) : data.readUInt32BE(off + 8));
    if (le) data.writeUInt32LE(0x40000000, off + 8);
    else data.writeUInt32BE(0x40000000, off + 8);
    const f = path.join(dir, "corrupt.pcap");
    fs.writeFileSync(f, data);
    const r = tsniff(["-nn", "-r", f]);
    expect(r.status).toBe(1);
    expect(r.stdout.toString().split("\n").filter(Boolean).length).toBe(2);
    expect(r.stderr.toString()).toContain(`byte offset ${off}`);
  });

  it("a file that is not a capture, a missing file, an empty file: one line, exit 1", () => {
    const txt = path.join(dir, "notes.txt");
    fs.writeFileSync(txt, "this is not a capture file at all\n");
    const empty = path.join(dir, "empty.pcap");
    fs.writeFileSync(empty, "");
    for (const [f, re] of [
      [txt, /unknown file format/],
      [path.join(dir, "missing.pcap"), /No such file or directory/],
      [empty, /empty file/],
    ] as const) {
      const r = tsniff(["-r", f]);
      expect(r.status).toBe(1);
      const err = r.stderr.toString().trim();
      expect(err.split("\n").length).toBe(1);
      expect(err).toMatch(re);
    }
  });

  it("reading from stdin (-r -) gives what reading the file gives", () => {
    const f = cleanPcaps(3)[2];
    const a = tsniff(["-nn", "-r", f]).stdout.toString();
    const b = tsniff(["-nn", "-r", "-"], { input: fs.readFileSync(f) }).stdout.toString();
    expect(b).toBe(a);
    expect(a.length).toBeGreaterThan(0);
  });

  it("FileSource reports damage as data, not an exception", async () => {
    const f = path.join(dir, "tr.pcap");
    const data = fs.readFileSync(cleanPcaps(1)[0]);
    fs.writeFileSync(f, data.subarray(0, data.length - 3));
    const s = await FileSource.open(f);
    let n = 0;
    const end = await s.run((b) => {
      n += b.count;
      return Infinity;
    });
    expect(end.reason).toBe("error");
    expect(n).toBeGreaterThanOrEqual(0);
  });
});
