/**
 * --keylog with -w x.pcapng writes the key log into the file as Decryption Secrets Blocks, so the file
 * decrypts by itself: tshark reads it without -o tls.keylog_file and decrypts HTTP/2 exactly as it does the
 * original capture with the key log; tsniff reads it back without --keylog alike. Both from a file (-r) and
 * live, where the key log is empty when the capture starts and curl appends its secrets while tsniff writes
 * (the writer follows the file and puts each new secret in a block before the packets it decrypts).
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { collect, has, sleep, tsniff, tsniffBg, waitForStderr } from "../helpers/run.js";
import { captureTls, freePort, makeCert } from "./capture.js";

const OK = has("tshark") && has("tcpdump") && has("curl") && has("openssl") && process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-tls-dsb-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "servers", "h2-server.mjs");
const FIELDS = ["http2.type", "http2.streamid", "http2.headers.method", "http2.headers.path", "http2.headers.status"];
const fieldArgs = ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number", ...FIELDS.flatMap((f) => ["-e", f])];

function tshark(file: string, port: number, keys?: string): string {
  const o = keys ? ["-o", `tls.keylog_file:${keys}`] : [];
  return execFileSync("tshark", ["-r", file, ...o, "-d", `tcp.port==${port},tls`, "-Y", "http2", ...fieldArgs], { stdio: ["ignore", "pipe", "ignore"] }).toString();
}

/** The Decryption Secrets Blocks' texts in a pcapng file (little-endian, as tsniff writes it). */
function secretsBlocks(file: string): string[] {
  const b = fs.readFileSync(file);
  const out: string[] = [];
  for (let p = 0; p + 12 <= b.length; ) {
    const type = b.readUInt32LE(p);
    const len = b.readUInt32LE(p + 4);
    if (len < 12) break;
    if (type === 0x0a && b.readUInt32LE(p + 8) === 0x544c534b) out.push(b.toString("latin1", p + 16, p + 16 + b.readUInt32LE(p + 12)));
    p += len;
  }
  return out;
}

describe.skipIf(!OK)("--keylog with -w x.pcapng: a file that decrypts by itself", () => {
  it("from a capture file: tshark and tsniff decrypt the written file without a key log", async () => {
    const { cert, key } = makeCert(tmp);
    const port = freePort();
    const pcap = path.join(tmp, "h2.pcap");
    const keys = path.join(tmp, "h2.keys");
    await captureTls(pcap, keys, port, [process.execPath, SERVER, cert, key, String(port)], [
      ["curl", "-sk", "--http2", `https://127.0.0.1:${port}/dsb?x=1`, `https://127.0.0.1:${port}/missing`, "-o", "/dev/null", "-o", "/dev/null"],
    ]);
    const theirs = tshark(pcap, port, keys);
    expect(theirs).toContain("/dsb?x=1");
    expect(theirs).toContain("404");
    const out = path.join(tmp, "h2-out.pcapng");
    const w = tsniff(["-r", pcap, "--keylog", keys, "-w", out]);
    expect(w.status, w.stderr.toString()).toBe(0);
    expect(secretsBlocks(out).join("")).toBe(fs.readFileSync(keys, "latin1"));
    expect(tshark(out, port)).toBe(theirs);
    const ours = tsniff(["-r", out, "-Y", "http2", ...fieldArgs]);
    expect(ours.status).toBe(0);
    expect(ours.stdout.toString()).toBe(theirs);
    // a pcap -w cannot hold the secrets: said once, the packets written all the same
    const p2 = path.join(tmp, "h2-out.pcap");
    const w2 = tsniff(["-r", pcap, "--keylog", keys, "-w", p2]);
    expect(w2.status).toBe(0);
    expect(w2.stderr.toString()).toContain("cannot hold the TLS key log");
    expect(tshark(p2, port)).toBe("");
  }, 120_000);

  it("the flight recorder's saved file carries the key log as -w's does, and decrypts by itself", async () => {
    const { cert, key } = makeCert(tmp);
    const port = freePort();
    const pcap = path.join(tmp, "ring-in.pcap");
    const keys = path.join(tmp, "ring-in.keys");
    await captureTls(pcap, keys, port, [process.execPath, SERVER, cert, key, String(port)], [["curl", "-sk", "--http2", `https://127.0.0.1:${port}/ring?y=2`, "-o", "/dev/null"]]);
    const theirs = tshark(pcap, port, keys);
    expect(theirs).toContain("/ring?y=2");
    // the first SYN triggers a save of the window before it and the hour after: the whole capture
    const r = tsniff(["-r", pcap, "--keylog", keys, "--ring-seconds", "3600", "--trigger", "tcp.flags.syn == 1", "--after", "3600", "-w", path.join(tmp, "ring.pcapng")]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const saved = path.join(tmp, "ring-1.pcapng");
    expect(r.stderr.toString()).toContain(`saved`);
    expect(secretsBlocks(saved).join("")).toBe(fs.readFileSync(keys, "latin1"));
    expect(tshark(saved, port)).toBe(theirs);
    const ours = tsniff(["-r", saved, "-Y", "http2", ...fieldArgs]);
    expect(ours.status).toBe(0);
    expect(ours.stdout.toString()).toBe(theirs);
  }, 120_000);

  it("live: secrets appended to the key log during the capture land in the file before their packets", async () => {
    const { cert, key } = makeCert(tmp);
    const port = freePort();
    const keys = path.join(tmp, "live.keys");
    fs.writeFileSync(keys, "");
    const out = path.join(tmp, "live.pcapng");
    const srv = spawn(process.execPath, [SERVER, cert, key, String(port)], { stdio: "ignore" });
    const ts = tsniffBg(["-i", "lo", "--keylog", keys, "-w", out, "tcp", "port", String(port)]);
    const done = collect(ts);
    try {
      await waitForStderr(ts, "listening on", 20_000);
      await sleep(500);
      for (const p of ["/one", "/two"]) {
        execFileSync("curl", ["-sk", "--http2", "--retry", "5", "--retry-connrefused", `https://127.0.0.1:${port}${p}`, "-o", "/dev/null"], {
          env: { ...process.env, SSLKEYLOGFILE: keys },
          timeout: 20_000,
        });
        await sleep(300);
      }
      await sleep(1000);
    } finally {
      ts.kill("SIGINT");
      srv.kill();
    }
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(secretsBlocks(out).length).toBeGreaterThanOrEqual(1);
    const theirs = tshark(out, port);
    expect(theirs).toContain("/one");
    expect(theirs).toContain("/two");
    expect(theirs).toBe(tshark(out, port, keys));
    expect(tsniff(["-r", out, "-Y", "http2", ...fieldArgs]).stdout.toString()).toBe(theirs);
  }, 120_000);
});
