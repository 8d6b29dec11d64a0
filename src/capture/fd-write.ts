/**
 * Synchronous, complete writes to a file descriptor. A pipe may be in non-blocking mode (EAGAIN when full):
 * we wait a moment and retry, which is also our back-pressure. On failure the error carries `written`, the
 * bytes of this call that did reach the file, so the caller can cut the file back to a record boundary.
 */
import fs from "node:fs";

/** Made at the first EAGAIN: a V8 start-up snapshot (bench/startup.mjs --snapshot) is built without SharedArrayBuffer. */
let sleeper: Int32Array | undefined;

export function writeAllSync(fd: number, buf: Uint8Array, off: number, len: number): void {
  let done = 0;
  while (done < len) {
    try {
      done += fs.writeSync(fd, buf, off + done, len - done);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === "EAGAIN") {
        Atomics.wait((sleeper ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 1);
        continue;
      }
      throw Object.assign(err, { written: done });
    }
  }
}
