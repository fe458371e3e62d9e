import {
  type CopyResult,
  copyCancelled,
  type ExecHandle,
  type ExecOptions,
  type ExecResult,
  type Executor,
  FlowlaneError,
  type HealthStatus,
  type OutputChunk,
} from '@flowlane/core';
import { Subject } from 'rxjs';
import { BUILTINS, type Io } from './builtins.js';
import { MemoryFs } from './memory-fs.js';
import { parseScript } from './script.js';

/** Options of {@link createEchoExecutor}. */
export interface EchoExecutorOptions {
  /** Base environment of every command (the host's environment is never visible). Default `{}`. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Default working directory. Default `/`. */
  readonly cwd?: string | undefined;
  /** Files present in the in-memory file system from the start, by absolute path. Default none. */
  readonly files?: Readonly<Record<string, string | Uint8Array>> | undefined;
  /** Default output limit (stdout + stderr), bytes. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const encoder = new TextEncoder();

/** An error that stops a running command (timeout, abort, output limit, dispose). */
class Stop extends Error {
  constructor(readonly error: FlowlaneError) {
    super(error.message);
  }
}

/**
 * An executor that runs a tiny built-in shell in this process (`echo`, `cat`, `write`, `printenv`, `pwd`, `sleep`,
 * `fill`, `true`, `false`, `exit`) against an in-memory file system: no child process, no host file touched. Meant for
 * dry runs of workflows and for tests of nodes that call `ctx.exec`.
 *
 * @example
 * ```ts
 * import { createEchoExecutor } from 'flowlane-plugin-echo';
 *
 * const ex = createEchoExecutor({ env: { STAGE: 'dry-run' } });
 * const { stdout } = await ex.exec('echo', { args: ['hello'] }).result; // "hello\n"
 * ```
 */
export function createEchoExecutor(options: EchoExecutorOptions = {}): Executor {
  const fs = new MemoryFs();
  for (const [path, data] of Object.entries(options.files ?? {}))
    fs.write(path, typeof data === 'string' ? encoder.encode(data) : data);
  const live = new Set<{ stop: (e: FlowlaneError) => void; done: Promise<unknown> }>();
  let disposed = false;

  const exec = (command: string, opts: ExecOptions = {}): ExecHandle => {
    const started = performance.now();
    const output$ = new Subject<OutputChunk>();
    const label = [command, ...(opts.args ?? [])].join(' ');
    const limit = opts.maxOutputBytes ?? options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const ctrl = new AbortController();
    const stop = (error: FlowlaneError): void => {
      if (!ctrl.signal.aborted) ctrl.abort(new Stop(error));
    };
    let stdout = '';
    let stderr = '';
    let bytes = 0;
    const emit = (stream: 'stdout' | 'stderr', data: string): void => {
      if (data === '' || ctrl.signal.aborted) return;
      bytes += Buffer.byteLength(data);
      if (bytes > limit) {
        stop(new FlowlaneError('FL_EXEC_OUTPUT_LIMIT', { command: label, limit }));
        return;
      }
      if (stream === 'stdout') stdout += data;
      else stderr += data;
      output$.next({ stream, data });
    };

    const onAbort = (): void => {
      const reason: unknown = opts.signal?.reason;
      stop(
        reason instanceof FlowlaneError
          ? reason
          : new FlowlaneError('FL_CANCELLED', { executionId: '-', reason: `command "${label}" aborted` }),
      );
    };
    let timer: NodeJS.Timeout | undefined;

    const run = async (): Promise<ExecResult> => {
      // Start on a later tick, so subscribers attached right after exec() see every chunk.
      await Promise.resolve();
      if (disposed) throw new FlowlaneError('FL_CANCELLED', { executionId: '-', reason: 'echo executor disposed' });
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeout !== undefined && opts.timeout > 0)
        timer = setTimeout(
          () => stop(new FlowlaneError('FL_TIMEOUT', { nodeId: label, ms: opts.timeout! })),
          opts.timeout,
        );
      const stdin = typeof opts.stdin === 'string' ? encoder.encode(opts.stdin) : (opts.stdin ?? new Uint8Array());
      const env = { ...options.env, ...opts.env };
      const cwd = MemoryFs.resolve(opts.cwd ?? options.cwd ?? '/');
      let exitCode = 0;
      for (const { argv, toStderr } of parseScript(command, opts.args ?? [], opts.shell === true)) {
        if (ctrl.signal.aborted) break;
        const [name = '', ...args] = argv;
        if (name === 'exit') {
          exitCode = args[0] === undefined ? exitCode : Number(args[0]) || 0;
          break;
        }
        const builtin = BUILTINS[name];
        const io: Io = {
          stdin,
          env,
          cwd,
          fs,
          signal: ctrl.signal,
          out: (data) => emit(toStderr ? 'stderr' : 'stdout', data),
          err: (data) => emit('stderr', data),
        };
        if (builtin === undefined) {
          io.err(`${name}: command not found\n`);
          exitCode = 127;
          continue;
        }
        try {
          exitCode = await builtin(args, io);
        } catch (e) {
          if (!ctrl.signal.aborted) throw e;
        }
      }
      const reason: unknown = ctrl.signal.reason;
      if (reason instanceof Stop) throw reason.error;
      const result: ExecResult = { exitCode, stdout, stderr, durationMs: performance.now() - started };
      if (exitCode !== 0 && opts.allowFailure !== true) {
        const err = new FlowlaneError('FL_EXEC_FAILED', { command: label, exitCode, stderr });
        Object.defineProperty(err, 'result', { value: result, enumerable: false });
        throw err;
      }
      return result;
    };

    const result = run().finally(() => {
      if (timer !== undefined) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      output$.complete();
      live.delete(entry);
    });
    // Callers may only watch output$: an unobserved rejection must not crash the process.
    result.catch(() => undefined);
    const entry = { stop, done: result.catch(() => undefined) };
    live.add(entry);
    return {
      output$,
      result,
      kill: (reason = 'killed') => stop(new FlowlaneError('FL_CANCELLED', { executionId: '-', reason })),
    };
  };

  return {
    exec,
    // The in-memory file system copies in one step: a signal can only stop a copy before it starts.
    async copyIn(local, remote, options): Promise<CopyResult> {
      if (options?.signal?.aborted) throw copyCancelled(options.signal, local);
      return fs.copyIn(local, remote);
    },
    async copyOut(remote, local, options): Promise<CopyResult> {
      if (options?.signal?.aborted) throw copyCancelled(options.signal, remote);
      return fs.copyOut(remote, local);
    },
    async healthCheck(): Promise<HealthStatus> {
      if (disposed) return { healthy: false, message: 'echo executor disposed' };
      const t0 = performance.now();
      await exec('true').result;
      return { healthy: true, latencyMs: performance.now() - t0 };
    },
    async dispose(): Promise<void> {
      disposed = true;
      const running = [...live];
      for (const r of running)
        r.stop(new FlowlaneError('FL_CANCELLED', { executionId: '-', reason: 'echo executor disposed' }));
      await Promise.all(running.map((r) => r.done));
    },
  };
}
