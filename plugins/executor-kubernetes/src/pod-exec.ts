/* Internal: one exec over the v5 WebSocket protocol through client-node's Exec, with the exit code from status. */
import { type Readable, Writable } from 'node:stream';
import type { Exec, V1Status } from '@kubernetes/client-node';
import { httpStatusOf, toKubernetesError } from './api-errors.js';
import { KubernetesExecutorError } from './errors.js';
import type { PodRef } from './pod-resolver.js';

/** How an exec ended: the exit code (null when the API reported a failure without one) and its message. */
export interface PodExecOutcome {
  readonly exitCode: number | null;
  readonly message?: string | undefined;
}

/** The part of the exec socket we use. */
export interface ExecSocket {
  close(): void;
}

/** Exit code from the status frame: `Success` → 0, `NonZeroExitCode` → the `ExitCode` cause. */
export function outcomeOf(status: V1Status): PodExecOutcome {
  if (status.status === 'Success') return { exitCode: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message === undefined ? Number.NaN : Number.parseInt(cause.message, 10);
  if (Number.isInteger(code)) return { exitCode: code };
  return { exitCode: null, message: status.message ?? status.reason ?? 'the command failed' };
}

/**
 * Runs `argv` in the pod; `onSocket` receives the socket as soon as it is open (closing it is the abort).
 * Resolves once the socket closed after the status frame; rejects with `FL_K8S_STREAM_CLOSED` if it closed first.
 */
export async function podExec(
  exec: Exec,
  ref: PodRef,
  argv: readonly string[],
  io: { stdin: Readable | null; stdout: Writable; stderr: Writable },
  server: string,
  onSocket: (socket: ExecSocket) => void,
): Promise<PodExecOutcome> {
  let status: V1Status | undefined;
  let socket: Awaited<ReturnType<Exec['exec']>>;
  try {
    socket = await exec.exec(
      ref.namespace,
      ref.pod,
      ref.container,
      [...argv],
      io.stdout,
      io.stderr,
      io.stdin,
      false,
      (s) => {
        status = s;
      },
    );
  } catch (error) {
    if (httpStatusOf(error) === 404)
      throw new KubernetesExecutorError(
        'FL_K8S_POD_NOT_FOUND',
        { namespace: ref.namespace, pod: ref.pod },
        { cause: error },
      );
    throw toKubernetesError('pod exec', error, server);
  }
  const closed = new Promise<void>((resolve) => {
    if (socket.readyState === socket.CLOSED) resolve();
    else socket.on('close', () => resolve());
  });
  socket.on('error', () => undefined); // surfaced as a close without status
  onSocket(socket);
  await closed;
  if (status === undefined)
    throw new KubernetesExecutorError('FL_K8S_STREAM_CLOSED', { namespace: ref.namespace, pod: ref.pod });
  return outcomeOf(status);
}

/**
 * An `onSocket` callback that closes the exec socket as soon as `work` fails or `signal` aborts (before or after it
 * opened). Call `release()` once the exec is over to drop the abort listener.
 */
export function closeOnFailure(
  work: Promise<unknown>,
  signal?: AbortSignal,
): ((socket: ExecSocket) => void) & { release(): void } {
  let socket: ExecSocket | undefined;
  let failed = false;
  const fail = (): void => {
    failed = true;
    socket?.close();
  };
  work.catch(fail);
  signal?.addEventListener('abort', fail, { once: true });
  if (signal?.aborted) failed = true;
  return Object.assign(
    (s: ExecSocket) => {
      socket = s;
      if (failed) s.close();
    },
    { release: () => signal?.removeEventListener('abort', fail) },
  );
}

/** A Writable that hands each chunk to `onChunk` (or drops it). */
export const sink = (onChunk: (chunk: Buffer) => void = () => undefined): Writable =>
  new Writable({
    write(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback();
    },
  });
