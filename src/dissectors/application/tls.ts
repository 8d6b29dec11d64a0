/**
 * TLS (RFC 8446, RFC 5246) over TCP port 443 and by heuristic (a record header: content type 20..24, version
 * 3.x, a plausible length). tcpdump has no TLS printer, so the one-line summary is left as TCP made it; the
 * tree has Wireshark's fields: the record layer (tls.record.content_type/version/length), handshake type and
 * length, ClientHello/ServerHello versions, random, cipher suites, extensions with the server name (SNI),
 * ALPN protocols and supported versions, and alerts. Each record in the segment is shown; a segment that does
 * not start with a record header (the rest of a record begun earlier) is "continuation data" (no reassembly).
 */
import { tlsRecordLength } from "../../stream/framers.js";
import { bind, bindHeuristic } from "../registry.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";
import { bytesText, hexSpan } from "../format.js";
import { keyLog } from "../../tls/keylog.js";
import { TlsSession } from "../../tls/session.js";
import { HTTP_HEUR } from "./http.js";
import { lookup } from "../registry.js";

const CONTENT_TYPE: Readonly<Record<number, string>> = {
  20: "Change Cipher Spec",
  21: "Alert",
  22: "Handshake",
  23: "Application Data",
  24: "Heartbeat",
};
const VERSIONS: Readonly<Record<number, string>> = {
  0x0300: "SSL 3.0",
  0x0301: "TLS 1.0",
  0x0302: "TLS 1.1",
  0x0303: "TLS 1.2",
  0x0304: "TLS 1.3",
};
const HANDSHAKE_TYPE: Readonly<Record<number, string>> = {
  0: "Hello Request",
  1: "Client Hello",
  2: "Server Hello",
  4: "New Session Ticket",
  5: "End of Early Data",
  8: "Encrypted Extensions",
  11: "Certificate",
  12: "Server Key Exchange",
  13: "Certificate Request",
  14: "Server Hello Done",
  15: "Certificate Verify",
  16: "Client Key Exchange",
  20: "Finished",
  24: "Key Update",
};
const ALERT_LEVEL: Readonly<Record<number, string>> = { 1: "Warning", 2: "Fatal" };
const ALERT_DESC: Readonly<Record<number, string>> = {
  0: "Close Notify",
  10: "Unexpected Message",
  20: "Bad Record MAC",
  22: "Record Overflow",
  40: "Handshake Failure",
  42: "Bad Certificate",
  43: "Unsupported Certificate",
  44: "Certificate Revoked",
  45: "Certificate Expired",
  46: "Certificate Unknown",
  47: "Illegal Parameter",
  48: "Unknown CA",
  49: "Access Denied",
  50: "Decode Error",
  51: "Decrypt Error",
  70: "Protocol Version",
  71: "Insufficient Security",
  80: "Internal Error",
  86: "Inappropriate Fallback",
  90: "User Canceled",
  109: "Missing Extension",
  110: "Unsupported Extension",
  112: "Unrecognized Name",
  113: "Bad Certificate Status Response",
  115: "Unknown PSK Identity",
  116: "Certificate Required",
  120: "No Application Protocol",
};
const EXT_TYPE: Readonly<Record<number, string>> = {
  0: "server_name",
  1: "max_fragment_length",
  5: "status_request",
  10: "supported_groups",
  11: "ec_point_formats",
  13: "signature_algorithms",
  16: "application_layer_protocol_negotiation",
  18: "signed_certificate_timestamp",
  21: "padding",
  22: "encrypt_then_mac",
  23: "extended_master_secret",
  27: "compress_certificate",
  35: "session_ticket",
  41: "pre_shared_key",
  42: "early_data",
  43: "supported_versions",
  44: "cookie",
  45: "psk_key_exchange_modes",
  49: "post_handshake_auth",
  50: "signature_algorithms_cert",
  51: "key_share",
  57: "quic_transport_parameters",
  65281: "renegotiation_info",
};
const CIPHER: Readonly<Record<number, string>> = {
  0x1301: "TLS_AES_128_GCM_SHA256",
  0x1302: "TLS_AES_256_GCM_SHA384",
  0x1303: "TLS_CHACHA20_POLY1305_SHA256",
  0xc02b: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  0xc02f: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  0xc02c: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  0xc030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  0xcca9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  0xcca8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  0x009e: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
  0x009f: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
  0x002f: "TLS_RSA_WITH_AES_128_CBC_SHA",
  0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
  0x009c: "TLS_RSA_WITH_AES_128_GCM_SHA256",
  0x009d: "TLS_RSA_WITH_AES_256_GCM_SHA384",
  0x00ff: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
};

