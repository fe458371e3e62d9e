import type { MemoryFs } from './memory-fs.js';

/** What a built-in command may use. */
export interface Io {
  readonly stdin: Uint8Array;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly fs: MemoryFs;
  /** Aborted when the command is stopped (timeout, abort, kill, dispose). */
  readonly signal: AbortSignal;
  /** Writes to the statement's stdout (stderr after `>&2`). */
  out(data: string): void;
  err(data: string): void;
}

/** A built-in command: resolves to its exit code. */
export type Builtin = (args: readonly string[], io: Io) => number | Promise<number>;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

const FILL_CHUNK = 64 * 1024;

/**
 * The commands the echo executor knows. `exit CODE` is handled by the interpreter (it ends the script); any other
 * name exits 127 with `name: command not found` on stderr, as a shell would.
 */
export const BUILTINS: Readonly<Record<string, Builtin>> = {
  true: () => 0,
  false: () => 1,
  /** Writes its arguments separated by spaces, then a newline. */
  echo: (args, io) => {
    io.out(`${args.join(' ')}\n`);
    return 0;
  },
  /** Copies stdin, or the named files of the in-memory file system, to stdout. */
  cat: (args, io) => {
    if (args.length === 0) {
      io.out(new TextDecoder().decode(io.stdin));
      return 0;
    }
    for (const path of args) {
      const data = io.fs.read(path.startsWith('/') ? path : `${io.cwd}/${path}`);
      if (data === undefined) {
        io.err(`cat: ${path}: No such file or directory\n`);
        return 1;
      }
      io.out(new TextDecoder().decode(data));
    }
    return 0;
  },
  /** Writes stdin to a file of the in-memory file system. */
  write: (args, io) => {
    const path = args[0];
    if (path === undefined) {
      io.err('write: missing path\n');
      return 2;
    }
    io.fs.write(path.startsWith('/') ? path : `${io.cwd}/${path}`, io.stdin);
    return 0;
  },
  printenv: (args, io) => {
    const value = args[0] === undefined ? undefined : io.env[args[0]];
    if (value === undefined) return 1;
    io.out(`${value}\n`);
    return 0;
  },
  pwd: (_args, io) => {
    io.out(`${io.cwd}\n`);
    return 0;
  },
  /** Waits `seconds` (fractions allowed); stopping the command ends the wait at once. */
  sleep: async (args, io) => {
    const seconds = Number(args[0]);
    if (!Number.isFinite(seconds) || seconds < 0) {
      io.err(`sleep: invalid time interval '${args[0] ?? ''}'\n`);
      return 1;
    }
    await sleep(seconds * 1000, io.signal);
    return 0;
  },
  /** Writes `bytes` bytes of `x` in 64 KiB chunks, yielding between chunks. */
  fill: async (args, io) => {
    let left = Number(args[0] ?? 0);
    while (left > 0 && !io.signal.aborted) {
      const n = Math.min(left, FILL_CHUNK);
      io.out('x'.repeat(n));
      left -= n;
      await new Promise((r) => setImmediate(r));
    }
    return 0;
  },
};
