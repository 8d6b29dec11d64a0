/**
 * TLS 1.3 KeyUpdate (RFC 8446 4.6.3): openssl s_client sends one with its `k` command (update_not_requested)
 * and `K` (update_requested: the server answers with its own) between lines echoed by openssl s_server -rev.
 * Decryption goes on after each update, in both directions: tsniff's decrypted records (-x's "Decrypted TLS"
 * blocks, the KeyUpdate messages among them) equal tshark's on the same capture and key log, and the lines
 * sent after the updates are in them.
 */
import { describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";
import { decryptedBlocks, tlsWork, tsharkDecryptedBlocks } from "./capture.js";

const OK = has("tshark") && has("tcpdump") && has("openssl") && process.getuid?.() === 0;
const work = tlsWork("ku");

describe.skipIf(!OK)("TLS 1.3 KeyUpdate", () => {
  it("records after each key update decrypt, both ways, as tshark's", async () => {
    // each line of the client's input on its own, with time for the echo: k and K are s_client's commands
    const lines = ["hello-before", "k", "hello-after", "K", "third-line"];
    const input = `(sleep 1; ${lines.map((l) => `printf '%s\\n' ${l}; sleep 0.7`).join("; ")}; sleep 1)`;
    const { pcap, keys, port } = await work.capture(
      "ku",
      (cert, key, port) => ["openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-cert", cert, "-key", key, "-tls1_3", "-rev", "-quiet"],
      (port) => [["bash", "-c", `${input} | openssl s_client -connect 127.0.0.1:${port} -tls1_3 -keylogfile "$SSLKEYLOGFILE" >/dev/null 2>&1`]],
    );
    const theirs = tsharkDecryptedBlocks(pcap, keys, port);
    // the test's traffic is what it means: three KeyUpdate messages (k, K and the server's answer to K), and
    // the server's reversed lines after them
    const updates = theirs.filter((b) => /^0000 {2}18 00 00 01 0[01]/m.test(b));
    expect(updates.length).toBe(3);
    const text = theirs.join("\n");
    for (const l of ["erofeb-olleh", "retfa-olleh", "enil-driht"]) expect(text).toContain(l.slice(0, 8));
    const r = tsniff(["-r", pcap, "--keylog", keys, "-x"]);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(decryptedBlocks(r.stdout.toString())).toEqual(theirs);
    expect(r.stderr.toString()).toContain(" 0 not decryptable");
  }, 120_000);
});
