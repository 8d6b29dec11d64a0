/** The command line: tcpdump's flags and messages, closed pipes, usage errors. */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { CORPUS, sh, tsniff, TSNIFF } from "../helpers/run.js";

const corpus = (name: string) => path.join(CORPUS, name);
const ETH_FILE = corpus("HSRP_coup.pcap");
/** a TCP capture whose every line tsniff prints as tcpdump does */
const TCP_FILE = corpus("print-flags.pcap");

describe("CLI", () => {
  it("-D lists the same interfaces, in the same words, as tcpdump -D", () => {
    const ours = tsniff(["-D"]);
    const theirs = sh("tcpdump", ["-D"]);
    expect(ours.status).toBe(0);
    expect(ours.stdout.toString()).toBe(theirs.stdout.toString());
  });

  it("--version names tsniff and libpcap; -h prints usage", () => {
    const v = tsniff(["--version"]);
    expect(v.status).toBe(0);
    expect(v.stdout.toString()).toMatch(/^tsniff version \d+\.\d+\.\d+\nlibpcap version 1\./);
    const h = tsniff(["-h"]);
    expect(h.status).toBe(0);
    expect(h.stdout.toString()).toMatch(/^Usage: tsniff/);
  });

  it("an unknown option is one error line plus usage, exit 1", () => {
    const r = tsniff(["--bogus"]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/^tsniff: unknown option --bogus\nUsage:/);
    const c = tsniff(["-c", "x", "-r", ETH_FILE]);
    expect(c.status).toBe(1);
    expect(c.stderr.toString()).toMatch(/invalid -c value 'x'/);
  });

  it("--tui with an interface given twice, or a bad ssh:// source, is refused in one line before anything opens (by the bundled TUI launcher too)", () => {
    const r = tsniff(["--tui", "-i", "lo", "-i", "lo"]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe("tsniff: -i lo is given twice\n");
    const s = tsniff(["--tui", "-i", "lo", "-i", "ssh://web1"]);
    expect(s.status).toBe(1);
    expect(s.stderr.toString()).toMatch(/^tsniff: ssh:\/\/web1: no interface: use ssh:\/\/\[user@\]host\[:port\]\/IFACE/);
    expect(s.stderr.toString().split("\n").length).toBe(2);
    // several -i (and ssh:// ones) are the TUI's too: without a terminal it says so, having connected nowhere
    const t = tsniff(["--tui", "-i", "lo", "-i", "ssh://web1/eth0"]);
    expect(t.status).toBe(1);
    expect(t.stderr.toString()).toBe("tsniff: --tui needs a terminal (stdin and stdout)\n");
  });

  it("a bad filter fails with libpcap's own message, as tcpdump does", () => {
    for (const bad of ["tcp prot 80", "host", "ip and", "port 99999999", "ether host 1:2:3", "src net 10.0.0.0/33"]) {
      const r = tsniff(["-r", ETH_FILE, bad]);
      const t = sh("tcpdump", ["-r", ETH_FILE, bad]);
      expect(t.status).not.toBe(0);
      expect(r.status, bad).toBe(1);
      const theirs = t.stderr.toString().trim().split("\n").pop()!.replace(/^tcpdump: /, "");
      expect(r.stderr.toString().trim().split("\n").pop()).toBe(`tsniff: ${theirs}`);
    }
  });

  it("the filter is all arguments after the options, joined with spaces", () => {
    const a = tsniff(["-nn", "-r", TCP_FILE, "tcp", "and", "(", "tcp[tcpflags]", "&", "tcp-syn", "!=", "0", ")"]).stdout.toString();
    const b = sh("tcpdump", ["-nn", "-r", TCP_FILE, "tcp and ( tcp[tcpflags] & tcp-syn != 0 )"]).stdout.toString();
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(0);
  });

  it("-F reads the filter from a file", () => {
    const f = path.join(os.tmpdir(), `tsniff-filter-${process.pid}`);
    fs.writeFileSync(f, "# only SYN and FIN segments\ntcp[tcpflags] & (tcp-syn|tcp-fin) != 0\n");
    const a = tsniff(["-nn", "-F", f, "-r", TCP_FILE]).stdout.toString();
    const b = sh("tcpdump", ["-nn", "-F", f, "-r", TCP_FILE]).stdout.toString();
    expect(a.split("\n").length).toBeGreaterThan(2);
    fs.rmSync(f);
    expect(a).toBe(b);
  });

  it("-t, -tt, -ttt, -tttt, -ttttt print time as tcpdump does", () => {
    for (const t of ["-t", "-tt", "-ttt", "-tttt", "-ttttt", "-nn"]) {
      const ours = tsniff([t, "-nn", "-r", ETH_FILE]).stdout.toString().split("\n");
      const theirs = sh("tcpdump", [t, "-nn", "-r", ETH_FILE]).stdout.toString().split("\n");
      const ts = (l: string) => (t === "-t" ? "" : l.slice(0, l.indexOf(" IP") >= 0 ? l.indexOf(" IP") : 0));
      expect(ours.map(ts), t).toEqual(theirs.map(ts));
    }
  });

  it("-c N reads exactly N packets of a file", () => {
    const r = tsniff(["-nn", "-c", "3", "-r", ETH_FILE]);
    expect(r.stdout.toString().trim().split("\n").length).toBe(3);
  });

  it("a closed pipe (tsniff | head) ends quietly, with no stack trace", () => {
    // A file big enough that output outlasts head.
    const big = fs
      .readdirSync(CORPUS)
      .filter((f) => f.endsWith(".pcap"))
      .map((f) => path.join(CORPUS, f))
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${TSNIFF}" -nn -r "${big}" | head -n 2; echo "status=\${PIPESTATUS[0]}" >&2`], { encoding: "utf8" });
    expect(r.stdout.trim().split("\n").length).toBe(2);
    expect(r.stderr).toMatch(/status=0/);
    expect(r.stderr).not.toMatch(/Error|EPIPE|at .*\.js/);
    const w = spawnSync("bash", ["-c", `"${process.execPath}" "${TSNIFF}" -r "${big}" -w - | head -c 100 >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`], { encoding: "utf8" });
    expect(w.stderr).toMatch(/status=0/);
    expect(w.stderr).not.toMatch(/Error|EPIPE|at .*\.js/);
  });

  it("packet bytes never reach the terminal raw, in any output mode", () => {
    // A TCP segment to port 80 whose request line carries terminal escapes, a bell and DEL.
    const payload = Buffer.from("GET /\x1b[2J\x1b]0;owned\x07\x7f HTTP/1.1\r\nHost: x\x1b[31m\r\n\r\n", "latin1");
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(40000, 0);
    tcp.writeUInt16BE(80, 2);
    tcp.writeUInt32BE(1, 4);
    tcp[12] = 5 << 4;
    tcp[13] = 0x18;
    tcp.writeUInt16BE(512, 14);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + payload.length, 2);
    ip[8] = 64;
    ip[9] = 6;
    Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(ip, 12);
    const eth = Buffer.from("0200000000020200000000010800", "hex");
    const frame = Buffer.concat([eth, ip, tcp, payload]);
    const hdr = Buffer.alloc(24);
    hdr.writeUInt32LE(0xa1b2c3d4, 0);
    hdr.writeUInt16LE(2, 4);
    hdr.writeUInt16LE(4, 6);
    hdr.writeUInt32LE(262144, 16);
    hdr.writeUInt32LE(1, 20);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    const f = path.join(os.tmpdir(), `tsniff-esc-${process.pid}.pcap`);
    fs.writeFileSync(f, Buffer.concat([hdr, rec, frame]));
    try {
      for (const mode of [[], ["-v"], ["-A"], ["-X"], ["-V"], ["-T", "json"], ["-e"]]) {
        const r = tsniff(["-nn", ...mode, "-r", f]);
        expect(r.status, `${mode}: ${r.stderr}`).toBe(0);
        expect(r.stdout.length, mode.join(" ")).toBeGreaterThan(0);
        for (const b of r.stdout) {
          if (b === 0x0a || b === 0x09) continue;
          expect(b < 0x20 || b === 0x7f, `${mode.join(" ")}: raw byte 0x${b.toString(16)}`).toBe(false);
        }
      }
    } finally {
      fs.rmSync(f);
    }
  });
});
