/**
 * The packet list's columns (issue 17): Wireshark's Info for TCP and UDP compared with tshark's on the same
 * files, custom columns by field name compared with `tshark -T fields`, sorting, and the config file read and
 * written (in a temporary XDG_CONFIG_HOME).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileSource } from "../../src/capture/file-source.js";
import { PcapngWriter } from "../../src/capture/pcapng-writer.js";
import { parseColumn } from "../../src/tui/columns.js";
import { configDir, configureModel, loadConfig } from "../../src/tui/config.js";
import { CaptureRows, Model } from "../../src/tui/model.js";
import { indexFile, PacketFile, PacketIndex } from "../../src/tui/packet-index.js";
import { columns, listHeader, rowText } from "../../src/tui/text.js";
import { has, ROOT } from "../helpers/run.js";

const TSHARK = has("tshark");
const fx = (p: string) => path.join(ROOT, "fixtures", p);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsniff-tui-cols-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function open(file: string): Promise<Model> {
  const index = new PacketIndex();
  const src = await FileSource.open(file);
  await indexFile(src, index);
  const rows = new CaptureRows(index, new PacketFile(file, index));
  rows.ifaceNames = src.info.interfaceNames; // as runFile
  const m = new Model(rows);
  m.indexDone();
  m.moveTo(0, false);
  return m;
}

function tshark(file: string, fields: string[]): string[][] {
  const r = spawnSync("tshark", ["-r", file, "-T", "fields", "-E", "separator=\t", ...fields.flatMap((f) => ["-e", f])], { encoding: "utf8", maxBuffer: 1 << 26 });
  return r.stdout.split("\n").filter((l) => l).map((l) => l.split("\t"));
}

describe.skipIf(!TSHARK)("Info column", () => {
  it.each(["http/http.pcap", "dns/dns-tcp.pcap", "examples/syn-scan.pcap", "ssh/ssh.pcap", "tls/tls.pcap", "icmp/unreach.pcap", "ipv6/exthdr.pcap", "vlan/vlan.pcap", "mpls/mpls-ppp.pcap"])(
    "is tshark's for TCP and UDP rows of %s",
    async (f) => {
      const m = await open(fx(f));
      const want = tshark(fx(f), ["_ws.col.Protocol", "_ws.col.Info", "tcp.analysis.flags"]);
      let compared = 0;
      want.forEach(([proto, info, analysis], i) => {
        if ((proto !== "TCP" && proto !== "UDP") || analysis) return; // (tsniff has no TCP analysis: [TCP Retransmission] ...)
        const row = m.rows.row(i);
        if (row.proto !== proto) return; // (the Protocol column is the dissectors': a segment of a reassembled PDU says HTTP)
        expect(row.info, `frame ${i + 1}`).toBe(info.replace(/ \[TCP segment of a reassembled PDU\]$/, ""));
        compared++;
      });
      expect(compared).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe.skipIf(!TSHARK)("custom columns", () => {
  it("show a field's values as tshark -T fields does, and the ports", async () => {
    const m = await open(fx("http/http.pcap"));
    m.setColumns(["no", "tcp.stream", "ip.ttl", "tcp.options.timestamp.tsval", "srcport", "dstport", "frame.len"].map(parseColumn), false);
    const want = tshark(fx("http/http.pcap"), ["tcp.stream", "ip.ttl", "tcp.options.timestamp.tsval", "tcp.srcport", "tcp.dstport", "frame.len"]);
    const c = columns(200, m.columns);
    expect(listHeader(c)).toMatch(/^ {5}No\. tcp\.stream ip\.ttl {3}tcp\.options\.timestamp\.t… Src port Dst port frame\.len /);
    want.forEach((w, i) => {
      const r = m.rows.row(i);
      expect([r.cells!["tcp.stream"], r.cells!["ip.ttl"], r.cells!["tcp.options.timestamp.tsval"], r.srcport, r.dstport, r.cells!["frame.len"]], `frame ${i + 1}`).toEqual(w);
      expect(rowText(r, c).slice(0, 9)).toBe(String(i + 1).padStart(8, " ") + " ");
    });
  });

  it("refuses a name that is neither a column nor a field", () => {
    expect(() => parseColumn("tcp.nosuchfield")).toThrow(/unknown field: tcp\.nosuchfield/);
    expect(parseColumn("Protocol").kind).toBe("proto");
    expect(parseColumn("proc.comm")).toEqual({ kind: "field", field: "proc.comm", title: "proc.comm" });
  });
});

describe.skipIf(!TSHARK)("a pcapng file's interfaces", () => {
  it("frame.interface_name and frame.interface_id per row are tshark's (the Host column of a saved multi-host capture)", async () => {
    // two hosts' packets, as a remote capture saves them: one named IDB each (web1:eth0, web2:eth0)
    const file = path.join(tmp, "two-hosts.pcapng");
    const w = new PcapngWriter(file, { linktype: 1, declare: 2, describe: (i) => ({ name: i ? "web2:eth0" : "web1:eth0" }) });
    let k = 0;
    for (const f of ["http/http.pcap", "dns/dns-tcp.pcap"]) {
      const src = await FileSource.open(fx(f));
      await src.run((b) => {
        for (let i = 0; i < b.count; i++) w.writeRecord(k++ % 2, b.linktype[i], b.tsSec[i], b.tsNsec[i], b.caplen[i], b.wirelen[i], b.data, b.offset[i]);
        return Infinity;
      });
    }
    w.close();
    const m = await open(file);
    m.setColumns(["no", "host", "frame.interface_id"].map(parseColumn), false);
    const want = tshark(file, ["frame.interface_name", "frame.interface_id"]);
    expect(new Set(want.map((x) => x.join(" ")))).toEqual(new Set(["web1:eth0 0", "web2:eth0 1"]));
    want.forEach((x, i) => {
      const row = m.rows.row(i);
      expect([row.cells!["frame.interface_name"], row.cells!["frame.interface_id"]], `frame ${i + 1}`).toEqual(x);
    });
  });
});

describe("sort", () => {
  it("orders the shown rows by a column both ways, ties in capture order, keeping the selection", async () => {
    const m = await open(fx("http/http.pcap"));
    m.moveTo(5);
    const sel = m.selectedPacket();
    const lenCol = m.columns.findIndex((c) => c.kind === "len");
    m.sortBy(lenCol);
    const lens = (mm: Model) => Array.from({ length: mm.shownCount() }, (_, r) => mm.rows.row(mm.packetAt(r)));
    let rows = lens(m);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].len >= rows[i - 1].len).toBe(true);
      if (rows[i].len === rows[i - 1].len) expect(rows[i].no > rows[i - 1].no).toBe(true);
    }
    expect(m.selectedPacket()).toBe(sel);
    m.sortBy(lenCol);
    rows = lens(m);
    for (let i = 1; i < rows.length; i++) expect(rows[i].len <= rows[i - 1].len).toBe(true);
    expect(m.sort).toEqual({ column: lenCol, desc: true });
  });

  it("sorts by Info in a pass over the packets (string order)", async () => {
    const m = await open(fx("http/http.pcap"));
    m.sortBy(m.columns.findIndex((c) => c.kind === "info"));
    for (let i = 0; i < 200 && m.scanProgress >= 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(m.order).not.toBeNull();
    const infos = Array.from({ length: m.shownCount() }, (_, r) => m.rows.row(m.packetAt(r)).info);
    expect(infos).toEqual(infos.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(Array.from({ length: m.shownCount() }, (_, r) => m.packetAt(r))).size).toBe(41);
  });
});

describe("config file", () => {
  it("lives in $XDG_CONFIG_HOME/tsniff (~/.config/tsniff when unset or relative)", () => {
    expect(configDir({ XDG_CONFIG_HOME: "/x/y", HOME: "/h" })).toBe(path.join("/x/y", "tsniff"));
    expect(configDir({ XDG_CONFIG_HOME: "rel", HOME: "/h" })).toBe(path.join("/h", ".config", "tsniff"));
    expect(configDir({ HOME: "/h" })).toBe(path.join("/h", ".config", "tsniff"));
  });

  it("saves the columns keeping the file's other keys, and a new model reads them", async () => {
    const dir = path.join(tmp, "a", "tsniff");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "tui.json"), JSON.stringify({ mine: 1 }));
    const m = await open(fx("http/http.pcap"));
    configureModel(m, dir);
    m.colSel = 0;
    expect(m.addColumn("tcp.stream")).toBe("");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "tui.json"), "utf8"))).toEqual({ mine: 1, columns: ["no", "tcp.stream", "time", "src", "dst", "proto", "len", "info"] });
    const m2 = await open(fx("http/http.pcap"));
    configureModel(m2, dir);
    expect(m2.columns.map((c) => c.title)).toEqual(["No.", "tcp.stream", "Time", "Source", "Destination", "Protocol", "Length", "Info"]);
  });

  it("reports a malformed file or unknown columns on the status line, and does not overwrite a malformed file", async () => {
    const dir = path.join(tmp, "b", "tsniff");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "tui.json"), "{not json");
    const m = await open(fx("http/http.pcap"));
    configureModel(m, dir);
    expect(m.status.message).toContain(path.join(dir, "tui.json"));
    expect(m.columns.length).toBe(7);
    expect(m.addColumn("ip.ttl")).toBe("");
    expect(m.status.message).toMatch(/not overwritten/);
    expect(fs.readFileSync(path.join(dir, "tui.json"), "utf8")).toBe("{not json");
    fs.writeFileSync(path.join(dir, "tui.json"), JSON.stringify({ columns: ["no", "bogus.field", "info"] }));
    const m2 = await open(fx("http/http.pcap"));
    configureModel(m2, dir);
    expect(m2.columns.map((c) => c.kind)).toEqual(["no", "info"]);
    expect(m2.status.message).toMatch(/^config: unknown field: bogus\.field/);
    expect(loadConfig(path.join(tmp, "none")).config).toEqual({});
  });
});
