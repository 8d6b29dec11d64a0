/**
 * HSRP (RFC 2281; UDP port 1985, decoded when it is the destination port, as tcpdump does), as tcpdump
 * 4.99's print-hsrp.c prints it:
 *   "HSRPv0-hello 20: state=active group=1 addr=192.168.0.1"
 *   -v adds " hellotime=3s holdtime=10s priority=100 auth="cisco""
 * Each piece prints once its bytes are captured, then " [|hsrp]" (tcpdump's order). Version 2 (TLVs)
 * prints only "HSRPv2", as tcpdump. Fields: Wireshark's hsrp.version, hsrp.opcode, hsrp.state,
 * hsrp.hellotime, hsrp.holdtime, hsrp.priority, hsrp.group, hsrp.reserved, hsrp.virt_ip.
 */
import { bind } from "../registry.js";
import { ipv4At, relts } from "../format.js";
import { fields, type Protocol } from "../types.js";

const PORT = 1985;
const OPCODE = ["hello", "coup", "resign"];
const STATE: Readonly<Record<number, string>> = { 0: "initial", 1: "learn", 2: "listen", 4: "speak", 8: "standby", 16: "active" };

const F = fields("hsrp", {
  version: ["Version", "uint"],
  opcode: ["Op Code", "uint", { values: { 0: "Hello", 1: "Coup", 2: "Resign" } }],
  state: ["State", "uint", { values: STATE }],
  hellotime: ["Hellotime", "uint"],
  holdtime: ["Holdtime", "uint"],
  priority: ["Priority", "uint"],
  group: ["Group", "uint"],
  reserved: ["Reserved", "uint"],
  virt_ip: ["Virtual IP Address", "ipv4"],
});

export const HSRP: Protocol = {
  id: "hsrp",
  name: "HSRP",
  title: "Cisco Hot Standby Router Protocol",
  fields: F,
  dissect(r, ctx, t) {
    // tcpdump decodes HSRP only by the destination port; from port 1985 it is plain UDP
    if (ctx.dstPort !== PORT) return ctx.next("udp.port", -1);
    const start = r.pos;
    const len = r.reportedRemaining;
    const line = ctx.line;
    const cut = () => {
      r.pos = r.cap;
      r.skip(1); // " [|hsrp]"
    };
    const has = (off: number) => start + off < r.cap;
    if (t.on) {
      const names = [F.version, F.opcode, F.state, F.hellotime, F.holdtime, F.priority, F.group, F.reserved];
      for (let i = 0; i < 8 && has(i); i++) t.add(names[i], r.byteAt(start + i), start + i, 1);
      if (has(19)) t.add(F.virt_ip, ipv4At(r.data, start + 16), start + 16, 4);
    }
    if (!has(0)) return cut();
    const version = r.byteAt(start);
    line.s("HSRPv").u(version);
    if (version !== 0) {
      r.pos = r.cap;
      return;
    }
    line.s("-");
    if (!has(1)) return cut();
    const op = r.byteAt(start + 1);
    line.s(`${OPCODE[op] ?? `unknown (${op})`} ${len}: `);
    if (!has(2)) return cut();
    const st = r.byteAt(start + 2);
    line.s(`state=${STATE[st] ?? `Unknown (${st})`} `);
    if (!has(6)) return cut();
    line.s(`group=${r.byteAt(start + 6)} `);
    if (!has(7)) return cut();
    if (r.byteAt(start + 7) !== 0) line.s(`[reserved=${r.byteAt(start + 7)}!] `);
    if (!has(19)) return cut();
    line.s(`addr=${ipv4At(r.data, start + 16)}`);
    if (ctx.opts.verbose > 0) {
      line.s(` hellotime=${relts(r.byteAt(start + 3))} holdtime=${relts(r.byteAt(start + 4))} priority=${r.byteAt(start + 5)} auth="`);
      for (let i = 0; i < 8; i++) {
        const c = r.byteAt(start + 8 + i);
        if (c === 0) break;
        line.latin1(r.data, start + 8 + i, 1);
      }
      line.s('"');
    }
    r.pos = r.cap;
  },
};

bind("udp.port", PORT, HSRP);
