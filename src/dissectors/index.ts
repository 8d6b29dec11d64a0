/**
 * Loads every protocol module (each registers itself in the tables) and exports the engine.
 * Adding a protocol: create its file, bind it into its parents' tables, import it here.
 */
import "./link/ethernet.js";
import "./link/sll.js";
import "./link/null.js";
import "./network/ipv4.js";
import "./link/vlan.js";
import "./link/llc.js";
import "./link/ieee80211.js";
import "./link/radiotap.js";
import "./link/stp.js";
import "./link/lldp.js";
import "./link/mpls.js";
import "./link/ppp.js";
import "./link/pppoe.js";
import "./link/nflog.js";
import "./link/cdp.js";
import "./link/chdlc.js";
import "./link/aoe.js";
import "./network/arp.js";
import "./network/ipv6.js";
import "./network/icmp.js";
import "./network/icmpv6.js";
import "./network/igmp.js";
import "./network/gre.js";
import "./network/ospf.js";
import "./network/pim.js";
import "./network/eigrp.js";
import "./network/vrrp.js";
import "./network/osi.js";
import "./network/isis.js";
import "./network/vxlan.js";
import "./transport/tcp.js";
import "./transport/udp.js";
import "./application/dns.js";
import "./application/http.js";
import "./application/tls.js";
import "./application/ssh.js";
import "./application/ntp.js";
import "./application/bgp.js";
import "./application/dhcp.js";
import "./application/dhcpv6.js";
import "./application/quic.js";
import "./application/ptp.js";
import "./application/babel.js";
import "./application/bfd.js";
import "./application/rip.js";
import "./application/radius.js";
import "./application/snmp.js";
import "./application/syslog.js";
import "./application/sip.js";

export { Dissector, type DissectResult } from "./engine.js";
export { Reader } from "./reader.js";
export * from "./types.js";
export * from "./registry.js";
export { TreeBuilder, type TreeNode, walkFields, NULL_TREE } from "./tree.js";