const F = fields("tls", {
  record: ["TLS Record", "none"],
  "record.content_type": ["Content Type", "uint", { values: CONTENT_TYPE }],
  "record.opaque_type": ["Opaque Type", "uint", { values: CONTENT_TYPE }],
  "record.version": ["Version", "uint", { base: "hex", values: VERSIONS, digits: 4 }],
  "record.length": ["Length", "uint"],
  "handshake.type": ["Handshake Type", "uint", { values: HANDSHAKE_TYPE }],
  "handshake.length": ["Length", "uint"],
  "handshake.version": ["Version", "uint", { base: "hex", values: VERSIONS, digits: 4 }],
  "handshake.random": ["Random", "bytes"],
  "handshake.session_id_length": ["Session ID Length", "uint"],
  "handshake.session_id": ["Session ID", "bytes"],
  "handshake.cipher_suites_length": ["Cipher Suites Length", "uint"],
  "handshake.ciphersuite": ["Cipher Suite", "uint", { base: "hex", values: CIPHER, digits: 4 }],
  "handshake.comp_methods_length": ["Compression Methods Length", "uint"],
  "handshake.comp_method": ["Compression Method", "uint"],
  "handshake.extensions_length": ["Extensions Length", "uint"],
  "handshake.extension.type": ["Type", "uint", { values: EXT_TYPE }],
  "handshake.extension.len": ["Length", "uint"],
  "handshake.extensions_server_name_list_len": ["Server Name list length", "uint"],
  "handshake.extensions_server_name_type": ["Server Name Type", "uint"],
  "handshake.extensions_server_name_len": ["Server Name length", "uint"],
  "handshake.extensions_server_name": ["Server Name", "string"],
  "handshake.extensions_alpn_len": ["ALPN Extension Length", "uint"],
  "handshake.extensions_alpn_str_len": ["ALPN string length", "uint"],
  "handshake.extensions_alpn_str": ["ALPN Next Protocol", "string"],
  "handshake.extensions.supported_version": ["Supported Version", "uint", { base: "hex", values: VERSIONS, digits: 4 }],
  "handshake.certificates_length": ["Certificates Length", "uint"],
  "handshake.certificate_length": ["Certificate Length", "uint"],
  "alert_message.level": ["Level", "uint", { values: ALERT_LEVEL }],
  "alert_message.desc": ["Description", "uint", { values: ALERT_DESC }],
  change_cipher_spec: ["Change Cipher Spec Message", "none"],
  app_data: ["Encrypted Application Data", "bytes"],
  app_data_proto: ["Application Data Protocol", "string"],
  "decrypted.type": ["Decrypted Content Type", "uint", { values: CONTENT_TYPE }],
  "decrypted.length": ["Decrypted Length", "uint"],
  "decryption_failed": ["Decryption failed", "string"],
  "continuation_data": ["Continuation Data", "bytes"],
});

function hexOf(r: Reader, p: number, n: number): string {
  return hexSpan(r.data, p, Math.min(n, 1024), r.start, r.cap);
}
/** "Name (0x1301)": four hex digits, as Wireshark shows cipher suites and versions. */
function hex4(v: number, names: Readonly<Record<number, string>>): string {
  const h = "0x" + v.toString(16).padStart(4, "0");
  const n = names[v];
  return n ? `${n} (${h})` : h;
}
function u16(r: Reader, p: number): number {
  return (r.byteAt(p) << 8) | r.byteAt(p + 1);
}
function u24(r: Reader, p: number): number {
  return (r.byteAt(p) << 16) | (r.byteAt(p + 1) << 8) | r.byteAt(p + 2);
}
function str(r: Reader, p: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.byteAt(p + i));
  return s;
}

