#!/usr/bin/env node
// The per-protocol fidelity report (issue #13): tsniff's one-line output against the installed tcpdump's, for
// `-nn`, `-nn -v` and `-nn -e`, over tcpdump's corpus (fixtures/corpus/tcpdump), counted per protocol; and the
// routing/operations protocols ranked by how many corpus captures use them. A report, not a test:
//   npm run fidelity                 writes docs/FIDELITY.md
//   node scripts/fidelity.mjs --stdout [files...]   prints the report instead (for a few files, say)
//
// How a line is grouped: by the packet's protocol as tsniff dissects it (tcpdump's own words are not a sound
// key: its line for an unknown payload names the layer below, and its words change with -v). The key is the
// top-most layer tsniff decoded; where tsniff decodes no further than IP, TCP or UDP, the IP protocol number or
// the well-known port names the protocol that tcpdump would decode (ospf, bgp, snmp, ...), so protocols tsniff
// has no dissector for yet show up under their own name, not as "udp". A link type with no dissector is
// "linktype N". One tcpdump process per file and mode; tsniff runs in-process through the library.
// tcpdump runs with -# so that its packets are told apart by their numbers: -v continuation lines and a tunnel's
// inner packet on a line of its own are joined to their packet's line, as tsniff's text holds them: the unit is
// the packet's text.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileSource } from "../dist/capture/file-source.js";
import { Dissector } from "../dist/dissectors/index.js";
import { termSafe } from "../dist/output/escape.js";
import { EVERYDAY, keyOf } from "./fidelity-groups.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const toStdout = args.includes("--stdout");
let files = args.filter((a) => !a.startsWith("-"));
if (files.length === 0) {
  const dir = path.join(root, "fixtures", "corpus", "tcpdump");
  files = fs.readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => path.join(dir, f));
}

/** An RTP header (version 2, an audio/video payload type) in a UDP payload between unprivileged even ports. */
function rtpLike(dis, b, i, frame) {
  const { tree } = dis.detail(b, i, frame);
  const udp = findProto(tree.roots, "udp");
  if (!udp) return null;
  const p = udp.offset + 8, end = b.offset[i] + b.caplen[i];
  if (end - p < 12) return null;
  const v = b.data[p] >> 6, pt = b.data[p + 1] & 0x7f;
  if (v !== 2 || !(pt <= 34 || pt >= 96)) return null;
  return ((b.data[p + 2] << 8) | b.data[p + 3]) >>> 0;
}
function findProto(nodes, id) {
  for (const n of nodes) {
    if (n.kind === "proto" && n.name === id) return n;
    if (n.children) { const c = findProto(n.children, id); if (c) return c; }
  }
  return null;
}

/**
 * tcpdump's output (run with -#) cut into packets: a packet starts at the line numbered with the next packet
 * number (tcpdump prints it as "%5u  "), so every other line belongs to the packet before it: -v continuation
 * lines and a tunnel's inner packet that tcpdump starts on a line of its own (VXLAN, OTV, ...), as tsniff's
 * text for the packet holds them too. The numbers are taken off.
 */
function tcpdumpPackets(out) {
  const lines = out.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const theirs = [], plain = [];
  for (const l of lines) {
    const tag = String(theirs.length + 1).padStart(5) + "  ";
    if (l.startsWith(tag)) { theirs.push(l.slice(tag.length)); plain.push(l.slice(tag.length)); }
    else if (theirs.length) { theirs[theirs.length - 1] += "\n" + l; plain.push(l); }
  }
  return { theirs, lines: plain };
}

