/** The library: Packet (lazy layers, typed getters, summary/tree/JSON equal to the CLI's), sniff(), capture(). */
import dgram from "node:dgram";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { capture, Packet, readPcap, sniff } from "../../src/index.js";
import { CORPUS, has, ROOT, sh, tsniff } from "../helpers/run.js";
import fs from "node:fs";
import os from "node:os";

const fx = (f: string) => path.join(ROOT, "fixtures", f);
const ROOTED = process.getuid?.() === 0;

describe("Packet", () => {
  it("gives lengths, times, link type and typed layers; get/getAll/has read the dissected fields", async () => {
    const pk = await readPcap(fx("dns/dns-udp.pcap"));
    expect(pk.length).toBe(26);
    const p = pk[0];
    expect(p.frame).toBe(1);
    expect(p.linktype).toBe(1);
    expect(p.caplen).toBe(p.data.length);
    expect(p.len).toBeGreaterThanOrEqual(p.caplen);
    expect(p.ts).toBeCloseTo(p.tsSec + p.tsNsec / 1e9, 6);
    expect(p.ip).toEqual({ src: "10.202.0.1", dst: "10.202.0.2", proto: 17 });
    expect(p.udp).toEqual({ srcport: 51771, dstport: 53 });
    expect(p.tcp).toBeUndefined();
    expect(p.ipv6).toBeUndefined();
    expect(p.layers).toEqual(["eth", "ip", "udp", "dns"]);
    expect(p.get("dns.qry.name")).toBe("host1.bench.test");
    expect(p.dns?.qryName).toBe("host1.bench.test");
    expect(p.has("dns")).toBe(true);
    expect(p.has("http")).toBe(false);
    expect(p.has("dns.qry.name")).toBe(true);
    expect(p.getDynamic("no.such.field")).toBeUndefined();
    expect(p.getAll("ip.addr")).toEqual(["10.202.0.1", "10.202.0.2"]);
    const answer = pk[1];
    expect(answer.dns?.response).toBe(true);
    expect(answer.dns?.answers).toEqual(["10.202.0.10"]);
  });

  it.skipIf(!has("mergecap") || !fs.existsSync(CORPUS))("a pcapng file of several interfaces: each packet's iface, and toJSON() as -T json (frame.interface_id)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-api-ifaces-"));
    try {
      const file = path.join(dir, "merged.pcapng");
      const inputs = ["tcp-handshake-nano.pcap", "isup.pcap"].map((f) => path.join(CORPUS, f));
      expect(sh("mergecap", ["-F", "pcapng", "-w", file, ...inputs]).status).toBe(0);
      const pk = await readPcap(file);
      expect(new Set(pk.map((p) => p.iface))).toEqual(new Set([0, 1]));
      const json = tsniff(["-r", file, "-T", "json"]).stdout.toString().trimEnd().split("\n").map((l) => JSON.parse(l));
      expect(pk.map((p) => JSON.parse(JSON.stringify(p.toJSON())))).toEqual(json);
      expect(json.map((d) => d.frame["frame.interface_id"])).toEqual(pk.map((p) => p.iface));
      // each packet names its interface as tshark does (an IDB without if_name: "unknown")
      const names = sh("tshark", ["-r", file, "-T", "fields", "-e", "frame.interface_name"]).stdout.toString().trimEnd().split("\n");
      expect(names.length).toBe(json.length);
      expect(json.map((d) => d.frame["frame.interface_name"])).toEqual(names);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("summary(), toJSON() and tree() are the CLI's line, -T json document and -V tree", async () => {
    const file = fx("http/http.pcap");
    const pk = await readPcap(file);
    const lines = tsniff(["-r", file]).stdout.toString().trimEnd().split("\n");
    expect(pk.map((p) => p.summary())).toEqual(lines);
    const json = tsniff(["-r", file, "-T", "json"]).stdout.toString().trimEnd().split("\n").map((l) => JSON.parse(l));
    // Stored packets asked in capture order: the CLI's documents, reassembled HTTP body included.
    const fwd = (await readPcap(file)).map((p) => JSON.parse(JSON.stringify(p.toJSON())));
    expect(fwd).toEqual(json);
    // Asked in reverse order: lazy dissection must not depend on the order of access (tshark's relative
    // sequence numbers, tcp.stream). The one exception is TCP reassembly: its stream has moved past a frame
    // asked late, so that frame is dissected on its own, never with a PDU put together from the wrong frames.
    const ours = pk.map((p) => p).reverse().map((p) => JSON.parse(JSON.stringify(p.toJSON()))).reverse();
    const reassembled = (j: unknown) => /"tcp\.(segments|segment_data|reassembled)/.test(JSON.stringify(j));
    let late = 0;
    for (let i = 0; i < json.length; i++) {
      if (!reassembled(json[i])) {
        expect(ours[i], `frame ${i + 1}`).toEqual(json[i]);
        continue;
      }
      late++;
      expect(reassembled(ours[i]), `frame ${i + 1}`).toBe(false);
      expect(ours[i].frame).toEqual({ ...json[i].frame, "frame.protocols": ours[i].frame["frame.protocols"] });
      expect(ours[i].ip).toEqual(json[i].ip);
      expect(ours[i].tcp["tcp.seq"]).toBe(json[i].tcp["tcp.seq"]);
      expect(ours[i].tcp["tcp.stream"]).toBe(json[i].tcp["tcp.stream"]);
    }
    expect(late).toBeGreaterThan(0);
    const tree = tsniff(["-r", file, "-V", "-c", "1"]).stdout.toString();
    expect(pk[0].tree()).toBe(tree);
  });

  it("http and tcp getters", async () => {
    const pk = await readPcap(fx("http/http.pcap"), "tcp port 80");
    const reqs = pk.filter((p) => p.http?.method).map((p) => `${p.http!.method} ${p.http!.host}${p.http!.uri}`);
    expect(reqs).toEqual(["GET 10.202.0.2/", "GET 10.202.0.2/big", "POST 10.202.0.2/submit", "GET 10.202.0.2/missing", "HEAD 10.202.0.2/"]);
    const syn = pk[0];
    expect(syn.tcp).toMatchObject({ srcport: 50206, dstport: 80 });
    expect(syn.tcp!.flags).toBe(0x002);
    expect(pk.filter((p) => p.http?.code).map((p) => p.http!.code)).toEqual([200, 200, 201, 404, 200]);
  });

  it("a packet from bytes; clone() owns its bytes", async () => {
    const [p] = await readPcap(fx("dns/dns-udp.pcap"));
    const q = Packet.fromBytes(p.data.slice(), { linktype: 1 });
    expect(q.get("dns.qry.name")).toBe("host1.bench.test");
    const c = q.clone();
    q.data.fill(0);
    expect(c.ip?.src).toBe("10.202.0.1");
    expect(c.data[12]).toBe(8); // ethertype 0x0800
  });

  it("a borrowed packet is a view; prn sees every packet, lfilter and stopFilter select, store keeps clones", async () => {
    const seen: string[] = [];
    let borrowed: Packet | undefined;
    const kept = await sniff({
      offline: fx("dns/dns-udp.pcap"),
      lfilter: (p) => p.dns?.response === false,
      prn: (p) => {
        borrowed ??= p;
        seen.push(p.dns!.qryName!);
      },
      stopFilter: (p) => p.dns?.qryName === "www.bench.test",
    });
    expect(seen).toEqual(["host1.bench.test", "host1.bench.test", "host2.bench.test", "www.bench.test"]);
    expect(kept.map((p) => p.get("dns.qry.name"))).toEqual(seen);
    // the packet prn got is the one stored: no longer a view of the batch buffer once its batch ended
    expect(kept[0]).toBe(borrowed);
    expect(borrowed!.borrowed).toBe(false);
    expect((await sniff({ offline: fx("dns/dns-udp.pcap"), count: 3, store: false })).length).toBe(0);
    expect((await sniff({ offline: fx("dns/dns-udp.pcap"), count: 3 })).length).toBe(3);
  });

  it("bad filters and files fail clearly", async () => {
    await expect(sniff({ offline: fx("dns/dns-udp.pcap"), filter: "nonsense ((" })).rejects.toThrow(/syntax error|parse/);
    await expect(readPcap("/nonexistent.pcap")).rejects.toThrow(/No such file/);
  });
});

