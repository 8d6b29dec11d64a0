/**
 * SSH (RFC 4253) on TCP port 22: the protocol version exchange ("SSH-2.0-OpenSSH_9.2p1\r\n").
 * tcpdump's ssh_print prints ": SSH: SSH-2.0-..." when a segment starts with "SSH-" and the line ends (LF or
 * CR-LF) within it with only printable ASCII before; anything else (binary packets) prints nothing. A read past
 * the captured bytes gives " [|ssh]". The tree has ssh.protocol (the banner line) and, for binary packets,
 * ssh.packet_length / ssh.padding_length / ssh.message_code when they are in the clear (before NEWKEYS we
 * cannot tell, so they are shown as Wireshark does for the unencrypted phase only when plausible).
 */
import { bind } from "../registry.js";
import { fields, type Protocol } from "../types.js";

const F = fields("ssh", {
  protocol: ["Protocol", "string"],
  packet_length: ["Packet Length", "uint"],
  padding_length: ["Padding Length", "uint"],
  message_code: ["Message Code", "uint"],
  encrypted_packet: ["Encrypted Packet", "bytes"],
});

export const SSH: Protocol = {
  id: "ssh",
  name: "SSH",
  title: "SSH Protocol",
  fields: F,
  dissect(r, ctx, t) {
    const p0 = r.pos;
    const len = r.reportedRemaining;
    const cap = r.cap;
    // tcpdump reads "SSH-" one byte at a time: running off the capture there is a truncation.
    const magic = [0x53, 0x53, 0x48, 0x2d];
    for (let i = 0; i < 4; i++) {
      if (p0 + i >= cap) {
        ctx.line.s(" [|ssh]");
        ctx.truncated = true;
        r.pos = cap;
        return;
      }
      if (r.byteAt(p0 + i) !== magic[i]) {
        if (t.on) binary(p0);
        r.pos = cap;
        return;
      }
    }
    let idx = 4;
    let end = -1;
    while (idx < len) {
      if (p0 + idx >= cap) {
        ctx.line.s(" [|ssh]");
        ctx.truncated = true;
        r.pos = cap;
        return;
      }
      const c = r.byteAt(p0 + idx);
      if (c === 0x0a) {
        end = idx;
        break;
      }
      if (c === 0x0d) {
        if (idx + 1 >= len) break;
        if (p0 + idx + 1 >= cap) {
          ctx.line.s(" [|ssh]");
          ctx.truncated = true;
          r.pos = cap;
          return;
        }
        if (r.byteAt(p0 + idx + 1) === 0x0a) end = idx;
        break;
      }
      if (c < 0x20 || c > 0x7e) break;
      idx++;
    }
    if (end >= 0) {
      let s = "";
      for (let i = 0; i < end; i++) s += String.fromCharCode(r.byteAt(p0 + i));
      ctx.line.s(": SSH: " + s);
      if (t.on) t.add(F.protocol, s, p0, end);
    }
    r.pos = cap;

    function binary(p: number): void {
      const n = cap - p;
      if (n >= 6) {
        const plen = ((r.byteAt(p) << 24) | (r.byteAt(p + 1) << 16) | (r.byteAt(p + 2) << 8) | r.byteAt(p + 3)) >>> 0;
        const pad = r.byteAt(p + 4);
        // In the clear, a packet's length is its segment (or more) and padding is 4..255 with a block multiple.
        if (plen + 4 === len && pad >= 4 && pad < plen) {
          t.add(F.packet_length, plen, p, 4);
          t.add(F.padding_length, pad, p + 4, 1);
          t.add(F.message_code, r.byteAt(p + 5), p + 5, 1);
          return;
        }
      }
      t.add(F.encrypted_packet, null, p, n, `${n} bytes`);
    }
  },
};

bind("tcp.port", 22, SSH);
