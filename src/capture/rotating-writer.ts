/**
 * tcpdump's file rotation (-C, -G, -W), with tcpdump's names and rules (tcpdump.c, dump_packet_and_trunc):
 *
 *   -C N   before each packet, when the current file already holds more than N * 1,000,000 bytes, close it
 *          and start the next: names `file`, `file1`, `file2`, ... (a file can pass N by one packet).
 *   -W N   with -C: a ring of N files, `file0` .. `file{N-1}` (numbers zero-padded to the digits of N-1),
 *          the oldest overwritten; with -G alone: stop after N files ("Maximum file limit reached: N").
 *   -G S   when a packet arrives S seconds (wall clock) or more after the current file was started, start a
 *          new file; the name goes through strftime (local time of the rotation). With -C too, the -C
 *          counter restarts at each -G rotation.
 *
 * Only whole records ever go to a file, and each file is a complete capture with its own header: the
 * writers below flush and close a file before the next one is opened.
 */
import type { PacketBatch } from "./batch.js";

/** What the CLI writes to: a pcap or pcapng writer, or a rotation over them. */
export interface CaptureWriter {
  readonly path: string;
  /** packets written (buffered included) and whose records are whole on disk */
  readonly packets: number;
  readonly savedPackets: number;
  readonly bytes: number;
  /** `comment`: the packet's comment, written by pcapng writers (EPB opt_comment), ignored by pcap */
  writePacket(b: PacketBatch, i: number, comment?: string): void;
  writeBatch(b: PacketBatch, from: number, to: number): void;
  flush(): void;
  close(): void;
}

export interface RotationOptions {
  /** the -w name (a strftime pattern with -G) */
  base: string;
  /** -C, in bytes */
  sizeLimit?: number;
  /** -G, in seconds */
  seconds?: number;
  /** -W */
  files?: number;
  /** "pcap" records are 16 + caplen bytes: a run of a batch is split without looking at each packet twice */
  format: "pcap" | "pcapng";
  /** opens a writer on a path */
  open: (path: string) => CaptureWriter;
  /** seconds since the epoch (tests replace it) */
  now?: () => number;
}

/** Thrown (code EROTATELIMIT) when -G with -W has made its N files: tcpdump stops there, successfully. */
export class RotationLimit extends Error {
  readonly code = "EROTATELIMIT";
  constructor(readonly files: number) {
    super(`Maximum file limit reached: ${files}`);
  }
}

/** tcpdump's getWflagChars: the digits of N - 1 (0 for N = 1). */
export function wflagChars(w: number): number {
  let c = 0;
  let x = w - 1;
  while (x > 0) {
    c++;
    x = Math.floor(x / 10);
  }
  return c;
}

/** tcpdump's MakeFilename: strftime (with -G) then the counter, zero-padded to `chars`, unless both are 0. */
export function makeFilename(base: string, cnt: number, chars: number, gTime?: number): string {
  const name = gTime === undefined ? base : strftime(base, new Date(gTime * 1000));
  if (cnt === 0 && chars === 0) return name;
  return name + String(cnt).padStart(chars, "0");
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const p2 = (n: number) => String(n).padStart(2, "0");

/** C's strftime in local time (TZ), for the conversions file names use. Unknown ones are kept as written. */
export function strftime(fmt: string, d: Date): string {
  return fmt.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case "Y":
        return String(d.getFullYear());
      case "y":
        return p2(d.getFullYear() % 100);
      case "C":
        return p2(Math.floor(d.getFullYear() / 100));
      case "m":
        return p2(d.getMonth() + 1);
      case "d":
        return p2(d.getDate());
      case "e":
        return String(d.getDate()).padStart(2, " ");
      case "H":
        return p2(d.getHours());
      case "I":
        return p2(((d.getHours() + 11) % 12) + 1);
      case "M":
        return p2(d.getMinutes());
      case "S":
        return p2(d.getSeconds());
      case "p":
        return d.getHours() < 12 ? "AM" : "PM";
      case "j": {
        const start = new Date(d.getFullYear(), 0, 1);
        const day = Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86400000) + 1;
        return String(day).padStart(3, "0");
      }
      case "s":
        return String(Math.floor(d.getTime() / 1000));
      case "a":
        return DAYS[d.getDay()].slice(0, 3);
      case "A":
        return DAYS[d.getDay()];
      case "b":
      case "h":
        return MONTHS[d.getMonth()].slice(0, 3);
      case "B":
        return MONTHS[d.getMonth()];
      case "u":
        return String(d.getDay() || 7);
      case "w":
        return String(d.getDay());
      case "F":
        return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
      case "T":
        return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
      case "R":
        return `${p2(d.getHours())}:${p2(d.getMinutes())}`;
      case "D":
        return `${p2(d.getMonth() + 1)}/${p2(d.getDate())}/${p2(d.getFullYear() % 100)}`;
      case "z": {
        const off = -d.getTimezoneOffset();
        const a = Math.abs(off);
        return (off < 0 ? "-" : "+") + p2(Math.floor(a / 60)) + p2(a % 60);
      }
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "%":
        return "%";
      default:
        return all;
    }
  });
}

