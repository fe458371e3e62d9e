/* Internal: dockerode errors → typed Docker executor errors. */
import { DockerExecutorError } from './errors.js';
import type { DockerConnectionOptions } from './options.js';

interface DockerodeError {
  readonly statusCode?: number;
  readonly code?: string;
  readonly json?: { message?: string } | null;
  readonly reason?: string;
  readonly message?: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** HTTP status of a dockerode error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const s = (error as DockerodeError | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The daemon's own message for a failed call. */
export function reasonOf(error: unknown): string {
  const e = error as DockerodeError | null;
  return e?.json?.message?.trim() || e?.message?.trim() || String(error);
}

/** Human form of the daemon endpoint for messages. */
export function endpointOf(c: DockerConnectionOptions | undefined): string {
  if (c?.socketPath !== undefined) return `unix://${c.socketPath}`;
  if (c?.host !== undefined) return `${c.protocol ?? 'http'}://${c.host}:${c.port ?? 2375}`;
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Wraps any failure of `operation` in `FL_DOCKER_UNREACHABLE` or `FL_DOCKER_API_ERROR` (typed errors pass). */
export function toDockerError(operation: string, error: unknown, c: DockerConnectionOptions | undefined): Error {
  if (error instanceof DockerExecutorError) return error;
  const code = (error as DockerodeError | null)?.code;
  if (statusOf(error) === undefined && code !== undefined && UNREACHABLE.has(code))
    return new DockerExecutorError(
      'FL_DOCKER_UNREACHABLE',
      { endpoint: endpointOf(c), reason: reasonOf(error) },
      { cause: error },
    );
  return new DockerExecutorError(
    'FL_DOCKER_API_ERROR',
    { operation, statusCode: statusOf(error) ?? null, reason: reasonOf(error) },
    { cause: error },
  );
}
