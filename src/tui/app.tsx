/**
 * The TUI's screen: packet list, detail tree, hex pane, prompt and status bar, laid out for the terminal's
 * size. It re-renders when the model notifies (at most about 10 times a second, or at once for a key) and
 * when the terminal is resized.
 */
import React, { useEffect, useState } from "react";
import { Box, Text, useInput, useStdout } from "ink";
import type { Model } from "./model.js";
export { layout, statusText } from "./text.js";
import { parseMouse, WHEEL_LINES } from "./mouse.js";
import { fmtCount, layout, MIN_COLS, MIN_ROWS, paneLabel, rateBar, shiftLayout, splitPanes, statusText } from "./text.js";
import { convCells, endpointCells } from "./stats.js";
import { streamTitle } from "./stream.js";
import { ColumnsView, COLUMNS_HELP_LINE, DetailPane, HELP_LINE, HelpOverlay, HexPane, PacketList, STATS_HELP_LINE, StatsView, STREAM_HELP_LINE, StreamView } from "./views.js";

function promptLine(m: Model): React.ReactElement {
  const p = m.prompt;
  if (!p) {
    if (m.status.message) return <Text wrap="truncate" color="green">{m.status.message}</Text>;
    return (
      <Text wrap="truncate" dimColor>
        {m.view === "stream" ? STREAM_HELP_LINE : m.view === "stats" ? STATS_HELP_LINE : m.view === "columns" ? COLUMNS_HELP_LINE : HELP_LINE}
      </Text>
    );
  }
  if (p.kind === "quit") return <Text wrap="truncate" color="yellow">The live capture is not saved. Discard it and quit? (y/n)</Text>;
  const label =
    p.kind === "filter"
      ? "display filter: "
      : p.kind === "save"
        ? "save shown packets to: "
        : p.kind === "savemarked"
          ? "save marked packets to: "
          : p.kind === "column"
            ? "add column (field name): "
            : p.kind === "goto"
              ? "go to packet: "
              : p.kind === "find"
                ? `find ${m.findMode === "filter" ? "display filter" : m.findMode === "hex" ? "hex bytes" : "text"} (Tab: filter / hex / text): `
                : "capture filter: ";
  // the display filter is green while it compiles, red while it does not; the cursor is an inverse cell
  const colour = p.valid === true ? "green" : p.valid === false ? "red" : undefined;
  const c = Math.min(p.cursor, p.text.length);
  return (
    <Text wrap="truncate">
      <Text color="cyan">{label}</Text>
      <Text color={colour}>{p.text.slice(0, c)}</Text>
      <Text inverse color={colour}>
        {p.text[c] ?? " "}
      </Text>
      <Text color={colour}>{p.text.slice(c + 1)}</Text>
      {p.error ? <Text color="red">{"  " + p.error}</Text> : p.hints.length ? <Text dimColor>{"  " + p.hints.join(" ")}</Text> : null}
    </Text>
  );
}

function streamView(m: Model, cols: number, height: number): React.ReactElement {
  const s = m.stream!;
  m.viewHeight = Math.max(1, height - 2);
  const k = s.key;
  const side = (d: number) => `${d ? `${k.bAddr}:${k.bPort} → ${k.aAddr}:${k.aPort}` : `${k.aAddr}:${k.aPort} → ${k.bAddr}:${k.bPort}`}: ${fmtCount(s.packets[d])} packet${s.packets[d] === 1 ? "" : "s"}, ${fmtCount(s.bytes[d])} byte${s.bytes[d] === 1 ? "" : "s"}`;
  const summary = s.packets[0] + s.packets[1] === 0 && m.scanProgress < 0 ? "no packets of this conversation | " : `${side(0)} | ${side(1)}`;
  return <StreamView title={streamTitle(k)} summary={summary} lines={m.streamLines(m.viewHeight)} height={height} width={cols} hex={m.streamHex} />;
}

