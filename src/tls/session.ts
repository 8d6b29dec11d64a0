/**
 * A TLS connection's decryption state, fed its records in each direction's order (the dissector's detail
 * pass, after TCP reassembly): the ClientHello's random, the ServerHello's random, version and cipher suite,
 * then each direction's keys from the key log (TLS 1.3: handshake keys after the ServerHello, application
 * keys after that direction's Finished, a new generation at each KeyUpdate; TLS 1.2: keys from the master
 * secret after that direction's ChangeCipherSpec). A record that cannot be decrypted (no key, a failed tag)
 * gives a reason and never an exception; counts are kept for the summary.
 */
import { DirectionKeys, keys12, SUITES, type Suite } from "./crypto.js";
import type { KeyLog } from "./keylog.js";

export interface Opened {
  /** the content type carried (TLS 1.3: the inner type) */
  type: number;
  data: Buffer;
  /** records of this direction never seen before this one (lost with TCP segments: its sequence number told) */
  lost?: number;
}
export type RecordResult = Opened | { error: string };

/** Records decrypted and not, over the process (the summary prints them). */
export const tlsCounts = { decrypted: 0, undecryptable: 0, lost: 0 };

/**
 * After lost TCP segments, records of a direction are missing and the next one's sequence number (its nonce,
 * RFC 8446 5.3; RFC 5246 6.2.3.3's additional data) is further on: the next few are tried against the AEAD tag
 * (or the MAC), for the first records that fail after one that decrypted.
 */
const LOST_MAX = 32;
const RETRY_RECORDS = 4;

/** the most plaintext kept for frames dissected again */
const SEEN_BYTES = 4 << 20;

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

export class TlsSession {
  clientRandom: Buffer | null = null;
  serverRandom: Buffer | null = null;
  suite: Suite | null = null;
  suiteId = -1;
  tls13 = false;
  /** the ALPN protocol the server chose (ServerHello in 1.2, EncryptedExtensions in 1.3) */
  alpn = "";
  /** per direction (0 client, 1 server): keys in use */
  keys: [DirectionKeys | null, DirectionKeys | null] = [null, null];
  /** TLS 1.3: application keys waiting for the direction's Finished */
  private app13: [DirectionKeys | null, DirectionKeys | null] = [null, null];
  /** TLS 1.2: keys waiting for the direction's ChangeCipherSpec */
  private pending12: [DirectionKeys | null, DirectionKeys | null] | null = null;
  private ccs: [boolean, boolean] = [false, false];
  /** results of records already seen (a frame dissected again reads the same) */
  private seen = new Map<string, RecordResult>();
  /** plaintext bytes `seen` holds: bounded too (a download's 16 KB records would keep 64 MB alive) */
  private seenBytes = 0;
  /** per direction: records that failed since the last one decrypted (-1: none decrypted yet) */
  private failing: [number, number] = [-1, -1];

  constructor(private log: KeyLog | null) {}

  /** A plaintext handshake record's messages (ClientHello, ServerHello) in direction dir. */
  handshake(dir: number, body: Uint8Array): void {
    for (let p = 0; p + 4 <= body.length; ) {
      const type = body[p];
      const len = (body[p + 1] << 16) | (body[p + 2] << 8) | body[p + 3];
      const m = body.subarray(p + 4, p + 4 + len);
      if (type === 1 && dir === 0 && m.length >= 34) {
        this.clientRandom = Buffer.from(m.subarray(2, 34));
        this.serverRandom = null;
        this.keys = [null, null];
        this.app13 = [null, null];
        this.pending12 = null;
        this.ccs = [false, false];
      } else if (type === 2 && dir === 1 && m.length >= 38) this.serverHello(m);
      p += 4 + len;
    }
  }

