// The -T fields set that scripts/fields-fidelity.mjs and test/output/fields-fidelity.test.ts compare with
// tshark's: the fields a user commonly asks for, by protocol family (Wireshark's names).
/** The field set, by protocol family. */
export const FAMILIES = {
  frame: ["frame.number", "frame.time_epoch", "frame.time_relative", "frame.len", "frame.cap_len"],
  eth: ["eth.src", "eth.dst", "eth.type"],
  vlan: ["vlan.id", "vlan.priority", "vlan.etype"],
  arp: ["arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4"],
  ip: ["ip.version", "ip.hdr_len", "ip.dsfield", "ip.len", "ip.id", "ip.flags", "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.ttl", "ip.proto", "ip.checksum", "ip.src", "ip.dst"],
  ipv6: ["ipv6.tclass", "ipv6.flow", "ipv6.plen", "ipv6.nxt", "ipv6.hlim", "ipv6.src", "ipv6.dst"],
  tcp: ["tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.seq", "tcp.seq_raw", "tcp.ack", "tcp.ack_raw", "tcp.hdr_len", "tcp.flags", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.flags.str", "tcp.window_size_value", "tcp.checksum", "tcp.urgent_pointer", "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr"],
  udp: ["udp.srcport", "udp.dstport", "udp.length", "udp.checksum"],
  icmp: ["icmp.type", "icmp.code", "icmp.checksum", "icmp.ident", "icmp.seq", "icmp.mtu", "icmp.redir_gw"],
  icmpv6: ["icmpv6.type", "icmpv6.code", "icmpv6.checksum", "icmpv6.echo.identifier", "icmpv6.echo.sequence_number", "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address", "icmpv6.mtu"],
  igmp: ["igmp.version", "igmp.type", "igmp.maddr"],
  gre: ["gre.proto", "gre.key"],
  dns: ["dns.id", "dns.flags.response", "dns.flags.opcode", "dns.flags.rcode", "dns.count.queries", "dns.count.answers", "dns.qry.name", "dns.qry.type", "dns.qry.class", "dns.resp.name", "dns.resp.type", "dns.resp.ttl", "dns.a", "dns.aaaa", "dns.cname", "dns.ns", "dns.ptr.domain_name", "dns.mx.mail_exchange"],
  http: ["http.request.method", "http.request.uri", "http.request.version", "http.host", "http.user_agent", "http.response.code", "http.response.phrase", "http.content_type", "http.server", "http.location"],
  tls: ["tls.record.content_type", "tls.record.version", "tls.handshake.type", "tls.handshake.version", "tls.handshake.ciphersuite", "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str"],
  ssh: ["ssh.protocol", "ssh.message_code"],
  dhcp: ["dhcp.type", "dhcp.id", "dhcp.ip.client", "dhcp.ip.your", "dhcp.hw.mac_addr", "dhcp.option.dhcp", "dhcp.option.hostname", "dhcp.option.requested_ip_address"],
  dhcpv6: ["dhcpv6.msgtype", "dhcpv6.xid"],
  ntp: ["ntp.flags.vn", "ntp.flags.mode", "ntp.stratum", "ntp.ppoll", "ntp.precision"],
  vxlan: ["vxlan.vni"],
  quic: ["quic.version", "quic.long.packet_type", "quic.dcid"],
};
