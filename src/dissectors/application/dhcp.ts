/**
 * BOOTP/DHCP (RFC 951, RFC 2131, RFC 2132) on UDP ports 67 and 68. tcpdump's summary (print-bootp.c, no -v):
 *   "BOOTP/DHCP, Request from 02:00:00:00:00:01, length 300" / "BOOTP/DHCP, Reply, length 300"
 * (" from MAC" only for requests with an Ethernet hardware address). The tree has Wireshark's "dhcp" fields:
 * the fixed header, the magic cookie and the options (message type, server id, lease time, ...).
 */
import { bind } from "../registry.js";
import { ipv4At, macAt, printChar } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const OP: Readonly<Record<number, string>> = { 1: "Boot Request", 2: "Boot Reply" };
const MSG_TYPE: Readonly<Record<number, string>> = {
  1: "Discover",
  2: "Offer",
  3: "Request",
  4: "Decline",
  5: "ACK",
  6: "NAK",
  7: "Release",
  8: "Inform",
  9: "Force Renew",
  10: "Lease query",
  11: "Lease Unassigned",
  12: "Lease Unknown",
  13: "Lease Active",
};
const OPTION: Readonly<Record<number, string>> = {
  0: "Padding",
  1: "Subnet Mask",
  3: "Router",
  6: "Domain Name Server",
  12: "Host Name",
  15: "Domain Name",
  28: "Broadcast Address",
  42: "Network Time Protocol Servers",
  50: "Requested IP Address",
  51: "IP Address Lease Time",
  53: "DHCP Message Type",
  54: "DHCP Server Identifier",
  55: "Parameter Request List",
  57: "Maximum DHCP Message Size",
  58: "Renewal Time Value",
  59: "Rebinding Time Value",
  60: "Vendor class identifier",
  61: "Client identifier",
  81: "Client Fully Qualified Domain Name",
  255: "End",
};

const F = fields("dhcp", {
  type: ["Message type", "uint", { values: OP }],
  "hw.type": ["Hardware type", "uint", { base: "hex" }],
  "hw.len": ["Hardware address length", "uint"],
  hops: ["Hops", "uint"],
  id: ["Transaction ID", "uint", { base: "hex" }],
  secs: ["Seconds elapsed", "uint"],
  flags: ["Bootp flags", "uint", { base: "hex" }],
  "flags.bc": ["Broadcast flag", "bool"],
  "ip.client": ["Client IP address", "ipv4"],
  "ip.your": ["Your (client) IP address", "ipv4"],
  "ip.server": ["Next server IP address", "ipv4"],
  "ip.relay": ["Relay agent IP address", "ipv4"],
  "hw.mac_addr": ["Client MAC address", "ether"],
  "hw.addr": ["Client hardware address", "bytes"],
  server: ["Server host name", "string"],
  file: ["Boot file name", "string"],
  cookie: ["Magic cookie", "ipv4"],
  "option.type": ["Option", "uint", { values: OPTION }],
  "option.length": ["Length", "uint"],
  "option.value": ["Value", "bytes"],
  "option.dhcp": ["DHCP", "uint", { values: MSG_TYPE }],
  "option.subnet_mask": ["Subnet Mask", "ipv4"],
  "option.router": ["Router", "ipv4"],
  "option.domain_name_server": ["Domain Name Server", "ipv4"],
  "option.hostname": ["Host Name", "string"],
  "option.domain_name": ["Domain Name", "string"],
  "option.requested_ip_address": ["Requested IP Address", "ipv4"],
  "option.ip_address_lease_time": ["IP Address Lease Time", "uint"],
  "option.dhcp_server_id": ["DHCP Server Identifier", "ipv4"],
  "option.request_list_item": ["Parameter Request List Item", "uint", { values: OPTION }],
  "option.dhcp_max_message_size": ["Maximum DHCP Message Size", "uint"],
  "option.renewal_time_value": ["Renewal Time Value", "uint"],
  "option.rebinding_time_value": ["Rebinding Time Value", "uint"],
  "option.vendor_class_id": ["Vendor class identifier", "string"],
  "option.end": ["Option End", "uint"],
});

