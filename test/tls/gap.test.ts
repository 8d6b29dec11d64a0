/**
 * TLS decryption after lost TCP segments (issue #16): real TLS 1.3 and TLS 1.2 AES-GCM transfers (Node's https
 * server, curl with SSLKEYLOGFILE, eight 40 KB responses on one connection, captured on a 1500-byte MTU
 * loopback in a namespace), then copies of the capture without one segment inside a record, one holding a
 * record boundary, and a run of four, as tcpdump's drops lose them (the receiver acknowledges past them).
 *
 * The whole capture: tsniff's decrypted records, frame by frame, equal tshark's. A lossy copy: equal to tshark's
 * up to the gap; after it tshark 4.0 decrypts nothing more in that direction (its record sequence number stays
 * behind: checked here, so a tshark that recovers shows up), so the oracle is the whole capture: tsniff decrypts
 * every record of it but those with a lost byte, the same plaintexts in the same order, and counts the lost ones.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { has } from "../helpers/run.js";
import { fieldsOf } from "../stream/sweep.js";
import { addKeyLogText, clearKeyLog } from "../../src/tls/keylog.js";
import { tlsCounts } from "../../src/tls/session.js";
import { captureTls, freePort, loopbackNs, makeCert, tlsWork } from "./capture.js";
import { dropSegments } from "./drop.js";

const OK = has("tshark") && has("tcpdump") && has("curl") && process.getuid?.() === 0;
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "servers", "bulk-server.mjs");
/**
 * Per frame: how many application data records were decrypted (tls.app_data_proto, one per record) and the
 * request URIs (HTTP's responses span records: tshark shows them where the body ends, tsniff on their first
 * record, a difference of HTTP's own, not of the decryption)
 */
const NAMES = ["tls.app_data_proto", "http.request.uri"];

let ns: ReturnType<typeof loopbackNs> | null = null;
const work = tlsWork("gap", () => {
  clearKeyLog();
  ns?.destroy();
});
afterAll(() => ns?.destroy());

function tsharkRows(file: string, keys: string, port: number): string[] {
  const args = ["-r", file, "-o", `tls.keylog_file:${keys}`, "-d", `tcp.port==${port},tls`, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", ...NAMES.flatMap((n) => ["-e", n])];
  const out = execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).toString("latin1");
  return rowsOf(out.split("\n").slice(0, -1).map((l) => l.split("\t")));
}

/** "frame: records | uris" for the frames with either. */
function rowsOf(rows: string[][]): string[] {
  return rows.map((r, i) => (r[0] || r[1] ? `${i + 1}: ${r[0] ? r[0].split(",").length : 0} | ${r[1]}` : "")).filter(Boolean);
}

/** tsniff's rows (as tshark's), the decrypted records' lengths from the server in order, and the records it told lost. */
async function ours(file: string, keys: string, port: number): Promise<{ rows: string[]; lengths: number[]; lost: number }> {
  clearKeyLog();
  addKeyLogText(fs.readFileSync(keys, "latin1"));
  const lost0 = tlsCounts.lost;
  const rows = await fieldsOf(file, [...NAMES, "tls.decrypted.length", "tcp.srcport"], { reassembly: {} });
  clearKeyLog();
  const lengths = rows.filter((m) => m.get("tcp.srcport")?.[0] === String(port)).flatMap((m) => (m.get("tls.decrypted.length") ?? []).map(Number));
  return { rows: rowsOf(rows.map((m) => NAMES.map((n) => (m.get(n) ?? []).join(",")))), lengths, lost: tlsCounts.lost - lost0 };
}

/** tshark -x's count of decrypted records. */
function tsharkDecrypted(file: string, keys: string): number {
  const out = execFileSync("tshark", ["-r", file, "-o", `tls.keylog_file:${keys}`, "-x"], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).toString("latin1");
  return out.split("\n").filter((l) => l.startsWith("Decrypted TLS (")).length;
}

