import { StringDecoder } from 'node:string_decoder';
import { Subject } from 'rxjs';
import { FlowlaneError, isFlowlaneError } from '../errors.js';
import type { ExecHandle, ExecOptions, ExecResult, OutputChunk } from '../plugin/types.js';

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** The executor's side of a running command. */
export interface CommandRun {
  readonly handle: ExecHandle;
  /** Why the command was stopped (timeout, abort, kill, output limit, dispose), once it was. */
  readonly stopReason: Error | undefined;
  /** Aborts when the command is stopped (for work that is still being set up). */
  readonly stopSignal: AbortSignal;
  /** Registers a teardown run when the command is stopped (at once if it already was). */
  onStop(teardown: () => void): void;
  /** Stops the command with `reason` (as kill() does with FL_CANCELLED). */
  stop(reason: Error): void;
  /** Feeds command output. */
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  /** The command ended: resolve, or reject with the stop reason or FL_EXEC_FAILED. */
  finish(exit: { exitCode: number | null; signal?: string | null | undefined }): void;
  /** The command could not run or its connection failed; rejects with the stop reason if it was stopped. */
  fail(error: unknown): void;
  /** True once the result settled. */
  readonly settled: boolean;
}

/**
 * The state machine behind one {@link ExecHandle}, for executor authors: feed it the command's output and exit, and
 * it handles UTF-8 decoding across chunks, the output limit, `timeout`, abort through `signal`, `kill()`, and
 * settles the result (`FL_EXEC_FAILED` with the result on a non-zero exit unless `allowFailure`, `FL_TIMEOUT`,
 * `FL_CANCELLED`, `FL_EXEC_OUTPUT_LIMIT`). Register `onStop` teardowns to actually stop the command.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { commandLabel, createCommandRun, type ExecHandle, type ExecOptions } from '@flowlane/core';
 *
 * // An executor's exec(): start the command somewhere, feed the run its output and exit, return the handle.
 * function exec(command: string, opts: ExecOptions = {}): ExecHandle {
 *   const run = createCommandRun(commandLabel(command, opts.args), opts);
 *   const child = spawn(command, opts.args ?? []);
 *   child.stdout.on('data', (buf: Buffer) => run.output('stdout', buf));
 *   child.stderr.on('data', (buf: Buffer) => run.output('stderr', buf));
 *   run.onStop(() => child.kill());
 *   child.on('error', (err) => run.fail(err));
 *   child.on('close', (exitCode, signal) => run.finish({ exitCode, signal }));
 *   return run.handle;
 * }
 * ```
 */
export function createCommandRun(label: string, opts: ExecOptions, defaultMaxOutput?: number | undefined): CommandRun {
  const started = performance.now();
  const output$ = new Subject<OutputChunk>();
  const limit = opts.maxOutputBytes ?? defaultMaxOutput ?? DEFAULT_MAX_OUTPUT;
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const text = { stdout: '', stderr: '' };
  const stopped = new AbortController();
  const teardowns: (() => void)[] = [];
  let bytes = 0;
  let settled = false;
  let stopReason: Error | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settle!: { resolve: (r: ExecResult) => void; reject: (e: unknown) => void };
  const result = new Promise<ExecResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Callers may only watch output$: an unobserved rejection must not crash the process.
  result.catch(() => undefined);

  const stop = (reason: Error): void => {
    if (stopReason !== undefined || settled) return;
    stopReason = reason;
    stopped.abort(reason);
    for (const fn of teardowns.splice(0)) fn();
  };
  const onAbort = (): void => {
    const reason: unknown = opts.signal?.reason;
    stop(
      isFlowlaneError(reason)
        ? reason
        : new FlowlaneError(
            'FL_CANCELLED',
            { executionId: opts.executionId ?? '-', reason: `command "${label}" aborted` },
            { cause: reason },
          ),
    );
  };
  const end = (): void => {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    for (const s of ['stdout', 'stderr'] as const) {
      const rest = decoders[s].end();
      if (rest === '') continue;
      text[s] += rest;
      output$.next({ stream: s, data: rest });
    }
    output$.complete();
  };

  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.timeout !== undefined && opts.timeout > 0 && stopReason === undefined) {
    const ms = opts.timeout;
    timer = setTimeout(() => stop(new FlowlaneError('FL_TIMEOUT', { nodeId: opts.nodeId ?? label, ms })), ms);
  }

  return {
    handle: {
      output$: output$.asObservable(),
      result,
      kill: (reason = 'killed') =>
        stop(new FlowlaneError('FL_CANCELLED', { executionId: opts.executionId ?? '-', reason })),
    },
    get stopReason() {
      return stopReason;
    },
    get settled() {
      return settled;
    },
    stopSignal: stopped.signal,
    onStop(fn) {
      if (stopReason !== undefined) fn();
      else teardowns.push(fn);
    },
    stop,
    output(stream, chunk) {
      if (settled || stopReason !== undefined || chunk.length === 0) return;
      bytes += chunk.length;
      if (bytes > limit) {
        stop(new FlowlaneError('FL_EXEC_OUTPUT_LIMIT', { command: label, limit }));
        return;
      }
      const data = decoders[stream].write(chunk);
      if (data === '') return;
      text[stream] += data;
      output$.next({ stream, data });
    },
    finish({ exitCode, signal = null }) {
      if (settled) return;
      end();
      const res: ExecResult = {
        exitCode,
        signal,
        stdout: text.stdout,
        stderr: text.stderr,
        durationMs: performance.now() - started,
      };
      if (stopReason !== undefined) settle.reject(stopReason);
      else if (exitCode !== 0 && !opts.allowFailure) {
        const err = new FlowlaneError('FL_EXEC_FAILED', { command: label, exitCode, signal, stderr: text.stderr });
        Object.defineProperty(err, 'result', { value: res, enumerable: false });
        settle.reject(err);
      } else settle.resolve(res);
    },
    fail(error) {
      if (settled) return;
      end();
      settle.reject(stopReason ?? error);
    },
  };
}
/** `command arg…`, for messages. */
export function commandLabel(command: string, args: readonly string[] | undefined): string {
  return [command, ...(args ?? [])].join(' ');
}
