/**
 * SNMP (RFC 1157, 3416, 3412/3414) on UDP ports 161 and 162, as tcpdump's print-snmp.c prints it without
 * libsmi and with -nn (numeric OIDs):
 *   -nn: " C="private" GetRequest(28)  .1.3.6.1.2.1.1.1.0" (the community unless it is "public", the PDU with
 *        its length, request fields where they are unusual, then each varbind "OID" or "OID=value");
 *   -v:  "{ SNMPv2c C="private" { GetRequest(28) R=1234  .1.3.6.1.2.1.1.1.0 } } ", SNMPv3 with its
 *        header, USM and scoped PDU.
 * Everything is read through tcpdump's BER walker (asn1_parse / asn1_print), whose complaints ("[!init SEQ]",
 * "[len12<asnlen40]", ...) are printed as tcpdump prints them. The tree has Wireshark's snmp.* fields.
 */
import { bind } from "../registry.js";
import { ipv4At } from "../format.js";
import { fields, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const UNIVERSAL = ["U-0", "Boolean", "Integer", "Bitstring", "String", "Null", "ObjID", "ObjectDes", "U-8", "U-9", "U-10", "U-11", "U-12", "U-13", "U-14", "U-15", "Sequence", "Set"];
const APPLICATION = ["IpAddress", "Counter", "Gauge", "TimeTicks", "Opaque", "C-5", "Counter64"];
const CONTEXT = ["GetRequest", "GetNextRequest", "GetResponse", "SetRequest", "Trap", "GetBulk", "Inform", "V2Trap", "Report"];
const EXCEPTIONS = ["noSuchObject", "noSuchInstance", "endOfMibView"];
const PRIVATE = ["P-0"];
const CLASS_IDS = [UNIVERSAL, APPLICATION, CONTEXT, PRIVATE, EXCEPTIONS];
// tcpdump's defineCLASS macro stringifies its parameter's name, "x", not the class name
const CLASS_NAMES = ["x", "x", "x", "x", "x"];
const FORM = ["Primitive", "Constructed"];
const ERROR_STATUS = [
  "noError",
  "tooBig",
  "noSuchName",
  "badValue",
  "readOnly",
  "genErr",
  "noAccess",
  "wrongType",
  "wrongLength",
  "wrongEncoding",
  "wrongValue",
  "noCreation",
  "inconsistentValue",
  "resourceUnavailable",
  "commitFailed",
  "undoFailed",
  "authorizationError",
  "notWritable",
  "inconsistentName",
];
const GENERIC_TRAP = ["coldStart", "warmStart", "linkDown", "linkUp", "authenticationFailure", "egpNeighborLoss", "enterpriseSpecific"];
const VERSION = ["SNMPv1", "SNMPv2c", "SNMPv2u", "SNMPv3"];

const GETREQ = 0,
  GETNEXTREQ = 1,
  GETRESP = 2,
  SETREQ = 3,
  TRAP = 4,
  GETBULKREQ = 5,
  INFORMREQ = 6,
  V2TRAP = 7,
  REPORT = 8;

// BE types (tcpdump's struct be)
const BE_ANY = 255,
  BE_NULL = 1,
  BE_OCTET = 2,
  BE_OID = 3,
  BE_INT = 4,
  BE_UNS = 5,
  BE_STR = 6,
  BE_SEQ = 7,
  BE_INETADDR = 8,
  BE_PDU = 9,
  BE_UNS64 = 10,
  BE_NOSUCHOBJECT = 128,
  BE_NOSUCHINST = 129,
  BE_ENDOFMIBVIEW = 130;

const F = fields("snmp", {
  version: ["version", "int", { values: { 0: "version-1", 1: "v2c", 2: "v2u", 3: "snmpv3" } }],
  community: ["community", "string"],
  data: ["data", "uint", { values: { 0: "get-request", 1: "get-next-request", 2: "get-response", 3: "set-request", 4: "trap", 5: "getBulkRequest", 6: "informRequest", 7: "snmpV2-trap", 8: "report" } }],
  request_id: ["request-id", "int"],
  error_status: ["error-status", "int"],
  error_index: ["error-index", "int"],
  non_repeaters: ["non-repeaters", "uint"],
  max_repetitions: ["max-repetitions", "uint"],
  enterprise: ["enterprise", "string"],
  agent_addr: ["agent-addr", "ipv4"],
  generic_trap: ["generic-trap", "int"],
  specific_trap: ["specific-trap", "int"],
  time_stamp: ["time-stamp", "uint"],
  name: ["Object Name", "string"],
  "value.int": ["Value (Integer32)", "int"],
  "value.octets": ["Value (OctetString)", "bytes"],
  "value.oid": ["Value (OID)", "string"],
  "value.null": ["Value (Null)", "none"],
  "value.ipv4": ["Value (IpAddress)", "ipv4"],
  "value.counter": ["Value (Counter32)", "uint"],
  "value.g32": ["Value (Gauge32)", "uint"],
  "value.timeticks": ["Value (Timeticks)", "uint"],
  "value.opaque": ["Value (Opaque)", "bytes"],
  "value.counter64": ["Value (Counter64)", "string", { name: "snmp.value.counter64" }],
  noSuchObject: ["noSuchObject", "none"],
  noSuchInstance: ["noSuchInstance", "none"],
  endOfMibView: ["endOfMibView", "none"],
  msgVersion: ["msgVersion", "int"],
  msgID: ["msgID", "uint"],
  msgMaxSize: ["msgMaxSize", "uint"],
  msgFlags: ["msgFlags", "bytes"],
  msgSecurityModel: ["msgSecurityModel", "uint"],
  msgAuthoritativeEngineID: ["msgAuthoritativeEngineID", "bytes"],
  msgAuthoritativeEngineBoots: ["msgAuthoritativeEngineBoots", "uint"],
  msgAuthoritativeEngineTime: ["msgAuthoritativeEngineTime", "uint"],
  msgUserName: ["msgUserName", "string"],
  msgAuthenticationParameters: ["msgAuthenticationParameters", "bytes"],
  msgPrivacyParameters: ["msgPrivacyParameters", "bytes"],
  contextEngineID: ["contextEngineID", "bytes"],
  contextName: ["contextName", "string"],
});

export const SNMP: Protocol = {
  id: "snmp",
  name: "SNMP",
  title: "Simple Network Management Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    const length = r.reportedRemaining;
    const w = new Walker(r, ctx.opts.verbose > 0);
    try {
      w.snmp(p, length);
    } catch (e) {
      if (e !== CUT) throw e;
      w.out += " [|snmp]";
    }
    ctx.line.s(w.out);
    if (w.out.endsWith(" [|snmp]")) ctx.truncated = true;
    if (t.on) tree(r, t, p, length);
    r.pos = r.cap;
  },
};

