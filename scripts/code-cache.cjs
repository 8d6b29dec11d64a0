#!/usr/bin/env node
/**
 * V8's code cache for the CLI's script (scripts/bundle.mjs runs this after writing dist/clib/main.vm.js):
 * compiles it the way bin/tsniff does (the same function, so the same flags and origin), runs its top level and
 * `-nn -r fixtures/http/http.pcap` so that the functions a start-up calls are compiled too, and writes FILE.cache: bin/tsniff's header (magic and
 * the script's build id) then V8's data. Written under a temporary name and renamed: never a half file.
 *
 *   node scripts/code-cache.cjs dist/clib/main.vm.js
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { compileCli, runCli, MAGIC } = require("../bin/tsniff");

const file = path.resolve(process.argv[2] || "");
const { script, id, fn } = compileCli(file, false);
const m = { exports: runCli(fn, file) };
(async () => {
  // A short run of the commonest commands compiles what every start-up calls next (reading a file, the
  // dissectors of common traffic, the line printer): their code goes into the cache too.
  const warm = process.env.TSNIFF_CACHE_WARM === "0" ? [] : [["-nn", "-r", path.join(__dirname, "..", "fixtures", "http", "http.pcap")]];
  const write = process.stderr.write;
  process.stderr.write = () => true; // "reading from file ..."
  try {
    for (const argv of warm) await m.exports.main(argv);
  } finally {
    process.stderr.write = write;
  }
  process.exitCode = 0;
  // The cache records V8's flags; bin/tsniff compiles with --verify-snapshot-checksum on, so it is on here too.
  require("node:v8").setFlagsFromString("--verify-snapshot-checksum");
  const data = script.createCachedData();
  const tmp = `${file}.cache.${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(MAGIC + id, "latin1"), data]));
  fs.renameSync(tmp, `${file}.cache`);
})().catch((e) => {
  console.error(`code-cache: ${e && e.message ? e.message : e}`);
  process.exitCode = 1;
});
