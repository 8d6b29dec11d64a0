/**
 * TLS record protection with Node's crypto: the TLS 1.3 key schedule's HKDF-Expand-Label (RFC 8446 7.1),
 * traffic keys and IVs (7.3) and key updates (7.2); the TLS 1.2 PRF (RFC 5246 5) and key block (6.3); AEAD
 * record decryption with AES-128/256-GCM (RFC 5288) and ChaCha20-Poly1305 (RFC 7905), and AES-CBC with
 * HMAC-SHA1/SHA256/SHA384 (MAC-then-encrypt, RFC 5246 6.2.3.2). Nothing here throws on bad input: a record
 * that does not authenticate gives null.
 */
import { createRequire } from "node:module";
import type * as Crypto from "node:crypto";
import type { CipherGCMTypes, KeyObject } from "node:crypto";
// loaded on first use (a key log file): requiring node:crypto costs ~5 ms of every start-up (issue #19)
let cryptoModule: typeof Crypto | undefined;
const nodeCrypto = (): typeof Crypto => (cryptoModule ??= createRequire(import.meta.url)("node:crypto") as typeof Crypto);
const createHmac: typeof Crypto.createHmac = (...a: Parameters<typeof Crypto.createHmac>) => nodeCrypto().createHmac(...a);

export type Hash = "sha256" | "sha384";

export interface Suite {
  id: number;
  name: string;
  tls13: boolean;
  /** Node's cipher name */
  cipher: CipherGCMTypes | "chacha20-poly1305" | "aes-128-cbc" | "aes-256-cbc";
  keyLen: number;
  /** TLS 1.2: the fixed IV's length in the key block (GCM 4, ChaCha 12, CBC 16) */
  ivLen: number;
  /** the PRF's / HKDF's hash */
  hash: Hash;
  /** CBC suites: the MAC's hash and key length */
  mac?: "sha1" | "sha256" | "sha384";
  macLen?: number;
}

const S = (id: number, name: string, tls13: boolean, cipher: Suite["cipher"], keyLen: number, ivLen: number, hash: Hash, mac?: Suite["mac"], macLen?: number): [number, Suite] => [
  id,
  { id, name, tls13, cipher, keyLen, ivLen, hash, mac, macLen },
];