bind("udp.port", [161, 162], SNMP);

/** Thrown where tcpdump's GET_ macros stop printing the packet (past the captured bytes). */
const CUT = { cut: true };

/** tcpdump's struct be: one decoded BER element. */
class Be {
  asnlen = 0;
  type = BE_ANY;
  id = 0;
  form = 0;
  cls = 0;
  /** where the contents start (absolute) */
  p = 0;
  integer = 0;
  uns = 0;
  uns64 = 0n;
}

const HEX = "0123456789abcdef";
const hex2 = (b: number): string => HEX[b >> 4] + HEX[b & 15];

/** tcpdump's SNMP printer state: the text so far, the bounds, -v. */
class Walker {
  out = "";
  private readonly cap: number;
  constructor(
    private readonly r: Reader,
    private readonly v: boolean,
  ) {
    this.cap = r.cap;
  }

  /** GET_U_1: a byte, or the end of printing */
  private u8(q: number): number {
    if (q >= this.cap || q < this.r.start) throw CUT;
    return this.r.byteAt(q);
  }
  private ttest(q: number, n: number): boolean {
    return q + n <= this.cap;
  }
  private trunc(): void {
    this.out += " [|snmp]";
  }

  /** asn1_parse: the element at q (len bytes left); its length with the header, or -1 (a complaint printed). */
  parse(q: number, len: number, e: Be): number {
    e.asnlen = 0;
    e.type = BE_ANY;
    if (len < 1) {
      this.out += "[nothing to parse]";
      return -1;
    }
    const b0 = this.u8(q);
    let id = b0 & 0x1f;
    const form = (b0 & 0x20) >> 5;
    const cls = (b0 & 0xc0) >> 6;
    e.form = form;
    e.cls = cls;
    e.id = id;
    q++;
    len--;
    let hdr = 1;
    if (id === 0x1f) {
      id = 0;
      while (this.u8(q) & 0x80) {
        if (len < 1) {
          this.out += "[Xtagfield?]";
          return -1;
        }
        id = ((id << 7) | (this.u8(q) & 0x7f)) & 0xff; // u_char
        len--;
        hdr++;
        q++;
      }
      if (len < 1) {
        this.out += "[Xtagfield?]";
        return -1;
      }
      id = ((id << 7) | this.u8(q)) & 0xff;
      e.id = id;
      len--;
      hdr++;
      q++;
    }
    if (len < 1) {
      this.out += "[no asnlen]";
      return -1;
    }
    e.asnlen = this.u8(q);
    q++;
    len--;
    hdr++;
    if (e.asnlen & 0x80) {
      let noct = e.asnlen % 0x80;
      e.asnlen = 0;
      if (len < noct) {
        this.out += `[asnlen? ${len}<${noct}]`;
        return -1;
      }
      if (!this.ttest(q, noct)) {
        this.trunc();
        return -1;
      }
      for (; noct !== 0; len--, hdr++, noct--) {
        e.asnlen = ((e.asnlen << 8) | this.u8(q)) >>> 0;
        q++;
      }
    }
    if (len < e.asnlen) {
      this.out += `[len${len | 0}<asnlen${e.asnlen}]`;
      return -1;
    }
    if (form >= FORM.length) {
      this.out += `[form?${form}]`;
      return -1;
    }
    if (cls >= CLASS_IDS.length) {
      this.out += `[class?${FORM[form][0]}/${cls}]`;
      return -1;
    }
    if (id >= CLASS_IDS[cls].length) {
      this.out += `[id?${FORM[form][0]}/${CLASS_NAMES[cls]}/${id}]`;
      return -1;
    }
    if (!this.ttest(q, e.asnlen)) {
      this.trunc();
      return -1;
    }
    e.p = q;
    if (form === 0) {
      if (cls === 0) {
        switch (id) {
          case 4:
            e.type = BE_STR;
            break;
          case 2: {
            e.type = BE_INT;
            if (e.asnlen === 0) {
              this.out += "[asnlen=0]";
              return -1;
            }
            let data = this.u8(q) & 0x80 ? 0xffffffff : 0;
            for (let i = 0; i < e.asnlen; i++) data = ((data << 8) | this.u8(q + i)) >>> 0;
            e.integer = data | 0;
            break;
          }
          case 6:
            e.type = BE_OID;
            break;
          case 5:
            e.type = BE_NULL;
            break;
          default:
            e.type = BE_OCTET;
            this.out += `[P/U/${UNIVERSAL[id]}]`;
        }
      } else if (cls === 1) {
        switch (id) {
          case 0:
            e.type = BE_INETADDR;
            break;
          case 1:
          case 2:
          case 3: {
            e.type = BE_UNS;
            let data = 0;
            for (let i = 0; i < e.asnlen; i++) data = ((data << 8) + this.u8(q + i)) >>> 0;
            e.uns = data;
            break;
          }
          case 6: {
            e.type = BE_UNS64;
            let d = 0n;
            for (let i = 0; i < e.asnlen; i++) d = ((d << 8n) + BigInt(this.u8(q + i))) & 0xffffffffffffffffn;
            e.uns64 = d;
            break;
          }
          default:
            e.type = BE_OCTET;
            this.out += `[P/A/${APPLICATION[id]}]`;
        }
      } else if (cls === 2) {
        if (id === 0) e.type = BE_NOSUCHOBJECT;
        else if (id === 1) e.type = BE_NOSUCHINST;
        else if (id === 2) e.type = BE_ENDOFMIBVIEW;
      } else {
        this.out += `[P/${CLASS_NAMES[cls]}/${CLASS_IDS[cls][id]}]`;
        e.type = BE_OCTET;
      }
    } else {
      if (cls === 0) {
        if (id === 16) e.type = BE_SEQ;
        else {
          e.type = BE_OCTET;
          this.out += `C/U/${UNIVERSAL[id]}`;
        }
      } else if (cls === 2) e.type = BE_PDU;
      else {
        e.type = BE_OCTET;
        this.out += `C/${CLASS_NAMES[cls]}/${CLASS_IDS[cls][id]}`;
      }
    }
    return e.asnlen + hdr;
  }

