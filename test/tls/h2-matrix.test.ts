/**
 * HTTP/2 over TLS, each cipher suite: curl --http2 against Node's http2 server with TLS 1.3 (AES-128-GCM,
 * AES-256-GCM, ChaCha20-Poly1305) and TLS 1.2 (ECDHE-RSA with the same three), captured by tcpdump on
 * loopback; every frame's http2.type, stream id and pseudo-headers equal tshark's with the same key log, and
 * -Y counts of HEADERS frames too. (test/tls/decrypt.test.ts covers HTTP/1.1 with openssl s_server and Node.)
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";
import { captureTls, freePort, makeCert } from "./capture.js";

const OK = has("tshark") && has("tcpdump") && has("curl") && has("openssl") && process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-tls-h2m-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "servers", "h2-server.mjs");
const FIELDS = ["http2.type", "http2.streamid", "http2.headers.method", "http2.headers.path", "http2.headers.status"];

const CASES: [string, string[]][] = [
  ["TLS 1.3 AES-128-GCM", ["--tlsv1.3", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256"]],
  ["TLS 1.3 AES-256-GCM", ["--tlsv1.3", "--tls13-ciphers", "TLS_AES_256_GCM_SHA384"]],
  ["TLS 1.3 ChaCha20-Poly1305", ["--tlsv1.3", "--tls13-ciphers", "TLS_CHACHA20_POLY1305_SHA256"]],
  ["TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", ["--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256"]],
  ["TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384", ["--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384"]],
  ["TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305", ["--tls-max", "1.2", "--ciphers", "ECDHE-RSA-CHACHA20-POLY1305"]],
];

describe.skipIf(!OK)("HTTP/2 over TLS, each cipher suite, against tshark", () => {
  for (const [name, opts] of CASES) {
    it(name, async () => {
      const { cert, key } = makeCert(tmp);
      const port = freePort();
      const tag = name.replace(/\W+/g, "-");
      const pcap = path.join(tmp, `${tag}.pcap`);
      const keys = path.join(tmp, `${tag}.keys`);
      await captureTls(pcap, keys, port, [process.execPath, SERVER, cert, key, String(port)], [
        ["curl", "-sk", "--http2", ...opts, `https://127.0.0.1:${port}/m?c=${tag}`, `https://127.0.0.1:${port}/missing`, "-o", "/dev/null", "-o", "/dev/null"],
      ]);
      const fieldArgs = ["-Y", "http2", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number", ...FIELDS.flatMap((f) => ["-e", f])];
      const tk = ["-o", `tls.keylog_file:${keys}`, "-d", `tcp.port==${port},tls`];
      const theirs = execFileSync("tshark", ["-r", pcap, ...tk, ...fieldArgs], { stdio: ["ignore", "pipe", "ignore"] }).toString();
      expect(theirs).toContain(`/m?c=${tag}`);
      expect(theirs).toContain("404");
      const ours = tsniff(["-r", pcap, "--keylog", keys, ...fieldArgs]);
      expect(ours.status, ours.stderr.toString()).toBe(0);
      expect(ours.stdout.toString()).toBe(theirs);
      const count = (s: string) => s.split("\n").filter(Boolean).length;
      const f = "http2.type == 1";
      expect(count(tsniff(["-r", pcap, "--keylog", keys, "-Y", f, "-T", "fields", "-e", "frame.number"]).stdout.toString())).toBe(
        count(execFileSync("tshark", ["-r", pcap, ...tk, "-Y", f, "-T", "fields", "-e", "frame.number"], { stdio: ["ignore", "pipe", "ignore"] }).toString()),
      );
    }, 90_000);
  }
});
