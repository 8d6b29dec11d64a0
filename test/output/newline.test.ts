/**
 * A newline or carriage return in a packet's text must not forge an output line (issue 11, item 5): a DNS
 * label "x\n12:34:56.000000 IP 6.6.6.6.53 > ..." printed raw would show a packet that never was. Every text
 * mode prints such bytes escaped (\n, \r, \xHH; tcpdump prints ^J, ^M), so each packet's line stays one
 * line and no raw control byte reaches the terminal. -A is tcpdump's raw ASCII body (its newlines are the
 * payload's, as in tcpdump), so only its summary lines are checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has, sh, tsniff } from "../helpers/run.js";
import { makePcapHeader } from "../../src/capture/pcap-format.js";

let dir: string;
let file: string;

function ipv4(proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(1, 4);
  h[8] = 64;
  h[9] = proto;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(h, 12);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([Buffer.from("02000000000202000000000108 00".replace(/ /g, ""), "hex"), h, payload]);
}
function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return ipv4(17, Buffer.concat([h, payload]));
}
function tcp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(1, 4);
  h[12] = 0x50;
  h[13] = 0x18;
  h.writeUInt16BE(65535, 14);
  return ipv4(6, Buffer.concat([h, payload]));
}
/** A DNS A query for the name made of `labels`. */
function dnsQuery(id: number, labels: string[]): Buffer {
  const parts = [Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, "latin1"));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

const FAKE = "12:34:56.000000 IP 6.6.6.6.53 > 7.7.7.7.53: FAKE LINE";
const packets = [
  udp(5353, 53, dnsQuery(0x1234, [`x\n${FAKE}\r\x1b[31m\x07`, "com"])),
  udp(5354, 53, dnsQuery(0x1235, [`y\r\n\t${FAKE}`, "example", "org"])),
  tcp(40000, 80, Buffer.from(`GET /p HTTP/1.1\r\nHost: ex\rample.com\x1b[2J\r\nUser-Agent: a\x0bb\r${FAKE}\r\n\r\n`, "latin1")),
  tcp(22, 40001, Buffer.from(`SSH-2.0-OpenSSH\r${FAKE}\x1b]0;title\x07\r\n`, "latin1")),
];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-newline-"));
  file = path.join(dir, "newlines.pcap");
  const recs = packets.map((p, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(i + 1, 0);
    h.writeUInt32LE(p.length, 8);
    h.writeUInt32LE(p.length, 12);
    return Buffer.concat([h, p]);
  });
  fs.writeFileSync(file, Buffer.concat([makePcapHeader(1, 65535, false), ...recs]));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TS_LINE = /^\d\d:\d\d:\d\d\.\d{6} /;
/** Any control byte but newline and tab (a raw CR, ESC, BEL...), or a C1 control. */
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/;

function ours(args: string[]): string {
  const r = tsniff([...args, "-r", file]);
  expect(r.status, r.stderr.toString()).toBe(0);
  return r.stdout.toString();
}

describe("a newline in packet text cannot forge an output line", () => {
  for (const mode of [["-nn"], ["-q"], ["-v"], ["-vv"], ["-vvv"], ["-e"], ["-X"], ["-x"], ["-nn", "-v", "-X"], ["-e", "-vv"]]) {
    it(`${mode.join(" ")}: one timestamped line per packet, no raw control byte, the fake line escaped`, () => {
      const out = ours(mode);
      expect(out).not.toMatch(RAW_CONTROL);
      const lines = out.split("\n");
      expect(lines.filter((l) => TS_LINE.test(l)), out).toHaveLength(packets.length);
      // The fake text is there, inside a packet's line, never at the start of one.
      expect(lines.some((l) => l.includes("FAKE LINE"))).toBe(true);
      for (const l of lines) expect(l.startsWith("12:34:56")).toBe(false);
      expect(out).toContain("x\\n12:34:56.000000 IP 6.6.6.6.53");
      expect(out).toContain("\\r\\x1b[31m\\x07");
    });
  }

  it("-A: the summary lines are escaped (the ASCII body is the payload's own text, as in tcpdump)", () => {
    const out = ours(["-A"]);
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(out).toContain("x\\n12:34:56.000000 IP 6.6.6.6.53");
    const first = out.split("\n").filter((l) => /^\d\d:\d\d:\d\d\.\d{6} IP 10\.0\.0\.1/.test(l));
    expect(first).toHaveLength(packets.length);
  });

  it("-V: one tree per packet, every value on its line, no raw control byte", () => {
    const out = ours(["-V"]);
    expect(out).not.toMatch(RAW_CONTROL);
    const lines = out.split("\n");
    expect(lines.filter((l) => /^Frame \d+:/.test(l))).toHaveLength(packets.length);
    for (const l of lines) expect(TS_LINE.test(l), l).toBe(false);
    expect(out).toContain("x\\n12:34:56.000000 IP 6.6.6.6.53");
  });

  it("-T fields: one line per packet", () => {
    const out = ours(["-T", "fields", "-e", "frame.number", "-e", "dns.qry.name", "-e", "http.host", "-e", "http.user_agent", "-e", "ssh.protocol"]);
    expect(out).not.toMatch(RAW_CONTROL);
    const lines = out.split("\n").filter(Boolean);
    expect(lines.map((l) => l.split("\t")[0])).toEqual(packets.map((_, i) => String(i + 1)));
    expect(out).toContain("x\\n12:34:56.000000 IP 6.6.6.6.53");
  });

  it("where tcpdump prints ^J for a newline in a name, tsniff prints \\n at the same place", () => {
    if (!has("tcpdump")) return;
    const theirs = sh("tcpdump", ["-nn", "-r", file]).stdout.toString().split("\n").filter(Boolean);
    const mine = ours(["-nn"]).split("\n").filter(Boolean);
    expect(mine).toHaveLength(theirs.length);
    // The same number of lines: tcpdump's one line per packet is ours too, and the name is there escaped.
    expect(theirs[0]).toContain(`x^J${FAKE}`);
    expect(mine[0]).toContain(`x\\n${FAKE}`);
    // Both agree on which text follows the escape: the rest of the label, then the next one.
    expect(mine[0].slice(mine[0].indexOf("x\\n") + 3, mine[0].indexOf("FAKE LINE"))).toBe(theirs[0].slice(theirs[0].indexOf("x^J") + 3, theirs[0].indexOf("FAKE LINE")));
  });
});
