/**
 * End to end (tmux): the conversations view's tables and endpoints, and a row applied as the display filter.
 * The numbers are tshark's (-z conv,ip / -z endpoints,udp on the same file), laid out as the table lays them.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/run.js";
import { TMUX, Tui } from "./tmux-helper.js";

const DNS = path.join(ROOT, "fixtures", "dns", "dns-udp.pcap");
let tui: Tui | null = null;
afterEach(() => {
  tui?.stop();
  tui = null;
});

describe.skipIf(!TMUX)("tsniff --tui conversations and endpoints (issue 17)", () => {
  it("shows the IPv4 table and the UDP endpoints, and applies a row as the display filter", async () => {
    tui = new Tui();
    tui.start(["--tui", "-r", DNS], 160, 30);
    await tui.ready(26);
    await tui.keys("c");
    await tui.waitFor(/ TCP conversations /);
    await tui.keys("BTab", "BTab");
    let s = await tui.waitFor(/ IPv4 conversations /);
    let l = s.split("\n").map((x) => x.trimEnd());
    expect(l[0]).toBe(" Ethernet  IPv4 conversations  IPv6  TCP  UDP  Protocol hierarchy");
    // tshark -z conv,ip: 10.202.0.1 <-> 10.202.0.2  13 1444 bytes  13 996 bytes  26 2440 bytes  0.000000000  2.6346
    expect(l[2]).toMatch(/^10\.202\.0\.1 +10\.202\.0\.2 +13 +1444 +13 +996 +26 +2440 +0\.000000000 +2\.6346$/);
    await tui.keys("Tab", "Tab", "Tab", "e");
    s = await tui.waitFor(/ UDP endpoints /);
    l = s.split("\n").map((x) => x.trimEnd());
    expect(l[1]).toMatch(/^Address +Packets +Bytes +Tx Packets +Tx Bytes +Rx Packets +Rx Bytes$/);
    // tshark -z endpoints,udp: 10.202.0.2 53  26 2440  13 1444  13 996; then 10.202.0.1 51771  2 190  1 87  1 103
    expect(l[2]).toMatch(/^10\.202\.0\.2:53 +26 +2440 +13 +1444 +13 +996$/);
    expect(l[3]).toMatch(/^10\.202\.0\.1:51771 +2 +190 +1 +87 +1 +103$/);
    await tui.keys("j", "a");
    s = await tui.waitFor(/filter: ip\.addr == 10\.202\.0\.1 && udp\.port == 51771 \| shown 2 \/ 26/);
    expect(s).not.toContain("UDP endpoints");
    // and an IPv4 conversation row with Enter (no stream to follow: it filters)
    await tui.keys("c", "BTab", "BTab", "Enter");
    await tui.waitFor(/filter: ip\.addr == 10\.202\.0\.1 && ip\.addr == 10\.202\.0\.2 \| shown 26 \/ 26/);
    await tui.keys("q");
    await tui.waitFor(/tui exited with 0/);
  });
});
