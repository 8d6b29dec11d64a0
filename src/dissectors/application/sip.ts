/**
 * SIP (RFC 3261) on UDP port 5060, as tcpdump prints it (print-sip.c through txtproto_print):
 *   -nn: "SIP: INVITE sip:bob@example.com SIP/2.0" (the first line; " [|sip]" when it does not end in the
 *        packet);
 *   -v:  "SIP, length: 512" then every text line ("\n\tVia: SIP/2.0/UDP ...") until the first line that is
 *        not printable text (the body after the blank line is printed too while it is text).
 * The tree has Wireshark's sip.* fields: sip.Request-Line, sip.Method, sip.r-uri, sip.Status-Line,
 * sip.Status-Code, sip.Reason-Phrase, sip.msg_hdr and the common headers (sip.Via, sip.From, sip.To,
 * sip.Call-ID, sip.CSeq with sip.CSeq.seq/method, sip.Contact, ...), sip.from.addr/tag, sip.to.addr/tag.
 */
import { bind } from "../registry.js";
import { fields, type Ctx, type FieldDef, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

const F = fields("sip", {
  "Request-Line": ["Request-Line", "string"],
  Method: ["Method", "string"],
  "r-uri": ["Request-URI", "string"],
  "Status-Line": ["Status-Line", "string"],
  "Status-Code": ["Status-Code", "uint"],
  "Reason-Phrase": ["Reason-Phrase", "string"],
  msg_hdr: ["Message Header", "string"],
  Via: ["Via", "string"],
  From: ["From", "string"],
  "from.addr": ["SIP from address", "string"],
  "from.tag": ["SIP from tag", "string"],
  To: ["To", "string"],
  "to.addr": ["SIP to address", "string"],
  "to.tag": ["SIP to tag", "string"],
  "Call-ID": ["Call-ID", "string"],
  CSeq: ["CSeq", "string"],
  "CSeq.seq": ["Sequence Number", "uint"],
  "CSeq.method": ["Method", "string"],
  Contact: ["Contact", "string"],
  "Max-Forwards": ["Max-Forwards", "uint"],
  "Content-Type": ["Content-Type", "string"],
  "Content-Length": ["Content-Length", "uint"],
  "User-Agent": ["User-Agent", "string"],
  Allow: ["Allow", "string"],
  Expires: ["Expires", "uint"],
  Subject: ["Subject", "string"],
});

/** header name (lower case, long and compact forms) -> field */
const HEADERS: ReadonlyMap<string, FieldDef> = new Map([
  ["via", F.Via],
  ["v", F.Via],
  ["from", F.From],
  ["f", F.From],
  ["to", F.To],
  ["t", F.To],
  ["call-id", F["Call-ID"]],
  ["i", F["Call-ID"]],
  ["cseq", F.CSeq],
  ["contact", F.Contact],
  ["m", F.Contact],
  ["max-forwards", F["Max-Forwards"]],
  ["content-type", F["Content-Type"]],
  ["c", F["Content-Type"]],
  ["content-length", F["Content-Length"]],
  ["l", F["Content-Length"]],
  ["user-agent", F["User-Agent"]],
  ["allow", F.Allow],
  ["expires", F.Expires],
  ["subject", F.Subject],
  ["s", F.Subject],
]);

export const SIP: Protocol = {
  id: "sip",
  name: "SIP",
  title: "Session Initiation Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const p = r.pos;
    const len = r.reportedRemaining;
    txtproto(r, ctx, p, len, "SIP", " [|sip]");
    if (t.on) tree(r, t, p, Math.min(len, r.cap - p));
    r.pos = r.cap;
  },
};

/** SIP over TCP: tcpdump 4.99 prints nothing for it (its TCP printer has no SIP port), so the line is left as
 * TCP made it; the tree has the fields, as Wireshark's. */
export const SIP_TCP: Protocol = {
  id: "sip",
  name: "SIP",
  title: "Session Initiation Protocol",
  fields: F,
  dissect(r, _ctx, t) {
    if (t.on) tree(r, t, r.pos, r.remaining);
    r.pos = r.cap;
  },
};

bind("udp.port", 5060, SIP);
bind("tcp.port", 5060, SIP_TCP);

/** tcpdump's sipcmds: the request names it recognises (compared without regard to case). */
const SIP_METHODS = new Set(["ACK", "BYE", "CANCEL", "DO", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "PRACK", "QAUTH", "REFER", "REGISTER", "SPRACK", "SUBSCRIBE", "UPDATE", "PUBLISH"]);
/** tcpdump's MAX_TOKEN */
const MAX_TOKEN = 128;

/**
 * tcpdump's fetch_token: the printable token at idx (ended by a blank or a line end) and where the next one starts
 * (after blanks, stopping at a line end); null when there is none, it is not printable, is too long or the
 * captured bytes end inside it.
 */
