/**
 * SIP on UDP 5060: tcpdump's "SIP: <first line>" and its -v text lines. The corpus has no SIP, so the test
 * makes real SIP traffic: a call (INVITE, 100 Trying, 180 Ringing, 200 OK, ACK, BYE, 200 OK) over UDP and a
 * REGISTER over TCP between two network namespaces, captured by tsniff itself (-w); the capture is then
 * compared with a live tcpdump (-nn, -v, -vv) and with tshark's sip.* fields. Crafted messages cover line
 * endings, binary bodies and cut packets; robustness.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareFields, HAVE_TCPDUMP, HAVE_TSHARK, ipFrame, readCapture, robustness, tcpdumpEscape, tcpdumpLines, verboseDiff, writePcap } from "./app-common.js";
import { canUseNetns, createNsPair, type NsPair } from "../helpers/netns.js";
import { collect, sleep, tsniffBg, waitForStderr } from "../helpers/run.js";

const FIELDS = [
  "sip.Request-Line",
  "sip.Method",
  "sip.r-uri",
  "sip.Status-Line",
  "sip.Status-Code",
  "sip.Reason-Phrase",
  "sip.Via",
  "sip.From",
  "sip.from.addr",
  "sip.from.tag",
  "sip.To",
  "sip.to.addr",
  "sip.to.tag",
  "sip.Call-ID",
  "sip.CSeq",
  "sip.CSeq.seq",
  "sip.CSeq.method",
  "sip.Contact",
  "sip.Max-Forwards",
  "sip.Content-Type",
  "sip.Content-Length",
  "sip.User-Agent",
];

const INVITE = [
  "INVITE sip:bob@biloxi.example.com SIP/2.0",
  "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds",
  "Max-Forwards: 70",
  'To: "Bob" <sip:bob@biloxi.example.com>',
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
  "Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
  "CSeq: 314159 INVITE",
  "Contact: <sip:alice@pc33.atlanta.example.com>",
  "User-Agent: tsniff-test",
  "Content-Type: application/sdp",
  "Content-Length: 43",
  "",
  "v=0\r\no=alice 2890844526 2890844526 IN IP4 x",
].join("\r\n");

function crafted(): string[] {
  return [
    INVITE,
    "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9\r\nTo: <sip:bob@b>;tag=a6c85cf\r\nFrom: <sip:alice@a>;tag=1928\r\nCall-ID: x@y\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\nVia: SIP/2.0/UDP lf-only\nf: sip:a@b;tag=9\nt: sip:c@d\ni: compact@form\nl: 0\n\n",
    "REGISTER sip:registrar.example.com SIP/2.0\r\nVia: SIP/2.0/UDP x\r\nCSeq: 2 REGISTER",
    "BYE sip:bob@b SIP/2.0\r\nVia: tab\there\r\nX-Binary: \u0001\u0002\r\nTo: <sip:bob@b>\r\n\r\n",
    "SIP/2.0 200 OK\r\nCR alone\rin the middle\r\n\r\n",
    "SIP/2.0 486 Busy Here\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\n\u0000\u00ff\u0010binary",
    "INVITE sip:x SIP/2.0\r",
    "not sip at all \u00e9\r\n",
    "\r\n\r\n",
    "x",
    ...["ACK", "bye", "CANCEL", "DO", "INFO", "MESSAGE", "NOTIFY", "PRACK", "QAUTH", "REFER", "SPRACK", "SUBSCRIBE", "UPDATE", "PUBLISH", "FOO", "GET", "INVITE\t", "INVITE"].map((m) => `${m} sip:x@y SIP/2.0\r\nCSeq: 1 ${m}\r\n\r\n`),
    "ACK\r\n",
    "SIP/2.0 200\r\n",
    "SIP/2.0   404 Not Found\r\n",
    "SIP/2.0 2000 Big\r\n",
    "HTTP/1.1 200 OK\r\n",
    "SIP/2.0 20x OK\r\n",
    "A".repeat(127) + " 200 ok\r\n",
    "A".repeat(128) + " 200 ok\r\n",
  ];
}

const frames = (): Uint8Array[] => crafted().map((s, i) => (i % 2 ? ipFrame("udp", 5060, 41000 + i, s) : ipFrame("udp", 41000 + i, 5060, s)));

async function withPcap(frs: Uint8Array[], fn: (file: string) => Promise<void>, wire?: number[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-sip-"));
  try {
    const f = path.join(dir, "s.pcap");
    writePcap(f, frs);
    if (wire) {
      const b = fs.readFileSync(f);
      let o = 24;
      for (const w of wire) {
        const cap = b.readUInt32LE(o + 8);
        b.writeUInt32LE(w, o + 12);
        o += 16 + cap;
      }
      fs.writeFileSync(f, b);
    }
    await fn(f);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("sip: crafted messages match tcpdump", () => {
  it.skipIf(!HAVE_TCPDUMP)("-nn, -v and -vv", async () => {
    await withPcap(frames(), async (f) => {
      const { lines, layers } = await readCapture(f);
      expect(layers.every((l) => l.includes("sip"))).toBe(true);
      expect(lines.map(tcpdumpEscape)).toEqual(tcpdumpLines(f));
      for (const v of [1, 2]) {
        const { compared, diffs } = await verboseDiff(f, v, ["sip"]);
        expect(diffs).toEqual([]);
        expect(compared).toBe(crafted().length);
      }
    });
  });
  it.skipIf(!HAVE_TCPDUMP)("cut packets", async () => {
    const frs: Uint8Array[] = [];
    const wire: number[] = [];
    for (const fr of frames()) {
      for (const n of [42, 43, 50, 70, 80, 100, 150, 200]) {
        if (n >= fr.length) continue;
        frs.push(fr.subarray(0, n));
        wire.push(fr.length);
      }
    }
    await withPcap(
      frs,
      async (f) => {
        const { lines } = await readCapture(f);
        expect(lines.map(tcpdumpEscape)).toEqual(tcpdumpLines(f));
        expect((await verboseDiff(f, 1, ["sip"])).diffs).toEqual([]);
      },
      wire,
    );
  });
  it.skipIf(!HAVE_TSHARK)("fields equal tshark's", async () => {
    await withPcap(frames().slice(0, 4), async (f) => {
      const { packets } = await readCapture(f);
      const { diffs, compared } = compareFields(f, packets, FIELDS);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThan(30);
    });
  });
});

/** The UAS (in namespace a) and the UAC (in namespace b): a UDP call and a TCP REGISTER, all bounded. */
const UAS = `
const dgram = require("dgram"), net = require("net");
const s = dgram.createSocket("udp4");
const reply = (req, code, phrase, rinfo) => {
  const h = req.split("\\r\\n").filter((l) => /^(Via|From|To|Call-ID|CSeq):/.test(l)).map((l) => l.startsWith("To:") && code !== 100 ? l + ";tag=8321234356" : l);
  s.send(Buffer.from(["SIP/2.0 " + code + " " + phrase, ...h, "Content-Length: 0", "", ""].join("\\r\\n")), rinfo.port, rinfo.address);
};
s.on("message", (m, rinfo) => {
  const t = m.toString("latin1");
  if (t.startsWith("INVITE")) { reply(t, 100, "Trying", rinfo); setTimeout(() => reply(t, 180, "Ringing", rinfo), 50); setTimeout(() => reply(t, 200, "OK", rinfo), 100); }
  else if (t.startsWith("BYE")) reply(t, 200, "OK", rinfo);
});
s.bind(5060, process.argv[1]);
const srv = net.createServer((c) => c.on("data", (d) => { const t = d.toString("latin1"); c.end(["SIP/2.0 200 OK", ...t.split("\\r\\n").filter((l) => /^(Via|From|To|Call-ID|CSeq):/.test(l)), "Expires: 3600", "Content-Length: 0", "", ""].join("\\r\\n")); }));
srv.listen(5060, process.argv[1]);
setTimeout(() => process.exit(0), 8000);
console.log("ready");
`;

