/** NTP: "NTPv4, Client, length 48" and Wireshark's ntp.* fields. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, fixture, HAVE_TCPDUMP, standardSuite, verboseDiff } from "./app-common.js";

await standardSuite({
  id: "ntp",
  files: ["ntp/ntp.pcap"],
  fields: ["ntp.flags.li", "ntp.flags.vn", "ntp.flags.mode", "ntp.stratum", "ntp.ppoll", "ntp.precision", "ntp.rootdelay", "ntp.rootdispersion"],
  ids: ["ntp"],
  corpus: /^ntp/,
  minCompared: 20,
});

describe("ntp: -v, -vv output matches tcpdump", () => {
  const files = [fixture("ntp/ntp.pcap"), ...["ntp.pcap", "ntp-time.pcap", "ntp-time-ef.pcap", "ntp-control.pcap", "ntp-mode7.pcap"].map((f) => `${CORPUS}/${f}`)];
  for (const f of files) {
    it.skipIf(!HAVE_TCPDUMP || !fs.existsSync(f))(path.basename(f), async () => {
      for (const v of [1, 2]) {
        const { compared, diffs } = await verboseDiff(f, v, ["ntp"]);
        expect(diffs).toEqual([]);
        expect(compared).toBeGreaterThan(0);
      }
    });
  }
});
