/** examples/: each plugin against the fixtures (exact output) and against loopback traffic the test makes. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/index.js";
import { collect, ROOT, tsniff, TSNIFF } from "../helpers/run.js";

const ex = (name: string) => path.join(ROOT, "examples", name);
const fx = (f: string) => path.join(ROOT, "fixtures", f);
const ROOTED = process.getuid?.() === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-examples-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const lines = (b: Buffer | string) => b.toString().trimEnd().split("\n").filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PORT = 43000 + (process.pid % 1000);
function hasTshark(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v tshark"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** tsniff on loopback with a script; resolves once it listens. */
async function live(script: string, filter: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; done: ReturnType<typeof collect> }> {
  const child = spawn(process.execPath, [TSNIFF, "-i", "lo", "--script", script, filter], { env: { ...process.env, TZ: "UTC", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const done = collect(child);
  await new Promise<void>((resolve) => {
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) resolve();
    });
  });
  await sleep(300);
  return { child, done };
}
async function finish(x: { child: ChildProcess; done: ReturnType<typeof collect> }) {
  await sleep(1200); // libpcap delivers buffered packets within its timeout
  x.child.kill("SIGINT");
  return x.done;
}

describe("examples/http-log.ts", () => {
  it("logs method, host, path, status and latency from the fixture", () => {
    const r = tsniff(["-r", fx("http/http.pcap"), "--script", ex("http-log.ts")]);
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.replace(/ [\d.]+ ms$/, ""))).toEqual([
      "GET 10.202.0.2 / 200",
      "GET 10.202.0.2 /big 200",
      "POST 10.202.0.2 /submit 201",
      "GET 10.202.0.2 /missing 404",
      "HEAD 10.202.0.2 / 200",
      "GET 10.202.0.2:8080 / 200",
      "GET 10.202.0.2:8000 / 200",
    ]);
    // The latency is tshark's http.time: from the request to the frame that completes the response (its
    // reassembled body for /big).
    if (hasTshark()) {
      const t = execFileSync("tshark", ["-r", fx("http/http.pcap"), "-Y", "http.response", "-T", "fields", "-e", "http.time"], { stdio: ["ignore", "pipe", "ignore"] });
      const times = lines(t).map((s) => `${(Number(s) * 1000).toFixed(3)} ms`);
      expect(out.map((l) => l.replace(/^.* ([\d.]+ ms)$/, "$1"))).toEqual(times);
    }
  });

  it.skipIf(!ROOTED)("logs live requests on loopback", async () => {
    const port = PORT;
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === "/missing" ? 404 : 200;
      res.end("hello");
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    const x = await live(ex("http-log.ts"), `tcp port ${port}`);
    for (const p of ["/a", "/missing", "/b?x=1"]) {
      await fetch(`http://127.0.0.1:${port}${p}`, { headers: { connection: "close" } }).then((r) => r.text());
    }
    const r = await finish(x);
    server.close();
    const out = lines(r.stdout).map((l) => l.replace(/ [\d.]+ ms$/, " T ms"));
    expect(out).toEqual([`GET 127.0.0.1:${port} /a 200 T ms`, `GET 127.0.0.1:${port} /missing 404 T ms`, `GET 127.0.0.1:${port} /b?x=1 200 T ms`]);
  });
});

/** A DNS query for name (type A) and its answer (one A record) as UDP payloads. */
function dnsQuery(id: number, name: string): Buffer {
  const q = Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0, 0, 1, 0, 1])]);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  return Buffer.concat([h, q]);
}
function dnsAnswer(query: Buffer, addr: string): Buffer {
  const r = Buffer.from(query);
  r.writeUInt16BE(0x8180, 2);
  r.writeUInt16BE(1, 6);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...addr.split(".").map(Number)]);
  return Buffer.concat([r, rr]);
}