/**
 * Whether the handshake record body [body, end) is one ClientHello exactly (type 1, its length filling the record,
 * client_version 3.x), as clients send it. Asked where the direction is already encrypted: a protected handshake
 * record (TLS 1.2's Finished) begins with a random byte (a CBC suite's explicit IV, ChaCha20's ciphertext), 1 once
 * in 256 records, and is not a new connection's ClientHello.
 */
function clientHelloRecord(r: Reader, body: number, end: number): boolean {
  return end - body >= 6 && r.byteAt(body) === 1 && u24(r, body + 1) + 4 === end - body && r.byteAt(body + 4) === 3 && r.byteAt(body + 5) <= 4;
}

/** A record header at p (5 bytes captured): content type, version 3.x and a length within 2^14 + 2048. */
function isRecordHeader(r: Reader, p: number): boolean {
  if (p + 5 > r.cap) return false;
  const ct = r.byteAt(p);
  return ct >= 20 && ct <= 24 && r.byteAt(p + 1) === 3 && r.byteAt(p + 2) <= 4 && u16(r, p + 3) <= 16384 + 2048;
}

function extensions(r: Reader, ctx: Ctx, t: TreeSink, p: number, end: number, server: boolean): void {
  while (p + 4 <= end) {
    const type = u16(r, p);
    const len = u16(r, p + 2);
    const v = p + 4;
    const ve = v + len;
    t.pushNote(`Extension: ${EXT_TYPE[type] ?? "Unknown type " + type} (len=${len})`, p, 4 + len);
    t.add(F["handshake.extension.type"], type, p, 2);
    t.add(F["handshake.extension.len"], len, p + 2, 2);
    if (ve > end) {
      ctx.markMalformed("TLS: an extension runs past the handshake message");
      t.pop();
      return;
    }
    if (type === 0 && len >= 2) {
      t.add(F["handshake.extensions_server_name_list_len"], u16(r, v), v, 2);
      let q = v + 2;
      while (q + 3 <= ve) {
        const nt = r.byteAt(q);
        const nl = u16(r, q + 1);
        if (q + 3 + nl > ve) break;
        t.add(F["handshake.extensions_server_name_type"], nt, q, 1);
        t.add(F["handshake.extensions_server_name_len"], nl, q + 1, 2);
        t.add(F["handshake.extensions_server_name"], str(r, q + 3, nl), q + 3, nl);
        q += 3 + nl;
      }
    } else if (type === 16 && len >= 2) {
      t.add(F["handshake.extensions_alpn_len"], u16(r, v), v, 2);
      let q = v + 2;
      while (q < ve) {
        const l = r.byteAt(q);
        if (q + 1 + l > ve) break;
        t.add(F["handshake.extensions_alpn_str_len"], l, q, 1);
        t.add(F["handshake.extensions_alpn_str"], str(r, q + 1, l), q + 1, l);
        q += 1 + l;
      }
    } else if (type === 43) {
      // ClientHello: a length byte and a list; ServerHello: one version.
      if (server && len === 2) t.add(F["handshake.extensions.supported_version"], u16(r, v), v, 2);
      else if (!server && len >= 1) {
        for (let q = v + 1; q + 2 <= ve && q + 2 <= v + 1 + r.byteAt(v); q += 2) t.add(F["handshake.extensions.supported_version"], u16(r, q), q, 2);
      }
    }
    t.pop();
    p = ve;
  }
}

