/**
 * Issue #13, the rows of docs/FIDELITY.md that were still below 95% at -v (BGP, RADIUS, PPP, ICMP, ...): each
 * case is a corpus capture and the report's modes (-nn, -nn -v, -nn -e); tsniff's text for every packet that
 * tcpdump's text shows the protocol in, dissected in-process through the library, must equal tcpdump's (run
 * with -#, as scripts/fidelity.mjs compares them). Nothing of tcpdump's output is written down here.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS } from "../helpers/paths.js";
import { ALL_MODES, fidelitySuite } from "../helpers/tcpdump-packets.js";
import { readCapture, robustness } from "../dissectors/app-common.js";

const BGP_FILES = [
  "bgp-aigp-2.pcap", "bgp-aigp-oobr.pcap", "bgp-as-path-oobr.pcap", "bgp-bgpsec.pcap", "bgp-encap.pcap", "bgp-extended-shutdown-msg.pcapng",
  "bgp-infinite-loop.pcap", "bgp-large-community.pcap", "bgp-role.pcapng", "bgp-rt-prefix.pcap", "bgp-ub.pcap", "bgp_mp_reach_nlri-oobr.pcap",
  "bgp_mvpn_6_and_7_oobr.pcap", "bgp_pmsi_tunnel-oobr.pcap", "bgp_vpn_attrset.pcap", "bgp_vpn_rt-oobr.pcap", "bgpsec_invalid_signature_block_length.pcap",
  "tok2str-oobr-1.pcap",
];

fidelitySuite(
  "BGP UPDATE at -v: unknown attributes' hex dumps, AIGP, Large Community, PMSI tunnel, ATTR_SET, route target membership, multicast VPN, an UPDATE's own truncation mark",
  BGP_FILES.map((file) => ({ file, modes: ALL_MODES, shows: /BGP/ })),
);

fidelitySuite("AFS Rx on UDP 7000-7009 (calls, replies matched to their calls, acks), also quoted in ICMP errors at -v", [
  // not yet: the volume server's replies (" vol reply list-one-volume name ...")
  { file: "afs.pcap", modes: ALL_MODES, shows: /^(?![^]*vol reply)[^]* rx / },
  { file: "rx_serviceid_oobr.pcap", modes: ALL_MODES, shows: / rx / },
]);

fidelitySuite("PPP: PAP's and MLPPP's own truncation marks, IPCP's IP-Comp option and options longer than what is left, HDLC-escaped control frames", [
  ...["truncated-aack.pcap", "mlppp-oobr.pcap", "ppp-invalid-lengths.pcap", "ppp_error_hexdump.pcap"].map((file) => ({ file, modes: ALL_MODES })),
]);

fidelitySuite("DHCP at -v: an option tcpdump 4.99 does not know (143) as its unknown-option bytes, a client id's control characters as tcpdump's ^@", [
  { file: "dhcpv4v6-rfc5970-rfc8572.pcap", modes: ALL_MODES, shows: /BOOTP|DHCP/ },
]);

fidelitySuite("ICMPv6 RPL (type 155): the message's name, at -v the DAO's and DAO-ACK's DODAG id, sequence, instance and flags; a mobile prefix advertisement's id and options at -v", [
  ...["rpl-14-dao.pcap", "rpl-19-pickdag.pcap", "rpl-26-senddaoack.pcap", "rpl-dao-oobr.pcap"].map((file) => ({ file, modes: ALL_MODES })),
  // a mobile prefix advertisement cut after its id (the capture's second record is an empty one tcpdump refuses)
  { file: "icmp6_mobileprefix_asan.pcap", modes: ALL_MODES, shows: /ICMP6/ },
]);

fidelitySuite("OSPFv3 at -v: the authentication trailer (RFC 7166) after the packet", [{ file: "ospf3_auth.pcapng", modes: ALL_MODES }]);

describe.skipIf(!fs.existsSync(CORPUS))("the printers these captures reach", () => {
  it("survive every truncation and seeded byte flips of the malformed BGP and PPP captures, RPL messages and an OSPFv3 authentication trailer", async () => {
    const problems: string[] = [];
    for (const f of ["bgp-ub.pcap", "bgp_vpn_attrset.pcap", "bgp-rt-prefix.pcap", "bgp_mp_reach_nlri-oobr.pcap", "ppp-invalid-lengths.pcap", "ppp_error_hexdump.pcap", "rpl-19-pickdag.pcap", "rpl-26-senddaoack.pcap", "ospf3_auth.pcapng"]) {
      const { packets } = await readCapture(path.join(CORPUS, f));
      problems.push(...robustness(packets, { seed: 0xb69, flips: 30 }).map((p) => `${f}: ${p}`));
    }
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);

  it("survive every truncation and seeded byte flips of AFS Rx packets (calls, replies, acks, ICMP errors quoting them)", async () => {
    const { packets, lines } = await readCapture(path.join(CORPUS, "afs.pcap"), 1);
    // one packet of each kind tsniff's text shows (the capture has 601 packets, most of them alike)
    const seen = new Set<string>();
    const some = packets.filter((_p, i) => {
      const k = (/ rx (\w+)(?: seq \d+ ser \d+)?( \w+ \w+ [\w-]+)?/.exec(lines[i]) ?? [""]).slice(1).join("") + (lines[i].includes("ICMP") ? "icmp" : "");
      if (k === "" || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    expect(some.length).toBeGreaterThan(10);
    expect(robustness(some, { seed: 0x7003, flips: 30 }).slice(0, 20)).toEqual([]);
  }, 300_000);
});
