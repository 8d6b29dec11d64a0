/** HTTP/1.x: tcpdump's ": HTTP[: first line]" on ports 80/8080, the heuristic on other ports, Wireshark's fields. */
import { describe, expect, it } from "vitest";
import { Dissector, walkFields, type TreeNode } from "../../src/dissectors/index.js";
import { compareFields, craftedDiff, fixture, HAVE_TCPDUMP, HAVE_TSHARK, ipFrame, readCapture, standardSuite } from "./app-common.js";

const FIELDS = [
  "http.request.method",
  "http.request.uri",
  "http.request.version",
  "http.host",
  "http.user_agent",
  "http.response.version",
  "http.response.code",
  "http.response.phrase",
  "http.content_type",
  "http.content_length_header",
];

await standardSuite({
  id: "http",
  files: ["http/http.pcap"],
  fields: FIELDS,
  ids: ["http"],
  corpus: /^(http|ipv4_tcp_http|arcnet-rfc1051-arp-icmp-http)/,
  tsharkExtra: ["-d", "tcp.port==8000,http"],
  minCompared: 40,
  // The one corpus packet is an IPv4 TSO capture (total length 0) that tcpdump prints as "IP bad-len 0".
  minCorpusRate: 0,
});

describe("http: specifics", () => {
  it("port 8000 is found by the heuristic: fields in the tree, nothing added to tcpdump's line", async () => {
    const { packets, lines, layers } = await readCapture(fixture("http/http.pcap"));
    const dis = new Dissector();
    let seen = 0;
    packets.forEach((p, i) => {
      if (!/\.8000[ :]/.test(lines[i]) || !layers[i].includes("http")) return;
      seen++;
      expect(lines[i]).not.toContain("HTTP");
      const { tree } = dis.dissectBytes(p.data, p.linktype, { wirelen: p.wirelen, tree: true });
      let found = false;
      walkFields((tree?.roots ?? []) as TreeNode[], (n) => {
        if (n.name === "http.request.method" || n.name === "http.response.code") found = true;
      });
      expect(found).toBe(true);
    });
    expect(seen).toBe(2);
  });

  it("continuation segments print just ': HTTP'", async () => {
    const { lines } = await readCapture(fixture("http/http.pcap"));
    expect(lines.filter((l) => l.endsWith(": HTTP")).length).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(!HAVE_TSHARK)("every request and response value appears in tshark's output (tshark reassembles)", async () => {
    // Per-frame comparison skips frames where only one side has a value; here the multiset over the file must
    // agree for the request line fields, which are never split in these captures.
    const { packets } = await readCapture(fixture("http/http.pcap"));
    const { diffs } = compareFields(fixture("http/http.pcap"), packets, ["http.request.method", "http.request.uri", "http.host"], ["-d", "tcp.port==8000,http"]);
    expect(diffs).toEqual([]);
  });
});

describe("http: tcpdump's first-line rules on crafted payloads", () => {
  it.skipIf(!HAVE_TCPDUMP)("matches tcpdump for each case", async () => {
    const cases = [
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "get /lower HTTP/1.0\r\n\r\n",
      "GET /no-line-end HTTP/1.1",
      "GET /lf-only HTTP/1.1\nHost: x\n\n",
      "GET /cr-alone HTTP/1.1\rHost: x\r\n",
      "GET\r\n",
      "GET  /two-spaces HTTP/1.1\r\n",
      "GET\t/tab HTTP/1.1\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 404\r\n\r\n",
      "HTTP/1.1 2000 Too long\r\n\r\n",
      "XYZ 200 looks like a status\r\n",
      "FOO bar baz\r\n",
      "PROPFIND /dav HTTP/1.1\r\n\r\n",
      "BASELINE-CONTROL /x HTTP/1.1\r\n\r\n",
      "M-SEARCH * HTTP/1.1\r\n\r\n",
      "just some body text\r\nmore\r\n",
      "GET /" + "a".repeat(200) + " HTTP/1.1\r\n\r\n",
      "A".repeat(130) + " 200 x\r\n",
      "GET /bin\u0001ary HTTP/1.1\r\n",
      "GET /high\u00e9 HTTP/1.1\r\n",
      "\r\n\r\n",
      " GET / HTTP/1.1\r\n",
      "POST /form HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    ];
    const frames: Uint8Array[] = [];
    cases.forEach((c, i) => {
      frames.push(ipFrame("tcp", 40000 + i, 80, c));
      frames.push(ipFrame("tcp", 40000 + i, 8080, c));
      frames.push(ipFrame("tcp", 40000 + i, 8000, c)); // heuristic port: tcpdump prints nothing more
    });
    const { ours, tcpdump } = await craftedDiff(frames);
    expect(tcpdump.length).toBe(frames.length);
    expect(ours).toEqual(tcpdump);
  });
});
