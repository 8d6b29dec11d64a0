/**
 * Sending built packets against real stacks, in two network namespaces joined by a veth pair (test/helpers/netns.ts;
 * everything is removed afterwards). The library runs in namespace A (a child node process
 * using the built dist/), the peers in B: the kernel itself (ARP, ICMP, ICMPv6 neighbour discovery, RST and
 * port unreachable), a listening TCP socket (SYN -> SYN/ACK), dnsmasq (DNS), a UDP socket (datagrams sent
 * at layer 3 arrive, so their checksums are right) and tcpdump (frames sent at layer 2 with count/inter).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/index.js";
import { canUseNetns, createNsPair, type NsPair } from "../helpers/netns.js";
import { has, ROOT, sleep } from "../helpers/run.js";

const ROOTED = canUseNetns();
// The pair's names start with tsn_cr and carry this process's pid; its addresses are 10.203.207.0/24 and fd03:203:cf::/64.
let pair: NsPair | undefined;
let A = "",
  B = "",
  IFA = "",
  IFB = "",
  IPA = "",
  IPB = "",
  IP6B = "";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-craft-live-"));
const children: ChildProcess[] = [];

function inB(cmd: string, args: string[]): ChildProcess {
  const c = spawn("ip", ["netns", "exec", B, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(c);
  return c;
}
/** Runs an ES module script in namespace A with the built library as `t`; returns its JSON output. */
function runInA(body: string, timeout = 60_000): any {
  const script = `const t = await import(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});\nconst out = {};\n${body}\nconsole.log(JSON.stringify(out));`;
  const r = spawnSync("ip", ["netns", "exec", A, process.execPath, "--input-type=module", "-e", script], { encoding: "utf8", timeout });
  if (r.status !== 0) throw new Error(`script failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}
const macOf = (ns: string, dev: string) => /link\/ether ([0-9a-f:]+)/.exec(spawnSync("ip", ["-n", ns, "link", "show", dev], { encoding: "utf8" }).stdout)![1];

describe.skipIf(!ROOTED)("sending built packets to real stacks", () => {
  let macB = "";
  beforeAll(async () => {
    pair = createNsPair("cr", 207);
    ({ a: A, b: B, ifA: IFA, ifB: IFB, ipA: IPA, ipB: IPB, ip6B: IP6B } = pair);
    macB = macOf(B, IFB);
    // B's listeners: TCP 7001, UDP 7002 (prints what arrives), and DNS when dnsmasq is there
    const tcp = inB(process.execPath, ["-e", `require("net").createServer(c=>c.destroy()).listen(7001,"0.0.0.0",()=>console.log("up"));setTimeout(()=>process.exit(0),120000)`]);
    const udp = inB(process.execPath, ["-e", `const s=require("dgram").createSocket("udp4");s.on("message",(m,r)=>console.log(JSON.stringify({m:m.toString(),port:r.port})));s.bind(7002,"0.0.0.0",()=>console.log("up"));setTimeout(()=>process.exit(0),120000)`]);
    await Promise.all([tcp, udp].map((c) => new Promise<void>((r) => c.stdout!.once("data", () => r()))));
    if (has("dnsmasq")) {
      inB("dnsmasq", ["--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces", `--listen-address=${IPB}`, "--port=53", "--address=/a.craft.test/10.9.9.9", "--address=/a.craft.test/fd09::9", "--user=root", "--pid-file="]);
      for (let i = 0; i < 50 && !spawnSync("ip", ["netns", "exec", B, "ss", "-lun"], { encoding: "utf8" }).stdout.includes(`${IPB}:53`); i++) await sleep(100);
    }
  });
  afterAll(() => {
    for (const c of children) c.kill("SIGTERM");
    pair?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("ARP who-has (srp1) is answered by the kernel with B's MAC; getmacbyip finds it for IPv4 and IPv6", () => {
    const out = runInA(`
      const r = await t.srp1(t.Ether().over(t.ARP({ pdst: "${IPB}" })), { iface: "${IFA}", timeout: 2 });
      out.op = r?.get("arp.opcode"); out.hw = r?.get("arp.src.hw_mac"); out.ip = r?.get("arp.src.proto_ipv4"); out.tip = r?.get("arp.dst.proto_ipv4");
      out.mac4 = await t.getmacbyip("${IPB}", { iface: "${IFA}" });
      out.mac6 = await t.getmacbyip("${IP6B}", { iface: "${IFA}" });
      out.none = (await t.srp1(t.Ether().over(t.ARP({ pdst: "${IPB.replace(/\.2$/, ".99")}" })), { iface: "${IFA}", timeout: 0.3 })) ?? null;`);
    expect(out).toEqual({ op: 2, hw: macB, ip: IPB, tip: IPA, mac4: macB, mac6: macB, none: null });
  });

  it("ICMP and ICMPv6 echo through sr1 (layer 3), with id, seq and payload echoed", () => {
    const out = runInA(`
      const r = await t.sr1(t.IP({ dst: "${IPB}" }).over(t.ICMP({ id: 0x77, seq: 5 })).over(t.Raw("craft-ping")), { timeout: 2 });
      out.v4 = r && [r.ip?.src, r.get("icmp.type"), r.get("icmp.ident"), r.get("icmp.seq"), Buffer.from(r.data.subarray(-10)).toString()];
      const r6 = await t.sr1(t.IPv6({ dst: "${IP6B}" }).over(t.ICMPv6({ type: "echo-request", id: 0x66, seq: 6 })), { timeout: 2 });
      out.v6 = r6 && [r6.ipv6?.src, r6.get("icmpv6.type"), r6.get("icmpv6.echo.identifier"), r6.get("icmpv6.echo.sequence_number")];
      const many = await t.sr([1, 2, 3].map((seq) => t.IP({ dst: "${IPB}" }).over(t.ICMP({ id: 0x78, seq }))), { timeout: 2, inter: 0.01 });
      out.many = many.answered.map((a) => [a.sent.layer("icmp").fields.seq, a.received.get("icmp.seq")]).sort();
      out.unanswered = many.unanswered.length;`);
    expect(out.v4).toEqual([IPB, 0, 0x77, 5, "craft-ping"]);
    expect(out.v6).toEqual([IP6B, 129, 0x66, 6]);
    expect(out.many).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(out.unanswered).toBe(0);
  });

  it("a TCP SYN gets SYN/ACK from a listening socket and RST/ACK from a closed port; UDP to a closed port gets port unreachable", () => {
    const out = runInA(`
      const syn = await t.sr1(t.IP({ dst: "${IPB}" }).over(t.TCP({ sport: 41000, dport: 7001, seq: 1000, options: [["MSS", 1400], ["SAckOK"]] })), { timeout: 2 });
      out.synack = syn && [syn.tcp?.srcport, syn.tcp?.dstport, syn.get("tcp.flags"), syn.get("tcp.ack_raw"), syn.get("tcp.options.mss_val") !== undefined];
      const rst = await t.srp1(t.Ether().over(t.IP({ dst: "${IPB}" })).over(t.TCP({ sport: 41001, dport: 7009, seq: 5 })), { iface: "${IFA}", timeout: 2 });
      out.rst = rst && [rst.get("tcp.flags"), rst.get("tcp.ack_raw")];
      const un = await t.sr1(t.IP({ dst: "${IPB}" }).over(t.UDP({ sport: 41002, dport: 7010 })).over(t.Raw("x")), { timeout: 2 });
      out.unreach = un && [un.get("icmp.type"), un.get("icmp.code")];`);
    expect(out.synack).toEqual([7001, 41000, 0x012, 1001, true]);
    expect(out.rst).toEqual([0x014, 6]);
    expect(out.unreach).toEqual([3, 3]);
  });

  it.skipIf(!has("dnsmasq"))("a DNS query (A and AAAA) is answered by dnsmasq, matched by its id", () => {
    const out = runInA(`
      const q = (type, id) => t.IP({ dst: "${IPB}" }).over(t.UDP({ sport: 41100 + id })).over(t.DNS({ id, qd: [{ name: "a.craft.test", type }] }));
      const r = await t.sr([q("A", 0x101), q("AAAA", 0x102)], { timeout: 2 });
      out.ans = r.answered.map((a) => [a.received.get("dns.id"), a.received.dns?.qryName, a.received.dns?.answers]).sort();`);
    expect(out.ans).toEqual([
      [0x101, "a.craft.test", ["10.9.9.9"]],
      [0x102, "a.craft.test", ["fd09::9"]],
    ]);
  });

  it("sendp sends count frames `inter` apart on the veth; B's tcpdump and tshark read them intact", async () => {
    const file = path.join(dir, "sendp.pcap");
    const td = inB("tcpdump", ["-i", IFB, "--immediate-mode", "-U", "-n", "-w", file, "udp port 7002"]);
    await new Promise<void>((r) => td.stderr!.on("data", (d: Buffer) => d.toString().includes("listening") && r()));
    const out = runInA(`
      const p = t.Ether().over(t.IP({ dst: "${IPB}", ttl: 17 })).over(t.UDP({ sport: 41200, dport: 7002 })).over(t.Raw("via-sendp"));
      out.n = await t.sendp(p, { iface: "${IFA}", count: 3, inter: 0.05 });
      out.l3 = await t.send(t.IP({ dst: "${IPB}" }).over(t.UDP({ sport: 41201, dport: 7002 })).over(t.Raw("via-send")), { count: 2 });`);
    expect(out.n).toBe(3);
    expect(out.l3).toBe(2);
    await sleep(500);
    td.kill("SIGINT");
    await new Promise((r) => td.on("close", r));
    const pkts = await readPcap(file);
    expect(pkts.map((p) => [p.udp?.srcport, Buffer.from(p.data.subarray(42)).toString()])).toEqual([
      [41200, "via-sendp"],
      [41200, "via-sendp"],
      [41200, "via-sendp"],
      [41201, "via-send"],
      [41201, "via-send"],
    ]);
    expect(pkts[0].get("eth.dst")).toBe(macB); // resolved through ARP
    expect(pkts[0].get("ip.ttl")).toBe(17);
    if (has("tshark")) {
      const r = spawnSync("tshark", ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-r", file, "-q", "-z", "expert"], { encoding: "utf8" });
      expect(r.stdout).not.toMatch(/Malformed|Bad checksum|Errors \(/);
    }
  });

  it("the UDP socket in B received the layer 3 datagrams (the kernel checked their checksums)", async () => {
    const udp = children[1];
    const got: string[] = [];
    udp.stdout!.on("data", (d: Buffer) => got.push(...d.toString().trim().split("\n")));
    runInA(`out.n = await t.send(t.IP({ dst: "${IPB}" }).over(t.UDP({ sport: 41202, dport: 7002 })).over(t.Raw("checked")));`);
    for (let i = 0; i < 20 && !got.some((l) => l.includes("checked")); i++) await sleep(100);
    expect(got.map((l) => JSON.parse(l))).toContainEqual({ m: "checked", port: 41202 });
  });

  it("errors are one clear line: an unknown interface, a frame given to send()", () => {
    const out = runInA(`
      try { await t.sendp(t.Ether(), { iface: "nosuchif0" }); } catch (e) { out.iface = [e.code, e.message]; }
      try { await t.send(t.Ether().over(t.IP())); } catch (e) { out.l2 = [e.code, e.message]; }
      try { await t.sendp(t.Ether(), { iface: "${IFA}", count: 0 }); } catch (e) { out.count = e.message; }`);
    expect(out.iface[0]).toBe("ENODEV");
    expect(out.iface[1]).toMatch(/^nosuchif0: .*see `tsniff -D`/);
    expect(out.l2).toEqual(["ECRAFT", "send() sends from the IP layer; this packet starts with eth (use sendp() for frames with a link-layer header)"]);
    expect(out.count).toBe("count must be a positive whole number (got 0)");
  });
});
