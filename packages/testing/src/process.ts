/*
 * Internal: spawning, tracking and stopping service processes, plus free-port helpers.
 * Only `runningServiceProcesses` (and its result type) is part of the public API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ServiceStartError } from './errors.js';

/** A process started by this harness that is still alive. */
export interface RunningServiceProcess {
  /** Operating-system process id. */
  readonly pid: number;
  /** Service it belongs to, e.g. `redis` or `docker`. */
  readonly service: string;
  /** Executable path. */
  readonly command: string;
}

interface Tracked {
  readonly pid: number;
  readonly service: string;
  readonly command: string;
}

const tracked = new Set<Tracked>();
const hasProcFs = existsSync('/proc/self/stat');
/**
 * util-linux's `setpriv` (always installed on Debian): `setpriv --pdeathsig TERM -- cmd` sets the kernel's
 * parent-death signal and execs `cmd` in place (same pid), so a service gets SIGTERM when the test process dies —
 * even by SIGKILL, which no exit hook survives.
 */
const SETPRIV = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;
let exitHookInstalled = false;

/** Last resort: if the test process exits without disposing, take the services down with it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const t of tracked) {
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Processes started by the harness (in this test process) that are still alive: service processes and the
 * helpers they spawn that the harness knows about (e.g. dockerd's containerd). Empty once every service has
 * been disposed — use it to assert that a test leaks nothing.
 *
 * @example
 * ```ts
 * import { runningServiceProcesses, startRedis } from '@flowlane/testing';
 * import { expect, it } from 'vitest';
 *
 * it('leaves no service process behind', async () => {
 *   const redis = await startRedis();
 *   await redis.dispose();
 *   expect(runningServiceProcesses()).toEqual([]);
 * });
 * ```
 */
export function runningServiceProcesses(): RunningServiceProcess[] {
  const alive: RunningServiceProcess[] = [];
  for (const t of tracked) {
    if (isProcessAlive(t.pid)) alive.push({ pid: t.pid, service: t.service, command: t.command });
    else tracked.delete(t);
  }
  return alive;
}

/** `true` while `pid` exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!hasProcFs) return true;
  const state = readProcStat(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function readProcStat(pid: number): { state: string; ppid: number; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …" — comm may contain spaces and parentheses. starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * Identifies a live process across pid reuse: `"<pid> <start time in clock ticks since boot>"`, or `undefined` when
 * the process is gone (or a zombie) or there is no /proc.
 */
export function processIdentity(pid: number): string | undefined {
  const stat = hasProcFs ? readProcStat(pid) : undefined;
  return stat === undefined || stat.state === 'Z' || stat.state === 'X' ? undefined : `${pid} ${stat.startTime}`;
}

function readProcTable(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  if (!hasProcFs) return children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  return children;
}

/** Descendants of `pid` by generation: `[children, grandchildren, …]`. Empty where /proc is missing. */
function descendantLevels(pid: number): number[][] {
  const children = readProcTable();
  const levels: number[][] = [];
  for (let level = children.get(pid) ?? []; level.length > 0; level = level.flatMap((p) => children.get(p) ?? [])) {
    levels.push(level);
  }
  return levels;
}

