/**
 * HTTP/1.x (RFC 9112) over TCP ports 80 and 8080, and by heuristic on any port (a request method followed by
 * a space, or "HTTP/1." at the start of the payload).
 *
 * The one-line summary follows tcpdump's http_print/txtproto_print (util-print.c): after TCP's
 * ", length N" it prints ": HTTP", and when the payload starts with a request method or a status line
 * (second token three digits) also ": " and the first line, e.g. ": HTTP: GET / HTTP/1.1". A continuation
 * segment (body, or headers without a first line) is just ": HTTP". A first line without its CR-LF in the
 * packet gets " [|http]". tcpdump has no HTTP heuristic, so on other ports the line is left as TCP made it
 * (the tree still shows HTTP).
 *
 * The tree has Wireshark's fields: http.request.method, http.request.uri, http.request.version, http.host,
 * http.user_agent, http.response.code, http.response.phrase, http.content_type, http.content_length_header...
 */
import { httpMessageLength, isH2Preface } from "../../stream/framers.js";
import { bind, bindHeuristic } from "../registry.js";
import { fields, type Ctx, type Handoff, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";
import { bytesText } from "../format.js";

const F = fields("http", {
  request: ["Request", "bool"],
  response: ["Response", "bool"],
  "request.line": ["Request line", "string"],
  "request.method": ["Request Method", "string"],
  "request.uri": ["Request URI", "string"],
  "request.version": ["Request Version", "string"],
  "response.line": ["Response line", "string"],
  "response.version": ["Response Version", "string"],
  "response.code": ["Status Code", "uint"],
  "response.phrase": ["Response Phrase", "string"],
  host: ["Host", "string"],
  user_agent: ["User-Agent", "string"],
  accept: ["Accept", "string"],
  connection: ["Connection", "string"],
  server: ["Server", "string"],
  date: ["Date", "string"],
  location: ["Location", "string"],
  content_type: ["Content-Type", "string"],
  content_length_header: ["Content length", "uint"],
  content_length: ["Content length", "uint"],
  transfer_encoding: ["Transfer-Encoding", "string"],
  "unknown_header": ["Unknown header", "string"],
  file_data: ["File Data", "string"],
});

/** tcpdump's httpcmds: request names it recognises (compared without regard to case). */
const METHODS = new Set([
  "GET",
  "PUT",
  "COPY",
  "HEAD",
  "LOCK",
  "MOVE",
  "POLL",
  "POST",
  "BCOPY",
  "BMOVE",
  "MKCOL",
  "TRACE",
  "LABEL",
  "MERGE",
  "DELETE",
  "SEARCH",
  "UNLOCK",
  "REPORT",
  "UPDATE",
  "NOTIFY",
  "BDELETE",
  "CONNECT",
  "OPTIONS",
  "CHECKIN",
  "PROPFIND",
  "CHECKOUT",
  "PROPPATCH",
  "SUBSCRIBE",
  "BPROPFIND",
  "BPROPPATCH",
  "UNCHECKOUT",
  "MKWORKSPACE",
  "MKACTIVITY",
  "UNSUBSCRIBE",
  "VERSION-CONTROL",
  "BASELINE-CONTROL",
]);

const MAX_TOKEN = 128;

function isPrint(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

/** Position after a token and the white space following it, or 0 (tcpdump's fetch_token); the token at tokAt. */
let tokAt = 0;
let tokLen = 0;
function fetchToken(r: Reader, p0: number, idx: number, len: number): number {
  const from = idx;
  for (; idx < len; idx++) {
    const p = p0 + idx;
    if (p >= r.cap) return 0;
    const c = r.byteAt(p);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return 0;
    if (idx - from + 2 > MAX_TOKEN + 1) return 0;
  }
  if (idx === from) return 0;
  tokAt = p0 + from;
  tokLen = idx - from;
  for (; idx < len; idx++) {
    const p = p0 + idx;
    if (p >= r.cap) break;
    const c = r.byteAt(p);
    if (c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return idx;
}

const enum TxtLine {
  /** no line end in the packet: the text ends the packet (tcpdump prints it and " [|http]") */
  Open = -1,
  /** not a text line */
  Binary = -2,
  /** ran off the captured bytes */
  Cut = -3,
}
/** the text line txtLine found: data[lineAt, lineAt + lineLen) */
let lineAt = 0;
let lineLen = 0;
/** tcpdump's print_txt_line: the end of the line at idx (after its CR-LF/LF), or a TxtLine code; text at lineAt */
function txtLine(r: Reader, p0: number, idx: number, len: number): number {
  const start = idx;
  while (idx < len) {
    const p = p0 + idx;
    if (p >= r.cap) return TxtLine.Cut;
    const c = r.byteAt(p);
    if (c === 0x0a) {
      found(r, p0 + start, idx - start);
      return idx + 1;
    }
    if (c === 0x0d) {
      if (idx + 1 >= len) return TxtLine.Binary;
      if (p + 1 >= r.cap) return TxtLine.Cut;
      if (r.byteAt(p + 1) === 0x0a) {
        found(r, p0 + start, idx - start);
        return idx + 2;
      }
      return TxtLine.Binary;
    }
    if (!isPrint(c) && c !== 0x09) return TxtLine.Binary;
    idx++;
  }
  found(r, p0 + start, idx - start);
  return TxtLine.Open;
}

/** Records the line at data[p, p + n), clipped to the captured bytes. */
function found(r: Reader, p: number, n: number): void {
  const from = p < r.start ? r.start : p;
  const to = p + n > r.cap ? r.cap : p + n;
  lineAt = from;
  lineLen = to > from ? to - from : 0;
}

/** METHODS as bytes, by length: the first token is compared without making a string of it. */
const METHOD_BYTES: Uint8Array[][] = [];
for (const m of METHODS) (METHOD_BYTES[m.length] ??= []).push(Uint8Array.from(m, (c) => c.charCodeAt(0)));

/** Whether the token is a method (any case), as METHODS.has(token.toUpperCase()). */
function isMethod(d: Uint8Array): boolean {
  const cands = METHOD_BYTES[tokLen];
  if (!cands) return false;
  next: for (const m of cands) {
    for (let i = 0; i < tokLen; i++) {
      let c = d[tokAt + i];
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== m[i]) continue next;
    }
    return true;
  }
  return false;
}

/** Whether the token is three digits (a status code). */
function isStatus(d: Uint8Array): boolean {
  return tokLen === 3 && d[tokAt] - 48 <= 9 && d[tokAt + 1] - 48 <= 9 && d[tokAt + 2] - 48 <= 9 && d[tokAt] >= 48 && d[tokAt + 1] >= 48 && d[tokAt + 2] >= 48;
}

/** tcpdump's txtproto_print for "HTTP" (appends to ctx.info). */
function summary(r: Reader, ctx: Ctx, p0: number, len: number): void {
  let printThis = false;
  let idx = fetchToken(r, p0, 0, len);
  if (idx !== 0) {
    if (isMethod(r.data)) printThis = true;
    idx = fetchToken(r, p0, idx, len);
    if (idx !== 0 && isStatus(r.data)) printThis = true;
  }
  const out = ctx.line;
  out.s("HTTP");
  if (!printThis) return;
  if (ctx.opts.verbose) {
    out.s(", length: ").u(len);
    for (let i = 0; i < len; ) {
      const e = txtLine(r, p0, i, len);
      if (e === TxtLine.Open) {
        out.s("\n\t").latin1(r.data, lineAt, lineLen).s(" [|http]");
        ctx.truncated = true;
        return;
      }
      if (e === TxtLine.Cut) {
        ctx.line.s(" [|http]");
        ctx.truncated = true;
        return;
      }
      if (e < 0) return;
      out.s("\n\t").latin1(r.data, lineAt, lineLen);
      i = e;
    }
    return;
  }
  const e = txtLine(r, p0, 0, len);
  if (e === TxtLine.Cut) {
    ctx.line.s(" [|http]");
    ctx.truncated = true;
  } else if (e === TxtLine.Open) {
    out.s(": ").latin1(r.data, lineAt, lineLen).s(" [|http]");
    if (p0 + len > r.cap) ctx.truncated = true;
  } else if (e > 0) out.s(": ").latin1(r.data, lineAt, lineLen);
}

const HEADER_FIELDS: Record<string, (typeof F)[keyof typeof F]> = {
  host: F.host,
  "user-agent": F.user_agent,
  accept: F.accept,
  connection: F.connection,
  server: F.server,
  date: F.date,
  location: F.location,
  "content-type": F.content_type,
  "transfer-encoding": F.transfer_encoding,
};

/**
 * Whether the bytes at p can begin a request or status line: "HTTP/" or a known method and a space (what the
 * first line's regular expressions need at least). A body's bytes (a decrypted TLS record of one) are not
 * scanned for their line end nor made text.
 */
function mayStartMessage(r: Reader, p: number, cap: number): boolean {
  if (cap - p >= 5 && r.byteAt(p) === 0x48 && r.byteAt(p + 1) === 0x54 && r.byteAt(p + 2) === 0x54 && r.byteAt(p + 3) === 0x50 && r.byteAt(p + 4) === 0x2f) return true;
  let m = "";
  for (let i = p; i < cap && i < p + 12; i++) {
    const c = r.byteAt(i);
    if (c === 0x20) return m.length > 0 && METHODS.has(m.toUpperCase());
    m += String.fromCharCode(c);
  }
  return false;
}

/** The tree: first line, headers, body (what this segment holds). */
function tree(r: Reader, t: TreeSink, p0: number, cap: number): void {
  let p = p0;
  let first = true;
  let inHeaders = false;
  let chunked = false;
  if (p < cap && !mayStartMessage(r, p, cap)) {
    t.note("Continuation", p, cap - p);
    return;
  }
  while (p < cap) {
    // one line
    let e = p;
    while (e < cap && r.byteAt(e) !== 0x0a) e++;
    const lineEnd = e < cap ? e + 1 : e;
    let n = e - p;
    if (n > 0 && r.byteAt(p + n - 1) === 0x0d) n--;
    const line = r.latin1At(p, n);
    if (first) {
      first = false;
      // (the cheap tests first: a body's bytes, e.g. a decrypted TLS record's, may be one long "line")
      const m = line.includes(" HTTP/") ? /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/\d\.\d)$/.exec(line) : null;
      const s = line.startsWith("HTTP/") ? /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(line) : null;
      if (m && METHODS.has(m[1].toUpperCase())) {
        t.add(F.request, true, p, 0);
        t.pushNote(line, p, lineEnd - p);
        t.add(F["request.method"], m[1], p, m[1].length);
        t.add(F["request.uri"], m[2], p + m[1].length + 1, m[2].length);
        t.add(F["request.version"], m[3], p + n - m[3].length, m[3].length);
        t.pop();
        inHeaders = true;
      } else if (s) {
        t.add(F.response, true, p, 0);
        t.pushNote(line, p, lineEnd - p);
        t.add(F["response.version"], s[1], p, s[1].length);
        t.add(F["response.code"], Number(s[2]), p + s[1].length + 1, 3);
        t.add(F["response.phrase"], s[3] ?? "", p + s[1].length + 5, (s[3] ?? "").length);
        t.pop();
        inHeaders = true;
      } else {
        t.note("Continuation", p, cap - p);
        return;
      }
      p = lineEnd;
      continue;
    }
    if (inHeaders) {
      if (n === 0) {
        t.note("\\r\\n", p, lineEnd - p);
        p = lineEnd;
        inHeaders = false;
        continue;
      }
      const colon = line.indexOf(":");
      if (colon > 0) {
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        const f = HEADER_FIELDS[name];
        if (f) t.add(f, value, p, n, `${line.slice(0, colon)}: ${value}`);
        if (f === F.transfer_encoding && /chunked/i.test(value)) chunked = true;
        else if (name === "content-length" && /^\d+$/.test(value)) {
          t.add(F.content_length_header, Number(value), p, n);
          t.add(F.content_length, Number(value), p, n);
        }
        else t.add(F.unknown_header, line, p, n);
      } else t.note(line, p, n);
      p = lineEnd;
      continue;
    }
    // body
    if (chunked) {
      // the de-chunked body, as Wireshark's file_data (the chunks that are there)
      const spans = chunkSpans(r, p, cap);
      let total = 0;
      for (let i = 1; i < spans.length; i += 2) total += spans[i];
      if (total === 0) return;
      if (t.addLatin1) {
        // the -T json writer takes the body as bytes: one chunk as it lies, several joined
        if (spans.length === 2) t.addLatin1(F.file_data, r.data, spans[0], spans[0] + total, p, cap - p, bytesText(total));
        else {
          const body = new Uint8Array(total);
          for (let i = 0, at = 0; i < spans.length; at += spans[i + 1], i += 2) body.set(r.data.subarray(spans[i], spans[i] + spans[i + 1]), at);
          t.addLatin1(F.file_data, body, 0, total, p, cap - p, bytesText(total));
        }
      } else {
        let body = "";
        for (let i = 0; i < spans.length; i += 2) body += r.latin1At(spans[i], spans[i + 1]);
        t.add(F.file_data, body, p, cap - p, bytesText(total));
      }
      return;
    }
    const to = Math.min(cap, p + MAX_BODY, r.cap);
    const from = Math.max(p, r.start);
    // the -T json writer takes the body as bytes (no string of it made)
    if (t.addLatin1) t.addLatin1(F.file_data, r.data, from, to > from ? to : from, p, cap - p, bytesText(cap - p));
    else t.add(F.file_data, r.latin1At(p, Math.min(cap - p, MAX_BODY)), p, cap - p, bytesText(cap - p));
    return;
  }
}

/** The most of a body the tree shows as text (a reassembled body is whole up to this). */
const MAX_BODY = 16 << 20;

/** The data of the chunks in [p, cap) as text (stops at the last chunk or where a chunk is cut). */
/** The chunks of a chunked body at [p, cap) that are there: (start, length) of each one's bytes, MAX_BODY at most in all. */
function chunkSpans(r: Reader, p: number, cap: number): number[] {
  const spans: number[] = [];
  let total = 0;
  while (p < cap) {
    let e = p;
    while (e < cap && r.byteAt(e) !== 0x0a) e++;
    if (e >= cap) break;
    const size = parseInt(r.latin1At(p, e - p).trim().split(";")[0], 16);
    if (!Number.isFinite(size) || size <= 0) break;
    p = e + 1;
    const n = Math.min(size, cap - p);
    if (total + n > MAX_BODY) break;
    // clipped to the captured bytes, as latin1At clips
    const from = Math.max(p, r.start);
    const to = Math.min(p + n, r.cap);
    spans.push(from, to > from ? to - from : 0);
    total += to > from ? to - from : 0;
    p += size;
    if (p < cap && r.byteAt(p) === 0x0d) p++;
    if (p < cap && r.byteAt(p) === 0x0a) p++;
  }
  return spans;
}

function looksLikeHttp(r: Reader): boolean {
  // "HTTP/1." or a known method followed by a space, at the start of the payload.
  if (r.peek(0) === 0x48 && r.peek(1) === 0x54 && r.peek(2) === 0x54 && r.peek(3) === 0x50 && r.peek(4) === 0x2f && r.peek(5) === 0x31 && r.peek(6) === 0x2e) return true;
  let m = "";
  for (let i = 0; i < 17; i++) {
    const c = r.peek(i);
    if (c === 0x20) return i > 0 && METHODS.has(m) && r.peek(i + 1) > 0x20 && r.peek(i + 1) < 0x7f;
    if (c < 0x41 || c > 0x5a) {
      if (c !== 0x2d) return false;
    }
    m += String.fromCharCode(c);
  }
  return false;
}

function dissect(r: Reader, ctx: Ctx, t: TreeSink, printed: boolean): Handoff | void {
  const p0 = r.pos;
  const len = r.reportedRemaining;
  if (printed) {
    ctx.line.s(": ");
    summary(r, ctx, p0, len);
  }
  if (t.on) {
    const h2 = h2c(r, ctx, p0);
    if (h2) {
      r.pos = p0; // the bytes from p0 on, as tshark's http:http2 (no HTTP node: `-Y http` does not match)
      ctx.noNode = true;
      return ctx.next("http.upgrade", "h2c");
    }
    tree(r, t, p0, r.cap);
  }
  r.pos = r.cap;
}

/** A connection's key, the same from both ends. */
function connKey(ctx: Ctx): string {
  const a = `${ctx.src}|${ctx.srcPort}`;
  const b = `${ctx.dst}|${ctx.dstPort}`;
  return a < b ? `h2c:${a}|${b}` : `h2c:${b}|${a}`;
}

/**
 * Cleartext HTTP/2 on an HTTP connection (detail pass): the client's preface (prior knowledge), or anything
 * that is not HTTP/1.x after a 101 response to "Upgrade: h2c" (the connection is marked when that response
 * is dissected): then the HTTP/2 dissector (bound as http.upgrade "h2c") takes the bytes.
 */
function h2c(r: Reader, ctx: Ctx, p0: number): boolean {
  const n = r.cap - p0;
  const k = connKey(ctx);
  if (n >= 24 && isH2Preface(r.data, p0, 24)) {
    ctx.state.set(k, true);
    return true;
  }
  if (ctx.state.get(k) === true) return !looksLikeHttp(r);
  if (n > 12 && r.latin1At(p0, 12) === "HTTP/1.1 101") {
    const head = r.latin1At(p0, Math.min(n, 4096));
    const end = head.indexOf("\r\n\r\n");
    if (/\nupgrade:[ \t]*h2c[ \t]*\r?\n/i.test(end < 0 ? head : head.slice(0, end + 2))) ctx.state.set(k, true);
  }
  return false;
}

/** HTTP on ports 80 and 8080, where tcpdump prints it. */
export const HTTP: Protocol = {
  id: "http",
  name: "HTTP",
  title: "Hypertext Transfer Protocol",
  fields: F,
  pduLength: httpMessageLength,
  dissect(r, ctx, t) {
    return dissect(r, ctx, t, true);
  },
};

/** HTTP found by looking at the payload on another port: tcpdump prints nothing, so neither does the line. */
export const HTTP_HEUR: Protocol = {
  id: "http",
  name: "HTTP",
  title: "Hypertext Transfer Protocol",
  fields: F,
  dissect(r, ctx, t) {
    return dissect(r, ctx, t, false);
  },
  heuristic(r) {
    return looksLikeHttp(r);
  },
};

bind("tcp.port", [80, 8080], HTTP);
bindHeuristic("tcp.port", HTTP_HEUR);
