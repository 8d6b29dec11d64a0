/**
 * Command-line parsing with tcpdump's flags and meanings: short options may be combined (-nnvX), take their
 * argument attached or separately (-c5, -c 5), repeat to count (-vvv, -ttt, -XX), and everything after the
 * options is the filter expression, joined with spaces.
 */

import { isCommand, parseProcOption, type ProcCliOptions } from "./proc-options.js";

export type TimeFormat = "default" | "none" | "epoch" | "delta" | "date" | "since-first";
export type OutputFormat = "text" | "json" | "fields";

export interface CliOptions extends ProcCliOptions {
  interfaces: string[];
  listInterfaces: boolean;
  listDatalinks: boolean;
  count?: number;
  writeFile?: string;
  readFile?: string;
  snaplen: number;
  promisc: boolean;
  bufferKiB?: number;
  numeric: number; // -n count
  linkHeader: boolean; // -e
  packetNumber: boolean; // -#, --number
  quiet: boolean; // -q
  timeFormat: TimeFormat;
  hex: number; // -x count
  hexAscii: number; // -X count
  ascii: boolean | number; // -A (1), -AA (2)
  verbose: number; // -v count
  detail: boolean; // -V
  lineBuffered: boolean; // -l
  packetBuffered: boolean; // -U
  dumpLevel: number; // -d count
  filterFile?: string; // -F
  direction?: "in" | "out" | "inout"; // -Q
  immediate: boolean;
  nano: boolean; // --time-stamp-precision=nano
  noOptimize: boolean; // -O
  datalink?: string; // -y
  print: boolean; // --print: print packets even with -w
  format: OutputFormat; // -T
  fields: string[]; // -e with -T fields
  displayFilter?: string; // -Y
  tui: boolean;
  scripts: string[];
  version: boolean;
  help: boolean;
  filter: string;
  /** TLS key log files (--keylog FILE, -o tls.keylog_file:FILE) */
  keylogs?: string[];
  /** seconds to capture, then stop (--duration) */
  duration?: number;
  /** write pcapng (--pcapng; also a -w name ending in .pcapng) */
  pcapng: boolean;
  /** -C: rotate -w files after this many bytes (given in millions of bytes) */
  fileSize?: number;
  /** -G: rotate -w files every this many seconds */
  rotateSeconds?: number;
  /** -W: number of files (a ring with -C; a limit with -G) */
  fileCount?: number;
  /** -Z: the user to become once the capture is open */
  user?: string;
  /** flight recorder: keep the last N seconds / N MB in memory (--ring-seconds, --ring-mb) */
  ringSeconds?: number;
  ringMB?: number;
  /** flight recorder: a display filter that saves the window (--trigger) */
  trigger?: string;
  /** flight recorder: seconds kept after a trigger (--after) */
  after?: number;
  /** --stop-on-down: an interface going down ends the capture (by default tsniff waits for it to come back) */
  stopOnDown: boolean;
  /** --reassembly: TCP reassembly in the detail outputs; --reassembly-mem MB: on, with this memory cap; --no-reassembly: off (the default) */
  reassembly?: boolean;
  noReassembly?: boolean;
  reassemblyMB?: number;
  /** remote capture (-i ssh://...): --ssh-option OPT (repeatable), --sudo, --remote-tool tcpdump|tsniff */
  sshOptions?: string[];
  sudo?: boolean;
  remoteTool?: "tcpdump" | "tsniff";
  /** -2: a first pass over the file for tcp.reassembled_in (tshark -2) */
  twoPass?: boolean;
}

export class UsageError extends Error {}

const WITH_ARG = new Set(["i", "c", "w", "r", "s", "B", "F", "Q", "y", "T", "Y", "E", "C", "G", "W", "Z", "o"]);
// -e is a flag (link header) except after -T fields, where tshark uses it for field names: see below.