function statsView(m: Model, cols: number, height: number): React.ReactElement {
  m.viewHeight = Math.max(1, height - 2);
  const st = m.stats;
  const h = m.viewHeight;
  let conv: string[][] = [];
  let phs: { depth: number; name: string; frames: number; bytes: number }[] = [];
  if (st && m.statsTab !== "phs") conv = m.statsEndpoints ? st.endpoints(m.statsTab).slice(m.statsTop, m.statsTop + h).map(endpointCells) : st.table(m.statsTab).slice(m.statsTop, m.statsTop + h).map(convCells);
  if (st && m.statsTab === "phs") phs = st.phsLines().map((l) => ({ depth: l.depth, name: l.node.name, frames: l.node.frames, bytes: l.node.bytes }));
  // conv holds only the visible rows: shift the indices so the view sees them from `top`
  const pad: string[][] = new Array(m.statsTop);
  return <StatsView tab={m.statsTab} endpoints={m.statsEndpoints} conv={m.statsTab === "phs" ? [] : pad.concat(conv)} phs={phs} top={m.statsTop} selected={m.statsSel} height={height} width={cols} />;
}

/** live: packets/s of the last seconds as a sparkline (seconds with drops in red), the rate, its peak, the drops */
function RateBar({ m, width }: { m: Model; width: number }): React.ReactElement {
  const b = rateBar(m.rates, m.drops, m.status.dropped + m.status.ifDropped, width);
  // runs of seconds with and without drops, each one Text
  const runs: { text: string; drop: boolean }[] = [];
  for (let i = 0; i < b.spark.length; i++) {
    const last = runs[runs.length - 1];
    if (last && last.drop === b.dropAt[i]) last.text += b.spark[i];
    else runs.push({ text: b.spark[i], drop: b.dropAt[i] });
  }
  return (
    <Text wrap="truncate">
      <Text color="gray">{b.head}</Text>
      {runs.map((r, i) => (
        <Text key={i} color={r.drop ? "red" : "green"}>
          {r.text}
        </Text>
      ))}
      <Text color={b.tail.includes("(+") ? "red" : undefined}>{b.tail}</Text>
    </Text>
  );
}

export interface AppProps {
  model: Model;
  /** fixed size (tests); default: the terminal's */
  width?: number;
  height?: number;
}

