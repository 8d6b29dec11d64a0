/**
 * 802.11 and radiotap (link types 105 and 127) against the installed tcpdump and tshark, over the corpus
 * captures with those link types (fixtures/corpus/tcpdump: deauthentication and authentication frames with
 * every reason and status code, beacons, probes, ACKs, protected and QoS data, radiotap extended presence
 * words, MCS fields): tcpdump's -nn, -nn -e (the MAC header) and -nn -v lines, tshark's radiotap.* and wlan.*
 * field values, and every truncation plus seeded byte flips of each distinct frame without a dissector bug.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, groupLines, hasTcpdump, hasTshark, ourFields, readCapture, robustness, tcpdumpLines, type Packet } from "./net-common.js";

/** The link type in a classic pcap file's header (-1 for pcapng or anything else). */
function pcapLinktype(file: string): number {
  const fd = fs.openSync(file, "r");
  try {
    const b = Buffer.alloc(24);
    if (fs.readSync(fd, b, 0, 24, 0) < 24) return -1;
    const m = b.readUInt32LE(0);
    if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) return b.readUInt32LE(20);
    if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) return b.readUInt32BE(20);
    return -1;
  } finally {
    fs.closeSync(fd);
  }
}

const files = fs.existsSync(CORPUS)
  ? fs
      .readdirSync(CORPUS)
      .filter((f) => /\.pcap$/.test(f))
      .map((f) => path.join(CORPUS, f))
      .filter((f) => [105, 127].includes(pcapLinktype(f)))
  : [];

async function compare(flags: string[], opts: { verbose?: number; linkHeader?: boolean }) {
  let lines = 0, equal = 0;
  const diffs: string[] = [];
  const bugs: string[] = [];
  for (const f of files) {
    const r = await readCapture(f, opts);
    bugs.push(...r.bugs);
    const ours = groupLines(r.infos.join("\n").split("\n"));
    const theirs = groupLines(tcpdumpLines(f, flags));
    const n = Math.max(ours.length, theirs.length);
    for (let i = 0; i < n; i++) {
      lines++;
      if (ours[i] === theirs[i]) equal++;
      else diffs.push(`${path.basename(f)}#${i + 1}\n  tcpdump: ${JSON.stringify(theirs[i])}\n  tsniff:  ${JSON.stringify(ours[i])}`);
    }
  }
  return { lines, equal, diffs, bugs };
}

describe.skipIf(files.length === 0)("802.11 and radiotap dissectors", () => {
  it("finds the corpus captures with 802.11 link types", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  for (const [name, flags, opts] of [
    ["-nn", [], {}],
    ["-nn -e", ["-e"], { linkHeader: true }],
    ["-nn -v", ["-v"], { verbose: 1 }],
  ] as const) {
    it.skipIf(!hasTcpdump())(`prints the corpus captures as tcpdump ${name} does`, async () => {
      const r = await compare([...flags], opts);
      expect(r.bugs).toEqual([]);
      console.log(`802.11 ${name}: ${r.equal}/${r.lines} lines identical`);
      expect(r.lines).toBeGreaterThan(150);
      // every line is identical today (IPX in ieee802.11_htc.pcap too, network/ipx.ts): any difference is listed
      expect(r.diffs).toEqual([]);
    }, 300_000);
  }

  const TSHARK_FIELDS = [
    "radiotap.mactime", "radiotap.datarate", "radiotap.channel.freq", "radiotap.dbm_antsignal", "radiotap.dbm_antnoise",
    "radiotap.antenna", "radiotap.quality", "radiotap.db_antsignal", "radiotap.mcs.index",
    "wlan.fc.type_subtype", "wlan.fc.protected", "wlan.fc.retry", "wlan.duration", "wlan.ra", "wlan.ta", "wlan.sa", "wlan.da", "wlan.bssid", "wlan.seq",
    "wlan.fixed.reason_code", "wlan.fixed.status_code", "wlan.fixed.auth.alg", "wlan.fixed.auth_seq", "wlan.fixed.beacon",
    "wlan.fixed.capabilities", "wlan.ssid", "wlan.ds.current_channel",
  ];
  // a sample: every capture that is not one of the 173 one-frame reason/status ones, and a few of those
  const sample = files.filter((f) => !/(reason|status)_code-/.test(path.basename(f)) || /code-(0|1|17|45)\.pcap$/.test(f));

  it.skipIf(!hasTshark())(`has tshark's field values (${sample.length} captures)`, async () => {
    const diffs: string[] = [];
    let compared = 0;
    const want = new Set(TSHARK_FIELDS);
    for (const f of sample) {
      const { packets } = await readCapture(f);
      let out = "";
      try {
        out = execFileSync("tshark", ["-r", f, "-T", "fields", "-E", "separator=|", "-E", "occurrence=f", ...TSHARK_FIELDS.flatMap((x) => ["-e", x])], {
          stdio: ["ignore", "pipe", "ignore"],
          maxBuffer: 1 << 26,
        }).toString("latin1");
      } catch (e) {
        out = ((e as { stdout?: Buffer }).stdout ?? Buffer.alloc(0)).toString("latin1");
      }
      const rows = out.split("\n").filter((l) => l !== "");
      rows.forEach((row, i) => {
        if (i >= packets.length) return;
        const cols = row.split("|");
        const ours = ourFields(packets[i], want);
        TSHARK_FIELDS.forEach((name, j) => {
          let theirs = cols[j] ?? "";
          const mine = ours.get(name)?.[0];
          if (theirs === "" || mine === undefined) return;
          // tshark shows an SSID as hex, and an empty (wildcard) one as <MISSING>
          if (name === "wlan.ssid") theirs = theirs === "<MISSING>" ? "" : /^[0-9a-f]*$/.test(theirs) ? Buffer.from(theirs, "hex").toString("latin1") : theirs;
          compared++;
          let ok: boolean;
          if (typeof mine === "number") ok = (/^0x/i.test(theirs) ? parseInt(theirs, 16) : Number(theirs)) === mine;
          else if (typeof mine === "boolean") ok = (theirs === "1" || theirs === "True") === mine;
          else ok = mine === theirs;
          if (!ok) diffs.push(`${path.basename(f)} #${i + 1} ${name}: tshark ${theirs}, tsniff ${String(mine)}`);
        });
      });
    }
    expect(diffs.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(500);
  }, 300_000);

  it("survives every truncation and seeded byte flips of its frames", async () => {
    // one frame of each distinct shape (radiotap presence words and 802.11 frame control) from the corpus
    const seen = new Set<string>();
    const frames: Packet[] = [];
    for (const f of files) {
      const { packets } = await readCapture(f);
      for (const p of packets) {
        const rlen = p.linktype === 127 ? p.data[2] | (p.data[3] << 8) : 0;
        const key = `${p.linktype}:${Buffer.from(p.data.subarray(4, 8)).toString("hex")}:${p.data[rlen] ?? -1}:${(p.data[rlen + 1] ?? 0) & 0x43}`;
        if (seen.has(key)) continue;
        seen.add(key);
        frames.push(p);
      }
    }
    expect(frames.length).toBeGreaterThan(5);
    const problems = robustness(frames, { flips: 200, seed: 0x80211 });
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});
