/** BOOTP/DHCP: "BOOTP/DHCP, Request from MAC, length 300" and Wireshark's dhcp.* fields. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, fixture, HAVE_TCPDUMP, standardSuite, verboseDiff } from "./app-common.js";

await standardSuite({
  id: "dhcp",
  files: ["dhcp/dhcp.pcap"],
  fields: [
    "dhcp.type",
    "dhcp.hw.type",
    "dhcp.hw.len",
    "dhcp.id",
    "dhcp.flags",
    "dhcp.ip.client",
    "dhcp.ip.your",
    "dhcp.hw.mac_addr",
    "dhcp.cookie",
    "dhcp.option.type",
    "dhcp.option.length",
    "dhcp.option.dhcp",
    "dhcp.option.hostname",
    "dhcp.option.domain_name",
    "dhcp.option.dhcp_server_id",
    "dhcp.option.ip_address_lease_time",
    "dhcp.option.requested_ip_address",
    "dhcp.option.subnet_mask",
    "dhcp.option.router",
    "dhcp.option.domain_name_server",
    "dhcp.option.request_list_item",
  ],
  ids: ["dhcp"],
  corpus: /^(dhcp-|bootp)/,
  minCompared: 40,
});

describe("dhcp: -v, -vv, -vvv output matches tcpdump", () => {
  const files = [fixture("dhcp/dhcp.pcap"), ...fs.readdirSync(CORPUS).filter((f) => /^(dhcp-|bootp)/.test(f)).map((f) => `${CORPUS}/${f}`)];
  for (const f of files) {
    it.skipIf(!HAVE_TCPDUMP || !fs.existsSync(f))(path.basename(f), async () => {
      for (const v of [1, 2, 3]) {
        const { compared, diffs } = await verboseDiff(f, v, ["dhcp"]);
        expect(diffs).toEqual([]);
        expect(compared).toBeGreaterThan(0);
      }
    });
  }
});
