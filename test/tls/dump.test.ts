/**
 * The decrypted bytes on show: -x/-X print each record decrypted in a frame after the frame's bytes, as
 * tshark -x prints its "Decrypted TLS (N bytes):" data sources (the blocks equal tshark's, line for line, on
 * the same capture and key log); the library's packet.decrypted gives the same bytes, frame by frame.
 * curl --http2 (TLS 1.3: the encrypted handshake records too) against Node's http2 server.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";
import { decryptedBlocks, tlsWork, tsharkDecryptedBlocks } from "./capture.js";
import { clearKeyLog, loadKeyLogFile, sniff } from "../../src/index.js";

const OK = has("tshark") && has("tcpdump") && has("curl") && has("openssl") && process.getuid?.() === 0;
const work = tlsWork("dump", clearKeyLog);
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "servers", "h2-server.mjs");

describe.skipIf(!OK)("decrypted bytes in -x/-X and packet.decrypted", () => {
  it("equal tshark -x's Decrypted TLS blocks", async () => {
    const { pcap, keys, port } = await work.capture(
      "h2",
      (cert, key, port) => [process.execPath, SERVER, cert, key, String(port)],
      (port) => [["curl", "-sk", "--http2", `https://127.0.0.1:${port}/dump`, "-o", "/dev/null"]],
    );
    const theirs = tsharkDecryptedBlocks(pcap, keys, port);
    expect(theirs.length).toBeGreaterThan(3);
    expect(theirs.join("\n")).toContain("PRI * HTTP/2.0");
    for (const flag of ["-x", "-X"]) {
      const r = tsniff(["-r", pcap, "--keylog", keys, flag]);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(decryptedBlocks(r.stdout.toString()), flag).toEqual(theirs);
    }
    expect(decryptedBlocks(tsniff(["-r", pcap, "--keylog", keys, "-V", "-x"]).stdout.toString())).toEqual(theirs);
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
