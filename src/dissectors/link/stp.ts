/**
 * Spanning Tree BPDUs: 802.1D (STP), 802.1w (RSTP), 802.1s (MSTP) and 802.1aq (SPB), carried by LLC SAP 0x42
 * and by Cisco's PVST+ SNAP (oui 0x00000c, pid 0x010b). tcpdump's line (print-stp.c):
 *   "STP 802.1d, Config, Flags [none], bridge-id 8001.00:19:06:ea:b8:80.8005, length 35"
 *   "STP 802.1w, Rapid STP, Flags [Proposal], bridge-id 8001.00:19:06:ea:b8:80.800c, length 36"
 *   "STP 802.1s, Rapid STP, CIST Flags [Learn, Forward], length 102"
 * and with -v the times, root id and path cost, MSTP's CIST and MSTI records, SPB's v4 part, on continuation
 * lines. "length" is the BPDU's reported length. A BPDU shorter than its type needs prints " (invalid)".
 * Fields are named as Wireshark names them (stp.*, mstp.*).
 */
import { bind } from "../registry.js";
import { hex, macAt } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const PROTO_NAMES: Readonly<Record<number, string>> = { 0: "802.1d", 2: "802.1w", 3: "802.1s", 4: "802.1aq" };
const TYPE_NAMES: Readonly<Record<number, string>> = { 0x00: "Config", 0x02: "Rapid STP", 0x80: "Topology Change" };
const ROLE_NAMES: Readonly<Record<number, string>> = { 0: "Unknown", 1: "Alternate", 2: "Root", 3: "Designated" };
/** flag bits and tcpdump's names, in bit order */
const FLAG_BITS: ReadonlyArray<readonly [number, string]> = [
  [0x01, "Topology change"],
  [0x02, "Proposal"],
  [0x10, "Learn"],
  [0x20, "Forward"],
  [0x40, "Agreement"],
  [0x80, "Topology change ACK"],
];

const F = fields("stp", {
  protocol: ["Protocol Identifier", "uint", { base: "hex" }],
  version: ["Protocol Version Identifier", "uint", { values: { 0: "Spanning Tree", 2: "Rapid Spanning Tree", 3: "Multiple Spanning Tree", 4: "Shortest Path Tree" } }],
  type: ["BPDU Type", "uint", { base: "hex", values: { 0: "Configuration", 2: "Rapid/Multiple Spanning Tree", 0x80: "Topology Change Notification" } }],
  flags: ["BPDU flags", "uint", { base: "hex" }],
  tc: ["Topology Change", "bool", { name: "stp.flags.tc" }],
  proposal: ["Proposal", "bool", { name: "stp.flags.proposal" }],
  portRole: ["Port Role", "uint", { name: "stp.flags.port_role", values: ROLE_NAMES }],
  learning: ["Learning", "bool", { name: "stp.flags.learning" }],
  forwarding: ["Forwarding", "bool", { name: "stp.flags.forwarding" }],
  agreement: ["Agreement", "bool", { name: "stp.flags.agreement" }],
  tcack: ["Topology Change Acknowledgment", "bool", { name: "stp.flags.tcack" }],
  rootPrio: ["Root Bridge Priority", "uint", { name: "stp.root.prio" }],
  rootExt: ["Root Bridge System ID Extension", "uint", { name: "stp.root.ext" }],
  rootHw: ["Root Bridge System ID", "ether", { name: "stp.root.hw" }],
  rootCost: ["Root Path Cost", "uint", { name: "stp.root.cost" }],
  bridgePrio: ["Bridge Priority", "uint", { name: "stp.bridge.prio" }],
  bridgeExt: ["Bridge System ID Extension", "uint", { name: "stp.bridge.ext" }],
  bridgeHw: ["Bridge System ID", "ether", { name: "stp.bridge.hw" }],
  port: ["Port identifier", "uint", { base: "hex" }],
  msgAge: ["Message Age", "float", { name: "stp.msg_age" }],
  maxAge: ["Max Age", "float", { name: "stp.max_age" }],
  hello: ["Hello Time", "float"],
  forward: ["Forward Delay", "float"],
  v1len: ["Version 1 Length", "uint", { name: "stp.version_1_length" }],
});

