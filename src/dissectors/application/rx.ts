/**
 * AFS Rx (the RPC protocol of AFS) on UDP ports 7000-7009, as tcpdump's print-rx.c prints it:
 *   -nn: " rx data (1472)": the packet type, the call for a request (the first data packet of a call, sent by
 *        the client: " pt call name-to-id \"nneul\"") or the reply to a call seen before (" vldb reply
 *        get-entry-by-name ..."), an ack's first/serial/reason and acked ranges, then the payload length.
 *   -v:  adds " seq N ser N" after the type; -vv the connection id, call number and flags.
 * Replies are matched to their calls as tcpdump does: a ring of the last 64 calls (client, server, server port,
 * service id, call number), kept for the capture. The calls and replies decoded are those of the file server
 * (fs), the protection server (pt) and the volume location server (vldb) that tcpdump decodes with plain
 * arguments; for the others (callback, kauth, volume, bos, ubik, and fs calls whose arguments carry dates or
 * store attributes) tsniff prints the service and operation names without their arguments, where tcpdump
 * prints more. Wireshark's fields: rx.epoch, rx.cid, rx.callnumber, rx.seq, rx.serial, rx.type, rx.flags,
 * rx.userstatus, rx.securityindex, rx.spare, rx.serviceid.
 */
import { bind } from "../registry.js";
import { printChar } from "../format.js";
import { fields, type Ctx, type Protocol } from "../types.js";
import type { Reader } from "../reader.js";

const F = fields("rx", {
  epoch: ["Epoch", "uint"],
  cid: ["CID", "uint"],
  callnumber: ["Call Number", "uint"],
  seq: ["Sequence Number", "uint"],
  serial: ["Serial", "uint"],
  type: ["Type", "uint"],
  flags: ["Flags", "uint"],
  userstatus: ["User Status", "uint"],
  securityindex: ["Security Index", "uint"],
  spare: ["Spare/Checksum", "uint"],
  serviceid: ["Service ID", "uint"],
});

const HDR = 28;
const DATA = 1;
const ACK = 2;
const ABORT = 4;
const CLIENT_INIT = 1;
const TYPES: Readonly<Record<number, string>> = { 1: "data", 2: "ack", 3: "busy", 4: "abort", 5: "ackall", 6: "challenge", 7: "response", 8: "debug", 9: "params", 13: "version" };
/** tcpdump's rx_flags: the flag, the packet type it belongs to (0: any), its name. */
const FLAGS: ReadonlyArray<[number, number, string]> = [
  [1, 0, "client-init"],
  [2, 0, "req-ack"],
  [4, 0, "last-pckt"],
  [8, 0, "more-pckts"],
  [16, 0, "free-pckt"],
  [32, ACK, "slow-start"],
  [32, DATA, "jumbogram"],
];
const ACK_REASONS: Readonly<Record<number, string>> = { 1: "ack requested", 2: "duplicate packet", 3: "out of sequence", 4: "exceeds window", 5: "no buffer space", 6: "ping", 7: "ping response", 8: "delay", 9: "idle" };

