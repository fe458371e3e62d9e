import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Subject } from 'rxjs';
import { FlowlaneError } from '../errors.js';
import type { CopyResult, ExecHandle, ExecOptions, ExecResult, Executor, OutputChunk } from '../plugin/types.js';

/** Options of {@link createLocalExecutor}. */
export interface LocalExecutorOptions {
  /** Base environment (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Default working directory (default `process.cwd()`). */
  readonly cwd?: string | undefined;
  /** Time between SIGTERM and SIGKILL when a command is stopped, ms. Default 2000. */
  readonly killGraceMs?: number | undefined;
  /** Default output limit (stdout + stderr), bytes. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * The default executor: runs commands on this machine with `child_process.spawn` — argv by default, a shell only
 * with `shell: true` — in their own process group, so a timeout or abort kills the whole tree (SIGTERM, then
 * SIGKILL after a grace period). Artifacts are plain file copies.
 *
 * @example
 * ```ts
 * const local = createLocalExecutor();
 * const { stdout } = await local.exec('echo', { args: ['hello'] }).result;
 * ```
 */
export function createLocalExecutor(options: LocalExecutorOptions = {}): Executor {
  const live = new Set<ChildProcess>();
  const grace = options.killGraceMs ?? 2000;

  const killTree = (child: ChildProcess, signal: NodeJS.Signals): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };

  return {
    exec(command: string, opts: ExecOptions = {}): ExecHandle {
      const started = performance.now();
      const output$ = new Subject<OutputChunk>();
      const label = [command, ...(opts.args ?? [])].join(' ');
      let settle!: { resolve: (r: ExecResult) => void; reject: (e: unknown) => void };
      const result = new Promise<ExecResult>((resolve, reject) => {
        settle = { resolve, reject };
      });
      // Callers may only look at output$; keep an unobserved rejection from crashing the process.
      result.catch(() => undefined);
      const limit = opts.maxOutputBytes ?? options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
      let child: ChildProcess;
      try {
        const argv = opts.shell ? ['-c', command, 'sh', ...(opts.args ?? [])] : [...(opts.args ?? [])];
        child = spawn(opts.shell ? '/bin/sh' : command, argv, {
          cwd: opts.cwd ?? options.cwd,
          env: { ...(options.env ?? process.env), ...(opts.env ?? {}) },
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
      } catch (error) {
        settle.reject(
          new FlowlaneError(
            'FL_EXEC_FAILED',
            { command: label, exitCode: null, stderr: String(error) },
            { cause: error },
          ),
        );
        output$.complete();
        return { output$, result, kill: () => undefined };
      }
      live.add(child);
      let stdout = '';
      let stderr = '';
      let bytes = 0;
      let stopReason: FlowlaneError | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      let timeoutTimer: NodeJS.Timeout | undefined;

      const stop = (reason: FlowlaneError): void => {
        if (stopReason !== undefined) return;
        stopReason = reason;
        killTree(child, 'SIGTERM');
        killTimer = setTimeout(() => killTree(child, 'SIGKILL'), grace);
        killTimer.unref();
      };
      // A multi-byte character may be split across chunks: decode each stream with its own StringDecoder.
      const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
      const onData = (stream: 'stdout' | 'stderr') => (buf: Buffer) => {
        bytes += buf.length;
        if (bytes > limit) {
          stop(new FlowlaneError('FL_EXEC_OUTPUT_LIMIT', { command: label, limit }));
          return;
        }
        const data = decoders[stream].write(buf);
        if (data === '') return;
        if (stream === 'stdout') stdout += data;
        else stderr += data;
        output$.next({ stream, data });
      };
      child.stdout?.on('data', onData('stdout'));
      child.stderr?.on('data', onData('stderr'));
      child.stdin?.on('error', () => undefined); // EPIPE when the command does not read stdin
      if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
      else child.stdin?.end();

      const onAbort = (): void => {
        const reason = opts.signal?.reason;
        stop(
          reason instanceof FlowlaneError
            ? reason
            : new FlowlaneError(
                'FL_CANCELLED',
                { executionId: '-', reason: `command "${label}" aborted` },
                { cause: reason },
              ),
        );
      };
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeout !== undefined && opts.timeout > 0)
        timeoutTimer = setTimeout(
          () => stop(new FlowlaneError('FL_TIMEOUT', { nodeId: label, ms: opts.timeout! })),
          opts.timeout,
        );

      let spawnError: Error | undefined;
      child.on('error', (e) => {
        spawnError = e;
      });
      child.on('close', (exitCode, signal) => {
        live.delete(child);
        if (killTimer) clearTimeout(killTimer);
        if (timeoutTimer) clearTimeout(timeoutTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        // The group may still hold grandchildren that ignored SIGTERM: make sure none survives.
        if (stopReason !== undefined && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* group already gone */
          }
        }
        for (const stream of ['stdout', 'stderr'] as const) {
          const rest = decoders[stream].end();
          if (rest === '') continue;
          if (stream === 'stdout') stdout += rest;
          else stderr += rest;
          output$.next({ stream, data: rest });
        }
        output$.complete();
        const res: ExecResult = { exitCode, signal, stdout, stderr, durationMs: performance.now() - started };
        if (stopReason !== undefined) settle.reject(stopReason);
        else if (spawnError !== undefined)
          settle.reject(
            new FlowlaneError(
              'FL_EXEC_FAILED',
              { command: label, exitCode: null, stderr: spawnError.message },
              { cause: spawnError },
            ),
          );
        else if (exitCode !== 0 && !opts.allowFailure) {
          const err = new FlowlaneError('FL_EXEC_FAILED', { command: label, exitCode, signal, stderr });
          Object.defineProperty(err, 'result', { value: res, enumerable: false });
          settle.reject(err);
        } else settle.resolve(res);
      });
      return {
        output$,
        result,
        kill: (reason = 'killed') => stop(new FlowlaneError('FL_CANCELLED', { executionId: '-', reason })),
      };
    },

    async copyIn(localPath, remotePath, options) {
      return copy(localPath, remotePath, options?.signal);
    },
    async copyOut(remotePath, localPath, options) {
      return copy(remotePath, localPath, options?.signal);
    },
    async healthCheck() {
      const t = performance.now();
      try {
        await this.exec('/bin/sh', { args: ['-c', 'exit 0'] }).result;
        return { healthy: true, latencyMs: performance.now() - t };
      } catch (e) {
        return { healthy: false, message: (e as Error).message };
      }
    },
    async dispose() {
      const waits = [...live].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once('close', () => resolve());
            killTree(c, 'SIGKILL');
          }),
      );
      await Promise.all(waits);
    },
  };
}

async function copy(from: string, to: string, signal?: AbortSignal): Promise<CopyResult> {
  // fs.cp cannot be interrupted: the signal is checked between steps.
  const check = (): void => {
    if (signal?.aborted)
      throw new FlowlaneError(
        'FL_CANCELLED',
        { executionId: '-', reason: `copy of "${from}" aborted` },
        { cause: signal.reason },
      );
  };
  check();
  const s = await stat(from);
  await mkdir(dirname(to), { recursive: true });
  check();
  await cp(from, to, { recursive: true, force: true });
  check();
  if (s.isFile()) return { bytes: s.size, files: 1, sha256: await sha256(to) };
  let bytes = 0;
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        files++;
        bytes += (await stat(p)).size;
      }
    }
  };
  await walk(to);
  return { bytes, files };
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
