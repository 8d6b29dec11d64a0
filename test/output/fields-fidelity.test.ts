/**
 * -T fields against live tshark, cell by cell, over corpus captures chosen for what they exercise, with the
 * field set of scripts/fields-fidelity.mjs (the report over the whole everyday corpus, docs/FIDELITY-FIELDS.md):
 *   - Wireshark's TCP numbers: tcp.stream, tcp.seq / tcp.ack relative to each direction's base (SYN seen or
 *     not), tcp.len on every segment
 *   - IPv6: the hidden ip.version, ipv6.tclass's eight hex digits
 *   - the headers quoted in an ICMP error (IPv4, UDP, ICMP echo): tshark lists them after the outer ones
 *   - a UDP header cut short: its ports all the same
 *   - ERSPAN types I-III (the mirrored frame after the outer headers); OTV on port 8472, not decoded by tshark
 *   - an IPv4 total length of 0 (TSO): the frame's length, and the layers after it (a UDP length of 0: no checksum)
 *   - a record longer than the snapshot length: frame.cap_len is the record's (the packet is cut, as libpcap does)
 *   - QUIC Initial packets: tshark decrypts them and lists the TLS handshake's fields; short-header DCIDs
 * tshark runs once per file (it is the oracle; nothing of tsniff's output is recorded); tsniff in-process.
 */
import fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { createPrinter } from "../../src/output/printer.js";
import { readAll } from "./helpers.js";
import { BASE } from "./options.js";
import { tsharkAvailable, tsharkCells } from "./tshark.js";
import { CORPUS } from "../helpers/paths.js";
import { getField, getProtocol } from "../../src/dissectors/registry.js";
// @ts-ignore: a plain module shared with the script
import { FAMILIES } from "../../scripts/fields-set.mjs";

const FIELDS = Object.values(FAMILIES as Record<string, string[]>).flat();