const FS_REQ: Readonly<Record<number, string>> = {
  130: "fetch-data", 131: "fetch-acl", 132: "fetch-status", 133: "store-data", 134: "store-acl", 135: "store-status", 136: "remove-file", 137: "create-file",
  138: "rename", 139: "symlink", 140: "link", 141: "makedir", 142: "rmdir", 143: "oldsetlock", 144: "oldextlock", 145: "oldrellock", 146: "get-stats",
  147: "give-cbs", 148: "get-vlinfo", 149: "get-vlstats", 150: "set-vlstats", 151: "get-rootvl", 152: "check-token", 153: "get-time", 154: "nget-vlinfo",
  155: "bulk-stat", 156: "setlock", 157: "extlock", 158: "rellock", 159: "xstat-ver", 160: "get-xstat", 161: "dfs-lookup", 162: "dfs-flushcps",
  163: "dfs-symlink", 220: "residency", 65536: "inline-bulk-status", 65537: "fetch-data-64", 65538: "store-data-64", 65539: "give-up-all-cbs",
  65540: "get-caps", 65541: "cb-rx-conn-addr",
};
const CB_REQ: Readonly<Record<number, string>> = {
  204: "callback", 205: "initcb", 206: "probe", 207: "getlock", 208: "getce", 209: "xstatver", 210: "getxstat", 211: "initcb2", 212: "whoareyou",
  213: "initcb3", 214: "probeuuid", 215: "getsrvprefs", 216: "getcellservdb", 217: "getlocalcell", 218: "getcacheconf", 65536: "getce64",
  65537: "getcellbynum", 65538: "tellmeaboutyourself",
};
const PT_REQ: Readonly<Record<number, string>> = {
  500: "new-user", 501: "where-is-it", 502: "dump-entry", 503: "add-to-group", 504: "name-to-id", 505: "id-to-name", 506: "delete", 507: "remove-from-group",
  508: "get-cps", 509: "new-entry", 510: "list-max", 511: "set-max", 512: "list-entry", 513: "change-entry", 514: "list-elements", 515: "same-mbr-of",
  516: "set-fld-sentry", 517: "list-owned", 518: "get-cps2", 519: "get-host-cps", 520: "update-entry", 521: "list-entries", 530: "list-super-groups",
};
const VLDB_REQ: Readonly<Record<number, string>> = {
  501: "create-entry", 502: "delete-entry", 503: "get-entry-by-id", 504: "get-entry-by-name", 505: "get-new-volume-id", 506: "replace-entry",
  507: "update-entry", 508: "setlock", 509: "releaselock", 510: "list-entry", 511: "list-attrib", 512: "linked-list", 513: "get-stats", 514: "probe",
  515: "get-addrs", 516: "change-addr", 517: "create-entry-n", 518: "get-entry-by-id-n", 519: "get-entry-by-name-n", 520: "replace-entry-n",
  521: "list-entry-n", 522: "list-attrib-n", 523: "linked-list-n", 524: "update-entry-by-name", 525: "create-entry-u", 526: "get-entry-by-id-u",
  527: "get-entry-by-name-u", 528: "replace-entry-u", 529: "list-entry-u", 530: "list-attrib-u", 531: "linked-list-u", 532: "regaddr", 533: "get-addrs-u",
  534: "list-attrib-n2",
};
const FS_ERRORS: Readonly<Record<number, string>> = {
  101: "salvage volume", 102: "no such vnode", 103: "no such volume", 104: "volume exist", 105: "no service", 106: "volume offline", 107: "voline online",
  108: "diskfull", 109: "diskquota exceeded", 110: "volume busy", 111: "volume moved", 112: "AFS IO error", [-100]: "restarting fileserver",
};
const VOL_REQ: Readonly<Record<number, string>> = {
  100: "create-volume", 101: "delete-volume", 102: "restore", 103: "forward", 104: "end-trans", 105: "clone", 106: "set-flags", 107: "get-flags",
  108: "trans-create", 109: "dump", 110: "get-nth-volume", 111: "set-forwarding", 112: "get-name", 113: "get-status", 114: "sig-restore",
  115: "list-partitions", 116: "list-volumes", 117: "set-id-types", 118: "monitor", 119: "partition-info", 120: "reclone", 121: "list-one-volume",
  122: "nuke", 123: "set-date", 124: "x-list-volumes", 125: "x-list-one-volume", 126: "set-info", 127: "x-list-partitions", 128: "forward-multiple",
  65536: "convert-ro", 65537: "get-size", 65538: "dump-v2",
};
/** The volume server calls whose arguments are plain numbers, and their names as tcpdump's vol_print prints them. */
const VOL_ARGS: Readonly<Record<number, readonly string[]>> = {
  101: ["trans"], 107: ["trans"], 102: ["totrans", "flags"], 104: ["trans"], 106: ["trans", "flags"], 108: ["vol", "partition", "flags"], 110: ["index"],
  111: ["tid", "newsite"], 116: ["partition", "flags"], 120: ["tid"], 121: ["partid", "volid"], 122: ["partid", "volid"], 124: ["partid", "volid"],
  125: ["partid", "volid"], 126: ["tid"], 65536: ["partid", "volid"],
};
const VOLTYPE = ["read-write", "read-only", "backup"];
const PRNAMEMAX = 64;
const VLNAMEMAX = 65;
const AFSNAMEMAX = 256;

