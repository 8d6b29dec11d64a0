/**
 * Where tshark and tcpdump decode a capture differently, `-T fields` follows tshark (test/output/
 * fields-fidelity.test.ts) while the one-line output stays tcpdump's. Both programs run on the same corpus
 * files with the same flags (-nn, -nn -v, -nn -e); nothing of tcpdump's output is written down here:
 *   - ERSPAN in GRE: tcpdump 4.99 prints "gre-proto-0x88be" (the mirrored frame is in the tree only)
 *   - WCCP redirection in GRE: tcpdump prints "gre-proto-0x883e"
 *   - OTV on UDP port 8472: tcpdump prints the inner frame (tshark does not decode it)
 *   - an IPv4 total length of 0 (TSO, BIG TCP): tcpdump says "bad-len 0" and stops, tshark dissects on
 *   - records longer than the snapshot length: tcpdump sees them cut (frame.cap_len is the record's)
 * Needs the build (bin/tsniff runs dist/).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, ROOT } from "../helpers/paths.js";

const TSNIFF = path.join(ROOT, "bin", "tsniff");
const ENV = { ...process.env, TZ: "UTC" };
const ok =
  spawnSync("tcpdump", ["--version"]).status === 0 && fs.existsSync(CORPUS) && fs.existsSync(path.join(ROOT, "dist", "clib", "main.js"));

function run(cmd: string, args: string[]): { out: string; status: number | null; err: string } {
  const r = spawnSync(cmd, args, { encoding: "latin1", env: ENV, maxBuffer: 1 << 26 });
  return { out: r.stdout, status: r.status, err: r.stderr };
}

export const LINE_FILES = [
  "erspan-type-i-1.pcap",
  "erspan-type-ii-1.pcap",
  "erspan-type-ii-3.pcap",
  "erspan-type-iii-ft-0.pcap",
  "vxlan_port_8472.pcap",
  "bootp_asan.pcap",
  "bigtcp-ipv4.pcap",
  "bigtcp-ipv4-vxlan-ipv4.pcap",
  "icmp-length-zero.pcapng",
  "ipv4_tcp_http_xml_tso.pcap",
  "wccp_redirect_gre.pcap",
  "accecn_handshake.pcap",
  "mtrace.pcap",
];

describe.skipIf(!ok)("the one-line output stays tcpdump's where -T fields follows tshark", () => {
  for (const f of LINE_FILES) {
    it(f, () => {
      const file = path.join(CORPUS, f);
      for (const flags of [["-nn"], ["-nn", "-v"], ["-nn", "-e"]]) {
        const theirs = run("tcpdump", [...flags, "-r", file]);
        expect(theirs.out.length).toBeGreaterThan(0);
        const ours = run(process.execPath, [TSNIFF, ...flags, "-r", file]);
        expect(ours.status, ours.err).toBe(0);
        expect(ours.out.split("\n"), `${flags.join(" ")} ${f}`).toEqual(theirs.out.split("\n"));
      }
    }, 120_000);
  }
});
