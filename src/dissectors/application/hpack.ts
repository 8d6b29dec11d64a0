/**
 * HPACK (RFC 7541): header block decoding with the static table (Appendix A), a dynamic table per connection
 * and direction (size updates included), integers with N-bit prefixes and Huffman-coded strings
 * (Appendix B's code). A bad block throws an HpackError (the caller marks the frame malformed); the decoder
 * then stays usable for the connection's next blocks as far as its table is right.
 */

export class HpackError extends Error {}

const STATIC: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/** RFC 7541 Appendix B: (code, bit length) for symbols 0..255 and EOS (256). */
const CODES = [
  8184, 13, 8388568, 23, 268435426, 28, 268435427, 28, 268435428, 28, 268435429, 28, 268435430, 28, 268435431, 28,
  268435432, 28, 16777194, 24, 1073741820, 30, 268435433, 28, 268435434, 28, 1073741821, 30, 268435435, 28, 268435436, 28,
  268435437, 28, 268435438, 28, 268435439, 28, 268435440, 28, 268435441, 28, 268435442, 28, 1073741822, 30, 268435443, 28,
  268435444, 28, 268435445, 28, 268435446, 28, 268435447, 28, 268435448, 28, 268435449, 28, 268435450, 28, 268435451, 28,
  20, 6, 1016, 10, 1017, 10, 4090, 12, 8185, 13, 21, 6, 248, 8, 2042, 11,
  1018, 10, 1019, 10, 249, 8, 2043, 11, 250, 8, 22, 6, 23, 6, 24, 6,
  0, 5, 1, 5, 2, 5, 25, 6, 26, 6, 27, 6, 28, 6, 29, 6,
  30, 6, 31, 6, 92, 7, 251, 8, 32764, 15, 32, 6, 4091, 12, 1020, 10,
  8186, 13, 33, 6, 93, 7, 94, 7, 95, 7, 96, 7, 97, 7, 98, 7,
  99, 7, 100, 7, 101, 7, 102, 7, 103, 7, 104, 7, 105, 7, 106, 7,
  107, 7, 108, 7, 109, 7, 110, 7, 111, 7, 112, 7, 113, 7, 114, 7,
  252, 8, 115, 7, 253, 8, 8187, 13, 524272, 19, 8188, 13, 16380, 14, 34, 6,
  32765, 15, 3, 5, 35, 6, 4, 5, 36, 6, 5, 5, 37, 6, 38, 6,
  39, 6, 6, 5, 116, 7, 117, 7, 40, 6, 41, 6, 42, 6, 7, 5,
  43, 6, 118, 7, 44, 6, 8, 5, 9, 5, 45, 6, 119, 7, 120, 7,
  121, 7, 122, 7, 123, 7, 32766, 15, 2044, 11, 16381, 14, 8189, 13, 268435452, 28,
  1048550, 20, 4194258, 22, 1048551, 20, 1048552, 20, 4194259, 22, 4194260, 22, 4194261, 22, 8388569, 23,
  4194262, 22, 8388570, 23, 8388571, 23, 8388572, 23, 8388573, 23, 8388574, 23, 16777195, 24, 8388575, 23,
  16777196, 24, 16777197, 24, 4194263, 22, 8388576, 23, 16777198, 24, 8388577, 23, 8388578, 23, 8388579, 23,
  8388580, 23, 2097116, 21, 4194264, 22, 8388581, 23, 4194265, 22, 8388582, 23, 8388583, 23, 16777199, 24,
  4194266, 22, 2097117, 21, 1048553, 20, 4194267, 22, 4194268, 22, 8388584, 23, 8388585, 23, 2097118, 21,
  8388586, 23, 4194269, 22, 4194270, 22, 16777200, 24, 2097119, 21, 4194271, 22, 8388587, 23, 8388588, 23,
  2097120, 21, 2097121, 21, 4194272, 22, 2097122, 21, 8388589, 23, 4194273, 22, 8388590, 23, 8388591, 23,
  1048554, 20, 4194274, 22, 4194275, 22, 4194276, 22, 8388592, 23, 4194277, 22, 4194278, 22, 8388593, 23,
  67108832, 26, 67108833, 26, 1048555, 20, 524273, 19, 4194279, 22, 8388594, 23, 4194280, 22, 33554412, 25,
  67108834, 26, 67108835, 26, 67108836, 26, 134217694, 27, 134217695, 27, 67108837, 26, 16777201, 24, 33554413, 25,
  524274, 19, 2097123, 21, 67108838, 26, 134217696, 27, 134217697, 27, 67108839, 26, 134217698, 27, 16777202, 24,
  2097124, 21, 2097125, 21, 67108840, 26, 67108841, 26, 268435453, 28, 134217699, 27, 134217700, 27, 134217701, 27,
  1048556, 20, 16777203, 24, 1048557, 20, 2097126, 21, 4194281, 22, 2097127, 21, 2097128, 21, 8388595, 23,
  4194282, 22, 4194283, 22, 33554414, 25, 33554415, 25, 16777204, 24, 16777205, 24, 67108842, 26, 8388596, 23,
  67108843, 26, 134217702, 27, 67108844, 26, 67108845, 26, 134217703, 27, 134217704, 27, 134217705, 27, 134217706, 27,
  134217707, 27, 268435454, 28, 134217708, 27, 134217709, 27, 134217710, 27, 134217711, 27, 134217712, 27, 67108846, 26,
  1073741823, 30,
];

