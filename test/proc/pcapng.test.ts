/**
 * pcapng keeps each packet's process as an EPB comment in ptcpdump's format (PID, Cmd, Args, ...): tshark shows
 * it (frame.comment), and tsniff reading the file back restores proc.* from it. A pcap -w with process options
 * says once that pcap cannot carry it.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { has, tsniff } from "../helpers/run.js";
import { exited, procSkipReason, ProcNs, PY, rows, sleep, TCP_CLIENT, TCP_SERVER, waitForStdout } from "./helpers.js";

const skip = procSkipReason() ?? (has("tshark") ? undefined : "no tshark");
if (skip) console.log(`test/proc/pcapng: skipped: ${skip}`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-proc-pcapng-"));
let ns: ProcNs | undefined;
afterAll(() => {
  ns?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!!skip)("pcapng packet comments", () => {
  it("are written in ptcpdump's format, shown by tshark, and read back into proc.*", async () => {
    ns = new ProcNs("ng");
    const srv = ns.run(PY, ["-c", TCP_SERVER, "18080"]);
    await waitForStdout(srv, "ready");
    const cli = ns.run(PY, ["-c", TCP_CLIENT, "18080"], { stdin: true });
    const file = path.join(dir, "p.pcapng");
    const pcap = path.join(dir, "p.pcap");
    const w = await ns.tsniff(["-i", "lo", "-n", "--proc-engine", "proc", "-w", file]);
    const w2 = await ns.tsniff(["-i", "lo", "-n", "--proc", "--proc-engine", "proc", "-w", pcap]);
    cli.stdin!.write("go\n");
    await waitForStdout(cli, "done");
    await exited(cli);
    await sleep(300);
    w.p.kill("SIGINT");
    w2.p.kill("SIGINT");
    const [r, r2] = await Promise.all([w.done, w2.done]);
    expect(r.code).toBe(0);
    // pcap: the packets, and one line saying the processes are left out
    expect(r2.stderr.split("\n").filter((l) => l.includes("process information needs pcapng output"))).toHaveLength(1);

    const want = (sport: number) => (sport === 18080 ? srv.pid! : cli.pid!);
    const ts = spawnSync("tshark", ["-r", file, "-T", "fields", "-E", "separator=/t", "-e", "tcp.srcport", "-e", "frame.comment"], { encoding: "utf8" });
    expect(ts.status).toBe(0);
    const tlines = ts.stdout.split("\n").filter(Boolean);
    expect(tlines.length).toBeGreaterThanOrEqual(8);
    for (const l of tlines) {
      const [sport, comment] = l.split("\t");
      // tshark prints the comment's newlines as "\n"
      expect(comment.replace(/\\n/g, "\n")).toMatch(new RegExp(`^PID: ${want(Number(sport))}\nCmd: /usr/bin/python3[.0-9]*\nArgs: ${PY} -c `));
    }
    const back = tsniff(["-r", file, "-T", "fields", "-e", "tcp.srcport", "-e", "proc.pid", "-e", "proc.comm", "-e", "proc.exe"]);
    expect(back.status).toBe(0);
    const got = rows(back.stdout);
    expect(got.length).toBe(tlines.length);
    for (const f of got) expect(f.slice(1, 3)).toEqual([String(want(Number(f[0]))), "python3"]);
    // -Y on a restored field, and --pid on a file
    const sel = tsniff(["-r", file, "--pid", String(srv.pid), "-T", "fields", "-e", "tcp.srcport"]);
    expect(new Set(rows(sel.stdout).map((f) => f[0]))).toEqual(new Set(["18080"]));
    // plugins get packet.proc
    const plugin = path.join(dir, "pids.mjs");
    fs.writeFileSync(plugin, "export function onPacket(p) { process.stdout.write(`${p.proc?.pid ?? '-'}\\n`); }\n");
    const viaPlugin = tsniff(["-r", file, "--proc", "-w", path.join(dir, "copy.pcapng"), "--script", plugin]);
    expect(viaPlugin.status).toBe(0);
    expect(viaPlugin.stdout.toString().split("\n").filter(Boolean)).toEqual(got.map((f) => f[1]));
    // the line shows the process with --proc
    const line = tsniff(["-r", file, "-n", "--proc", "-c", "1"]);
    expect(line.stdout.toString()).toMatch(new RegExp(` python3\\.${cli.pid}\n$`));
  });
});