function u16(r: Reader, p: number): number {
  return (r.byteAt(p) << 8) | r.byteAt(p + 1);
}
function u32(r: Reader, p: number): number {
  return u16(r, p) * 65536 + u16(r, p + 2);
}
function cstr(r: Reader, p: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const c = r.byteAt(p + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}
function hexOf(r: Reader, p: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += r.byteAt(p + i).toString(16).padStart(2, "0");
  return s;
}

function tree(r: Reader, t: TreeSink, p: number): void {
  const cap = r.cap;
  if (p + 236 > cap) return;
  const hlen = r.byteAt(p + 2);
  t.add(F.type, r.byteAt(p), p, 1);
  t.add(F["hw.type"], r.byteAt(p + 1), p + 1, 1);
  t.add(F["hw.len"], hlen, p + 2, 1);
  t.add(F.hops, r.byteAt(p + 3), p + 3, 1);
  t.add(F.id, u32(r, p + 4), p + 4, 4);
  t.add(F.secs, u16(r, p + 8), p + 8, 2);
  t.push(F.flags, u16(r, p + 10), p + 10, 2);
  t.add(F["flags.bc"], (r.byteAt(p + 10) & 0x80) !== 0, p + 10, 2);
  t.pop();
  t.add(F["ip.client"], ipv4At(r.data, p + 12), p + 12, 4);
  t.add(F["ip.your"], ipv4At(r.data, p + 16), p + 16, 4);
  t.add(F["ip.server"], ipv4At(r.data, p + 20), p + 20, 4);
  t.add(F["ip.relay"], ipv4At(r.data, p + 24), p + 24, 4);
  if (r.byteAt(p + 1) === 1 && hlen === 6) t.add(F["hw.mac_addr"], macAt(r.data, p + 28), p + 28, 6);
  else if (hlen) t.add(F["hw.addr"], hexOf(r, p + 28, Math.min(hlen, 16)), p + 28, Math.min(hlen, 16));
  t.add(F.server, cstr(r, p + 44, 64), p + 44, 64);
  t.add(F.file, cstr(r, p + 108, 128), p + 108, 128);
  let q = p + 236;
  if (q + 4 > cap || u32(r, q) !== 0x63825363) return;
  t.add(F.cookie, ipv4At(r.data, q), q, 4);
  q += 4;
  while (q < cap) {
    const code = r.byteAt(q);
    if (code === 0) {
      q++;
      continue;
    }
    if (code === 255) {
      // Wireshark's End option heading carries the value 0 (its quirk, kept so -T fields output agrees).
      t.push(F["option.type"], 0, q, 1, "(255) End");
      t.add(F["option.end"], 255, q, 1);
      t.pop();
      return;
    }
    if (q + 2 > cap) return;
    const len = r.byteAt(q + 1);
    const v = q + 2;
    if (v + len > cap) return;
    t.push(F["option.type"], code, q, 2 + len, `(${code}) ${OPTION[code] ?? "Unknown"}`);
    t.add(F["option.length"], len, q + 1, 1);
    switch (code) {
      case 61:
        // Client identifier: a hardware type and address (Wireshark shows them with the header's fields).
        if (len === 7 && r.byteAt(v) === 1) {
          t.add(F["hw.type"], 1, v, 1);
          t.add(F["hw.mac_addr"], macAt(r.data, v + 1), v + 1, 6);
        } else if (len) t.add(F["option.value"], hexOf(r, v, len), v, len);
        break;
      case 53:
        if (len >= 1) t.add(F["option.dhcp"], r.byteAt(v), v, 1);
        break;
      case 1:
        if (len === 4) t.add(F["option.subnet_mask"], ipv4At(r.data, v), v, 4);
        break;
      case 3:
      case 6:
        for (let k = 0; k + 4 <= len; k += 4) t.add(code === 3 ? F["option.router"] : F["option.domain_name_server"], ipv4At(r.data, v + k), v + k, 4);
        break;
      case 12:
        t.add(F["option.hostname"], cstr(r, v, len), v, len);
        break;
      case 15:
        t.add(F["option.domain_name"], cstr(r, v, len), v, len);
        break;
      case 60:
        t.add(F["option.vendor_class_id"], cstr(r, v, len), v, len);
        break;
      case 50:
        if (len === 4) t.add(F["option.requested_ip_address"], ipv4At(r.data, v), v, 4);
        break;
      case 54:
        if (len === 4) t.add(F["option.dhcp_server_id"], ipv4At(r.data, v), v, 4);
        break;
      case 51:
        if (len === 4) t.add(F["option.ip_address_lease_time"], u32(r, v), v, 4);
        break;
      case 58:
        if (len === 4) t.add(F["option.renewal_time_value"], u32(r, v), v, 4);
        break;
      case 59:
        if (len === 4) t.add(F["option.rebinding_time_value"], u32(r, v), v, 4);
        break;
      case 57:
        if (len === 2) t.add(F["option.dhcp_max_message_size"], u16(r, v), v, 2);
        break;
      case 55:
        for (let k = 0; k < len; k++) t.add(F["option.request_list_item"], r.byteAt(v + k), v + k, 1);
        break;
      default:
        if (len) t.add(F["option.value"], hexOf(r, v, len), v, len);
    }
    t.pop();
    q = v + len;
  }
}

export const DHCP: Protocol = {
  id: "dhcp",
  name: "DHCP",
  title: "Dynamic Host Configuration Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    const length = r.reportedRemaining;
    const trunc = (): void => {
      ctx.line.s(" [|bootp]");
      ctx.truncated = true;
      r.pos = r.cap;
    };
    if (!r.has(1)) return trunc();
    const op = r.byteAt(p);
    ctx.line.s(`BOOTP/DHCP, ${op === 1 ? "Request" : op === 2 ? "Reply" : `unknown (0x${op.toString(16).padStart(2, "0")})`}`);
    if (!r.has(3)) return trunc();
    if (r.byteAt(p + 1) === 1 && r.byteAt(p + 2) === 6 && op === 1) {
      if (p + 34 > r.cap) return trunc();
      ctx.line.s(` from ${macAt(r.data, p + 28)}`);
    }
    ctx.line.s(`, length ${length}`);
    if (ctx.opts.verbose > 0) verbose(r, ctx, p);
    if (t.on) tree(r, t, p);
    r.pos = r.cap;
  },
};