const FILES = [
  // TCP: handshakes seen, connections joined midway, several streams, port reuse
  "dns_tcp.pcap",
  "tcp-handshake-nano.pcap",
  "gquic.pcap", // Google QUIC: no quic.* fields
  "whois.pcap",
  "ipv4_tcp_http_xml.pcap",
  "tcp_header_heapoverflow.pcap",
  // IPv6
  "dhcpv6-ia-na.pcap",
  "icmpv6.pcap",
  // ICMP errors quoting IPv4 + UDP / ICMP
  "icmp-cksum-oobr-1.pcap",
  "mpls-traceroute.pcap",
  "dhcp-rfc4388.pcap",
  "icmp-rfc5837.pcap",
  // UDP cut short
  "udp-length-heapoverflow.pcap",
  // extended echo (RFC 8335), a flags word with bit 8 set, DHCPv6 relay messages, IPv4 headers Wireshark stops in
  "icmp-rfc8335.pcap",
  "icmp6-rfc8335.pcap",
  "heapoverflow-tcp_print.pcap",
  "dhcpv6-mud.pcap",
  "ipv4_invalid_hdr_length.pcap",
  "ipv4_invalid_length.pcap",
  "ipv4_invalid_total_length_2.pcap",
  "isakmp-various-oobr.pcap", // a fragment offset: tshark prints it in 8-byte units
  // DNS, DHCP, NTP, ARP
  "dhcp-mud.pcap",
  "ntp.pcap",
  // records longer than the file's snapshot length: frame.cap_len is the record header's
  "mobility_opt_asan.pcap",
  "bootp_asan.pcap",
  "rpl-dao-oobr.pcap",
  // ERSPAN I, II, III in GRE: the mirrored frame's fields after the outer ones
  "erspan-type-i-3.pcap",
  "erspan-type-ii-1.pcap",
  "erspan-type-ii-3.pcap",
  "erspan-type-iii-ft-0.pcap",
  // OTV on UDP 8472: tshark does not decode it (tcpdump's line does)
  "vxlan_port_8472.pcap",
  // an IPv4 total length of 0 (TSO, BIG TCP): tshark takes the frame's length and dissects on
  "bigtcp-ipv4.pcap",
  "bigtcp-ipv4-vxlan-ipv4.pcap",
  "icmp-length-zero.pcapng",
  "ipv4_tcp_http_xml_tso.pcap",
  // WCCP redirection in GRE; AccECN's ACE counter in tcp.flags.str; IGMP DVMRP (no igmp.type) and mtrace's group
  "wccp_redirect_gre.pcap",
  "accecn_handshake.pcap",
  "mrinfo_query.pcap",
  "mtrace.pcap",
  // fractions of a second or more (Wireshark's 32-bit nanoseconds); an IPv4 total length past the frame (tcp.len)
  "timestamp_invalid_micro.pcap",
  "timestamp_invalid_nano.pcap",
  "kday4.pcap",
  // IPv6 as Wireshark stops in it: LINKTYPE_IPV6 holding another version, a bad version, a header cut short
  "LINKTYPE_IPV6_invalid.pcap",
  "beep-oobr.pcap",
  "ipv6-bad-version.pcap",
  "ipv6_39_byte_header.pcap",
  "ipv6_invalid_length.pcap",
  // a DNS name of more than 255 characters: "<Name too long>", read on to its end
  "dns-badlabel.pcap",
  // QUIC Initial packets decrypted (keys from the client's first DCID): the TLS ClientHello/ServerHello inside;
  // a Retry, a Version Negotiation, packets cut short; short-header DCIDs known from the long headers
  "quic_handshake.pcap",
  "quic_retry.pcap",
  "quic_vn.pcap",
  "quic_handshake_truncated.pcap",
  // DNS compression pointers pointing forwards (followed, as Wireshark does; 10518 questions); loops
  "dns_fwdptr.pcap",
  "dns-zlip-1.pcap",
  // UDP length 0 over IPv6 (a jumbogram's): the header shown whole
  "quic_32_bit_pointer_overflow.pcap",
  // the IPv6 header quoted in an ICMPv6 error (RFC 7112's incomplete header chain); a version 6 header where
  // the link said IPv4: Wireshark hands it to IPv6
  "icmpv6-rfc7112.pcap",
  "kday3.pcap",
  // ARP with odd hardware types and lengths: MAC fields only for Ethernet's types; the fixed fields of a malformed one
  "arp-oobr.pcap",
  // NTP mode 7: a PEER_LIST_SUM response's peers (their stratum and polling interval)
  "ntp-mode7.pcap",
];


describe.skipIf(!fs.existsSync(CORPUS) || !tsharkAvailable())("-T fields: the same cells as tshark", () => {
  // tshark takes most of a second to start: all files' runs at once, three at a time, before the comparisons
  const answers = new Map<string, string[][] | null>();
  beforeAll(async () => {
    let next = 0;
    const worker = async () => {
      while (next < FILES.length) {
        const f = FILES[next++];
        answers.set(f, await tsharkCells(`${CORPUS}/${f}`, FIELDS));
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }, 600_000); // a loaded machine: tshark starts slowly
  for (const f of FILES) {
    it(f, async () => {
      const file = `${CORPUS}/${f}`;
      expect(fs.existsSync(file)).toBe(true);
      const want = answers.get(f);
      expect(want).not.toBeNull();
      const known = FIELDS.filter((n) => getField(n) || getProtocol(n));
      const { batch, info } = await readAll(file);
      const p = createPrinter({ ...BASE, format: "fields", fields: known }, info);
      const diffs: string[] = [];
      expect(batch.count).toBe(want!.length);
      for (let i = 0; i < batch.count; i++) {
        const cells = p(batch, i, i + 1).replace(/\n$/, "").split("\t");
        for (let k = 0; k < FIELDS.length; k++) {
          const j = known.indexOf(FIELDS[k]);
          const got = j < 0 ? "" : (cells[j] ?? ""),
            t = want![i][k] ?? "";
          if (got !== t) diffs.push(`frame ${i + 1} ${FIELDS[k]}: tsniff '${got.slice(0, 80)}' tshark '${t.slice(0, 80)}'`);
        }
      }
      expect(diffs.slice(0, 20)).toEqual([]);
    });
  }
});
