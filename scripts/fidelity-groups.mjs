// How scripts/fidelity.mjs and scripts/fields-fidelity.mjs group a dissected packet by protocol (the key of
// its row), and which protocols count as everyday ones. See fidelity.mjs's header for the rule.
/** IP protocols tsniff may not decode, by the name tcpdump's decoder goes by. */
export const IPPROTO_KEYS = { 8: "egp", 33: "dccp", 46: "rsvp", 50: "esp", 51: "ah", 88: "eigrp", 89: "ospf", 94: "ipip", 103: "pim", 108: "ipcomp", 112: "vrrp", 113: "pgm", 132: "sctp", 4: "ipip", 41: "ipv6-in-ip" };
/** Well-known ports (either end; the lower port first, as tcpdump tries it). */
export const PORT_KEYS = {
  7: "echo", 20: "ftp-data", 21: "ftp", 23: "telnet", 25: "smtp", 37: "time", 49: "tacacs", 69: "tftp", 79: "finger", 80: "http",
  88: "kerberos", 110: "pop3", 111: "rpc", 119: "nntp", 123: "ntp", 137: "netbios-ns", 138: "netbios-dgm", 139: "netbios-ssn",
  143: "imap", 161: "snmp", 162: "snmp", 179: "bgp", 389: "ldap", 427: "srvloc", 443: "https", 445: "smb", 464: "kerberos",
  500: "isakmp", 513: "rlogin", 514: "syslog", 520: "rip", 521: "ripng", 546: "dhcpv6", 547: "dhcpv6", 554: "rtsp", 623: "ipmi",
  646: "ldp", 698: "olsr", 861: "owamp", 862: "twamp", 1645: "radius", 1646: "radius", 1701: "l2tp", 1812: "radius", 1813: "radius",
  1985: "hsrp", 2049: "nfs", 2055: "netflow", 2123: "gtp", 2152: "gtp", 2427: "mgcp", 2727: "mgcp", 3784: "bfd", 3785: "bfd",
  3799: "radius", 4341: "lisp", 4342: "lisp", 4500: "isakmp-nat", 4784: "bfd", 5060: "sip", 5061: "sip", 5353: "mdns", 5355: "llmnr",
  5678: "rrcp", 6633: "openflow", 6653: "openflow", 6081: "geneve", 6343: "sflow", 6696: "babel", 7000: "afs", 7001: "afs",
  7002: "afs", 7003: "afs", 7004: "afs", 7005: "afs", 7007: "afs", 7009: "afs", 8472: "otv", 9995: "netflow", 9996: "netflow",
};
const NETWORK = new Set(["ip", "ipv6"]);
const TRANSPORT = new Set(["tcp", "udp"]);
const LINK = new Set(["eth", "sll", "null", "raw", "llc", "vlan", "ieee8021ad", "ppp", "ppp_hdlc", "pppoe", "mpls", "radiotap"]);

/** The group of a dissected packet (see the header). */
export function keyOf(ctx) {
  const L = ctx.layers;
  let n = L.length;
  // the line's protocols: a layer tcpdump stops at (ERSPAN in GRE, an IPv4 total length of 0) held the
  // line, and the layers after it are in the tree only
  if (ctx.lineHoldLayers > 0 && ctx.lineHoldLayers < n) n = ctx.lineHoldLayers;
  if (n > 1 && (L[n - 1] === "erspan" || L[n - 1] === "wccp")) n--; // their line is GRE's words ("gre-proto-0x88be")
  const data = n > 0 && L[n - 1] === "data";
  if (data) n--;
  if (n === 0) return `linktype ${ctx.linktype}`;
  const top = L[n - 1];
  if (NETWORK.has(top) && ctx.ipProto >= 0) return IPPROTO_KEYS[ctx.ipProto] ?? (data ? `ip proto ${ctx.ipProto}` : top);
  if (TRANSPORT.has(top) && data) {
    const lo = Math.min(ctx.srcPort, ctx.dstPort), hi = Math.max(ctx.srcPort, ctx.dstPort);
    return PORT_KEYS[lo] ?? PORT_KEYS[hi] ?? `${top} (payload not decoded)`;
  }
  // a link layer on top: tsniff decoded no network layer (an ethertype, SAP or protocol it has no dissector for)
  if (LINK.has(top)) return `${top} (payload not decoded)`;
  return top;
}

/** The everyday protocols (rows marked * in docs/FIDELITY.md). */
export const EVERYDAY = ["arp", "ip", "ipv6", "icmp", "icmpv6", "tcp", "udp", "dns", "http", "tls", "ssh", "ntp", "dhcp", "dhcpv6", "igmp", "vlan", "llc", "gre", "vxlan", "quic"];
