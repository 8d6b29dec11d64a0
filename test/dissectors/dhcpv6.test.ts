/** DHCPv6: "dhcp6 solicit" and Wireshark's dhcpv6.* fields (compared once IPv6 is dissected). */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, fixture, HAVE_IPV6, HAVE_TCPDUMP, standardSuite, verboseDiff } from "./app-common.js";

await standardSuite({
  id: "dhcpv6",
  files: ["dhcpv6/dhcpv6.pcap"],
  fields: ["dhcpv6.msgtype", "dhcpv6.xid", "dhcpv6.option.type", "dhcpv6.option.length", "dhcpv6.duid.type", "dhcpv6.iaid", "dhcpv6.iaaddr.ip", "dhcpv6.dns_server"],
  ids: ["dhcpv6"],
  corpus: /^(dhcpv6|dhcp6|dhcpv4v6)/,
  needsIpv6: true,
  minCompared: 8,
  // Until IPv6 is dissected only the IPv4-carried corpus packets reach DHCPv6.
  minCorpusRate: 0,
});

describe("dhcpv6: -v, -vv output matches tcpdump", () => {
  const files = [fixture("dhcpv6/dhcpv6.pcap"), ...fs.readdirSync(CORPUS).filter((f) => /^(dhcpv6|dhcp6|dhcpv4v6)/.test(f)).map((f) => `${CORPUS}/${f}`)];
  for (const f of files) {
    it.skipIf(!HAVE_TCPDUMP || !HAVE_IPV6() || !fs.existsSync(f))(path.basename(f), async () => {
      for (const v of [1, 2]) {
        const { diffs } = await verboseDiff(f, v, ["dhcpv6"]);
        expect(diffs).toEqual([]);
      }
    });
  }
});
