// Cleartext HTTP/2 (h2c) for the tests: one port, both ways in.
// - Prior knowledge (the connection opens with the preface): Node's http2 server answers.
// - HTTP/1.1 with "Upgrade: h2c": a 101, then a minimal HTTP/2 server of our own (Node's cannot take an
//   upgraded connection): our SETTINGS, SETTINGS ACK for the client's, and on stream 1 (the upgraded request)
//   and every stream the client opens a 200 with a short text body. Headers are sent with HPACK's static
//   table and literals without indexing, so no dynamic table is needed.
// usage: node h2c-server.mjs PORT [HOST] (the Unix socket of the inner server is removed on SIGTERM)
import http2 from "node:http2";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const [port, host = "127.0.0.1"] = process.argv.slice(2);
const h2 = http2.createServer((req, res) => {
  res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "text/plain" });
  res.end("hello " + req.url + "\n");
});

const inner = path.join(os.tmpdir(), `ts-tls-h2c-${process.pid}.sock`);
h2.listen(inner);
const cleanup = () => {
  try {
    h2.close();
  } finally {
    process.exit(0);
  }
};
process.on("SIGTERM", cleanup);
process.on("SIGINT", cleanup);

const frame = (type, flags, sid, body) => {
  const h = Buffer.alloc(9);
  h.writeUIntBE(body.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(sid, 5);
  return Buffer.concat([h, body]);
};
// :status 200 (static index 8), content-type: text/plain (literal without indexing, name index 31)
const RESPONSE_HEADERS = Buffer.concat([Buffer.from([0x88, 0x0f, 0x10, 10]), Buffer.from("text/plain")]);

function upgraded(sock, rest) {
  let buf = rest;
  let preface = false;
  const answer = (sid) => {
    sock.write(frame(1, 0x04, sid, RESPONSE_HEADERS));
    sock.write(frame(0, 0x01, sid, Buffer.from(`hello h2c stream ${sid}\n`)));
  };
  sock.write(frame(4, 0, 0, Buffer.alloc(0)));
  answer(1);
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    if (!preface) {
      if (buf.length < 24) return;
      preface = true;
      buf = buf.subarray(24);
    }
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      const type = buf[3];
      const flags = buf[4];
      const sid = buf.readUInt32BE(5) & 0x7fffffff;
      buf = buf.subarray(9 + len);
      if (type === 4 && !(flags & 1)) sock.write(frame(4, 1, 0, Buffer.alloc(0)));
      else if (type === 1 && flags & 0x04) answer(sid);
      else if (type === 7) sock.end();
    }
  };
  sock.on("data", onData);
  if (buf.length) onData(Buffer.alloc(0));
}

net
  .createServer((sock) => {
    sock.on("error", () => {});
    sock.once("data", (first) => {
      if (first.subarray(0, 3).toString() === "PRI") {
        // Node's http2 server cannot take a socket JS has read from: relay to it over a Unix socket
        const up = net.connect(inner);
        up.on("error", () => sock.destroy());
        up.write(first);
        sock.pipe(up).pipe(sock);
        return;
      }
      // HTTP/1.1: read the request head (assumed whole in the first segment, as curl sends it)
      const end = first.indexOf("\r\n\r\n");
      const head = first.subarray(0, end < 0 ? first.length : end).toString("latin1");
      if (!/\r\nupgrade:\s*h2c/i.test(head)) {
        sock.end("HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nhello\n");
        return;
      }
      sock.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
      upgraded(sock, end < 0 ? Buffer.alloc(0) : first.subarray(end + 4));
    });
  })
  .listen(Number(port), host);