bind("udp.port", [67, 68], DHCP);

// ---------------------------------------------------------------------------------------------------------
// -v: tcpdump's bootp_print details and rfc1048_print (the options), in its words.

/** tcpdump's option table: the first character is the value format (see tcpdump's print-bootp.c). */
const TAG: Readonly<Record<number, string>> = {
  0: " PAD",
  1: "iSubnet-Mask",
  2: "LTime-Zone",
  3: "iDefault-Gateway",
  4: "iTime-Server",
  5: "iIEN-Name-Server",
  6: "iDomain-Name-Server",
  7: "iLOG",
  8: "iCS",
  9: "iLPR-Server",
  10: "iIM",
  11: "iRL",
  12: "aHostname",
  13: "sBS",
  255: " END",
  14: "aDP",
  15: "aDomain-Name",
  16: "iSS",
  17: "aRP",
  18: "aEP",
  19: "BIPF",
  20: "BSRT",
  21: "pPF",
  22: "sRSZ",
  23: "bTTL",
  24: "lMTU-Timeout",
  25: "sMTU-Table",
  26: "sMTU",
  27: "BLSN",
  28: "iBR",
  29: "BMD",
  30: "BMS",
  31: "BRouter-Discovery",
  32: "iRSA",
  33: "pStatic-Route",
  34: "BUT",
  35: "lAT",
  36: "BIE",
  37: "bTT",
  38: "lKI",
  39: "BKG",
  40: "aYD",
  41: "iYS",
  42: "iNTP",
  43: "bVendor-Option",
  44: "iNetbios-Name-Server",
  45: "iWDD",
  46: "$Netbios-Node",
  47: "aNetbios-Scope",
  48: "iXFS",
  49: "iXDM",
  64: "sN+D",
  65: "iN+S",
  68: "iMH",
  69: "iSMTP",
  70: "iPOP3",
  71: "iNNTP",
  72: "iWWW",
  73: "iFG",
  74: "iIRC",
  75: "iSTS",
  76: "iSTDA",
  50: "iRequested-IP",
  51: "lLease-Time",
  52: "$OO",
  66: "aTFTP",
  67: "aBF",
  53: " DHCP-Message",
  54: "iServer-ID",
  55: "bParameter-Request",
  56: "aMSG",
  57: "sMSZ",
  58: "lRN",
  59: "lRB",
  60: "aVendor-Class",
  61: "$Client-ID",
  98: "aUAP",
  116: "BNOAUTO",
  78: "bSLP-DA",
  79: "bSLP-SCOPE",
  117: "sNSSEARCH",
  77: "$User-Class",
  118: "iSUBNET",
  121: "$Classless-Static-Route",
  249: "$Classless-Static-Route-Microsoft",
  150: "iTFTP-Server-Address",
  80: "aSLP-NA",
  81: "$FQDN",
  82: "$Agent-Information",
  83: "bARMT",
  88: "aTZSTR",
  89: "bFQDNS",
  90: "bAUTH",
  91: "LLast-Transaction-Time",
  92: "iAssociated-IP",
  93: "sARCH",
  94: "bNDI",
  97: "bGUID",
  95: "aLDAP",
  100: "aPOSIX-TZ",
  101: "aTZ-Name",
  112: "iNI",
  113: "aNITAG",
  114: "aURL",
  161: "aMUD-URL",
};
const TCPDUMP_MSG: Readonly<Record<number, string>> = {
  1: "Discover",
  2: "Offer",
  3: "Request",
  4: "Decline",
  5: "ACK",
  6: "NACK",
  7: "Release",
  8: "Inform",
  10: "LeaseQuery",
  11: "LeaseUnassigned",
  12: "LeaseUnknown",
  13: "LeaseActive",
};
const ARP_HW: Readonly<Record<number, string>> = { 1: "ether", 6: "ieee802", 7: "arcnet", 15: "frelay", 23: "strip", 24: "ieee1394" };
const NBO: Readonly<Record<number, string>> = { 1: "b-node", 2: "p-node", 4: "m-node", 8: "h-node" };
const OO: Readonly<Record<number, string>> = { 1: "file", 2: "sname", 3: "file+sname" };
const AGENT_SUB: Readonly<Record<number, string>> = { 1: "Circuit-ID", 2: "Remote-ID", 6: "Subscriber-ID" };

