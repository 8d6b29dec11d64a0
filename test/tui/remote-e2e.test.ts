/**
 * End to end (tmux): `tsniff --tui -i ssh://web1/eth0 -i ssh://web2/eth0 icmp` (issue #18's TUI part), with
 * two real OpenSSH servers in network namespaces (test/remote/hosts.ts: web1 has tsniff on its PATH, web2
 * only tcpdump) and a third source whose key is refused. The TUI runs in the lab's control namespace. The
 * rows of both hosts with their Host column; the refused host on the status line while the others go on; a
 * display filter on one host (frame.interface_name); the per-host summary after quitting; no remote capture
 * left on either host (the processes of each namespace). Then a host whose ssh session is killed mid-capture:
 * on the status line, the other goes on, and `w` saves both hosts' packets as pcapng (one interface block per
 * host, read back by tshark's frame.interface_name). With --stop-on-down the same kill stops the whole capture.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { has, ROOT, TSNIFF } from "../helpers/run.js";
import { fieldRows, tally } from "../helpers/tshark-fields.js";
import { canRunLab, createLab, leftovers, type Lab } from "../remote/hosts.js";
import { TMUX, Tui } from "./tmux-helper.js";

/** The TUI in a namespace, on a tmux server named ts-rtui-... */
class NsTui extends Tui {
  override readonly session = `ts-rtui-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  startIn(ns: string, args: string[], cols: number, rows: number): void {
    const cmd = ["ip", "netns", "exec", ns, process.execPath, TSNIFF, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
    this.tmux("new-session", "-d", "-s", "main", "-c", ROOT, "-x", String(cols), "-y", String(rows), `TZ=UTC XDG_CONFIG_HOME='${this.config}' ${cmd}; echo "tui exited with $?"; sleep 60`);
  }
}

const enabled = TMUX && canRunLab() && has("tcpdump") && has("ssh") && has("ping") && has("tshark");

describe.skipIf(!enabled)("tsniff --tui over ssh:// sources (issue 18)", () => {
  let lab: Lab;
  let tmp: string;
  let tui: NsTui | null = null;
  beforeAll(() => {
    lab = createLab("t", 72, [{ name: "web1", tsniff: true }, { name: "web2" }], "ts-rtui-");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-rtui-tui-"));
  }, 120_000);
  afterEach(() => {
    tui?.stop();
    tui = null;
  });
  afterAll(() => {
    lab?.destroy();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The TUI on web1's and web2's eth0 (and `extra` sources/flags), once both capture: its tmux screen. */
  async function openBoth(flags: string[], extra: string[] = []): Promise<{ t: NsTui; screen: string }> {
    tui = new NsTui();
    tui.startIn(lab.ctl, ["--tui", ...flags, "--ssh-option", `-F ${lab.sshConfig}`, "-i", "ssh://web1/eth0", "-i", "ssh://web2/eth0", ...extra, "icmp"], 220, 70);
    const screen = await tui.waitFor(/live web1:eth0, web2:eth0 \| capture: icmp \| shown 0 \/ 0 /, 90_000);
    return { t: tui, screen };
  }
  /** Kills web2's ssh session (its sshd processes but the listener): the remote capture's channel is gone. */
  function killWeb2Session(): void {
    const web2 = lab.hosts[1];
    for (const x of lab.procs(web2.ns)) if (x.comm === "sshd" && x.pid !== web2.sshd.pid) process.kill(x.pid, "SIGKILL");
  }
  /** After quitting: the exit status 1 (a host failed), web1's summary line with its counts, web2's down; no capture left. */
  async function endsWith(t: NsTui, web1Packets: number, web2: RegExp): Promise<string> {
    const end = await t.waitFor(/tui exited with \d+/, 60_000);
    expect(end).toMatch(new RegExp(`^web1:eth0: ${web1Packets} packets captured, ${web1Packets} packets received by filter, 0 packets dropped by kernel; clock offset [+-]\\d`, "m"));
    expect(end).toMatch(web2);
    expect(end).toMatch(/tui exited with 1/);
    for (const h of lab.hosts) expect(await leftovers(lab, h.ns, h.sshd.pid), h.name).toEqual([]);
    return end;
  }

  it(
    "rows from both hosts with their Host column, a refused host on the status line, a filter on one host, the per-host summary at quit, no remote process left",
    async () => {
      const [web1, web2] = lab.hosts;
      const { t } = await openBoth([], ["-i", "ssh://wrongkey/eth0"]);
      // open: the two hosts capture, the third is said on the status line (ssh's own cause)
      const open = await t.waitFor(/live web1:eth0, web2:eth0 \| capture: icmp \| shown 0 \/ 0 .*\| down: wrongkey:eth0: .*Permission denied \(publickey/, 90_000);
      expect(open).toMatch(/^\s+No\.\s+Time\s+Host\s+Source\s+Destination\s+Protocol\s+Length\s+Info/m); // Host after Time: several sources
      // 4 pings from web1 to web2: 4 requests and 4 replies on each host
      lab.exec(web1.ns, ["ping", "-c", "4", "-i", "0.1", web2.ip]);
      const s = await t.waitFor(/shown 16 \/ 16 \|/, 60_000);
      const rows = s.split("\n").filter((l) => /^\s+\d+ \d+\.\d{6} /.test(l));
      expect(rows.length, s).toBe(16);
      const row = (host: string, kind: string) => new RegExp(`^\\s+\\d+ \\d+\\.\\d{6}\\s+${host}\\s+${kind === "request" ? `${web1.ip}\\s+${web2.ip}` : `${web2.ip}\\s+${web1.ip}`}\\s+ICMP\\s+98 ICMP echo ${kind}`);
      for (const host of ["web1:eth0", "web2:eth0"]) {
        for (const kind of ["request", "reply"]) expect(rows.filter((l) => row(host, kind).test(l)).length, `${host} ${kind}\n${s}`).toBe(4);
      }
      // a display filter on one host
      await t.keys("/");
      await t.type('frame.interface_name == "web2:eth0"');
      await t.keys("Enter");
      const f = await t.waitFor(/filter: frame\.interface_name == "web2:eth0" \| shown 8 \/ 16/, 30_000);
      const shown = f.split("\n").filter((l) => /^\s+\d+ \d+\.\d{6} /.test(l));
      expect(shown.length).toBe(8);
      for (const l of shown) expect(l).toMatch(/^\s+\d+ \d+\.\d{6}\s+web2:eth0\s/);
      // quit (the live capture is not saved: asked), then the per-host summary, exit 1 (a host failed)
      await t.keys("q");
      await t.waitFor(/Discard it and quit\? \(y\/n\)/);
      await t.keys("y");
      // the refused host makes the exit status 1; no capture left on either host
      await endsWith(t, 8, /^web2:eth0: 8 packets captured, 8 packets received by filter, 0 packets dropped by kernel; clock offset [+-]\d/m);
    },
    240_000,
  );

  it(
    "a host whose ssh session is killed mid-capture is on the status line while the other goes on; w saves both hosts as pcapng (tshark: frame.interface_name)",
    async () => {
      const [web1, web2] = lab.hosts;
      const { t } = await openBoth([]);
      lab.exec(web1.ns, ["ping", "-c", "3", "-i", "0.1", web2.ip]);
      await t.waitFor(/shown 12 \/ 12 \|/, 60_000);
      killWeb2Session();
      const down = await t.waitFor(/\| down: web2:eth0: \S/, 60_000);
      expect(down).not.toMatch(/down: web1/);
      // web1 goes on: pings to the control namespace (web2 sees none of them)
      lab.exec(web1.ns, ["ping", "-c", "3", "-i", "0.1", lab.ctlIp]);
      await t.waitFor(/shown 18 \/ 18 \|/, 60_000);
      const out = path.join(tmp, "both.pcapng");
      await t.keys("w");
      await t.waitFor(/save shown packets to: tsniff-saved\.pcap/);
      // Ctrl-U clears the suggested name; seen cleared before typing (at load a key read together with the
      // text that follows is taken as text)
      for (let k = 0; ; k++) {
        await t.keys("C-u");
        const cleared = await t.waitFor(/^save shown packets to: *$/m, 3000).then(
          () => true,
          () => false,
        );
        if (cleared) break;
        if (k === 5) throw new Error(`Ctrl-U did not clear the prompt:\n${t.screen()}`);
      }
      await t.type(out);
      await t.keys("Enter");
      await t.waitFor(/saved 18 packets to /, 30_000);
      expect(tally(fieldRows(out, "frame.interface_name"))).toEqual({ "web1:eth0": 12, "web2:eth0": 6 });
      await t.keys("q");
      await endsWith(t, 12, /^web2:eth0: 6 packets captured, .*; down: \S/m);
    },
    240_000,
  );

  it(
    "--stop-on-down: a host whose ssh session is killed stops the whole capture (said on the status line); the rows stay, no remote process left on either host",
    async () => {
      const [web1, web2] = lab.hosts;
      const { t } = await openBoth(["--stop-on-down"]);
      lab.exec(web1.ns, ["ping", "-c", "3", "-i", "0.1", web2.ip]);
      await t.waitFor(/shown 12 \/ 12 \|/, 60_000);
      killWeb2Session();
      await t.waitFor(/\| down: web2:eth0: .* \(--stop-on-down: the capture stopped\)/, 60_000);
      // web1's capture is stopped too: no remote process left there while the TUI is still up
      expect(await leftovers(lab, web1.ns, web1.sshd.pid)).toEqual([]);
      lab.exec(web1.ns, ["ping", "-c", "3", "-i", "0.1", lab.ctlIp]);
      await new Promise((r) => setTimeout(r, 4000));
      expect(t.screen()).toMatch(/shown 12 \/ 12 \|/);
      await t.keys("q");
      await t.waitFor(/Discard it and quit\? \(y\/n\)/);
      await t.keys("y");
      await endsWith(t, 6, /^web2:eth0: 6 packets captured, .*; down: \S/m);
    },
    240_000,
  );
});
