// An HTTPS server for the gap tests: every request answered with a 40,000-byte body (several TLS records).
// argv: cert key port; env TLS_VERSION (TLSv1.2 / TLSv1.3), TLS_CIPHERS (TLS 1.2 suites).
import https from "node:https";
import fs from "node:fs";
const [cert, key, port] = process.argv.slice(2);
const v = process.env.TLS_VERSION || "TLSv1.3";
const body = Buffer.alloc(40000, 0x61);
https
  .createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key), minVersion: v, maxVersion: v, ciphers: process.env.TLS_CIPHERS || undefined }, (req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  })
  .listen(Number(port), "127.0.0.1");