/** Thrown (and caught in verbose()) where tcpdump's GET_ macros would stop at the captured end. */
const CUT = { cut: true };

function verbose(r: Reader, ctx: Ctx, p: number): void {
  const cap = r.cap;
  const vflag = ctx.opts.verbose;
  let out = "";
  const need = (q: number, n: number): void => {
    if (q + n > cap) throw CUT;
  };
  const u8 = (q: number): number => {
    need(q, 1);
    return r.byteAt(q);
  };
  const be16 = (q: number): number => (u8(q) << 8) | u8(q + 1);
  const be32 = (q: number): number => be16(q) * 65536 + be16(q + 2);
  const ip = (q: number): string => {
    need(q, 4);
    return ipv4At(r.data, q);
  };
  /** nd_printn: raw bytes (the printer escapes them); false when they run past the captured bytes */
  const printn = (q: number, n: number): boolean => {
    for (let i = 0; i < n; i++) {
      if (q + i >= cap) return false;
      out += printChar(r.byteAt(q + i)); // tcpdump's fn_print_char: "^@", "M-x" (no raw byte, no newline)
    }
    return true;
  };
  /** nd_printztn: up to a NUL within n bytes; false when the captured bytes end first */
  const printztn = (q: number, n: number): boolean => {
    for (let i = 0; i < n; i++) {
      if (q + i >= cap) return false;
      const c = r.byteAt(q + i);
      if (c === 0) return true;
      out += printChar(c); // tcpdump's fn_print_char: "^@", "M-x" (no raw byte, no newline)
    }
    return true;
  };
  let trunc = false;
  try {
    need(p + 8, 2);
    const htype = u8(p + 1);
    const hlen = u8(p + 2);
    if (htype !== 1) out += `, htype ${htype}`;
    if (htype !== 1 || hlen !== 6) out += `, hlen ${hlen}`;
    if (u8(p + 3)) out += `, hops ${u8(p + 3)}`;
    if (be32(p + 4)) out += `, xid 0x${be32(p + 4).toString(16)}`;
    if (be16(p + 8)) out += `, secs ${be16(p + 8)}`;
    const flags = be16(p + 10);
    out += `, Flags [${flags & 0x8000 ? "Broadcast" : "none"}]`;
    if (vflag > 1) out += ` (0x${flags.toString(16).padStart(4, "0")})`;
    const addrs: Array<[number, string]> = [
      [12, "Client-IP"],
      [16, "Your-IP"],
      [20, "Server-IP"],
      [24, "Gateway-IP"],
    ];
    for (const [o, name] of addrs) if (be32(p + o)) out += `\n\t  ${name} ${ip(p + o)}`;
    if (htype === 1 && hlen === 6) {
      need(p + 28, 6);
      out += `\n\t  Client-Ethernet-Address ${macAt(r.data, p + 28)}`;
    }
    for (const [o, n, name] of [
      [44, 64, "sname"],
      [108, 128, "file"],
    ] as const) {
      if (u8(p + o)) {
        out += `\n\t  ${name} "`;
        if (!printztn(p + o, n)) {
          out += '"';
          throw CUT;
        }
        out += '"';
      }
    }
    const vend = p + 236;
    need(vend, 4);
    const magic = be32(vend);
    if (magic === 0x63825363) rfc1048(vend);
    else if (magic === 0x434d5500) {
      // CMU vendor area (rare): only its name
      out += " vend-cmu";
    } else if (magic !== 0) out += `\n\t  Vendor-#0x${magic.toString(16)}`;
  } catch (e) {
    if (e !== CUT) throw e;
    trunc = true;
  }
  ctx.line.s(out);
  if (trunc) {
    ctx.line.s(" [|bootp]");
    ctx.truncated = true;
  }

  function rfc1048(bp: number): void {
    out += "\n\t  Vendor-rfc1048 Extensions";
    out += `\n\t    Magic Cookie 0x${be32(bp).toString(16).padStart(8, "0")}`;
    bp += 4;
    while (bp < cap) {
      const tag = u8(bp++);
      if (tag === 0 && vflag < 3) continue;
      if (tag === 255 && vflag < 3) return;
      let cp = TAG[tag] ?? "?Unknown";
      let c = cp[0];
      cp = cp.slice(1);
      let len = 0;
      if (tag !== 0 && tag !== 255) len = u8(bp++);
      out += `\n\t    ${cp} (${tag}), length ${len}${len > 0 ? ": " : ""}`;
      if (tag === 0 && vflag > 2) {
        let n = 1;
        while (bp < cap && r.byteAt(bp) === 0) {
          bp++;
          n++;
        }
        if (n > 1) out += `, occurs ${n}`;
      }
      need(bp, len);
      if (tag === 53 && len === 1) {
        const m = u8(bp);
        out += TCPDUMP_MSG[m] ?? `Unknown (${m})`;
        bp++;
        continue;
      }
      if (tag === 55) {
        for (let idx = 0; len > 0; idx++, len--) {
          const inner = u8(bp++);
          out += idx % 4 === 0 ? "\n\t      " : ", ";
          out += `${(TAG[inner] ?? "?Unknown").slice(1)} (${inner})`;
        }
        continue;
      }
      if (c === "?") c = len & 1 ? "b" : len & 2 ? "s" : "l";
      let first = true;
      switch (c) {
        case "a":
          out += '"';
          if (!printn(bp, len)) {
            out += '"';
            throw CUT;
          }
          out += '"';
          bp += len;
          len = 0;
          break;
        case "i":
        case "l":
        case "L":
          while (len >= 4) {
            if (!first) out += ",";
            if (c === "i") out += ip(bp);
            else if (c === "L") out += String(be32(bp) | 0);
            else out += String(be32(bp));
            bp += 4;
            len -= 4;
            first = false;
          }
          break;
        case "p":
          while (len >= 8) {
            if (!first) out += ",";
            out += `(${ip(bp)}:${ip(bp + 4)})`;
            bp += 8;
            len -= 8;
            first = false;
          }
          break;
        case "s":
          while (len >= 2) {
            if (!first) out += ",";
            out += String(be16(bp));
            bp += 2;
            len -= 2;
            first = false;
          }
          break;
        case "B":
          while (len > 0) {
            if (!first) out += ",";
            const b = u8(bp);
            out += b === 0 ? "N" : b === 1 ? "Y" : `${b}?`;
            bp++;
            len--;
            first = false;
          }
          break;
        case "$":
          ({ bp, len } = special(tag, bp, len));
          break;
        default:
          while (len > 0) {
            if (!first) out += c === "x" ? ":" : ".";
            const b = u8(bp);
            out += c === "x" ? b.toString(16).padStart(2, "0") : String(b);
            bp++;
            len--;
            first = false;
          }
      }
      if (len) {
        out += `\n\t  trailing data length ${len}`;
        bp += len;
      }
    }
  }

  /** the options tcpdump prints with code of their own ("$" in its table) */
  function special(tag: number, bp: number, len: number): { bp: number; len: number } {
    let first = true;
    switch (tag) {
      case 46:
      case 52:
        if (len < 1) {
          out += "[ERROR: length < 1 bytes]";
          break;
        }
        out += (tag === 46 ? NBO : OO)[u8(bp)] ?? "";
        bp++;
        len--;
        break;
      case 81: {
        if (len < 3) {
          out += "[ERROR: length < 3 bytes]";
          return { bp: bp + len, len: 0 };
        }
        const f = u8(bp);
        if (f & 0xf0) out += `[ERROR: MBZ nibble 0x${((f & 0xf0) >> 4).toString(16)} != 0] `;
        if (f & 0x0f) out += `[${f & 1 ? "S" : ""}${f & 2 ? "O" : ""}${f & 4 ? "E" : ""}${f & 8 ? "N" : ""}] `;
        bp++;
        if (u8(bp) || u8(bp + 1)) out += `${u8(bp)}/${u8(bp + 1)} `;
        bp += 2;
        out += '"';
        if (!printn(bp, len - 3)) {
          out += '"';
          throw CUT;
        }
        out += '"';
        return { bp: bp + len - 3, len: 0 };
      }
      case 61: {
        if (len < 1) {
          out += "[ERROR: length < 1 bytes]";
          break;
        }
        const type = u8(bp);
        bp++;
        len--;
        if (type === 0) {
          out += '"';
          if (!printn(bp, len)) {
            out += '"';
            throw CUT;
          }
          out += '"';
          return { bp: bp + len, len: 0 };
        }
        out += `${ARP_HW[type] ?? `hardware-type ${type},`} `;
        while (len > 0) {
          if (!first) out += ":";
          out += u8(bp).toString(16).padStart(2, "0");
          bp++;
          len--;
          first = false;
        }
        break;
      }
      case 82:
        while (len >= 2) {
          const sub = u8(bp);
          const sl = u8(bp + 1);
          bp += 2;
          len -= 2;
          if (sl > len) {
            out += `\n\t      ${AGENT_SUB[sub] ?? "Unknown"} SubOption ${sub}, length ${sl}: length goes past end of option`;
            return { bp: bp + len, len: 0 };
          }
          out += `\n\t      ${AGENT_SUB[sub] ?? "Unknown"} SubOption ${sub}, length ${sl}: `;
          if (sub === 1 || sub === 2 || sub === 6) {
            if (!printn(bp, sl)) throw CUT;
          } else hexLines(bp, sl, "\n\t\t");
          len -= sl;
          bp += sl;
        }
        break;
      case 121:
      case 249: {
        if (len < 5) {
          out += "[ERROR: length < 5 bytes]";
          return { bp: bp + len, len: 0 };
        }
        while (len > 0) {
          if (!first) out += ",";
          const mw = u8(bp);
          bp++;
          len--;
          if (mw > 32) {
            out += `[ERROR: Mask width (${mw}) > 32]`;
            return { bp: bp + len, len: 0 };
          }
          const sig = (mw + 7) >> 3;
          if (len < sig + 4) {
            out += `[ERROR: Remaining length (${len}) < ${sig + 4} bytes]`;
            return { bp: bp + len, len: 0 };
          }
          out += "(";
          if (mw === 0) out += "default";
          else {
            for (let i = 0; i < sig; i++) out += (i > 0 ? "." : "") + u8(bp++);
            for (let i = sig; i < 4; i++) out += ".0";
            out += `/${mw}`;
          }
          out += `:${ip(bp)})`;
          bp += 4;
          len -= sig + 4;
          first = false;
        }
        break;
      }
      case 77: {
        if (len < 2) {
          out += "[ERROR: length < 2 bytes]";
          return { bp: bp + len, len: 0 };
        }
        for (let n = 1; len > 0; n++) {
          const sl = u8(bp);
          bp++;
          len--;
          out += `\n\t      instance#${n}: `;
          if (sl === 0) {
            out += "[ERROR: suboption length must be non-zero]";
            return { bp: bp + len, len: 0 };
          }
          if (len < sl) {
            out += "[ERROR: invalid option]";
            return { bp: bp + len, len: 0 };
          }
          out += '"';
          if (!printn(bp, sl)) {
            out += '"';
            throw CUT;
          }
          out += `", length ${sl}`;
          len -= sl;
          bp += sl;
        }
        break;
      }
      case 143:
        while (len >= 2) {
          const sl = be16(bp);
          bp += 2;
          len -= 2;
          out += `\n\t\t    length ${sl}: `;
          if (len < sl) {
            out += "length goes past end of option";
            return { bp: bp + len, len: 0 };
          }
          out += '"';
          if (!printn(bp, sl)) throw CUT;
          out += '"';
          len -= sl;
          bp += sl;
        }
        if (len !== 0) out += "[ERROR: length < 2 bytes]";
        break;
      default:
        out += `[unknown special tag ${tag}, size ${len}]`;
        return { bp: bp + len, len: 0 };
    }
    return { bp, len };
  }

  /** tcpdump's hex_print: "0x0000:  0102 0304 ..." 16 bytes a line */
  function hexLines(bp: number, n: number, indent: string): void {
    need(bp, n);
    for (let o = 0; o < n; o += 16) {
      out += `${indent}0x${o.toString(16).padStart(4, "0")}: `;
      for (let i = o; i < o + 16 && i < n; i += 2) {
        out += " " + r.byteAt(bp + i).toString(16).padStart(2, "0") + (i + 1 < n ? r.byteAt(bp + i + 1).toString(16).padStart(2, "0") : "");
      }
    }
  }
}
