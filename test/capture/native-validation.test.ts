/**
 * The addon's argument checks (issue #11): filterBatch refuses wrong array types and lengths and programs
 * that libpcap's bpf_validate rejects, with a clear error, instead of reading out of bounds or running them;
 * the live handle refuses a bad program and an out-of-range buffer size the same way; -B of 2 GiB or more
 * is a usage error (as in tcpdump), not a size wrapped when cast to int. LinkWatch reports link events from
 * netlink (a veth made and removed for it, named h5lw<pid>).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { native } from "../../src/capture/native.js";
import { canUseNetns } from "../helpers/netns.js";
import { tsniff } from "../helpers/run.js";

const bpf = native();
const DLT_EN10MB = 1;

/** An Ethernet/IPv4 frame with the given IP protocol (17 UDP, 6 TCP), 60 bytes. */
function frame(proto: number): Buffer {
  const b = Buffer.alloc(60);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(46, 16);
  b[22] = 64;
  b[23] = proto;
  b.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  return b;
}

/** A batch of the frames back to back, with its offset/caplen/wirelen columns. */
function batch(frames: Buffer[]) {
  const data = Buffer.concat(frames);
  const offs = new Uint32Array(frames.length);
  const caps = new Uint32Array(frames.length);
  let pos = 0;
  frames.forEach((f, i) => {
    offs[i] = pos;
    caps[i] = f.length;
    pos += f.length;
  });
  return { data, offs, caps, wires: caps.slice() };
}