/** The suites tsniff decrypts. */
export const SUITES: ReadonlyMap<number, Suite> = new Map([
  S(0x1301, "TLS_AES_128_GCM_SHA256", true, "aes-128-gcm", 16, 12, "sha256"),
  S(0x1302, "TLS_AES_256_GCM_SHA384", true, "aes-256-gcm", 32, 12, "sha384"),
  S(0x1303, "TLS_CHACHA20_POLY1305_SHA256", true, "chacha20-poly1305", 32, 12, "sha256"),
  S(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false, "aes-128-gcm", 16, 4, "sha256"),
  S(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false, "aes-128-gcm", 16, 4, "sha256"),
  S(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", false, "aes-256-gcm", 32, 4, "sha384"),
  S(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", false, "aes-256-gcm", 32, 4, "sha384"),
  S(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", false, "aes-128-gcm", 16, 4, "sha256"),
  S(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", false, "aes-256-gcm", 32, 4, "sha384"),
  S(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", false, "aes-128-gcm", 16, 4, "sha256"),
  S(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", false, "aes-256-gcm", 32, 4, "sha384"),
  S(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, "chacha20-poly1305", 32, 12, "sha256"),
  S(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, "chacha20-poly1305", 32, 12, "sha256"),
  S(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, "chacha20-poly1305", 32, 12, "sha256"),
  S(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false, "aes-128-cbc", 16, 16, "sha256", "sha1", 20),
  S(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", false, "aes-256-cbc", 32, 16, "sha256", "sha1", 20),
  S(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", false, "aes-128-cbc", 16, 16, "sha256", "sha1", 20),
  S(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", false, "aes-256-cbc", 32, 16, "sha256", "sha1", 20),
  S(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", false, "aes-128-cbc", 16, 16, "sha256", "sha256", 32),
  S(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", false, "aes-256-cbc", 32, 16, "sha384", "sha384", 48),
  S(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", false, "aes-128-cbc", 16, 16, "sha256", "sha256", 32),
  S(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", false, "aes-256-cbc", 32, 16, "sha384", "sha384", 48),
  S(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", false, "aes-128-cbc", 16, 16, "sha256", "sha1", 20),
  S(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", false, "aes-256-cbc", 32, 16, "sha256", "sha1", 20),
  S(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", false, "aes-128-cbc", 16, 16, "sha256", "sha256", 32),
  S(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", false, "aes-256-cbc", 32, 16, "sha256", "sha256", 32),
  S(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", false, "aes-128-cbc", 16, 16, "sha256", "sha1", 20),
  S(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", false, "aes-256-cbc", 32, 16, "sha256", "sha1", 20),
  S(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", false, "aes-128-cbc", 16, 16, "sha256", "sha256", 32),
  S(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", false, "aes-256-cbc", 32, 16, "sha256", "sha256", 32),
]);

const hashLen = (h: Hash) => (h === "sha256" ? 32 : 48);

/** HKDF-Expand (RFC 5869 2.3). */
export function hkdfExpand(hash: Hash, prk: Buffer, info: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  let got = 0;
  for (let i = 1; got < length; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.of(i)).digest();
    out.push(t);
    got += t.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label (RFC 8446 7.1) with an empty context unless one is given. */
export function hkdfExpandLabel(hash: Hash, secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const l = Buffer.from("tls13 " + label, "latin1");
  const info = Buffer.concat([Buffer.of(length >> 8, length & 255, l.length), l, Buffer.of(context.length), context]);
  return hkdfExpand(hash, secret, info, length);
}

/** The TLS 1.2 PRF: P_hash(secret, label + seed). */
export function prf12(hash: Hash, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const ls = Buffer.concat([Buffer.from(label, "latin1"), seed]);
  const out: Buffer[] = [];
  let a = ls;
  let got = 0;
  while (got < length) {
    a = createHmac(hash, secret).update(a).digest();
    const p = createHmac(hash, secret).update(a).update(ls).digest();
    out.push(p);
    got += p.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** One direction's record protection: key, IV, MAC key (CBC), the next sequence number. */
export class DirectionKeys {
  seq = 0;
  constructor(
    readonly suite: Suite,
    readonly key: Buffer,
    readonly iv: Buffer,
    /** TLS 1.3: the traffic secret, for a key update */
    readonly secret: Buffer | null,
    readonly macKey: Buffer | null = null,
    /** TLS 1.2 CBC: encrypt-then-MAC (RFC 7366) was negotiated: the MAC is over the IV and ciphertext */
    readonly etm = false,
  ) {}

  /** TLS 1.3 keys from a traffic secret. */
  static fromSecret13(suite: Suite, secret: Buffer): DirectionKeys {
    return new DirectionKeys(suite, hkdfExpandLabel(suite.hash, secret, "key", Buffer.alloc(0), suite.keyLen), hkdfExpandLabel(suite.hash, secret, "iv", Buffer.alloc(0), 12), secret);
  }

  /** The next generation after a KeyUpdate (RFC 8446 7.2). */
  updated(): DirectionKeys {
    const h = this.suite.hash;
    return DirectionKeys.fromSecret13(this.suite, hkdfExpandLabel(h, this.secret!, "traffic upd", Buffer.alloc(0), hashLen(h)));
  }

  /** the key as a KeyObject, made once: a Buffer key is imported again on every createDecipheriv */
  private ko: KeyObject | null = null;
  private keyObject(): KeyObject {
    return (this.ko ??= nodeCrypto().createSecretKey(this.key));
  }

  private nonce(): Buffer {
    const n = Buffer.from(this.iv);
    let s = this.seq;
    for (let i = 11; i >= 4; i--) {
      n[i] ^= s % 256;
      s = Math.floor(s / 256);
    }
    return n;
  }

  /**
   * TLS 1.3 (RFC 8446 5.2): the record's header is the AAD; the inner plaintext ends with its real content type
   * and zero padding. Returns the content and its type, or null (tag failure, no type); the sequence number
   * moves on only on success.
   */
  open13(header: Uint8Array, body: Uint8Array): { type: number; data: Buffer } | null {
    const p = aead(this.suite.cipher, this.keyObject(), this.nonce(), header, body);
    if (!p) return null;
    let e = p.length - 1;
    while (e >= 0 && p[e] === 0) e--;
    if (e < 0) return null;
    this.seq++;
    return { type: p[e], data: p.subarray(0, e) };
  }

  /** TLS 1.2 (RFC 5246 6.2.3): AEAD with the explicit nonce (GCM) or the IV xor seq (ChaCha), or CBC + HMAC. */
  open12(type: number, version: number, body: Uint8Array): Buffer | null {
    const s = this.suite;
    let out: Buffer | null;
    if (s.mac) out = this.cbc(type, version, body);
    else {
      let nonce: Buffer;
      let ct: Uint8Array;
      if (s.ivLen === 4) {
        if (body.length < 8 + 16) return null;
        nonce = Buffer.concat([this.iv, body.subarray(0, 8)]);
        ct = body.subarray(8);
      } else {
        nonce = this.nonce();
        ct = body;
      }
      const plen = ct.length - 16;
      if (plen < 0) return null;
      const aad = Buffer.alloc(13);
      aad.writeUIntBE(Math.floor(this.seq / 2 ** 32), 0, 4);
      aad.writeUInt32BE(this.seq >>> 0, 4);
      aad[8] = type;
      aad.writeUInt16BE(version, 9);
      aad.writeUInt16BE(plen, 11);
      out = aead(s.cipher, this.keyObject(), nonce, aad, ct);
    }
    if (out) this.seq++;
    return out;
  }

  /** The record's MAC (RFC 5246 6.2.3.1): HMAC(seq, type, version, length, data). */
  private mac(type: number, version: number, data: Uint8Array): Buffer {
    const hdr = Buffer.alloc(13);
    hdr.writeUIntBE(Math.floor(this.seq / 2 ** 32), 0, 4);
    hdr.writeUInt32BE(this.seq >>> 0, 4);
    hdr[8] = type;
    hdr.writeUInt16BE(version, 9);
    hdr.writeUInt16BE(data.length, 11);
    return createHmac(this.suite.mac!, this.macKey!).update(hdr).update(data).digest();
  }

  /** CBC with its explicit IV first (TLS 1.1+), padding removed (its bytes all equal the length byte). */
  private cbcDecrypt(ivAndCt: Uint8Array): Buffer | null {
    if (ivAndCt.length < 32 || ivAndCt.length % 16) return null;
    let p: Buffer;
    try {
      const d = nodeCrypto().createDecipheriv(this.suite.cipher, this.keyObject(), ivAndCt.subarray(0, 16));
      d.setAutoPadding(false);
      p = Buffer.concat([d.update(ivAndCt.subarray(16)), d.final()]);
    } catch {
      return null;
    }
    const pad = p[p.length - 1];
    if (pad + 1 > p.length) return null;
    for (let i = p.length - 1 - pad; i < p.length - 1; i++) if (p[i] !== pad) return null;
    return p.subarray(0, p.length - 1 - pad);
  }

  private cbc(type: number, version: number, body: Uint8Array): Buffer | null {
    const s = this.suite;
    const macLen = s.macLen!;
    if (this.etm) {
      // encrypt-then-MAC (RFC 7366): IV || ciphertext || MAC over them; the MAC is checked before decrypting
      const ctEnd = body.length - macLen;
      if (ctEnd < 32) return null;
      const ct = body.subarray(0, ctEnd);
      if (!this.mac(type, version, ct).equals(body.subarray(ctEnd))) return null;
      return this.cbcDecrypt(ct);
    }
    const p = this.cbcDecrypt(body);
    if (!p) return null;
    const dataLen = p.length - macLen;
    if (dataLen < 0) return null;
    if (!this.mac(type, version, p.subarray(0, dataLen)).equals(p.subarray(dataLen))) return null;
    return p.subarray(0, dataLen);
  }


}

function aead(cipher: Suite["cipher"], key: KeyObject, nonce: Buffer, aad: Uint8Array, body: Uint8Array): Buffer | null {
  if (body.length < 16) return null;
  try {
    // GCM and ChaCha20-Poly1305 take a 16-byte tag by default; the plaintext length is CCM's alone
    const d = nodeCrypto().createDecipheriv(cipher as CipherGCMTypes, key, nonce);
    d.setAAD(aad);
    d.setAuthTag(body.subarray(body.length - 16));
    const out = d.update(body.subarray(0, body.length - 16));
    d.final();
    return out;
  } catch {
    return null;
  }
}

/** TLS 1.2: both directions' keys from the master secret (client write first). */
export function keys12(suite: Suite, master: Buffer, clientRandom: Buffer, serverRandom: Buffer, etm = false): [DirectionKeys, DirectionKeys] {
  const macLen = suite.mac ? suite.macLen! : 0;
  const ivLen = suite.mac ? 0 : suite.ivLen; // CBC: explicit IV per record (TLS 1.1+)
  const n = 2 * (macLen + suite.keyLen + ivLen);
  const kb = prf12(suite.hash, master, "key expansion", Buffer.concat([serverRandom, clientRandom]), n);
  let o = 0;
  const take = (l: number) => kb.subarray(o, (o += l));
  const cMac = take(macLen);
  const sMac = take(macLen);
  const cKey = take(suite.keyLen);
  const sKey = take(suite.keyLen);
  const cIv = take(ivLen);
  const sIv = take(ivLen);
  const e = etm && !!suite.mac;
  return [new DirectionKeys(suite, cKey, cIv, null, macLen ? cMac : null, e), new DirectionKeys(suite, sKey, sIv, null, macLen ? sMac : null, e)];
}
