/**
 * Writing beyond one pcap file: pcapng (-w x.pcapng, --pcapng), rotation (-C, -G, -W) compared with what
 * tcpdump writes for the same input, the flight recorder (--ring-seconds, --trigger, --after) over files,
 * -Z (files created as the user), and faults (a full disk in pcapng, a vanished output directory).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CORPUS, has, sh, tsniff } from "../helpers/run.js";
import { FileSource } from "../../src/capture/file-source.js";
import { createBatch } from "../../src/capture/batch.js";
import { RotatingWriter, makeFilename, strftime, wflagChars, type CaptureWriter } from "../../src/capture/rotating-writer.js";

let dir: string;
const tools = has("tcpdump") && has("tshark") && has("capinfos") && has("mergecap");
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-writers-"));
  fs.chmodSync(dir, 0o777);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Pkt {
  sec: number;
  nsec: number;
  caplen: number;
  wirelen: number;
  iface: number;
  linktype: number;
  hex: string;
}
async function readAll(file: string): Promise<{ pkts: Pkt[]; reason: string }> {
  const src = await FileSource.open(file);
  const pkts: Pkt[] = [];
  const end = await src.run((b) => {
    for (let i = 0; i < b.count; i++) {
      pkts.push({
        sec: b.tsSec[i],
        nsec: b.tsNsec[i],
        caplen: b.caplen[i],
        wirelen: b.wirelen[i],
        iface: b.iface[i],
        linktype: b.linktype[i],
        hex: Buffer.from(b.data.subarray(b.offset[i], b.offset[i] + b.caplen[i])).toString("hex"),
      });
    }
    return Infinity;
  });
  return { pkts, reason: end.reason };
}

const f = (name: string) => path.join(dir, name);
const lines = (b: Buffer) => b.toString().split("\n").filter(Boolean);
const ok = (r: ReturnType<typeof tsniff>) => expect(r.status, r.stderr.toString()).toBe(0);

/** A pcap of a little over `mb` million bytes: corpus files concatenated (mergecap -a). */
function bigPcap(name: string, copies: number): string {
  const out = f(name);
  if (fs.existsSync(out)) return out;
  const parts = ["afs.pcap", "pim-packet-assortment.pcap", "huge-tipc-messages.pcap", "arp-oobr.pcap"].map((x) => path.join(CORPUS, x));
  const all: string[] = [];
  for (let i = 0; i < copies; i++) all.push(...parts);
  const r = sh("mergecap", ["-a", "-F", "pcap", "-w", out, ...all]);
  expect(r.status, r.stderr.toString()).toBe(0);
  return out;
}

const dd = tools ? describe : describe.skip;