function hello(r: Reader, ctx: Ctx, t: TreeSink, p: number, end: number, server: boolean): void {
  if (p + 35 > end) return;
  t.add(F["handshake.version"], u16(r, p), p, 2);
  t.add(F["handshake.random"], hexOf(r, p + 2, 32), p + 2, 32);
  p += 34;
  const sidLen = r.byteAt(p);
  t.add(F["handshake.session_id_length"], sidLen, p, 1);
  if (p + 1 + sidLen > end) return;
  if (sidLen) t.add(F["handshake.session_id"], hexOf(r, p + 1, sidLen), p + 1, sidLen);
  p += 1 + sidLen;
  if (server) {
    if (p + 3 > end) return;
    t.add(F["handshake.ciphersuite"], u16(r, p), p, 2, hex4(u16(r, p), CIPHER));
    t.add(F["handshake.comp_method"], r.byteAt(p + 2), p + 2, 1);
    p += 3;
  } else {
    if (p + 2 > end) return;
    const csl = u16(r, p);
    t.add(F["handshake.cipher_suites_length"], csl, p, 2);
    if (p + 2 + csl > end) return;
    t.pushNote(`Cipher Suites (${csl >> 1} suites)`, p + 2, csl);
    for (let q = p + 2; q + 2 <= p + 2 + csl; q += 2) t.add(F["handshake.ciphersuite"], u16(r, q), q, 2, hex4(u16(r, q), CIPHER));
    t.pop();
    p += 2 + csl;
    if (p + 1 > end) return;
    const cml = r.byteAt(p);
    t.add(F["handshake.comp_methods_length"], cml, p, 1);
    if (p + 1 + cml > end) return;
    for (let q = p + 1; q < p + 1 + cml; q++) t.add(F["handshake.comp_method"], r.byteAt(q), q, 1);
    p += 1 + cml;
  }
  if (p + 2 > end) return;
  const el = u16(r, p);
  t.add(F["handshake.extensions_length"], el, p, 2);
  const ee = p + 2 + el;
  if (ee > end) ctx.markMalformed("TLS: extensions run past the handshake message");
  extensions(r, ctx, t, p + 2, ee < end ? ee : end, server);
}

function handshakes(r: Reader, ctx: Ctx, t: TreeSink, p: number, end: number, recEnd: number): void {
  // A record may hold several handshake messages. An encrypted one (the Finished after ChangeCipherSpec) looks
  // like garbage: the messages must tile the record exactly, or the record is shown as encrypted.
  let q = p;
  for (let n = 0; q + 4 <= recEnd && q + 4 <= r.cap && n < 4096; n++) {
    if (!(r.byteAt(q) in HANDSHAKE_TYPE)) break;
    q += 4 + u24(r, q + 1);
  }
  // (Headers past the captured bytes cannot be checked: those are given the benefit of the doubt.)
  if (q !== recEnd && q + 4 <= r.cap) {
    t.note("Encrypted Handshake Message", p, end - p);
    return;
  }
  while (p + 4 <= end) {
    const type = r.byteAt(p);
    const len = u24(r, p + 1);
    if (!(type in HANDSHAKE_TYPE) || p + 4 + len > end) {
      t.note("Encrypted Handshake Message", p, end - p);
      return;
    }
    t.pushNote(`Handshake Protocol: ${HANDSHAKE_TYPE[type]}`, p, 4 + len);
    t.add(F["handshake.type"], type, p, 1);
    t.add(F["handshake.length"], len, p + 1, 3);
    if (type === 1 || type === 2) hello(r, ctx, t, p + 4, p + 4 + len, type === 2);
    else if (type === 11 && len >= 3) {
      t.add(F["handshake.certificates_length"], u24(r, p + 4), p + 4, 3);
      let q = p + 7;
      // TLS 1.3 puts a request context first; certificates are length-prefixed either way.
      while (q + 3 <= p + 4 + len) {
        const cl = u24(r, q);
        if (q + 3 + cl > p + 4 + len) break;
        t.add(F["handshake.certificate_length"], cl, q, 3);
        q += 3 + cl;
      }
    }
    t.pop();
    p += 4 + len;
  }
}

/**
 * Per-connection memory: whether the ServerHello chose TLS 1.3, after which records of type 23 are encrypted
 * records of any type (Wireshark's "Opaque Type"). Kept in ctx.state under a key for the connection.
 */
function connKey(ctx: Ctx): string {
  const a = `${ctx.src}|${ctx.srcPort}`;
  const b = `${ctx.dst}|${ctx.dstPort}`;
  return a < b ? `tls13:${a}|${b}` : `tls13:${b}|${a}`;
}

/** Whether the handshake record at body (of len bytes) is a ServerHello selecting TLS 1.3. */
function serverHelloTls13(r: Reader, body: number, end: number): boolean {
  if (r.byteAt(body) !== 2 || body + 4 + 35 > end) return false;
  let p = body + 4 + 34;
  p += 1 + r.byteAt(p); // session id
  p += 3; // cipher suite, compression
  if (p + 2 > end) return false;
  const ee = Math.min(p + 2 + u16(r, p), end);
  for (p += 2; p + 4 <= ee; ) {
    const type = u16(r, p);
    const len = u16(r, p + 2);
    if (type === 43 && len === 2 && p + 6 <= ee) return u16(r, p + 4) === 0x0304;
    p += 4 + len;
  }
  return false;
}

