/**
 * How the reassembled protocols cut their byte streams into PDUs (see PduLength in reassembly.ts): the
 * dissectors of DNS over TCP, TLS and HTTP/1.x attach these as Protocol.pduLength.
 */
import type { PduLength, PduStart } from "./reassembly.js";

/** DNS over TCP (RFC 1035 4.2.2): a two-byte length, then the message. */
export const dnsTcpLength: PduLength = (d, off, len) => (len < 2 ? 0 : 2 + ((d[off] << 8) | d[off + 1]));

/** A TLS record: type (20..24), version 3.x, a two-byte length, then the fragment. */
export const tlsRecordLength: PduLength = (d, off, len) => {
  if (len < 5) return len >= 1 && (d[off] < 20 || d[off] > 24) ? -1 : 0;
  if (d[off] < 20 || d[off] > 24 || d[off + 1] !== 3) return -1;
  return 5 + ((d[off + 3] << 8) | d[off + 4]);
};

/**
 * Where a TLS record can start after a gap (see PduStart): a type of TLS 1.0-1.3 (20..23), version 3.0-3.4, a
 * length within 2^14 + 2048 (RFC 5246 6.2.3); the few bytes after a gap with more than one place that passes
 * are told apart by the record that follows (reassembly.ts).
 */
const tlsRecordStart: PduStart = (d, off, len) => {
  if (len < 5) return len >= 1 && d[off] >= 20 && d[off] <= 23 && (len < 2 || d[off + 1] === 3);
  return d[off] >= 20 && d[off] <= 23 && d[off + 1] === 3 && d[off + 2] <= 4 && ((d[off + 3] << 8) | d[off + 4]) <= 18432;
};
(tlsRecordLength as PduLength & { start?: PduStart }).start = tlsRecordStart;

const MAX_HEADERS = 64 << 10;

/** Where the header block ends (after CRLF CRLF, or LF LF), -1 when not within len. */
function headerEnd(d: Uint8Array, off: number, len: number): number {
  const end = off + len;
  for (let i = off; i < end; i++) {
    if (d[i] !== 0x0a) continue;
    if (i + 1 < end && d[i + 1] === 0x0a) return i + 2 - off;
    if (i + 2 < end && d[i + 1] === 0x0d && d[i + 2] === 0x0a) return i + 3 - off;
  }
  return -1;
}

const latin1Slice = Buffer.prototype.latin1Slice as unknown as (this: Uint8Array, a: number, b: number) => string;
function latin1(d: Uint8Array, a: number, b: number): string {
  return b > a ? latin1Slice.call(d, a, b) : "";
}

/** What String.prototype.trim takes off, among Latin-1 characters. */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;