dd("pcapng writing", () => {
  it("-w x.pcapng: tshark and capinfos read it; tsniff reads it back identically; pcapng -> pcap is the original", async () => {
    for (const name of ["afs.pcap", "tcp-handshake-nano.pcap", "isup.pcap"]) {
      const src = path.join(CORPUS, name);
      const ng = f(`${name}.pcapng`);
      ok(tsniff(["-r", src, "-w", ng]));
      expect(fs.readFileSync(ng).subarray(0, 4).toString("hex")).toBe("0a0d0d0a");
      const a = await readAll(src);
      const b = await readAll(ng);
      expect(b.reason).toBe("eof");
      expect(b.pkts).toEqual(a.pkts);
      const ci = sh("capinfos", ["-c", ng]);
      expect(ci.status, ci.stderr.toString()).toBe(0);
      expect(ci.stdout.toString()).toMatch(new RegExp(`Number of packets:\\s+${a.pkts.length}\\b`));
      const ts = (file: string) => lines(sh("tshark", ["-r", file, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len"]).stdout);
      expect(ts(ng)).toEqual(ts(src));
      // Printing the pcapng equals printing the original.
      expect(tsniff(["-nn", "-tt", "-r", ng]).stdout.toString()).toBe(tsniff(["-nn", "-tt", "-r", src]).stdout.toString());
      // And back: -r x.pcapng -w y.pcap is the file -r x.pcap -w z.pcap gives.
      const y = f(`${name}.back.pcap`),
        z = f(`${name}.direct.pcap`);
      ok(tsniff(["-r", ng, "-w", y]));
      ok(tsniff(["-r", src, "-w", z]));
      expect(fs.readFileSync(y).equals(fs.readFileSync(z)), name).toBe(true);
    }
  }, 180_000); // 18 runs of tsniff, tshark and capinfos: slow on a loaded machine

  it("--pcapng writes pcapng whatever the name, also to stdout", () => {
    const src = path.join(CORPUS, "isup.pcap");
    const r = tsniff(["-r", src, "--pcapng", "-w", "-"]);
    ok(r);
    expect(r.stdout.subarray(0, 4).toString("hex")).toBe("0a0d0d0a");
    const back = tsniff(["-nn", "-r", "-"], { input: r.stdout });
    expect(back.stdout.toString()).toBe(tsniff(["-nn", "-r", src]).stdout.toString());
    ok(tsniff(["-r", src, "--pcapng", "-w", f("named.pcap")]));
    expect(fs.readFileSync(f("named.pcap")).subarray(0, 4).toString("hex")).toBe("0a0d0d0a");
  });

  it("a pcapng with several interfaces (link types) keeps them: one IDB each, names kept", async () => {
    const merged = f("multi.pcapng");
    const m = sh("mergecap", ["-F", "pcapng", "-w", merged, path.join(CORPUS, "isup.pcap"), path.join(CORPUS, "tcp-handshake-nano.pcap")]);
    expect(m.status, m.stderr.toString()).toBe(0);
    const out = f("multi-out.pcapng");
    ok(tsniff(["-r", merged, "-w", out]));
    const a = await readAll(merged);
    const b = await readAll(out);
    expect(new Set(a.pkts.map((p) => p.linktype)).size).toBe(2);
    expect(b.pkts).toEqual(a.pkts);
    const fields = ["-T", "fields", "-e", "frame.interface_id", "-e", "frame.encap_type", "-e", "frame.time_epoch", "-e", "frame.interface_name"];
    expect(lines(sh("tshark", ["-r", out, ...fields]).stdout)).toEqual(lines(sh("tshark", ["-r", merged, ...fields]).stdout));
    expect(sh("capinfos", [out]).stdout.toString()).toMatch(/Number of interfaces in file: 2/);
  });

  it("a full disk cuts a pcapng file back to whole blocks and says how many packets are saved", () => {
    if (process.getuid?.() !== 0) return;
    const mnt = f("small");
    fs.mkdirSync(mnt);
    if (sh("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt]).status !== 0) return;
    try {
      const out = path.join(mnt, "full.pcapng");
      const r = tsniff(["-r", path.join(CORPUS, "afs.pcap"), "-w", out]);
      expect(r.status).toBe(1);
      const err = r.stderr.toString();
      expect(err).toMatch(/No space left on device; stopped, the \d+ packets before are saved/);
      const ci = sh("capinfos", ["-c", out]);
      expect(ci.status, ci.stderr.toString()).toBe(0);
      const n = Number(/Number of packets:\s+(\d+)/.exec(ci.stdout.toString())![1]);
      expect(n).toBeGreaterThan(0);
      expect(err).toContain(`the ${n} packets before are saved`);
    } finally {
      sh("umount", [mnt]);
    }
  });
});

dd("rotation (-C, -G, -W) as tcpdump", () => {
  /** Runs tcpdump and tsniff with the same rotation flags into two directories; returns the file names. */
  function both(input: string, flags: string[], base = "cap"): { td: string; ts: string; names: string[] } {
    const td = fs.mkdtempSync(path.join(dir, "td-"));
    const ts = fs.mkdtempSync(path.join(dir, "ts-"));
    // Debian's tcpdump drops to its own user before creating files: -Z root keeps it writing here.
    const t = sh("tcpdump", ["-Z", "root", "-r", input, ...flags, "-w", path.join(td, base)]);
    expect(t.status, t.stderr.toString()).toBe(0);
    ok(tsniff(["-r", input, ...flags, "-w", path.join(ts, base)]));
    const names = fs.readdirSync(td).sort();
    expect(fs.readdirSync(ts).sort()).toEqual(names);
    return { td, ts, names };
  }

  it("-C 1 makes the same files as tcpdump, byte for byte (cap, cap1, cap2, ...)", () => {
    const { td, ts, names } = both(bigPcap("big3.pcap", 3), ["-C", "1"]);
    expect(names).toEqual(["cap", "cap1", "cap2", "cap3"]);
    for (const n of names) expect(fs.readFileSync(path.join(ts, n)).equals(fs.readFileSync(path.join(td, n))), n).toBe(true);
  });

  it("-C 1 -W 2 is a ring of cap0 and cap1, equal to tcpdump's", () => {
    const { td, ts, names } = both(bigPcap("big3.pcap", 3), ["-C", "1", "-W", "2"]);
    expect(names).toEqual(["cap0", "cap1"]);
    for (const n of names) expect(fs.readFileSync(path.join(ts, n)).equals(fs.readFileSync(path.join(td, n))), n).toBe(true);
  });

  it("-C 1 -W 12 pads numbers to two digits as tcpdump does", () => {
    const { names } = both(bigPcap("big3.pcap", 3), ["-C", "1", "-W", "12"]);
    expect(names).toEqual(["cap00", "cap01", "cap02", "cap03"]);
  });

  it("a filter with rotation: same split as tcpdump", () => {
    const { td, ts, names } = both(bigPcap("big3.pcap", 3), ["-C", "1", "udp"]);
    expect(names.length).toBeGreaterThan(1);
    for (const n of names) expect(fs.readFileSync(path.join(ts, n)).equals(fs.readFileSync(path.join(td, n))), n).toBe(true);
  });

  it("-C with pcapng: every file valid on its own, every packet in exactly one file, in order", async () => {
    const input = bigPcap("big3.pcap", 3);
    const out = fs.mkdtempSync(path.join(dir, "ng-"));
    ok(tsniff(["-r", input, "-C", "1", "-w", path.join(out, "cap.pcapng")]));
    const names = fs.readdirSync(out).sort((a, b) => a.length - b.length || a.localeCompare(b));
    expect(names).toEqual(["cap.pcapng", "cap.pcapng1", "cap.pcapng2", "cap.pcapng3"]);
    const all: Pkt[] = [];
    for (const n of names) {
      const p = path.join(out, n);
      const ci = sh("capinfos", ["-c", p]);
      expect(ci.status, ci.stderr.toString()).toBe(0);
      const r = await readAll(p);
      expect(r.reason).toBe("eof");
      all.push(...r.pkts);
      // No file is much over the limit: at most one packet past 1,000,000 bytes.
      expect(fs.statSync(p).size).toBeLessThan(1_000_000 + 70_000);
    }
    expect(all).toEqual((await readAll(input)).pkts);
  });

  it("-G with -C and -W: tcpdump's names, counters and limits (clock under test control)", () => {
    const made: string[] = [];
    let clock = 1_700_000_000;
    const mk = (p: string): CaptureWriter => {
      made.push(p);
      let bytes = 24;
      return {
        path: p,
        packets: 0,
        savedPackets: 0,
        get bytes() {
          return bytes;
        },
        writePacket: () => void (bytes += 500_000),
        writeBatch: () => {},
        flush: () => {},
        close: () => {},
      };
    };
    const b = createBatch(1);
    b.count = 1;
    const w = new RotatingWriter({ base: "%Y%m%d-%H%M%S.pcap", seconds: 60, sizeLimit: 1_000_000, files: 3, format: "pcap", open: mk, now: () => clock });
    for (let i = 0; i < 4; i++) w.writePacket(b, 0); // 24 + 2 * 500000 > 1e6 after the second: a new file at the third
    clock += 60;
    w.writePacket(b, 0);
    expect(made).toEqual(["20231114-221320.pcap0", "20231114-221320.pcap1", "20231114-221420.pcap0"]);
    // -G with -W and no -C: stop after N files.
    made.length = 0;
    const g = new RotatingWriter({ base: "g-%s", seconds: 10, files: 2, format: "pcap", open: mk, now: () => clock });
    g.writePacket(b, 0);
    clock += 10;
    g.writePacket(b, 0);
    clock += 10;
    expect(() => g.writePacket(b, 0)).toThrow("Maximum file limit reached: 2");
    expect(made).toEqual([`g-${clock - 20}`, `g-${clock - 10}`]);
    expect(wflagChars(1)).toBe(0);
    expect(wflagChars(10)).toBe(1);
    expect(wflagChars(11)).toBe(2);
    expect(makeFilename("x", 0, 0)).toBe("x");
    expect(makeFilename("x", 3, 2)).toBe("x03");
    expect(strftime("%F %T %j %a %b %%", new Date(Date.UTC(2024, 1, 29, 7, 8, 9)))).toBe("2024-02-29 07:08:09 060 Thu Feb %");
  });

  it("-G 1 on a real run makes strftime-named files; -G needs -w; -W needs -C or -G", () => {
    const out = fs.mkdtempSync(path.join(dir, "g-"));
    ok(tsniff(["-r", bigPcap("big3.pcap", 3), "-G", "1", "-w", path.join(out, "t-%Y.pcap")]));
    expect(fs.readdirSync(out)).toEqual([`t-${new Date().getFullYear()}.pcap`]);
    for (const args of [["-G", "1"], ["-C", "1"], ["-W", "2", "-w", "x"]]) {
      const r = tsniff(["-r", path.join(CORPUS, "isup.pcap"), ...args]);
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toMatch(/^tsniff: -(C and -G need -w FILE|W needs -C or -G)$/m);
    }
  });

  it("the output directory removed mid-run: the next file cannot be made, said clearly; finished files stay valid", () => {
    // Reading from a fifo-fed stdin lets the directory go between two files.
    const out = fs.mkdtempSync(path.join(dir, "gone-"));
    const input = fs.readFileSync(bigPcap("big3.pcap", 3));
    const script = `
      const { spawn } = require("child_process"); const fs = require("fs");
      const p = spawn(process.execPath, [${JSON.stringify(path.resolve("bin/tsniff"))}, "-r", "-", "-C", "1", "-w", ${JSON.stringify(path.join(out, "cap"))}], { stdio: ["pipe", "inherit", "inherit"] });
      p.stdin.on("error", () => {});
      const data = fs.readFileSync(0);
      p.stdin.write(data.subarray(0, 1_200_000));
      const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(path.join(out, "cap1"))})) { clearInterval(t);
        fs.renameSync(${JSON.stringify(out)}, ${JSON.stringify(out + ".moved")});
        p.stdin.end(data.subarray(1_200_000)); } }, 20);
      p.on("exit", (c) => process.exit(c));`;
    const r = sh(process.execPath, ["-e", script], input);
    expect(r.status).toBe(1);
    const err = r.stderr.toString();
    expect(err).toMatch(/^tsniff: .*\/cap2: No such file or directory; stopped, and the \d+ packets before were written to files that are no longer there: .* was removed or moved$/m);
    for (const n of ["cap", "cap1"]) {
      const ci = sh("capinfos", ["-c", path.join(out + ".moved", n)]);
      expect(ci.status, ci.stderr.toString()).toBe(0);
    }
  });
});

dd("flight recorder", () => {
  it("--trigger saves the window before and --after seconds after, with the reason as comments", async () => {
    const input = path.join(CORPUS, "afs.pcap"); // in strict time order
    const { pkts } = await readAll(input);
    const k = 299; // frame 300
    const t = pkts[k].sec + pkts[k].nsec / 1e9;
    const base = f("rec.pcapng");
    const r = tsniff(["-r", input, "--ring-seconds", "5", "--after", "2", "--trigger", "frame.number == 300", "-w", base]);
    ok(r);
    expect(r.stderr.toString()).toMatch(/flight recorder: saved \d+ packets to .*rec-1\.pcapng \(trigger: frame\.number == 300 \(frame 300\)\)/);
    const saved = await readAll(f("rec-1.pcapng"));
    const expected = pkts.filter((p, i) => {
      const ts = p.sec + p.nsec / 1e9;
      return i <= k ? ts >= t - 5 : ts <= t + 2;
    });
    expect(saved.pkts).toEqual(expected);
    const ci = sh("capinfos", [f("rec-1.pcapng")]).stdout.toString();
    expect(ci).toMatch(/Capture comment:\s+tsniff flight recorder: trigger: frame\.number == 300 \(frame 300\)/);
    const c = lines(sh("tshark", ["-r", f("rec-1.pcapng"), "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment"]).stdout);
    expect(c).toEqual(["trigger: frame.number == 300 (frame 300)"]);
  });

  it("--ring-mb bounds what is kept: a trigger at the end saves at most about that much", async () => {
    const input = bigPcap("big3.pcap", 3);
    const r = tsniff(["-r", input, "--ring-mb", "1", "--trigger", "frame.number == 2500", "-w", f("mb.pcapng")]);
    ok(r);
    const size = fs.statSync(f("mb-1.pcapng")).size;
    expect(size).toBeGreaterThan(500_000);
    expect(size).toBeLessThan(1_200_000);
    const saved = await readAll(f("mb-1.pcapng"));
    expect(saved.reason).toBe("eof");
    const all = (await readAll(input)).pkts;
    // The saved packets are the last ones up to frame 2500, contiguous.
    expect(saved.pkts).toEqual(all.slice(2500 - saved.pkts.length, 2500));
  });

  it("option errors: --trigger without a ring, a ring without -w, a bad display filter", () => {
    const src = path.join(CORPUS, "isup.pcap");
    expect(tsniff(["-r", src, "--trigger", "tcp", "-w", f("x.pcapng")]).stderr.toString()).toMatch(/need --ring-seconds or --ring-mb/);
    expect(tsniff(["-r", src, "--ring-seconds", "3"]).stderr.toString()).toMatch(/need -w FILE/);
    const bad = tsniff(["-r", src, "--ring-seconds", "3", "--trigger", "tcp.nosuch == 1", "-w", f("y.pcapng")]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.toString().trim().split("\n").pop()).toMatch(/^tsniff: display filter error/);
  });
});

describe.skipIf(process.getuid?.() !== 0 || !has("tcpdump"))("-Z user", () => {
  it("-Z nobody: the files are created as nobody", () => {
    const out = f("z.pcap");
    ok(tsniff(["-r", path.join(CORPUS, "isup.pcap"), "-Z", "nobody", "-w", out]));
    const st = fs.statSync(out);
    const nobody = Number(sh("id", ["-u", "nobody"]).stdout.toString().trim());
    expect(st.uid).toBe(nobody);
    expect(sh("tcpdump", ["-r", out]).status).toBe(0);
  });

  it("-Z nobody into a directory nobody cannot write: permission denied, one line", () => {
    const locked = f("locked");
    fs.mkdirSync(locked, { mode: 0o755 });
    const r = tsniff(["-r", path.join(CORPUS, "isup.pcap"), "-Z", "nobody", "-w", path.join(locked, "z.pcap")]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/^tsniff: .*z\.pcap: Permission denied$/m);
  });

  it("an unknown user is one clear line", () => {
    const r = tsniff(["-r", path.join(CORPUS, "isup.pcap"), "-Z", "no-such-user-xyz", "-w", f("q.pcap")]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/^tsniff: Couldn't find user 'no-such-user-xyz'$/m);
  });
});