/** Stands for a file that is closed or could not be opened: holds nothing, refuses packets. */
function closedWriter(path: string): CaptureWriter {
  const refuse = () => {
    throw new Error(`${path}: writer is closed`);
  };
  return { path, packets: 0, savedPackets: 0, bytes: 0, writePacket: refuse, writeBatch: refuse, flush() {}, close() {} };
}

export class RotatingWriter implements CaptureWriter {
  private cur: CaptureWriter;
  private readonly chars: number;
  private cCount = 0;
  private gCount = 0;
  private gTime: number;
  private now: () => number;
  /** totals of the files already closed */
  private donePackets = 0;
  private doneSaved = 0;
  private doneBytes = 0;
  /** every file name opened, in order (a ring reuses names) */
  readonly opened: string[] = [];

  constructor(private o: RotationOptions) {
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
    this.chars = o.files ? wflagChars(o.files) : 0;
    this.gTime = this.now();
    this.cur = this.openFile(makeFilename(o.base, 0, o.sizeLimit ? this.chars : 0, o.seconds ? this.gTime : undefined));
  }

  get path(): string {
    return this.cur.path;
  }
  get packets(): number {
    return this.donePackets + this.cur.packets;
  }
  get savedPackets(): number {
    return this.doneSaved + this.cur.savedPackets;
  }
  get bytes(): number {
    return this.doneBytes + this.cur.bytes;
  }

  private openFile(path: string): CaptureWriter {
    const w = this.o.open(path);
    this.opened.push(path);
    return w;
  }

  /**
   * Closes the current file (it is complete on disk) and opens `path`. When that fails (the directory is
   * gone, the disk is full), the error names `path` and the writer stays closed.
   */
  private next(path: string): void {
    const c = this.cur;
    this.cur = closedWriter(c.path);
    c.close();
    this.donePackets += c.packets;
    this.doneSaved += c.savedPackets;
    this.doneBytes += c.bytes;
    try {
      this.cur = this.openFile(path);
    } catch (e) {
      this.cur = closedWriter(path);
      throw Object.assign(e as Error, { path });
    }
  }

  /** tcpdump's checks before writing a packet: time first, then size. */
  private beforePacket(): void {
    const { seconds, sizeLimit, files } = this.o;
    if (seconds) {
      const t = this.now();
      if (t - this.gTime >= seconds) {
        this.gTime = t;
        this.gCount++;
        if (!sizeLimit && files && this.gCount >= files) {
          this.cur.close();
          throw new RotationLimit(files);
        }
        this.cCount = 0;
        this.next(makeFilename(this.o.base, 0, sizeLimit ? this.chars : 0, this.gTime));
      }
    }
    if (sizeLimit && this.cur.bytes > sizeLimit) {
      this.cCount++;
      if (files && this.cCount >= files) this.cCount = 0;
      this.next(makeFilename(this.o.base, this.cCount, this.chars, seconds ? this.gTime : undefined));
    }
  }

  writePacket(b: PacketBatch, i: number, comment?: string): void {
    this.beforePacket();
    this.cur.writePacket(b, i, comment);
  }

  writeBatch(b: PacketBatch, from: number, to: number): void {
    const limit = this.o.sizeLimit;
    if (this.o.format !== "pcap" || !limit) {
      // -G alone: the clock is read once per batch (a batch is one moment); pcapng: packet by packet.
      if (!limit) {
        if (to > from) this.beforePacket();
        this.cur.writeBatch(b, from, to);
        return;
      }
      for (let i = from; i < to; i++) this.writePacket(b, i);
      return;
    }
    let i = from;
    while (i < to) {
      this.beforePacket();
      // The run that fits: packets are written while the file holds at most `limit` bytes before each.
      let bytes = this.cur.bytes;
      let j = i;
      do {
        bytes += 16 + b.caplen[j];
        j++;
      } while (j < to && bytes <= limit);
      this.cur.writeBatch(b, i, j);
      i = j;
    }
  }

  flush(): void {
    this.cur.flush();
  }

  close(): void {
    this.cur.close();
  }
}
