/** -Y in the pipeline: it selects what is printed, written (-w) and counted (-c), after the BPF filter. */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, sh, tsniff } from "../helpers/run.js";

const DNS = path.join(ROOT, "fixtures", "dns", "dns-udp.pcap");

describe("-Y in the pipeline", () => {
  it("-c counts the packets the display filter shows", () => {
    const r = tsniff(["-nn", "-c", "2", "-Y", "dns.flags.response == 1", "-r", DNS]);
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines.length).toBe(2);
    for (const l of lines) expect(l).toMatch(/ > 10\.202\.0\.1\.\d+: \d+\*? /);
  });

  it("-w writes only what -Y selects, after the capture filter", () => {
    const out = path.join(os.tmpdir(), `tsniff-y-${process.pid}.pcap`);
    try {
      const r = tsniff(["-r", DNS, "-w", out, "-Y", "dns.qry.type == 28", "udp port 53"]);
      expect(r.status, r.stderr.toString()).toBe(0);
      const ours = sh("tshark", ["-r", out, "-T", "fields", "-e", "dns.qry.type"]).stdout.toString().trim().split("\n");
      const all = sh("tshark", ["-r", DNS, "-Y", "dns.qry.type == 28", "-T", "fields", "-e", "dns.qry.type"]).stdout.toString().trim().split("\n");
      expect(ours.length).toBeGreaterThan(0);
      expect(ours).toEqual(all);
    } finally {
      fs.rmSync(out, { force: true });
    }
  });

  it("a bad display filter fails before reading, with the position", () => {
    const r = tsniff(["-Y", "ip.src == ", "-r", DNS]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString().trim()).toMatch(/^tsniff: display filter error at \d+: /);
    const u = tsniff(["-T", "fields", "-e", "no.such.field", "-r", DNS]);
    expect(u.status).toBe(1);
    expect(u.stderr.toString().trim().split("\n").length).toBe(1);
  });
});