const M = fields("mstp", {
  v3len: ["Version 3 Length", "uint", { name: "mstp.version_3_length" }],
  format: ["MST Config ID format selector", "uint", { name: "mstp.config_format_selector" }],
  name: ["MST Config name", "string", { name: "mstp.config_name" }],
  rev: ["MST Config revision", "uint", { name: "mstp.config_revision_level" }],
  digest: ["MST Config digest", "bytes", { name: "mstp.config_digest" }],
  intCost: ["CIST Internal Root Path Cost", "uint", { name: "mstp.cist_internal_root_path_cost" }],
  cistPrio: ["CIST Bridge Priority", "uint", { name: "mstp.cist_bridge.prio" }],
  cistExt: ["CIST Bridge Identifier System ID Extension", "uint", { name: "mstp.cist_bridge.ext" }],
  cistHw: ["CIST Bridge Identifier System ID", "ether", { name: "mstp.cist_bridge.hw" }],
  hops: ["CIST Remaining hops", "uint", { name: "mstp.cist_remaining_hops" }],
  mstiFlags: ["MSTI flags", "uint", { name: "mstp.msti.flags", base: "hex" }],
  mstiId: ["MSTID", "uint", { name: "mstp.msti.msti_id" }],
  mstiRootHw: ["Regional Root", "ether", { name: "mstp.msti.root.hw" }],
  mstiCost: ["Internal root path cost", "uint", { name: "mstp.msti.root_cost" }],
  mstiBridgePrio: ["Bridge Identifier Priority", "uint", { name: "mstp.msti.bridge_priority" }],
  mstiPortPrio: ["Port identifier priority", "uint", { name: "mstp.msti.port_priority" }],
  mstiHops: ["Remaining hops", "uint", { name: "mstp.msti.remaining_hops" }],
  v4len: ["Version 4 Length", "uint", { name: "mstp.version_4_length" }],
});

/** The BPDU's fixed part (the version 1 length byte included) and the MSTP offsets that follow it. */
const BPDU_LEN = 36;
const V3_LEN = 36;
const MCID_NAME = 39;
const MCID_DIGEST = 73;
const CIST_INT_COST = 89;
const CIST_BRIDGE = 93;
const CIST_HOPS = 101;
const MSTI = 102;
const MSTI_LEN = 16;
const MCID_LEN = 64;
const SPB_MIN = 87;

/** bittok2str: the set flags' names joined by ", ", or "none" */
function flagText(f: number): string {
  let s = "";
  for (const [bit, name] of FLAG_BITS) if (f & bit) s += s ? `, ${name}` : name;
  return s || "none";
}

/** printf("%.2f", v / 256) (glibc rounds an exact tie to even; toFixed would round it up) */
function seconds(v: number): string {
  const c = (v * 100) / 256;
  let i = Math.floor(c);
  const frac = c - i;
  if (frac > 0.5 || (frac === 0.5 && i % 2 === 1)) i++;
  return `${Math.floor(i / 100)}.${String(i % 100).padStart(2, "0")}`;
}

/**
 * Reads at offsets from the BPDU's start; `need` marks the reader truncated when bytes are missing. One
 * instance, re-aimed per packet (no allocation per BPDU).
 */
class At {
  r!: Reader;
  private base = 0;
  at(r: Reader, base: number): this {
    this.r = r;
    this.base = base;
    return this;
  }
  need(off: number, n: number): boolean {
    const r = this.r;
    if (this.base + off + n <= r.cap) return true;
    r.pos = this.base + off;
    r.skip(n); // fails: truncated (and malformed past the reported end)
    return false;
  }
  u8(off: number): number {
    return this.r.byteAt(this.base + off);
  }
  u16(off: number): number {
    return (this.u8(off) << 8) | this.u8(off + 1);
  }
  u32(off: number): number {
    return ((this.u16(off) << 16) | this.u16(off + 2)) >>> 0;
  }
  /** "8001.00:19:06:ea:b8:80" (needs 8 bytes checked) */
  bridge(off: number): string {
    return `${hex(this.u16(off), 4)}.${macAt(this.r.data, this.base + off + 2)}`;
  }
  hex32s(off: number, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += hex(this.u32(off + 4 * i), 8);
    return s;
  }
  /** nd_printjnp: up to n bytes, stopping at a NUL */
  text(off: number, n: number): string {
    let end = this.base + off;
    const stop = end + n;
    while (end < stop && this.r.byteAt(end) !== 0) end++;
    return this.r.latin1At(this.base + off, end - this.base - off);
  }
  addBridge(t: TreeSink, prio: (typeof F)["rootPrio"], ext: (typeof F)["rootPrio"], hw: (typeof F)["rootHw"], off: number): void {
    const v = this.u16(off);
    const a = this.base + off;
    t.add(prio, v & 0xf000, a, 2);
    t.add(ext, v & 0x0fff, a, 2);
    t.add(hw, macAt(this.r.data, a + 2), a + 2, 6);
  }
}