/** One call of the ring tcpdump keeps (rx_cache_entry). */
interface Call {
  callnum: number;
  client: string;
  server: string;
  dport: number;
  service: number;
  opcode: number;
}
interface Cache {
  ring: (Call | undefined)[];
  next: number;
  hint: number;
}
const CACHE_SIZE = 64;
function cacheOf(ctx: Ctx): Cache {
  let c = ctx.state.get("rx.calls") as Cache | undefined;
  if (!c) ctx.state.set("rx.calls", (c = { ring: new Array<Call | undefined>(CACHE_SIZE), next: 0, hint: 0 }));
  return c;
}

/** Thrown by a read past the captured bytes (tcpdump's GET_ macros): the line ends with " [|rx]". */
const CUT = new Error("rx: past the captured bytes");
/** A service printer's own truncation mark (tcpdump's "goto trunc": " [|pt]"), after which the length is printed. */
const SHORT = new Error("rx: short");

/** The reads of one packet: every read past the captured bytes throws CUT. */
class P {
  s = "";
  constructor(
    readonly r: Reader,
    public o: number,
  ) {}
  u8(at: number): number {
    if (at >= this.r.cap) throw CUT;
    return this.r.byteAt(at);
  }
  u32(at: number): number {
    return ((this.u8(at) << 24) | (this.u8(at + 1) << 16) | (this.u8(at + 2) << 8) | this.u8(at + 3)) >>> 0;
  }
  /** ND_TCHECK_LEN: n bytes at the cursor, or the service printer's truncation mark. */
  check(n: number): void {
    if (this.o + n > this.r.cap) throw SHORT;
  }
  uint(): number {
    const v = this.u32(this.o);
    this.o += 4;
    return v;
  }
  int(): number {
    return this.uint() | 0;
  }
  /** FIDOUT */
  fid(): void {
    this.check(12);
    this.s += ` fid ${this.uint()}/${this.uint()}/${this.uint()}`;
  }
  /** STROUT: a counted string, padded to 4 bytes. */
  str(max: number): void {
    const n = this.uint();
    if (n > max) throw SHORT;
    this.s += ' "';
    let k = 0;
    for (; k < n && this.o + k < this.r.cap; k++) this.s += printChar(this.r.byteAt(this.o + k));
    if (k < n) throw SHORT;
    this.s += '"';
    this.o += Math.ceil(n / 4) * 4;
  }
  /** DATEOUT: seconds since 1970 as tcpdump 4.99 prints them, in local time (TZ) as it does. */
  date(): void {
    const d = new Date(this.int() * 1000);
    const z = (n: number): string => String(n).padStart(2, "0");
    this.s += ` ${d.getFullYear()}/${z(d.getMonth() + 1)}/${z(d.getDate())} ${z(d.getHours())}:${z(d.getMinutes())}:${z(d.getSeconds())}`;
  }
  /** STOREATTROUT: the fields of an AFSStoreStatus its mask says are set. */
  storeStatus(): void {
    this.check(24);
    const mask = this.uint();
    if (mask) this.s += " StoreStatus";
    if (mask & 1) {
      this.s += " date";
      this.date();
    } else this.o += 4;
    const owner = this.uint();
    if (mask & 2) this.s += ` owner ${owner}`;
    const group = this.uint();
    if (mask & 4) this.s += ` group ${group}`;
    const mode = this.uint();
    if (mask & 8) this.s += ` mode ${(mode & 0o7777).toString(8)}`;
    const seg = this.uint();
    if (mask & 16) this.s += ` segsize ${seg}`;
    if (mask & 1024) this.s += " fsync";
  }
  /** VECOUT: a string of max characters, each in a 32-bit word, ended by the first NUL. */
  vec(max: number): void {
    this.check(max * 4);
    let t = "";
    let end = false;
    for (let k = 0; k < max; k++) {
      const c = this.uint() & 0xff;
      if (c === 0) end = true;
      if (!end) t += printChar(c);
    }
    this.s += ` "${t}"`;
  }
}