describe("examples/dns-log.ts", () => {
  it("logs queries and answers from the fixture", () => {
    const r = tsniff(["-r", fx("dns/dns-udp.pcap"), "--script", ex("dns-log.ts")]);
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    expect(out.slice(0, 4)).toEqual([
      "query 0x6d9e 10.202.0.1 host1.bench.test A",
      "answer 0x6d9e 10.202.0.1 host1.bench.test NOERROR 10.202.0.10 17.546 ms",
      "query 0xa1c0 10.202.0.1 host1.bench.test AAAA",
      "answer 0xa1c0 10.202.0.1 host1.bench.test NOERROR fd01:202::10 8.902 ms",
    ]);
    expect(out.length).toBe(26);
    expect(out.filter((l) => l.startsWith("query")).length).toBe(13);
  });

  it.skipIf(!ROOTED)("logs a live query and answer on loopback", async () => {
    // DNS is recognised by port 53: a server on its own loopback address keeps clear of any local resolver.
    const port = 53;
    const addr = "127.0.0.153";
    const server = dgram.createSocket("udp4");
    server.on("message", (m, rinfo) => server.send(dnsAnswer(m, "10.9.8.7"), rinfo.port, rinfo.address));
    await new Promise<void>((r) => server.bind(port, addr, r));
    const x = await live(ex("dns-log.ts"), `udp port ${port} and host ${addr}`);
    const client = dgram.createSocket("udp4");
    const reply = new Promise((r) => client.once("message", r));
    client.send(dnsQuery(0x1234, "live.tsniff.test"), port, addr);
    await reply;
    client.close();
    const r = await finish(x);
    server.close();
    const out = lines(r.stdout);
    expect(out[0]).toBe("query 0x1234 127.0.0.1 live.tsniff.test A");
    expect(out[1]).toMatch(/^answer 0x1234 127\.0\.0\.1 live\.tsniff\.test NOERROR 10\.9\.8\.7 [\d.]+ ms$/);
    expect(out.length).toBe(2);
  });
});

describe("examples/top-talkers.ts", () => {
  it("reports the top sources per second of packet time", () => {
    const r = tsniff(["-r", fx("http/http.pcap"), "--script", ex("top-talkers.ts")]);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)).toEqual([
      "top talkers 02:31:50",
      "  10.202.0.2                                  18 pkts       6656 bytes",
      "  10.202.0.1                                  23 pkts       2393 bytes",
    ]);
  });

  it.skipIf(!ROOTED)("reports live traffic every second", async () => {
    const port = PORT + 2;
    const x = await live(ex("top-talkers.ts"), `udp dst port ${port}`);
    const sock = dgram.createSocket("udp4");
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 10; i++) sock.send(Buffer.alloc(100), port, "127.0.0.1");
      await sleep(1000);
    }
    sock.close();
    const r = await finish(x);
    const out = lines(r.stdout);
    const heads = out.filter((l) => l.startsWith("top talkers "));
    expect(heads.length).toBeGreaterThanOrEqual(2);
    const rows = out.filter((l) => l.includes("127.0.0.1"));
    // 30 datagrams of 100 bytes: 142 bytes each on loopback's Ethernet link type.
    const total = rows.reduce((n, l) => n + Number(/(\d+) pkts/.exec(l)![1]), 0);
    expect(total).toBe(30);
  });
});

