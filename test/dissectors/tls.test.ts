/** TLS: nothing added to tcpdump's line (it has no TLS printer); records, handshakes, SNI, ALPN, alerts in the tree. */
import { describe, expect, it } from "vitest";
import { Dissector, walkFields, type TreeNode } from "../../src/dissectors/index.js";
import { fixture, readCapture, standardSuite } from "./app-common.js";

await standardSuite({
  id: "tls",
  files: ["tls/tls.pcap"],
  fields: [
    "tls.record.content_type",
    "tls.record.version",
    "tls.record.length",
    "tls.handshake.type",
    "tls.handshake.length",
    "tls.handshake.version",
    "tls.handshake.random",
    "tls.handshake.session_id_length",
    "tls.handshake.ciphersuite",
    "tls.handshake.extension.type",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.extensions.supported_version",
    "tls.alert_message.level",
    "tls.alert_message.desc",
  ],
  ids: ["tls"],
  minCompared: 60,
});

describe("tls: specifics", () => {
  it("finds SNI and ALPN of each ClientHello, on 443 and (by heuristic) on 8443", async () => {
    const { packets } = await readCapture(fixture("tls/tls.pcap"));
    const dis = new Dissector();
    const sni: string[] = [];
    const alpn: string[] = [];
    const alerts: number[] = [];
    for (const p of packets) {
      const { tree } = dis.dissectBytes(p.data, p.linktype, { wirelen: p.wirelen, tree: true });
      walkFields((tree?.roots ?? []) as TreeNode[], (n) => {
        if (n.name === "tls.handshake.extensions_server_name") sni.push(String(n.value));
        if (n.name === "tls.handshake.extensions_alpn_str") alpn.push(String(n.value));
        if (n.name === "tls.alert_message.desc") alerts.push(Number(n.value));
      });
    }
    expect(sni).toEqual(["tls1.bench.test", "tls2.bench.test", "alt.bench.test", "tls3.bench.test"]);
    expect(alpn).toContain("h2");
    expect(alpn).toContain("http/1.1");
    expect(alerts.length).toBeGreaterThan(0);
  });
});