const AT = new At();

function addFlags(t: TreeSink, f: number, at: number): void {
  t.push(F.flags, f, at, 1);
  t.add(F.tcack, (f & 0x80) !== 0, at, 1);
  t.add(F.agreement, (f & 0x40) !== 0, at, 1);
  t.add(F.forwarding, (f & 0x20) !== 0, at, 1);
  t.add(F.learning, (f & 0x10) !== 0, at, 1);
  t.add(F.portRole, (f >> 2) & 3, at, 1);
  t.add(F.proposal, (f & 0x02) !== 0, at, 1);
  t.add(F.tc, (f & 0x01) !== 0, at, 1);
  t.pop();
}

export const STP: Protocol = {
  id: "stp",
  name: "STP",
  title: "Spanning Tree Protocol",
  fields: { ...F, ...M },
  dissect(r, ctx, t) {
    const base = r.pos;
    const length = r.reportedRemaining;
    const a = AT.at(r, base);
    const line = ctx.line;
    const v = ctx.opts.verbose > 0;
    if (length < 4) {
      line.s(" (invalid)");
      return;
    }
    if (!a.need(0, 2)) return;
    const pid = a.u16(0);
    if (t.on) t.add(F.protocol, pid, base, 2);
    if (pid !== 0) {
      line.s(`unknown STP version, length ${length}`);
      r.pos = r.cap;
      return;
    }
    if (!a.need(2, 1)) return;
    const version = a.u8(2);
    if (t.on) t.add(F.version, version, base + 2, 1);
    line.s(`STP ${PROTO_NAMES[version] ?? `Unknown STP protocol (0x${hex(version, 2)})`}`);
    if (PROTO_NAMES[version] === undefined) {
      r.pos = r.cap;
      return;
    }
    if (!a.need(3, 1)) return;
    const type = a.u8(3);
    if (t.on) t.add(F.type, type, base + 3, 1);
    line.s(`, ${TYPE_NAMES[type] ?? `Unknown BPDU Type (0x${hex(type, 2)})`}`);
    r.pos = base + 4;
    const invalid = () => {
      line.s(" (invalid)");
      r.pos = r.cap;
    };
    if (type === 0x00 || (type === 0x02 && version === 2)) {
      if (length < (type === 0 ? BPDU_LEN - 1 : BPDU_LEN)) return invalid();
      config(a, r, ctx.line, t, base, length, version, v);
      return;
    }
    if (type !== 0x02 || version < 3) {
      r.pos = r.cap;
      return;
    }
    // MSTP / SPB
    if (length < MSTI) return invalid();
    if (!a.need(35, 1)) return;
    if (a.u8(35) !== 0) return invalid();
    if (!a.need(V3_LEN, 2)) return;
    const mstpLen = a.u16(V3_LEN) + 2;
    if (length < BPDU_LEN + mstpLen) return invalid();
    if (!mstp(a, ctx.line, t, base, length, v)) return;
    if (version === 4) {
      if (!a.need(V3_LEN + mstpLen, 2)) return;
      const spbLen = a.u16(V3_LEN + mstpLen) + 2;
      if (length < BPDU_LEN + mstpLen + spbLen || spbLen < SPB_MIN) return invalid();
      if (v && !spb(a, ctx.line, t, base, BPDU_LEN + mstpLen)) return;
    }
    r.pos = r.cap;
  },
};