const MODES = [
  { name: "-nn", flags: [], verbose: 0, linkHeader: false },
  { name: "-nn -v", flags: ["-v"], verbose: 1, linkHeader: false },
  { name: "-nn -e", flags: ["-e"], verbose: 0, linkHeader: true },
];
/** key -> { lines: [per mode], same: [per mode], files: Set } */
const groups = new Map();
const group = (k) => {
  let g = groups.get(k);
  if (!g) groups.set(k, (g = { lines: [0, 0, 0], same: [0, 0, 0], files: new Set() }));
  return g;
};
/** protocol -> set of files, by tsniff's grouping (the RTP heuristic for rtp) and by tcpdump's words */
const usedBy = new Map(), namedBy = new Map();
const mark = (m, k, f) => { if (!m.has(k)) m.set(k, new Set()); m.get(k).add(f); };
/** tcpdump's words for the routing and operations protocols, in its -nn output. */
const TCPDUMP_WORDS = {
  ospf: /\bOSPFv[23]\b/, bgp: /: BGP\b/, snmp: /\b(GetRequest|GetNextRequest|GetResponse|SetRequest|GetBulk|V2Trap|Trap|Inform|Report)\(\d+\)|\bSNMPv3\b|\{ SNMPv|\[!init SEQ\]/,
  sip: /: SIP\b|\bSIP\/2\.0\b/, syslog: /\bSYSLOG\b/, radius: /\bRADIUS\b/, rip: /\bRIPv[12]\b|\bRIPng\b/, isis: /\bIS-IS\b/, ldp: /\bLDP\b/,
  pim: /\bPIMv[12]\b/, vrrp: /\bVRRPv[23]\b/, eigrp: /\bEIGRP\b/, bfd: /\bBFDv1\b/, hsrp: /\bHSRPv[01]\b/, netflow: /\bNetFlow\b/,
  lldp: /\bLLDP\b/, cdp: /\bCDPv[12]\b/, stp: /\bSTP\b/, ntp: /\bNTPv[1-4]\b/, tacacs: /\bTACACS\+/, ldap: /\bLDAP\b/, babel: /\bbabel\b/,
};
const RANKED = ["ospf", "bgp", "snmp", "sip", "rtp", "syslog", "radius", "rip", "isis", "ldp", "pim", "vrrp", "eigrp", "bfd", "hsrp", "netflow", "tacacs", "ldap", "babel", "lldp", "cdp", "stp", "ntp"];

let unreadable = 0;
const t0 = Date.now();
for (const f of files) {
  const base = path.basename(f);
  // tsniff, once per mode (the -v run needs verbose dissection), keyed packets from the -nn run
  let keys = null;
  for (let m = 0; m < MODES.length; m++) {
    const mode = MODES[m];
    const td = spawnSync("tcpdump", ["-#", "-nn", "-t", ...mode.flags, "-r", f], { maxBuffer: 1 << 28 });
    const { theirs, lines } = tcpdumpPackets(td.stdout.toString());
    if (m === 0) for (const [k, re] of Object.entries(TCPDUMP_WORDS)) if (lines.some((l) => re.test(l))) mark(namedBy, k, base);
    const ours = [];
    const pktKeys = [];
    const rtpFlows = new Map();
    let src;
    try { src = await FileSource.open(f); } catch { if (m === 0) unreadable++; break; }
    const dis = new Dissector({ verbose: mode.verbose, linkHeader: mode.linkHeader });
    let frame = 0;
    try {
      await src.run((b) => {
        for (let i = 0; i < b.count; i++) {
          const ctx = dis.summary(b, i, ++frame);
          const text = termSafe(ctx.info);
          if (m === 0) {
            const k = keyOf(ctx);
            pktKeys.push(k);
            if (k !== "linktype " + ctx.linktype) mark(usedBy, k, base);
            if (k === "udp" && ctx.srcPort >= 1024 && ctx.dstPort >= 1024) {
              const seq = rtpLike(dis, b, i, frame);
              if (seq !== null) {
                const flow = `${ctx.src}:${ctx.srcPort}>${ctx.dst}:${ctx.dstPort}`;
                const prev = rtpFlows.get(flow);
                rtpFlows.set(flow, { seq, n: prev && ((seq - prev.seq) & 0xffff) < 100 ? prev.n + 1 : 1 });
              }
            }
          }
          ours.push(text);
        }
        return Infinity;
      });
    } catch { /* a file tsniff stops reading midway: what was read counts */ }
    if (m === 0) {
      keys = pktKeys;
      if ([...rtpFlows.values()].some((x) => x.n >= 3)) mark(usedBy, "rtp", base);
    }
    // packet i of tcpdump's output is packet i of ours (tcpdump prints one line per packet, as tsniff does)
    const n = Math.max(ours.length, theirs.length);
    for (let i = 0; i < n; i++) {
      const g = group(keys?.[i] ?? "(extra)");
      g.files.add(base);
      g.lines[m]++;
      if (ours[i] !== undefined && ours[i] === theirs[i]) g.same[m]++;
    }
  }
}
const secs = Math.round((Date.now() - t0) / 1000);

// the report
const tdVersion = spawnSync("tcpdump", ["--version"]).stdout.toString().split("\n").filter(Boolean).slice(0, 2).join(", ");
const pct = (s, n) => (n ? ((100 * s) / n).toFixed(1) + "%" : "-");
const rows = [...groups].sort((a, b) => b[1].lines[0] - a[1].lines[0] || a[0].localeCompare(b[0]));
const tot = { lines: [0, 0, 0], same: [0, 0, 0] };
for (const [, g] of rows) for (let m = 0; m < 3; m++) { tot.lines[m] += g.lines[m]; tot.same[m] += g.same[m]; }
const out = [];
out.push("# Fidelity: tsniff's one-line output against tcpdump's, per protocol");
out.push("");
out.push("`-T fields` against tshark's, per capture and per field: [FIDELITY-FIELDS.md](FIDELITY-FIELDS.md) (`npm run fidelity:fields`).");
out.push("");
out.push(`Made by \`npm run fidelity\` (scripts/fidelity.mjs) on ${new Date().toISOString().slice(0, 10)}, against ${tdVersion}, over ${files.length} captures of tcpdump's test corpus (fixtures/corpus/tcpdump)${unreadable ? `, ${unreadable} of which tsniff cannot open` : ""}; the run took ${secs} s. A report, not a test: it is made again by hand.`);
out.push("");
out.push("A line counts as identical when tsniff's text for the packet equals tcpdump's (`tcpdump -t` plus the mode's flags), byte for byte after tsniff's terminal escaping; a packet's text is all its lines (tcpdump runs with `-#`, so its packets are told apart by their numbers, which are then taken off): with `-v` the continuation lines, and a tunnel's inner packet where tcpdump starts it on a line of its own (VXLAN, OTV). Packet *i* of one output is compared with packet *i* of the other.");
out.push("");
out.push("**Grouping**: by the packet's protocol as tsniff dissects it: the top-most layer it decoded (the layer ids: `tcp`, `dns`, `arp`, ...). Where tsniff decodes no further than IP, TCP or UDP and a payload remains, the IP protocol number or the well-known port (the lower one first) names the protocol tcpdump decodes there (`ospf`, `bgp`, `snmp`, ...), so protocols without a tsniff dissector get their own row instead of swelling `udp`; a TCP segment with no payload stays `tcp`, and a TCP or UDP payload on no well-known port that tsniff does not decode is `tcp (payload not decoded)` / `udp (payload not decoded)`. A link layer on top (`eth (payload not decoded)`, `llc (payload not decoded)`, ...) means tsniff decoded no network layer: an ethertype, SAP or protocol it has no dissector for (IS-IS, IPX, ...). `linktype N` is a link type tsniff has no dissector for; `(extra)` counts lines of one side beyond the other's last packet.");
out.push("");
out.push(`**Total**: -nn ${tot.same[0]}/${tot.lines[0]} (${pct(tot.same[0], tot.lines[0])}), -nn -v ${tot.same[1]}/${tot.lines[1]} (${pct(tot.same[1], tot.lines[1])}), -nn -e ${tot.same[2]}/${tot.lines[2]} (${pct(tot.same[2], tot.lines[2])}).`);
out.push("");
const evRows = rows.filter(([k]) => EVERYDAY.includes(k));
const ev = { lines: [0, 0, 0], same: [0, 0, 0] };
for (const [, g] of evRows) for (let m = 0; m < 3; m++) { ev.lines[m] += g.lines[m]; ev.same[m] += g.same[m]; }
out.push(`**Everyday protocols** (${EVERYDAY.join(", ")}; marked * below): -nn ${pct(ev.same[0], ev.lines[0])}, -nn -v ${pct(ev.same[1], ev.lines[1])}, -nn -e ${pct(ev.same[2], ev.lines[2])}.`);
out.push("");
out.push("| protocol | captures | lines | -nn identical | -nn -v identical | -nn -e identical |");
out.push("|---|---:|---:|---:|---:|---:|");
for (const [k, g] of rows) {
  const c = (m) => `${g.same[m]} (${pct(g.same[m], g.lines[m])})`;
  out.push(`| ${k}${EVERYDAY.includes(k) ? " *" : ""} | ${g.files.size} | ${g.lines[0]} | ${c(0)} | ${c(1)} | ${c(2)} |`);
}
out.push("");
out.push("## Routing and operations protocols, by the number of corpus captures that use them");
out.push("");
out.push("Two counts: the captures where tsniff's grouping above finds the protocol (its IP protocol number or well-known port, with a payload; RTP: a UDP flow between unprivileged ports with at least three packets that carry an RTP version-2 header with an audio/video payload type and sequence numbers moving forward, since tcpdump decodes RTP only with `-T rtp`), and the captures where tcpdump's `-nn` output names it (its words, e.g. `OSPFv2`, `BGP`, `SIP`, `RADIUS`, `SYSLOG`; SNMP by its PDU names; `-` where tcpdump has no word for it). The ranking follows the larger of the two.");
out.push("");
out.push("| rank | protocol | captures (tsniff's grouping) | captures (tcpdump names it) |");
out.push("|---:|---|---:|---:|");
const ranked = RANKED.map((k) => ({ k, a: usedBy.get(k)?.size ?? 0, b: TCPDUMP_WORDS[k] ? namedBy.get(k)?.size ?? 0 : null }))
  .sort((x, y) => Math.max(y.a, y.b ?? 0) - Math.max(x.a, x.b ?? 0) || x.k.localeCompare(y.k));
ranked.forEach((r, i) => out.push(`| ${i + 1} | ${r.k} | ${r.a} | ${r.b ?? "-"} |`));
out.push("");
const text = out.join("\n");
if (toStdout) console.log(text);
else {
  fs.writeFileSync(path.join(root, "docs", "FIDELITY.md"), text);
  console.log(`docs/FIDELITY.md written (${secs} s)`);
}
