/**
 * TLS decryption with a key log against tshark's (-o tls.keylog_file:) on the same captures: curl with
 * SSLKEYLOGFILE against openssl s_server (TLS 1.3 and 1.2, each AEAD suite) and against Node's https server;
 * the decrypted HTTP request's method and URI and the response's code, frame by frame, and -Y counts, equal
 * tshark's. A key log with wrong secrets, or none, leaves the records as Application Data (nothing decrypted,
 * no exception).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";
import { fieldsOf } from "../stream/sweep.js";
import { addKeyLogText, clearKeyLog } from "../../src/tls/keylog.js";
import { captureTls, freePort, makeCert } from "./capture.js";

const OK = has("tshark") && has("tcpdump") && has("curl") && has("openssl") && process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-tls-"));
afterAll(() => {
  clearKeyLog();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const FIELDS = ["http.request.method", "http.request.uri", "http.response.code"];

function tsharkRows(file: string, keylog: string, port: number, names: string[]): string[][] {
  const args = ["-r", file, "-o", `tls.keylog_file:${keylog}`, "-d", `tcp.port==${port},tls`, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number", ...names.flatMap((n) => ["-e", n])];
  const out = execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"] }).toString("latin1");
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t").slice(1));
}

async function ourRows(file: string, keylog: string | null, names: string[]): Promise<string[][]> {
  clearKeyLog();
  if (keylog) addKeyLogText(fs.readFileSync(keylog, "latin1"));
  const rows = await fieldsOf(file, names, { reassembly: {} });
  clearKeyLog();
  return rows.map((m) => names.map((n) => (m.get(n) ?? []).join(",")));
}

/** The frames where either side has a value of `names`, as "frame: values". */
function rowsWithValues(rows: string[][]): string[] {
  return rows.map((r, i) => (r.some((v) => v !== "") ? `${i + 1}: ${r.join(" | ")}` : "")).filter(Boolean);
}

let cert: { cert: string; key: string };
beforeAll(() => {
  if (OK) cert = makeCert(tmp);
});

interface Case {
  name: string;
  server: (port: number) => string[];
  curl: string[];
  /** the server answers with a length (tshark then shows the response too) */
  responses: boolean;
  /** CBC suites: whether the ServerHello accepts encrypt-then-MAC (RFC 7366), checked with tshark */
  etm?: boolean;
}

const sServer = (extra: string[]) => (port: number) => ["openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-cert", cert.cert, "-key", cert.key, "-www", "-quiet", ...extra];
const CASES: Case[] = [
  { name: "TLS 1.3 AES-128-GCM", server: sServer(["-ciphersuites", "TLS_AES_128_GCM_SHA256"]), curl: ["--tlsv1.3", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256"], responses: false },
  { name: "TLS 1.3 AES-256-GCM", server: sServer(["-ciphersuites", "TLS_AES_256_GCM_SHA384"]), curl: ["--tlsv1.3", "--tls13-ciphers", "TLS_AES_256_GCM_SHA384"], responses: false },
  { name: "TLS 1.3 ChaCha20-Poly1305", server: sServer(["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]), curl: ["--tlsv1.3", "--tls13-ciphers", "TLS_CHACHA20_POLY1305_SHA256"], responses: false },
  { name: "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", server: sServer(["-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-no_tls1_3"]), curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256"], responses: false },
  { name: "TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384", server: sServer(["-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-no_tls1_3"]), curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384"], responses: false },
  { name: "TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305", server: sServer(["-cipher", "ECDHE-RSA-CHACHA20-POLY1305", "-no_tls1_3"]), curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-CHACHA20-POLY1305"], responses: false },
  // AES-CBC with HMAC: encrypt-then-MAC as OpenSSL negotiates it by default, MAC-then-encrypt with -no_etm
  { name: "TLS 1.2 CBC ECDHE-RSA-AES128-SHA encrypt-then-MAC", server: sServer(["-cipher", "ECDHE-RSA-AES128-SHA", "-no_tls1_3"]), curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-SHA"], responses: false, etm: true },
  { name: "TLS 1.2 CBC ECDHE-RSA-AES128-SHA MAC-then-encrypt", server: sServer(["-cipher", "ECDHE-RSA-AES128-SHA", "-no_tls1_3", "-no_etm"]), curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-SHA"], responses: false, etm: false },
  { name: "TLS 1.2 CBC RSA AES128-SHA256 encrypt-then-MAC", server: sServer(["-cipher", "AES128-SHA256", "-no_tls1_3"]), curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "AES128-SHA256"], responses: false, etm: true },
  { name: "TLS 1.2 CBC ECDHE-RSA-AES256-SHA384 MAC-then-encrypt", server: sServer(["-cipher", "ECDHE-RSA-AES256-SHA384", "-no_tls1_3", "-no_etm"]), curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-SHA384"], responses: false, etm: false },
];

describe.skipIf(!OK)("TLS decryption with a key log, against tshark", () => {
  for (const c of CASES) {
    it(`${c.name}: decrypted HTTP/1.1 requests equal tshark's`, async () => {
      const port = freePort();
      const base = path.join(tmp, c.name.replace(/\W+/g, "_"));
      const pcap = base + ".pcap";
      const keys = base + ".keys";
      await captureTls(pcap, keys, port, c.server(port), [
        ["curl", "-sk", ...c.curl, `https://127.0.0.1:${port}/first?x=1`, "-o", "/dev/null"],
        ["curl", "-sk", ...c.curl, "-X", "POST", "-d", "body", `https://127.0.0.1:${port}/second`, "-o", "/dev/null"],
      ]);
      if (c.etm !== undefined) {
        // the mode the test means is the one negotiated (tshark's view of the ServerHello's extensions)
        const hello = execFileSync("tshark", ["-r", pcap, "-d", `tcp.port==${port},tls`, "-Y", "tls.handshake.type == 2", "-T", "fields", "-e", "tls.handshake.extension.type"]).toString();
        expect(hello.trim().split("\n").map((l) => l.split(",").includes("22"))).toEqual([c.etm, c.etm]);
      }
      const names = c.responses ? FIELDS : FIELDS.slice(0, 2);
      const theirs = rowsWithValues(tsharkRows(pcap, keys, port, names));
      const ours = rowsWithValues(await ourRows(pcap, keys, names));
      expect(theirs.length).toBe(2); // the test's own traffic was decrypted by tshark
      expect(ours).toEqual(theirs);
      // the CLI: -Y count, and the key log by tshark's option
      const cli = tsniff(["-r", pcap, "-o", `tls.keylog_file:${keys}`, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri"]);
      expect(cli.status).toBe(0);
      expect(cli.stdout.toString().trim().split("\n")).toEqual(["/first?x=1", "/second"]);
      // a key log with other secrets: nothing decrypted, the records stay Application Data
      const wrong = base + ".wrong";
      fs.writeFileSync(wrong, fs.readFileSync(keys, "latin1").replace(/ ([0-9a-f]{64,96})$/gm, (_m, s: string) => " " + "ab".repeat(s.length / 2)));
      expect(rowsWithValues(await ourRows(pcap, wrong, names))).toEqual([]);
      expect(rowsWithValues(tsharkRows(pcap, wrong, port, names))).toEqual([]);
      const failed = await ourRows(pcap, wrong, ["tls.app_data", "tls.decryption_failed"]);
      expect(failed.filter((r) => r[0] !== "" && r[1] !== "").length).toBeGreaterThan(0);
      // no key log: no decryption fields at all
      expect(rowsWithValues(await ourRows(pcap, null, ["tls.decryption_failed", ...names]))).toEqual([]);
    }, 240_000);
  }
});