function config(a: At, r: Reader, line: Ctx["line"], t: TreeSink, base: number, length: number, version: number, v: boolean): void {
  if (!a.need(4, 1)) return;
  const flags = a.u8(4);
  line.s(`, Flags [${flagText(flags)}]`);
  if (!a.need(17, 10)) return;
  line.s(`, bridge-id ${a.bridge(17)}.${hex(a.u16(25), 4)}, length ${length}`);
  if (t.on) {
    addFlags(t, flags, base + 4);
    if (a.need(5, 12)) {
      a.addBridge(t, F.rootPrio, F.rootExt, F.rootHw, 5);
      t.add(F.rootCost, a.u32(13), base + 13, 4);
    }
    a.addBridge(t, F.bridgePrio, F.bridgeExt, F.bridgeHw, 17);
    t.add(F.port, a.u16(25), base + 25, 2);
    if (a.need(27, 8)) {
      t.add(F.msgAge, a.u16(27) / 256, base + 27, 2);
      t.add(F.maxAge, a.u16(29) / 256, base + 29, 2);
      t.add(F.hello, a.u16(31) / 256, base + 31, 2);
      t.add(F.forward, a.u16(33) / 256, base + 33, 2);
    }
    if (version === 2 && base + 36 <= r.cap) t.add(F.v1len, a.u8(35), base + 35, 1);
  }
  r.pos = base + 27;
  if (!v) {
    r.pos = r.cap;
    return;
  }
  if (!a.need(27, 8)) return;
  line.s(`\n\tmessage-age ${seconds(a.u16(27))}s, max-age ${seconds(a.u16(29))}s, hello-time ${seconds(a.u16(31))}s, forwarding-delay ${seconds(a.u16(33))}s`);
  if (!a.need(5, 12)) return;
  line.s(`\n\troot-id ${a.bridge(5)}, root-pathcost ${a.u32(13)}`);
  if (version === 2) line.s(`, port-role ${ROLE_NAMES[(flags >> 2) & 3]}`);
  r.pos = r.cap;
}