export const RX: Protocol = {
  id: "rx",
  name: "RX",
  title: "RX Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const b = r.pos;
    const length = r.reportedRemaining;
    const l = ctx.line;
    if (b + HDR > r.cap) {
      l.s(` [|rx] (${length})`);
      ctx.truncated = true;
      r.pos = r.cap;
      return;
    }
    const u32 = (o: number): number => ((r.byteAt(o) << 24) | (r.byteAt(o + 1) << 16) | (r.byteAt(o + 2) << 8) | r.byteAt(o + 3)) >>> 0;
    const callnum = u32(b + 8);
    const seq = u32(b + 12);
    const serial = u32(b + 16);
    const type = r.byteAt(b + 20);
    const flags = r.byteAt(b + 21);
    const service = (r.byteAt(b + 26) << 8) | r.byteAt(b + 27);
    if (t.on) {
      t.add(F.epoch, u32(b), b, 4);
      t.add(F.cid, u32(b + 4), b + 4, 4);
      t.add(F.callnumber, callnum, b + 8, 4);
      t.add(F.seq, seq, b + 12, 4);
      t.add(F.serial, serial, b + 16, 4);
      t.add(F.type, type, b + 20, 1);
      t.add(F.flags, flags, b + 21, 1);
      t.add(F.userstatus, r.byteAt(b + 22), b + 22, 1);
      t.add(F.securityindex, r.byteAt(b + 23), b + 23, 1);
      t.add(F.spare, (r.byteAt(b + 24) << 8) | r.byteAt(b + 25), b + 24, 2);
      t.add(F.serviceid, service, b + 26, 2);
    }
    const p = new P(r, b + HDR);
    p.s = ` rx ${TYPES[type] ?? `type ${type}`}`;
    const v = ctx.opts.verbose;
    if (v > 0) {
      if (v > 1) p.s += ` cid ${u32(b + 4).toString(16).padStart(8, "0")} call# ${callnum}`;
      p.s += ` seq ${seq} ser ${serial}`;
      if (v > 2) p.s += ` secindex ${r.byteAt(b + 23)} serviceid ${service}`;
      if (v > 1) {
        let first = true;
        for (const [f, pt, name] of FLAGS) {
          if (flags & f && (!pt || type === pt)) {
            p.s += `${first ? " " : ","}<${name}>`;
            first = false;
          }
        }
      }
    }
    let end = ` (${length})`;
    try {
      const sport = ctx.srcPort;
      const dport = ctx.dstPort;
      if (type === DATA && seq === 1 && flags & CLIENT_INIT) {
        // a call: remembered so that its reply can be printed (once, not again on a detail pass)
        if (!ctx.again && b + HDR + 4 <= r.cap) {
          const c = cacheOf(ctx);
          c.ring[c.next] = { callnum, client: ctx.src, server: ctx.dst, dport, service, opcode: u32(b + HDR) };
          c.next = (c.next + 1) % CACHE_SIZE;
        }
        call(p, dport, length);
      } else if (((type === DATA && seq === 1) || type === ABORT) && !(flags & CLIENT_INIT)) {
        const c = cacheOf(ctx);
        let i = c.hint;
        // at most CACHE_SIZE entries looked at, from where the last search matched
        do {
          const e = c.ring[i];
          if (e && e.callnum === callnum && e.client === ctx.dst && e.server === ctx.src && e.service === service && e.dport === sport) {
            c.hint = i;
            reply(p, sport, type, length, e.opcode);
            break;
          }
          i = (i + 1) % CACHE_SIZE;
        } while (i !== c.hint);
      } else if (type === ACK) ack(p, v);
    } catch (e) {
      if (e === CUT) {
        end = " [|rx]";
        ctx.truncated = true;
      } else if (e !== SHORT) throw e;
    }
    l.s(p.s).s(end);
    r.pos = r.cap;
  },
};

