/**
 * End to end, for the defects of issue 17: the real program (`tsniff --tui -r FILE`) in a tmux session of a
 * given size, driven with send-keys and read back with capture-pane (./tmux-helper.ts: a tmux server of its
 * own per test, killed after it, and a temporary XDG_CONFIG_HOME).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HTTP, TMUX, Tui } from "./tmux-helper.js";


/** A pcap of Ethernet/IPv4/UDP packets 10.1.0.1:4000 -> 10.1.0.2:5000 with these payloads (UDP checksum 0: none). */
function udpPcap(name: string, payloads: Buffer[]): string {
  const parts = [Buffer.from("d4c3b2a1020004000000000000000000ffff000001000000", "hex")];
  payloads.forEach((p, n) => {
    const ip = Buffer.from("450000000001000040110000" + "0a010001" + "0a010002", "hex");
    ip.writeUInt16BE(28 + p.length, 2);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(4000, 0);
    udp.writeUInt16BE(5000, 2);
    udp.writeUInt16BE(8 + p.length, 4);
    const frame = Buffer.concat([Buffer.from("020000000002020000000001" + "0800", "hex"), ip, udp, p]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + n, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  const f = path.join(os.tmpdir(), `tsniff-tuid-${process.pid}-${name}.pcap`);
  fs.writeFileSync(f, Buffer.concat(parts));
  return f;
}

let tui: Tui | null = null;
const t = (): Tui => tui!;
const tmux = (...args: string[]): string => t().tmux(...args);
const waitFor = (re: RegExp, ms = 10_000): Promise<string> => t().waitFor(re, ms);
const keys = (...ks: string[]): Promise<void> => t().keys(...ks);
/** `tsniff --tui ARGS` in a tmux session of this size, of its own (./tmux-helper.ts); a running one is stopped first */
function start(args: string[], cols = 160, rows = 45): void {
  tui?.stop();
  tui = new Tui();
  t().start(["--tui", ...args], cols, rows);
}

afterEach(() => {
  tui?.stop();
  tui = null;
});

describe.skipIf(!TMUX)("tsniff --tui defects (issue 17)", () => {
  it("does not read Ctrl-W, Ctrl-S, Ctrl-Q (or Alt-letter) as the plain letter", async () => {
    start(["-r", HTTP]);
    await waitFor(/q quit {2}\? help[^\n]*\n.*shown 41 \/ 41/);
    await keys("C-w", "C-s", "C-q", "M-s", "j");
    // the j after them was read: the keys before it were too, and did nothing
    const s = await waitFor(/▸ Frame 2: /);
    expect(s).not.toContain("save shown packets to:");
    expect(s).not.toContain("Follow TCP");
    expect(s).not.toContain("tui exited");
    expect(s).toMatch(/^q quit {2}\? help/m);
    // the plain letters still work
    await keys("w");
    await waitFor(/^save shown packets to: tsniff-saved\.pcap/m);
    await keys("Escape", "q");
    await waitFor(/tui exited with 0/);
  });

  it("shows the follow view's bytes >= 0x80 that are not UTF-8 as \\xNN, keeping UTF-8 characters", async () => {
    const f = udpPcap("high", [Buffer.from([0x61, 0x62, 0x9b, 0xff, 0xc3, 0xa9, 0x7a, 0x1b, 0x0a]), Buffer.from("plain\n")]);
    try {
      start(["-r", f]);
      await waitFor(/shown 2 \/ 2/);
      await keys("s");
      const s = await waitFor(/^plain$/m);
      expect(s).toContain("Follow UDP 10.1.0.1:4000 ⇄ 10.1.0.2:5000");
      expect(s).toMatch(/^ab\\x9b\\xfféz\\x1b$/m);
      expect(s).not.toContain("\ufffd");
    } finally {
      fs.rmSync(f, { force: true });
    }
  });

  it("goes back to the conversations table with Esc from a stream opened there", async () => {
    start(["-r", HTTP]);
    await waitFor(/q quit {2}\? help[^\n]*\n.*shown 41 \/ 41/);
    await keys("c");
    await waitFor(/TCP conversations/);
    await keys("Enter");
    const f = await waitFor(/Follow TCP (\S+) ⇄ (\S+) .*\n.*: \d+ packets?, \d+ bytes?/);
    const [, a, b] = /Follow TCP (\S+) ⇄ (\S+) /.exec(f)!;
    expect(f).not.toContain("TCP conversations");
    await keys("Escape");
    const t = await waitFor(/TCP conversations/);
    expect(t).toMatch(/10\.202\.0\.1:50206\s+10\.202\.0\.2:80\s+10\s+5614\s+11\s+1365/);
    expect(t).toContain(a);
    expect(t).toContain(b);
    expect(t).not.toContain("Follow TCP");
    // and from the table, q goes back to the packets
    await keys("q");
    await waitFor(/▸ Frame \d+: /);
  });

  it("draws every pane at 40x10 and 80x11, says \"terminal too small\" below 40x10, and recovers when enlarged", async () => {
    const rel = path.join("fixtures", "http", "http.pcap");
    for (const [cols, rows] of [
      [40, 10],
      [80, 11],
    ]) {
      start(["-r", rel], cols, rows);
      const s = await waitFor(/\nq quit {2}\? help[^\n]*\nfixtures\/http\/http\.pcap \| shown 41 \/ 41 *\n/);
      const l = s.split("\n");
      expect(l[0]).toMatch(/^ +No\. Time +Source/);
      expect(l[1]).toMatch(/^ +1 0\.000000 +10\.202\.0\.1/);
      expect(l[2]).toMatch(/^ +2 0\.000046 +10\.202\.0\.2/);
      expect(l[3]).toMatch(/^── Detail (?:1-\d+ of \d+ ↓ )?─+$/);
      expect(l[4]).toMatch(/^▸ Frame 1: 74 bytes on wire/);
      const hexAt = rows === 10 ? 6 : 7;
      expect(l[hexAt - 1]).toMatch(/^── Bytes (?:1-1 of 5 ↓ )?─+$/);
      expect(l[hexAt]).toMatch(/^0000  02 00 0a ca 00 02 02 00 /);
      expect(l[hexAt + 1]).toMatch(/^q quit {2}\? help/);
      expect(l[hexAt + 2]).toMatch(/^fixtures\/http\/http\.pcap \| shown 41 \/ 41/);
      for (const x of l) expect(x.length).toBeLessThanOrEqual(cols);
      // nothing drawn twice
      expect(s.match(/── Bytes/g)!.length).toBe(1);
      expect(s.match(/shown 41/g)!.length).toBe(1);
    }
    start(["-r", rel], 39, 10);
    const small = await waitFor(/terminal too small/);
    expect(small.split("\n").slice(0, 3)).toEqual(["terminal too small", "39x10, needs 40x10", "q quits"]);
    expect(small).not.toMatch(/No\.|shown 41/);
    tmux("resize-window", "-t", "main", "-x", "80", "-y", "24");
    const big = await waitFor(/\nfixtures\/http\/http\.pcap \| shown 41 \/ 41/);
    expect(big).not.toContain("terminal too small");
    expect(big).toMatch(/^ +No\. Time +Source/);
    await keys("q");
    await waitFor(/tui exited with 0/);
  });

  it("draws every pane at 200x50: 19 list rows with Info whole, the tree, the bytes, help and status lines", async () => {
    start(["-r", path.join("fixtures", "http", "http.pcap")], 200, 50);
    const s = await waitFor(/\nq quit {2}\? help[^\n]*\nfixtures\/http\/http\.pcap \| shown 41 \/ 41 *\n/);
    const l = s.split("\n").map((x) => x.trimEnd());
    expect(l[0]).toMatch(/^ +No\. Time +Source +Destination +Protocol +Length Info$/);
    expect(l.slice(1, 20).map((x) => Number(x.trim().split(/ +/)[0]))).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    // wide enough for the SYN's whole Info (no …)
    expect(l[1]).toMatch(/ 74 50206 → 80 \[SYN\] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=\d+ TSecr=0 WS=1024$/);
    expect(l[20]).toBe("── Detail " + "─".repeat(190));
    expect(l.slice(21, 25)).toEqual([
      "▸ Frame 1: 74 bytes on wire (592 bits), 74 bytes captured (592 bits)",
      "▸ Ethernet II",
      "▸ Internet Protocol Version 4",
      "▸ Transmission Control Protocol",
    ]);
    expect(l[25]).toBe("");
    expect(l[37]).toBe("── Bytes " + "─".repeat(191));
    expect(l[38]).toMatch(/^0000  02 00 0a ca 00 02 02 00  0a ca 00 01 08 00 45 00  /);
    expect(l[42]).toMatch(/^0040  /); // 74 bytes: five hex rows
    expect(l[43]).toBe("");
    expect(l[47]).toMatch(/^q quit {2}\? help/);
    expect(l[48]).toMatch(/^fixtures\/http\/http\.pcap \| shown 41 \/ 41$/);
    for (const x of l) expect(x.length).toBeLessThanOrEqual(200);
    await keys("q");
    await waitFor(/tui exited with 0/);
  });

  it("gives the tree's blank lines to the hex rows, says when more rows exist, and scrolls a last node's children into view", async () => {
    start(["-r", path.join("fixtures", "http", "http.pcap")], 80, 24);
    await waitFor(/\nq quit {2}\? help[^\n]*\nfixtures\/http\/http\.pcap \| shown 41 \/ 41/);
    await keys(..."jjjjjjjj".split(""));
    const s = await waitFor(/▸ Frame 9: 1514 bytes/);
    const l = s.split("\n");
    const d = l.findIndex((x) => x.startsWith("── Detail"));
    const b = l.findIndex((x) => x.startsWith("── Bytes"));
    // no blank line in the tree pane: every line between the separators is a tree line
    for (let i = d + 1; i < b; i++) expect(l[i]).toMatch(/^▸ /);
    // 1514 bytes are 95 hex rows: the separator says which are shown and that more follow
    const m = /^── Bytes 1-(\d+) of 95 ↓ ─+$/.exec(l[b])!;
    expect(m).not.toBeNull();
    const shown = Number(m[1]);
    expect(shown).toBeGreaterThan(3); // more than the fixed 3 rows of an 80x24 screen
    expect(l[b + shown]).toMatch(/^0[0-9a-f]{3}  /);
    expect(l[b + shown + 1]).toMatch(/^q quit/);
    // the last tree node expanded: its children come into view
    await keys("Tab", "G", "Enter");
    const t = await waitFor(/^▾ /m);
    const tl = t.split("\n");
    const d2 = tl.findIndex((x) => x.startsWith("── Detail"));
    const b2 = tl.findIndex((x) => x.startsWith("── Bytes"));
    expect(tl[b2 - 1]).toMatch(/^ {4}\S/); // the pane's last line is a child of the node
    expect(tl.slice(d2 + 1, b2).some((x) => /^▾ /.test(x))).toBe(true); // and the node itself is still shown
    await keys("q");
    await waitFor(/tui exited with 0/);
  });
});