describe("examples/syn-flood.ts", () => {
  it("alerts on the scan and the flood in the fixture (fixtures/examples/make-syn-fixture.sh)", () => {
    const r = tsniff(["-r", fx("examples/syn-scan.pcap"), "--script", ex("syn-flood.ts")]);
    expect(r.status).toBe(0);
    expect(lines(r.stderr).slice(1)).toEqual([
      "[syn-flood] ALERT port scan: 127.0.0.1 probed more than 20 ports on 127.0.0.1 within 1 s",
      "[syn-flood] ALERT SYN flood: more than 100 SYNs to 127.0.0.1:40100 within 1 s from 1 source(s)",
      "[syn-flood] 2 alert(s)",
    ]);
    // The packets are printed as usual.
    expect(lines(r.stdout).length).toBe(380);
    expect(lines(tsniff(["-r", fx("http/http.pcap"), "--script", ex("syn-flood.ts")]).stderr)).toContain("[syn-flood] 0 alert(s)");
  });

  it.skipIf(!ROOTED)("alerts on a live scan of loopback ports", async () => {
    const base = 41000 + (process.pid % 1000) * 2;
    const x = await live(ex("syn-flood.ts"), `tcp portrange ${base}-${base + 40}`);
    const hit = (p: number) =>
      new Promise<void>((r) => {
        const s = net.connect(p, "127.0.0.1");
        s.on("error", () => r());
        s.on("connect", () => (s.destroy(), r()));
      });
    for (let p = base; p < base + 30; p++) await hit(p);
    const r = await finish(x);
    expect(r.stderr).toContain("[syn-flood] ALERT port scan: 127.0.0.1 probed more than 20 ports on 127.0.0.1 within 1 s");
    expect(r.stderr).toContain("[syn-flood] 1 alert(s)");
  });
});

describe("examples/save-tls-sni.ts", () => {
  it("saves whole flows to 443 whose SNI matches, and nothing else", async () => {
    const out = path.join(dir, "sni.pcap");
    const r = tsniff(["-r", fx("tls/tls.pcap"), "--script", ex("save-tls-sni.ts")], { env: { SNI_PATTERN: "^tls[13]\\.", SNI_OUT: out } });
    expect(r.status).toBe(0);
    expect(lines(r.stderr).slice(1)).toEqual([
      "[save-tls-sni] saving 10.202.0.1:50180>10.202.0.2:443 sni=tls1.bench.test",
      "[save-tls-sni] saving 10.202.0.1:50188>10.202.0.2:443 sni=tls3.bench.test",
      "[save-tls-sni] 2 flow(s) saved to " + out,
    ]);
    const saved = await readPcap(out);
    const all = await readPcap(fx("tls/tls.pcap"));
    const inFlows = (p: (typeof all)[number]) => [50180, 50188].includes(p.tcp?.srcport ?? 0) || [50180, 50188].includes(p.tcp?.dstport ?? 0);
    // Every packet of the two flows, in order, from the SYN on: the same bytes as the file's.
    expect(saved.map((p) => Buffer.from(p.data).toString("hex"))).toEqual(all.filter(inFlows).map((p) => Buffer.from(p.data).toString("hex")));
    expect(saved[0].tcp!.flags).toBe(0x002);
  });

  it.skipIf(!ROOTED)("saves a live flow whose ClientHello names a matching server", async () => {
    const port = PORT + 3;
    const out = path.join(dir, "live-sni.pcap");
    // A plain TCP server: the ClientHello (with its SNI) is sent whatever answers it.
    const server = net.createServer((s) => setTimeout(() => s.destroy(), 100));
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    const x = await live(ex("save-tls-sni.ts"), `tcp port ${port}`, { SNI_PATTERN: "wanted", SNI_OUT: out, SNI_PORT: String(port) });
    const hello = (servername: string) =>
      new Promise<void>((r) => {
        const s = tls.connect({ port, host: "127.0.0.1", servername, rejectUnauthorized: false });
        s.on("error", () => r());
        s.on("close", () => r());
      });
    await hello("other.example");
    await hello("wanted.example");
    const r = await finish(x);
    server.close();
    expect(r.stderr).toMatch(/\[save-tls-sni\] saving 127\.0\.0\.1:\d+>127\.0\.0\.1:\d+ sni=wanted\.example/);
    expect(r.stderr).toContain("[save-tls-sni] 1 flow(s) saved to " + out);
    const saved = await readPcap(out);
    expect(saved[0].tcp!.flags).toBe(0x002);
    expect(saved.some((p) => p.get("tls.handshake.extensions_server_name") === "wanted.example")).toBe(true);
    expect(saved.some((p) => p.get("tls.handshake.extensions_server_name") === "other.example")).toBe(false);
  });
});
