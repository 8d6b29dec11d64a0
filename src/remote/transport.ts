/**
 * The remote-capture transport: a launcher starts, somewhere else, a POSIX shell script (REMOTE_SCRIPT)
 * whose standard output is the pcap stream of a capture and whose standard error carries messages, and
 * whose standard input is a control channel: three clock pings, then a line (or end of file) that stops the
 * capture. Everything else (reading the stream, the clock estimate, the summary, the causes of failures)
 * is the same whatever the launcher: ssh today (ssh.ts); a `kubectl debug` launcher for pods would only
 * implement `launch` (docs/REMOTE.md).
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";

export interface Launcher {
  /** the transport's name for messages: "ssh" */
  readonly kind: string;
  /**
   * Starts `sh -c SCRIPT tsniff-remote ARGS...` on the other side. The child's stdout is the remote
   * script's, its stderr the remote script's and the transport's own messages, its stdin the remote
   * script's. The child must be in its own process group (a Ctrl-C on the terminal is tsniff's to handle:
   * the remote capture is stopped through stdin, so what it captured until then still arrives).
   */
  launch(script: string, args: string[]): ChildProcessWithoutNullStreams;
  /** true when a stderr line is the transport's own (not the remote script's): noise to drop, or a cause */
  isNoise?(line: string): boolean;
}

/** Remote script's messages on stderr start with this. */
export const MARK = "@tsniff: ";

/**
 * Runs on the remote host as `sh -c REMOTE_SCRIPT tsniff-remote IFACE FILTER SUDO TOOL`.
 *
 * - The capture filter is the user's, and-ed with an exclusion of the ssh connection itself (from
 *   $SSH_CONNECTION: client address and port, server address and port, as Wireshark's sshdump does), and is
 *   compiled by the remote tcpdump/tsniff (the remote kernel filters).
 * - tsniff when it is on the PATH, else tcpdump (also looked for in the sbin directories, which a non-root
 *   PATH lacks), with `sudo -n` when asked and not root. TOOL "tcpdump" or "tsniff" forces one.
 * - tsniff runs with --immediate-mode (it reads batches either way); tcpdump without it: woken for every
 *   packet, it lost most of a 60k packets/s flood on a busy machine, so its packets leave the host up to
 *   libpcap's 1 s buffer timeout after they were stamped (the merge's window covers it).
 * - Both write with -U: the stream is flushed after each packet (tcpdump) or batch (tsniff). Under a flood
 *   tcpdump's writes fill the pipe faster than ssh drains it, so ssh still reads and sends many packets at a
 *   time. (An earlier design let tcpdump's output buffer and sent it SIGUSR2 every 0.2 s to flush: tcpdump
 *   flushes from its signal handler, and a signal arriving while it is blocked writing to a full pipe writes
 *   the buffer twice: a damaged stream, a flood cut short.)
 * - Clock: three times, it reads a line and answers with its clock in nanoseconds (the local side times the
 *   round trip).
 * - The capture runs in the background (stdin /dev/null); the shell waits on its stdin: a line or end of file
 *   (tsniff stopping, or the connection gone: sshd closes the channel) signals the whole process group, so no
 *   capture outlives the session even when no packet comes to make its write fail. When the capture ends by
 *   itself (an error), the shell is ended too, so the channel closes.
 * - The stop line signals the capture at once: the local side sends it only once the remote tool has
 *   written what it captured before the stop (remote-source.ts, DRAIN_*): tcpdump, interrupted, leaves what
 *   its kernel buffer still holds unread, and interrupted while blocked writing to the pipe it loses the
 *   record it was writing; tsniff reads one more batch budget of its buffer, not a whole backlog.
 */
export const REMOTE_SCRIPT = `
i=$1 f=$2 s=$3 w=$4
x=
if [ -n "$SSH_CONNECTION" ]; then
  set -- $SSH_CONNECTION
  x="not (host $1 and host $3 and tcp port $2 and tcp port $4)"
fi
if [ -n "$f" ] && [ -n "$x" ]; then f="($f) and $x"; elif [ -n "$x" ]; then f=$x; fi
t=
if [ "$w" != tcpdump ] && command -v tsniff >/dev/null 2>&1; then t=tsniff
elif command -v tcpdump >/dev/null 2>&1; then t=tcpdump
else
  for d in /usr/sbin /sbin /usr/local/sbin /usr/bin; do [ -x "$d/tcpdump" ] && { t=$d/tcpdump; break; }; done
fi
if [ "$w" = tsniff ] && [ "$t" != tsniff ]; then
  echo "${MARK}error tsniff is not installed (or not on the PATH) on the remote host (--remote-tool tsniff)" >&2; exit 127
fi
if [ -z "$t" ]; then
  echo "${MARK}error neither tsniff nor tcpdump is installed (or on the PATH) on the remote host" >&2; exit 127
fi
m=
case $t in tsniff) m=--immediate-mode ;; esac
p=
if [ "$s" = 1 ] && [ "$(id -u)" != 0 ]; then p="sudo -n"; fi
echo "${MARK}tool $p $t" >&2
echo "${MARK}exclude $x" >&2
echo "${MARK}ready" >&2
n=0
while [ $n -lt 3 ]; do
  read -r _ || exit 0
  echo "${MARK}clock $(date +%s%N 2>/dev/null)" >&2
  n=$((n+1))
done
if [ -n "$f" ]; then set -- "$f"; else set --; fi
(
  $p $t -i "$i" $m -U -w - "$@" </dev/null &
  c=$!
  wait $c
  echo "${MARK}exit $?" >&2
  kill -TERM $$ 2>/dev/null
) &
read -r _
trap : TERM
kill -TERM 0 2>/dev/null
wait
`;

/** Quotes a word for a POSIX shell. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