  /** asn1_print_octets: "_xx" per byte */
  printOctets(e: Be): number {
    if (!this.ttest(e.p, e.asnlen)) {
      this.trunc();
      return -1;
    }
    for (let i = 0; i < e.asnlen; i++) this.out += "_" + hex2(this.u8(e.p + i));
    return 0;
  }

  /** asn1_print_string: quoted when every byte is printable ASCII, else "xx_xx" */
  printString(e: Be): number {
    if (!this.ttest(e.p, e.asnlen)) {
      this.trunc();
      return -1;
    }
    let printable = true;
    for (let i = 0; printable && i < e.asnlen; i++) {
      const c = this.u8(e.p + i);
      printable = c >= 0x20 && c < 0x7f;
    }
    if (printable) this.out += `"${this.r.latin1At(e.p, e.asnlen)}"`;
    else for (let i = 0; i < e.asnlen; i++) this.out += (i ? "_" : "") + hex2(this.u8(e.p + i));
    return 0;
  }

  /** asn1_print */
  print(e: Be): number {
    switch (e.type) {
      case BE_OCTET:
        return this.printOctets(e);
      case BE_NULL:
        break;
      case BE_OID:
        this.out += oidText(this, e.p, e.asnlen);
        break;
      case BE_INT:
        this.out += String(e.integer);
        break;
      case BE_UNS:
        this.out += String(e.uns);
        break;
      case BE_UNS64:
        this.out += e.uns64.toString();
        break;
      case BE_STR:
        return this.printString(e);
      case BE_SEQ:
        this.out += `Seq(${e.asnlen})`;
        break;
      case BE_INETADDR:
        if (e.asnlen !== 4) this.out += "[inetaddr len!=4]";
        if (!this.ttest(e.p, e.asnlen)) {
          this.trunc();
          return -1;
        }
        for (let i = 0; i < e.asnlen; i++) this.out += (i ? "." : "") + this.u8(e.p + i);
        break;
      case BE_NOSUCHOBJECT:
      case BE_NOSUCHINST:
      case BE_ENDOFMIBVIEW:
        this.out += `[${EXCEPTIONS[e.id]}]`;
        break;
      case BE_PDU:
        this.out += `${CONTEXT[e.id]}(${e.asnlen})`;
        break;
      case BE_ANY:
        this.out += "[BE_ANY!?]";
        break;
      default:
        this.out += "[be!?]";
    }
    return 0;
  }

