import type { Observable } from 'rxjs';

/* Plugin contracts: executors. */

/** Options of one command run through an {@link Executor}. */
export interface ExecOptions {
  /** Arguments, passed as an argv vector (never through a shell unless `shell: true`). */
  readonly args?: readonly string[] | undefined;
  /** Run `command` through `/bin/sh -c` (the command is then a shell script; `args` become `$1…`). Default false. */
  readonly shell?: boolean | undefined;
  /** Extra environment variables (merged over the executor's base environment). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory. */
  readonly cwd?: string | undefined;
  /** Data written to the command's stdin (then stdin is closed). */
  readonly stdin?: string | Uint8Array | undefined;
  /** Kill the command after this many ms (rejects with `FL_TIMEOUT`). */
  readonly timeout?: number | undefined;
  /** Aborting kills the command (rejects with `FL_CANCELLED`). */
  readonly signal?: AbortSignal | undefined;
  /** Resolve instead of rejecting with `FL_EXEC_FAILED` on a non-zero exit. Default false. */
  readonly allowFailure?: boolean | undefined;
  /** Stop the command when stdout + stderr exceed this many bytes. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
  /** Executor-specific target (an SSH host, a container, a pod, a worker id). */
  readonly target?: string | undefined;
  /** The run and node the command belongs to (set by the engine for `ctx.exec`), for error messages and logs. */
  readonly executionId?: string | undefined;
  readonly nodeId?: string | undefined;
}

/** One chunk of streamed command output. */
export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: string;
}

/** The outcome of a finished command. */
export interface ExecResult {
  /** Exit code; `null` when the process was ended by a signal (where the executor can tell). */
  readonly exitCode: number | null;
  /**
   * The signal that ended the process, when the executor can tell. Container and pod executors usually cannot: they
   * report `128 + n` exit codes instead and leave this `null`/undefined.
   */
  readonly signal?: string | null | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** A running command: its output as a stream and its result as a promise. */
export interface ExecHandle {
  /** Output chunks in arrival order; completes when the command ends. Hot: subscribe before awaiting `result`. */
  readonly output$: Observable<OutputChunk>;
  /** Settles when the command ends; rejects with `FL_EXEC_FAILED`, `FL_TIMEOUT` or `FL_CANCELLED`. */
  readonly result: Promise<ExecResult>;
  /** Stop the command now (same as aborting its signal). */
  kill(reason?: string): void;
}

/** Result of copying an artifact. */
export interface CopyResult {
  readonly bytes: number;
  readonly files: number;
  /** sha256 (hex) of the content for a single file. */
  readonly sha256?: string | undefined;
}

/** Options of `copyIn` / `copyOut`. */
export interface CopyOptions {
  readonly target?: string | undefined;
  /** Aborting stops the copy. */
  readonly signal?: AbortSignal | undefined;
}

/** Health of an executor or one of its targets. */
export interface HealthStatus {
  readonly healthy: boolean;
  readonly message?: string | undefined;
  readonly latencyMs?: number | undefined;
}

/**
 * Runs commands somewhere (this machine, an SSH host, a container, a pod) and moves artifacts in and out.
 * Registered by plugins with `api.executors.register(name, executor)`; nodes pick one with `executor: 'name'`.
 */
export interface Executor {
  /** Start `command`; never throws synchronously for a failing command (the handle's result rejects). */
  exec(command: string, options?: ExecOptions): ExecHandle;
  /** Copy a local file or directory to the executor's side. Aborting `signal` stops the copy (rejects `FL_CANCELLED`). */
  copyIn(localPath: string, remotePath: string, options?: CopyOptions): Promise<CopyResult>;
  /** Copy a file or directory from the executor's side to a local path. Aborting `signal` stops the copy. */
  copyOut(remotePath: string, localPath: string, options?: CopyOptions): Promise<CopyResult>;
  /** Check the executor (or one target) can run commands. */
  healthCheck(options?: { target?: string | undefined; signal?: AbortSignal | undefined }): Promise<HealthStatus>;
  /** Release every connection, process and timer. Called by `engine.close()` for registered executors. */
  dispose(): Promise<void>;
}