const UAC = `
const dgram = require("dgram"), net = require("net");
const [srv, me] = [process.argv[1], process.argv[2]];
const s = dgram.createSocket("udp4");
const hdr = (method, cseq, tag) => [
  "Via: SIP/2.0/UDP " + me + ":5070;branch=z9hG4bK" + method.toLowerCase() + cseq,
  "Max-Forwards: 70",
  "To: <sip:bob@" + srv + ">" + (tag ? ";tag=8321234356" : ""),
  "From: \\"Alice\\" <sip:alice@" + me + ">;tag=9fxced76sl",
  "Call-ID: 3848276298220188511@" + me,
  "CSeq: " + cseq + " " + method,
  "Contact: <sip:alice@" + me + ":5070>",
  "User-Agent: tsniff-sip-test",
];
const sdp = "v=0\\r\\no=alice 2890844526 2890844526 IN IP4 " + me + "\\r\\ns=-\\r\\nc=IN IP4 " + me + "\\r\\nt=0 0\\r\\nm=audio 49172 RTP/AVP 0\\r\\na=rtpmap:0 PCMU/8000\\r\\n";
const send = (lines) => new Promise((r) => s.send(Buffer.from(lines.join("\\r\\n")), 5060, srv, r));
const wait = (code) => new Promise((r) => { const on = (m) => { if (m.toString().startsWith("SIP/2.0 " + code)) { s.off("message", on); r(); } }; s.on("message", on); });
s.bind(5070, me, async () => {
  const ok = wait(200);
  await send(["INVITE sip:bob@" + srv + " SIP/2.0", ...hdr("INVITE", 1), "Content-Type: application/sdp", "Content-Length: " + sdp.length, "", sdp]);
  await ok;
  await send(["ACK sip:bob@" + srv + " SIP/2.0", ...hdr("ACK", 1, true), "Content-Length: 0", "", ""]);
  const bye = wait(200);
  await send(["BYE sip:bob@" + srv + " SIP/2.0", ...hdr("BYE", 2, true), "Content-Length: 0", "", ""]);
  await bye;
  s.close();
  const c = net.connect({ host: srv, port: 5060 }, () => c.write(["REGISTER sip:" + srv + " SIP/2.0", "Via: SIP/2.0/TCP " + me + ";branch=z9hG4bKreg", "To: <sip:alice@" + srv + ">", "From: <sip:alice@" + srv + ">;tag=456248", "Call-ID: reg-843817637684230@" + me, "CSeq: 1826 REGISTER", "Contact: <sip:alice@" + me + ">", "Content-Length: 0", "", ""].join("\\r\\n")));
  c.on("data", () => c.end());
  c.on("close", () => process.exit(0));
  setTimeout(() => process.exit(1), 4000);
});
`;

