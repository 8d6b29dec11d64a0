/**
 * RADIUS (RFC 2865, 2866, 5176 and the attribute RFCs tcpdump knows) on UDP ports 1645/1646/1812/1813 and the
 * dynamic-authorization ports 1700/3799, as tcpdump's print-radius.c prints it:
 *   -nn: "RADIUS, Access-Request (1), id: 0x05 length: 139"
 *   -v:  "RADIUS, length: 139\n\tAccess-Request (1), id: 0x05, Authenticator: <hex>" then one line per attribute
 *        ("\n\t  User-Name Attribute (1), length: 14, Value: John.McGuirk"), EAP-Message attributes decoded
 *        as tcpdump's eap_print does; -vv adds a hex dump of each attribute's value.
 * The tree has Wireshark's fields: radius.code, radius.id, radius.length, radius.authenticator,
 * radius.avp.type/length and one field per attribute named like Wireshark's (radius.User_Name, ...).
 */
import { bind } from "../registry.js";
import { ipv4At, ipv6At } from "../format.js";
import { hexPrint } from "../hexprint.js";
import { eapText } from "../eap-print.js";
import { hexAsciiDump } from "../network/arp.js";
import { fields, type Ctx, type FieldDef, type FieldType, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

export const RADIUS_CODE: Readonly<Record<number, string>> = {
  1: "Access-Request",
  2: "Access-Accept",
  3: "Access-Reject",
  4: "Accounting-Request",
  5: "Accounting-Response",
  11: "Access-Challenge",
  12: "Status-Server",
  13: "Status-Client",
  40: "Disconnect-Request",
  41: "Disconnect-ACK",
  42: "Disconnect-NAK",
  43: "CoA-Request",
  44: "CoA-ACK",
  45: "CoA-NAK",
  255: "Reserved",
};

/** How tcpdump prints an attribute's value (its print_attr_* functions). */
const enum K {
  None,
  Str,
  Num,
  Addr,
  Addr6,
  Mask6,
  Vendor,
  Time,
  Strange,
  Vec64,
  Mip6,
  OpName,
  LocInfo,
  LocData,
  Blpr,
}

/** Wireshark's type of the attribute's field: s string, b bytes, u uint, 4 IPv4, 6 IPv6. */
type W = "s" | "b" | "u" | "4" | "6";

/** tcpdump's attr_type table: name, printer, Wireshark field type; index = attribute type. */
const ATTRS: ReadonlyArray<readonly [string, K, W]> = [
  ["", K.None, "b"],
  ["User-Name", K.Str, "s"],
  ["User-Password", K.None, "s"],
  ["CHAP-Password", K.None, "b"],
  ["NAS-IP-Address", K.Addr, "4"],
  ["NAS-Port", K.Num, "u"],
  ["Service-Type", K.Num, "u"],
  ["Framed-Protocol", K.Num, "u"],
  ["Framed-IP-Address", K.Addr, "4"],
  ["Framed-IP-Netmask", K.Addr, "4"],
  ["Framed-Routing", K.Num, "u"],
  ["Filter-Id", K.Str, "s"],
  ["Framed-MTU", K.Num, "u"],
  ["Framed-Compression", K.Num, "u"],
  ["Login-IP-Host", K.Addr, "4"],
  ["Login-Service", K.Num, "u"],
  ["Login-TCP-Port", K.Num, "u"],
  ["Unassigned", K.None, "b"],
  ["Reply-Message", K.Str, "s"],
  ["Callback-Number", K.Str, "s"],
  ["Callback-Id", K.Str, "s"],
  ["Unassigned", K.None, "b"],
  ["Framed-Route", K.Str, "s"],
  ["Framed-IPX-Network", K.Num, "4"],
  ["State", K.Str, "b"],
  ["Class", K.Str, "b"],
  ["Vendor-Specific", K.Vendor, "b"],
  ["Session-Timeout", K.Num, "u"],
  ["Idle-Timeout", K.Num, "u"],
  ["Termination-Action", K.Num, "u"],
  ["Called-Station-Id", K.Str, "s"],
  ["Calling-Station-Id", K.Str, "s"],
  ["NAS-Identifier", K.Str, "s"],
  ["Proxy-State", K.Str, "b"],
  ["Login-LAT-Service", K.Str, "s"],
  ["Login-LAT-Node", K.Str, "s"],
  ["Login-LAT-Group", K.Str, "b"],
  ["Framed-AppleTalk-Link", K.Num, "u"],
  ["Framed-AppleTalk-Network", K.Num, "u"],
  ["Framed-AppleTalk-Zone", K.Str, "s"],
  ["Acct-Status-Type", K.Num, "u"],
  ["Acct-Delay-Time", K.Num, "u"],
  ["Acct-Input-Octets", K.Num, "u"],
  ["Acct-Output-Octets", K.Num, "u"],
  ["Acct-Session-Id", K.Str, "s"],
  ["Acct-Authentic", K.Num, "u"],
  ["Acct-Session-Time", K.Num, "u"],
  ["Acct-Input-Packets", K.Num, "u"],
  ["Acct-Output-Packets", K.Num, "u"],
  ["Acct-Terminate-Cause", K.Num, "u"],
  ["Acct-Multi-Session-Id", K.Str, "s"],
  ["Acct-Link-Count", K.Num, "u"],
  ["Acct-Input-Gigawords", K.Num, "u"],
  ["Acct-Output-Gigawords", K.Num, "u"],
  ["Unassigned", K.None, "b"],
  ["Event-Timestamp", K.Time, "u"],
  ["Egress-VLANID", K.Num, "u"],
  ["Ingress-Filters", K.Num, "u"],
  ["Egress-VLAN-Name", K.Str, "s"],
  ["User-Priority-Table", K.None, "b"],
  ["CHAP-Challenge", K.Str, "b"],
  ["NAS-Port-Type", K.Num, "u"],
  ["Port-Limit", K.Num, "u"],
  ["Login-LAT-Port", K.Str, "s"],
  ["Tunnel-Type", K.Num, "u"],
  ["Tunnel-Medium-Type", K.Num, "u"],
  ["Tunnel-Client-Endpoint", K.Str, "s"],
  ["Tunnel-Server-Endpoint", K.Str, "s"],
  ["Acct-Tunnel-Connection", K.Str, "s"],
  ["Tunnel-Password", K.Str, "s"],
  ["ARAP-Password", K.Strange, "b"],
  ["ARAP-Features", K.Strange, "b"],
  ["ARAP-Zone-Access", K.Num, "u"],
  ["ARAP-Security", K.Str, "u"],
  ["ARAP-Security-Data", K.Str, "s"],
  ["Password-Retry", K.Num, "u"],
  ["Prompt", K.Num, "u"],
  ["Connect-Info", K.Str, "s"],
  ["Configuration-Token", K.Str, "s"],
  ["EAP-Message", K.Str, "b"],
  ["Message-Authenticator", K.Str, "b"],
  ["Tunnel-Private-Group-ID", K.Str, "s"],
  ["Tunnel-Assignment-ID", K.Str, "s"],
  ["Tunnel-Preference", K.Num, "u"],
  ["ARAP-Challenge-Response", K.Strange, "b"],
  ["Acct-Interim-Interval", K.Num, "u"],
  ["Acct-Tunnel-Packets-Lost", K.Num, "u"],
  ["NAS-Port-Id", K.Str, "s"],
  ["Framed-Pool", K.Str, "s"],
  ["CUI", K.Str, "s"],
  ["Tunnel-Client-Auth-ID", K.Str, "s"],
  ["Tunnel-Server-Auth-ID", K.Str, "s"],
  ["NAS-Filter-Rule", K.Str, "s"],
  ["Unassigned", K.None, "b"],
  ["Originating-Line-Info", K.None, "s"],
  ["NAS-IPv6-Address", K.Addr6, "6"],
  ["Framed-Interface-ID", K.None, "b"],
  ["Framed-IPv6-Prefix", K.Mask6, "b"],
  ["Login-IPv6-Host", K.Addr6, "6"],
  ["Framed-IPv6-Route", K.Str, "s"],
  ["Framed-IPv6-Pool", K.Str, "s"],
  ["Error-Cause", K.Strange, "u"],
  ["EAP-Key-Name", K.None, "s"],
  ["Digest-Response", K.Str, "s"],
  ["Digest-Realm", K.Str, "s"],
  ["Digest-Nonce", K.Str, "s"],
  ["Digest-Response-Auth", K.Str, "s"],
  ["Digest-Nextnonce", K.Str, "s"],
  ["Digest-Method", K.Str, "s"],
  ["Digest-URI", K.Str, "s"],
  ["Digest-Qop", K.Str, "s"],
  ["Digest-Algorithm", K.Str, "s"],
  ["Digest-Entity-Body-Hash", K.Str, "s"],
  ["Digest-CNonce", K.Str, "s"],
  ["Digest-Nonce-Count", K.Str, "s"],
  ["Digest-Username", K.Str, "s"],
  ["Digest-Opaque", K.Str, "s"],
  ["Digest-Auth-Param", K.Str, "s"],
  ["Digest-AKA-Auts", K.Str, "s"],
  ["Digest-Domain", K.Str, "s"],
  ["Digest-Stale", K.Str, "s"],
  ["Digest-HA1", K.Str, "s"],
  ["SIP-AOR", K.Str, "s"],
  ["Delegated-IPv6-Prefix", K.Mask6, "b"],
  ["MIP6-Feature-Vector", K.Vec64, "b"],
  ["MIP6-Home-Link-Prefix", K.Mip6, "b"],
  ["Operator-Name", K.OpName, "s"],
  ["Location-Information", K.LocInfo, "b"],
  ["Location-Data", K.LocData, "b"],
  ["Basic-Location-Policy-Rules", K.Blpr, "b"],
];

// Standard values of the numeric attributes (tcpdump's tables: [first value, names...]).
const SERV_TYPE = ["Login", "Framed", "Callback Login", "Callback Framed", "Outbound", "Administrative", "NAS Prompt", "Authenticate Only", "Callback NAS Prompt", "Call Check", "Callback Administrative", "Voice", "Fax", "Modem Relay", "IAPP-Register", "IAPP-AP-Check", "Authorize Only", "Framed-Management", "Additional-Authorization"];
const FRM_PROTO = ["PPP", "SLIP", "ARAP", "Gandalf proprietary", "Xylogics IPX/SLIP", "X.75 Synchronous", "GPRS PDP Context"];
const FRM_ROUTING = ["None", "Send", "Listen", "Send&Listen"];
const FRM_COMP = ["None", "VJ TCP/IP", "IPX", "Stac-LZS"];
const LOGIN_SERV = ["Telnet", "Rlogin", "TCP Clear", "PortMaster(proprietary)", "LAT", "X.25-PAD", "X.25-T3POS", "Unassigned", "TCP Clear Quiet"];
const TERM_ACTION = ["Default", "RADIUS-Request"];
const INGRESS_FILTERS = ["Enabled", "Disabled"];
const NAS_PORT_TYPE = [
  "Async", "Sync", "ISDN Sync", "ISDN Async V.120", "ISDN Async V.110", "Virtual", "PIAFS", "HDLC Clear Channel", "X.25", "X.75",
  "G.3 Fax", "SDSL", "ADSL-CAP", "ADSL-DMT", "ISDN-DSL", "Ethernet", "xDSL", "Cable", "Wireless - Other", "Wireless - IEEE 802.11",
  "Token-Ring", "FDDI", "Wireless - CDMA200", "Wireless - UMTS", "Wireless - 1X-EV", "IAPP", "FTTP", "Wireless - IEEE 802.16", "Wireless - IEEE 802.20", "Wireless - IEEE 802.22",
  "PPPoA", "PPPoEoA", "PPPoEoE", "PPPoEoVLAN", "PPPoEoQinQ", "xPON", "Wireless - XGP", "WiMAX Pre-Release 8 IWK Function", "WIMAX-WIFI-IWK", "WIMAX-SFF",
  "WIMAX-HA-LMA", "WIMAX-DHCP", "WIMAX-LBS", "WIMAX-WVS",
];
const ACCT_STATUS = ["Start", "Stop", "Interim-Update", "Unassigned", "Unassigned", "Unassigned", "Accounting-On", "Accounting-Off", "Tunnel-Start", "Tunnel-Stop", "Tunnel-Reject", "Tunnel-Link-Start", "Tunnel-Link-Stop", "Tunnel-Link-Reject", "Failed"];
const ACCT_AUTH = ["RADIUS", "Local", "Remote", "Diameter"];
const ACCT_TERM = [
  "User Request", "Lost Carrier", "Lost Service", "Idle Timeout", "Session Timeout", "Admin Reset", "Admin Reboot", "Port Error", "NAS Error", "NAS Request",
  "NAS Reboot", "Port Unneeded", "Port Preempted", "Port Suspended", "Service Unavailable", "Callback", "User Error", "Host Request", "Supplicant Restart",
  "Reauthentication Failure", "Port Reinitialized", "Port Administratively Disabled", "Lost Power",
];
const TUNNEL_TYPE = ["PPTP", "L2F", "L2TP", "ATMP", "VTP", "AH", "IP-IP", "MIN-IP-IP", "ESP", "GRE", "DVS", "IP-in-IP Tunneling", "VLAN"];
const TUNNEL_MEDIUM = ["IPv4", "IPv6", "NSAP", "HDLC", "BBN 1822", "802", "E.163", "E.164", "F.69", "X.121", "IPX", "Appletalk", "Decnet IV", "Banyan Vines", "E.164 with NSAP subaddress"];
const ARAP_ZONE = ["Only access to dfl zone", "Use zone filter inc.", "Not used", "Use zone filter exc."];
const PROMPT = ["No Echo", "Echo"];

/** attribute type -> [first value, names] */
const VALUES: Readonly<Record<number, readonly [number, readonly string[]]>> = {
  6: [1, SERV_TYPE],
  7: [1, FRM_PROTO],
  10: [0, FRM_ROUTING],
  13: [0, FRM_COMP],
  15: [0, LOGIN_SERV],
  29: [0, TERM_ACTION],
  40: [1, ACCT_STATUS],
  45: [1, ACCT_AUTH],
  49: [1, ACCT_TERM],
  57: [1, INGRESS_FILTERS],
  61: [0, NAS_PORT_TYPE],
  64: [1, TUNNEL_TYPE],
  65: [1, TUNNEL_MEDIUM],
  72: [1, ARAP_ZONE],
  76: [0, PROMPT],
};

const ERROR_CAUSE: Readonly<Record<number, string>> = {
  201: "Residual Session Context Removed",
  202: "Invalid EAP Packet (Ignored)",
  401: "Unsupported Attribute",
  402: "Missing Attribute",
  403: "NAS Identification Mismatch",
  404: "Invalid Request",
  405: "Unsupported Service",
  406: "Unsupported Extension",
  407: "Invalid Attribute Value",
  501: "Administratively Prohibited",
  502: "Request Not Routable (Proxy)",
  503: "Session Context Not Found",
  504: "Session Context Not Removable",
  505: "Other Proxy Processing Error",
  506: "Resources Unavailable",
  507: "Request Initiated",
  508: "Multiple Session Selection Unsupported",
  509: "Location Info Required",
};

/** MIP6-Feature-Vector bits: [high 32 bits, low 32 bits, name] in tcpdump's order */
const MIP6_FEATURES: ReadonlyArray<readonly [number, number, string]> = [
  [0, 0x1, "MIP6_INTEGRATED"],
  [0, 0x2, "LOCAL_HOME_AGENT_ASSIGNMENT"],
  [0x100, 0, "PMIP6_SUPPORTED"],
  [0x200, 0, "IP4_HOA_SUPPORTED"],
  [0x400, 0, "LOCAL_MAG_ROUTING_SUPPORTED"],
  [0x800, 0, "ASSIGN_LOCAL_IP"],
  [0x1000, 0, "MIP4_SUPPORTED"],
  [0x2000, 0, "OPTIMIZED_IDLE_MODE_MOBILITY"],
  [0x4000, 0, "GTPv2_SUPPORTED"],
  [0x8000, 0, "IP4_TRANSPORT_SUPPORTED"],
  [0x10000, 0, "IP4_HOA_ONLY_SUPPORTED"],
  [0x20000, 0, "INTER_MAG_ROUTING_SUPPORTED"],
];
const OPERATOR_NS: Readonly<Record<number, string>> = { 0x30: "TADIG", 0x31: "REALM", 0x32: "E212", 0x33: "ICC" };
const LOC_CODE: Readonly<Record<number, string>> = { 0: "Civic", 1: "Geospatial" };
const LOC_ENTITY: Readonly<Record<number, string>> = { 0: "User", 1: "RADIUS" };
const RFC4675_TAG: Readonly<Record<number, string>> = { 0x31: "Tagged", 0x32: "Untagged" };

/**
 * SMI enterprise numbers as tcpdump 4.99 names them (its smi_values) in Vendor-Specific attributes: the ones
 * found by asking it; any other prints "Unknown".
 */
const SMI: Readonly<Record<number, string>> = {
  0: "IETF (reserved)",
  9: "Cisco",
  11: "Hewlett Packard",
  193: "Ericsson AB",
  311: "Microsoft",
  429: "3Com",
  529: "Ascend",
  1584: "Bay Networks",
  1991: "Foundry",
  2352: "Redback",
  2636: "Juniper Networks",
  3076: "Cisco VPN 3000",
  3309: "Nomadix",
  3561: "The Broadband Forum",
  3902: "ZTE",
  4329: "Siemens",
  4491: "CableLabs",
  4874: "Unisphere Networks",
  5263: "Cisco BBSM",
  5535: "3rd Generation Partnership Project 2 (3GPP2)",
  8164: "Starent Networks",
  10415: "3GPP",
  12356: "Fortinet",
  14122: "Wi-Fi Alliance",
};

const WS_CODE: Readonly<Record<number, string>> = { ...RADIUS_CODE, 255: "Reserved" };

const BASE = fields("radius", {
  code: ["Code", "uint", { values: WS_CODE }],
  id: ["Identifier", "uint"],
  length: ["Length", "uint"],
  authenticator: ["Authenticator", "bytes"],
  avp: ["AVP", "bytes"],
  "avp.type": ["Type", "uint"],
  "avp.length": ["Length", "uint"],
});

const WTYPE: Readonly<Record<W, FieldType>> = { s: "string", b: "bytes", u: "uint", "4": "ipv4", "6": "ipv6" };

/** One field per attribute, named like Wireshark's (radius.User_Name); index = attribute type. */
const ATTR_FIELDS: Array<FieldDef | undefined> = [];
const attrDefs: Record<string, [string, FieldType]> = {};
for (let i = 1; i < ATTRS.length; i++) {
  const [name, , w] = ATTRS[i];
  if (name === "Unassigned") continue;
  attrDefs[name.replace(/-/g, "_")] = [name, WTYPE[w]];
}
const AF = fields("radius", attrDefs);
for (let i = 1; i < ATTRS.length; i++) ATTR_FIELDS[i] = AF[ATTRS[i][0].replace(/-/g, "_")];

const F: Record<string, FieldDef> = { ...BASE, ...AF };

const MIN_LEN = 20;
const HEX = "0123456789abcdef";

export const RADIUS: Protocol = {
  id: "radius",
  name: "RADIUS",
  title: "RADIUS Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    const length = r.reportedRemaining;
    if (p + MIN_LEN > r.cap) {
      ctx.line.s(" [|radius]");
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const code = r.byteAt(p);
    const id = r.byteAt(p + 1);
    let len = (r.byteAt(p + 2) << 8) | r.byteAt(p + 3);
    if (len < MIN_LEN) {
      ctx.line.s(" [|radius]");
      ctx.markMalformed(`RADIUS length ${len} < 20`);
      r.pos = r.cap;
      return;
    }
    if (len > length) len = length;
    const l = ctx.line;
    const name = RADIUS_CODE[code];
    if (ctx.opts.verbose < 1) {
      l.s("RADIUS, ")
        .s(name ?? "Unknown Command")
        .s(" (")
        .u(code)
        .s("), id: 0x")
        .hex(id, 2)
        .s(" length: ")
        .u(len);
    } else verbose(r, ctx, p, len, code, id);
    if (t.on) tree(r, t, p, len, code, id);
    r.pos = r.cap;
  },
};

for (const port of [1645, 1646, 1700, 1812, 1813, 3799]) bind("udp.port", port, RADIUS);

// ---------------------------------------------------------------------------------------------------------
// The detail tree.

function hexAt(r: Reader, p: number, n: number): string {
  let s = "";
  const end = Math.min(p + n, r.cap);
  for (let i = p; i < end; i++) {
    const b = r.byteAt(i);
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}

function tree(r: Reader, t: TreeSink, p: number, len: number, code: number, id: number): void {
  t.add(BASE.code, code, p, 1);
  t.add(BASE.id, id, p + 1, 1);
  t.add(BASE.length, (r.byteAt(p + 2) << 8) | r.byteAt(p + 3), p + 2, 2);
  t.add(BASE.authenticator, hexAt(r, p + 4, 16), p + 4, 16);
  const end = Math.min(p + len, r.cap);
  let q = p + MIN_LEN;
  while (q + 2 <= end) {
    const type = r.byteAt(q);
    const alen = r.byteAt(q + 1);
    if (alen < 2 || q + alen > end) {
      t.note(`Malformed attribute (type ${type}, length ${alen})`, q, end - q);
      break;
    }
    const aname = type > 0 && type < ATTRS.length ? ATTRS[type][0] : "Unknown";
    t.push(BASE.avp, hexAt(r, q, alen), q, alen, `t=${aname}(${type}) l=${alen}`);
    t.add(BASE["avp.type"], type, q, 1);
    t.add(BASE["avp.length"], alen, q + 1, 1);
    const f = type > 0 && type < ATTRS.length ? ATTR_FIELDS[type] : undefined;
    const d = q + 2;
    const n = alen - 2;
    if (f) {
      if (f.type === "uint" && n === 4) t.add(f, ((r.byteAt(d) << 24) | (r.byteAt(d + 1) << 16) | (r.byteAt(d + 2) << 8) | r.byteAt(d + 3)) >>> 0, d, 4);
      else if (f.type === "ipv4" && n === 4) t.add(f, ipv4At(r.data, d), d, 4);
      else if (f.type === "ipv6" && n === 16) t.add(f, ipv6At(r.data, d), d, 16);
      else if (f.type === "string") t.add(f, r.latin1At(d, n), d, n);
      else if (f.type === "bytes") t.add(f, hexAt(r, d, n), d, n);
    }
    t.pop();
    q += alen;
  }
}

// ---------------------------------------------------------------------------------------------------------
// -v: tcpdump's radius_print / radius_attrs_print / print_attr_* / eap_print.

/** Thrown where tcpdump's GET_ macros stop printing the packet (past the captured bytes): " [|radius]". */
const CUT = { cut: true };
const TRUNC = " [|radius]";

function tok(m: Readonly<Record<number, string>>, v: number, dflt: string): string {
  return m[v] ?? dflt;
}

/** "%02d" of a non-negative number */
function d2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** ctime()'s text (UTC): "Thu Jan  1 00:00:00 1970" */
function ctime(sec: number): string {
  const d = new Date(sec * 1000);
  const day = d.getUTCDate();
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day < 10 ? " " + day : day} ${d2(d.getUTCHours())}:${d2(d.getUTCMinutes())}:${d2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** tcpdump's p_ntp_time: seconds.nanoseconds and, when not zero, the UTC time */
function ntpTime(i: number, uf: number): string {
  let s = `${i}.${String(Math.trunc((uf / 4294967296) * 1e9)).padStart(9, "0")}`;
  if (i) s += ` (${new Date((i - 2208988800) * 1000).toISOString().slice(0, 19)}Z)`;
  return s;
}

function verbose(r: Reader, ctx: Ctx, p: number, len: number, code: number, id: number): void {
  const cap = r.cap;
  const vflag = ctx.opts.verbose;
  let out = `RADIUS, length: ${len}\n\t${tok(RADIUS_CODE, code, "Unknown Command")} (${code}), id: 0x${HEX[id >> 4]}${HEX[id & 15]}, Authenticator: `;
  for (let i = 0; i < 16; i++) {
    const b = r.byteAt(p + 4 + i);
    out += HEX[b >> 4] + HEX[b & 15];
  }
  const has = (q: number, n: number): boolean => q + n <= cap;
  const u8 = (q: number): number => {
    if (q + 1 > cap) throw CUT;
    return r.byteAt(q);
  };
  const be16 = (q: number): number => {
    if (q + 2 > cap) throw CUT;
    return (r.byteAt(q) << 8) | r.byteAt(q + 1);
  };
  const be24 = (q: number): number => {
    if (q + 3 > cap) throw CUT;
    return (r.byteAt(q) << 16) | (r.byteAt(q + 1) << 8) | r.byteAt(q + 2);
  };
  const be32 = (q: number): number => {
    if (q + 4 > cap) throw CUT;
    return r.byteAt(q) * 16777216 + ((r.byteAt(q + 1) << 16) | (r.byteAt(q + 2) << 8) | r.byteAt(q + 3));
  };
  const ip6 = (q: number): string => {
    if (q + 16 > cap) throw CUT;
    return ipv6At(r.data, q);
  };
  /** printable ASCII as is, anything else '.' (ND_ASCII_ISPRINT) */
  const dotted = (c: number): string => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".");
  /** nd_printn: n bytes as they are (the line escapes what a terminal must not get) */
  const printn = (q: number, n: number): void => {
    for (let i = 0; i < n; i++) {
      const c = u8(q + i);
      out += c === 0x0a ? "\\n" : String.fromCharCode(c);
    }
  };
  /** nd_printjnp: up to n bytes, stopping at a NUL */
  const printjnp = (q: number, n: number): void => {
    for (let i = 0; i < n; i++) {
      const c = u8(q + i);
      if (c === 0) return;
      out += c === 0x0a ? "\\n" : String.fromCharCode(c);
    }
  };
  const hexUp = (q: number, n: number): void => {
    for (let i = 0; i < n; i++) {
      const b = u8(q + i);
      out += (HEX[b >> 4] + HEX[b & 15]).toUpperCase();
    }
  };

  const eap = (d: number, length: number): void => {
    const e = eapText(r, d, length);
    if (e.cut && e.text === "") throw CUT; // the header itself is cut: the attribute list ends there
    out += e.text;
    if (e.cut) out += TRUNC;
  };

  const attrString = (d: number, n: number, type: number): void => {
    if (!has(d, n)) {
      out += TRUNC;
      return;
    }
    switch (type) {
      case 69: {
        if (n < 3) {
          out += TRUNC;
          return;
        }
        const tag = u8(d);
        out += tag && tag <= 0x1f ? `Tag[${tag}] ` : "Tag[Unused] ";
        out += `Salt ${be16(d + 1)} `;
        d += 3;
        n -= 3;
        break;
      }
      case 66:
      case 67:
      case 81:
      case 82:
      case 90:
      case 91: {
        const tag = u8(d);
        if (tag <= 0x1f) {
          out += tag ? `Tag[${tag}] ` : "Tag[Unused] ";
          d++;
          n--;
        }
        break;
      }
      case 58: {
        const tag = u8(d);
        out += `${tok(RFC4675_TAG, tag, "Unknown tag")} (0x${HEX[tag >> 4]}${HEX[tag & 15]}) `;
        d++;
        n--;
        break;
      }
      case 79:
        eap(d, n);
        return;
    }
    for (let i = 0; i < n; i++) {
      const c = u8(d + i);
      if (c === 0) break;
      out += dotted(c);
    }
  };

  const vendor = (d: number, n: number): void => {
    if (n < 4) {
      out += TRUNC;
      return;
    }
    const vid = be32(d);
    d += 4;
    n -= 4;
    out += `Vendor: ${tok(SMI, vid, "Unknown")} (${vid})`;
    while (n >= 2) {
      const vt = u8(d);
      let vl = u8(d + 1);
      if (vl < 2) {
        out += `\n\t    Vendor Attribute: ${vt}, Length: ${vl} (bogus, must be >= 2)`;
        return;
      }
      if (vl > n) {
        out += `\n\t    Vendor Attribute: ${vt}, Length: ${vl} (bogus, goes past end of vendor-specific attribute)`;
        return;
      }
      d += 2;
      vl -= 2;
      n -= 2;
      if (!has(d, vl)) {
        out += TRUNC;
        return;
      }
      out += `\n\t    Vendor Attribute: ${vt}, Length: ${vl}, Value: `;
      for (let i = 0; i < vl; i++) out += dotted(u8(d + i));
      d += vl;
      n -= vl;
    }
  };

  const num = (d: number, n: number, type: number): void => {
    if (n !== 4) {
      out += `ERROR: length ${n} != 4`;
      return;
    }
    const vals = VALUES[type];
    if (vals) {
      let v: number;
      if (type === 64 || type === 65) {
        const tag = u8(d);
        out += tag ? `Tag[${tag}] ` : "Tag[Unused] ";
        v = be24(d + 1);
      } else v = be32(d);
      const [first, names] = vals;
      out += v >= first && v < first + names.length ? names[v - first] : `#${v}`;
      return;
    }
    switch (type) {
      case 23: {
        const v = be32(d);
        out += v === 0xfffffffe ? "NAS Select" : String(v);
        break;
      }
      case 27:
      case 28:
      case 41:
      case 46:
      case 85: {
        const s = be32(d) | 0; // printed with %02d
        if (s >= 0 && s < 60) out += `${d2(s)} secs`;
        else if (s >= 0 && s < 3600) out += `${d2(Math.trunc(s / 60))}:${d2(s % 60)} min`;
        else {
          const u = be32(d);
          // %02d of unsigned values: negative when they do not fit in an int
          const h = Math.trunc(u / 3600);
          const m = Math.trunc((u % 3600) / 60);
          out += `${d2(h)}:${d2(m)}:${d2(u % 60)} hours`;
        }
        break;
      }
      case 37: {
        const v = be32(d);
        out += v ? String(v) : "Unnumbered";
        break;
      }
      case 38: {
        const v = be32(d);
        out += v ? String(v) : "NAS assigned";
        break;
      }
      case 83: {
        const tag = u8(d);
        out += tag ? `Tag[${tag}] ` : "Tag[Unused] ";
        out += String(be24(d + 1));
        break;
      }
      case 56: {
        const tag = u8(d);
        out += `${tok(RFC4675_TAG, tag, "Unknown tag")} (0x${HEX[tag >> 4]}${HEX[tag & 15]}) ${be24(d + 1)}`;
        break;
      }
      default:
        out += String(be32(d));
    }
  };

  const addr = (d: number, n: number, type: number): void => {
    if (n !== 4) {
      out += `ERROR: length ${n} != 4`;
      return;
    }
    const v = be32(d);
    if ((type === 8 || type === 14) && v === 0xffffffff) out += "User Selected";
    else if ((type === 8 || type === 14) && v === 0xfffffffe) out += "NAS Select";
    else out += ipv4At(r.data, d);
  };

  const mask6 = (d: number, n: number): void => {
    if (n < 2 || n > 18) {
      out += `ERROR: length ${n} not in range (2..18)`;
      return;
    }
    if (!has(d, n)) {
      out += TRUNC;
      return;
    }
    const plen = u8(d + 1);
    if (plen > 128) {
      out += `ERROR: netmask ${plen} not in range (0..128)`;
      return;
    }
    const b = new Uint8Array(16);
    for (let i = 0; i < n - 2; i++) b[i] = u8(d + 2 + i);
    out += `${ipv6At(b, 0)}/${plen}`;
    if (plen > 8 * (n - 2)) out += " (inconsistent prefix length)";
  };

  const strange = (d: number, n: number, type: number): void => {
    switch (type) {
      case 70:
        if (n !== 16) {
          out += `ERROR: length ${n} != 16`;
          return;
        }
        out += "User_challenge (";
        if (!has(d, 8)) {
          out += TRUNC;
          return;
        }
        hexUp(d, 8);
        out += ") User_resp(";
        if (!has(d + 8, 8)) {
          out += TRUNC;
          return;
        }
        hexUp(d + 8, 8);
        out += ")";
        break;
      case 71:
        if (n !== 14) {
          out += `ERROR: length ${n} != 14`;
          return;
        }
        out += u8(d) ? "User can change password" : "User cannot change password";
        out += `, Min password length: ${u8(d + 1)}`;
        out += ", created at: ";
        for (const [o, label] of [
          [2, ", expires in: "],
          [6, ", Current Time: "],
          [10, ""],
        ] as const) {
          if (!has(d + o, 4)) {
            out += TRUNC;
            return;
          }
          hexUp(d + o, 4);
          out += label;
        }
        break;
      case 84:
        if (n < 8) {
          out += `ERROR: length ${n} != 8`;
          return;
        }
        if (!has(d, 8)) {
          out += TRUNC;
          return;
        }
        hexUp(d, 8);
        break;
      case 101: {
        if (n !== 4) {
          out += `Error: length ${n} != 4`;
          return;
        }
        const v = be32(d);
        out += `Error cause ${v}: ${ERROR_CAUSE[v] ?? `Error-Cause ${v} not known`}`;
        break;
      }
    }
  };

  const value = (d: number, n: number, type: number, kind: K): void => {
    switch (kind) {
      case K.Str:
        return attrString(d, n, type);
      case K.Num:
        return num(d, n, type);
      case K.Addr:
        return addr(d, n, type);
      case K.Addr6:
        if (n !== 16) out += `ERROR: length ${n} != 16`;
        else out += ip6(d);
        return;
      case K.Mask6:
        return mask6(d, n);
      case K.Vendor:
        return vendor(d, n);
      case K.Time:
        if (n !== 4) out += `ERROR: length ${n} != 4`;
        else out += ctime(be32(d));
        return;
      case K.Strange:
        return strange(d, n, type);
      case K.Vec64: {
        if (n !== 8) {
          out += `ERROR: length ${n} != 8`;
          return;
        }
        const hi = be32(d);
        const lo = be32(d + 4);
        const names: string[] = [];
        for (const [h, l, s] of MIP6_FEATURES) if ((hi & h) !== 0 || (lo & l) !== 0) names.push(s);
        out += `[${names.join(", ")}]`;
        return;
      }
      case K.Mip6: {
        if (n !== 17) {
          out += `ERROR: length ${n} != 17`;
          return;
        }
        if (!has(d, n)) {
          out += TRUNC;
          return;
        }
        const plen = u8(d);
        if (plen > 128) {
          out += `ERROR: netmask ${plen} not in range (0..128)`;
          return;
        }
        out += `${ip6(d + 1)}/${plen}`;
        return;
      }
      case K.OpName: {
        if (!has(d, n)) {
          out += TRUNC;
          return;
        }
        if (n < 2) {
          out += `ERROR: length ${n} < 2`;
          return;
        }
        const ns = u8(d);
        out += `[${OPERATOR_NS[ns] ?? `unknown namespace ${ns}`}] `;
        printn(d + 1, n - 1);
        return;
      }
      case K.LocInfo: {
        if (!has(d, n)) {
          out += TRUNC;
          return;
        }
        if (n < 21) {
          out += `ERROR: length ${n} < 21`;
          return;
        }
        const c = u8(d + 2);
        const e = u8(d + 3);
        out += `index ${be16(d)}, code ${LOC_CODE[c] ?? `Unknown (${c})`}, entity ${LOC_ENTITY[e] ?? `Unknown (${e})`}, `;
        out += `sighting time ${ntpTime(be32(d + 4), be32(d + 8))}, `;
        out += `time to live ${ntpTime(be32(d + 12), be32(d + 16))}, `;
        out += 'method "';
        printn(d + 20, n - 20);
        out += '"';
        return;
      }
      case K.LocData: {
        if (!has(d, n)) {
          out += TRUNC;
          return;
        }
        if (n < 3) {
          out += `ERROR: length ${n} < 3`;
          return;
        }
        out += `index ${be16(d)}, location`;
        out += hexAsciiDump(r, d + 2, n - 2, "\n\t    ");
        return;
      }
      case K.Blpr: {
        if (!has(d, n)) {
          out += TRUNC;
          return;
        }
        if (n < 10) {
          out += `ERROR: length ${n} < 10`;
          return;
        }
        const flags = be16(d);
        const names: string[] = [];
        for (let b = 0; b < 15; b++) if (flags & (1 << b)) names.push(`MBZ-${15 - b}`);
        if (flags & 0x8000) names.push("Retransmission Allowed");
        out += `flags [${names.length ? names.join(", ") : "none"}], `;
        out += `retention expires ${ntpTime(be32(d + 2), be32(d + 6))}`;
        if (n > 10) {
          out += ', note well "';
          printn(d + 10, n - 10);
          out += '"';
        }
        return;
      }
    }
  };

  let dumped = 0; // how much of `out` is in the line already (the -vv hex dumps write to it directly)
  const flush = (): void => {
    ctx.line.s(out.slice(dumped));
    dumped = out.length;
  };
  try {
    let q = p + MIN_LEN;
    let length = len - MIN_LEN;
    while (length > 0) {
      if (length < 2 || !has(q, 2)) {
        out += TRUNC;
        break;
      }
      const type = r.byteAt(q);
      const alen = r.byteAt(q + 1);
      const known = type !== 0 && type < ATTRS.length;
      out += `\n\t  ${known ? ATTRS[type][0] : "Unknown"} Attribute (${type}), length: ${alen}`;
      if (alen < 2) {
        out += " (bogus, must be >= 2)";
        break;
      }
      if (alen > length) {
        out += " (bogus, goes past end of packet)";
        break;
      }
      out += ", Value: ";
      if (type < ATTRS.length && alen > 2) value(q + 2, alen - 2, type, ATTRS[type][1]);
      if (vflag > 1) {
        flush();
        if (q + 2 > cap) ctx.line.s("\n\t    Dissector error: print_unknown_data called with pointer past end of packet");
        else hexPrint(ctx.line, r, "\n\t    ", q + 2, alen - 2);
      }
      length -= alen;
      q += alen;
    }
  } catch (e) {
    if (e !== CUT) throw e;
    out += TRUNC;
  }
  flush();
  if (out.endsWith(TRUNC)) ctx.truncated = true;
}