/** The service's mark after a call or reply its printer found cut (" [|pt]"); the length follows it. */
function short(p: P, name: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e !== SHORT) throw e;
    p.s += ` [|${name}]`;
  }
}

const isUbik = (op: number): boolean => (op >= 10000 && op <= 10007) || (op >= 20000 && op <= 20013);

/** A call (the first data packet of the client's): tcpdump's fs_print, cb_print, prot_print, vldb_print, ... */
function call(p: P, dport: number, length: number): void {
  if (length <= HDR || dport < 7000 || dport > 7007 || dport === 7006) return;
  const op = p.u32(p.o);
  p.o += 4;
  if (dport === 7000) {
    p.s += ` fs call ${FS_REQ[op] ?? `op#${op}`}`;
    short(p, "fs", () => {
      switch (op) {
        case 130:
          p.fid();
          p.s += ` offset ${p.uint()} length ${p.uint()}`;
          break;
        case 131:
        case 132:
        case 143:
        case 144:
        case 145:
        case 156:
        case 157:
        case 158:
          p.fid();
          break;
        case 135:
          p.fid();
          p.storeStatus();
          break;
        case 137:
        case 141:
          p.fid();
          p.str(AFSNAMEMAX);
          p.storeStatus();
          break;
        case 136:
        case 142:
          p.fid();
          p.str(AFSNAMEMAX);
          break;
        case 138:
          p.s += " old";
          p.fid();
          p.str(AFSNAMEMAX);
          p.s += " new";
          p.fid();
          p.str(AFSNAMEMAX);
          break;
        case 139:
          p.fid();
          p.str(AFSNAMEMAX);
          p.s += " link to";
          p.str(AFSNAMEMAX);
          break;
        case 140:
          p.fid();
          p.str(AFSNAMEMAX);
          p.s += " link to";
          p.fid();
          break;
        case 148:
          p.str(AFSNAMEMAX);
          break;
        case 149:
        case 150:
          p.s += ` volid ${p.uint()}`;
          break;
        case 154:
          p.s += " volname";
          p.str(AFSNAMEMAX);
          break;
        case 155:
        case 65536: {
          const j = p.uint();
          for (let i = 0; i < j; i++) {
            p.fid();
            if (i !== j - 1) p.s += ",";
          }
          if (j === 0) p.s += " <none!>";
          break;
        }
      }
    });
  } else if (dport === 7001) {
    p.s += ` cb call ${CB_REQ[op] ?? `op#${op}`}`;
    if (op === 204) {
      // the callbacks' FIDs (their versions and expiry dates, when there are any, are not printed)
      const j = p.uint();
      for (let i = 0; i < j; i++) {
        p.fid();
        if (i !== j - 1) p.s += ",";
      }
      if (j === 0) p.s += " <none!>";
      if (p.uint() !== 0) p.s += ";";
    }
  } else if (dport === 7005) {
    p.s += ` vol call ${VOL_REQ[op] ?? `op#${op}`}`;
    const args = VOL_ARGS[op];
    if (args) for (const a of args) p.s += ` ${a} ${p.uint()}`;
  }
  else if (dport === 7002) {
    p.s += " pt";
    if (isUbik(op)) return;
    p.s += ` call ${PT_REQ[op] ?? `op#${op}`}`;
    short(p, "pt", () => {
      switch (op) {
        case 500:
          p.str(PRNAMEMAX);
          p.s += ` id ${p.int()} oldid ${p.int()}`;
          break;
        case 501:
        case 506:
        case 508:
        case 512:
        case 514:
        case 517:
        case 518:
        case 519:
        case 530:
          p.s += ` id ${p.int()}`;
          break;
        case 502:
          p.s += ` pos ${p.int()}`;
          break;
        case 503:
        case 507:
        case 515:
          p.s += ` uid ${p.int()} gid ${p.int()}`;
          break;
        case 504: {
          const j = p.uint();
          for (let i = 0; i < j; i++) p.vec(PRNAMEMAX);
          if (j === 0) p.s += " <none!>";
          break;
        }
        case 505:
          ids(p);
          break;
        case 509:
          p.str(PRNAMEMAX);
          p.s += ` flag ${p.int()} oid ${p.int()}`;
          break;
        case 511:
          p.s += ` id ${p.int()} gflag ${p.int()}`;
          break;
        case 513:
          p.s += ` id ${p.int()}`;
          p.str(PRNAMEMAX);
          p.s += ` oldid ${p.int()} newid ${p.int()}`;
          break;
        case 520:
          p.s += ` id ${p.int()}`;
          p.str(PRNAMEMAX);
          break;
      }
    });
  } else if (dport === 7003) {
    p.s += " vldb";
    if (isUbik(op)) return;
    p.s += ` call ${VLDB_REQ[op] ?? `op#${op}`}`;
    short(p, "vldb", () => {
      switch (op) {
        case 501:
        case 517:
          p.vec(VLNAMEMAX);
          break;
        case 502:
        case 503:
        case 507:
        case 508:
        case 509:
        case 518: {
          p.s += ` volid ${p.int()}`;
          const i = p.uint();
          if (i <= 2) p.s += ` type ${VOLTYPE[i]}`;
          break;
        }
        case 504:
        case 519:
        case 524:
        case 527:
          p.str(VLNAMEMAX);
          break;
        case 505:
          p.s += ` bump ${p.int()}`;
          break;
        case 506:
        case 520: {
          p.s += ` volid ${p.int()}`;
          const i = p.uint();
          if (i <= 2) p.s += ` type ${VOLTYPE[i]}`;
          p.vec(VLNAMEMAX);
          break;
        }
        case 510:
        case 521:
          p.s += ` index ${p.int()}`;
          break;
      }
    });
  }
}

