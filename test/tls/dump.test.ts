/**
 * The decrypted bytes on show: -x/-X print each record decrypted in a frame after the frame's bytes, as
 * tshark -x prints its "Decrypted TLS (N bytes):" data sources (the blocks equal tshark's, line for line, on
 * the same capture and key log); the library's packet.decrypted gives the same bytes, frame by frame.
 * curl --http2 (TLS 1.3: the encrypted handshake records too) against Node's http2 server.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";
import { captureTls, freePort, makeCert } from "./capture.js";
import { clearKeyLog, loadKeyLogFile, sniff } from "../../src/index.js";

const OK = has("tshark") && has("tcpdump") && has("curl") && has("openssl") && process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-tls-dump-"));
afterAll(() => {
  clearKeyLog();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "servers", "h2-server.mjs");

/** The "Decrypted TLS" blocks of a dump, in order, each as its lines. */
function blocks(text: string): string[] {
  const out: string[] = [];
  let cur: string[] | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("Decrypted TLS (")) out.push((cur = [line]).join("\n"));
    else if (cur && /^[0-9a-f]{4,}  /.test(line)) {
      cur.push(line);
      out[out.length - 1] = cur.join("\n");
    } else cur = null;
  }
  return out;
}

describe.skipIf(!OK)("decrypted bytes in -x/-X and packet.decrypted", () => {
  it("equal tshark -x's Decrypted TLS blocks", async () => {
    const { cert, key } = makeCert(tmp);
    const port = freePort();
    const pcap = path.join(tmp, "h2.pcap");
    const keys = path.join(tmp, "h2.keys");
    await captureTls(pcap, keys, port, [process.execPath, SERVER, cert, key, String(port)], [
      ["curl", "-sk", "--http2", `https://127.0.0.1:${port}/dump`, "-o", "/dev/null"],
    ]);
    const theirs = blocks(execFileSync("tshark", ["-r", pcap, "-o", `tls.keylog_file:${keys}`, "-d", `tcp.port==${port},tls`, "-x"], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).toString());
    expect(theirs.length).toBeGreaterThan(3);
    expect(theirs.join("\n")).toContain("PRI * HTTP/2.0");
    for (const flag of ["-x", "-X"]) {
      const r = tsniff(["-r", pcap, "--keylog", keys, flag]);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(blocks(r.stdout.toString()), flag).toEqual(theirs);
    }
    expect(blocks(tsniff(["-r", pcap, "--keylog", keys, "-V", "-x"]).stdout.toString())).toEqual(theirs);
    // without the key log: nothing decrypted, no blocks
    expect(tsniff(["-r", pcap, "-x"]).stdout.toString()).not.toContain("Decrypted TLS");

    // the library: packet.decrypted, frame by frame, the same bytes
    clearKeyLog();
    loadKeyLogFile(keys);
    const lib: string[] = [];
    await sniff({
      offline: pcap,
      store: false,
      prn: (p) => {
        const d = p.decrypted;
        for (const b of d) lib.push(Buffer.from(b).toString("hex"));
      },
    });
    clearKeyLog();
    const hexOfBlock = (b: string) =>
      b
        .split("\n")
        .slice(1)
        .map((l) => l.slice(l.indexOf("  ") + 2, l.indexOf("  ") + 2 + 47).replace(/ /g, ""))
        .join("");
    expect(lib).toEqual(theirs.map(hexOfBlock));
  }, 120_000);
});