  /** byte q, for the OID printer (GET_U_1) */
  byte(q: number): number {
    return this.u8(q);
  }

  /** an element that must have a type: its count, or -1 after printing "[what]" and the element */
  private expect(q: number, len: number, e: Be, type: number, what: string): number {
    const count = this.parse(q, len, e);
    if (count < 0) return -1;
    if (e.type !== type) {
      this.out += what;
      this.print(e);
      return -1;
    }
    return count;
  }

  varbinds(pduid: number, q: number, length: number): void {
    const e = new Be();
    let count = this.expect(q, length, e, BE_SEQ, "[!SEQ of varbind]");
    if (count < 0) return;
    if (count < length) this.out += `[${length - count} extra after SEQ of varbind]`;
    length = e.asnlen;
    q = e.p;
    while (length) {
      this.out += " ";
      count = this.expect(q, length, e, BE_SEQ, "[!varbind]");
      if (count < 0) return;
      const vbend = q + count;
      const vblength = length - count;
      length = e.asnlen;
      q = e.p;
      count = this.expect(q, length, e, BE_OID, "[objName!=OID]");
      if (count < 0) return;
      if (this.print(e) < 0) return;
      length -= count;
      q += count;
      const read = pduid === GETREQ || pduid === GETNEXTREQ || pduid === GETBULKREQ;
      if (!read) this.out += "=";
      count = this.parse(q, length, e);
      if (count < 0) return;
      if (read) {
        if (e.type !== BE_NULL) {
          this.out += "[objVal!=NULL]";
          if (this.print(e) < 0) return;
        }
      } else if (e.type !== BE_NULL) {
        if (this.print(e) < 0) return;
      }
      length = vblength;
      q = vbend;
    }
  }

