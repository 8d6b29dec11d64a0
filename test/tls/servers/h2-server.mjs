import http2 from "node:http2";
import fs from "node:fs";
const [cert, key, port] = process.argv.slice(2);
const s = http2.createSecureServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
  res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "text/plain" });
  // /big: 512 KB of one repeated byte (DATA frames of 16 KB + 9 that span TLS records whose edges look alike)
  if (req.url === "/big") return res.end(Buffer.alloc(512 * 1024, 0x61));
  res.end("hello " + req.url + "\n");
});
s.listen(Number(port), "127.0.0.1");
