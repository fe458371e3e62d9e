/* Internal: the script sent over an exec channel, and the parser that takes the remote PID back out of stdout. */
import { randomBytes } from 'node:crypto';
import { isEnvName, quoteShellArg } from './shell-quote.js';

/** What one command needs on the remote side. */
export interface RemoteCommandSpec {
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  readonly shell?: boolean | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
}

/** The script, and the marker its first stdout line carries. */
export interface RemoteCommand {
  readonly script: string;
  /** `<marker><pid>\n` is the first thing the script writes to stdout. */
  readonly marker: string;
}

/**
 * Builds the command line for sshd. sshd runs it with the login shell's `-c` as the leader of a new session and
 * process group, so the script first reports its PID (= the group id) on stdout, then changes directory, exports
 * the environment and `exec`s the program: the program keeps that PID, and `kill -TERM -PID` later reaches it and
 * every process it started. Every argument, value and path is single-quoted (see {@link quoteShellArg}); with
 * `shell: true` the command itself is the `sh -c` script and `args` become `$1…`.
 *
 * Throws a `TypeError` for an invalid environment variable name or a NUL byte.
 */
export function buildRemoteCommand(spec: RemoteCommandSpec): RemoteCommand {
  const marker = `flowlane-pid-${randomBytes(8).toString('hex')}:`;
  const parts = [`printf '%s%s\\n' ${marker} "$$"`];
  if (spec.cwd !== undefined) parts.push(`cd -- ${quoteShellArg(spec.cwd)}`);
  const env = Object.entries(spec.env ?? {});
  for (const [name] of env) if (!isEnvName(name)) throw new TypeError(`"${name}" is not a valid variable name`);
  if (env.length > 0) parts.push(`export ${env.map(([k, v]) => `${k}=${quoteShellArg(v)}`).join(' ')}`);
  const argv = spec.shell
    ? ['/bin/sh', '-c', spec.command, 'sh', ...(spec.args ?? [])]
    : [spec.command, ...(spec.args ?? [])];
  parts.push(`exec ${argv.map(quoteShellArg).join(' ')}`);
  // `printf` first on its own; the rest chained with && so a failing `cd` ends the command with its status.
  return { script: `${parts[0]}; ${parts.slice(1).join(' && ')}`, marker };
}

/** Longest output kept back while looking for the PID line (login scripts may print before it). */
const SCAN_LIMIT = 64 * 1024;

/**
 * Splits the PID line off a command's stdout. Feed every stdout chunk to `push`; it returns the bytes that are the
 * command's own output (possibly empty) and calls `onPid` once the line was seen.
 */
export class PidLineParser {
  #pending: Buffer | undefined = Buffer.alloc(0);
  readonly #marker: Buffer;
  readonly #onPid: (pid: number) => void;

  constructor(marker: string, onPid: (pid: number) => void) {
    this.#marker = Buffer.from(marker);
    this.#onPid = onPid;
  }

  /** Output bytes of `chunk` (with the PID line removed). */
  push(chunk: Buffer): Buffer {
    if (this.#pending === undefined) return chunk;
    const data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const at = data.indexOf(this.#marker);
    const eol = at === -1 ? -1 : data.indexOf(0x0a, at);
    if (eol !== -1) {
      this.#pending = undefined;
      const pid = Number.parseInt(data.subarray(at + this.#marker.length, eol).toString('latin1'), 10);
      if (Number.isSafeInteger(pid) && pid > 1) this.#onPid(pid);
      return Buffer.concat([data.subarray(0, at), data.subarray(eol + 1)]);
    }
    if (at === -1 && data.length > SCAN_LIMIT) {
      // Noise before the line: pass it on, keep a tail that may hold the start of the marker.
      const keep = this.#marker.length;
      this.#pending = Buffer.from(data.subarray(data.length - keep));
      return data.subarray(0, data.length - keep);
    }
    this.#pending = data;
    return Buffer.alloc(0);
  }

  /** Whatever is still held back (when the channel closes). */
  flush(): Buffer {
    const rest = this.#pending ?? Buffer.alloc(0);
    this.#pending = undefined;
    return rest;
  }
}

/**
 * The script that stops process groups: SIGTERM to each, up to `graceMs` for them to exit, then SIGKILL to the
 * survivors. It always exits 0.
 */
export function buildKillScript(pids: readonly number[], graceMs: number): string {
  const list = pids.map((p) => String(Math.trunc(p))).join(' ');
  const rounds = Math.max(0, Math.ceil(graceMs / 50));
  return [
    `for p in ${list}; do kill -TERM -$p 2>/dev/null; done`,
    `i=0; while [ $i -lt ${rounds} ]; do a=; for p in ${list}; do kill -0 -$p 2>/dev/null && a=1; done; [ -z "$a" ] && exit 0; sleep 0.05; i=$((i+1)); done`,
    `for p in ${list}; do kill -KILL -$p 2>/dev/null; done; exit 0`,
  ].join('\n');
}
