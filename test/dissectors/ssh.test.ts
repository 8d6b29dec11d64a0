/** SSH: tcpdump's ": SSH: SSH-2.0-..." for the version exchange, ssh.protocol in the tree. */
import { describe, expect, it } from "vitest";
import { craftedDiff, HAVE_TCPDUMP, ipFrame, standardSuite } from "./app-common.js";

await standardSuite({
  id: "ssh",
  files: ["ssh/ssh.pcap"],
  fields: ["ssh.protocol"],
  ids: ["ssh"],
  corpus: /^ssh/,
  minCompared: 2,
});

describe("ssh: tcpdump's banner rules on crafted payloads", () => {
  it.skipIf(!HAVE_TCPDUMP)("matches tcpdump for each case", async () => {
    const cases = [
      "SSH-2.0-OpenSSH_9.6\r\n",
      "SSH-2.0-lf-only\n",
      "SSH-2.0-no-line-end",
      "SSH-2.0-cr-alone\rmore\r\n",
      "SSH-2.0-ends-with-cr\r",
      "SSH-1.99-old\r\nextra lines\r\n",
      "SSH-\r\n",
      "SSH\r\n",
      "ssh-2.0-lowercase\r\n",
      "SSH-2.0-bin\u0001ary\r\n",
      "SSH-2.0-high\u00e9\r\n",
      "\u0000\u0000\u0000\u001c\u0006\u0014binary packet",
      "S",
      "SS",
      "SSH-2.0-tab\there\r\n",
    ];
    const frames = cases.map((c, i) => ipFrame("tcp", 50000 + i, 22, c));
    const { ours, tcpdump } = await craftedDiff(frames);
    expect(tcpdump.length).toBe(frames.length);
    expect(ours).toEqual(tcpdump);
  });
});
