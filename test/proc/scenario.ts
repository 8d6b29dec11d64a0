/**
 * One scenario both engines are tested on: in a namespace of its own, a TCP server and a slow TCP client, a
 * UDP echo server and a UDP sender, dnsmasq answered by dig; tsniff captures on lo with -T fields and the
 * proc.* fields. Returns each packet's ports and process, and the pids of the programs.
 */
import { expect } from "vitest";
import { has } from "../helpers/run.js";
import { PY, ProcNs, rows, sleep, TCP_CLIENT, TCP_SERVER, UDP_ECHO, UDP_SENDER, waitForStdout } from "./helpers.js";

export interface Pkt {
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
  pid: number | undefined;
  comm: string;
}

export interface Scenario {
  pkts: Pkt[];
  pids: { tcpServer: number; tcpClient: number; udpEcho: number; udpSender: number; dnsmasq?: number; dig?: number };
  stderr: string;
  code: number | null;
}

export const TCP_PORT = 18080;
export const UDP_PORT = 18090;
export const DNS_PORT = 18053;

export async function runScenario(ns: ProcNs, tsniffArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<Scenario> {
  const srv = ns.run(PY, ["-c", TCP_SERVER, String(TCP_PORT)]);
  const echo = ns.run(PY, ["-c", UDP_ECHO, String(UDP_PORT)]);
  await waitForStdout(srv, "ready");
  await waitForStdout(echo, "ready");
  let dns: ReturnType<ProcNs["run"]> | undefined;
  if (has("dnsmasq")) {
    dns = ns.run("dnsmasq", ["--no-daemon", "-C", "/dev/null", "--no-resolv", "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", `--port=${DNS_PORT}`, "--address=/proc-test.example/10.9.8.7", "--user=root", "--pid-file="]);
    await sleep(300);
  }
  const cli = ns.run(PY, ["-c", TCP_CLIENT, String(TCP_PORT)], { stdin: true });
  const snd = ns.run(PY, ["-c", UDP_SENDER, String(UDP_PORT)], { stdin: true });
  const fields = ["ip.proto", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "proc.pid", "proc.comm"].flatMap((f) => ["-e", f]);
  const { p, done } = await ns.tsniff(["-i", "lo", "-n", "-T", "fields", ...fields, ...tsniffArgs], env);
  cli.stdin!.write("go\n");
  snd.stdin!.write("go\n");
  await Promise.all([waitForStdout(cli, "done"), waitForStdout(snd, "done")]);
  let digPid: number | undefined;
  if (dns) {
    const d = ns.run("dig", ["@127.0.0.1", "-p", String(DNS_PORT), "+tries=1", "+time=2", "proc-test.example"]);
    digPid = d.pid;
    await new Promise((r) => d.on("exit", r));
  }
  await sleep(400);
  p.kill("SIGINT");
  const r = await done;
  const pkts: Pkt[] = rows(r.stdout).map((f) => ({
    proto: f[0] === "6" ? "tcp" : "udp",
    sport: Number(f[0] === "6" ? f[1] : f[3]),
    dport: Number(f[0] === "6" ? f[2] : f[4]),
    pid: f[5] ? Number(f[5]) : undefined,
    comm: f[6] ?? "",
  }));
  return {
    pkts,
    pids: { tcpServer: srv.pid!, tcpClient: cli.pid!, udpEcho: echo.pid!, udpSender: snd.pid!, dnsmasq: dns?.pid, dig: digPid },
    stderr: r.stderr,
    code: r.code,
  };
}

/** The owner each packet must have: the socket that sent it (client and server are both on this machine). */
export function expectedPid(s: Scenario, k: Pkt): number | undefined {
  const { pids } = s;
  if (k.proto === "tcp" && k.sport === TCP_PORT) return pids.tcpServer;
  if (k.proto === "tcp" && k.dport === TCP_PORT) return pids.tcpClient;
  if (k.proto === "udp" && k.sport === UDP_PORT) return pids.udpEcho;
  if (k.proto === "udp" && k.dport === UDP_PORT) return pids.udpSender;
  if (k.proto === "udp" && k.sport === DNS_PORT) return pids.dnsmasq;
  if (k.proto === "udp" && k.dport === DNS_PORT) return pids.dig;
  return undefined;
}

/** Every packet of the long-lived flows attributed to the right pid; the short-lived dig never to a wrong one. */
/**
 * `firstMayMiss`: the /proc engine learns a flow from the socket tables, read again at most once per window
 * after an unknown flow appears: a flow's first packets (the SYN, the first datagram) may go unattributed,
 * never to a wrong process; from the flow's first attributed packet in each direction on, every packet is.
 */
export function expectLongLivedRight(s: Scenario, o: { firstMayMiss?: boolean } = {}): void {
  expect(s.code).toBe(0);
  const long = s.pkts.filter((k) => (k.proto === "tcp" && (k.sport === TCP_PORT || k.dport === TCP_PORT)) || (k.proto === "udp" && (k.sport === UDP_PORT || k.dport === UDP_PORT)));
  // 3 handshake + request/answer + 4 teardown at least, both directions; 3 datagrams each way
  expect(long.filter((k) => k.proto === "tcp").length).toBeGreaterThanOrEqual(8);
  expect(long.filter((k) => k.proto === "udp").length).toBe(6);
  const seen = new Set<string>();
  let missed = 0;
  for (const k of long) {
    const dirKey = `${k.proto}:${k.sport}>${k.dport}`;
    if (o.firstMayMiss && k.pid === undefined && !seen.has(dirKey)) {
      missed++;
      continue;
    }
    seen.add(dirKey);
    expect({ ...k, pid: k.pid }, `pids ${JSON.stringify(s.pids)}`).toEqual({ ...k, pid: expectedPid(s, k) });
  }
  // at most the first packets of each direction missed: most of the flows' packets are attributed
  if (o.firstMayMiss) expect(missed).toBeLessThanOrEqual(long.length / 2);
  for (const k of s.pkts.filter((x) => x.sport === DNS_PORT || x.dport === DNS_PORT)) {
    if (k.pid !== undefined) expect(k.pid, `${JSON.stringify(k)} (pids ${JSON.stringify(s.pids)})`).toBe(expectedPid(s, k));
  }
}