export function App({ model: m, width, height }: AppProps): React.ReactElement {
  const { stdout } = useStdout();
  const [, setTick] = useState(0);
  useEffect(() => m.subscribe(() => setTick((t) => t + 1)), [m]);
  useEffect(() => {
    const onResize = () => setTick((t) => t + 1);
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  useInput((input, key) => {
    const mouse = parseMouse(input);
    if (!mouse) return m.key(input, key);
    if (mouse.kind === "wheel") m.wheel(mouse.wheel * WHEEL_LINES);
    else if (mouse.kind === "press" && mouse.button === 0) m.click(mouse.y);
  });

  const cols = width ?? stdout.columns ?? 120;
  const rows = height ?? stdout.rows ?? 40;
  if (cols < MIN_COLS || rows < MIN_ROWS) {
    return (
      <Box flexDirection="column" width={cols} height={Math.max(1, rows - 1)}>
        {["terminal too small", `${cols}x${rows}, needs ${MIN_COLS}x${MIN_ROWS}`, "q quits"].map((t, i) => (
          <Text key={i} wrap="truncate">
            {t.padEnd(cols, " ")}
          </Text>
        ))}
      </Box>
    );
  }
  // live: the rate bar takes a line (not at the smallest size: the status line has the rate and drops too)
  const bar = m.status.mode === "live" && rows > MIN_ROWS ? 1 : 0;
  const R = rows - bar; // what the panes and views lay out in
  const L0 = layout(R);
  const L = shiftLayout(L0, m.split);
  m.split = L.list - L0.list; // clamped: + at the limit does not pile up
  // z: the focused pane alone, as tall as the screen allows (its header or separator, rows - 4 lines)
  const full = m.maximised ? m.focus : null;
  if (full === "list") L.list = R - 4;
  else if (full === "detail") L.detail = R - 4;
  else if (full === "hex") L.hex = R - 4;
  if (m.listHeight !== L.list || m.detailHeight !== L.detail || m.hexHeight !== L.hex) {
    m.listHeight = L.list;
    m.detailHeight = L.detail;
    m.hexHeight = L.hex;
    m.moveTo(m.selected, false);
  }
  const sep = (label: string, focused: boolean) => (
    <Text wrap="truncate" color={focused ? "cyan" : "gray"}>
      {("── " + label + " ").padEnd(cols, "─")}
    </Text>
  );
  const lines = m.treeLines();
  // the tree's blank lines go to the hex rows, as many as the packet has; the separators say when more rows
  // exist than are shown
  const hexRows = Math.ceil(m.bytes.length / 16);
  const P = full ? { detail: L.detail, hex: L.hex } : splitPanes(L, lines.length, hexRows);
  if (m.hexHeight !== P.hex) {
    m.hexHeight = P.hex;
    m.detailHeight = P.detail;
    m.hexTop = Math.max(0, Math.min(m.hexTop, hexRows - P.hex));
  }
  return (
    <Box flexDirection="column" width={cols} height={rows - 1}>
      {m.help ? (
        <HelpOverlay height={R - 3} width={cols} />
      ) : m.view === "stream" ? (
        streamView(m, cols, R - 3)
      ) : m.view === "stats" ? (
        statsView(m, cols, R - 3)
      ) : m.view === "columns" ? (
        <ColumnsView columns={m.columns} selected={m.colSel} sort={m.sort} height={R - 3} width={cols} />
      ) : full === "list" ? (
        <PacketList count={m.shownCount()} rowAt={(r) => m.rows.row(m.packetAt(r))} top={m.top} height={L.list} selected={m.selected} width={cols} focused columns={m.columns} sort={m.sort} marked={m.marks.size ? (r) => m.marks.has(m.packetAt(r)) : undefined} colourAt={m.colouring ? (r) => m.colourOf(m.packetAt(r)) : undefined} />
      ) : full === "detail" ? (
        <>
          {sep(paneLabel("Detail", m.treeTop, m.detailHeight, lines.length) + "  (z: all panes)", true)}
          <DetailPane lines={lines} top={m.treeTop} height={m.detailHeight} cursor={m.treeCursor} width={cols} focused />
        </>
      ) : full === "hex" ? (
        <>
          {sep(paneLabel("Bytes", m.hexTop, m.hexHeight, hexRows) + "  (z: all panes)", true)}
          <HexPane bytes={m.bytes} top={m.hexTop} height={m.hexHeight} highlight={m.highlight()} focused />
        </>
      ) : (
        <>
          <PacketList count={m.shownCount()} rowAt={(r) => m.rows.row(m.packetAt(r))} top={m.top} height={L.list} selected={m.selected} width={cols} focused={m.focus === "list"} columns={m.columns} sort={m.sort} marked={m.marks.size ? (r) => m.marks.has(m.packetAt(r)) : undefined} colourAt={m.colouring ? (r) => m.colourOf(m.packetAt(r)) : undefined} />
          {sep(paneLabel("Detail", m.treeTop, m.detailHeight, lines.length), m.focus === "detail")}
          <DetailPane lines={lines} top={m.treeTop} height={m.detailHeight} cursor={m.treeCursor} width={cols} focused={m.focus === "detail"} />
          {sep(paneLabel("Bytes", m.hexTop, m.hexHeight, hexRows), m.focus === "hex")}
          <HexPane bytes={m.bytes} top={m.hexTop} height={m.hexHeight} highlight={m.highlight()} focused={m.focus === "hex"} />
        </>
      )}
      {bar ? <RateBar m={m} width={cols} /> : null}
      {promptLine(m)}
      <Text wrap="truncate" inverse>
        {statusText(m).padEnd(cols, " ")}
      </Text>
    </Box>
  );
}
