/**
 * An IPv4 link type or ethertype carrying a header whose version is not 4: the line is tcpdump's ("IP6, wrong
 * link-layer encapsulation (invalid)" for 6, "IPn (invalid)" otherwise) at -nn, -v and -e, compared with a live
 * tcpdump on crafted frames; a version 6 header is still handed on to IPv6 for the tree (as Wireshark does).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { differing } from "../helpers/tcpdump-packets.js";
import { HAVE_TCPDUMP, ipFrame, readCapture, writePcap } from "./app-common.js";

describe("IPv4 header with another version", () => {
  it.skipIf(!HAVE_TCPDUMP)("prints tcpdump's line for versions 0-15 except 4, at -nn, -v and -e", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-ipver-"));
    try {
      const file = path.join(dir, "versions.pcap");
      const frames: Uint8Array[] = [];
      for (let v = 0; v < 16; v++) {
        if (v === 4) continue;
        const f = ipFrame("udp", 5000 + v, 53, "version test");
        f[14] = (v << 4) | (f[14] & 0x0f);
        frames.push(f);
      }
      writePcap(file, frames);
      let compared = 0;
      for (const mode of ["-nn", "-v", "-e"] as const) {
        const r = await differing(file, mode);
        expect(r.diffs, mode).toEqual([]);
        compared += r.compared;
      }
      expect(compared).toBe(45);
      const { lines } = await readCapture(file);
      expect(lines[5]).toBe("IP6, wrong link-layer encapsulation (invalid)");
      expect(lines[4]).toBe("IP5 (invalid)");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