function mstp(a: At, line: Ctx["line"], t: TreeSink, base: number, length: number, v: boolean): boolean {
  if (!a.need(4, 1)) return false;
  const flags = a.u8(4);
  line.s(`, CIST Flags [${flagText(flags)}], length ${length}`);
  if (t.on && a.need(0, MSTI)) {
    addFlags(t, flags, base + 4);
    a.addBridge(t, F.rootPrio, F.rootExt, F.rootHw, 5);
    t.add(F.rootCost, a.u32(13), base + 13, 4);
    a.addBridge(t, F.bridgePrio, F.bridgeExt, F.bridgeHw, 17);
    t.add(F.port, a.u16(25), base + 25, 2);
    t.add(F.msgAge, a.u16(27) / 256, base + 27, 2);
    t.add(F.maxAge, a.u16(29) / 256, base + 29, 2);
    t.add(F.hello, a.u16(31) / 256, base + 31, 2);
    t.add(F.forward, a.u16(33) / 256, base + 33, 2);
    t.add(F.v1len, a.u8(35), base + 35, 1);
    t.add(M.v3len, a.u16(V3_LEN), base + V3_LEN, 2);
    t.add(M.format, a.u8(38), base + 38, 1);
    t.add(M.name, a.text(MCID_NAME, 32), base + MCID_NAME, 32);
    t.add(M.rev, a.u16(MCID_NAME + 32), base + MCID_NAME + 32, 2);
    t.add(M.digest, a.hex32s(MCID_DIGEST, 4), base + MCID_DIGEST, 16);
    t.add(M.intCost, a.u32(CIST_INT_COST), base + CIST_INT_COST, 4);
    a.addBridge(t, M.cistPrio, M.cistExt, M.cistHw, CIST_BRIDGE);
    t.add(M.hops, a.u8(CIST_HOPS), base + CIST_HOPS, 1);
  }
  if (!v) return true;
  if (!a.need(5, 12)) return false;
  line.s(`\n\tport-role ${ROLE_NAMES[(flags >> 2) & 3]}, CIST root-id ${a.bridge(5)}, CIST ext-pathcost ${a.u32(13)}`);
  if (!a.need(17, 8)) return false;
  line.s(`\n\tCIST regional-root-id ${a.bridge(17)}, `);
  if (!a.need(25, 2)) return false;
  line.s(`CIST port-id ${hex(a.u16(25), 4)},`);
  if (!a.need(27, 8)) return false;
  line.s(`\n\tmessage-age ${seconds(a.u16(27))}s, max-age ${seconds(a.u16(29))}s, hello-time ${seconds(a.u16(31))}s, forwarding-delay ${seconds(a.u16(33))}s`);
  if (!a.need(V3_LEN, 2)) return false;
  const v3len = a.u16(V3_LEN);
  line.s(`\n\tv3len ${v3len}, MCID Name `);
  line.s(a.text(MCID_NAME, 32));
  if (!a.need(MCID_NAME + 32, 2)) return false;
  const rev = a.u16(MCID_NAME + 32);
  if (!a.need(MCID_DIGEST, 16)) return false;
  line.s(`, rev ${rev},\n\t\tdigest ${a.hex32s(MCID_DIGEST, 4)}, `);
  if (!a.need(CIST_INT_COST, 4)) return false;
  line.s(`CIST int-root-pathcost ${a.u32(CIST_INT_COST)},`);
  if (!a.need(CIST_BRIDGE, 8)) return false;
  line.s(`\n\tCIST bridge-id ${a.bridge(CIST_BRIDGE)}, `);
  if (!a.need(CIST_HOPS, 1)) return false;
  line.s(`CIST remaining-hops ${a.u8(CIST_HOPS)}`);
  if (v3len > MCID_LEN) {
    let len = v3len - MCID_LEN;
    let off = MSTI;
    while (len >= MSTI_LEN) {
      if (!a.need(off, MSTI_LEN)) return false;
      const f = a.u8(off);
      const id = a.u16(off + 1) & 0x0fff;
      line.s(`\n\tMSTI ${id}, Flags [${flagText(f)}], port-role ${ROLE_NAMES[(f >> 2) & 3]}`);
      line.s(`\n\t\tMSTI regional-root-id ${a.bridge(off + 1)}, pathcost ${a.u32(off + 9)}`);
      line.s(`\n\t\tMSTI bridge-prio ${a.u8(off + 13) >> 4}, port-prio ${a.u8(off + 14) >> 4}, hops ${a.u8(off + 15)}`);
      if (t.on) {
        t.add(M.mstiFlags, f, base + off, 1);
        t.add(M.mstiId, id, base + off + 1, 2);
        t.add(M.mstiRootHw, macAt(a.r.data, base + off + 3), base + off + 3, 6);
        t.add(M.mstiCost, a.u32(off + 9), base + off + 9, 4);
        t.add(M.mstiBridgePrio, a.u8(off + 13) >> 4, base + off + 13, 1);
        t.add(M.mstiPortPrio, a.u8(off + 14) >> 4, base + off + 14, 1);
        t.add(M.mstiHops, a.u8(off + 15), base + off + 15, 1);
      }
      len -= MSTI_LEN;
      off += MSTI_LEN;
    }
  }
  return true;
}

function spb(a: At, line: Ctx["line"], t: TreeSink, base: number, off: number): boolean {
  if (!a.need(off, 2)) return false;
  const v4len = a.u16(off);
  if (t.on) t.add(M.v4len, v4len, base + off, 2);
  line.s(`\n\tv4len ${v4len}, AUXMCID Name `);
  line.s(a.text(off + 3, 32));
  if (!a.need(off + 35, 2 + 16)) return false;
  line.s(`, Rev ${a.u16(off + 35)},\n\t\tdigest ${a.hex32s(off + 37, 4)}`);
  const ag = off + 53;
  if (!a.need(ag, 34)) return false;
  const g = a.u8(ag);
  const fmt = a.u8(ag + 2);
  const con = a.u8(ag + 3);
  line.s(
    `\n\tAgreement num ${g >> 6}, Discarded Agreement num ${(g >> 4) & 3}, Agreement valid-flag ${(g >> 3) & 1},` +
      `\n\tRestricted role-flag: ${(g >> 2) & 1}, Format id ${fmt >> 4} cap ${fmt}, Convention id ${con >> 4} cap ${con},` +
      `\n\tEdge count ${a.u16(ag + 4)}, Agreement digest ${a.hex32s(ag + 14, 5)}`,
  );
  return true;
}

bind("llc.dsap", 0x42, STP);
bind("llc.snap", 0x00000c * 65536 + 0x010b, STP); // Cisco PVST+