/** " ids: 1 2", or " ids: <none!>" (INTOUT a count's worth). */
function ids(p: P): void {
  p.s += " ids:";
  const n = p.uint();
  let j = 0;
  for (; j < n; j++) p.s += ` ${p.int()}`;
  if (j === 0) p.s += " <none!>";
}

/** A reply to a call seen before: tcpdump's fs_reply_print, prot_reply_print, vldb_reply_print, ... */
function reply(p: P, sport: number, type: number, length: number, op: number): void {
  if (sport === 7000) {
    if (length <= HDR) return;
    p.s += ` fs reply ${FS_REQ[op] ?? `op#${op}`}`;
    if (type === DATA) {
      short(p, "fs", () => {
        if (op === 137 || op === 141) {
          p.s += " new";
          p.fid();
        } else if (op === 151) {
          p.s += " root volume";
          p.str(AFSNAMEMAX);
        }
      });
    } else if (type === ABORT) {
      const e = p.int();
      p.s += ` error ${FS_ERRORS[e] ?? `#${e}`}`;
    } else p.s += ` strange fs reply of type ${type}`;
  } else if (sport === 7002) {
    if (length < HDR) return;
    p.s += " pt";
    if (isUbik(op)) return;
    p.s += ` reply ${PT_REQ[op] ?? `op#${op}`}`;
    short(p, "pt", () => {
      if (type !== DATA) {
        p.s += ` errcode ${p.int()}`;
        return;
      }
      if (op === 504) ids(p);
      else if (op === 505) {
        const j = p.uint();
        for (let i = 0; i < j; i++) p.vec(PRNAMEMAX);
        if (j === 0) p.s += " <none!>";
      } else if (op === 508 || op === 514 || op === 517 || op === 518 || op === 519) {
        const j = p.uint();
        for (let i = 0; i < j; i++) p.s += ` ${p.int()}`;
        if (j === 0) p.s += " <none!>";
      } else if (op === 510) p.s += ` maxuid ${p.int()} maxgid ${p.int()}`;
    });
  } else if (sport === 7003) {
    if (length < HDR) return;
    p.s += " vldb";
    if (isUbik(op)) return;
    p.s += ` reply ${VLDB_REQ[op] ?? `op#${op}`}`;
    short(p, "vldb", () => {
      if (type !== DATA) {
        p.s += ` errcode ${p.int()}`;
        return;
      }
      if (op === 510 || op === 521 || op === 529) p.s += ` count ${p.int()} nextindex ${p.int()}`;
      if (op === 503 || op === 504 || op === 510) vlEntry(p, 8, true);
      else if (op === 505) p.s += ` newvol ${p.uint()}`;
      else if (op === 518 || op === 519 || op === 521 || op === 529) vlEntry(p, 13, false);
    });
  }
}