describe("capture()", () => {
  it("iterates a file with a small queue without dropping (reading waits)", async () => {
    const stream = capture({ offline: fx("http/http.pcap"), queue: 1 });
    const frames: number[] = [];
    for await (const p of stream) {
      frames.push(p.frame);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(frames).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(stream.stats().droppedByTsniff).toBe(0);
  });

  it("break ends the capture", async () => {
    let n = 0;
    for await (const p of capture({ offline: fx("http/http.pcap"), filter: "tcp port 80" })) {
      expect(p.tcp).toBeDefined();
      if (++n === 3) break;
    }
    expect(n).toBe(3);
  });

  it.skipIf(!ROOTED)("live on loopback: sniff counts exactly; a slow consumer drops and counts, memory stays bounded", async () => {
    const port = 47000 + (process.pid % 1000);
    const sock = dgram.createSocket("udp4");
    const send = (n: number) => {
      for (let i = 0; i < n; i++) sock.send(Buffer.from(`tsniff-api-${i}`), port, "127.0.0.1");
    };
    const got = sniff({ iface: "lo", filter: `udp dst port ${port}`, count: 5, timeout: 20 });
    await new Promise((r) => setTimeout(r, 300));
    send(8);
    const pk = await got;
    expect(pk.length).toBe(5);
    expect(pk.every((p) => p.udp?.dstport === port && p.ip?.dst === "127.0.0.1")).toBe(true);

    const stream = capture({ iface: "lo", filter: `udp dst port ${port + 1}`, queue: 4, timeout: 20 });
    const it = stream[Symbol.asyncIterator]();
    setTimeout(() => {
      for (let i = 0; i < 200; i++) sock.send(Buffer.from(`x${i}`), port + 1, "127.0.0.1");
      setTimeout(() => stream.stop(), 1000);
    }, 300);
    let n = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      n++;
      await new Promise((res) => setTimeout(res, 20));
    }
    sock.close();
    const st = stream.stats();
    expect(n + st.droppedByTsniff).toBe(st.captured);
    expect(st.captured).toBe(200);
    expect(st.droppedByTsniff).toBeGreaterThan(0);
    expect(n).toBeLessThan(200);
  });
});
