/* Internal: copyIn/copyOut through Docker's archive API (putArchive/getArchive), files and directories. */
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { extractTo, packPath } from '@flowlane/artifacts';
import { type CopyResult, copyCancelled } from '@flowlane/core';
import type Docker from 'dockerode';
import { statusOf, toDockerError } from './docker-errors-map.js';
import { DockerExecutorError } from './errors.js';
import type { DockerConnectionOptions } from './options.js';

/** Destroys `stream` with the cancellation error when `signal` aborts; returns the listener's remover. */
function destroyOnAbort(signal: AbortSignal | undefined, stream: NodeJS.ReadableStream, path: string): () => void {
  if (signal === undefined) return () => undefined;
  // Every stream here is a Node Readable (tar-stream's pack, the HTTP response), which has destroy().
  const onAbort = (): void => void (stream as Readable).destroy(copyCancelled(signal, path));
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** True when `path` exists in the container (works on stopped and created containers too). */
async function exists(container: Docker.Container, path: string): Promise<boolean> {
  try {
    await container.infoArchive({ path });
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}

/**
 * Copies a local file or directory to `remotePath` in the container, creating missing parent directories (the
 * archive is put at the deepest existing ancestor, so existing directories keep their modes).
 */
export async function copyIntoContainer(
  container: Docker.Container,
  localPath: string,
  remotePath: string,
  connection: DockerConnectionOptions | undefined,
  signal?: AbortSignal,
): Promise<CopyResult> {
  if (signal?.aborted) throw copyCancelled(signal, localPath);
  try {
    await lstat(localPath);
  } catch (error) {
    throw new DockerExecutorError('FL_DOCKER_PATH_NOT_FOUND', { side: 'local', path: localPath }, { cause: error });
  }
  try {
    const dest = posix.resolve('/', remotePath);
    let base = posix.dirname(dest);
    while (base !== '/' && !(await exists(container, base))) base = posix.dirname(base);
    if (signal?.aborted) throw copyCancelled(signal, localPath);
    const rel = posix.relative(base, dest);
    const parts = rel.split('/');
    const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    // Aborting ends the upload (the request is aborted) and the local read (packPath closes the file).
    const packed = packPath(localPath, rel, parents, { signal });
    const [result] = await Promise.all([
      packed.done,
      container.putArchive(packed.stream, signal === undefined ? { path: base } : { path: base, abortSignal: signal }),
    ]);
    return result;
  } catch (error) {
    if (signal?.aborted) throw copyCancelled(signal, localPath);
    throw toDockerError('container archive put', error, connection);
  }
}

/** Copies `remotePath` (a file or directory) out of the container to `localPath`. */
export async function copyOutOfContainer(
  container: Docker.Container,
  containerName: string,
  remotePath: string,
  localPath: string,
  connection: DockerConnectionOptions | undefined,
  signal?: AbortSignal,
): Promise<CopyResult> {
  if (signal?.aborted) throw copyCancelled(signal, remotePath);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.getArchive(
      signal === undefined ? { path: remotePath } : { path: remotePath, abortSignal: signal },
    );
  } catch (error) {
    if (signal?.aborted) throw copyCancelled(signal, remotePath);
    if (statusOf(error) === 404)
      throw new DockerExecutorError(
        'FL_DOCKER_PATH_NOT_FOUND',
        { side: 'container', path: remotePath, container: containerName },
        { cause: error },
      );
    throw toDockerError('container archive get', error, connection);
  }
  const off = destroyOnAbort(signal, stream, remotePath);
  try {
    return await extractTo(stream, localPath);
  } catch (error) {
    if (signal?.aborted) throw copyCancelled(signal, remotePath);
    throw error;
  } finally {
    off();
  }
}