/** The decoding tree as arrays: node -> child index per bit (negative: a leaf, -(symbol + 1)). */
const ZERO: number[] = [0];
const ONE: number[] = [0];
(function build() {
  for (let sym = 0; sym < 257; sym++) {
    const code = CODES[sym * 2];
    const len = CODES[sym * 2 + 1];
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) % 2;
      const arr = bit ? ONE : ZERO;
      if (i === 0) arr[node] = -(sym + 1);
      else {
        if (!arr[node]) {
          arr[node] = ZERO.length;
          ZERO.push(0);
          ONE.push(0);
        }
        node = arr[node];
      }
    }
  }
})();

/** Decodes a Huffman-coded string (padding: up to 7 one bits, as the RFC wants). */
export function huffmanDecode(d: Uint8Array, off: number, end: number): string {
  let s = "";
  let node = 0;
  let depth = 0;
  let ones = true;
  for (let p = off; p < end; p++) {
    const b = d[p];
    for (let i = 7; i >= 0; i--) {
      const bit = (b >> i) & 1;
      ones = ones && bit === 1;
      const next = bit ? ONE[node] : ZERO[node];
      depth++;
      if (next < 0) {
        if (next === -257) throw new HpackError("HPACK: EOS in a Huffman string");
        s += String.fromCharCode(-next - 1);
        node = 0;
        depth = 0;
        ones = true;
      } else if (next === 0) throw new HpackError("HPACK: bad Huffman code");
      else node = next;
    }
  }
  if (depth > 7 || !ones) throw new HpackError("HPACK: bad Huffman padding");
  return s;
}

/** A header as decoded, with how it was represented. */
export interface Header {
  name: string;
  value: string;
  /** "Indexed", "Incremental Indexing", "Without Indexing", "Never Indexed" */
  rep: string;
  index: number;
}

/** One direction's HPACK decoder. */
export class HpackDecoder {
  private dyn: [string, string][] = [];
  private size = 0;
  maxSize = 4096;

  private entry(i: number): readonly [string, string] {
    if (i >= 1 && i <= STATIC.length) return STATIC[i - 1];
    const e = this.dyn[i - STATIC.length - 1];
    if (!e) throw new HpackError(`HPACK: index ${i} is not in the table`);
    return e;
  }

  private add(name: string, value: string): void {
    const n = name.length + value.length + 32;
    this.dyn.unshift([name, value]);
    this.size += n;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize && this.dyn.length) {
      const [n, v] = this.dyn.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }

  /** Decodes a whole header block. */
  decode(d: Uint8Array, off = 0, end = d.length): Header[] {
    const out: Header[] = [];
    let p = off;
    const int = (prefix: number): number => {
      if (p >= end) throw new HpackError("HPACK: the block ends inside an integer");
      const max = (1 << prefix) - 1;
      let v = d[p++] & max;
      if (v < max) return v;
      for (let m = 0; ; m += 7) {
        if (p >= end || m > 28) throw new HpackError("HPACK: bad integer");
        const b = d[p++];
        v += (b & 0x7f) * 2 ** m;
        if (!(b & 0x80)) return v;
      }
    };
    const str = (): string => {
      if (p >= end) throw new HpackError("HPACK: the block ends inside a string");
      const h = (d[p] & 0x80) !== 0;
      const n = int(7);
      if (p + n > end) throw new HpackError("HPACK: a string runs past the block");
      const s = h ? huffmanDecode(d, p, p + n) : Buffer.from(d.buffer, d.byteOffset + p, n).toString("latin1");
      p += n;
      return s;
    };
    for (let count = 0; p < end && count < 10000; count++) {
      const b = d[p];
      if (b & 0x80) {
        const i = int(7);
        if (i === 0) throw new HpackError("HPACK: index 0");
        const [name, value] = this.entry(i);
        out.push({ name, value, rep: "Indexed", index: i });
      } else if (b & 0x40) {
        const i = int(6);
        const name = i ? this.entry(i)[0] : str();
        const value = str();
        this.add(name, value);
        out.push({ name, value, rep: "Incremental Indexing", index: i });
      } else if (b & 0x20) {
        const s = int(5);
        this.maxSize = s;
        this.evict();
      } else {
        const never = (b & 0x10) !== 0;
        const i = int(4);
        const name = i ? this.entry(i)[0] : str();
        const value = str();
        out.push({ name, value, rep: never ? "Never Indexed" : "Without Indexing", index: i });
      }
    }
    return out;
  }
}