export function defaultOptions(): CliOptions {
  return {
    interfaces: [],
    listInterfaces: false,
    listDatalinks: false,
    snaplen: 262144,
    promisc: true,
    numeric: 0,
    linkHeader: false,
    packetNumber: false,
    quiet: false,
    timeFormat: "default",
    hex: 0,
    hexAscii: 0,
    ascii: false,
    verbose: 0,
    detail: false,
    lineBuffered: false,
    packetBuffered: false,
    dumpLevel: 0,
    immediate: false,
    nano: false,
    noOptimize: false,
    print: false,
    format: "text",
    fields: [],
    tui: false,
    scripts: [],
    version: false,
    help: false,
    filter: "",
    pcapng: false,
    stopOnDown: false,
  };
}

function parseCount(flag: string, v: string, min = 1): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid ${flag} value '${v}': expected a whole number`);
  const n = Number(v);
  if (n < min) throw new UsageError(`invalid ${flag} value '${v}': must be at least ${min}`);
  return n;
}

/** -B in KiB: libpcap takes the size in bytes as an int, so 2 GiB and more is refused (as tcpdump does). */
function parseBufferKiB(flag: string, v: string): number {
  const n = parseCount(flag, v);
  if (n * 1024 > 0x7fffffff) throw new UsageError(`invalid ${flag} value '${v}': the buffer must be smaller than 2 GiB (at most 2097151 KiB)`);
  return n;
}

export function parseArgs(argv: string[]): CliOptions {
  const o = defaultOptions();
  const rest: string[] = [];
  let tCount = 0;
  let i = 0;
  const need = (flag: string): string => {
    if (i + 1 >= argv.length) throw new UsageError(`option ${flag} requires an argument`);
    return argv[++i];
  };
  const applyShort = (c: string, val: string | undefined) => {
    switch (c) {
      case "o": {
        // tshark's preference option: only the TLS key log is known
        const m = /^(?:tls|ssl)\.keylog_file:(.+)$/.exec(val!);
        if (!m) throw new UsageError(`unknown preference '${val}' (-o takes tls.keylog_file:FILE)`);
        (o.keylogs ??= []).push(m[1]);
        break;
      }
      case "i":
        o.interfaces.push(val!);
        break;
      case "c":
        o.count = parseCount("-c", val!);
        break;
      case "w":
        o.writeFile = val!;
        break;
      case "r":
        o.readFile = val!;
        break;
      case "s": {
        const n = parseCount("-s", val!, 0);
        o.snaplen = n === 0 ? 262144 : n;
        break;
      }
      case "B":
        o.bufferKiB = parseBufferKiB("-B", val!);
        break;
      case "F":
        o.filterFile = val!;
        break;
      case "Q":
        if (val !== "in" && val !== "out" && val !== "inout") throw new UsageError(`-Q takes in, out or inout, not '${val}'`);
        o.direction = val;
        break;
      case "y":
        o.datalink = val!;
        break;
      case "T":
        if (val === "json" || val === "ek") o.format = "json";
        else if (val === "fields") o.format = "fields";
        else if (val === "text") o.format = "text";
        else throw new UsageError(`-T takes json, fields or text, not '${val}'`);
        break;
      case "E":
        // tshark's -E field options are accepted and ignored for now (tab-separated output).
        break;
      case "Y":
        o.displayFilter = val!;
        break;
      case "C": {
        // tcpdump: millions of bytes; k/m/g suffixes are KiB/MiB/GiB (tcpdump 4.99.4+)
        const m = /^(\d+)([kmg]?)$/i.exec(val!);
        if (!m || Number(m[1]) <= 0) throw new UsageError(`invalid file size ${val}`);
        const unit = { "": 1_000_000, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
        o.fileSize = Number(m[1]) * unit;
        break;
      }
      case "G":
        o.rotateSeconds = parseCount("-G", val!);
        break;
      case "W":
        o.fileCount = parseCount("-W", val!);
        break;
      case "Z":
        o.user = val!;
        break;
      case "D":
        o.listInterfaces = true;
        break;
      case "L":
        o.listDatalinks = true;
        break;
      case "p":
        o.promisc = false;
        break;
      case "n":
        o.numeric++;
        break;
      case "e":
        o.linkHeader = true;
        break;
      case "q":
        o.quiet = true;
        break;
      case "#":
        o.packetNumber = true;
        break;
      case "t":
        tCount++;
        break;
      case "x":
        o.hex++;
        break;
      case "X":
        o.hexAscii++;
        break;
      case "A":
        o.ascii = Number(o.ascii) + 1;
        break;
      case "v":
        o.verbose++;
        break;
      case "V":
        o.detail = true;
        break;
      case "l":
        o.lineBuffered = true;
        break;
      case "U":
        o.packetBuffered = true;
        break;
      case "d":
        o.dumpLevel++;
        break;
      case "O":
        o.noOptimize = true;
        break;
      case "h":
        o.help = true;
        break;
      case "2":
        o.twoPass = true;
        break;
      default:
        throw new UsageError(`unknown option -${c}`);
    }
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      // `-- cmd args` runs a command and captures its traffic; otherwise the rest is the filter (tcpdump's `--`)
      if (isCommand(argv.slice(i + 1))) o.command = argv.slice(i + 1);
      else rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      const val = () => inline ?? need(`--${name}`);
      switch (name) {
        case "interface":
          o.interfaces.push(val());
          break;
        case "list-interfaces":
          o.listInterfaces = true;
          break;
        case "list-data-link-types":
          o.listDatalinks = true;
          break;
        case "immediate-mode":
          o.immediate = true;
          break;
        case "time-stamp-precision": {
          const v = val();
          if (v !== "micro" && v !== "nano") throw new UsageError(`--time-stamp-precision takes micro or nano, not '${v}'`);
          o.nano = v === "nano";
          break;
        }
        case "nano":
          o.nano = true;
          break;
        case "no-promiscuous-mode":
          o.promisc = false;
          break;
        case "packet-buffered":
          o.packetBuffered = true;
          break;
        case "buffer-size":
          o.bufferKiB = parseBufferKiB("--buffer-size", val());
          break;
        case "snapshot-length":
          o.snaplen = parseCount("--snapshot-length", val(), 0) || 262144;
          break;
        case "direction": {
          const v = val();
          if (v !== "in" && v !== "out" && v !== "inout") throw new UsageError(`--direction takes in, out or inout, not '${v}'`);
          o.direction = v;
          break;
        }
        case "linktype":
          o.datalink = val();
          break;
        case "number":
          o.packetNumber = true;
          break;
        case "print":
          o.print = true;
          break;
        case "duration": {
          const v = Number(val());
          if (!(v > 0)) throw new UsageError("--duration takes a positive number of seconds");
          o.duration = v;
          break;
        }
        case "tui":
          o.tui = true;
          break;
        case "pcapng":
          o.pcapng = true;
          break;
        case "stop-on-down":
          o.stopOnDown = true;
          break;
        case "ssh-option":
          (o.sshOptions ??= []).push(val());
          break;
        case "sudo":
          o.sudo = true;
          break;
        case "remote-tool": {
          const v = val();
          if (v !== "tcpdump" && v !== "tsniff") throw new UsageError(`--remote-tool takes tcpdump or tsniff, not '${v}'`);
          o.remoteTool = v;
          break;
        }
        case "no-reassembly":
          o.noReassembly = true;
          break;
        case "reassembly":
          o.reassembly = true;
          break;
        case "reassembly-mem": {
          const v = Number(val());
          if (!(v > 0) || !Number.isFinite(v)) throw new UsageError("--reassembly-mem takes a positive number of megabytes");
          o.reassemblyMB = v;
          break;
        }
        case "relinquish-privileges":
          o.user = val();
          break;
        case "ring-seconds":
        case "ring-mb":
        case "after": {
          const v = Number(val());
          if (!(v > 0) || !Number.isFinite(v)) throw new UsageError(`--${name} takes a positive number`);
          if (name === "ring-seconds") o.ringSeconds = v;
          else if (name === "ring-mb") o.ringMB = v;
          else o.after = v;
          break;
        }
        case "trigger":
          o.trigger = val();
          break;
        case "script":
          o.scripts.push(val());
          break;
        case "keylog":
          (o.keylogs ??= []).push(val());
          break;
        case "version":
          o.version = true;
          break;
        case "help":
          o.help = true;
          break;
        default:
          if (parseProcOption(o, name, val, UsageError)) break;
          throw new UsageError(`unknown option --${name}`);
      }
      continue;
    }
    if (a.length > 1 && a[0] === "-" && a !== "-") {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        // After -T fields, -e names a field as in tshark.
        if (c === "e" && o.format === "fields" && j === a.length - 1 && j === 1) {
          o.fields.push(need("-e"));
          break;
        }
        if (WITH_ARG.has(c)) {
          const attached = a.slice(j + 1);
          applyShort(c, attached.length ? attached : need(`-${c}`));
          break;
        }
        applyShort(c, undefined);
      }
      continue;
    }
    rest.push(a);
  }
  o.timeFormat = (["default", "none", "epoch", "delta", "date", "since-first"] as const)[Math.min(tCount, 5)];
  o.filter = rest.join(" ");
  if (o.format === "fields" && o.fields.length === 0 && !o.help) throw new UsageError("-T fields needs at least one -e FIELD");
  if ((o.fileSize || o.rotateSeconds) && !o.writeFile) throw new UsageError("-C and -G need -w FILE");
  if (o.fileCount && !o.fileSize && !o.rotateSeconds) throw new UsageError("-W needs -C or -G");
  if ((o.trigger || o.after) && !o.ringSeconds && !o.ringMB) throw new UsageError("--trigger and --after need --ring-seconds or --ring-mb");
  if ((o.ringSeconds || o.ringMB) && !o.writeFile) throw new UsageError("--ring-seconds/--ring-mb need -w FILE (where a triggered window is saved)");
  if ((o.ringSeconds || o.ringMB) && (o.fileSize || o.rotateSeconds)) throw new UsageError("--ring-seconds/--ring-mb do not combine with -C/-G");
  return o;
}

export const USAGE = `Usage: tsniff [-AdDehlLnOpqStuUvVxX] [-B size] [-c count] [-F file] [-i interface]
              [-Q in|out|inout] [-r file] [-s snaplen] [-T json|fields [-e field]...]
              [-w file] [-y datalinktype] [-Y display-filter] [--immediate-mode]
              [--time-stamp-precision=micro|nano] [--print] [--duration seconds]
              [-C size] [-G seconds] [-W files] [-Z user] [--pcapng] [--stop-on-down]
              [--ring-seconds N] [--ring-mb N] [--trigger filter] [--after N]
              [--tui] [--script module] [--version] [ expression ]
              [--proc] [--pid N[,N]] [--follow-forks] [--pname NAME] [--uid UID]
              [--container ID] [--proc-engine ebpf|proc] [--proc-window MS] [-- cmd args]

  -i IF      capture on interface IF (default: the first up, non-loopback one; "any" for all);
             several -i: all of them, merged in time order (pcapng -w: one interface block each)
  --stop-on-down  stop when an interface goes down (default: wait for it to come back, then go on);
             with remote sources, stop all when one host fails (default: the others go on)
  -i ssh://[user@]host[:port]/IF  capture on IF of another host through the system's ssh (its config,
             agent and known_hosts; never prompts), mixed freely with local -i, merged by time; runs
             tsniff there if installed, else tcpdump; the filter is applied remotely and the ssh
             connection itself excluded (docs/REMOTE.md)
  --ssh-option OPT  pass -o OPT to ssh (repeatable; "-F FILE", "-i KEY", "-J HOST" pass as they are)
  --sudo     run the remote capture with sudo -n when not root there
  --remote-tool tcpdump|tsniff  which remote program to run (default: tsniff when found, else tcpdump)
  --no-reassembly  no TCP reassembly in -V, -T json/fields and -Y (on by default: DNS over TCP, TLS
             records and HTTP bodies across segments dissected on the frame that completes them; the
             one-line output never reassembles: tcpdump's lines)
  -2         with -r FILE: read the file twice, as tshark -2, so that tcp.reassembled_in is on the
             segments of a PDU completed by a later frame
  --reassembly-mem MB  its memory (default 256; the connection idle longest is evicted past it, counted
             in the summary)
  -D         list interfaces                -L  list data link types of the interface
  -r FILE    read a pcap or pcapng file ("-" for stdin)
  -w FILE    write packets to a pcap file ("-" for stdout; FILE.pcapng or --pcapng: pcapng)
  -C MB      start a new -w file after MB million bytes (FILE, FILE1, FILE2, ...)
  -G SEC     start a new -w file every SEC seconds (FILE is a strftime pattern)
  -W N       with -C: a ring of N files; with -G: stop after N files
  -Z USER    drop root privileges to USER once the capture is open
  --ring-seconds N | --ring-mb N   flight recorder: keep the last N seconds / MB in memory, and
             save them to -w (pcapng) on --trigger 'DISPLAY FILTER' or SIGUSR1, with --after N more seconds
  -c N       stop after N packets           -s N  snapshot length (default 262144)
  -p         no promiscuous mode            -B KiB  kernel buffer size
  -n         no name resolution (tsniff never resolves names; accepted for habit)
  -e         print link-level headers       -q  quiet (less protocol detail)
  -t -tt -ttt -tttt -ttttt   time formats as in tcpdump
  -x -xx -X -XX -A -AA       hex / hex+ASCII / ASCII of each packet (doubled: with the link header)
  -#, --number               print a packet number before each line
  -v -vv -vvv  more detail     -V  full detail tree (like tshark -V)
  -T json    one JSON document per packet (NDJSON)
  -T fields -e ip.src -e tcp.dstport   tab-separated field values
  -Y EXPR    display filter over dissected fields (Wireshark syntax)
  -l         line-buffered output           -U  flush -w output after every packet
  -d -dd -ddd  print the compiled BPF program (as tcpdump does) and exit
  -F FILE    read the filter expression from FILE
  -Q DIR     capture direction: in, out or inout
  -O         do not optimise the BPF program
  --tui      full-screen packet browser (-r FILE, or live: several -i, ssh:// too, with a Host column)
  --script M load a plugin module (onStart/onPacket/onStop)
  --keylog FILE  decrypt TLS with an SSLKEYLOGFILE key log (also -o tls.keylog_file:FILE): decrypted
             HTTP and HTTP/2 in -V, -T json/fields and -Y (docs/TLS.md); with -w x.pcapng the key log
             (and what is appended to it while capturing) goes into the file, which then decrypts by itself;
             -x/-X add each decrypted record's bytes ("Decrypted TLS" blocks, as tshark -x)
  expression a libpcap filter, e.g. "src host 10.0.0.1 && dst port 80"
Processes (docs/PROCESS.md; needs root):
  --proc     show each packet's process after its line (curl.4127; -v: its arguments and container)
             and the proc.* fields (-T json/fields, -Y 'proc.comm == "curl"', pcapng packet comments)
  --pid N[,N]  only these processes' packets   --follow-forks  and their children's
  --pname NAME  only processes named NAME      --uid UID  only processes of this user (id or name)
  --container ID  only this container's packets (docker/containerd/cri-o/podman id or prefix, or a pod uid)
  --proc-engine ebpf|proc  force an attribution engine (default: eBPF, /proc when eBPF cannot load)
  --proc-window MS  hold packets of a flow not attributed yet this long (default 100; 0: none)
             (with process options the kernel buffer, -B, is 8 MiB unless given: libpcap's default is 2 MiB)
  -- cmd args  run cmd once the capture is ready, capture only its traffic, exit with its status
`;