/**
 * The connection's decryption state (with a key log only), and the direction of this packet (0 from the
 * client: the sender of the ClientHello). A ClientHello starts a new session on the same addresses and ports.
 */
function sessionOf(ctx: Ctx, clientHello: boolean, ck: string): { s: TlsSession; dir: number } | null {
  const log = keyLog();
  if (!log) return null;
  const k = "tlsdec:" + ck;
  const me = `${ctx.src}|${ctx.srcPort}`;
  let e = ctx.state.get(k) as { s: TlsSession; client: string } | undefined;
  if (clientHello && (!e || e.client !== me || e.s.serverRandom)) ctx.state.set(k, (e = { s: new TlsSession(log), client: me }));
  if (!e) return null;
  return { s: e.s, dir: e.client === me ? 0 : 1 };
}

/** What the plaintext of application data is: HTTP/2 when ALPN chose h2 (or the client's preface), else HTTP. */
function plainProto(s: TlsSession, d: Uint8Array): Protocol {
  const h2 = lookup("tls.alpn", "h2");
  if (h2 && (s.alpn === "h2" || (d.length >= 3 && d[0] === 0x50 && d[1] === 0x52 && d[2] === 0x49))) return h2;
  return HTTP_HEUR;
}

/** A protected record with a key log: decrypted, its plaintext queued for its protocol's dissector. */
function decryptRecord(r: Reader, ctx: Ctx, t: TreeSink, sess: { s: TlsSession; dir: number }, p: number, end: number): void {
  const d = r.data;
  const res = sess.s.open(sess.dir, d.subarray(p, p + 5), d.subarray(p + 5, end), String(ctx.frame));
  if ("error" in res) {
    t.add(F.decryption_failed, res.error, p, end - p);
    return;
  }
  if (res.lost) t.note(`${res.lost} TLS record${res.lost === 1 ? "" : "s"} lost before this one (TCP segments not captured): sequence number recovered`, p, 5);
  (ctx.plaintexts ??= []).push(res.data);
  t.add(F["decrypted.type"], res.type, p, end - p);
  t.add(F["decrypted.length"], res.data.length, p, end - p);
  if (res.type === 21 && res.data.length === 2) {
    t.add(F["alert_message.level"], res.data[0], p, end - p);
    t.add(F["alert_message.desc"], res.data[1], p, end - p);
  }
  if (res.type === 23 && res.data.length) {
    const proto = plainProto(sess.s, res.data);
    t.add(F.app_data_proto, proto.id === "http" ? "http-over-tls" : proto.id, p, end - p);
    (ctx.decrypted ??= []).push({ data: res.data, proto });
  }
}

