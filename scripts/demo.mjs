#!/usr/bin/env node
// tsniff's main job on a built-in default: a live capture on loopback of traffic this script makes itself
// (HTTP requests to a local server, UDP datagrams), printed in tcpdump's format. Only 127.0.0.1 is used.
import { spawn } from "node:child_process";
import http from "node:http";
import dgram from "node:dgram";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HTTP_PORT = 48080, UDP_PORT = 48053;
const filter = `port ${HTTP_PORT} or port ${UDP_PORT}`;
console.error(`demo: tsniff -i lo '${filter}' while this script talks to itself on 127.0.0.1 (Ctrl-C ends it)`);
const cap = spawn(process.execPath, [path.join(root, "bin/tsniff"), "-i", "lo", "--immediate-mode", "-nn", filter], {
  stdio: ["ignore", "inherit", "pipe"],
});
let ready = false;
cap.stderr.on("data", (d) => {
  process.stderr.write(d);
  if (!ready && d.toString().includes("listening on")) {
    ready = true;
    traffic()
      .catch((e) => console.error("demo: traffic failed:", e.message))
      .finally(() => setTimeout(() => cap.kill("SIGINT"), 700));
  }
});
const guard = setTimeout(() => cap.kill("SIGINT"), 15000);
cap.on("close", (code) => {
  clearTimeout(guard);
  process.exit(code ?? 1);
});

async function traffic() {
  const server = http.createServer((req, res) => res.end(`hello from ${req.url}\n`)).listen(HTTP_PORT, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const agent = new http.Agent({ keepAlive: true });
  for (const p of ["/", "/index.html", "/api/items.json"]) {
    await new Promise((resolve) => http.get({ host: "127.0.0.1", port: HTTP_PORT, path: p, agent }, (res) => res.resume().on("end", resolve)).on("error", resolve));
  }
  agent.destroy();
  const s = dgram.createSocket("udp4");
  for (let i = 0; i < 5; i++) await new Promise((r) => s.send(`datagram ${i}`, UDP_PORT, "127.0.0.1", r));
  s.close();
  setTimeout(() => server.close(), 500);
}
