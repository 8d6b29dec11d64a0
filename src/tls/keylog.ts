/**
 * TLS key logs (NSS's SSLKEYLOGFILE format, as curl, browsers, OpenSSL and Node write them): one secret per
 * line, `LABEL <client random hex> <secret hex>`. CLIENT_RANDOM gives a TLS 1.2 master secret; the TLS 1.3
 * labels give the traffic secrets of each direction (handshake and application). Secrets are looked up by the
 * ClientHello's random. Lines that are not one of these (comments, other labels) are skipped.
 *
 * The store is process-wide: --keylog FILE, -o tls.keylog_file:FILE and a pcapng file's Decryption Secrets
 * Blocks all add to it, and the TLS dissector reads it (src/dissectors/application/tls.ts).
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";

export type SecretLabel =
  | "CLIENT_RANDOM"
  | "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
  | "SERVER_HANDSHAKE_TRAFFIC_SECRET"
  | "CLIENT_TRAFFIC_SECRET_0"
  | "SERVER_TRAFFIC_SECRET_0";

const LABELS = new Set<string>([
  "CLIENT_RANDOM",
  "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
  "SERVER_HANDSHAKE_TRAFFIC_SECRET",
  "CLIENT_TRAFFIC_SECRET_0",
  "SERVER_TRAFFIC_SECRET_0",
]);

export class KeyLog {
  /** client random (hex, lower case) -> label -> secret */
  private byRandom = new Map<string, Map<string, Buffer>>();
  /** the key log's text as read (kept for a pcapng Decryption Secrets Block) */
  text = "";
  /** lines with a known label */
  entries = 0;

  /** Adds the lines of a key log; returns how many secrets it gave. */
  add(text: string): number {
    let n = 0;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line[0] === "#") continue;
      const parts = line.split(/\s+/);
      if (parts.length !== 3 || !LABELS.has(parts[0])) continue;
      const [label, random, secret] = parts;
      if (!/^[0-9a-fA-F]{64}$/.test(random) || !/^[0-9a-fA-F]{2,256}$/.test(secret) || secret.length % 2) continue;
      const key = random.toLowerCase();
      let m = this.byRandom.get(key);
      if (!m) this.byRandom.set(key, (m = new Map()));
      m.set(label, Buffer.from(secret, "hex"));
      n++;
    }
    if (n) this.text += text.endsWith("\n") || text === "" ? text : text + "\n";
    this.entries += n;
    return n;
  }

  /** The secret of `label` for the connection whose ClientHello random is `random` (hex). */
  get(random: string, label: SecretLabel): Buffer | undefined {
    return this.byRandom.get(random)?.get(label);
  }

  get size(): number {
    return this.byRandom.size;
  }
}

let current: KeyLog | null = null;

/** The process-wide key log (null when none was given). */
export function keyLog(): KeyLog | null {
  return current;
}

/** Adds secrets to the process-wide key log (made on first use). */
export function addKeyLogText(text: string): number {
  current ??= new KeyLog();
  return current.add(text);
}

/** Reads a key log file into the process-wide store; a one-line Error when it cannot be read or has no secrets. */
export function loadKeyLogFile(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch (e) {
    throw new Error(`cannot read key log ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  current ??= new KeyLog();
  return current.add(text);
}

/** Forgets every secret (tests, a new file). */
export function clearKeyLog(): void {
  current = null;
}

/**
 * Follows key log files as the programs that write them append (curl, a browser, Node with --tls-keylog
 * write a connection's secrets when its handshake completes, while tsniff captures): `poll()` reads the whole
 * lines added since the last call, adds their secrets to the process-wide store and returns them; `text` is
 * everything read so far. A pcapng writer puts them in Decryption Secrets Blocks (pcapng-writer.ts). A file
 * that vanishes or cannot be read gives nothing; one that shrinks (rewritten) is read again from its start.
 */
export class KeyLogFollower {
  private files: { path: string; offset: number }[];
  /** every whole line read so far */
  text = "";

  constructor(paths: string[]) {
    this.files = paths.map((path) => ({ path, offset: 0 }));
  }

  /** The whole lines appended since the last call ("" when none), added to the key log store too. */
  poll(): string {
    let fresh = "";
    for (const f of this.files) {
      let size: number;
      try {
        size = statSync(f.path).size;
      } catch {
        continue;
      }
      if (size < f.offset) f.offset = 0;
      if (size === f.offset) continue;
      let fd: number | undefined;
      try {
        fd = openSync(f.path, "r");
        const buf = Buffer.allocUnsafe(Math.min(size - f.offset, 64 << 20));
        const n = readSync(fd, buf, 0, buf.length, f.offset);
        const end = buf.lastIndexOf(10, n - 1) + 1; // whole lines only: a line being written waits
        if (end > 0) {
          fresh += buf.toString("latin1", 0, end);
          f.offset += end;
        }
      } catch {
        /* unreadable now: tried again at the next poll */
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    if (fresh) {
      addKeyLogText(fresh);
      this.text += fresh;
    }
    return fresh;
  }
}
