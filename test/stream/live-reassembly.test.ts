/**
 * Reassembly on live traffic of real programs, in a network namespace of the test's own (its loopback, MTU
 * 1500, segmentation offloads off so the capture holds wire-sized segments): `dig +tcp` against a DNS-over-TCP
 * responder (answers large enough to span segments) and `curl` fetching a 1 MB body from a Node http server.
 * tcpdump writes the capture; tsniff -2 and tshark -2 read it: the reassembled fields (dns.qry.name, dns.a,
 * http.content_length, the length of http.file_data, tcp.reassembled_in, tcp.segment.count,
 * tcp.reassembled.length) must be equal frame by frame.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";

const NS = `ts-reasm-${process.pid % 100000}`;
const OK = process.getuid?.() === 0 && has("tshark") && has("tcpdump") && has("dig") && has("curl") && spawnSync("ip", ["netns", "list"]).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-reasm-live-"));
const kids: ChildProcess[] = [];

function inNs(cmd: string, args: string[], timeout = 60_000): string {
  return execFileSync("ip", ["netns", "exec", NS, cmd, ...args], { timeout, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 }).toString();
}
function bg(cmd: string, args: string[]): ChildProcess {
  const p = spawn("ip", ["netns", "exec", NS, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  kids.push(p);
  return p;
}
/** Resolves when the child printed `text` on stdout or stderr. */
function ready(p: ChildProcess, text: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${ms} ms: ${seen}`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    p.stdout!.on("data", on);
    p.stderr!.on("data", on);
  });
}
function stop(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill("SIGINT");
    setTimeout(() => p.kill("SIGKILL"), 5000).unref();
  });
}

/** Captures with tcpdump on the namespace's loopback while `traffic` runs. */
async function capture(file: string, filter: string, traffic: () => void): Promise<void> {
  // a big buffer: 1 MB of loopback segments come faster than a loaded machine schedules tcpdump
  const td = bg("tcpdump", ["-i", "lo", "-U", "-B", "65536", "-s", "0", "-w", file, filter]);
  await ready(td, "listening on");
  try {
    traffic();
  } finally {
    await new Promise((r) => setTimeout(r, 1500));
    await stop(td);
  }
}

/** -T fields rows of tshark -2 and tsniff -2 (lists joined with ","; http.file_data by its length). */
function rows(file: string, fields: string[]): { ours: string[][]; theirs: string[][] } {
  const args = ["-r", file, "-2", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", ...fields.flatMap((f) => ["-e", f])];
  const split = (out: string) =>
    out
      .split("\n")
      .filter((l, i, a) => l !== "" || i < a.length - 1)
      .map((l) => l.split("\t").map((v, j) => (fields[j] === "http.file_data" && v ? `len:${v.length}` : v)));
  const theirs = split(execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString("latin1"));
  const r = tsniff(args, { timeout: 120_000 });
  expect(r.status, r.stderr.toString()).toBe(0);
  return { ours: split(r.stdout.toString("latin1")), theirs };
}

describe.skipIf(!OK)("reassembly on live traffic, as tshark", { timeout: 300_000 }, () => {
  beforeAll(() => {
    spawnSync("ip", ["netns", "del", NS]);
    execFileSync("ip", ["netns", "add", NS]);
    execFileSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
    execFileSync("ip", ["-n", NS, "link", "set", "lo", "mtu", "1500"]);
    spawnSync("ip", ["netns", "exec", NS, "ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off"]);
  });
  afterAll(async () => {
    for (const k of kids) await stop(k);
    spawnSync("ip", ["netns", "del", NS]);
    if (!process.env.TS_REASM_KEEP) fs.rmSync(tmp, { recursive: true, force: true }); // kept to look at a failure
  });

  it("dig +tcp against a DNS-over-TCP responder: names and answers on the frames tshark gives them", async () => {
    // a responder that answers every A query with 120 addresses (about 2 kB: more than one segment)
    const server = `
      const net = require("net");
      net.createServer((s) => {
        let buf = Buffer.alloc(0);
        s.on("data", (d) => {
          buf = Buffer.concat([buf, d]);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
            buf = buf.subarray(2 + q.length);
            let end = 12;
            while (q[end] !== 0) end += q[end] + 1;
            const question = q.subarray(12, end + 5);
            const head = Buffer.from(q.subarray(0, 12));
            head.writeUInt16BE(0x8180, 2);
            head.writeUInt16BE(1, 4);
            head.writeUInt16BE(120, 6);
            head.writeUInt16BE(0, 8);
            head.writeUInt16BE(0, 10);
            const answers = [];
            for (let i = 0; i < 120; i++) answers.push(Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, i >> 8, i & 255]));
            const msg = Buffer.concat([head, question, ...answers]);
            const len = Buffer.alloc(2);
            len.writeUInt16BE(msg.length);
            s.write(Buffer.concat([len, msg]));
          }
        });
        s.on("error", () => {});
      }).listen(53, "127.0.0.1", () => console.log("dns ready"));`;
    const srv = bg(process.execPath, ["-e", server]);
    await ready(srv, "dns ready");
    const file = path.join(tmp, "dns-tcp.pcap");
    const names = ["one.example.test", "two.example.test", "three.example.test"];
    await capture(file, "tcp port 53", () => {
      for (const n of names) {
        const out = inNs("dig", ["+tcp", "+tries=1", "+time=5", "@127.0.0.1", n, "A"]);
        expect(out).toContain("ANSWER: 120");
      }
    });
    await stop(srv);
    const fields = ["tcp.reassembled_in", "tcp.segment.count", "tcp.reassembled.length", "dns.qry.name", "dns.count.answers", "dns.a"];
    const { ours, theirs } = rows(file, fields);
    expect(theirs.filter((r) => r[0] !== "").length).toBeGreaterThan(0); // the answers did span segments
    for (const n of names) expect(theirs.some((r) => r[3]?.split(",").includes(n))).toBe(true);
    expect(ours).toEqual(theirs);
  });

  it("curl fetching a 1 MB body from a Node http server: content length, body and segments as tshark", async () => {
    const server = `
      const body = Buffer.alloc(1 << 20);
      for (let i = 0; i < body.length; i++) body[i] = 97 + (i % 26);
      require("http").createServer((q, r) => {
        r.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
        r.end(body);
      }).listen(80, "127.0.0.1", () => console.log("http ready"));`;
    const srv = bg(process.execPath, ["-e", server]);
    await ready(srv, "http ready");
    const file = path.join(tmp, "http-1mb.pcap");
    await capture(file, "tcp port 80", () => {
      const n = inNs("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", "http://127.0.0.1/big"]);
      expect(n).toBe(String(1 << 20));
    });
    await stop(srv);
    const fields = ["tcp.reassembled_in", "tcp.segment", "tcp.reassembled.length", "http.response.code", "http.content_length", "http.file_data"];
    const { ours, theirs } = rows(file, fields);
    const done = theirs.filter((r) => r[4] === String(1 << 20));
    expect(done.length).toBe(1);
    expect(done[0][5]).toBe(`len:${1 << 20}`);
    expect(theirs.filter((r) => r[0] !== "").length).toBeGreaterThan(10);
    // A retransmission of bytes inside the unfinished body (loopback under load makes some): tshark keeps it
    // out of the PDU here (no tcp.reassembled_in, not in tcp.segment), tsniff lists it (docs/STREAMS.md):
    // those frames and their numbers in the lists are left out of the comparison.
    const flagged = execFileSync("tshark", ["-r", file, "-2", "-T", "fields", "-e", "tcp.analysis.retransmission"], { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n");
    const rexmit = new Set(flagged.flatMap((v, i) => (v ? [String(i + 1)] : [])));
    const strip = (rs: string[][]) =>
      rs.map((r, i) => (rexmit.has(String(i + 1)) ? [] : r.slice(0, 6).map((v, j) => (j === 1 && v ? v.split(",").filter((f) => !rexmit.has(f)).join(",") : v))));
    expect(strip(ours)).toEqual(strip(theirs));
  });
});
