/**
 * The remote pieces that need no network: the incremental pcap reader (fed a real tcpdump-written file
 * from the repository in every chunking, in both byte orders: what comes out must be libpcap's records, as
 * tcpdump -r reads them) and the ssh://[user@]host[:port]/IFACE parser.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { PcapStream } from "../../src/remote/pcap-stream.js";
import { parseRemoteSpec, RemoteSpecError } from "../../src/remote/url.js";
import { SshLauncher } from "../../src/remote/ssh.js";
import { FIXTURES } from "../helpers/paths.js";
import { FileSource } from "../../src/capture/file-source.js";

/** The first little-endian pcap fixture with some packets. */
function fixture(): string {
  const dir = FIXTURES;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.endsWith(".pcap")) {
        const b = fs.readFileSync(p);
        if (b.length > 2000 && b.length < 200000 && b.readUInt32LE(0) === 0xa1b2c3d4) return p;
      }
    }
  }
  throw new Error("no pcap fixture");
}

/** The file's records as FileSource reads them: [sec, usec-or-ns, caplen, wirelen, bytes hex]. */
async function reference(file: string): Promise<string[]> {
  const src = await FileSource.open(file);
  const out: string[] = [];
  await src.run((b) => {
    for (let i = 0; i < b.count; i++) {
      out.push(`${b.tsSec[i]} ${b.tsNsec[i]} ${b.caplen[i]} ${b.wirelen[i]} ${Buffer.from(b.data.subarray(b.offset[i], b.offset[i] + b.caplen[i])).toString("hex")}`);
    }
    return Infinity;
  });
  return out;
}

function readAll(bytes: Buffer, chunk: (k: number) => number): { recs: string[]; s: PcapStream } {
  const s = new PcapStream();
  const recs: string[] = [];
  let pos = 0;
  let k = 0;
  while (pos < bytes.length) {
    const n = Math.max(1, chunk(k++));
    const r = s.push(bytes.subarray(pos, pos + n));
    pos += n;
    if (!r) continue;
    let p = 0;
    let last = -1;
    for (let i = 0; i < r.count; i++) {
      last = p;
      const cap = r.buf.readUInt32LE(p + 8);
      const frac = r.buf.readUInt32LE(p + 4) * (s.header!.nano ? 1 : 1000);
      recs.push(`${r.buf.readUInt32LE(p)} ${frac} ${cap} ${r.buf.readUInt32LE(p + 12)} ${r.buf.subarray(p + 16, p + 16 + cap).toString("hex")}`);
      p += 16 + cap;
    }
    expect(p).toBe(r.buf.length);
    // the last record's offset (its time stamp decides when a stopping remote capture has drained)
    expect(r.last).toBe(last);
  }
  return { recs, s };
}

/** The same file in big-endian byte order. */
function swapped(le: Buffer): Buffer {
  const b = Buffer.from(le);
  b.writeUInt32BE(le.readUInt32LE(0), 0);
  b.writeUInt16BE(le.readUInt16LE(4), 4);
  b.writeUInt16BE(le.readUInt16LE(6), 6);
  for (const o of [8, 12, 16, 20]) b.writeUInt32BE(le.readUInt32LE(o), o);
  let p = 24;
  while (p + 16 <= le.length) {
    const cap = le.readUInt32LE(p + 8);
    for (let w = 0; w < 16; w += 4) b.writeUInt32BE(le.readUInt32LE(p + w), p + w);
    p += 16 + cap;
  }
  return b;
}

describe("PcapStream", () => {
  it("reads a pcap stream in any chunking, both byte orders, as the file reader does", async () => {
    const file = fixture();
    const want = await reference(file);
    expect(want.length).toBeGreaterThan(3);
    const le = fs.readFileSync(file);
    for (const bytes of [le, swapped(le)]) {
      for (const chunk of [() => bytes.length, () => 1, () => 7, (k: number) => (k * 37) % 1500, () => 24 + 16]) {
        const { recs, s } = readAll(bytes, chunk);
        expect(recs).toEqual(want);
        expect(s.partial).toBe(0);
        expect(s.error).toBeNull();
      }
    }
  });

  it("a stream cut in a record keeps the partial bytes; a damaged record header stops it with a message", () => {
    const le = fs.readFileSync(fixture());
    const cut = readAll(le.subarray(0, le.length - 5), () => 100);
    expect(cut.s.partial).toBeGreaterThan(0);
    const bad = Buffer.from(le);
    bad.writeUInt32LE(0x7fffffff, 24 + 8);
    const r = readAll(bad, () => 512);
    expect(r.recs).toEqual([]);
    expect(r.s.error?.message).toMatch(/damaged pcap stream: a record of 2147483647 bytes/);
    const text = new PcapStream();
    text.push(Buffer.from("Welcome to web1! Last login: yesterday\n"));
    expect(text.error?.message).toMatch(/did not send pcap \(starts with "Welcome to web1!"\)/);
  });
});

describe("ssh:// sources", () => {
  it("parses user, host, port and interface", () => {
    expect(parseRemoteSpec("ssh://web1/eth0")).toMatchObject({ host: "web1", iface: "eth0", name: "web1:eth0", user: undefined, port: undefined });
    expect(parseRemoteSpec("ssh://root@db1:2222/any")).toMatchObject({ host: "db1", user: "root", port: 2222, iface: "any", name: "db1:any" });
    expect(parseRemoteSpec("ssh://[fd00::1]:22/eth0")).toMatchObject({ host: "fd00::1", port: 22, name: "fd00::1:eth0" });
  });
  it("refuses what ssh could take as an option or a shell could expand, and other schemes", () => {
    for (const bad of ["ssh://web1", "ssh://web1/", "ssh://-oProxyCommand=x/eth0", "ssh://web1/eth0;reboot", "ssh://web1:99999/eth0", "ssh://a b/eth0", "k8s://ns/pod"]) {
      expect(() => parseRemoteSpec(bad), bad).toThrow(RemoteSpecError);
    }
    expect(() => parseRemoteSpec("k8s://ns/pod")).toThrow(/planned, see docs\/REMOTE.md/);
  });
  it("ssh's command line: the user's options first (ssh keeps the first value), BatchMode, no tty, the script quoted", () => {
    const l = new SshLauncher(parseRemoteSpec("ssh://me@web1:2200/eth0"), { options: ["-F /tmp/x y", "BatchMode=no", "-J jump"] });
    const a = l.argv("echo 'hi' $1", ["eth0", "port 53 and host 'x'", "0", ""]);
    expect(a.slice(0, 6)).toEqual(["-F", "/tmp/x y", "-o", "BatchMode=no", "-J", "jump"]);
    expect(a).toContain("BatchMode=yes");
    expect(a.slice(a.indexOf("-T"), a.indexOf("--"))).toEqual(["-T", "-e", "none", "-p", "2200", "-l", "me"]);
    expect(a[a.length - 2]).toBe("web1");
    expect(a[a.length - 1]).toBe(`sh -c 'echo '\\''hi'\\'' $1' tsniff-remote eth0 'port 53 and host '\\''x'\\''' 0 ''`);
  });
});