  snmppdu(pduid: number, q: number, length: number): void {
    const e = new Be();
    let count = this.expect(q, length, e, BE_INT, "[reqId!=INT]");
    if (count < 0) return;
    if (this.v) this.out += `R=${e.integer} `;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_INT, "[errorStatus!=INT]");
    if (count < 0) return;
    const strict = pduid === GETREQ || pduid === GETNEXTREQ || pduid === SETREQ || pduid === INFORMREQ || pduid === V2TRAP || pduid === REPORT;
    let errorStatus = 0;
    const es = (v: number): string => (v >= 0 && v < ERROR_STATUS.length ? ERROR_STATUS[v] : `err=${v >>> 0}`);
    if (strict && e.integer !== 0) this.out += `[errorStatus(${es(e.integer)})!=0]`;
    else if (pduid === GETBULKREQ) this.out += ` N=${e.integer}`;
    else if (e.integer !== 0) {
      this.out += ` ${es(e.integer)}`;
      errorStatus = e.integer;
    }
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_INT, "[errorIndex!=INT]");
    if (count < 0) return;
    if (strict && e.integer !== 0) this.out += `[errorIndex(${e.integer})!=0]`;
    else if (pduid === GETBULKREQ) this.out += ` M=${e.integer}`;
    else if (e.integer !== 0) {
      if (!errorStatus) this.out += `[errorIndex(${e.integer}) w/o errorStatus]`;
      else this.out += `@${e.integer}`;
    } else if (errorStatus) this.out += "[errorIndex==0]";
    length -= count;
    q += count;
    this.varbinds(pduid, q, length);
  }

  trappdu(q: number, length: number): void {
    const e = new Be();
    this.out += " ";
    let count = this.expect(q, length, e, BE_OID, "[enterprise!=OID]");
    if (count < 0) return;
    if (this.print(e) < 0) return;
    length -= count;
    q += count;
    this.out += " ";
    count = this.expect(q, length, e, BE_INETADDR, "[agent-addr!=INETADDR]");
    if (count < 0) return;
    if (this.print(e) < 0) return;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_INT, "[generic-trap!=INT]");
    if (count < 0) return;
    const generic = e.integer;
    this.out += ` ${generic >= 0 && generic < GENERIC_TRAP.length ? GENERIC_TRAP[generic] : `gt=${generic}`}`;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_INT, "[specific-trap!=INT]");
    if (count < 0) return;
    if (generic !== 6) {
      if (e.integer !== 0) this.out += `[specific-trap(${e.integer})!=0]`;
    } else this.out += ` s=${e.integer}`;
    length -= count;
    q += count;
    this.out += " ";
    count = this.expect(q, length, e, BE_UNS, "[time-stamp!=TIMETICKS]");
    if (count < 0) return;
    if (this.print(e) < 0) return;
    length -= count;
    q += count;
    this.varbinds(TRAP, q, length);
  }

  pdu(q: number, length: number, version: number): void {
    const pdu = new Be();
    const count = this.parse(q, length, pdu);
    if (count < 0) return;
    if (pdu.type !== BE_PDU) {
      this.out += "[no PDU]";
      return;
    }
    if (count < length) this.out += `[${length - count} extra after PDU]`;
    if (this.v) this.out += "{ ";
    if (this.print(pdu) < 0) return;
    this.out += " ";
    length = pdu.asnlen;
    q = pdu.p;
    if (version === 0 && (pdu.id === GETBULKREQ || pdu.id === INFORMREQ || pdu.id === V2TRAP || pdu.id === REPORT)) {
      this.out += "[v2 PDU in v1 message]";
      return;
    }
    if (version === 1 && pdu.id === TRAP) {
      this.out += "[v1 PDU in v2 message]";
      return;
    }
    if (pdu.id === TRAP) this.trappdu(q, length);
    else this.snmppdu(pdu.id, q, length);
    if (this.v) this.out += " } ";
  }

  scopedpdu(q: number, length: number, version: number): void {
    const e = new Be();
    let count = this.expect(q, length, e, BE_SEQ, "[!scoped PDU]");
    if (count < 0) return;
    length = e.asnlen;
    q = e.p;
    count = this.expect(q, length, e, BE_STR, "[contextEngineID!=STR]");
    if (count < 0) return;
    length -= count;
    q += count;
    this.out += "E=";
    if (this.printOctets(e) === -1) return;
    this.out += " ";
    count = this.expect(q, length, e, BE_STR, "[contextName!=STR]");
    if (count < 0) return;
    length -= count;
    q += count;
    this.out += "C=";
    if (this.printString(e) === -1) return;
    this.out += " ";
    this.pdu(q, length, version);
  }

  community(q: number, length: number, version: number): void {
    const e = new Be();
    const count = this.expect(q, length, e, BE_STR, "[comm!=STR]");
    if (count < 0) return;
    if (!(e.asnlen === 6 && this.r.latin1At(e.p, 6) === "public")) {
      this.out += "C=";
      if (this.printString(e) === -1) return;
      this.out += " ";
    }
    this.pdu(q + count, length - count, version);
  }

  usm(q: number, length: number): void {
    const e = new Be();
    let count = this.expect(q, length, e, BE_SEQ, "[!usm]");
    if (count < 0) return;
    length = e.asnlen;
    q = e.p;
    count = this.expect(q, length, e, BE_STR, "[msgAuthoritativeEngineID!=STR]");
    if (count < 0) return;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_INT, "[msgAuthoritativeEngineBoots!=INT]");
    if (count < 0) return;
    if (this.v) this.out += `B=${e.integer} `;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_INT, "[msgAuthoritativeEngineTime!=INT]");
    if (count < 0) return;
    if (this.v) this.out += `T=${e.integer} `;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_STR, "[msgUserName!=STR]");
    if (count < 0) return;
    length -= count;
    q += count;
    this.out += "U=";
    if (this.printString(e) === -1) return;
    this.out += " ";
    count = this.expect(q, length, e, BE_STR, "[msgAuthenticationParameters!=STR]");
    if (count < 0) return;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_STR, "[msgPrivacyParameters!=STR]");
    if (count < 0) return;
    length -= count;
    q += count;
    if (count < length) this.out += `[${length - count} extra after usm SEQ]`;
  }

  v3msg(q: number, length: number): void {
    const e = new Be();
    const xq = q;
    const xlength = length;
    let count = this.expect(q, length, e, BE_SEQ, "[!message]");
    if (count < 0) return;
    length = e.asnlen;
    q = e.p;
    if (this.v) this.out += "{ ";
    count = this.expect(q, length, e, BE_INT, "[msgID!=INT]");
    if (count < 0) return;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_INT, "[msgMaxSize!=INT]");
    if (count < 0) return;
    length -= count;
    q += count;
    count = this.expect(q, length, e, BE_STR, "[msgFlags!=STR]");
    if (count < 0) return;
    if (e.asnlen !== 1) {
      this.out += `[msgFlags size ${e.asnlen}]`;
      return;
    }
    const flags = this.u8(e.p);
    if (flags !== 0 && flags !== 1 && flags !== 3 && flags !== 4 && flags !== 5 && flags !== 7) {
      this.out += `[msgFlags=0x${hex2(flags).toUpperCase()}]`;
      return;
    }
    length -= count;
    q += count;
    this.out += `F=${flags & 1 ? "a" : ""}${flags & 2 ? "p" : ""}${flags & 4 ? "r" : ""} `;
    count = this.expect(q, length, e, BE_INT, "[msgSecurityModel!=INT]");
    if (count < 0) return;
    const model = e.integer;
    length -= count;
    q += count;
    if (count < length) this.out += `[${length - count} extra after message SEQ]`;
    if (this.v) this.out += "} ";
    if (model === 3) {
      if (this.v) this.out += "{ USM ";
    } else {
      this.out += `[security model ${model}]`;
      return;
    }
    length = xlength - (q - xq);
    count = this.expect(q, length, e, BE_STR, "[msgSecurityParameters!=STR]");
    if (count < 0) return;
    length -= count;
    q += count;
    this.usm(e.p, e.asnlen);
    if (this.v) this.out += "} ";
    if (this.v) this.out += "{ ScopedPDU ";
    this.scopedpdu(q, length, 3);
    if (this.v) this.out += "} ";
  }

  snmp(q: number, length: number): void {
    const e = new Be();
    this.out += " ";
    let count = this.expect(q, length, e, BE_SEQ, "[!init SEQ]");
    if (count < 0) return;
    if (count < length) this.out += `[${length - count} extra after iSEQ]`;
    length = e.asnlen;
    q = e.p;
    count = this.expect(q, length, e, BE_INT, "[version!=INT]");
    if (count < 0) return;
    const version = e.integer;
    if (version === 0 || version === 1 || version === 3) {
      if (this.v) this.out += `{ ${VERSION[version]} `;
    } else {
      this.out += `SNMP [version = ${version}]`;
      return;
    }
    length -= count;
    q += count;
    if (version === 3) this.v3msg(q, length);
    else this.community(q, length, version);
    if (this.v) this.out += "} ";
  }
}

