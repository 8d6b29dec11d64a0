/**
 * QUIC Initial packet protection (RFC 9001 section 5, RFC 9369 section 3.3 for version 2): the keys every
 * observer can derive from the Destination Connection ID of the client's first Initial packet, header
 * protection removal and AEAD opening. Wireshark decrypts Initial packets this way and dissects the TLS
 * handshake (ClientHello, ServerHello) carried in their CRYPTO frames; the dissector (src/dissectors/application/
 * quic.ts) does the same with these functions. Pure functions over byte arrays, node:crypto only.
 */
import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import { hkdfExpandLabel } from "../tls/crypto.js";

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

const SALT_V1 = Buffer.from("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "hex");
const SALT_V2 = Buffer.from("0dede3def700a6db819381be6e269dcbf9bd2ed9", "hex");
const SALT_DRAFT23 = Buffer.from("c3eef712c72ebb5a11a7d2432bb46365bef9f502", "hex");
const SALT_DRAFT29 = Buffer.from("afbfec289993d24c9e9786f19c6111e04390a899", "hex");

/**
 * The initial salt per version (RFC 9001 5.2, RFC 9369 3.3.1; drafts 23-28 and 29-32 of draft-ietf-quic-tls).
 * Any other version gets draft 29's salt, as Wireshark 4.0 does: its Initial packets (a client's greased
 * version, say) then show a packet number but do not open, as in tshark.
 */
function saltOf(version: number): Buffer {
  if (version === QUIC_V1) return SALT_V1;
  if (version === QUIC_V2) return SALT_V2;
  if (version >= 0xff000017 && version <= 0xff00001c) return SALT_DRAFT23;
  return SALT_DRAFT29;
}

/** One direction's Initial keys: AEAD_AES_128_GCM key and IV, header protection key (AES-128-ECB). */
export interface InitialKeys {
  /** the version they were made for */
  version: number;
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
}

/**
 * The client's or the server's Initial keys for a connection whose client chose `dcid` as the Destination
 * Connection ID of its first Initial packet (or the Source Connection ID of a Retry).
 */
export function initialKeys(version: number, dcid: Uint8Array, server: boolean): InitialKeys {
  const salt = saltOf(version);
  const initial = createHmac("sha256", salt).update(dcid).digest(); // HKDF-Extract(salt, dcid)
  const secret = hkdfExpandLabel("sha256", initial, server ? "server in" : "client in", Buffer.alloc(0), 32);
  const v2 = version === QUIC_V2;
  return {
    version,
    key: hkdfExpandLabel("sha256", secret, v2 ? "quicv2 key" : "quic key", Buffer.alloc(0), 16),
    iv: hkdfExpandLabel("sha256", secret, v2 ? "quicv2 iv" : "quic iv", Buffer.alloc(0), 12),
    hp: hkdfExpandLabel("sha256", secret, v2 ? "quicv2 hp" : "quic hp", Buffer.alloc(0), 16),
  };
}

/**
 * An Initial packet with its header protection removed: its packet number (as sent: no reconstruction) and
 * the number's length in bytes; the frames, or null when the payload did not open (its tag did not verify, or
 * the packet is cut short).
 */
export interface OpenedInitial {
  pn: number;
  pnLength: number;
  plaintext: Buffer | null;
}

/**
 * Opens a long-header packet: `pkt` holds the packet from its first byte to its end (the Length field's end)
 * or to the end of the captured bytes (`whole` false: the payload is then not opened), `pnOffset` is where the
 * protected packet number starts. Returns null when the packet is too short for a header protection sample.
 * `pkt` is not modified.
 */
export function openLongHeader(keys: InitialKeys, pkt: Uint8Array, pnOffset: number, whole: boolean): OpenedInitial | null {
  // header protection: a 16-byte sample 4 bytes after the packet number's start (RFC 9001 5.4.2)
  if (pnOffset + 4 + 16 > pkt.length) return null;
  const ecb = createCipheriv("aes-128-ecb", keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(pkt.subarray(pnOffset + 4, pnOffset + 20));
  const first = pkt[0] ^ (mask[0] & 0x0f);
  const pnLength = (first & 3) + 1;
  const header = Buffer.from(pkt.subarray(0, pnOffset + pnLength));
  header[0] = first;
  let pn = 0;
  for (let i = 0; i < pnLength; i++) {
    header[pnOffset + i] ^= mask[1 + i];
    pn = pn * 256 + header[pnOffset + i];
  }
  const body = pkt.subarray(pnOffset + pnLength);
  if (!whole || body.length < 16) return { pn, pnLength, plaintext: null };
  const nonce = Buffer.from(keys.iv);
  for (let i = 0, v = pn; i < 4; i++, v = Math.floor(v / 256)) nonce[11 - i] ^= v & 255;
  try {
    const d = createDecipheriv("aes-128-gcm", keys.key, nonce);
    d.setAAD(header);
    d.setAuthTag(body.subarray(body.length - 16));
    const plaintext = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
    return { pn, pnLength, plaintext };
  } catch {
    return { pn, pnLength, plaintext: null }; // the tag did not verify
  }
}