/** Live processes whose command line contains `text` (e.g. a service's private directory). */
export function processesMentioning(text: string): number[] {
  if (!hasProcFs) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) && isProcessAlive(Number(entry))) {
        found.push(Number(entry));
      }
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Registers a process the harness did not spawn itself (e.g. a daemon's helper) so leak checks see it. */
export function adoptProcess(service: string, pid: number, command: string): void {
  installExitHook();
  tracked.add({ pid, service, command });
}

/** Resolves `true` if `promise` settles within `ms`, `false` otherwise; the timer is always cleared. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls (these are not our children: no exit event exists) until `done()` or `ms` passed. */
async function pollUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Sends SIGTERM to processes that are not our children, then SIGKILL after `graceMs`, and waits for them. */
async function terminatePids(pids: readonly number[], graceMs: number): Promise<void> {
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  const allDead = () => pids.every((pid) => !isProcessAlive(pid));
  if (allDead()) return;
  signalAll('SIGTERM');
  await pollUntil(allDead, graceMs);
  if (allDead()) return;
  signalAll('SIGKILL');
  await pollUntil(allDead, 2000);
}

/**
 * Stops `roots` and everything below them, deepest generation first, so that each process dies while its parent
 * can still reap it (an orphan would be left for PID 1 to reap).
 */
export async function terminateTrees(roots: readonly number[], graceMs: number): Promise<void> {
  const levels = [roots.filter(isProcessAlive), ...roots.flatMap(descendantLevels)];
  for (const level of levels.reverse()) {
    await terminatePids(level, graceMs);
    await pollUntil(() => level.every((pid) => !existsSync(`/proc/${pid}`)), 500);
  }
}

const OUTPUT_LIMIT = 16 * 1024;
const OUTPUT_LINES = 40;

/** A running service process: tracked, output tail kept, stoppable. */
export class ServiceProcess {
  readonly pid: number;
  /** Resolves once the process has exited and its stdio is closed. */
  readonly exited: Promise<void>;
  #child: ChildProcess;
  #output = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly service: string,
    readonly command: string,
    child: ChildProcess,
    pid: number,
  ) {
    this.#child = child;
    this.pid = pid;
    const entry: Tracked = { pid, service, command };
    tracked.add(entry);
    const append = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise<void>((resolve) => {
      let stdioTimer: NodeJS.Timeout | undefined;
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        tracked.delete(entry);
        // A grandchild may still hold the pipes open: give them a moment to drain, then close our ends.
        stdioTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, 500);
      });
      child.once('close', () => {
        clearTimeout(stdioTimer);
        resolve();
      });
    });
  }

  /**
   * Spawns `command` (never detached, stdin ignored, stdout/stderr captured) and tracks it until it exits. On Linux
   * it is started through `setpriv --pdeathsig TERM`, so it stops when this process dies however it dies.
   * Rejects with {@link ServiceStartError} if the executable cannot be spawned.
   */
  static async spawn(
    service: string,
    command: string,
    args: readonly string[],
    options: { cwd?: string | undefined; env?: NodeJS.ProcessEnv | undefined } = {},
  ): Promise<ServiceProcess> {
    installExitHook();
    const [file, argv] =
      SETPRIV === undefined ? [command, args] : [SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args]];
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: false,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        child.off('spawn', onSpawn);
        reject(new ServiceStartError(service, `could not spawn ${command} (${err.message})`, '', { cause: err }));
      };
      const onSpawn = () => {
        child.off('error', onError);
        resolve();
      };
      child.once('error', onError);
      child.once('spawn', onSpawn);
    });
    return new ServiceProcess(service, command, child, child.pid!);
  }

  /** Exit code and signal once exited, else `undefined`. */
  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  /** Human-readable exit status, e.g. `code 1` or `signal SIGKILL`. */
  describeExit(): string {
    if (!this.#exit) return 'still running';
    return this.#exit.signal ? `signal ${this.#exit.signal}` : `code ${this.#exit.code}`;
  }

  /** The last lines the process wrote to stdout and stderr. */
  output(): string {
    return this.#output.split('\n').slice(-OUTPUT_LINES).join('\n').trimEnd();
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`; waits for the exit. Descendants that outlive the process (e.g. dockerd's
   * containerd) get the same treatment. With `childrenFirst` the descendants are stopped first, while the process
   * can still reap them (sshd sessions would otherwise linger as orphans). Safe to call repeatedly.
   */
  async stop(graceMs = 5000, options: { childrenFirst?: boolean | undefined } = {}): Promise<void> {
    if (!this.#exit && options.childrenFirst) {
      await terminateTrees(descendantLevels(this.pid)[0] ?? [], graceMs);
    }
    const leftovers = this.#exit ? [] : descendantLevels(this.pid).flat();
    if (!this.#exit) {
      this.#child.kill('SIGTERM');
      if (!(await settlesWithin(this.exited, graceMs))) this.#child.kill('SIGKILL');
    }
    await this.exited;
    await terminateTrees(leftovers.filter(isProcessAlive), graceMs);
  }
}

/**
 * A TCP port on `host` that was free a moment ago (bind to port 0, read it, close). Another process may take it
 * before the service binds it — see {@link withFreePort}.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

const ADDRESS_IN_USE = /address already in use|EADDRINUSE/i;

/** Runs `start(port)` with a free port, retrying with a new port when the service reports the address taken. */
export async function withFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      return await start(port);
    } catch (err) {
      const inUse = err instanceof ServiceStartError && ADDRESS_IN_USE.test(err.output);
      if (!inUse || attempt >= attempts) throw err;
    }
  }
}