/** An OID as tcpdump -nn prints it (".1.3.6.1..."); sub-identifiers wrap at 32 bits as tcpdump's do. */
function oidText(w: Walker, p: number, n: number): string {
  let s = "";
  let o = 0;
  let first = true;
  for (let i = 0; i < n; i++) {
    const b = w.byte(p + i);
    o = ((o << 7) + (b & 0x7f)) >>> 0;
    if (b & 0x80) continue;
    if (first) {
      first = false;
      let k = Math.floor(o / 40);
      if (k > 2) k = 2;
      s += "." + k;
      o = (o - k * 40) >>> 0;
    }
    s += "." + o;
    o = 0;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// The detail tree: a plain BER walk (no printing) that records Wireshark's fields.

interface Tlv {
  tag: number;
  /** contents start and length (absolute) */
  p: number;
  n: number;
  /** the whole element's end */
  end: number;
}

function tlv(r: Reader, q: number, end: number): Tlv | null {
  if (q + 2 > end || q + 2 > r.cap) return null;
  const tag = r.byteAt(q);
  if ((tag & 0x1f) === 0x1f) return null;
  let n = r.byteAt(q + 1);
  let p = q + 2;
  if (n & 0x80) {
    const k = n & 0x7f;
    if (k > 4 || p + k > end || p + k > r.cap) return null;
    n = 0;
    for (let i = 0; i < k; i++) n = n * 256 + r.byteAt(p + i);
    p += k;
  }
  if (p + n > end) return null;
  return { tag, p, n, end: p + n };
}

function intAt(r: Reader, x: Tlv): number {
  const n = Math.min(x.n, 6);
  let u = 0;
  for (let i = 0; i < n; i++) u = u * 256 + r.byteAt(x.p + i);
  return n > 0 && r.byteAt(x.p) & 0x80 ? u - Math.pow(256, n) : u;
}
function uintAt(r: Reader, x: Tlv): number {
  let v = 0;
  for (let i = 0; i < x.n && i < 7; i++) v = v * 256 + r.byteAt(x.p + i);
  return v;
}
function hexAt(r: Reader, x: Tlv): string {
  let s = "";
  for (let i = 0; i < x.n && x.p + i < r.cap; i++) s += hex2(r.byteAt(x.p + i));
  return s;
}
/** Wireshark's OID text: "1.3.6.1.2.1" */
function oidPlain(r: Reader, x: Tlv): string {
  let s = "";
  let o = 0;
  let first = true;
  for (let i = 0; i < x.n && x.p + i < r.cap; i++) {
    const b = r.byteAt(x.p + i);
    o = o * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      first = false;
      const k = Math.min(2, Math.floor(o / 40));
      s += k;
      o -= k * 40;
    }
    s += "." + o;
    o = 0;
  }
  return s;
}

function tree(r: Reader, t: TreeSink, p: number, length: number): void {
  const end = Math.min(p + length, r.cap);
  const msg = tlv(r, p, end);
  if (!msg || msg.tag !== 0x30) return;
  const ver = tlv(r, msg.p, msg.end);
  if (!ver || ver.tag !== 0x02) return;
  const version = intAt(r, ver);
  t.add(F.version, version, ver.p, ver.n);
  let q = ver.end;
  if (version === 3) {
    t.add(F.msgVersion, version, ver.p, ver.n);
    const g = tlv(r, q, msg.end);
    if (!g || g.tag !== 0x30) return;
    const id = tlv(r, g.p, g.end);
    if (!id) return;
    t.add(F.msgID, uintAt(r, id), id.p, id.n);
    const max = tlv(r, id.end, g.end);
    if (!max) return;
    t.add(F.msgMaxSize, uintAt(r, max), max.p, max.n);
    const fl = tlv(r, max.end, g.end);
    if (!fl) return;
    t.add(F.msgFlags, hexAt(r, fl), fl.p, fl.n);
    const model = tlv(r, fl.end, g.end);
    if (!model) return;
    t.add(F.msgSecurityModel, uintAt(r, model), model.p, model.n);
    const sp = tlv(r, g.end, msg.end);
    if (!sp || sp.tag !== 0x04) return;
    const usm = tlv(r, sp.p, sp.end);
    if (usm && usm.tag === 0x30) {
      const items = [F.msgAuthoritativeEngineID, F.msgAuthoritativeEngineBoots, F.msgAuthoritativeEngineTime, F.msgUserName, F.msgAuthenticationParameters, F.msgPrivacyParameters];
      let u = usm.p;
      for (const f of items) {
        const x = tlv(r, u, usm.end);
        if (!x) break;
        t.add(f, f.type === "uint" ? uintAt(r, x) : f.type === "string" ? r.latin1At(x.p, x.n) : hexAt(r, x), x.p, x.n);
        u = x.end;
      }
    }
    const sc = tlv(r, sp.end, msg.end);
    if (!sc || sc.tag !== 0x30) return;
    const ce = tlv(r, sc.p, sc.end);
    if (!ce) return;
    t.add(F.contextEngineID, hexAt(r, ce), ce.p, ce.n);
    const cn = tlv(r, ce.end, sc.end);
    if (!cn) return;
    t.add(F.contextName, r.latin1At(cn.p, cn.n), cn.p, cn.n);
    pduTree(r, t, cn.end, sc.end);
    return;
  }
  const comm = tlv(r, q, msg.end);
  if (!comm || comm.tag !== 0x04) return;
  t.add(F.community, r.latin1At(comm.p, comm.n), comm.p, comm.n);
  q = comm.end;
  pduTree(r, t, q, msg.end);
}

function pduTree(r: Reader, t: TreeSink, q: number, end: number): void {
  const pdu = tlv(r, q, end);
  if (!pdu || (pdu.tag & 0xe0) !== 0xa0) return;
  const kind = pdu.tag & 0x1f;
  t.add(F.data, kind, q, pdu.end - q);
  let x = pdu.p;
  if (kind === TRAP) {
    const ent = tlv(r, x, pdu.end);
    if (!ent) return;
    t.add(F.enterprise, oidPlain(r, ent), ent.p, ent.n);
    const ag = tlv(r, ent.end, pdu.end);
    if (!ag) return;
    if (ag.n === 4 && ag.p + 4 <= r.cap) t.add(F.agent_addr, ipv4At(r.data, ag.p), ag.p, 4);
    const gt = tlv(r, ag.end, pdu.end);
    if (!gt) return;
    t.add(F.generic_trap, intAt(r, gt), gt.p, gt.n);
    const st = tlv(r, gt.end, pdu.end);
    if (!st) return;
    t.add(F.specific_trap, intAt(r, st), st.p, st.n);
    const ts = tlv(r, st.end, pdu.end);
    if (!ts) return;
    t.add(F.time_stamp, uintAt(r, ts), ts.p, ts.n);
    x = ts.end;
  } else {
    const rid = tlv(r, x, pdu.end);
    if (!rid) return;
    t.add(F.request_id, intAt(r, rid), rid.p, rid.n);
    const es = tlv(r, rid.end, pdu.end);
    if (!es) return;
    t.add(kind === GETBULKREQ ? F.non_repeaters : F.error_status, intAt(r, es), es.p, es.n);
    const ei = tlv(r, es.end, pdu.end);
    if (!ei) return;
    t.add(kind === GETBULKREQ ? F.max_repetitions : F.error_index, intAt(r, ei), ei.p, ei.n);
    x = ei.end;
  }
  const list = tlv(r, x, pdu.end);
  if (!list || list.tag !== 0x30) return;
  let v = list.p;
  for (let guard = 0; v < list.end && guard < 4096; guard++) {
    const vb = tlv(r, v, list.end);
    if (!vb || vb.tag !== 0x30) return;
    const name = tlv(r, vb.p, vb.end);
    if (!name) return;
    t.add(F.name, oidPlain(r, name), name.p, name.n);
    const val = tlv(r, name.end, vb.end);
    if (val) {
      switch (val.tag) {
        case 0x02:
          t.add(F["value.int"], intAt(r, val), val.p, val.n);
          break;
        case 0x04:
          t.add(F["value.octets"], hexAt(r, val), val.p, val.n);
          break;
        case 0x05:
          t.add(F["value.null"], null, val.p, val.n);
          break;
        case 0x06:
          t.add(F["value.oid"], oidPlain(r, val), val.p, val.n);
          break;
        case 0x40:
          if (val.n === 4 && val.p + 4 <= r.cap) t.add(F["value.ipv4"], ipv4At(r.data, val.p), val.p, 4);
          break;
        case 0x41:
          t.add(F["value.counter"], uintAt(r, val), val.p, val.n);
          break;
        case 0x42:
          t.add(F["value.g32"], uintAt(r, val), val.p, val.n);
          break;
        case 0x43:
          t.add(F["value.timeticks"], uintAt(r, val), val.p, val.n);
          break;
        case 0x44:
          t.add(F["value.opaque"], hexAt(r, val), val.p, val.n);
          break;
        case 0x46: {
          let big = 0n;
          for (let i = 0; i < val.n && val.p + i < r.cap; i++) big = (big << 8n) | BigInt(r.byteAt(val.p + i));
          t.add(F["value.counter64"], big.toString(), val.p, val.n);
          break;
        }
        case 0x80:
          t.add(F.noSuchObject, null, val.p, 0);
          break;
        case 0x81:
          t.add(F.noSuchInstance, null, val.p, 0);
          break;
        case 0x82:
          t.add(F.endOfMibView, null, val.p, 0);
          break;
      }
    }
    v = vb.end;
  }
}