function dissect(r: Reader, ctx: Ctx, t: TreeSink): void {
  let p = r.pos;
  if (!t.on) {
    // Summary pass: nothing to print (tcpdump has no TLS printer); only remember a TLS 1.3 ServerHello (and
    // forget it at a new ClientHello: the addresses and ports may be reused by a new connection).
    if (isRecordHeader(r, p) && r.byteAt(p) === 22) {
      if (r.byteAt(p + 5) === 1) ctx.state.delete(connKey(ctx));
      else if (serverHelloTls13(r, p + 5, Math.min(p + 5 + u16(r, p + 3), r.cap))) ctx.state.set(connKey(ctx), true);
    }
    r.pos = r.cap;
    return;
  }
  // the connection's key, made once for the segment's records (not once a record)
  const ck = connKey(ctx);
  let tls13 = ctx.state.get(ck) === true;
  let sessCache: { s: TlsSession; dir: number } | null | undefined;
  const cap = r.cap;
  if (!isRecordHeader(r, p)) {
    if (p < cap) t.add(F.continuation_data, hexOf(r, p, Math.min(cap - p, 64)), p, cap - p, bytesText(cap - p));
    r.pos = cap;
    return;
  }
  for (let n = 0; p + 5 <= cap && n < 1000; n++) {
    if (!isRecordHeader(r, p)) {
      t.add(F.continuation_data, hexOf(r, p, Math.min(cap - p, 64)), p, cap - p, bytesText(cap - p));
      break;
    }
    const ct = r.byteAt(p);
    const ver = u16(r, p + 1);
    const len = u16(r, p + 3);
    const body = p + 5;
    const end = body + len;
    const have = end <= cap ? end : cap;
    const opaque = tls13 && ct === 23;
    // with a key log: the record's plaintext (whole records only: reassembly gives them); the session looked up
    // once for the segment, and again at a ClientHello (it may start a new session on the same addresses and ports)
    let sess = end <= cap ? (sessCache === undefined ? (sessCache = sessionOf(ctx, false, ck)) : sessCache) : null;
    if (end <= cap && ct === 22 && r.byteAt(body) === 1 && (!sess || !sess.s.encrypted(sess.dir, ct) || clientHelloRecord(r, body, end))) sess = sessCache = sessionOf(ctx, true, ck);
    if (sess && sess.s.encrypted(sess.dir, ct)) {
      t.push(F.record, null, p, 5 + len, `${VERSIONS[ver] ?? "TLS"} Record Layer: ${opaque ? "Encrypted Record" : CONTENT_TYPE[ct]}`);
      t.add(opaque ? F["record.opaque_type"] : F["record.content_type"], ct, p, 1);
      t.add(F["record.version"], ver, p + 1, 2);
      t.add(F["record.length"], len, p + 3, 2);
      if (ct === 23) t.add(F.app_data, hexOf(r, body, Math.min(len, 64)), body, len, bytesText(len));
      decryptRecord(r, ctx, t, sess, p, end);
      t.pop();
      p = end;
      continue;
    }
    if (sess && ct === 22) sess.s.handshake(sess.dir, r.data.subarray(body, end));
    else if (sess && ct === 20) sess.s.changeCipherSpec(sess.dir);
    t.push(F.record, null, p, Math.min(5 + len, cap - p), `${VERSIONS[ver] ?? "TLS"} Record Layer: ${opaque ? "Encrypted Record" : CONTENT_TYPE[ct]}`);
    t.add(opaque ? F["record.opaque_type"] : F["record.content_type"], ct, p, 1);
    t.add(F["record.version"], ver, p + 1, 2);
    t.add(F["record.length"], len, p + 3, 2);
    if (ct === 22) {
      if (serverHelloTls13(r, body, have)) {
        tls13 = true;
        ctx.state.set(ck, true);
      }
      handshakes(r, ctx, t, body, have, end);
    }
    else if (ct === 21 && len === 2 && body + 2 <= cap) {
      t.add(F["alert_message.level"], r.byteAt(body), body, 1);
      t.add(F["alert_message.desc"], r.byteAt(body + 1), body + 1, 1);
    } else if (ct === 21) t.note("Encrypted Alert", body, have - body);
    else if (ct === 20) t.add(F.change_cipher_spec, null, body, have - body, "");
    else if (ct === 23) t.add(F.app_data, hexOf(r, body, Math.min(have - body, 64)), body, have - body, bytesText(len));
    t.pop();
    p = end;
  }
  r.pos = cap;
}

export const TLS: Protocol = {
  id: "tls",
  name: "TLS",
  title: "Transport Layer Security",
  fields: F,
  pduLength: tlsRecordLength,
  dissect,
  heuristic(r) {
    return isRecordHeader(r, r.pos);
  },
};

bind("tcp.port", 443, TLS);
bindHeuristic("tcp.port", TLS);

/**
 * The TLS handshake messages carried in QUIC CRYPTO frames (RFC 9001 4.1: no record layer), as QUIC hands them
 * on once it has decrypted an Initial packet: Wireshark shows them as TLS, under the QUIC layer.
 */
export const TLS_IN_QUIC: Protocol = {
  id: "tls",
  name: "TLS",
  title: "Transport Layer Security",
  fields: F,
  dissect(r, ctx, t) {
    if (t.on) handshakes(r, ctx, t, r.pos, r.cap, r.cap);
    r.pos = r.cap;
  },
};