/** Whether d[a, b) is the lower-case ASCII `name`, compared case-insensitively. */
function nameIs(d: Uint8Array, a: number, b: number, name: string): boolean {
  if (b - a !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let c = d[a + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether d[a, b) contains "chunked", case-insensitively. */
function hasChunked(d: Uint8Array, a: number, b: number): boolean {
  for (let i = a; i + 7 <= b; i++) if (nameIs(d, i, i + 7, "chunked")) return true;
  return false;
}

/** The length of a chunked body starting at d[off] (chunks, last chunk, trailers), 0 when not all there. */
function chunkedLength(d: Uint8Array, off: number, len: number): number {
  let p = off;
  const end = off + len;
  for (;;) {
    let e = p;
    while (e < end && d[e] !== 0x0a) e++;
    if (e >= end) return 0;
    const size = parseInt(latin1(d, p, e).trim().split(";")[0], 16);
    if (!Number.isFinite(size) || size < 0) return -1;
    p = e + 1;
    if (size === 0) {
      // trailers up to an empty line
      for (;;) {
        let t = p;
        while (t < end && d[t] !== 0x0a) t++;
        if (t >= end) return 0;
        const empty = t === p || (t === p + 1 && d[p] === 0x0d);
        p = t + 1;
        if (empty) return p - off;
      }
    }
    p += size;
    // CRLF after the data
    if (p < end && d[p] === 0x0d) p++;
    if (p >= end) return 0;
    if (d[p] === 0x0a) p++;
  }
}

/** The HTTP/2 client connection preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
const H2_PREFACE = [0x50, 0x52, 0x49, 0x20, 0x2a, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x0d, 0x0a, 0x0d, 0x0a, 0x53, 0x4d, 0x0d, 0x0a, 0x0d, 0x0a];

/** Whether the (up to) 24 bytes at d[off] are the HTTP/2 preface or its start (`len` bytes there). */
export function isH2Preface(d: Uint8Array, off: number, len: number): boolean {
  const n = Math.min(len, 24);
  for (let i = 0; i < n; i++) if (d[off + i] !== H2_PREFACE[i]) return false;
  return n > 0;
}

/** HTTP/2 (RFC 9113): the client's 24-byte preface, then frames of a 9-byte header and a 24-bit length. */
export const http2FrameLength: PduLength = (d, off, len) => {
  if (len >= 1 && d[off] === 0x50 && isH2Preface(d, off, len)) return 24;
  if (len < 3) return 0;
  return 9 + ((d[off] << 16) | (d[off + 1] << 8) | d[off + 2]);
};

const METHOD = /^[A-Z][A-Z-]{1,16} \S/;

/**
 * An HTTP/1.x message: the header block, then a body of Content-Length bytes or chunks. A response to HEAD,
 * 1xx, 204 and 304 has no body; a response with neither is read to the end of what is there (it ends at
 * close). The methods of requests are remembered per connection to pair HEAD with its response.
 */
export const httpMessageLength: PduLength = (d, off, len, dir, st) => {
  // h2c: HTTP/2 by prior knowledge (the preface) or after a 101 to "Upgrade: h2c": frames from then on
  if (!st.h2c && len >= 1 && d[off] === 0x50 && isH2Preface(d, off, len)) {
    if (len < 24) return 0;
    st.h2c = true;
  }
  if (st.h2c) return http2FrameLength(d, off, len, dir, st);
  const first = latin1(d, off, off + Math.min(len, 16));
  const isResp = first.startsWith("HTTP/1.");
  const isReq = !isResp && METHOD.test(first);
  if (!isResp && !isReq) return len >= 16 || (len > 0 && !/^[A-Z]/.test(first)) ? -1 : 0;
  const h = headerEnd(d, off, Math.min(len, MAX_HEADERS));
  if (h < 0) return len >= MAX_HEADERS ? -1 : 0;
  // the header lines after the first, read as bytes (no text made): Content-Length and Transfer-Encoding
  const hend = off + h;
  let firstEnd = off;
  while (firstEnd < hend && d[firstEnd] !== 0x0a) firstEnd++;
  let cl = -1;
  let chunked = false;
  for (let p = firstEnd + 1; p < hend; ) {
    let e = p;
    while (e < hend && d[e] !== 0x0a) e++;
    let c = p;
    while (c < e && d[c] !== 0x3a) c++;
    if (c > p && c < e) {
      let na = p;
      let nb = c;
      while (na < nb && isSpace(d[na])) na++;
      while (nb > na && isSpace(d[nb - 1])) nb--;
      let va = c + 1;
      let vb = e;
      while (va < vb && isSpace(d[va])) va++;
      while (vb > va && isSpace(d[vb - 1])) vb--;
      if (nameIs(d, na, nb, "content-length")) {
        let n = 0;
        let i = va;
        for (; i < vb && d[i] >= 0x30 && d[i] <= 0x39; i++) n = n * 10 + (d[i] - 0x30);
        if (vb > va && i === vb) cl = n;
      } else if (nameIs(d, na, nb, "transfer-encoding") && hasChunked(d, va, vb)) chunked = true;
    }
    p = e + 1;
  }
  const heads = ((st.heads as string[][] | undefined) ?? (st.heads = [[], []] as string[][])) as string[][];
  let body: number;
  if (isReq) {
    const method = first.slice(0, first.indexOf(" "));
    if (chunked) body = chunkedLength(d, off + h, len - h);
    else body = cl > 0 ? cl : 0;
    if (chunked && body <= 0) return body < 0 ? -1 : 0;
    heads[dir].push(method);
  } else {
    const line0 = latin1(d, off, firstEnd > off && d[firstEnd - 1] === 0x0d ? firstEnd - 1 : firstEnd);
    const code = Number(line0.split(" ")[1]);
    if (code === 101 && /\nupgrade:[ \t]*h2c[ \t]*\r?\n/i.test(latin1(d, off, hend))) st.h2c = true;
    const method = code >= 200 ? heads[1 - dir].shift() : undefined;
    if (method === "HEAD" || (code >= 100 && code < 200) || code === 204 || code === 304) body = 0;
    else if (chunked) {
      body = chunkedLength(d, off + h, len - h);
      if (body <= 0) {
        if (method !== undefined) heads[1 - dir].unshift(method); // asked again when more bytes come
        return body < 0 ? -1 : 0;
      }
    } else if (cl >= 0) body = cl;
    else body = len - h; // to the close: what is here
  }
  return h + body;
};