function errOf(f: () => unknown): NodeJS.ErrnoException {
  try {
    f();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error("did not throw");
}

const udp = bpf.compile("udp", DLT_EN10MB, 262144, 1, 0xffffffff);
const insn = (...w: number[][]) => Uint32Array.from(w.flat());
const BPF_RET_K = 0x06,
  BPF_LD_W_ABS = 0x20,
  BPF_JEQ_K = 0x15,
  BPF_DIV_K = 0x34,
  BPF_ST = 0x02;

describe("filterBatch checks its arguments", () => {
  const b = batch([frame(17), frame(6), frame(17)]);

  it("gives libpcap's verdicts for a good batch (the path the checks guard)", () => {
    const v = bpf.filterBatch(udp, b.data, b.offs, b.caps, b.wires, 3);
    expect(Array.from(v).map((x) => x !== 0)).toEqual([true, false, true]);
  });

  it("a record outside the buffer gets verdict 0, not a read past it", () => {
    const offs = b.offs.slice();
    offs[2] = b.data.length - 10;
    const v = bpf.filterBatch(udp, b.data, offs, b.caps, b.wires, 3);
    expect(v[0]).not.toBe(0);
    expect(v[2]).toBe(0);
  });

  it("refuses columns shorter than count", () => {
    for (const [offs, caps, wires, name] of [
      [b.offs.subarray(0, 2), b.caps, b.wires, "offs"],
      [b.offs, b.caps.subarray(0, 1), b.wires, "caplens"],
      [b.offs, b.caps, new Uint32Array(0), "wirelens"],
    ] as const) {
      const e = errOf(() => bpf.filterBatch(udp, b.data, offs, caps, wires, 3));
      expect(e.code).toBe("EINVAL");
      expect(e.message).toMatch(new RegExp(`${name} has \\d+ elements, fewer than count \\(3\\)`));
    }
  });

  it("refuses wrong array types", () => {
    const bad: [unknown[], RegExp][] = [
      [[Array.from(udp), b.data, b.offs, b.caps, b.wires, 3], /Uint32Array of \[code, jt, jf, k\]/],
      [[new Int32Array(udp), b.data, b.offs, b.caps, b.wires, 3], /Uint32Array of \[code, jt, jf, k\]/],
      [[udp, "not a buffer", b.offs, b.caps, b.wires, 3], /buf must be a Buffer or Uint8Array/],
      [[udp, new Uint16Array(8), b.offs, b.caps, b.wires, 3], /buf must be a Buffer or Uint8Array/],
      [[udp, b.data, Array.from(b.offs), b.caps, b.wires, 3], /offs must be a Uint32Array/],
      [[udp, b.data, b.offs, new Float64Array(3), b.wires, 3], /caplens must be a Uint32Array/],
      [[udp, b.data, b.offs, b.caps, null, 3], /wirelens must be a Uint32Array/],
    ];
    for (const [args, re] of bad) {
      const e = errOf(() => (bpf.filterBatch as (...a: unknown[]) => unknown)(...args));
      expect(e.code).toMatch(/^E(INVAL|FILTER)$/);
      expect(e.message).toMatch(re);
    }
  });

  it("refuses a count that is not a whole number >= 0", () => {
    for (const count of [-1, 1.5, Number.NaN, "3", 2 ** 32]) {
      const e = errOf(() => (bpf.filterBatch as (...a: unknown[]) => unknown)(udp, b.data, b.offs, b.caps, b.wires, count));
      expect(e.code).toBe("EINVAL");
      expect(e.message).toMatch(/count must be a whole number/);
    }
    // 0 is a valid (empty) batch
    expect(bpf.filterBatch(udp, b.data, b.offs, b.caps, b.wires, 0)).toHaveLength(0);
  });

  it("refuses programs bpf_validate rejects instead of running them", () => {
    const bad: [Uint32Array, RegExp][] = [
      [new Uint32Array(0), /1 to 1048576 instructions/],
      [new Uint32Array(3), /expected 4 per instruction/],
      [new Uint32Array(4 * (2 ** 20 + 1)), /1 to 1048576 instructions/],
      // a jump past the end
      [insn([BPF_JEQ_K, 5, 0, 1], [BPF_RET_K, 0, 0, 0]), /bpf_validate/],
      // no final return
      [insn([BPF_LD_W_ABS, 0, 0, 0]), /bpf_validate/],
      // division by a constant zero
      [insn([BPF_DIV_K, 0, 0, 0], [BPF_RET_K, 0, 0, 1]), /bpf_validate/],
      // a scratch memory slot out of range
      [insn([BPF_ST, 0, 0, 16], [BPF_RET_K, 0, 0, 1]), /bpf_validate/],
      // opcodes that do not exist: bpf_validate lets these through and bpf_filter would abort() on them
      [insn([0xff, 0, 0, 0], [BPF_RET_K, 0, 0, 1]), /unknown opcode 0xff/],
      [insn([0x08, 0, 0, 0], [BPF_RET_K, 0, 0, 1]), /unknown opcode 0x8/],
      // words that do not fit an instruction's fields
      [insn([0x10006, 0, 0, 1]), /out-of-range code or jump/],
      [insn([BPF_JEQ_K, 256, 0, 1], [BPF_RET_K, 0, 0, 0]), /out-of-range code or jump/],
    ];
    for (const [prog, re] of bad) {
      const e = errOf(() => bpf.filterBatch(prog, b.data, b.offs, b.caps, b.wires, 3));
      expect(e.code).toBe("EFILTER");
      expect(e.message).toMatch(re);
    }
  });
});

describe("-B of 2 GiB or more is refused (an int in libpcap)", () => {
  it("tsniff -B 2097152 is a usage error, -B 2097151 is not refused as such", () => {
    for (const flag of [["-B", "2097152"], ["--buffer-size=4194304"]]) {
      const r = tsniff([...flag, "-r", "/nonexistent.pcap"]);
      expect(r.status).toBe(1);
      const err = r.stderr.toString();
      expect(err.split("\n")[0]).toMatch(/^tsniff: invalid (-B|--buffer-size) value '\d+': the buffer must be smaller than 2 GiB/);
    }
    const ok = tsniff(["-B", "2097151", "-r", "/nonexistent.pcap"]);
    expect(ok.stderr.toString()).not.toMatch(/2 GiB/);
  });

  it.skipIf(!canUseNetns())("the addon refuses a bufferSize above INT_MAX instead of wrapping it", () => {
    const e = errOf(() => new bpf.Live("lo", { bufferSize: 2 ** 31 }));
    expect(e.code).toBe("EINVAL");
    expect(e.message).toMatch(/buffer size 2147483648 bytes is out of range/);
  });

  it.skipIf(!canUseNetns())("a live handle refuses an invalid program (setFilter)", () => {
    const h = new bpf.Live("lo", { snaplen: 128 });
    try {
      const e = errOf(() => h.setFilter(insn([BPF_JEQ_K, 9, 9, 1], [BPF_RET_K, 0, 0, 0])));
      expect(e.code).toBe("EFILTER");
      expect(e.message).toMatch(/bpf_validate/);
      h.setFilter(udp);
    } finally {
      h.close();
    }
  });
});

describe.skipIf(!canUseNetns())("LinkWatch: the kernel's link events (netlink)", () => {
  it("reports an interface going down, up and away by name, one call per wakeup; close() from its callback is safe", async () => {
    const id = process.pid % 100000;
    const a = `h5lw${id}a`;
    const b = `h5lw${id}b`;
    const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
    spawnSync("ip", ["link", "del", a]);
    const seen: { name: string; up: boolean; deleted: boolean }[] = [];
    let calls = 0;
    let closedInside = false;
    const w = new bpf.LinkWatch((events, overflow) => {
      calls++;
      expect(typeof overflow).toBe("boolean");
      for (const e of events) {
        expect(typeof e.index).toBe("number");
        if (e.name === a) seen.push({ name: e.name, up: e.up, deleted: e.deleted });
      }
      if (seen.some((e) => e.deleted)) {
        w.close(); // from the callback: released when it returns
        closedInside = true;
      }
    });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      ip("link", "add", a, "type", "veth", "peer", "name", b);
      await until(() => seen.length > 0);
      expect(seen[0]).toEqual({ name: a, up: false, deleted: false });
      ip("link", "set", a, "up");
      await until(() => seen.some((e) => e.up));
      ip("link", "set", a, "down");
      await until(() => seen.length > 0 && !seen[seen.length - 1].up && seen.some((e) => e.up));
      ip("link", "del", a);
      await until(() => closedInside);
    } finally {
      spawnSync("ip", ["link", "del", a]);
      w.close(); // idempotent
    }
    expect(calls).toBeGreaterThan(0);
    const ups = seen.map((e) => e.up);
    expect(ups.indexOf(true)).toBeGreaterThan(-1);
    expect(ups.lastIndexOf(false)).toBeGreaterThan(ups.indexOf(true));
    expect(seen[seen.length - 1].deleted).toBe(true);
    expect(closedInside).toBe(true);
    // Nothing more arrives after close().
    const before = calls;
    spawnSync("ip", ["link", "add", a, "type", "veth", "peer", "name", b]);
    await new Promise((r) => setTimeout(r, 100));
    spawnSync("ip", ["link", "del", a]);
    expect(calls).toBe(before);
  });

  it("refuses a callback that is not a function", () => {
    const e = errOf(() => new (bpf.LinkWatch as unknown as new (x: unknown) => unknown)(42));
    expect(e.code).toBe("EINVAL");
  });
});
