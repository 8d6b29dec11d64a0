/**
 * tcp.stream and udp.stream numbered as tshark numbers them: every packet of fixture and corpus captures
 * through one Dissector in this process, compared frame by frame with tshark -T fields on the same file; and
 * through the CLI: -Y 'tcp.stream == 1', -T fields and -T json against tshark's counts and values.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES } from "../helpers/paths.js";
import { has, tsniff } from "../helpers/run.js";
import { fieldsOf } from "./sweep.js";

const TSHARK = has("tshark");

function tsharkStreams(file: string): Map<number, [string, string]> {
  const out = execFileSync("tshark", ["-r", file, "-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e", "udp.stream"], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }).toString();
  const m = new Map<number, [string, string]>();
  for (const l of out.split("\n")) {
    if (!l) continue;
    const [n, t, u] = l.split("\t");
    m.set(Number(n), [t, u ?? ""]);
  }
  return m;
}

// Fixtures with several conversations each way, and corpus captures with the most TCP/UDP conversations
// (kday*: ports reused with new initial sequence numbers, BGP sessions, afs's many UDP flows).
const FILES = [
  ...["http/http.pcap", "dns/dns-tcp.pcap", "dns/dns-udp.pcap", "quic/quic.pcap"].map((f) => path.join(FIXTURES, f)),
  ...["kday4.pcap", "kday7.pcap", "bgp-4byte-asn.pcap", "afs.pcap", "babel_update_oobr.pcap"].map((f) => path.join(CORPUS, f)),
].filter((f) => fs.existsSync(f));

describe.skipIf(!TSHARK)("tcp.stream / udp.stream against tshark", { timeout: 300_000 }, () => {
  it("every frame's stream numbers equal tshark's (in-process sweep)", async () => {
    let compared = 0;
    let theirs = 0;
    const problems: string[] = [];
    for (const file of FILES) {
      const want = tsharkStreams(file);
      const ours = await fieldsOf(file, ["tcp.stream", "udp.stream"]);
      for (const [n, [t, u]] of want) {
        const o = ours[n - 1];
        const ot = (o?.get("tcp.stream") ?? []).join(",");
        const ou = (o?.get("udp.stream") ?? []).join(",");
        if (t) theirs++;
        if (u) theirs++;
        // tshark also numbers headers tsniff does not dissect as TCP/UDP (quoted in ICMP errors, reassembled IP
        // fragments, some tunnels): only the numbers tsniff gives are compared, and they must be tshark's.
        if (ot) compared++;
        if (ou) compared++;
        if ((ot && ot !== t) || (ou && ou !== u)) problems.push(`${path.basename(file)} frame ${n}: tshark tcp=${t} udp=${u}, ours tcp=${ot} udp=${ou}`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(theirs * 0.8);
  });

  it("http.pcap: -Y 'tcp.stream == 1' shows as many packets as tshark, -T fields the same numbers", () => {
    const file = path.join(FIXTURES, "http/http.pcap");
    const want = execFileSync("tshark", ["-r", file, "-Y", "tcp.stream == 1"], { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n").filter(Boolean).length;
    expect(want).toBeGreaterThan(0);
    const r = tsniff(["-nn", "-r", file, "-Y", "tcp.stream == 1"]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString().split("\n").filter(Boolean).length).toBe(want);
    const f = tsniff(["-r", file, "-T", "fields", "-e", "tcp.stream"]);
    const tf = execFileSync("tshark", ["-r", file, "-T", "fields", "-e", "tcp.stream"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    expect(f.stdout.toString()).toBe(tf);
  });

  it("-T json carries tcp.stream and udp.stream", () => {
    const file = path.join(FIXTURES, "dns/dns-udp.pcap");
    const r = tsniff(["-r", file, "-T", "json"]);
    const ours = r.stdout.toString().split("\n").filter(Boolean).map((l) => JSON.stringify(l).includes("udp.stream") ? (JSON.parse(l) as unknown) : null);
    expect(ours.filter(Boolean).length).toBeGreaterThan(0);
    const want = tsharkStreams(file);
    const vals = r.stdout.toString().split("\n").filter(Boolean).map((l) => /"udp\.stream":\s*"?(\d+)/.exec(l)?.[1] ?? "");
    vals.forEach((v, i) => expect(v, `frame ${i + 1}`).toBe(want.get(i + 1)![1]));
  });
});
