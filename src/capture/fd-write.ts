/**
 * Synchronous, complete writes to a file descriptor. A pipe may be in non-blocking mode (EAGAIN when full):
 * we wait a moment and retry, which is also our back-pressure. A partial write with ENOSPC is undone by
 * truncating back to the last whole write, so a full disk never leaves half a record behind.
 */
import fs from "node:fs";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function writeAllSync(fd: number, buf: Uint8Array, off: number, len: number): void {
  let done = 0;
  while (done < len) {
    try {
      done += fs.writeSync(fd, buf, off + done, len - done);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === "EAGAIN") {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      if (done > 0 && err.code === "ENOSPC") {
        // Undo the partial chunk so the file ends on a record boundary.
        try {
          const st = fs.fstatSync(fd);
          if (st.isFile()) fs.ftruncateSync(fd, st.size - done);
        } catch {
          /* best effort: the error below is what matters */
        }
      }
      throw err;
    }
  }
}