describe.skipIf(!canUseNetns() || !HAVE_TCPDUMP)("sip: a real call between two namespaces, captured by tsniff", () => {
  let net: NsPair;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    net = createNsPair("sip", 213);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsn-sip-live-"));
    fs.chmodSync(dir, 0o777);
    file = path.join(dir, "call.pcap");
    const cap = tsniffBg(["-i", net.ifA, "-w", file, "port 5060"], { ns: net.a });
    const capDone = collect(cap);
    await waitForStderr(cap, "listening on");
    const uas = spawn("ip", ["netns", "exec", net.a, process.execPath, "-e", UAS, net.ipA], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("UAS did not start")), 5000);
        uas.stdout.on("data", (d: Buffer) => {
          if (d.toString().includes("ready")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      execFileSync("ip", ["netns", "exec", net.b, process.execPath, "-e", UAC, net.ipA, net.ipB], { timeout: 10_000, stdio: "inherit" });
      await sleep(300);
    } finally {
      uas.kill("SIGTERM");
      cap.kill("SIGINT");
    }
    const r = await capDone;
    expect(r.code, r.stderr).toBe(0);
  }, 30_000);
  afterAll(() => {
    net?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the capture prints as tcpdump prints it (-nn, -v, -vv)", async () => {
    const { lines, layers } = await readCapture(file);
    const td = tcpdumpLines(file);
    expect(lines.map(tcpdumpEscape)).toEqual(td);
    const sipLines = lines.filter((l, i) => layers[i].includes("sip") && / > .*: SIP: /.test(l));
    // INVITE, 100, 180, 200, ACK, BYE, 200 over UDP
    expect(sipLines.length).toBe(7);
    expect(sipLines[0]).toMatch(/SIP: INVITE sip:bob@10\.203\.213\.1 SIP\/2\.0$/);
    for (const v of [1, 2]) {
      const { compared, diffs } = await verboseDiff(file, v, ["sip"]);
      expect(diffs).toEqual([]);
      expect(compared).toBeGreaterThanOrEqual(8);
    }
  });

  it.skipIf(!HAVE_TSHARK)("sip.* fields equal tshark's (UDP and the TCP REGISTER)", async () => {
    const { packets } = await readCapture(file);
    const { diffs, compared } = compareFields(file, packets, FIELDS);
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(60);
    const methods = execFileSync("tshark", ["-r", file, "-Y", "sip.Method", "-T", "fields", "-e", "sip.Method"]).toString().trim().split("\n");
    expect(methods).toEqual(["INVITE", "ACK", "BYE", "REGISTER"]);
  });
});

describe("sip: robustness", () => {
  it("every truncation and seeded byte flips", () => {
    const frs = frames().map((data) => ({ data, linktype: 1, wirelen: data.length }));
    expect(robustness(frs, { flips: 10 })).toEqual([]);
  });
});