function fetchToken(r: Reader, p: number, idx: number, len: number): { token: string; next: number } | null {
  const cap = r.cap;
  const from = idx;
  for (; idx < len; idx++) {
    if (p + idx >= cap) return null;
    const c = r.byteAt(p + idx);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (c < 0x20 || c > 0x7e) return null;
    if (idx - from + 2 > MAX_TOKEN + 1) return null;
  }
  if (idx === from) return null;
  const token = r.latin1At(p + from, idx - from);
  for (; idx < len; idx++) {
    if (p + idx >= cap) break;
    const c = r.byteAt(p + idx);
    if (c === 0x0d || c === 0x0a) break;
    if (c < 0x20 || c > 0x7e) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return { token, next: idx };
}

/**
 * tcpdump's txtproto_print with SIP's command list and RESP_CODE_SECOND_TOKEN: the name, then, when the
 * payload starts with a known request or a status line, the first line (-v0) or ", length: N" and every text
 * line (-v).
 */
function txtproto(r: Reader, ctx: Ctx, p: number, len: number, name: string, trunc: string): void {
  const l = ctx.line;
  let printThis = false;
  const first = fetchToken(r, p, 0, len);
  if (first) {
    if (SIP_METHODS.has(first.token.toUpperCase())) printThis = true;
    const second = fetchToken(r, p, first.next, len);
    if (second && /^[0-9]{3}$/.test(second.token)) printThis = true;
  }
  l.s(name);
  if (!printThis) return;
  if (ctx.opts.verbose > 0) {
    l.s(", length: ").u(len);
    for (let idx = 0; idx < len; ) {
      const eol = txtLine(r, ctx, "\n\t", p, idx, len, trunc);
      if (eol === 0) break;
      idx = eol;
    }
  } else txtLine(r, ctx, ": ", p, 0, len, trunc);
}

/**
 * tcpdump's print_txt_line: the line from idx (printable ASCII and tabs) up to its LF or CR-LF, after
 * `prefix`; returns where the next line starts, or 0 when the text stops (binary data, a CR without LF, or the
 * end of the data without a line end, which prints the line and the truncation marker). Running off the
 * captured bytes prints the marker alone, as tcpdump's GET_U_1 does.
 */
function txtLine(r: Reader, ctx: Ctx, prefix: string, p: number, idx: number, len: number, trunc: string): number {
  const start = idx;
  const cap = r.cap;
  const cut = (): number => {
    ctx.line.s(trunc);
    ctx.truncated = true;
    return 0;
  };
  while (idx < len) {
    if (p + idx >= cap) return cut();
    const c = r.byteAt(p + idx);
    if (c === 0x0a) {
      ctx.line.s(prefix).latin1(r.data, p + start, idx - start);
      return idx + 1;
    }
    if (c === 0x0d) {
      if (idx + 1 >= len) return 0;
      if (p + idx + 1 >= cap) return cut();
      if (r.byteAt(p + idx + 1) === 0x0a) {
        ctx.line.s(prefix).latin1(r.data, p + start, idx - start);
        return idx + 2;
      }
      return 0;
    }
    if ((c < 0x20 || c > 0x7e) && c !== 0x09) return 0;
    idx++;
  }
  ctx.line.s(prefix).latin1(r.data, p + start, idx - start);
  return cut();
}

// ---------------------------------------------------------------------------------------------------------
// The detail tree.

/** The address of a From/To value: inside <...>, or the value up to its parameters. */
function addrOf(v: string): string {
  const lt = v.indexOf("<");
  if (lt >= 0) {
    const gt = v.indexOf(">", lt);
    return v.slice(lt + 1, gt < 0 ? undefined : gt);
  }
  const semi = v.indexOf(";");
  return (semi < 0 ? v : v.slice(0, semi)).trim();
}
/** The tag parameter of a From/To value (after the address). */
function tagOf(v: string): string | null {
  const gt = v.lastIndexOf(">");
  const params = gt >= 0 ? v.slice(gt + 1) : v;
  const m = /;\s*tag=([^;\s]+)/i.exec(params);
  return m ? m[1] : null;
}

function tree(r: Reader, t: TreeSink, p: number, n: number): void {
  const text = r.latin1At(p, n);
  let pos = 0;
  let first = true;
  while (pos < text.length) {
    let e = text.indexOf("\n", pos);
    if (e < 0) e = text.length;
    const lineEnd = e > pos && text.charCodeAt(e - 1) === 0x0d ? e - 1 : e;
    const line = text.slice(pos, lineEnd);
    const at = p + pos;
    if (first) {
      first = false;
      const sp = line.split(" ");
      if (/^SIP\/\d/.test(line) && sp.length >= 2 && /^\d{3}$/.test(sp[1])) {
        t.add(F["Status-Line"], line, at, line.length);
        t.add(F["Status-Code"], Number(sp[1]), at + sp[0].length + 1, 3);
        t.add(F["Reason-Phrase"], sp.slice(2).join(" "), at + sp[0].length + 5, Math.max(0, line.length - sp[0].length - 5));
      } else if (sp.length >= 3 && /^SIP\/\d/.test(sp[sp.length - 1])) {
        t.add(F["Request-Line"], line, at, line.length);
        t.add(F.Method, sp[0], at, sp[0].length);
        t.add(F["r-uri"], sp[1], at + sp[0].length + 1, sp[1].length);
      } else return;
    } else {
      if (line === "") break; // the body follows
      const colon = line.indexOf(":");
      if (colon > 0) {
        t.add(F.msg_hdr, line, at, line.length);
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        const f = HEADERS.get(name);
        if (f) {
          const vAt = at + line.length - value.length;
          if (f.type === "uint") {
            if (/^\d+$/.test(value)) t.add(f, Number(value), vAt, value.length);
          } else t.add(f, value, vAt, value.length);
          if (f === F.From || f === F.To) {
            const from = f === F.From;
            t.add(from ? F["from.addr"] : F["to.addr"], addrOf(value), vAt, value.length);
            const tag = tagOf(value);
            if (tag !== null) t.add(from ? F["from.tag"] : F["to.tag"], tag, vAt, value.length);
          } else if (f === F.CSeq) {
            const m = /^(\d+)\s+(\S+)/.exec(value);
            if (m) {
              t.add(F["CSeq.seq"], Number(m[1]), vAt, m[1].length);
              t.add(F["CSeq.method"], m[2], vAt + value.indexOf(m[2], m[1].length), m[2].length);
            }
          }
        }
      }
    }
    pos = e + 1;
  }
}