/** A VLDB entry (vldbentry with 8 servers, nvldbentry with 13): name, servers, partitions, volume ids. */
function vlEntry(p: P, n: number, skipWord: boolean): void {
  p.vec(VLNAMEMAX);
  if (skipWord) {
    p.check(4);
    p.o += 4;
  }
  const servers = p.uint();
  p.s += ` numservers ${servers} servers`;
  for (let i = 0; i < n; i++) {
    p.check(4);
    if (i < servers) p.s += ` ${p.u8(p.o)}.${p.u8(p.o + 1)}.${p.u8(p.o + 2)}.${p.u8(p.o + 3)}`;
    p.o += 4;
  }
  p.s += " partitions";
  for (let i = 0; i < n; i++) {
    const j = p.uint();
    if (i < servers && j <= 26) p.s += ` ${String.fromCharCode(0x61 + j)}`;
    else if (i < servers) p.s += ` ${j}`;
  }
  p.check(n * 4);
  p.o += n * 4;
  p.s += ` rwvol ${p.uint()} rovol ${p.uint()} backup ${p.uint()}`;
}

/** tcpdump's rx_ack_print: first packet, serial, reason, the acked and nacked ranges; -vv the optional trailer. */
function ack(p: P, v: number): void {
  try {
    p.check(18);
    const first = p.u32(p.o + 4);
    if (v > 2) p.s += ` bufspace ${(p.u8(p.o) << 8) | p.u8(p.o + 1)} maxskew ${(p.u8(p.o + 2) << 8) | p.u8(p.o + 3)}`;
    p.s += ` first ${first} serial ${p.u32(p.o + 12)} reason ${ACK_REASONS[p.u8(p.o + 16)] ?? `#${p.u8(p.o + 16)}`}`;
    const n = p.u8(p.o + 17);
    p.o += 18;
    if (n !== 0) {
      p.check(n);
      for (const want of [1, 0]) {
        let start = -2;
        let last = -2;
        let i = 0;
        for (; i < n; i++) {
          if (p.u8(p.o + i) === want) {
            if (last === -2) {
              p.s += ` ${want ? "acked" : "nacked"} ${first + i}`;
              start = i;
            } else if (last !== i - 1) {
              p.s += `,${first + i}`;
              start = i;
            }
            last = i;
          } else if (last === i - 1 && start !== last) p.s += `-${first + i - 1}`;
        }
        if (last === i - 1 && start !== last) p.s += `-${first + i - 1}`;
      }
      p.o += n;
    }
    p.o += 3;
    if (v > 1) {
      for (const name of ["ifmtu", "maxmtu", "rwind", "maxpackets"]) {
        if (p.r.cap - p.o + 1 <= 4) return;
        p.s += ` ${name} ${p.uint()}`;
      }
    }
  } catch (e) {
    if (e !== SHORT) throw e;
    p.s += " [|ack]";
  }
}

for (let port = 7000; port <= 7009; port++) bind("udp.port", port, RX);