const VERSIONS = [
  { name: "TLS 1.3 AES-256-GCM", env: { TLS_VERSION: "TLSv1.3", TLS_CIPHERS: "" }, curl: ["--tlsv1.3", "--tls13-ciphers", "TLS_AES_256_GCM_SHA384"] },
  { name: "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", env: { TLS_VERSION: "TLSv1.2", TLS_CIPHERS: "ECDHE-RSA-AES128-GCM-SHA256" }, curl: ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256"] },
];

describe.skipIf(!OK)("TLS decryption after lost segments, against tshark", () => {
  for (const v of VERSIONS) {
    it(`${v.name}: a segment lost inside a record, at a record boundary, four in a row`, async () => {
      ns ??= loopbackNs("gap");
      // 1500-byte segments, as on a real link (no segmentation offload on the namespace's loopback)
      spawnSync("ip", ["-n", ns.name, "link", "set", "lo", "mtu", "1500"], { stdio: "ignore" });
      spawnSync("ip", ["netns", "exec", ns.name, "ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off"], { stdio: "ignore" });
      const { cert, key } = makeCert(work.dir);
      const port = freePort();
      const base = path.join(work.dir, v.name.replace(/\W+/g, "_"));
      Object.assign(process.env, v.env);
      const urls = Array.from({ length: 8 }, (_, i) => `https://127.0.0.1:${port}/r${i}`);
      await captureTls(base + ".pcap", base + ".keys", port, ["node", SERVER, cert, key, String(port)], [["curl", "-sk", ...v.curl, ...urls.flatMap((u) => [u, "-o", "/dev/null"])]], { ns: ns.name });
      const whole = tsharkRows(base + ".pcap", base + ".keys", port);
      expect(whole.filter((l) => l.includes("/r")).length).toBe(8); // the capture is whole: tshark decrypts every request
      const all = await ours(base + ".pcap", base + ".keys", port);
      expect(all.rows).toEqual(whole);
      expect(all.lost).toBe(0);
      const count = (rows: string[]) => rows.reduce((a, l) => a + Number(l.split(": ")[1].split(" |")[0]), 0);
      for (const how of ["within", "boundary", "run"] as const) {
        const lossy = `${base}-${how}.pcap`;
        const gone = await dropSegments(base + ".pcap", lossy, port, how);
        const theirs = tsharkRows(lossy, base + ".keys", port);
        if (process.env.GAP_KEEP) for (const f of [lossy, base + ".keys"]) fs.copyFileSync(f, path.join(process.env.GAP_KEEP, path.basename(f)));
        const got = await ours(lossy, base + ".keys", port);
        // up to the first lost frame: frame by frame as tshark (the frames after it are numbered one less)
        const first = gone.frames[0];
        const before = (rows: string[]) => rows.filter((l) => Number(l.split(":")[0]) < first);
        expect({ how, rows: before(got.rows) }).toEqual({ how, rows: before(theirs) });
        // every request (the client's direction has no gap) where tshark has it
        const uris = (rows: string[]) => rows.filter((l) => l.includes("/r"));
        expect({ how, uris: uris(got.rows) }).toEqual({ how, uris: uris(theirs) });
        // after the gap: every record of the whole capture but the lost ones, the same plaintext lengths in order
        expect(gone.records).toBeGreaterThan(0);
        expect({ how, n: got.lengths.length }).toEqual({ how, n: all.lengths.length - gone.records });
        const at = all.lengths.findIndex((_, i) => [...all.lengths.slice(0, i), ...all.lengths.slice(i + gone.records)].join() === got.lengths.join());
        expect({ how, at: at >= 0 }).toEqual({ how, at: true });
        expect({ how, lost: got.lost }).toEqual({ how, lost: gone.records });
        expect(count(got.rows)).toBe(count(whole) - gone.records);
        // tshark 4.0 (on this machine) decrypts fewer: nothing after the gap in the server's direction
        expect(tsharkDecrypted(lossy, base + ".keys")).toBeLessThan(tsharkDecrypted(base + ".pcap", base + ".keys") - gone.records);
      }
    }, 240_000);
  }
});