  private serverHello(m: Uint8Array): void {
    this.serverRandom = Buffer.from(m.subarray(2, 34));
    let p = 34;
    p += 1 + m[p];
    if (p + 3 > m.length) return;
    this.suiteId = (m[p] << 8) | m[p + 1];
    this.suite = SUITES.get(this.suiteId) ?? null;
    p += 3;
    this.tls13 = false;
    let etm = false;
    if (p + 2 <= m.length) {
      const end = Math.min(m.length, p + 2 + ((m[p] << 8) | m[p + 1]));
      for (p += 2; p + 4 <= end; ) {
        const t = (m[p] << 8) | m[p + 1];
        const l = (m[p + 2] << 8) | m[p + 3];
        if (t === 43 && l === 2 && ((m[p + 4] << 8) | m[p + 5]) === 0x0304) this.tls13 = true;
        if (t === 16) this.alpn = alpnOf(m.subarray(p + 4, p + 4 + l));
        if (t === 22) etm = true; // encrypt_then_mac (RFC 7366): the server accepted it (CBC suites)
        p += 4 + l;
      }
    }
    if (!this.suite || !this.clientRandom || !this.log) return;
    const cr = this.clientRandom.toString("hex");
    if (this.tls13) {
      const ch = this.log.get(cr, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
      const sh = this.log.get(cr, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
      const ca = this.log.get(cr, "CLIENT_TRAFFIC_SECRET_0");
      const sa = this.log.get(cr, "SERVER_TRAFFIC_SECRET_0");
      this.keys = [ch ? DirectionKeys.fromSecret13(this.suite, ch) : null, sh ? DirectionKeys.fromSecret13(this.suite, sh) : null];
      this.app13 = [ca ? DirectionKeys.fromSecret13(this.suite, ca) : null, sa ? DirectionKeys.fromSecret13(this.suite, sa) : null];
    } else {
      const ms = this.log.get(cr, "CLIENT_RANDOM");
      if (ms && ms.length === 48) this.pending12 = keys12(this.suite, ms, this.clientRandom, this.serverRandom, etm);
    }
  }

  /** A ChangeCipherSpec in direction dir: TLS 1.2 protects that direction's next records. */
  changeCipherSpec(dir: number): void {
    if (this.tls13) return;
    this.ccs[dir] = true;
    this.keys[dir] = this.pending12 ? this.pending12[dir] : null;
  }

  /** Whether records of type `ct` in direction dir are encrypted. */
  encrypted(dir: number, ct: number): boolean {
    if (this.tls13) return ct === 23;
    return this.ccs[dir];
  }

  /**
   * Decrypts a protected record (header: its 5 bytes; body: the fragment); `id` names it for a second look
   * (the frame and the record's tag).
   */
  open(dir: number, header: Uint8Array, body: Uint8Array, id: string): RecordResult {
    const key = `${dir}:${id}:${body.length > 16 ? hex(body.subarray(body.length - 16)) : hex(body)}`;
    const had = this.seen.get(key);
    if (had) return had;
    let res = this.decrypt(dir, header, body);
    if ("error" in res && this.failing[dir] >= 0 && this.failing[dir] < RETRY_RECORDS && this.keys[dir]) res = this.recover(dir, header, body, res);
    if ("error" in res) {
      tlsCounts.undecryptable++;
      if (this.failing[dir] >= 0) this.failing[dir]++;
    } else {
      tlsCounts.decrypted++;
      this.failing[dir] = 0;
      if (res.lost) tlsCounts.lost += res.lost;
    }
    if (this.seen.size > 4096 || this.seenBytes > SEEN_BYTES) {
      this.seen.clear();
      this.seenBytes = 0;
    }
    this.seen.set(key, res);
    if (!("error" in res)) this.seenBytes += res.data.length;
    return res;
  }

  /** A record that failed after records were lost: the next sequence numbers tried (the keys in use only). */
  private recover(dir: number, header: Uint8Array, body: Uint8Array, failed: RecordResult): RecordResult {
    const k = this.keys[dir]!;
    const s0 = k.seq;
    for (let j = 1; j <= LOST_MAX; j++) {
      k.seq = s0 + j;
      const r = this.decrypt(dir, header, body);
      if (!("error" in r)) {
        r.lost = j;
        return r;
      }
      if (this.keys[dir] !== k) break;
    }
    if (this.keys[dir] === k) k.seq = s0;
    return failed;
  }

  private decrypt(dir: number, header: Uint8Array, body: Uint8Array): RecordResult {
    if (!this.log) return { error: "no key log" };
    if (!this.clientRandom) return { error: "the handshake was not seen (no ClientHello)" };
    if (!this.suite) return { error: this.suiteId >= 0 ? `cipher suite 0x${this.suiteId.toString(16).padStart(4, "0")} is not supported for decryption` : "the handshake was not seen (no ServerHello)" };
    if (this.tls13) {
      let k = this.keys[dir];
      let r = k ? k.open13(header, body) : null;
      if (!r && this.app13[dir]) {
        // no handshake keys, or the Finished was missed: the application keys, from their start
        k = this.app13[dir];
        r = k!.open13(header, body);
        if (r) {
          this.keys[dir] = k;
          this.app13[dir] = null;
        }
      }
      if (!r || !k) return { error: this.keys[dir] || this.app13[dir] ? "decryption failed (bad record MAC)" : "no secret in the key log for this connection" };
      if (r.type === 22) this.handshake13(dir, r.data, k);
      return r;
    }
    const k = this.keys[dir];
    if (!k) return { error: this.pending12 ? "decryption failed" : "no secret in the key log for this connection" };
    const d = k.open12(header[0], (header[1] << 8) | header[2], body);
    if (!d) return { error: "decryption failed (bad record MAC)" };
    return { type: header[0], data: d };
  }

  /** TLS 1.3 handshake messages under protection: ALPN in EncryptedExtensions, Finished, KeyUpdate. */
  private handshake13(dir: number, d: Uint8Array, k: DirectionKeys): void {
    for (let p = 0; p + 4 <= d.length; ) {
      const type = d[p];
      const len = (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
      const m = d.subarray(p + 4, p + 4 + len);
      if (type === 8 && m.length >= 2) {
        for (let q = 2; q + 4 <= m.length; ) {
          const t = (m[q] << 8) | m[q + 1];
          const l = (m[q + 2] << 8) | m[q + 3];
          if (t === 16) this.alpn = alpnOf(m.subarray(q + 4, q + 4 + l));
          q += 4 + l;
        }
      } else if (type === 20 && this.app13[dir] && this.keys[dir] === k) {
        this.keys[dir] = this.app13[dir];
        this.app13[dir] = null;
      } else if (type === 24 && k.secret && this.keys[dir] === k) {
        this.keys[dir] = k.updated();
      }
      p += 4 + len;
    }
  }
}

/** The first protocol of an ALPN extension's list. */
function alpnOf(v: Uint8Array): string {
  if (v.length < 3) return "";
  const l = v[2];
  return Buffer.from(v.subarray(3, 3 + l)).toString("latin1");
}
