/**
 * Cleartext HTTP/2 (h2c) against tshark on the same captures: curl --http2-prior-knowledge (the connection
 * opens with the preface) and curl --http2 over http:// (HTTP/1.1 with Upgrade: h2c, a 101, then HTTP/2)
 * against test/tls/servers/h2c-server.mjs (Node's http2 server for prior knowledge, a minimal one of its own
 * for the upgrade), captured by tcpdump. Each frame's http2.type, stream id, pseudo-headers and header names,
 * the HTTP/1.1 request and 101 response, and -Y counts equal tshark's.
 * - On a port of its own on loopback, where tshark needs `-d tcp.port==N,http2` and tsniff finds HTTP/2 by
 *   the preface (or the server's first SETTINGS).
 * - On port 80 in a namespace of its own (where both take HTTP by the port), both ways in.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";
import { captureTls, freePort, loopbackNs } from "./capture.js";

const OK = has("tshark") && has("tcpdump") && has("curl") && process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-tls-h2c-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "servers", "h2c-server.mjs");

const FIELDS = [
  "http2.type",
  "http2.streamid",
  "http2.headers.method",
  "http2.headers.path",
  "http2.headers.status",
  "http2.header.name",
  "http.request.uri",
  "http.response.code",
];
const fieldArgs = (filter: string) => ["-Y", filter, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number", ...FIELDS.flatMap((f) => ["-e", f])];
const count = (out: string) => out.split("\n").filter(Boolean).length;
const tshark = (args: string[]) => execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"] }).toString();

describe.skipIf(!OK)("h2c: cleartext HTTP/2, against tshark", () => {
  it("prior knowledge on a port of its own: frames and headers equal tshark's with -d tcp.port==N,http2", async () => {
    const port = freePort();
    const pcap = path.join(tmp, "prior.pcap");
    await captureTls(pcap, path.join(tmp, "unused.keys"), port, [process.execPath, SERVER, String(port)], [
      ["curl", "-s", "--http2-prior-knowledge", `http://127.0.0.1:${port}/c?x=1`, "-o", "/dev/null"],
      ["curl", "-s", "--http2-prior-knowledge", `http://127.0.0.1:${port}/missing`, "-o", "/dev/null"],
    ]);
    const decodeAs = ["-d", `tcp.port==${port},http2`];
    const theirs = tshark(["-r", pcap, ...decodeAs, ...fieldArgs("http2")]);
    expect(theirs).toContain("/c?x=1");
    expect(theirs).toContain("404");
    const ours = tsniff(["-r", pcap, ...fieldArgs("http2")]);
    expect(ours.status, ours.stderr.toString()).toBe(0);
    expect(ours.stdout.toString()).toBe(theirs);
    for (const f of ['http2.headers.status == 404', "http2.type == 4", 'http2.headers.method == "GET"'])
      expect(count(tsniff(["-r", pcap, "-Y", f, "-T", "fields", "-e", "frame.number"]).stdout.toString()), f).toBe(count(tshark(["-r", pcap, ...decodeAs, "-Y", f, "-T", "fields", "-e", "frame.number"])));
  }, 120_000);

  it("Upgrade: h2c and prior knowledge on port 80: HTTP/1.1 then HTTP/2, equal tshark's", async () => {
    const ns = loopbackNs("h2c");
    const pcap = path.join(tmp, "upgrade.pcap");
    try {
      await captureTls(
        pcap,
        path.join(tmp, "unused.keys"),
        80,
        [process.execPath, SERVER, "80"],
        [
          ["curl", "-s", "--http2", "http://127.0.0.1/a", "http://127.0.0.1/b", "-o", "/dev/null", "-o", "/dev/null"],
          ["curl", "-s", "--http2-prior-knowledge", "http://127.0.0.1/c", "-o", "/dev/null"],
        ],
        { ns: ns.name },
      );
    } finally {
      ns.destroy();
    }
    const theirs = tshark(["-r", pcap, ...fieldArgs("http or http2")]);
    expect(theirs).toContain("101");
    expect(theirs).toContain("/b");
    expect(theirs).toContain("/c");
    const ours = tsniff(["-r", pcap, ...fieldArgs("http or http2")]);
    expect(ours.status, ours.stderr.toString()).toBe(0);
    expect(ours.stdout.toString()).toBe(theirs);
    for (const f of ["http2", "http", "http2.type == 1", 'http.response.code == 101'])
      expect(count(tsniff(["-r", pcap, "-Y", f, "-T", "fields", "-e", "frame.number"]).stdout.toString()), f).toBe(count(tshark(["-r", pcap, "-Y", f, "-T", "fields", "-e", "frame.number"])));
  }, 120_000);
});
